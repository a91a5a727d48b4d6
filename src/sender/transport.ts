import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import type { FetchLike } from '../security/guarded-fetch';

/** A response body this small (by its Content-Length) is read whole rather than streamed. */
const SMALL_RESPONSE_BYTES = 64 * 1024;

/** Bytes of a response body kept on the attempt record. */
export const RESPONSE_PREVIEW_BYTES = 1024;

export interface TransportRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The whole attempt, response body included. */
  readonly timeoutMs: number;
}

export interface TransportResponse {
  readonly status: number;
  readonly retryAfter: string | null;
  /** At most `RESPONSE_PREVIEW_BYTES` of the body, as text. */
  readonly preview: string;
}

/**
 * One POST of a delivery, redirects not followed. Rejects on a network error (`TypeError('fetch failed')` with
 * the cause, as fetch does) or with a `TimeoutError` once `timeoutMs` has passed.
 */
export type Transport = (url: string, request: TransportRequest) => Promise<TransportResponse>;

const timeoutError = (timeoutMs: number): DOMException => new DOMException(`The attempt timed out after ${timeoutMs} ms`, 'TimeoutError');

/** Reads at most `limit` bytes of a response body as text, then lets the rest go. */
async function readPreview(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  // Most receivers answer a few bytes with a Content-Length: read them whole, which is cheaper than a reader.
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared <= SMALL_RESPONSE_BYTES) return Buffer.from(await response.arrayBuffer()).subarray(0, limit).toString('utf8');
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** Over any `fetch`: what tests inject (a fake that records and answers), and what an embedder may pass. */
export function fetchTransport(fetch: FetchLike): Transport {
  return async (url, { headers, body, timeoutMs }) => {
    // Not AbortSignal.timeout: a plain timer cleared once the attempt ends costs less, with the same TimeoutError.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(timeoutError(timeoutMs)), timeoutMs);
    try {
      const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: timeout.signal });
      const preview = await readPreview(response, RESPONSE_PREVIEW_BYTES).catch(() => '');
      return { status: response.status, retryAfter: response.headers.get('retry-after'), preview };
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Over undici's `request` on `dispatcher` (the guarded Agent, whose connections are checked against the
 * destination rules). The production path: measured with bench/send.js it costs about a sixth of the CPU of
 * `fetch` per request, which builds a WHATWG Request, Response, web streams and an AbortSignal for each. The
 * timeout is a timer and an EventEmitter (what undici accepts as a signal), not an AbortController.
 */
export function undiciTransport(dispatcher: Dispatcher): Transport {
  return async (url, { headers, body, timeoutMs }) => {
    const signal = new EventEmitter();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signal.emit('abort');
    }, timeoutMs);
    try {
      const { origin, pathname, search } = new URL(url);
      const response = await dispatcher.request({ origin, path: `${pathname}${search}`, method: 'POST', headers, body, signal });
      const retryAfter = response.headers['retry-after'];
      const preview = await readBodyPreview(response.body, response.headers['content-length']).catch(() => '');
      return { status: response.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, preview };
    } catch (error) {
      if (timedOut) throw timeoutError(timeoutMs);
      // The shape fetch gives a network error, so attempt records read the same whichever transport made them.
      throw new TypeError('fetch failed', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
}

async function readBodyPreview(body: Dispatcher.ResponseData['body'], contentLength: string | string[] | undefined): Promise<string> {
  if (typeof contentLength === 'string' && Number(contentLength) <= SMALL_RESPONSE_BYTES) {
    return Buffer.from(await body.arrayBuffer()).subarray(0, RESPONSE_PREVIEW_BYTES).toString('utf8');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
      if (size >= RESPONSE_PREVIEW_BYTES) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_PREVIEW_BYTES).toString('utf8');
}
