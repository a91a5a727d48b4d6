import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals a per-request signing secret before it is written to disk: AES-256-GCM under a key derived (HKDF-SHA256)
 * from the first configured `WEBHOOK_SECRET`. A copy of the database alone (a backup, a stray file) does not
 * reveal it; whoever also has `WEBHOOK_SECRET` can sign as the server anyway. Format: version (1 byte),
 * IV (12), tag (16), ciphertext.
 */
const VERSION = 1;
const SALT = 'webhook-server/delivery-secret';

function keyFor(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), SALT, 'v1', 32));
}

export function sealSecret(plain: string, keySecrets: readonly string[]): Buffer {
  const keySecret = keySecrets[0];
  if (keySecret === undefined) throw new TypeError('at least one key secret is required');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(keySecret), iv);
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}

/** The sealed secret, trying every configured secret (one may have rotated in since); undefined if none opens it. */
export function openSealed(sealed: Buffer, keySecrets: readonly string[]): string | undefined {
  if (sealed.length < 29 || sealed[0] !== VERSION) return undefined;
  const iv = sealed.subarray(1, 13);
  const tag = sealed.subarray(13, 29);
  const ciphertext = sealed.subarray(29);
  for (const keySecret of keySecrets) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyFor(keySecret), iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // not this key
    }
  }
  return undefined;
}
