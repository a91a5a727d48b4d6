import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** Runs `script` in a fresh Node process with the real stdout logger; returns its stdout lines, parsed. */
function runWithLogger(script: string): { status: number | null; lines: { msg: string }[] } {
  const out = spawnSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-e', `const { createLogger, flushLogger } = require('./src/logger');\n${script}`],
    { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
  );
  const lines = out.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { msg: string });
  return { status: out.status, lines };
}

describe('createLogger (stdout, lines written in batches)', () => {
  it('keeps the lines of the last batch when the process exits at once', () => {
    const { status, lines } = runWithLogger(`
      const logger = createLogger('info');
      for (let i = 0; i < 500; i += 1) logger.info('line ' + i);
      process.exit(0);
    `);

    expect(status).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i}`));
  });

  it('keeps every line, in order, across batches and after a flush', () => {
    const { status, lines } = runWithLogger(`
      const logger = createLogger('info');
      logger.info('first batch');
      setTimeout(() => {
        logger.info('second batch');
        void flushLogger(logger).then(() => { logger.info('after the flush'); process.exit(0); });
      }, 50);
    `);

    expect(status).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual(['first batch', 'second batch', 'after the flush']);
  });

  // After a flush, so that no write is in flight at the crash: sonic-boom cannot finish one during `exit`.
  it('keeps the lines logged just before an uncaught exception', () => {
    const { status, lines } = runWithLogger(`
      const logger = createLogger('info');
      logger.error('written before');
      void flushLogger(logger).then(() => {
        logger.error('about to fail');
        logger.error('failing now');
        throw new Error('boom');
      });
    `);

    expect(status).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual(['written before', 'about to fail', 'failing now']);
  });
});
