import { NATIVE_HEADERS, signNative } from '../signature/native';
import { signStandard } from '../signature/standard';

export type SendScheme = 'native' | 'standard';

export interface SignInput {
  readonly scheme: SendScheme;
  readonly eventId: string;
  readonly eventType: string;
  readonly body: Buffer;
  /** One signature per secret goes into the header: pass every active secret during a rotation. */
  readonly secrets: readonly string[];
  readonly timestampSeconds: number;
}

/** The signature headers of one attempt in the chosen scheme. */
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
  return {
    [NATIVE_HEADERS.id]: eventId,
    [NATIVE_HEADERS.event]: eventType,
    [NATIVE_HEADERS.timestamp]: String(timestampSeconds),
    [NATIVE_HEADERS.signature]: secrets.map((s) => signNative(s, timestampSeconds, body)).join(','),
  };
}
