/** A promise with its resolve exposed, to hold a handler until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** One turn of the event loop: lets queued `setImmediate` callbacks (the processor's pump) run. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Resolves once `condition` holds, checking once per event-loop turn; fails after `maxTurns` turns so a
 * test never waits forever.
 */
export async function until(condition: () => boolean, maxTurns = 10_000): Promise<void> {
  for (let turn = 0; turn < maxTurns; turn += 1) {
    if (condition()) return;
    await nextTurn();
  }
  throw new Error(`condition still false after ${maxTurns} event-loop turns`);
}

/**
 * Polls `check` every `intervalMs` until it returns a value, failing after `timeoutMs`: for what another
 * process (a spawned server, PostgreSQL) does in its own time, where counting event-loop turns cannot work.
 */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition', intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
