import type { Logger } from 'pino';
import type { Now } from '../clock';
import { AppError, storageError } from '../errors';
import type { HistoryFeed } from '../history/feed';
import type { RawBodyStore } from '../history/raw-body-cache';
import { redactHeaders } from '../history/redact';
import type { HistoryEntry, HistoryStore, ProcessingState } from '../history/store';
import type { Metrics } from '../metrics/metrics';
import type { Processor } from '../processing/processor';
import { replayKeys } from '../signature/replay-keys';
import type { HeaderBag, SchemeName, SignatureScheme } from '../signature/types';
import { explainSignatureFailure, type SignatureExplanation } from '../signature/explain';
import { verifyWebhook } from '../signature/verify';
import type { ResponseRule } from '../mocking/response-rules';
import { isoTime } from '../iso-time';
import { parseBody } from './parse-body';

/** Every accepted entry's verification, shared (read-only): one object fewer per webhook (issue 13). */
const VERIFIED: HistoryEntry['verification'] = Object.freeze({ ok: true, reason: null });
/** The processing state of a new event, shared likewise: stores replace it, never change it. */
const PENDING: ProcessingState = Object.freeze({ state: 'pending' });

/** Characters of a rejected request's body kept in the history: enough to debug, bounded in memory. */
export const REJECTED_PREVIEW_CHARS = 4096;

export interface IntakeDeps {
  readonly config: {
    /** Each scheme's own secrets (SPEC.md section 1); an empty list turns the scheme off. */
    readonly schemeSecrets: Readonly<Record<SchemeName, readonly string[]>>;
    readonly signatureToleranceSeconds: number;
    /** JSON nested deeper than this is refused with 400 `body.too_deep`. */
    readonly maxJsonDepth: number;
  };
  /** The history as the app sees it: its writes reach the feed (observed-store.ts). */
  readonly history: HistoryStore;
  readonly processor: Pick<Processor, 'enqueue' | 'doneAtOnce'>;
  readonly rawBodies: RawBodyStore;
  /** While it has ever had a listener (the page, FORWARD_URL), every event goes through the queue, so the
   * stream shows its processing as it happens (`received`, then `updated`). */
  readonly feed?: Pick<HistoryFeed, 'listening'>;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'received' | 'verificationFailed' | 'processed'>;
  readonly now: Now;
  readonly newId: (prefix: string) => string;
}

/** The answer to a verified webhook (SPEC.md section 1): its event id, and whether it was seen before. */
export interface IntakeAnswer {
  readonly id: string;
  readonly duplicate: boolean;
  /** The mock-response rule that answers this request instead of the usual 200 (issue 16.4). */
  readonly rule?: ResponseRule;
}

export interface Intake {
  /**
   * Verifies, classifies and stores one webhook. Resolves with the answer once the event is durable (with
   * SQLite, its batch's COMMIT); rejects with an `AppError`: 401 or 400 for a request refused (recorded as
   * rejected), 503 `storage.unavailable` when it could not be stored.
   */
  receive(headers: HeaderBag, body: Buffer, chooseResponse?: (eventType: string | null) => ResponseRule | undefined): Promise<IntakeAnswer>;
  /** Records a refused request in the history (its own bounded list), logs and counts it. */
  recordRejection(headers: HeaderBag, body: Buffer | undefined, error: AppError, scheme?: SignatureScheme, explanation?: SignatureExplanation): void;
}

/** Failures worth explaining: a mismatch, and a timestamp that may be in milliseconds. */
const EXPLAINED = new Set(['signature.mismatch', 'timestamp.out_of_tolerance']);

