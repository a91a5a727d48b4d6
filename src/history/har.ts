import type { HistoryEntry } from './store';

/** The HTTP status a recorded request was answered with, as far as the entry tells. */
export function answeredStatus(entry: HistoryEntry): number {
  if (entry.status === 'accepted') return entry.response?.status ?? 200;
  const reason = entry.verification.reason ?? '';
  if (reason === 'body.too_large') return 413;
  return reason.startsWith('body.') ? 400 : 401;
}

/** The body as text: the exact bytes when they are still kept, else the recorded payload. */
export function bodyText(entry: HistoryEntry, raw: Buffer | undefined): string {
  if (raw) return raw.toString('utf8');
  return typeof entry.payload === 'string' ? entry.payload : JSON.stringify(entry.payload ?? null);
}

/**
 * One entry of an HTTP Archive 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the received request and
 * the answer it got. Headers are the recorded, redacted ones; `_webhook` carries what HAR has no field for.
 */
export function harEntry(entry: HistoryEntry, raw: Buffer | undefined, receiveUrl: string): unknown {
  const text = bodyText(entry, raw);
  return {
    startedDateTime: entry.receivedAt,
    time: 0,
    request: {
      method: 'POST',
      url: receiveUrl,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: Object.entries(entry.headers).map(([name, value]) => ({ name, value })),
      queryString: [],
      postData: { mimeType: entry.headers['content-type'] ?? 'application/octet-stream', text },
      headersSize: -1,
      bodySize: entry.sizeBytes,
    },
    response: {
      status: answeredStatus(entry),
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [],
      content: { size: -1, mimeType: 'application/json' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: { send: 0, wait: 0, receive: 0 },
    _webhook: { id: entry.id, scheme: entry.scheme, eventType: entry.eventType, status: entry.status, verification: entry.verification, response: entry.response },
  };
}
