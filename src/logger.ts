import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON lines with pino. By default they go to stdout through an asynchronous
 * destination (sonic-boom), so logging never blocks the receive path on a slow pipe; `flushLogger` drains
 * it before the process exits. No redaction paths: the code never hands a secret or a signature to the
 * logger (tests check every line), and pino's redaction costs on every call.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // minLength 1: every line is written at once, and flush() waits for writes in flight (with 0 it returns at
    // once, so the exit's synchronous flush could print the last lines before earlier ones).
    destination ?? pino.destination({ dest: 1, sync: false, minLength: 1 }),
  );
}

/** Writes out whatever the logger still buffers. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
