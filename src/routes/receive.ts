import bodyParser from 'body-parser';
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import type { AppDeps } from '../deps';
import { AppError } from '../errors';
import type { HistoryEntry } from '../history/store';
import { redactHeaders } from '../history/redact';
import { toAppError } from '../middleware/error-handler';
import { guardStorage, storageError } from '../storage/errors';
import { exceedsJsonDepth } from '../intake/json-depth';
import { replayKeys } from '../signature/replay-keys';
import type { SignatureScheme } from '../signature/types';
import { verifyWebhook } from '../signature/verify';

/** Characters of a rejected request's body kept in the history: enough to debug, bounded in memory. */
const REJECTED_PREVIEW_CHARS = 4096;

function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

type ParsedBody = { ok: true; payload: unknown; json: unknown } | { ok: false; code: 'body.invalid_json' | 'body.too_deep' };

/**
 * The body for the history and for handlers: parsed when the request says JSON (and then it must parse, and
 * nest no deeper than `maxDepth`), otherwise the text. A body without a Content-Type that happens to be JSON
 * is parsed too, unless it is too deep: then it is kept as text.
 */
function parseBody(body: Buffer, contentType: string | undefined, maxDepth: number): ParsedBody {
  const text = body.toString('utf8');
  if (isJsonType(contentType)) {
    if (exceedsJsonDepth(body, maxDepth)) return { ok: false, code: 'body.too_deep' };
    try {
      const json: unknown = JSON.parse(text);
      return { ok: true, payload: json, json };
    } catch {
      return { ok: false, code: 'body.invalid_json' };
    }
  }
  if (contentType === undefined && text !== '' && !exceedsJsonDepth(body, maxDepth)) {
    try {
      const json: unknown = JSON.parse(text);
      return { ok: true, payload: json, json };
    } catch {
      // not JSON: kept as text
    }
  }
  return { ok: true, payload: text, json: undefined };
}

