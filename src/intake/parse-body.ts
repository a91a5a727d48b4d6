import { exceedsJsonDepth } from './json-depth';

function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

export type ParsedBody =
  | { readonly ok: true; readonly payload: unknown; readonly json: unknown }
  | { readonly ok: false; readonly code: 'body.invalid_json' | 'body.too_deep' };

/**
 * The body for the history and for handlers: parsed when the request says JSON (and then it must parse, and
 * nest no deeper than `maxDepth`), otherwise the text. A body without a Content-Type that happens to be JSON
 * is parsed too, unless it is too deep: then it is kept as text.
 */
export function parseBody(body: Buffer, contentType: string | undefined, maxDepth: number): ParsedBody {
  const text = body.toString('utf8');
  if (isJsonType(contentType)) {
    if (exceedsJsonDepth(body, maxDepth)) return { ok: false, code: 'body.too_deep' };
    try {
      const json: unknown = JSON.parse(text);
      return { ok: true, payload: json, json };
    } catch {
      return { ok: false, code: 'body.invalid_json' };
    }
  }
  if (contentType === undefined && text !== '' && !exceedsJsonDepth(body, maxDepth)) {
    try {
      const json: unknown = JSON.parse(text);
      return { ok: true, payload: json, json };
    } catch {
      // not JSON: kept as text
    }
  }
  return { ok: true, payload: text, json: undefined };
}
