/**
 * What the page allocator's slow path asks of memory management (the
 * buddy layer's `Reclaimer`), and what runs on the way back to user space:
 *
 * - `wakeKswapd` (`wakeup_kswapd`) only records the request. kswapd runs
 *   as part of the machine's progress, deterministically: when the
 *   outermost system call, fault or kernel call returns (`leaveKernel`), or
 *   when asked to ({@link ReclaimSystem.kswapd}). It reclaims until a zone
 *   the request could use is above its high watermark (`balance_pgdat`,
 *   priorities 12 down to 1), counting `pgscan_kswapd`/`pgsteal_kswapd`
 *   and `pageoutrun`. After 16 runs that freed nothing it is not woken
 *   again until some reclaim succeeds (`kswapd_failures`).
 * - `tryToFreePages` (`do_try_to_free_pages`): direct reclaim for an
 *   allocation that may block, from priority 12 down to 0 until
 *   SWAP_CLUSTER_MAX pages (or the order's size) are freed; the slab
 *   shrinkers run at each priority (`shrink_slab`).
 * - `reclaimablePages` (`zone_reclaimable_pages`): a zone's file LRU
 *   pages, and its anonymous ones while swap has room.
 * - `outOfMemory`: the OOM killer (oom.ts).
 *
 * `GFP_ATOMIC` and `GFP_NOWAIT` never get here for reclaim (the slow path
 * reclaims only with `__GFP_DIRECT_RECLAIM`); `GFP_NOIO` reclaims without
 * swap writes or file writeback, `GFP_NOFS` without file writeback.
 */

import { zoneWatermarkOk } from '../../buddy/alloc-flags.js';
import type { Reclaimer } from '../../buddy/reclaimer.js';
import { WMARK_HIGH, type Zone } from '../../buddy/zone.js';
import { GFP_KERNEL, type Gfp } from '../../gfp/flags.js';
import { KernelBug } from '../../page/errors.js';
import { describeValue, isCount } from '../../page/validate.js';
import type { DeferredWork, VmSystem } from '../vm-system.js';
import { LRU_ACTIVE_ANON, LRU_ACTIVE_FILE, LRU_INACTIVE_ANON, LRU_INACTIVE_FILE } from './lru.js';
import { OomKiller } from './oom.js';
import type { ReplacementPolicy } from './policy/policy.js';
import type { SwapSystem } from './swap.js';
import { DEF_PRIORITY, type ScanControl, SWAP_CLUSTER_MAX, Vmscan } from './vmscan.js';

/** `MAX_RECLAIM_RETRIES`: kswapd runs without progress before it stops being woken. */
const MAX_RECLAIM_RETRIES = 16;
/** `SHRINK_BATCH`: objects a shrinker is asked to free at a time. */
const SHRINK_BATCH = 128;
/** `DEFAULT_SEEKS`: how costly a shrinker's objects are to recreate. */
const DEFAULT_SEEKS = 2;

/**
 * `struct shrinker`: a cache outside the LRU lists whose objects can be
 * freed under memory pressure (dentries, inodes, a driver's buffers).
 */
export interface Shrinker {
  /** A name for messages. */
  readonly name: string;
  /** `seeks`: cost to recreate an object (default 2); higher means scanned less. */
  readonly seeks?: number;
  /** `count_objects`: objects that could be freed now. */
  countObjects(): number;
  /** `scan_objects`: tries to free up to `nr` objects; returns how many were freed. */
  scanObjects(nr: number): number;
}

/** Throws `KernelBug` unless `x` has the shape of a {@link Shrinker}. */
function checkShrinker(x: unknown): asserts x is Shrinker {
  const fail = (why: string): never => {
    throw new KernelBug(`registerShrinker: ${describeValue(x)} ${why}`);
  };
  if (typeof x !== 'object' || x === null) fail('is not a shrinker object');
  const s = x as Record<string, unknown>;
  if (typeof s.name !== 'string') fail(`has name ${describeValue(s.name)}, not a string`);
  if (typeof s.countObjects !== 'function') fail('has no countObjects function');
  if (typeof s.scanObjects !== 'function') fail('has no scanObjects function');
  if (s.seeks !== undefined && !(isCount(s.seeks) && s.seeks > 0)) {
    fail(`has seeks ${describeValue(s.seeks)}, not a positive integer`);
  }
}

/**
 * What a shrinker's `countObjects` or `scanObjects` returned, if it is a
 * count (a non-negative integer): a shrinker that answers anything else is
 * the cache's bug, reported by name rather than left to break reclaim.
 */
