import type { Express } from 'express';
import type { Logger } from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import type { AppDeps, DepsOverrides } from '../../src/deps';
import { fakeClock, makeDeps } from './deps';
import { nativeHeaders } from './sign';

/** A fresh app whose clock the test moves by hand. */
export function appWithClock(env: Record<string, string> = {}): { app: Express; deps: AppDeps; clock: ReturnType<typeof fakeClock> } {
  const clock = fakeClock();
  const deps = makeDeps({ env, now: clock.now });
  return { app: createApp(deps), deps, clock };
}

/**
 * POSTs the body's exact UTF-8 bytes to the receive route. A string, not a Buffer: with a JSON content
 * type superagent would serialize a Buffer as `{"type":"Buffer","data":[...]}`.
 */
export function receive(app: Express, body: string, headers: Record<string, string>): request.Test {
  return request(app).post('/webhook/receive').set(headers).send(body);
}

export type NativeOptions = Omit<Parameters<typeof nativeHeaders>[1], 'nowMs'>;

export interface TestApp {
  readonly app: Express;
  readonly deps: AppDeps;
  readonly clock: ReturnType<typeof fakeClock>;
  /** POSTs `body` to /webhook/receive signed (native scheme) at the fake clock's time; `headers` are added last. */
  post(body: string | Buffer, options?: NativeOptions, headers?: Record<string, string>): request.Test;
}

/** A fresh app on a fake clock, built from `makeDeps` with `env` and any overrides. */
export function testApp(options: { env?: Record<string, string>; logger?: Logger } & DepsOverrides = {}): TestApp {
  const clock = fakeClock();
  const deps = makeDeps({ now: clock.now, ...options });
  const app = createApp(deps);
  const post = (body: string | Buffer, native: NativeOptions = {}, headers: Record<string, string> = {}): request.Test =>
    request(app)
      .post('/webhook/receive')
      .set({ ...nativeHeaders(body, { nowMs: clock.now(), ...native }), ...headers })
      .send(body);
  return { app, deps, clock, post };
}

/** The shape every error response has: `{"error": {"code", "message"}}`, as JSON. */
export function expectError(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
  expect((res.body as { error: { message: string } }).error.message).not.toBe('');
}
