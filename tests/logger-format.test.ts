import { createLogger, flushLogger, prettyDestination, type FlushableDestination } from '../src/logger';
import { loadConfig } from '../src/config';

function collecting(): FlushableDestination & { text: () => string; flushes: number } {
  const chunks: string[] = [];
  return {
    flushes: 0,
    write(chunk: string) {
      chunks.push(chunk);
    },
    flush(cb) {
      this.flushes += 1;
      cb();
    },
    text: () => chunks.join(''),
  };
}

describe('LOG_FORMAT', () => {
  it('is json by default and accepts pretty', () => {
    expect(loadConfig({ WEBHOOK_SECRET: 's' }).logFormat).toBe('json');
    expect(loadConfig({ WEBHOOK_SECRET: 's', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  });

  it('refuses another value, naming the variable', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET: 's', LOG_FORMAT: 'yaml' })).toThrow('LOG_FORMAT must be one of json, pretty (got "yaml")');
  });
});

describe('prettyDestination', () => {
  it('turns each JSON line into a readable one with the level, message and fields', () => {
    const out = collecting();
    const logger = createLogger('info', prettyDestination(out, { colorize: false }));
    logger.warn({ deliveryId: 'dlv_1', statusCode: 503 }, 'webhook delivery attempt failed');

    const text = out.text();
    expect(text).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN: webhook delivery attempt failed\n/);
    expect(text).toContain('deliveryId: "dlv_1"');
    expect(text).toContain('statusCode: 503');
    expect(text).not.toContain('{"level"');
  });

  it('passes the logger flush through to the destination it writes to', async () => {
    const out = collecting();
    const logger = createLogger('info', prettyDestination(out, { colorize: false }));
    logger.info('stopped');
    await flushLogger(logger);

    expect(out.flushes).toBe(1);
    expect(out.text()).toContain('INFO: stopped');
  });
});