function shrinkerCount(s: Shrinker, n: unknown, fn: string): number {
  if (!isCount(n)) {
    throw new KernelBug(`shrink_slab: ${s.name}.${fn} returned ${describeValue(n)}, not a count`);
  }
  return n;
}

/** Reclaim, kswapd and the OOM killer of one machine. */
export class ReclaimSystem implements Reclaimer, DeferredWork {
  readonly vmscan: Vmscan;
  readonly oom: OomKiller;
  private readonly shrinkers: Shrinker[] = [];
  private kswapdWoken = false;
  private kswapdOrder = 0;
  private kswapdHighest = 0;
  private kswapdFailures = 0;
  private readonly pageoutrunSlot: number;
  private readonly slabsScannedSlot: number;
  private readonly pgfreeSlot: number;

  constructor(
    readonly vm: VmSystem,
    /** The swap layer, or null without swap. */
    readonly swap: SwapSystem | null,
    /** A replacement policy for what-if runs, instead of the kernel's lists; null for Linux's. */
    policy: ReplacementPolicy | null = null,
  ) {
    this.vmscan = new Vmscan(vm, vm.lru, swap, policy);
    this.oom = new OomKiller(vm, swap === null ? 0 : swap.area.total);
    const events = vm.buddy.events;
    this.pageoutrunSlot = events.register('pageoutrun');
    this.slabsScannedSlot = events.register('slabs_scanned');
    this.pgfreeSlot = events.register('pgfree');
    for (const name of ['pgscan_kswapd', 'pgscan_direct', 'pgsteal_kswapd', 'pgsteal_direct'])
      events.register(name);
  }

  /**
   * `register_shrinker`.
   *
   * @throws KernelBug, registering nothing, unless `shrinker` has a string
   *   `name`, `countObjects` and `scanObjects` functions and, if given, a
   *   `seeks` that is a positive integer (reclaim divides by it); or when it
   *   is registered already.
   */
  registerShrinker(shrinker: Shrinker): void {
    checkShrinker(shrinker);
    if (this.shrinkers.includes(shrinker))
      throw new KernelBug(`registerShrinker: ${shrinker.name} is already registered`);
    this.shrinkers.push(shrinker);
  }

  /** `unregister_shrinker`. */
  unregisterShrinker(shrinker: Shrinker): void {
    const i = this.shrinkers.indexOf(shrinker);
    if (i < 0) {
      throw new KernelBug(
        `unregisterShrinker: ${typeof shrinker === 'object' && shrinker !== null && typeof shrinker.name === 'string' ? shrinker.name : describeValue(shrinker)} is not registered`,
      );
    }
    this.shrinkers.splice(i, 1);
  }

  // --- Reclaimer ------------------------------------------------------------------

  /** `wakeup_kswapd`: kswapd will run on the way out of the kernel. */
  wakeKswapd(order: number, highestZoneIdx: number, _gfp: Gfp): void {
    if (this.kswapdFailures >= MAX_RECLAIM_RETRIES) return;
    if (!this.kswapdWoken) {
      this.kswapdWoken = true;
      this.kswapdOrder = order;
      this.kswapdHighest = highestZoneIdx;
      return;
    }
    this.kswapdOrder = Math.max(this.kswapdOrder, order);
    this.kswapdHighest = Math.max(this.kswapdHighest, highestZoneIdx);
  }

  /** `try_to_free_pages` (`do_try_to_free_pages`): direct reclaim. Returns pages freed. */
  tryToFreePages(gfp: Gfp, order: number, highestZoneIdx: number): number {
    const sc: ScanControl = {
      nrToReclaim: Math.max(SWAP_CLUSTER_MAX, 1 << order),
      nrReclaimed: 0,
      nrScanned: 0,
      gfp,
      reclaimIdx: highestZoneIdx,
      priority: DEF_PRIORITY,
      kswapd: false,
    };
    for (let priority = DEF_PRIORITY; priority >= 0; priority--) {
      sc.priority = priority;
      this.shrinkNodeAndSlab(sc);
      if (sc.nrReclaimed >= sc.nrToReclaim) break;
    }
    if (sc.nrReclaimed > 0) this.kswapdFailures = 0;
    return sc.nrReclaimed;
  }

