/** The signature dialects this server speaks (SPEC.md section 1). */
export type SchemeName = 'native' | 'standard' | 'stripe' | 'github';

export const SCHEME_NAMES: readonly SchemeName[] = ['native', 'standard', 'stripe', 'github'];

/** Request headers as Node gives them: lower-case names. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

export type VerifyFailureCode =
  | 'signature.mismatch'
  | 'timestamp.missing'
  | 'timestamp.invalid'
  | 'timestamp.out_of_tolerance';

export interface VerifyOptions {
  /** Every configured secret, as written in `WEBHOOK_SECRET`; any one of them verifies. */
  readonly secrets: readonly string[];
  /** The server's clock, in whole seconds since the epoch. */
  readonly nowSeconds: number;
  /** How far a signed timestamp may lie from `nowSeconds`, in either direction, in seconds. */
  readonly toleranceSeconds: number;
}

export type VerifyResult =
  | {
      readonly ok: true;
      /** The signature value that matched: the key for exact-replay detection. Never logged or stored. */
      readonly signature: string;
      /** The signed timestamp in seconds, for schemes that carry one. */
      readonly timestamp?: number;
    }
  | { readonly ok: false; readonly code: VerifyFailureCode; readonly message: string };

/** What the headers (and, for some schemes, the parsed body) say about the event. */
export interface EventIdentity {
  readonly eventId?: string;
  readonly eventType?: string;
}

/**
 * One signature dialect. Each lives in its own file; `detect.ts` picks the first whose signature header is
 * present. Everything here is pure: raw bytes and headers in, a result out.
 */
export interface SignatureScheme {
  readonly name: SchemeName;
  /** Lower-case header names that carry this scheme's signature: their presence selects the scheme. */
  readonly signatureHeaders: readonly string[];
  verify(headers: HeaderBag, body: Buffer, options: VerifyOptions): VerifyResult;
  /** The event id and type, from the headers or, after verification, from the parsed JSON body. */
  identify(headers: HeaderBag, parsedBody: unknown): EventIdentity;
}
