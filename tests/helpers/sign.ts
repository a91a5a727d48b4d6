import { createHmac } from 'node:crypto';
import { TEST_SECRET } from './deps';

/** Headers for a native-scheme request signed at `nowMs`. */
export function nativeHeaders(
  body: string | Buffer,
  options: { nowMs: number; secret?: string; event?: string; id?: string; timestamp?: number | string },
): Record<string, string> {
  const timestamp = options.timestamp ?? Math.floor(options.nowMs / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-webhook-timestamp': String(timestamp),
    'x-webhook-event': options.event ?? 'user.created',
    // Signed with node:crypto directly, independent of the code under test (and of its argument checks).
    'x-webhook-signature': `sha256=${createHmac('sha256', options.secret ?? TEST_SECRET).update(`${timestamp}.`).update(body).digest('hex')}`,
  };
  if (options.id !== undefined) headers['x-webhook-id'] = options.id;
  return headers;
}
