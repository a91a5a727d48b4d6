import request from 'supertest';
import type { HistoryEntry } from '../../src/history/store';
import { expectError, testApp, type TestApp } from '../helpers/app';
import { historyEntry } from '../helpers/history';

type Page = { items: HistoryEntry[]; nextCursor: string | null };

/** Posts accepted events e1..eN (types alternating user.created / order.paid), one second apart. */
async function receiveEvents(t: TestApp, count: number, firstIndex = 1): Promise<string[]> {
  const ids: string[] = [];
  for (let i = firstIndex; i < firstIndex + count; i += 1) {
    const id = `e${i}`;
    const res = await t.post(JSON.stringify({ n: i }), { id, event: i % 2 === 1 ? 'user.created' : 'order.paid' });
    expect(res.body).toMatchObject({ id, duplicate: false });
    ids.push(id);
    t.clock.advance(1000);
  }
  return ids;
}

async function rejectOne(t: TestApp, event = 'user.created'): Promise<void> {
  const res = await t.post('{}', { secret: 'wrong', event });
  expect(res.status).toBe(401);
  t.clock.advance(1000);
}

async function list(t: TestApp, query = ''): Promise<Page> {
  const res = await request(t.app).get(`/webhook/history${query}`);
  expect(res.status).toBe(200);
  return res.body as Page;
}

