import type { Sleep } from '../../src/clock';
import type { FetchLike } from '../../src/sender/sender';

/** One outgoing request as the fake fetch saw it. */
export interface FetchCall {
  readonly url: string;
  readonly init: RequestInit;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** What the fake fetch does for one call: answer, throw, or run a function (which may wait). */
export type FetchStep = Response | Error | DOMException | ((call: FetchCall) => Promise<Response> | Response);

/** A response the way a receiver would send it. */
export function reply(status: number, body = '', headers: Record<string, string> = {}): Response {
  // 204/304 and friends may not carry a body.
  const nullBody = status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : body, { status, headers });
}

/** A network error the way undici reports one: `TypeError('fetch failed')` with the socket error as cause. */
export function networkError(code = 'ECONNREFUSED'): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

/**
 * A fetch that plays a script, one step per call, and records every call. Running out of script is a
 * test bug, so it throws an error the attempt record will show.
 */
export function scriptedFetch(steps: FetchStep[] = []): { fetch: FetchLike; calls: FetchCall[]; push: (...more: FetchStep[]) => void } {
  const queue = [...steps];
  const calls: FetchCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    const call: FetchCall = {
      url,
      init,
      headers: new Headers(init.headers as Record<string, string>),
      body: Buffer.from(init.body as Buffer),
    };
    calls.push(call);
    const step = queue.shift();
    if (step === undefined) throw new Error(`fake fetch: no scripted answer for call ${calls.length}`);
    if (step instanceof Response) return step;
    if (typeof step === 'function') return step(call);
    // Not `instanceof Error`: a DOMException (a timeout) comes from another realm under Jest.
    throw step;
  };
  return { fetch, calls, push: (...more) => queue.push(...more) };
}

/**
 * A sleep that records each delay, moves the fake clock by it and resolves at once: no real waiting.
 * An aborted signal still rejects, as the real sleep does.
 */
export function recordingSleep(advance?: (ms: number) => void): { sleep: Sleep; delays: number[] } {
  const delays: number[] = [];
  const sleep: Sleep = async (ms, signal) => {
    if (signal?.aborted) throw signal.reason;
    delays.push(ms);
    advance?.(ms);
  };
  return { sleep, delays };
}

/** A promise with its resolve handle outside, to release a waiting fake at the moment the test chooses. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
