/**
 * Fault injection (lib/fault-inject.c, Documentation/fault-injection):
 * make chosen allocations fail on purpose, to exercise the paths that
 * handle failure. `failslab` applies to slab allocations and
 * `fail_page_alloc` to the page allocator; each is one `FaultInjector`.
 *
 * `shouldFail` follows `should_fail_ex`: nothing fails once `times` is used
 * up; with an `interval` above 1 only every interval-th eligible call is
 * considered; then the call fails with `probability` percent, drawn from a
 * seeded generator. Each failure is logged as the kernel logs it.
 */
import type { KernelLog } from './kernel-log.js';
import { LogLevel } from './kernel-log.js';
import { Prandom } from './prandom.js';

/** A fault injector's settings (all filled in). */
export interface FaultInjectorConfig {
  /** Chance of failing an eligible call, in percent (0..100). */
  readonly probability: number;
  /** Consider only every `interval`-th eligible call. */
  readonly interval: number;
  /** Failures left; -1 for no limit. */
  readonly times: number;
  /** Seed of the injector's random choices. */
  readonly seed: number;
  /** Spare calls that may sleep (`ignore-gfp-wait`). */
  readonly ignoreGfpWait: boolean;
}

/** One fault-injection point. */
export class FaultInjector {
  private readonly random: Prandom;
  private remaining: number;
  private count = 0;
  /** Failures injected so far. */
  failures = 0;

  constructor(
    readonly name: string,
    readonly config: FaultInjectorConfig,
    private readonly log?: KernelLog,
  ) {
    this.random = new Prandom(config.seed);
    this.remaining = config.times;
  }

  /**
   * `should_fail_ex`: whether this eligible call fails. `quiet` is
   * FAULT_NOWARN (the caller passed `__GFP_NOWARN`): the failure is not logged.
   */
  shouldFail(quiet = false): boolean {
    if (this.remaining === 0) return false;
    if (this.config.interval > 1) {
      this.count++;
      if (this.count % this.config.interval !== 0) return false;
    }
    if (this.config.probability <= this.random.below(100)) return false;
    if (this.remaining > 0) this.remaining--;
    this.failures++;
    if (!quiet)
      this.log?.printk(
        LogLevel.INFO,
        `FAULT_INJECTION: forcing a failure.\nname ${this.name}, interval ${this.config.interval}, probability ${this.config.probability}, space 0, times ${this.remaining}`,
      );
    return true;
  }
}
