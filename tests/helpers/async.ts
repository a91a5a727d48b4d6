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
