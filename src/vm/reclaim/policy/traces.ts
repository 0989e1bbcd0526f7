/**
 * Deterministic reference strings for trying policies: the four shapes a
 * replacement policy is usually judged on. Randomness comes from mmsim's
 * seeded mulberry32 (`Prandom`), so the same options give the same trace.
 * Pages are numbered from 0.
 *
 * - {@link loopingTrace}: a loop over a few more pages than fit. LRU and
 *   FIFO miss on every reference; OPT keeps most of the loop.
 * - {@link hotColdTrace}: most references on a small hot set, the rest
 *   spread over many cold pages.
 * - {@link zipfTrace}: page k referenced with probability proportional to
 *   1/(k+1)^s; s near 1 is the classic web and file-cache shape.
 * - {@link scanPollutedTrace}: a hot working set, interrupted by long
 *   sequential scans of pages used once (a backup, a grep over a tree):
 *   the case that two-list LRU is built for.
 */
import { Prandom } from '../../../page/prandom.js';
import { checkPositiveInteger, show } from './validate.js';

/**
 * The longest trace a generator builds, and the most pages a Zipf trace
 * weighs: 2^24 (16 Mi references, 128 MiB of numbers). A larger request
 * is a RangeError, not an allocation that takes the host process down.
 */
export const MAX_TRACE_LENGTH = 2 ** 24;

/** Checks a positive integer that sizes an array the generator allocates. */
function checkSize(fn: string, arg: string, x: unknown): asserts x is number {
  checkPositiveInteger(fn, arg, x);
  if (x > MAX_TRACE_LENGTH) {
    throw new RangeError(`${fn}: ${arg} is ${x}; it must be at most ${MAX_TRACE_LENGTH}`);
  }
}

