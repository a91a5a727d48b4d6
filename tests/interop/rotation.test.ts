import { SCHEME_NAMES, type SchemeName } from '../../src/signature/types';
import { appWithClock, receive } from '../helpers/app';
import { secretEnv } from '../helpers/deps';
import { NEW_SECRET, OLD_SECRET, THIRD_SECRET, referenceHeaders } from '../helpers/reference-sign';

// During a rotation a scheme's variable (WEBHOOK_SECRET, STANDARD_WEBHOOK_SECRET, ...) lists the new secret
// first and the old one after it (SPEC.md section 1).
const env = (scheme: SchemeName): Record<string, string> => secretEnv(scheme, `${NEW_SECRET},${OLD_SECRET}`);
const body = JSON.stringify({ id: 'evt_rotation', type: 'user.created', data: { userId: '123' } });

describe("with the scheme's secret list new,old", () => {
  it.each(SCHEME_NAMES)('accepts a %s request signed with the new secret', async (scheme) => {
    const { app, clock } = appWithClock(env(scheme));

    const res = await receive(app, body, referenceHeaders(scheme, body, { secret: NEW_SECRET, nowMs: clock.now(), id: 'evt_rotation' }));

    expect(res.status).toBe(200);
  });

  it.each(SCHEME_NAMES)('accepts a %s request signed with the old secret', async (scheme) => {
    const { app, clock } = appWithClock(env(scheme));

    const res = await receive(app, body, referenceHeaders(scheme, body, { secret: OLD_SECRET, nowMs: clock.now(), id: 'evt_rotation' }));

    expect(res.status).toBe(200);
  });

  it.each(SCHEME_NAMES)('rejects a %s request signed with a third secret', async (scheme) => {
    const { app, clock } = appWithClock(env(scheme));

    const res = await receive(app, body, referenceHeaders(scheme, body, { secret: THIRD_SECRET, nowMs: clock.now(), id: 'evt_rotation' }));

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
  });
});

describe('after the old secret is removed', () => {
  it.each(SCHEME_NAMES)('rejects a %s request still signed with it', async (scheme) => {
    const { app, clock } = appWithClock(secretEnv(scheme, NEW_SECRET));

    const res = await receive(app, body, referenceHeaders(scheme, body, { secret: OLD_SECRET, nowMs: clock.now(), id: 'evt_rotation' }));

    expect(res.status).toBe(401);
  });
});
