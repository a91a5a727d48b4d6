import { ConfigError } from '../../src/config';
import { start } from '../../src/server';
import { PostgresOpenError } from '../../src/storage/postgres/database';
import { memoryLogger } from '../helpers/deps';
import { freePort } from '../helpers/net';

describe('start-up with STORE=postgres', () => {
  const base = { WEBHOOK_SECRET: 'test-secret', PORT: '0', HOST: '127.0.0.1' };

  it('stops with a message naming what failed when nothing listens at DATABASE_URL, without the password', async () => {
    const port = await freePort();
    const error = await start({ ...base, STORE: 'postgres', DATABASE_URL: `postgres://app:pw-not-shown@127.0.0.1:${port}/webhooks` }, { logger: memoryLogger().logger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PostgresOpenError);
    expect((error as Error).message).toMatch(new RegExp(`DATABASE_URL\\): nothing accepts connections at 127\\.0\\.0\\.1:${port}`));
    expect((error as Error).message).not.toContain('pw-not-shown');
  });

  it('refuses STORE=postgres without DATABASE_URL, naming the variable', async () => {
    const error = await start({ ...base, STORE: 'postgres' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^DATABASE_URL is required when STORE=postgres/)]);
  });
});
