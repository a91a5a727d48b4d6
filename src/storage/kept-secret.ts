import type { Config } from '../config';
import type { Storage } from './storage';

/** The settings row holding a generated `WEBHOOK_SECRET`. */
export const GENERATED_SECRET_SETTING = 'generated_webhook_secret';

/**
 * With no `WEBHOOK_SECRET` configured, the first generated secret is kept in the store and used on every later
 * start, instead of a new one each time (issue 16.6): senders and forwarded-to apps keep verifying across
 * restarts. Returns the configuration signing with the kept secret, and whether it came from an earlier run.
 * A configured secret is returned as it is and never stored.
 */
export async function keepGeneratedSecret(config: Config, storage: Pick<Storage, 'keepSetting'>): Promise<{ config: Config; reused: boolean }> {
  if (!config.secretGenerated) return { config, reused: false };
  const generated = config.secrets[0]!;
  const kept = await storage.keepSetting(GENERATED_SECRET_SETTING, generated);
  if (kept === generated) return { config, reused: false };
  const secrets = [kept];
  return { config: { ...config, secrets, schemeSecrets: { ...config.schemeSecrets, native: secrets } }, reused: true };
}
