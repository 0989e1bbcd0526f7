/**
 * Replaying a failure. When a property fails, fast-check reports the
 * `seed` of its random generator and the `path` from the first failing run
 * through the shrinking steps to the smallest counterexample; for
 * `fc.commands`, the counterexample also ends with a `replayPath` fixing
 * which of the generated commands ran. With all three, one run replays
 * exactly that counterexample.
 *
 * - `replayFromReport(text)` reads them from a failure message (what
 *   `fc.assert` threw, or a CI log); `replayFromDetails(details)` from
 *   what `fc.check` returned.
 * - `replayParameters(replay)` is what to pass to `fc.assert`, and
 *   `replay.replayPath` what to pass to `fc.commands`.
 * - `checkProperty(name, property, params)` runs a property and, if it
 *   fails, throws a `PropertyFailure` whose message is fast-check's report
 *   with the cause and the replay values spelt out; the conformance
 *   functions report this way.
 */
import fc from 'fast-check';

/** What replays one counterexample. */
export interface Replay {
  /** fast-check's seed (may be negative). */
  readonly seed: number;
  /** The path from the first failing run to the smallest counterexample. */
  readonly path: string;
  /** For `fc.commands`: which of the generated commands ran (pass it to `fc.commands`). */
  readonly replayPath?: string;
}

const SEED_AND_PATH = /seed:\s*(-?\d+),\s*path:\s*"([^"]*)"/;
const REPLAY_PATH = /replayPath="([^"]*)"/;

/**
 * Reads the seed, path and (for commands) replayPath from a fast-check
 * failure report, such as the message `fc.assert` threw.
 *
 * @throws Error if the text holds no `{ seed: ..., path: "..." }`.
 *
 * @example
 * ```ts
 * const replay = replayFromReport(error.message);
 * // e.g. from '{ seed: -1349611436, path: "4:0", endOnFailure: true } ... replayPath="D:B"':
 * // { seed: -1349611436, path: '4:0', replayPath: 'D:B' }
 * ```
 */
export function replayFromReport(report: string): Replay {
  const m = SEED_AND_PATH.exec(report);
  if (m === null) throw new Error('replayFromReport: no { seed, path } in the report');
  const replayPath = REPLAY_PATH.exec(report)?.[1];
  const replay = { seed: Number(m[1]), path: m[2] as string };
  return replayPath === undefined ? replay : { ...replay, replayPath };
}

/**
 * The replay values of a failed `fc.check`, or `null` if it passed.
 *
 * @example
 * ```ts
 * const details = fc.check(property, { seed: 42 });
 * const replay = replayFromDetails(details); // { seed: 42, path: '3:1', ... } or null
 * ```
 */
export function replayFromDetails<Ts>(details: fc.RunDetails<Ts>): Replay | null {
  if (!details.failed || details.counterexamplePath === null) return null;
  const replayPath = REPLAY_PATH.exec(fc.stringify(details.counterexample))?.[1];
  const replay = { seed: details.seed, path: details.counterexamplePath };
  return replayPath === undefined ? replay : { ...replay, replayPath };
}

/**
 * The `fc.assert`/`fc.check` parameters that run `replay`'s counterexample
 * first and stop there (`endOnFailure`).
 *
 * @example
 * ```ts
 * fc.assert(property, replayParameters({ seed: -1349611436, path: '4:0' }));
 * ```
 */
export function replayParameters<Ts>(replay: Replay): fc.Parameters<Ts> {
  return { seed: replay.seed, path: replay.path, endOnFailure: true };
}

/** A property failed: the message is fast-check's report, with the cause and the replay values. */
export class PropertyFailure extends Error {
  /** The error's name. */
  override readonly name: string = 'PropertyFailure';
  constructor(
    message: string,
    /** What replays the smallest counterexample. */
    readonly replay: Replay,
    /** The error the counterexample raised, if any. */
    readonly failure: unknown,
  ) {
    super(message);
  }
}

/** How a replay reads in a message: `{ seed: 42, path: "0:1", replayPath: "AB" }`. */
export function formatReplay(replay: Replay): string {
  const rp = replay.replayPath === undefined ? '' : `, replayPath: "${replay.replayPath}"`;
  return `{ seed: ${replay.seed}, path: "${replay.path}"${rp} }`;
}

/**
 * Runs `property` with `fc.check` and returns the run details if it
 * passed; otherwise throws {@link PropertyFailure} with fast-check's report
 * (seed, path, the shrunk counterexample), the error it raised, and the
 * replay values.
 *
 * @example
 * ```ts
 * checkProperty('pool', fc.property(fc.nat(), (n) => n >= 0), { numRuns: 50 });
 * ```
 */
export function checkProperty<Ts>(
  name: string,
  property: fc.IProperty<Ts>,
  params: fc.Parameters<Ts> = {},
): fc.RunDetails<Ts> {
  const details = fc.check(property, params);
  const report = fc.defaultReportMessage(details as fc.RunDetails<unknown>) ?? 'failed';
  const replay = replayFromDetails(details);
  if (replay === null) {
    if (details.failed) {
      // Failed without a counterexample: interrupted or too many skipped runs.
      throw new Error(`${name}: ${report}`);
    }
    return details;
  }
  const error = details.errorInstance;
  const cause =
    error instanceof Error ? `${error.name}: ${error.message}` : String(error ?? 'returned false');
  const message = [
    `${name}: ${report}`,
    `Caused by: ${cause}`,
    `Replay: ${formatReplay(replay)}`,
  ].join('\n');
  throw new PropertyFailure(message, replay, error);
}
