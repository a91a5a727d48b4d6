import type { FetchLike } from '../../src/sender/sender';

export interface RecordedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** A fetch that records each request and answers `status`, for makeDeps({ fetch }). */
export function recordingFetch(status = 200): { fetch: FetchLike; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetch: FetchLike = async (url, init) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    requests.push({ url, headers, body: Buffer.from(init.body as Uint8Array) });
    return new Response('ok', { status });
  };
  return { fetch, requests };
}
