import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app';
import type { AppDeps } from '../../src/deps';
import { fakeClock, makeDeps } from './deps';

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
