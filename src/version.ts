/** Kept equal to package.json's version by a test; named in the sender's User-Agent and in /healthz. */
export const VERSION = '0.1.0';
export const USER_AGENT = `webhook-server/${VERSION}`;
