import type { Timers } from '../../src/clock';

/**
 * Timers that fire only when the test moves time with `advance`, which also moves `clock`: a timeout is
 * tested at its exact instant, with no real wait.
 */
export function fakeTimers(clock: { now: () => number; set: (ms: number) => void }): Timers & { advance(ms: number): void; readonly pending: number } {
  const timers = new Map<number, { atMs: number; callback: () => void }>();
  let nextId = 1;
  return {
    setTimeout(callback, ms) {
      const id = nextId;
      nextId += 1;
      timers.set(id, { atMs: clock.now() + ms, callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    /** Moves the clock by `ms`, firing every timer due on the way, in order of due time. */
    advance(ms) {
      const targetMs = clock.now() + ms;
      for (;;) {
        let due: [number, { atMs: number; callback: () => void }] | undefined;
        for (const timer of timers) if (timer[1].atMs <= targetMs && (!due || timer[1].atMs < due[1].atMs)) due = timer;
        if (!due) break;
        timers.delete(due[0]);
        clock.set(due[1].atMs);
        due[1].callback();
      }
      clock.set(targetMs);
    },
    get pending() {
      return timers.size;
    },
  };
}
