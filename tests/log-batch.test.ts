import pino from 'pino';
import { BatchedLines, LOG_BATCH_MAX_CHARS, type LineSink } from '../src/log-batch';

/** A sink that records each write, and a scheduler the test runs by hand: one batch window per call to endWindow. */
function fixture() {
  const writes: string[] = [];
  const events: string[] = [];
  let pendingFlush: ((error?: Error) => void) | undefined;
  const sink: LineSink = {
    write: (data) => {
      writes.push(data);
      events.push(`write:${data}`);
    },
    flush: (callback) => {
      events.push('flush');
      pendingFlush = callback;
    },
    flushSync: () => {
      events.push('flushSync');
    },
  };
  const scheduled: (() => void)[] = [];
  const syncWrites: string[] = [];
  const lines = new BatchedLines(sink, (data) => syncWrites.push(data), (run) => scheduled.push(run));
  const endWindow = (): void => {
    for (const run of scheduled.splice(0)) run();
  };
  return { lines, writes, events, syncWrites, endWindow, scheduled, finishFlush: () => pendingFlush?.() };
}

describe('BatchedLines', () => {
  it('hands the lines of one window to the sink as one write, in order', () => {
    const { lines, writes, endWindow } = fixture();

    lines.write('a\n');
    lines.write('b\n');
    lines.write('c\n');
    expect(writes).toEqual([]);
    endWindow();

    expect(writes).toEqual(['a\nb\nc\n']);
  });

  it('schedules one hand-over per window, and a new one for the next', () => {
    const { lines, writes, endWindow, scheduled } = fixture();

    lines.write('a\n');
    lines.write('b\n');
    expect(scheduled).toHaveLength(1);
    endWindow();
    lines.write('c\n');
    endWindow();

    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it('hands a batch over at once when it reaches the size bound, without waiting for the window', () => {
    const { lines, writes, endWindow } = fixture();
    const line = `${'x'.repeat(1023)}\n`;
    const perBatch = LOG_BATCH_MAX_CHARS / line.length;

    for (let i = 0; i < perBatch + 1; i += 1) lines.write(line);
    expect(writes).toEqual([line.repeat(perBatch)]);
    endWindow();

    expect(writes).toEqual([line.repeat(perBatch), line]);
  });

  it('hands pending lines over before waiting for the sink on flush', () => {
    const { lines, events, finishFlush } = fixture();
    const flushed = jest.fn();

    lines.write('last\n');
    lines.flush(flushed);

    expect(events).toEqual(['write:last\n', 'flush']);
    expect(flushed).not.toHaveBeenCalled();
    finishFlush();
    expect(flushed).toHaveBeenCalledTimes(1);
  });

  it('writes the pending lines synchronously after the sink’s own on flushSync, and not twice', () => {
    const { lines, events, syncWrites, endWindow, writes } = fixture();

    lines.write('x\n');
    lines.write('y\n');
    lines.flushSync();
    endWindow();

    expect(events).toEqual(['flushSync']);
    expect(syncWrites).toEqual(['x\ny\n']);
    expect(writes).toEqual([]);
  });

  it('serves as a pino destination: every line arrives whole, as JSON', () => {
    const { lines, writes, endWindow } = fixture();
    const logger = pino({ base: undefined, timestamp: false }, lines);

    logger.info({ eventId: 'evt_1' }, 'webhook received');
    logger.warn({ eventId: 'evt_2' }, 'webhook rejected');
    endWindow();

    expect(writes).toHaveLength(1);
    expect(writes[0]!.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      { level: 30, eventId: 'evt_1', msg: 'webhook received' },
      { level: 40, eventId: 'evt_2', msg: 'webhook rejected' },
    ]);
  });
});
