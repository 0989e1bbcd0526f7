/**
 * How the conformance functions run their properties and report: each
 * property runs with `fc.check`; the first that fails throws a
 * `ConformanceFailure` whose message is fast-check's report (seed, path,
 * the shrunk counterexample), the error it raised, and the options that
 * replay it through the same conformance function. On success they return
 * a `ConformanceReport` listing what ran.
 */
import type fc from 'fast-check';
import { checkProperty, formatReplay, PropertyFailure, type Replay } from './replay.js';

/** Options every conformance function takes. */
export interface ConformanceOptions<Name extends string = string> {
  /** Runs of each property (default: each property's own, modest count). */
  readonly numRuns?: number;
  /** The most commands in a run of the model-based property (default 40 for slab, 60 for pages). */
  readonly maxCommands?: number;
  /** fast-check's seed (default: random). */
  readonly seed?: number;
  /** With `seed` and `only`, replays one counterexample (from a failure's message). */
  readonly path?: string;
  /** With `seed` and `path`, which generated commands ran (from a failure's message). */
  readonly replayPath?: string;
  /** Run only these properties (default: all). */
  readonly only?: readonly Name[];
}

/** One property a conformance function ran. */
export interface ConformanceResult {
  /** The property. */
  readonly name: string;
  /** How many runs passed. */
  readonly numRuns: number;
}

/** What a conformance function ran, all passing. */
export interface ConformanceReport {
  /** What was checked (the allocator's kind). */
  readonly subject: string;
  /** Each property run. */
  readonly properties: readonly ConformanceResult[];
}

/** A property of a conformance suite failed; the message says how to replay it. */
export class ConformanceFailure extends PropertyFailure {
  /** The error's name. */
  override readonly name: string = 'ConformanceFailure';
  constructor(
    message: string,
    replay: Replay,
    failure: unknown,
    /** The property that failed. */
    readonly property: string,
  ) {
    super(message, replay, failure);
  }
}

/** How a suite property is run (a subset of fast-check's parameters). */
export interface RunParams {
  /** Runs. */
  readonly numRuns: number;
  /** fast-check's seed. */
  readonly seed?: number;
  /** The path of a counterexample to replay. */
  readonly path?: string;
  /** Stop at the first failure (for a replay). */
  readonly endOnFailure?: boolean;
}

/** One property of a suite. */
export interface SuiteProperty<Name extends string> {
  /** Its name (what `only` selects). */
  readonly name: Name;
  /** Runs unless `numRuns` says otherwise. */
  readonly numRuns: number;
  /** Runs it; throws `PropertyFailure` (named `label`) if it fails. */
  check(label: string, params: RunParams, replayPath: string | undefined): void;
}

/**
 * A suite property from a builder of a fast-check property
 * (`replayPath` is for `fc.commands`).
 */
export function suiteProperty<Name extends string, Ts>(
  name: Name,
  numRuns: number,
  build: (replayPath: string | undefined) => fc.IProperty<Ts>,
): SuiteProperty<Name> {
  return {
    name,
    numRuns,
    check: (label, params, replayPath) => {
      checkProperty(label, build(replayPath), params);
    },
  };
}

/**
 * Runs a suite's properties as the options select and returns the report,
 * or throws {@link ConformanceFailure} for the first that fails.
 */
export function runSuite<Name extends string>(
  suite: string,
  subject: string,
  properties: readonly SuiteProperty<Name>[],
  options: ConformanceOptions<Name>,
): ConformanceReport {
  const selected = properties.filter(
    (p) => options.only === undefined || options.only.includes(p.name),
  );
  if (selected.length === 0) {
    throw new Error(
      `${suite}: no property is called ${options.only?.join(', ')} (there are ${properties.map((p) => p.name).join(', ')})`,
    );
  }
  const results: ConformanceResult[] = [];
  for (const p of selected) {
    const numRuns = options.numRuns ?? p.numRuns;
    const params: RunParams = {
      numRuns,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.path === undefined ? {} : { path: options.path, endOnFailure: true }),
    };
    try {
      p.check(`${suite}(${subject}): ${p.name}`, params, options.replayPath);
    } catch (e) {
      if (!(e instanceof PropertyFailure)) throw e;
      const how = `${formatReplay(e.replay).slice(0, -2)}, only: ['${p.name}'] }`;
      // fast-check's report, with the replay spelt out as this function's options.
      const report = e.message.replace(/\nReplay: [^\n]*$/, '');
      throw new ConformanceFailure(
        `${report}\nReplay it with the options ${how}`,
        e.replay,
        e.failure,
        p.name,
      );
    }
    results.push({ name: p.name, numRuns });
  }
  return { subject, properties: results };
}