/** verify -> classify -> store -> answer; then processing and the raw body for replay. Knows no backend. */
export function createIntake(deps: IntakeDeps): Intake {
  const { config, history, processor, rawBodies, logger, metrics, now, newId } = deps;
  const freshId = (): string => newId('evt');
  const secretsFor = (name: SchemeName): readonly string[] => config.schemeSecrets[name];

  function recordRejection(headers: HeaderBag, body: Buffer | undefined, error: AppError, scheme?: SignatureScheme, explanation?: SignatureExplanation): void {
    const identity = scheme?.identify(headers, undefined) ?? {};
    const entry: HistoryEntry = {
      id: newId('rej'),
      receivedAt: isoTime(now()),
      eventType: identity.eventType ?? null,
      scheme: scheme?.name ?? null,
      status: 'rejected',
      verification: { ok: false, reason: error.code, message: error.message, ...(explanation && { explanation }) },
      headers: redactHeaders(headers),
      payload: body ? body.toString('utf8', 0, Math.min(body.length, REJECTED_PREVIEW_CHARS)) : null,
      sizeBytes: body?.length ?? Number(headers['content-length'] ?? 0),
      duplicates: 0,
      processing: null,
    };
    // The request is answered with its own error all the same; only the history misses it.
    history.add(entry).catch((storeError: unknown) => logger.error({ err: storeError, historyId: entry.id }, 'could not record a rejected webhook'));
    metrics.received(entry.scheme, 'rejected');
    metrics.verificationFailed(error.code);
    logger.warn(
      { historyId: entry.id, eventId: identity.eventId, eventType: entry.eventType, scheme: entry.scheme, outcome: 'rejected', reason: error.code },
      'webhook rejected',
    );
  }

  function refuse(headers: HeaderBag, body: Buffer, error: AppError, scheme: SignatureScheme | undefined, explanation?: SignatureExplanation): never {
    recordRejection(headers, body, error, scheme, explanation);
    throw error;
  }

  /** The 401 of a failed verification; a mismatch also says what was signed and the likely mistake. */
  function verificationError(headers: HeaderBag, body: Buffer, scheme: SignatureScheme | undefined, code: string, message: string, nowMs: number): [AppError, SignatureExplanation?] {
    // An out-of-tolerance timestamp is worth HMACs only when it may be in milliseconds (13 digits and more).
    const maybeMs = code !== 'timestamp.out_of_tolerance' || /\d{13}/.test(Object.values(headers).join(' '));
    if (!scheme || !EXPLAINED.has(code) || !maybeMs) return [new AppError(401, code, message)];
    const explanation = explainSignatureFailure(scheme, headers, body, { secretsFor, nowSeconds: Math.floor(nowMs / 1000) });
    if (code !== 'signature.mismatch' && !explanation.hint) return [new AppError(401, code, message)];
    const hint = explanation.hint ? ` Likely cause: ${explanation.hint}` : '';
    const detail = code === 'signature.mismatch' ? ` Signed content: ${explanation.signedContent}.${hint} Fingerprints of the configured secrets are in the history entry.` : hint;
    return [new AppError(401, code, `${message}${detail}`), explanation];
  }

  async function receive(headers: HeaderBag, body: Buffer, chooseResponse?: (eventType: string | null) => ResponseRule | undefined): Promise<IntakeAnswer> {
    const nowMs = now();
    const { scheme, result } = verifyWebhook(headers, body, {
      secretsFor,
      nowSeconds: Math.floor(nowMs / 1000),
      toleranceSeconds: config.signatureToleranceSeconds,
    });
    if (!result.ok) {
      const [error, explanation] = verificationError(headers, body, scheme, result.code, result.message, nowMs);
      refuse(headers, body, error, scheme, explanation);
    }
    const parsed = parseBody(body, headers['content-type'] as string | undefined, config.maxJsonDepth);
    if (!parsed.ok) {
      const message =
        parsed.code === 'body.too_deep'
          ? `The JSON body nests arrays and objects deeper than ${config.maxJsonDepth} levels (MAX_JSON_DEPTH).`
          : 'The body says application/json but does not parse as JSON.';
      refuse(headers, body, new AppError(400, parsed.code, message), scheme);
    }

    const identity = scheme!.identify(headers, parsed.json);
    // From what was signed and the scheme's own id namespace, never from the header's spelling (issue 11).
    const keys = replayKeys(scheme!.name, result, identity);
    // The sender's id; the store takes a fresh one instead when another scheme's entry (or a rejected one)
    // holds it, in the same atomic step as the duplicate check (history/store.ts `accept`).
    const senderId = identity.eventId ?? freshId();
    const eventType = identity.eventType ?? null;
    // Stored `done` at once when no handler would do anything and nobody watches the stream; then nothing is
    // queued (processor.ts).
    const doneAtOnce = deps.feed?.listening ? undefined : processor.doneAtOnce?.(eventType);
    // Chosen before the entry is written, so the entry says which rule answered; duplicates (a sender's
    // retries) are answered by rules too, which is what testing retries needs.
    const rule = chooseResponse?.(eventType);
    const entry: HistoryEntry = {
      id: senderId,
      receivedAt: isoTime(nowMs),
      eventType,
      scheme: scheme!.name,
      status: 'accepted',
      verification: VERIFIED,
      headers: redactHeaders(headers),
      payload: parsed.payload,
      sizeBytes: body.length,
      duplicates: 0,
      processing: doneAtOnce ?? PENDING,
      // Always present (undefined serializes to nothing): one object shape, no spread (issue 13).
      response: rule && { ruleId: rule.id, status: rule.status },
    };
    // One atomic step: the duplicate check, the entry and its keys. A store that cannot be read or written
    // answers 503 storage.unavailable: the sender retries later, and nothing of the event is kept.
    let outcome;
    try {
      outcome = await history.accept(entry, body, keys, nowMs, freshId);
    } catch (error) {
      throw storageError(error);
    }
    if (!outcome.stored) {
      metrics.received(entry.scheme, 'duplicate');
      logger.info({ eventId: outcome.duplicateOf, eventType, scheme: entry.scheme, outcome: 'duplicate' }, 'webhook duplicate');
      return { id: outcome.duplicateOf, duplicate: true, rule };
    }
    const id = outcome.id;
    rawBodies.set(id, body);
    metrics.received(entry.scheme, 'accepted');
    logger.info({ eventId: id, eventType, scheme: entry.scheme, outcome: 'accepted', sizeBytes: body.length }, 'webhook received');
    // Handlers run after the response: the processor starts them on a later turn of the event loop.
    if (doneAtOnce !== undefined) metrics.processed('done', 0);
    else processor.enqueue({ id, eventType, scheme: entry.scheme!, receivedAt: entry.receivedAt, headers: entry.headers, payload: parsed.payload, rawBody: body });
    return { id, duplicate: false, rule };
  }

  return { receive, recordRejection };
}
