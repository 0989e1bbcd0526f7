/**
 * Fixtures: a small machine booted per run, and its state right after
 * boot (the baseline "everything freed is back" compares against).
 *
 * Boot a fresh machine inside each run of a property, never one shared
 * between runs: runs then cannot leak into each other, and a replayed
 * counterexample starts from the same state. A few MiB boot in
 * milliseconds, and `checkInvariants()` walks every frame, so small is
 * also what makes checking after every command affordable.
 */
import type { BootOptions } from '../boot-options.js';
import { Kernel } from '../kernel.js';

/** What a machine looked like right after boot, once its per-CPU lists were drained. */
export interface Baseline {
  /** /proc/buddyinfo: free blocks per order and zone. */
  readonly buddyinfo: string;
  /** Free frames (`nr_free_pages`). */
  readonly freePages: number;
  /** Allocated objects per cache name (summed over caches of the same name). */
  readonly cacheObjects: Readonly<Record<string, number>>;
  /** Swap slots in use (0 without swap). */
  readonly swapSlots: number;
}

/** A booted machine and its {@link Baseline}. */
export interface SmallMachine {
  /** The machine. */
  readonly k: Kernel;
  /** Its state after boot, for {@link expectAllFreed}. */
  readonly baseline: Baseline;
}

/** Memory of a {@link bootSmall} machine unless the options say otherwise. */
export const SMALL_MEMORY = '8M';

/** Allocated objects per cache name. */
export function cacheObjects(k: Kernel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of k.slab.caches) out[c.name] = (out[c.name] ?? 0) + c.slabinfo().activeObjs;
  return out;
}

/**
 * The machine's state now, to compare against later: drains the per-CPU
 * page lists first (they hold freed pages /proc/buddyinfo does not count).
 *
 * @example
 * ```ts
 * const k = Kernel.boot({ memory: '4M' });
 * k.vfs.writeFile('/data', bytes);
 * const baseline = captureBaseline(k); // after the set-up the test keeps
 * ```
 */
export function captureBaseline(k: Kernel): Baseline {
  k.drainAllPages();
  return {
    buddyinfo: k.proc('/proc/buddyinfo'),
    freePages: k.buddy.nrFreePages(),
    cacheObjects: cacheObjects(k),
    swapSlots: k.swap?.area.used ?? 0,
  };
}

/**
 * Boots a small machine (8 MiB unless `options.memory` says otherwise;
 * every other option as `Kernel.boot` takes it, a `slab` factory
 * included) and captures its {@link Baseline}.
 *
 * @example
 * ```ts
 * const { k, baseline } = bootSmall({ slab: 'slob', seed });
 * // ... commands ...
 * expectAllFreed(k, baseline);
 * ```
 */
export function bootSmall(options: BootOptions = {}): SmallMachine {
  const k = Kernel.boot({ memory: SMALL_MEMORY, ...options });
  return { k, baseline: captureBaseline(k) };
}
