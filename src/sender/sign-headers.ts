import { GITHUB_HEADERS, signGithub } from '../signature/github';
import { NATIVE_HEADERS, signNative } from '../signature/native';
import { signStandard } from '../signature/standard';
import { STRIPE_HEADER, signStripe } from '../signature/stripe';
import type { SchemeName } from '../signature/types';

/** Every dialect can be sent (issue 16: a forward is signed in the scheme it arrived in). */
export type SendScheme = SchemeName;

export interface SignInput {
  readonly scheme: SendScheme;
  readonly eventId: string;
  readonly eventType: string;
  readonly body: Buffer;
  /** One signature per secret goes into the header: pass every active secret during a rotation. */
  readonly secrets: readonly string[];
  readonly timestampSeconds: number;
}

/**
 * The signature headers of one attempt in the chosen scheme, with the scheme's own event-type and id headers
 * (stripe has none: its id and type are in the signed body). GitHub's header holds one signature only, so it
 * signs with the first secret.
 */
export function signatureHeaders(input: SignInput): Record<string, string> {
  const { scheme, eventId, eventType, body, secrets, timestampSeconds } = input;
  if (secrets.length === 0) throw new TypeError('at least one secret is required');
  if (scheme === 'standard') {
    return {
      'webhook-id': eventId,
      'webhook-timestamp': String(timestampSeconds),
      'webhook-signature': secrets.map((s) => signStandard(s, eventId, timestampSeconds, body)).join(' '),
    };
  }
  if (scheme === 'stripe') {
    const signatures = secrets.map((s) => signStripe(s, timestampSeconds, body).slice(`t=${timestampSeconds},`.length));
    return { [STRIPE_HEADER]: `t=${timestampSeconds},${signatures.join(',')}` };
  }
  if (scheme === 'github') {
    const headers: Record<string, string> = { [GITHUB_HEADERS.delivery]: eventId, [GITHUB_HEADERS.signature]: signGithub(secrets[0]!, body) };
    if (eventType !== '') headers[GITHUB_HEADERS.event] = eventType;
    return headers;
  }
  return {
    [NATIVE_HEADERS.id]: eventId,
    [NATIVE_HEADERS.event]: eventType,
    [NATIVE_HEADERS.timestamp]: String(timestampSeconds),
    [NATIVE_HEADERS.signature]: secrets.map((s) => signNative(s, timestampSeconds, body)).join(','),
  };
}