/** Checks that a generator's options argument is an object. */
function checkOptions(fn: string, options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${fn}: options must be an object (got ${show(options)})`);
  }
}

function checkUnit(fn: string, arg: string, x: unknown, openAtZero: boolean): number {
  if (typeof x !== 'number') throw new TypeError(`${fn}: ${arg} must be a number (got ${show(x)})`);
  if (!(x <= 1 && (openAtZero ? x > 0 : x >= 0)))
    throw new RangeError(
      `${fn}: ${arg} is ${x}; it must be in ${openAtZero ? '(0, 1]' : '[0, 1]'}`,
    );
  return x;
}

function checkSeed(fn: string, x: unknown): number {
  if (typeof x !== 'number') throw new TypeError(`${fn}: seed must be a number (got ${show(x)})`);
  if (!Number.isSafeInteger(x)) throw new RangeError(`${fn}: seed is ${x}; it must be an integer`);
  return x;
}

/**
 * `length` references looping over pages `0 .. pages-1`.
 *
 * @example
 * ```ts
 * loopingTrace(3, 7); // [0, 1, 2, 0, 1, 2, 0]
 * ```
 * @throws TypeError / RangeError unless both are positive integers.
 */
export function loopingTrace(pages: number, length: number): number[] {
  checkPositiveInteger('loopingTrace', 'pages', pages);
  checkSize('loopingTrace', 'length', length);
  const out = new Array<number>(length);
  for (let i = 0, p = 0; i < length; i++) {
    out[i] = p;
    p = p + 1 === pages ? 0 : p + 1;
  }
  return out;
}

/** Options of {@link hotColdTrace}. */
export interface HotColdTraceOptions {
  /** Number of references. */
  readonly length: number;
  /** Number of distinct pages, hot and cold. */
  readonly pages: number;
  /** Share of the pages that are hot (pages `0 .. round(pages * hotFraction) - 1`). Default 0.1. */
  readonly hotFraction?: number;
  /** Probability that a reference goes to a hot page. Default 0.9. */
  readonly hotProbability?: number;
  /** PRNG seed. Default 1. */
  readonly seed?: number;
}

/**
 * A hot/cold trace: each reference picks the hot set with probability
 * `hotProbability` (default 90% of references on 10% of the pages), then a
 * page uniformly within the set.
 *
 * @throws TypeError / RangeError for a bad option, naming it.
 */
export function hotColdTrace(options: HotColdTraceOptions): number[] {
  const fn = 'hotColdTrace';
  checkOptions(fn, options);
  const { length, pages } = options;
  checkSize(fn, 'length', length);
  checkPositiveInteger(fn, 'pages', pages);
  const hotFraction = checkUnit(fn, 'hotFraction', options.hotFraction ?? 0.1, true);
  const hotProbability = checkUnit(fn, 'hotProbability', options.hotProbability ?? 0.9, false);
  const rng = new Prandom(checkSeed(fn, options.seed ?? 1));
  const hot = Math.min(pages, Math.max(1, Math.round(pages * hotFraction)));
  const cold = pages - hot;
  const threshold = hotProbability * 2 ** 32;
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    const toHot = cold === 0 || rng.nextU32() < threshold;
    out[i] = toHot ? rng.below(hot) : hot + rng.below(cold);
  }
  return out;
}

/** Options of {@link zipfTrace}. */
export interface ZipfTraceOptions {
  /** Number of references. */
  readonly length: number;
  /** Number of distinct pages. */
  readonly pages: number;
  /** Exponent: page k has weight 1/(k+1)^s. Default 1. */
  readonly s?: number;
  /** PRNG seed. Default 1. */
  readonly seed?: number;
}

/**
 * A Zipf-distributed trace: page k (0 the most popular) is referenced with
 * probability proportional to 1/(k+1)^s. Sampled by binary search over the
 * cumulative weights: O(pages) set-up, O(log pages) a reference.
 *
 * @throws TypeError / RangeError for a bad option, naming it.
 */
export function zipfTrace(options: ZipfTraceOptions): number[] {
  const fn = 'zipfTrace';
  checkOptions(fn, options);
  const { length, pages } = options;
  checkSize(fn, 'length', length);
  checkSize(fn, 'pages', pages);
  const s = options.s ?? 1;
  if (typeof s !== 'number') throw new TypeError(`${fn}: s must be a number (got ${show(s)})`);
  if (!(s >= 0 && Number.isFinite(s)))
    throw new RangeError(`${fn}: s is ${s}; it must be a finite number >= 0`);
  const rng = new Prandom(checkSeed(fn, options.seed ?? 1));
  const cdf = new Float64Array(pages);
  let sum = 0;
  for (let k = 0; k < pages; k++) {
    sum += (k + 1) ** -s;
    cdf[k] = sum;
  }
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    const u = (rng.nextU32() / 2 ** 32) * sum;
    let lo = 0;
    let hi = pages - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    out[i] = lo;
  }
  return out;
}

/** Options of {@link scanPollutedTrace}. */
export interface ScanPollutedTraceOptions {
  /** Number of references. */
  readonly length: number;
  /** Size of the hot working set (pages `0 .. hotPages - 1`). */
  readonly hotPages: number;
  /** References to the hot set (uniform) between two scans. */
  readonly hotRun: number;
  /** Pages in each scan: fresh, consecutive, never referenced again. */
  readonly scanLength: number;
  /** PRNG seed. Default 1. */
  readonly seed?: number;
}

/**
 * A working set polluted by scans: `hotRun` references spread uniformly
 * over the hot set, then `scanLength` references to new pages in a row
 * (numbered from `hotPages` up, each used once), and again, until `length`
 * references.
 *
 * @throws TypeError / RangeError for a bad option, naming it.
 */
export function scanPollutedTrace(options: ScanPollutedTraceOptions): number[] {
  const fn = 'scanPollutedTrace';
  checkOptions(fn, options);
  const { length, hotPages, hotRun, scanLength } = options;
  checkSize(fn, 'length', length);
  checkPositiveInteger(fn, 'hotPages', hotPages);
  checkPositiveInteger(fn, 'hotRun', hotRun);
  checkPositiveInteger(fn, 'scanLength', scanLength);
  const rng = new Prandom(checkSeed(fn, options.seed ?? 1));
  const out = new Array<number>(length);
  let next = hotPages;
  let i = 0;
  while (i < length) {
    for (let k = 0; k < hotRun && i < length; k++) out[i++] = rng.below(hotPages);
    for (let k = 0; k < scanLength && i < length; k++) out[i++] = next++;
  }
  return out;
}
