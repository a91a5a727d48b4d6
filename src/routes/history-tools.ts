import { once } from 'node:events';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { formatCurl } from '../cli/shell';
import type { AppDeps } from '../deps';
import { ConflictError, NotFoundError } from '../errors';
import { bodyText, harEntry } from '../history/har';
import { HISTORY_PAGE_MAX_BYTES } from '../history/query';
import type { HistoryEntry } from '../history/store';
import { signatureHeaders } from '../sender/sign-headers';
import { parseInput } from './validate';

/** Entries read per page while exporting: memory stays bounded by one page, whatever the history holds. */
const EXPORT_PAGE = 100;

const exportQuery = z.object({
  format: z.enum(['ndjson', 'har'], { error: 'must be "ndjson" or "har"' }).default('ndjson'),
  event: z.string().min(1).optional(),
  status: z.enum(['accepted', 'rejected'], { error: 'must be "accepted" or "rejected"' }).optional(),
});

const curlQuery = z.object({
  mode: z.enum(['fresh', 'original'], { error: 'must be "fresh" or "original"' }).default('fresh'),
  url: z.string().regex(/^https?:\/\//i, 'must be an http(s) URL').optional(),
});

/** Writes, waiting for the socket to drain when its buffer is full (a slow client holds one page, no more). */
async function write(res: Response, text: string): Promise<void> {
  if (!res.write(text)) await once(res, 'drain');
}

/**
 * `GET /webhook/history/export?format=ndjson|har` (issue 16.5): every entry, newest first, streamed page by
 * page; and `GET /webhook/history/:id/curl?mode=fresh|original`: the request as a curl command.
 */
export function historyToolsRouter({ history, rawBodies, config, now }: AppDeps): Router {
  const router = Router();

  router.get('/webhook/history/export', async (req, res) => {
    const query = parseInput(exportQuery, req.query);
    const har = query.format === 'har';
    const receiveUrl = `${req.protocol}://${req.get('host') ?? 'localhost'}/webhook/receive`;
    res.status(200);
    res.type(har ? 'application/json' : 'application/x-ndjson');
    res.setHeader('content-disposition', `attachment; filename="webhook-history.${har ? 'har' : 'ndjson'}"`);
    if (har) await write(res, '{"log":{"version":"1.2","creator":{"name":"webhook-server","version":"1"},"entries":[\n');
    let cursor: string | undefined;
    let first = true;
    do {
      const page = await history.list({ limit: EXPORT_PAGE, cursor, eventType: query.event, status: query.status, maxBytes: HISTORY_PAGE_MAX_BYTES });
      for (const entry of page.items) {
        const line = har ? JSON.stringify(harEntry(entry, rawBodies.get(entry.id), receiveUrl)) : JSON.stringify(entry);
        await write(res, har ? `${first ? '' : ',\n'}${line}` : `${line}\n`);
        first = false;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && !res.destroyed);
    res.end(har ? '\n]}}\n' : '');
  });

  router.get('/webhook/history/:id/curl', async (req, res) => {
    const query = parseInput(curlQuery, req.query);
    const entry: HistoryEntry | undefined = await history.get(String(req.params.id));
    if (!entry) throw new NotFoundError(`No history entry with id ${JSON.stringify(req.params.id)}.`);
    const raw = rawBodies.get(entry.id);
    const url = query.url ?? `${req.protocol}://${req.get('host') ?? 'localhost'}/webhook/receive`;
    if (query.mode === 'original') {
      // As recorded: the body's bytes when kept, and the headers as the history shows them (a redacted
      // signature stays redacted, so this copy does not verify; use mode=fresh for one that does).
      const headers = Object.entries(entry.headers).filter(([name]) => name !== 'host' && name !== 'content-length');
      res.type('text/plain').send(`${formatCurl(url, { headers }, { inline: bodyText(entry, raw) })}\n`);
      return;
    }
    if (entry.status !== 'accepted' || !entry.scheme) throw new ConflictError('history.not_replayable', 'Only accepted events can be signed afresh; use mode=original for a rejected request.');
    if (!raw) throw new ConflictError('history.body_unavailable', 'The exact body of this event is no longer kept (RAW_BODY_CACHE_BYTES); it cannot be signed byte for byte.');
    const signed = signatureHeaders({
      scheme: entry.scheme,
      eventId: entry.id,
      eventType: entry.eventType ?? '',
      body: raw,
      secrets: config.schemeSecrets[entry.scheme].slice(0, 1),
      timestampSeconds: Math.floor(now() / 1000),
    });
    const headers: [string, string][] = [['content-type', entry.headers['content-type'] ?? 'application/json'], ...Object.entries(signed)];
    res.type('text/plain').send(`${formatCurl(url, { headers }, { inline: raw.toString('utf8') })}\n`);
  });

  return router;
}