export function receiveRouter(deps: AppDeps): Router {
  const { config, history, dedupe, processor, logger, now, newId, metrics, storage } = deps;
  const router = Router();

  function recordRejection(req: Request, body: Buffer | undefined, error: AppError, scheme: SignatureScheme | undefined): void {
    const headers = redactHeaders(req.headers);
    const identity = scheme?.identify(req.headers, undefined) ?? {};
    const entry: HistoryEntry = {
      id: newId('rej'),
      receivedAt: new Date(now()).toISOString(),
      eventType: identity.eventType ?? null,
      scheme: scheme?.name ?? null,
      status: 'rejected',
      verification: { ok: false, reason: error.code, message: error.message },
      headers,
      payload: body ? body.toString('utf8', 0, Math.min(body.length, REJECTED_PREVIEW_CHARS)) : null,
      sizeBytes: body?.length ?? Number(req.headers['content-length'] ?? 0),
      duplicates: 0,
      processing: null,
    };
    try {
      history.add(entry);
    } catch (storeError) {
      // The request is answered with its own error all the same; only the history misses it.
      logger.error({ err: storeError, historyId: entry.id }, 'could not record a rejected webhook');
    }
    metrics.received(entry.scheme, 'rejected');
    metrics.verificationFailed(error.code);
    logger.warn(
      { historyId: entry.id, eventId: identity.eventId, eventType: entry.eventType, scheme: entry.scheme, outcome: 'rejected', reason: error.code },
      'webhook rejected',
    );
  }

  // Returns a promise only when the answer waits for a group commit (STORE=sqlite); Express 5 forwards its
  // rejection to the error handler. With STORE=memory it answers synchronously, as before.
  const receive = (req: Request, res: Response): Promise<void> | undefined => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const nowMs = now();
    const { scheme, result } = verifyWebhook(req.headers, body, {
      secretsFor: (name) => config.schemeSecrets[name],
      nowSeconds: Math.floor(nowMs / 1000),
      toleranceSeconds: config.signatureToleranceSeconds,
    });
    if (!result.ok) {
      const error = new AppError(401, result.code, result.message);
      recordRejection(req, body, error, scheme);
      throw error;
    }

    const parsed = parseBody(body, req.headers['content-type'], config.maxJsonDepth);
    if (!parsed.ok) {
      const error =
        parsed.code === 'body.too_deep'
          ? new AppError(400, parsed.code, `The JSON body nests arrays and objects deeper than ${config.maxJsonDepth} levels (MAX_JSON_DEPTH).`)
          : new AppError(400, parsed.code, 'The body says application/json but does not parse as JSON.');
      recordRejection(req, body, error, scheme);
      throw error;
    }

    const identity = scheme!.identify(req.headers, parsed.json);
    const eventType = identity.eventType ?? null;
    // From what was signed and the scheme's own id namespace, never from the header's spelling (replay-keys.ts).
    const keys = replayKeys(scheme!.name, result, identity);
    // A store that cannot be read or written answers 503 storage.unavailable: the sender retries later. An
    // entry holding this id counts as the original only when it is an accepted event of the same scheme.
    // Read only when the dedupe store has not answered, as before: a duplicate costs no extra history read.
    let holder: HistoryEntry | undefined;
    const seenId = guardStorage(() => {
      const seen = dedupe.lookup(keys, nowMs);
      if (seen !== undefined || identity.eventId === undefined) return seen;
      holder = history.get(identity.eventId);
      return holder?.status === 'accepted' && holder.scheme === scheme!.name ? holder.id : undefined;
    });
    if (seenId !== undefined) {
      const countDuplicate = (): void => {
        try {
          history.recordDuplicate(seenId);
        } catch (storeError) {
          // The event itself is stored: the duplicate is still answered as one, only its count is off.
          logger.error({ err: storeError, eventId: seenId }, 'could not count a duplicate');
        }
      };
      const answerDuplicate = (): void => {
        metrics.received(scheme!.name, 'duplicate');
        logger.info({ eventId: seenId, eventType, scheme: scheme!.name, outcome: 'duplicate' }, 'webhook duplicate');
        res.status(200).json({ received: true, id: seenId, duplicate: true });
      };
      // With SQLite the original may still be in the open batch (the lookup reads uncommitted rows): a 200 that
      // tells the sender to stop retrying waits for that batch's COMMIT, and is a 503 if it fails.
      const counted = guardStorage(() => storage.commit(countDuplicate));
      if (counted instanceof Promise) return counted.then(answerDuplicate, (error: unknown) => Promise.reject(storageError(error)));
      answerDuplicate();
      return;
    }

    // The sender's id names the entry unless an entry of another scheme (or a rejected one) holds it already:
    // then a fresh id, so neither suppresses the other, and the answer's id still finds this entry. The
    // sender's id stays in the entry's headers or payload (docs/security.md).
    const id = identity.eventId !== undefined && holder === undefined ? identity.eventId : newId('evt');
    const receivedAt = new Date(nowMs).toISOString();
    const headers = redactHeaders(req.headers);
    deps.rawBodies.set(id, body); // before add: the feed's listeners (FORWARD_URL) read it when the entry is published
    const entry: HistoryEntry = {
      id,
      receivedAt,
      eventType,
      scheme: scheme!.name,
      status: 'accepted',
      verification: { ok: true, reason: null },
      headers,
      payload: parsed.payload,
      sizeBytes: body.length,
      duplicates: 0,
      processing: { state: 'pending' },
    };
    const accept = (): void => {
      metrics.received(scheme!.name, 'accepted');
      logger.info({ eventId: id, eventType, scheme: scheme!.name, outcome: 'accepted', sizeBytes: body.length }, 'webhook received');
      res.status(200).json({ received: true, id, duplicate: false });
      processor.enqueue({ id, eventType, scheme: scheme!.name, receivedAt, headers, payload: parsed.payload, rawBody: body });
    };
    // The entry and its dedupe keys as one unit. Memory: done on return, answered at once. SQLite: the 200
    // (and processing) wait for the group commit holding this unit, one fsync shared by every request of the
    // turn; if the unit or that commit fails, 503 and nothing of it is kept.
    // A unit that is not stored takes its raw body back out of the replay cache.
    const forgetBody = (error: unknown): never => {
      deps.rawBodies.delete(id);
      throw error;
    };
    let stored: void | Promise<void>;
    try {
      stored = guardStorage(() =>
        storage.commit(() => {
          history.add(entry, body);
          dedupe.remember(keys, id, nowMs);
        }),
      );
    } catch (error) {
      return forgetBody(error);
    }
    if (stored instanceof Promise) return stored.then(accept, (error: unknown) => forgetBody(storageError(error)));
    accept();
  };

  // A body that could not be read (too large, aborted, bad encoding) is recorded as rejected too, so the
  // history shows why a webhook never arrived; the error handler then answers it.
  const recordBodyError: ErrorRequestHandler = (error, req, _res, next) => {
    if (error instanceof AppError) {
      next(error); // thrown by the handler, which has recorded it already
      return;
    }
    const appError = toAppError(error, config.maxBodyBytes);
    if (appError.status < 500 && appError.code !== 'request.aborted') {
      recordRejection(req, undefined, appError, undefined);
    }
    next(appError);
  };

  // No JSON parser runs before verification: the signature covers the raw bytes, whatever their type.
  router.post(
    '/webhook/receive',
    bodyParser.raw({ type: () => true, limit: config.maxBodyBytes }),
    receive,
  );
  router.use('/webhook/receive', recordBodyError);
  return router;
}
