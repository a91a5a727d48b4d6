import request from 'supertest';
import { createApp } from '../../src/app';
import { HandlerRegistry } from '../../src/processing/registry';
import { fakeClock, makeDeps } from '../helpers/deps';
import { nativeHeaders } from '../helpers/sign';

/**
 * A native request without X-Webhook-Event is accepted and recorded without a type (docs/signatures.md says why:
 * SPEC.md defines no error for it, and the header is not signed). Only the catch-all handlers run for it.
 */
describe('a native webhook without X-Webhook-Event', () => {
  it('is accepted, recorded with eventType null, and reaches only the catch-all handlers', async () => {
    const clock = fakeClock();
    const ran: string[] = [];
    const registry = new HandlerRegistry()
      .on('user.created', () => {
        ran.push('typed');
      })
      .onAny(() => {
        ran.push('any');
      });
    const deps = makeDeps({ now: clock.now, registry });
    const app = createApp(deps);
    const body = '{"userId":"123"}';
    const headers = nativeHeaders(body, { nowMs: clock.now(), id: 'evt_untyped' });
    delete headers['x-webhook-event'];

    const res = await request(app).post('/webhook/receive').set(headers).send(body);
    await deps.processor.onIdle();

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, id: 'evt_untyped', duplicate: false });
    expect(await deps.history.get('evt_untyped')).toMatchObject({ eventType: null, status: 'accepted', processing: { state: 'done' } });
    expect(ran).toEqual(['any']);
  });
});
