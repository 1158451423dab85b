// prom-client's default metrics (the process's CPU, memory, handles,
// event-loop lag, GC) on one registry, and a way to stop them. prom-client
// 15 starts a GC PerformanceObserver and an event-loop-delay histogram that
// it never stops: in a process that starts one API after another (a test
// worker runs a file's API, then the next file's) each would keep its
// registry, and everything that registry reaches, alive and sampling for
// as long as the process lives.
import perfHooks, { type IntervalHistogram, type PerformanceObserver } from 'node:perf_hooks';
import { collectDefaultMetrics, type Registry } from 'prom-client';

/** Starts the default metrics on `registry`; the function returned stops what they started. */
export function startDefaultMetrics(registry: Registry): () => void {
  const observers: PerformanceObserver[] = [];
  const histograms: IntervalHistogram[] = [];
  const { observe } = perfHooks.PerformanceObserver.prototype;
  const { monitorEventLoopDelay } = perfHooks;
  // Noted while prom-client starts them (synchronously), so they can be stopped.
  perfHooks.PerformanceObserver.prototype.observe = function (this: PerformanceObserver, ...args) {
    observers.push(this);
    return observe.apply(this, args);
  };
  perfHooks.monitorEventLoopDelay = (...args) => {
    const histogram = monitorEventLoopDelay(...args);
    histograms.push(histogram);
    return histogram;
  };
  try {
    collectDefaultMetrics({ register: registry });
  } finally {
    perfHooks.PerformanceObserver.prototype.observe = observe;
    perfHooks.monitorEventLoopDelay = monitorEventLoopDelay;
  }
  return () => {
    for (const o of observers.splice(0)) o.disconnect();
    for (const h of histograms.splice(0)) h.disable();
  };
}
