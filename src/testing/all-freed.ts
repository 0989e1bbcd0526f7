/**
 * "Everything freed is back": once the code under test has freed what it
 * allocated, the page allocator must hold exactly what it held after boot.
 * `expectAllFreed` does the releasing a test would otherwise repeat
 * (processes exited, your caches destroyed, every cache shrunk, per-CPU
 * lists drained), checks every invariant, and compares /proc/buddyinfo
 * with the baseline. A failure names what differs and what still holds
 * memory: caches with more objects than after boot, pages in the page
 * cache or swap slots in use.
 *
 * Blocks per order come back exactly; which migratetype each pageblock has
 * may not (an allocation falling back to another type may claim its
 * pageblock, as in Linux), so /proc/pagetypeinfo is not compared.
 */
import type { Kernel } from '../kernel.js';
import type { KmemCache } from '../slab/kmem-cache.js';
import { firstDifference } from './assertions.js';
import { type Baseline, cacheObjects } from './machine.js';

/** What {@link expectAllFreed} releases before comparing. */
export interface AllFreedOptions {
  /** Caches of yours to destroy first (each must be empty by then). */
  readonly destroy?: readonly KmemCache[];
  /** Exit every live process first (default true). */
  readonly exitProcesses?: boolean;
  /**
   * Unlink every file first, so that the page cache lets go of their
   * pages (default false: cached file pages count as not freed).
   */
  readonly unlinkFiles?: boolean;
}

/** Thrown by {@link expectAllFreed}: the machine does not hold what it held after boot. */
export class NotAllFreed extends Error {
  /** The error's name. */
  override readonly name = 'NotAllFreed';
}

/**
 * Releases what a finished test may still hold (see
 * {@link AllFreedOptions}), shrinks every slab cache, drains the per-CPU
 * page lists, runs `k.checkInvariants()`, and throws {@link NotAllFreed}
 * unless /proc/buddyinfo and the free page count are as in `baseline`.
 *
 * @throws NotAllFreed with a diff of /proc/buddyinfo and what still holds memory.
 * @throws KernelBug if an invariant is broken, or a cache to destroy is not empty.
 *
 * @example
 * ```ts
 * const { k, baseline } = bootSmall();
 * const c = k.kmemCacheCreate('mine', 64);
 * c.free(c.alloc(GFP_KERNEL) as number);
 * expectAllFreed(k, baseline, { destroy: [c] });
 * ```
 */
export function expectAllFreed(k: Kernel, baseline: Baseline, options: AllFreedOptions = {}): void {
  if (options.exitProcesses !== false) {
    for (const p of [...k.processes.values()]) if (p.state === 'running') p.exit();
  }
  for (const c of options.destroy ?? []) c.destroy();
  if (options.unlinkFiles === true) for (const path of k.vfs.list()) k.vfs.unlink(path);
  for (const c of k.slab.caches) c.shrink();
  k.drainAllPages();
  k.checkInvariants();
  const buddyinfo = k.proc('/proc/buddyinfo');
  const freePages = k.buddy.nrFreePages();
  const swapSlots = k.swap?.area.used ?? 0;
  if (
    buddyinfo === baseline.buddyinfo &&
    freePages === baseline.freePages &&
    swapSlots === baseline.swapSlots
  )
    return;
  const lines = [
    `expectAllFreed: the machine does not hold what it held after boot: ${freePages} free pages, ${baseline.freePages} after boot (${baseline.freePages - freePages} missing)`,
  ];
  if (buddyinfo !== baseline.buddyinfo) {
    lines.push(
      `/proc/buddyinfo (- after boot, + now), ${firstDifference(baseline.buddyinfo, buddyinfo)}`,
    );
  }
  const now = cacheObjects(k);
  for (const [name, n] of Object.entries(now)) {
    const then = baseline.cacheObjects[name] ?? 0;
    if (n > then) lines.push(`cache ${name}: ${n} objects allocated, ${then} after boot`);
  }
  const live = [...k.processes.values()].filter((p) => p.state === 'running');
  if (live.length > 0) lines.push(`${live.length} processes still running`);
  const cached = /^Cached:\s+(\d+) kB$/m.exec(k.proc('/proc/meminfo'))?.[1];
  if (cached !== undefined && cached !== '0') {
    lines.push(`${cached} kB in the page cache (files): unlinkFiles: true lets it go`);
  }
  if (swapSlots !== baseline.swapSlots) {
    lines.push(`${swapSlots} swap slots in use, ${baseline.swapSlots} after boot`);
  }
  throw new NotAllFreed(lines.join('\n'));
}
