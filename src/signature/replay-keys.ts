import type { EventIdentity, SchemeName, VerifyResult } from './types';

/**
 * The dedupe keys of a verified request (issue 11, SPEC.md section 1 "Replays"). Pure.
 *
 * - `<scheme>:signed:<sha256 of the signed content>`: the content the signature covers, never the spelling
 *   of the signature header. Every valid signature of a request (one per secret during a rotation) covers
 *   the same content, so this one key remembers all of them: a pair sent with `signAll` cannot come back
 *   later with one signature of the pair as a new event, nor with the hex in upper case, nor with `sha256=`
 *   dropped.
 * - `<scheme>:id:<event id>`: the sender's id. Signed for standard (webhook-id) and stripe (the body's id),
 *   unsigned for native (X-Webhook-Id) and github (X-GitHub-Delivery). Scoped to the scheme either way, so a
 *   request valid in one scheme can never claim an id of another and get that event answered as a duplicate.
 *
 * A request is a duplicate when any of its keys was seen: a retry (same id, fresh signature), an exact replay
 * (same signed content, whatever id header was added or changed).
 */
export function replayKeys(scheme: SchemeName, result: Extract<VerifyResult, { ok: true }>, identity: EventIdentity): string[] {
  const keys = [`${scheme}:signed:${result.signedContent}`];
  if (identity.eventId !== undefined) keys.push(`${scheme}:id:${identity.eventId}`);
  return keys;
}
