import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop delay in ms since the monitor started: how long callbacks waited for the loop. */
export interface EventLoopDelay {
  readonly meanMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface EventLoopMonitor {
  snapshot(): EventLoopDelay;
  stop(): void;
}

const toMs = (ns: number): number => Math.round(ns / 1e4) / 100;

/**
 * Samples the event-loop delay with `perf_hooks.monitorEventLoopDelay` (a libuv timer, no JS on the loop).
 * Started by server.ts only: app.ts starts no timers, and /healthz reports null without a monitor.
 */
export function startEventLoopMonitor(resolutionMs = 10): EventLoopMonitor {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  // The samples are the intervals between timer ticks, so an idle loop reads as the resolution: subtract it.
  // Rounded to microseconds: more digits are noise of the subtraction, not information.
  const delay = (ns: number): number => (Number.isFinite(ns) ? Math.round(Math.max(0, toMs(ns) - resolutionMs) * 1000) / 1000 : 0);
  return {
    snapshot: () => ({
      meanMs: delay(histogram.mean),
      p99Ms: delay(histogram.percentile(99)),
      maxMs: delay(histogram.max),
    }),
    stop: () => histogram.disable(),
  };
}
