import request from 'supertest';
import { SCHEME_NAMES } from '../../src/signature/types';
import { appWithClock, receive } from '../helpers/app';
import { secretEnv } from '../helpers/deps';
import { NEW_SECRET, referenceHeaders } from '../helpers/reference-sign';

const body = JSON.stringify({ id: 'evt_unicode', type: 'user.created', name: 'Zoë 🚀 日本語' });

describe('a body with emoji and non-ASCII text', () => {
  it('is longer in UTF-8 bytes than in characters, which is what these tests rely on', () => {
    expect(Buffer.byteLength(body, 'utf8')).toBeGreaterThan(body.length);
  });

  it.each(SCHEME_NAMES)('verifies for the %s scheme, signed over its raw UTF-8 bytes, and is stored intact', async (scheme) => {
    const { app, clock } = appWithClock(secretEnv(scheme, NEW_SECRET));
    const headers = referenceHeaders(scheme, body, { secret: NEW_SECRET, nowMs: clock.now(), id: 'evt_unicode' });

    const res = await receive(app, body, { ...headers, 'content-type': 'application/json; charset=utf-8' });

    expect(res.status).toBe(200);
    expect(res.body.id).toBe('evt_unicode');
    const entry = await request(app).get('/webhook/history/evt_unicode');
    expect(entry.body).toMatchObject({ scheme, payload: { name: 'Zoë 🚀 日本語' }, sizeBytes: Buffer.byteLength(body, 'utf8') });
  });

  it.each(SCHEME_NAMES)('is rejected for the %s scheme when the same bytes arrive re-encoded as Latin-1', async (scheme) => {
    const { app, clock } = appWithClock(secretEnv(scheme, NEW_SECRET));
    const headers = referenceHeaders(scheme, body, { secret: NEW_SECRET, nowMs: clock.now(), id: 'evt_unicode' });
    // What a sender gets when it decodes the UTF-8 bytes as Latin-1 and re-encodes them: mojibake.
    const mangled = Buffer.from(body, 'utf8').toString('latin1');

    const res = await receive(app, mangled, headers);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
  });
});
