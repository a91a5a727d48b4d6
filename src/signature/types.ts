/** The signature dialects this server speaks (SPEC.md section 1). */
export type SchemeName = 'native' | 'standard' | 'stripe' | 'github';

export const SCHEME_NAMES: readonly SchemeName[] = ['native', 'standard', 'stripe', 'github'];

/** Request headers as Node gives them: lower-case names. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

export type VerifyFailureCode =
  | 'signature.mismatch'
  | 'scheme.disabled'
  | 'timestamp.missing'
  | 'timestamp.invalid'
  | 'timestamp.out_of_tolerance';

export interface VerifyOptions {
  /** This scheme's secrets, from its own variable (`SignatureScheme.secretVariable`); any one of them verifies. */
  readonly secrets: readonly string[];
  /** The server's clock, in whole seconds since the epoch. */
  readonly nowSeconds: number;
  /** How far a signed timestamp may lie from `nowSeconds`, in either direction, in seconds. */
  readonly toleranceSeconds: number;
}

export type VerifyResult =
  | {
      readonly ok: true;
      /**
       * SHA-256 (hex) of the content the signature covers (`<timestamp>.<body>`, `<id>.<timestamp>.<body>`, or
       * the body): what replay keys are made of, never the spelling of the signature header.
       */
      readonly signedContent: string;
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
  /** The environment variable holding this scheme's secrets; without one the scheme is off. */
  readonly secretVariable: string;
  /** Lower-case header names that carry this scheme's signature: their presence selects the scheme. */
  readonly signatureHeaders: readonly string[];
  /**
   * Headers beside the signature that belong to one signing (the timestamp, a signed id) or that this
   * server's sender writes itself: a replay never copies them next to its fresh signature, where a stale one
   * would fail verification or confuse detection. Event and delivery headers a receiver routes on are kept.
   */
  readonly staleHeaders: readonly string[];
  /** Whether the event id is covered by the signature (standard's webhook-id, stripe's body id). */
  readonly idSigned: boolean;
  verify(headers: HeaderBag, body: Buffer, options: VerifyOptions): VerifyResult;
  /** The event id and type, from the headers or, after verification, from the parsed JSON body. */
  identify(headers: HeaderBag, parsedBody: unknown): EventIdentity;
}
