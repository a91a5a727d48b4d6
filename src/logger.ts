import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

/** Where log lines go: a stream with `write`, and `flush` when it buffers. */
export interface FlushableDestination extends DestinationStream {
  flush?(cb: (error?: Error) => void): void;
}

/** stdout through an asynchronous destination (sonic-boom): logging never blocks the receive path on a slow pipe. */
function stdoutDestination(): FlushableDestination {
  // minLength 1: every line is written at once, and flush() waits for writes in flight (with 0 it returns at
  // once, so the exit's synchronous flush could print the last lines before earlier ones).
  return pino.destination({ dest: 1, sync: false, minLength: 1 });
}

/**
 * Structured JSON lines with pino. By default they go to stdout (see `stdoutDestination`); `flushLogger`
 * drains it before the process exits. No redaction paths: the code never hands a secret or a signature to the
 * logger (tests check every line), and pino's redaction costs on every call.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? stdoutDestination(),
  );
}

/**
 * `LOG_FORMAT=pretty`: each JSON line turned into a readable, coloured one (pino-pretty) for a terminal.
 * Formatted in this process, line by line, rather than in a pino transport (a worker thread), so the same
 * asynchronous stdout and its `flush` at shutdown keep the last lines.
 */
export function prettyDestination(out: FlushableDestination = stdoutDestination(), options: { colorize?: boolean } = {}): FlushableDestination {
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
