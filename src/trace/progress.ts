/**
 * How a long run tells its caller how far it is: a small interface the
 * replayer (and the CLI's demo) calls, so that the library draws nothing
 * itself. The CLI passes a terminal progress bar; a program may pass
 * anything with these three methods, or nothing.
 *
 * The replayer calls `tick` once per op, so an implementation should do
 * little there (count, and redraw now and then).
 */

/**
 * Receives a run's progress: one `start`, a `tick` per unit of work, one
 * `stop` (also when the run fails).
 *
 * @example
 * ```ts
 * let done = 0;
 * const progress: ReplayProgress = {
 *   start: (label, total, unit) => console.log(`${label}: ${total} ${unit}`),
 *   tick: (n = 1) => {
 *     done += n;
 *   },
 *   stop: () => console.log(`${done} done`),
 * };
 * replayTrace(parseTrace(text), { progress });
 * ```
 */
export interface ReplayProgress {
  /** A run of `total` units (`unit`: `'ops'`, `'pages'`) named `label` starts. */
  start(label: string, total: number, unit: string): void;
  /** `n` more units are done (default 1). */
  tick(n?: number): void;
  /** The run is over (finished or failed). */
  stop(): void;
}

/**
 * A {@link ReplayProgress} that ignores everything: the default.
 *
 * @example
 * ```ts
 * replayTrace(trace, { progress: NO_PROGRESS }); // the same as leaving it out
 * ```
 */
export const NO_PROGRESS: ReplayProgress = Object.freeze({
  start() {},
  tick() {},
  stop() {},
});
