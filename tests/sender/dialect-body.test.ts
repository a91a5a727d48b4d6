import { dialectBody, reshapeBody } from '../../src/sender/dialect-body';

const CREATED_AT = '2026-11-29T12:00:00.000Z';
const payload = { invoice: 7, lines: [{ sku: 'é-1', qty: 2 }], note: null, big: 1e21 };
const bodyIn = (scheme: 'native' | 'standard'): Buffer =>
  Buffer.from(JSON.stringify(dialectBody({ scheme, eventId: 'evt_1', eventType: 'invoice.paid', payload, createdAt: CREATED_AT })));
const reshape = (body: Buffer, from: 'native' | 'standard', to: 'native' | 'standard'): Buffer =>
  reshapeBody(body, { from, to, eventType: 'invoice.paid', createdAt: CREATED_AT });

describe('reshapeBody (an endpoint whose scheme was changed after the event was posted)', () => {
  it('wraps a native body in the exact envelope the standard scheme would have sent', () => {
    expect(reshape(bodyIn('native'), 'native', 'standard').toString()).toBe(bodyIn('standard').toString());
  });

  it('takes the payload out of a standard envelope, as the native scheme would have sent it', () => {
    expect(reshape(bodyIn('standard'), 'standard', 'native').toString()).toBe(bodyIn('native').toString());
  });

  it('leaves a body alone when the scheme is the same, or when it is not an envelope', () => {
    const body = bodyIn('native');
    expect(reshape(body, 'native', 'native')).toBe(body);
    const notJson = Buffer.from('not json');
    expect(reshape(notJson, 'standard', 'native')).toBe(notJson);
    const noData = Buffer.from('{"type":"x"}');
    expect(reshape(noData, 'standard', 'native')).toBe(noData);
  });
});