  /** `zone_reclaimable_pages`. */
  reclaimablePages(zone: Zone): number {
    const lru = this.vm.lru;
    let n =
      lru.zoneLruSize(zone.index, LRU_INACTIVE_FILE) + lru.zoneLruSize(zone.index, LRU_ACTIVE_FILE);
    if (this.vmscan.canReclaimAnon()) {
      n +=
        lru.zoneLruSize(zone.index, LRU_INACTIVE_ANON) +
        lru.zoneLruSize(zone.index, LRU_ACTIVE_ANON);
    }
    return n;
  }

  /** `out_of_memory`. */
  outOfMemory(gfp: Gfp, order: number): boolean {
    return this.oom.outOfMemory(gfp, order);
  }

  // --- deferred work ----------------------------------------------------------------

  /** On the way out of the kernel: tear down pending OOM victims, then run kswapd if woken. */
  run(): void {
    if (this.oom.hasPending) this.oom.reapPending();
    if (this.kswapdWoken) this.kswapd();
  }

  /** `reclaim_pages` (MADV_PAGEOUT): reclaims the pages whatever their references. */
  reclaimPages(pfns: readonly number[]): number {
    return this.vmscan.reclaimPages(pfns);
  }

  /** Whether kswapd has been woken and not yet run. */
  get kswapdPending(): boolean {
    return this.kswapdWoken;
  }

  /**
   * Runs kswapd now (`balance_pgdat`) for the last wake-up, or for every
   * zone when it was not woken. Returns the pages it reclaimed.
   */
  kswapd(): number {
    const order = this.kswapdWoken ? this.kswapdOrder : 0;
    const highest = this.kswapdWoken ? this.kswapdHighest : this.vm.buddy.zones.length - 1;
    this.kswapdWoken = false;
    this.kswapdOrder = 0;
    this.kswapdHighest = 0;
    const events = this.vm.buddy.events;
    events.add(this.pageoutrunSlot, 1);
    let reclaimed = 0;
    for (let priority = DEF_PRIORITY; priority >= 1; priority--) {
      if (this.balanced(order, highest)) break;
      let want = 0;
      for (const zone of this.vm.buddy.zones) {
        if (zone.index > highest || zone.managed === 0) continue;
        want += Math.max(zone.high, SWAP_CLUSTER_MAX);
      }
      const sc: ScanControl = {
        nrToReclaim: want,
        nrReclaimed: 0,
        nrScanned: 0,
        gfp: GFP_KERNEL,
        reclaimIdx: highest,
        priority,
        kswapd: true,
      };
      this.shrinkNodeAndSlab(sc);
      reclaimed += sc.nrReclaimed;
    }
    if (reclaimed === 0 && !this.balanced(order, highest)) this.kswapdFailures++;
    else if (reclaimed > 0) this.kswapdFailures = 0;
    return reclaimed;
  }

  /** `pgdat_balanced`: some usable zone is above its high watermark. */
  private balanced(order: number, highest: number): boolean {
    for (const zone of this.vm.buddy.zones) {
      if (zone.index > highest || zone.managed === 0) continue;
      const mark = zone.watermark[WMARK_HIGH] as number;
      if (zoneWatermarkOk(zone, order, mark, highest, 0, zone.freePages + zone.pcpPages))
        return true;
    }
    return false;
  }

  /** `shrink_node` then `shrink_slab`; slab pages freed count as reclaimed. */
  private shrinkNodeAndSlab(sc: ScanControl): void {
    this.vmscan.shrinkNode(sc);
    if (this.shrinkers.length === 0) return;
    const events = this.vm.buddy.events;
    const freedBefore = events.counters[this.pgfreeSlot] as number;
    for (const s of this.shrinkers) {
      const freeable = shrinkerCount(s, s.countObjects(), 'countObjects');
      if (freeable <= 0) continue;
      // do_shrink_slab: a share of the objects that shrinks as the priority rises.
      const delta = Math.floor(((freeable >> sc.priority) * 4) / (s.seeks ?? DEFAULT_SEEKS));
      let toScan = Math.min(Math.max(delta, sc.priority === 0 ? freeable : 0), freeable);
      while (toScan > 0) {
        const batch = Math.min(toScan, SHRINK_BATCH);
        events.add(this.slabsScannedSlot, batch);
        const freed = shrinkerCount(s, s.scanObjects(batch), 'scanObjects');
        toScan -= batch;
        if (freed <= 0) break;
      }
    }
    sc.nrReclaimed += (events.counters[this.pgfreeSlot] as number) - freedBefore;
  }
}
