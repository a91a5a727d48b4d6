import type { EventIdentity } from '../signature/types';

/**
 * The dedupe keys of a verified webhook: its id when it has one, and the signature that matched, so that an
 * exact replay is a duplicate even when the sender gave no id. One small function on purpose: the derivation
 * from what was signed (issue 11) replaces it as a pure function of src/signature/.
 */
export function replayKeys(identity: EventIdentity, signature: string): string[] {
  return identity.eventId === undefined ? [`sig:${signature}`] : [`id:${identity.eventId}`, `sig:${signature}`];
}
