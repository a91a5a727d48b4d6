import { signNative } from '../../src/signature/native';
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
    'x-webhook-signature': signNative(options.secret ?? TEST_SECRET, timestamp, body),
  };
  if (options.id !== undefined) headers['x-webhook-id'] = options.id;
  return headers;
}
