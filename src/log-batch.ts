/** Where a batch of log lines goes: sonic-boom (`pino.destination`) has all three. */
export interface LineSink {
  write(data: string): unknown;
  /** Calls back once everything written so far is out (sonic-boom: after the writes in flight). */
  flush(callback: (error?: Error) => void): void;
  /** Writes out whatever the sink still holds, synchronously: for the process's `exit` event. */
  flushSync(): void;
}

/** How long a line may wait for others to share its write, in ms: invisible to a person reading the log. */
export const LOG_BATCH_WINDOW_MS = 10;
/** Characters that are handed over at once, whatever the window: bounds the memory a burst can hold. */
export const LOG_BATCH_MAX_CHARS = 64 * 1024;

/**
 * Log lines gathered for a few milliseconds and handed to the sink as one write.
 *
 * Why: sonic-boom starts an `fs.write` (a thread-pool round trip and a callback on the main thread) for a
 * line whenever no write is in flight, which at a few thousand webhooks a second is nearly always, and it
 * measures its pending buffer's byte length on every line. Profiled under the receive load (issue 13): the
 * log line cost about 28 µs of CPU per webhook, two thirds of it in that write and its callback. Gathering
 * per event-loop turn was not enough: under that load a turn answers one or two requests, and the write
 * still cost 8 µs per webhook; a 10 ms window shares it among dozens.
 *
 * Nothing is lost: `flush` hands the pending lines over before it waits for the sink, and `flushSync` (the
 * process's `exit` event, after a crash or `process.exit`) writes them synchronously after whatever the sink
 * still held, so the order of lines is kept.
 */
export class BatchedLines {
  private lines: string[] = [];
  private chars = 0;
  private scheduled = false;

  /**
   * @param sink receives one string per batch (the lines joined, each ends with its newline)
   * @param writeSync writes a string synchronously (to the sink's file descriptor), for `flushSync`
   * @param schedule runs a function once the batch's window is over; by default an unref'd timer of
   *   LOG_BATCH_WINDOW_MS (it never keeps the process alive: `exit` writes what is left)
   */
  constructor(
    private readonly sink: LineSink,
    private readonly writeSync: (data: string) => void,
    private readonly schedule: (run: () => void) => void = (run) => setTimeout(run, LOG_BATCH_WINDOW_MS).unref(),
  ) {}

  /** pino calls this with one serialized line. */
  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= LOG_BATCH_MAX_CHARS) {
      this.handOver();
    } else if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.handOverScheduled);
    }
  }

  /** Hands the pending lines over, then calls back once the sink has written everything. */
  flush(callback: (error?: Error) => void): void {
    this.handOver();
    this.sink.flush(callback);
  }

  /** For the process's `exit` event: the sink's own pending lines first, then this batch's. */
  flushSync(): void {
    this.sink.flushSync();
    const batch = this.take();
    if (batch !== undefined) this.writeSync(batch);
  }

  private readonly handOverScheduled = (): void => {
    this.scheduled = false;
    this.handOver();
  };

  private handOver(): void {
    const batch = this.take();
    if (batch !== undefined) this.sink.write(batch);
  }

  private take(): string | undefined {
    if (this.lines.length === 0) return undefined;
    const batch = this.lines.length === 1 ? this.lines[0] : this.lines.join('');
    this.lines = [];
    this.chars = 0;
    return batch;
  }
}
