function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

export type ParsedBody = { readonly ok: true; readonly payload: unknown; readonly json: unknown } | { readonly ok: false };

/**
 * The body for the history and for handlers: parsed when the request says JSON (and then it must parse),
 * otherwise the text. A body without a Content-Type that happens to be JSON is parsed too.
 */
export function parseBody(body: Buffer, contentType: string | undefined): ParsedBody {
  const text = body.toString('utf8');
  if (isJsonType(contentType)) {
    try {
      const json: unknown = JSON.parse(text);
      return { ok: true, payload: json, json };
    } catch {
      return { ok: false };
    }
  }
  if (contentType === undefined && text !== '') {
    try {
      const json: unknown = JSON.parse(text);
      return { ok: true, payload: json, json };
    } catch {
      // not JSON: kept as text
    }
  }
  return { ok: true, payload: text, json: undefined };
}
