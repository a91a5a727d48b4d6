import { writeSync } from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { isoTime } from './iso-time';
import { BatchedLines } from './log-batch';

/** Where log lines go: a stream with `write`, and `flush` when it buffers. */
export interface FlushableDestination extends DestinationStream {
  flush?(cb: (error?: Error) => void): void;
}

/**
 * Structured JSON lines with pino. By default they go to stdout through an asynchronous
 * destination (sonic-boom), so logging never blocks the receive path on a slow pipe, in one write per
 * 10 ms at most (log-batch.ts); `flushLogger` drains it before the process exits, and the lines still
 * waiting are written synchronously on `exit` (a crash, `process.exit`). No redaction paths: the code never
 * hands a secret or a signature to the logger (tests check every line), and pino's redaction costs on every call.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      // pino.stdTimeFunctions.isoTime, with the string shared by the lines of one millisecond.
      timestamp: () => `,"time":"${isoTime(Date.now())}"`,
    },
    destination ?? stdoutInBatches(),
  );
}

function stdoutInBatches(): BatchedLines {
  // minLength 1: every batch is written at once, and flush() waits for writes in flight (with 0 it returns at
  // once, so the exit's synchronous flush could print the last lines before earlier ones).
  const sonic = pino.destination({ dest: 1, sync: false, minLength: 1 });
  const batched = new BatchedLines(sonic, (data) => writeSync(1, data));
  // Registered after pino's exit handler for sonic-boom (pino.destination registers it), so it runs after it.
  process.once('exit', () => {
    try {
      batched.flushSync();
    } catch {
      // stdout is gone (EPIPE, closed): there is nowhere left to write, and exiting must not fail on it
    }
  });
  return batched;
}

/**
 * `LOG_FORMAT=pretty`: each JSON line turned into a readable, coloured one (pino-pretty) for a terminal.
 * Formatted in this process, line by line, rather than in a pino transport (a worker thread), so the same
 * batched stdout and its `flush` at shutdown keep the last lines.
 */
export function prettyDestination(out: FlushableDestination = stdoutInBatches(), options: { colorize?: boolean } = {}): FlushableDestination {
  const prettify = prettyFactory({ translateTime: 'SYS:HH:MM:ss.l', ...options });
  return {
    write: (line: string) => out.write(prettify(line)),
    flush: (cb) => (out.flush ? out.flush(cb) : cb()),
  };
}

/** Writes out whatever the logger still buffers. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