describe('GET /webhook/history', () => {
  it('answers an empty page when nothing was received', async () => {
    const t = testApp();

    expect(await list(t)).toEqual({ items: [], nextCursor: null });
  });

  it('lists accepted and rejected entries newest first', async () => {
    const t = testApp();
    await receiveEvents(t, 2);
    await rejectOne(t);
    await receiveEvents(t, 1, 3);

    const page = await list(t);

    expect(page.items.map((e) => (e.status === 'accepted' ? e.id : 'rejected'))).toEqual(['e3', 'rejected', 'e2', 'e1']);
    expect(page.nextCursor).toBeNull();
  });

  it('pages with a cursor: pages do not overlap, cover every entry, and the last has nextCursor null', async () => {
    const t = testApp();
    await receiveEvents(t, 4);
    await rejectOne(t);
    await receiveEvents(t, 3, 5);
    await rejectOne(t);
    const all = (await list(t, '?limit=500')).items.map((e) => e.id);
    expect(all).toHaveLength(9);

    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(t, `?limit=4${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 10);

    expect(pages.map((p) => p.items.length)).toEqual([4, 4, 1]);
    expect(pages.flatMap((p) => p.items.map((e) => e.id))).toEqual(all);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    expect(pages[0]!.nextCursor).toEqual(expect.any(String));
  });

  it('gives nextCursor null when the last page is exactly full', async () => {
    const t = testApp();
    await receiveEvents(t, 4);

    const first = await list(t, '?limit=2');
    const second = await list(t, `?limit=2&cursor=${first.nextCursor}`);

    expect(second.items.map((e) => e.id)).toEqual(['e2', 'e1']);
    expect(second.nextCursor).toBeNull();
  });

  it('uses a default page size of 50', async () => {
    const t = testApp();
    for (let i = 1; i <= 51; i += 1) await t.deps.history.add(historyEntry({ id: `e${i}` }));

    const page = await list(t);

    expect(page.items).toHaveLength(50);
    expect(page.nextCursor).not.toBeNull();
  });

  it('filters by ?event=', async () => {
    const t = testApp();
    await receiveEvents(t, 5);
    await rejectOne(t, 'order.paid');

    const page = await list(t, '?event=order.paid');

    expect(page.items.map((e) => e.eventType)).toEqual(['order.paid', 'order.paid', 'order.paid']);
    expect(page.items.map((e) => e.status)).toEqual(['rejected', 'accepted', 'accepted']);
  });

  it('filters by ?status=', async () => {
    const t = testApp();
    await receiveEvents(t, 2);
    await rejectOne(t);

    const accepted = await list(t, '?status=accepted');
    const rejected = await list(t, '?status=rejected');

    expect(accepted.items.map((e) => e.id)).toEqual(['e2', 'e1']);
    expect(rejected.items).toHaveLength(1);
    expect(rejected.items[0]).toMatchObject({ status: 'rejected', verification: { ok: false, reason: 'signature.mismatch' } });
  });

  it('combines ?event= and ?status= and pages within the filter', async () => {
    const t = testApp();
    await receiveEvents(t, 7);
    await rejectOne(t, 'user.created');

    const first = await list(t, '?event=user.created&status=accepted&limit=3');
    const second = await list(t, `?event=user.created&status=accepted&limit=3&cursor=${first.nextCursor}`);

    expect(first.items.map((e) => e.id)).toEqual(['e7', 'e5', 'e3']);
    expect(second).toEqual({ items: [expect.objectContaining({ id: 'e1' })], nextCursor: null });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['status=bogus', 'status'],
    ['cursor=garbage', 'cursor'],
  ])('rejects ?%s with 400 request.invalid naming the field', async (query, field) => {
    const t = testApp();

    const res = await request(t.app).get(`/webhook/history?${query}`);

    expectError(res, 400, 'request.invalid');
    expect((res.body as { error: { message: string } }).error.message).toContain(field);
  });

  it('accepts the largest page size, 500', async () => {
    const t = testApp();

    expect((await request(t.app).get('/webhook/history?limit=500')).status).toBe(200);
  });

  it('keeps at most HISTORY_LIMIT accepted entries, evicting the oldest first', async () => {
    const t = testApp({ env: { HISTORY_LIMIT: '3' } });
    await receiveEvents(t, 5);

    const page = await list(t);

    expect(page.items.map((e) => e.id)).toEqual(['e5', 'e4', 'e3']);
    expectError(await request(t.app).get('/webhook/history/e1'), 404, 'not_found');
    expectError(await request(t.app).get('/webhook/history/e2'), 404, 'not_found');
    expect((await request(t.app).get('/webhook/history/e3')).status).toBe(200);
  });

  it('filters by event type correctly after eviction', async () => {
    const t = testApp({ env: { HISTORY_LIMIT: '3' } });
    await receiveEvents(t, 5);

    const page = await list(t, '?event=user.created');

    expect(page.items.map((e) => e.id)).toEqual(['e5', 'e3']);
  });
});

describe('GET /webhook/history/:id', () => {
  it('answers one entry', async () => {
    const t = testApp();
    await receiveEvents(t, 1);

    const res = await request(t.app).get('/webhook/history/e1');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'e1', status: 'accepted', payload: { n: 1 } });
  });

  it('answers 404 not_found for an unknown id', async () => {
    const t = testApp();

    expectError(await request(t.app).get('/webhook/history/nope'), 404, 'not_found');
  });
});

describe('DELETE /webhook/history', () => {
  it('clears every entry and says how many it cleared', async () => {
    const t = testApp();
    await receiveEvents(t, 2);
    await rejectOne(t);

    const res = await request(t.app).delete('/webhook/history');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cleared: { accepted: 2, rejected: 1 } });
    expect(await list(t)).toEqual({ items: [], nextCursor: null });
    expectError(await request(t.app).get('/webhook/history/e1'), 404, 'not_found');
  });

  it('keeps recording after a clear', async () => {
    const t = testApp();
    await receiveEvents(t, 1);
    await request(t.app).delete('/webhook/history');

    await receiveEvents(t, 1, 2);

    expect((await list(t)).items.map((e) => e.id)).toEqual(['e2']);
  });
});

describe('unknown routes', () => {
  it.each([
    ['get', '/nothing-here'],
    ['post', '/webhook/nothing'],
    ['put', '/webhook/history'],
  ] as const)('answers %s %s with 404 not_found as JSON', async (method, path) => {
    const t = testApp();

    expectError(await request(t.app)[method](path), 404, 'not_found');
  });
});

describe('GET /webhook/history: event filters and page size', () => {
  it('matches every type under a prefix with ?event=prefix.*, and a plain value exactly', async () => {
    const t = testApp();
    for (const [id, event] of [['i1', 'invoice.paid'], ['o1', 'order.paid'], ['i2', 'invoice.payment.failed'], ['i0', 'invoice']] as const) {
      expect((await t.post(JSON.stringify({ id }), { id, event })).body).toMatchObject({ id, duplicate: false });
    }

    expect((await list(t, '?event=invoice.*')).items.map((e) => e.id)).toEqual(['i2', 'i1']);
    expect((await list(t, '?event=invoice')).items.map((e) => e.id)).toEqual(['i0']);
    expect((await list(t, '?event=invoice.*&limit=1')).nextCursor).not.toBeNull();
  });

  it('stops a page before it passes HISTORY_PAGE_MAX_BYTES of entries, and gives the cursor to the rest', async () => {
    const t = testApp();
    // Entries that say they hold 3 MiB bodies: two of them pass the 4 MiB a page may hold.
    for (const id of ['big1', 'big2', 'big3']) await t.deps.history.add(historyEntry({ id, sizeBytes: 3 * 1024 * 1024 }));

    const first = await list(t, '?limit=50');
    expect(first.items.map((e) => e.id)).toEqual(['big3']);
    const rest = await list(t, `?limit=50&cursor=${first.nextCursor}`);
    expect(rest.items.map((e) => e.id)).toEqual(['big2']);
    expect(rest.nextCursor).not.toBeNull();
  });
});
