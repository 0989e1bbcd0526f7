/**
 * The page allocator (mm/page_alloc.c): zones, the buddy free lists, the
 * per-CPU lists, watermarks and the slow path, over a `PhysicalMemory`.
 *
 * How an allocation travels (`__alloc_pages`):
 *
 * 1. Validate: gfp bits and order (a bad argument throws `KernelBug` before
 *    anything changes). Fault injection (`fail_page_alloc`) may fail it here.
 * 2. Fast path (`get_page_from_freelist` with the low watermark): walk the
 *    zonelist from the highest zone the gfp mask allows down to DMA; take
 *    the first zone whose free frames stay above its low watermark plus its
 *    `lowmem_reserve` for that highest zone. Orders 0..3 come from this
 *    CPU's pcp list (refilled a batch at a time), larger ones from the
 *    buddy lists (smallest sufficient order, split by `expand`, falling back
 *    to other migratetypes and stealing pageblocks when the own type is out).
 * 3. Slow path (`__alloc_pages_slowpath`): wake kswapd; retry down to the
 *    min watermark (`__GFP_HIGH` may go to half of it, and a caller that
 *    cannot sleep a further quarter lower; `__GFP_MEMALLOC` ignores it);
 *    then, if the caller may block, direct reclaim, retries while reclaim
 *    makes progress, and the OOM killer. `__GFP_NORETRY` gives up after one
 *    round of reclaim, `__GFP_RETRY_MAYFAIL` never calls the OOM killer,
 *    `__GFP_NOFAIL` never gives up. A failure is logged as Linux logs it.
 *
 * Freeing (`__free_pages`) drops a reference; the last one returns the
 * block to this CPU's pcp list (orders 0..3) or straight to the buddy
 * lists, merging it with its free buddies.
 *
 * Shared state (free lists, pcp lists, counters, struct pages, pageblock
 * types) lives in simulated RAM; configuration fixed at boot (zone spans,
 * watermarks) in plain fields.
 */
import {
  __GFP_COMP,
  __GFP_DIRECT_RECLAIM,
  __GFP_NOFAIL,
  __GFP_NOWARN,
  __GFP_ZERO,
  GFP_MOVABLE_MASK,
  GFP_VALID_MASK,
  GFP_ZONEMASK,
  type Gfp,
} from '../gfp/flags.js';
import { MigrateType } from '../gfp/migratetype.js';
import { checkGfp } from '../gfp/zone.js';
import type { Pfn } from '../page/address.js';
import { type Arch, type ArchName, getArch } from '../page/arch.js';
import { KernelBug } from '../page/errors.js';
import { FaultInjector, type FaultInjectorConfig } from '../page/fault-inject.js';
import { KernelLog, LogLevel } from '../page/kernel-log.js';
import type { MemMap } from '../page/mem-map.js';
import {
  ALLOC_ORDER_MASK,
  ALLOC_ORDER_SHIFT,
  PAGE_TYPE_SHIFT,
  PageType,
  PG,
} from '../page/page-flags.js';
import type { PhysicalMemory } from '../page/physical-memory.js';
import { describeValue } from '../page/validate.js';
import { VmEvents } from '../page/vm-events.js';
import { ALLOC_NO_WATERMARKS, ALLOC_WMARK_MASK, zoneWatermarkOk } from './alloc-flags.js';
import { setupBootMemory } from './boot-memory.js';
import { type FreeAreaContext, freeOneBlock, pageblockMigratetype, rmqueue } from './free-area.js';
import { checkBuddyInvariants } from './invariants.js';
import type { Memblock } from './memblock.js';
import {
  buildZoneLookup,
  buildZoneTable,
  configuredZones,
  freeAllBootMemory,
  printBootLog,
} from './node-init.js';
import type { PageFrameAllocator } from './page-frame-allocator.js';
import { drainPcp, freeToPcp, rmqueuePcplist } from './pcp.js';
import { noReclaim, type Reclaimer } from './reclaimer.js';
import { allocSlowpath, type SlowPathHost } from './slow-path.js';
import {
  calculateMinFreeKbytes,
  setupLowmemReserve,
  setupPcp,
  setupPerZoneWmarks,
  WATERMARK_SCALE_FACTOR,
} from './watermarks.js';
import {
  MAX_ORDER,
  PAGE_ALLOC_COSTLY_ORDER,
  PCP_INTS,
  WMARK_LOW,
  Z_FREE_PAGES,
  ZONE_STATE_INTS,
  Zone,
} from './zone.js';

const ALLOCATED_BIT = 1 << PG.allocated;
/** `GFP_MOVABLE_SHIFT`: gfp_migratetype is `(gfp & GFP_MOVABLE_MASK) >> 3`. */
const GFP_MOVABLE_SHIFT = 3;
/** Flags that may not be set on a page being freed (`PAGE_FLAGS_CHECK_AT_FREE`). */
export const BAD_FLAGS_AT_FREE =
  (1 << PG.locked) |
  (1 << PG.lru) |
  (1 << PG.active) |
  (1 << PG.slab) |
  (1 << PG.writeback) |
  (1 << PG.unevictable) |
  (1 << PG.swapcache);
/** Flags a page on an LRU list carries, cleared when it leaves the list to be freed. */
export const LRU_FLAGS =
  (1 << PG.lru) | (1 << PG.active) | (1 << PG.unevictable) | (1 << PG.mlocked);

/**
 * Page-state items of the layers above the allocator, as /proc/zoneinfo
 * prints them: per node (`nr_inactive_anon`, ...) and per zone
 * (`nr_zone_inactive_anon`, ...); undefined for items they do not keep.
 */
export interface PageStatSnapshot {
  node(item: string): number | undefined;
  zone(zone: Zone, item: string): number | undefined;
}

/** Options of a `BuddyAllocator`. */
export interface BuddyAllocatorOptions {
  /** Architecture profile or its name (default `'x86_64'`); its page size must match the memory's. */
  readonly arch?: ArchName | Arch;
  /** Number of CPUs, each with its own pcp lists (default 1). */
  readonly cpus?: number;
  /** The kernel log to write to (default: a log of its own). */
  readonly log?: KernelLog;
  /** Event counters to count in (default: a set of its own). */
  readonly events?: VmEvents;
  /** Reserve firmware memory and a kernel image as boot does (default true). */
  readonly reserveKernel?: boolean;
  /** Fault injection for page allocations (`fail_page_alloc`). */
  readonly failPageAlloc?: FaultInjectorConfig | null;
  /** Reclaim and OOM services for the slow path (default: none). */
  readonly reclaimer?: Reclaimer;
  /** Name of the task allocating, for warnings (default `'swapper/0'`). */
  readonly comm?: () => string;
}

/** The buddy page allocator of one node. */
export class BuddyAllocator implements SlowPathHost, PageFrameAllocator {
  /** The architecture profile. */
  readonly arch: Arch;
  /** The RAM it allocates from. */
  readonly memory: PhysicalMemory;
  /** Early reservations. */
  readonly memblock: Memblock;
  /** The struct page array. */
  readonly memMap: MemMap;
  /** The zones of node 0 in `zone_idx` order; empty zones included. */
  readonly zones: readonly Zone[];
  /** `pageblock_order`. */
  readonly pageblockOrder: number;
  /** Number of CPUs. */
  readonly cpus: number;
  /** `min_free_kbytes` (the `vm.min_free_kbytes` sysctl; see {@link setWatermarkTunables}). */
  get minFreeKbytes(): number {
    return this.minFree;
  }
  /** `watermark_scale_factor` (the `vm.watermark_scale_factor` sysctl). */
  get watermarkScaleFactor(): number {
    return this.scaleFactor;
  }
  private minFree: number;
  private scaleFactor = WATERMARK_SCALE_FACTOR;
  /** The kernel log. */
  readonly log: KernelLog;
  /** Event counters (`pgalloc_*`, `pgfree`, `allocstall_*`). */
  readonly events: VmEvents;
  /** The CPU allocations and frees run on (selects the pcp lists). */
  cpu = 0;
  /** Migratetype of each pageblock. */
  readonly pageblockMigratetype: Uint8Array;
  /** The reclaim and OOM services of the slow path (see `setReclaimer`). */
  reclaimer: Reclaimer;
  /**
   * Takes a page off the LRU lists when its last reference goes
   * (`__page_cache_release`, which `__folio_put` calls before the free);
   * set by the layer that owns the lists. Null: a page on an LRU list may
   * not be freed.
   */
  lruRelease: ((pfn: number) => void) | null = null;
  /**
   * Page-state counters kept by the layers above (LRU sizes, anonymous and
   * file pages, the swap cache), for /proc/zoneinfo: a snapshot taken once
   * per rendering, or null when only the allocator's own counters exist.
   */
  pageStats: (() => PageStatSnapshot) | null = null;
  private readonly ctx: FreeAreaContext;
  private readonly failPageAlloc: FaultInjector | null;
  /** @internal */
  readonly comm: () => string;
  /** Highest usable zone index for each combination of the zone bits (`gfp_zone` resolved). */
  private readonly highestZoneIdx: Int8Array;
  /** Index of ZONE_NORMAL: the OOM killer is not used for requests limited to lower zones. */
  /** @internal */
  readonly normalIdx: number;
  private readonly pgfreeSlot: number;
  /** Zone index of each run of `2 ** zoneShift` frames (Linux keeps the zone in page->flags). */
  private readonly zoneByRun: Uint8Array;
  private readonly zoneShift: number;
  private readonly frames: number;

  /**
   * Boots a page allocator over `memory`: reserves what early boot
   * reserves, lays out the struct page array, builds the zones and hands
   * every unreserved frame to the buddy lists (`memblock_free_all`).
   *
   * @example
   * ```ts
   * const buddy = new BuddyAllocator(new PhysicalMemory(64 * 2 ** 20), { arch: 'x86_64' });
   * const pfn = buddy.allocPages(GFP_KERNEL, 2); // four frames
   * if (pfn !== null) buddy.freePages(pfn, 2);
   * ```
   */
  constructor(memory: PhysicalMemory, options: BuddyAllocatorOptions = {}) {
    const arch =
      typeof options.arch === 'object' ? options.arch : getArch(options.arch ?? 'x86_64');
    const cpus = options.cpus ?? 1;
    if (memory.pageSize !== arch.pageSize) {
      throw new KernelBug(
        `BuddyAllocator: memory has ${memory.pageSize}-byte pages, ${arch.name} has ${arch.pageSize}`,
      );
    }
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) {
      throw new KernelBug(`BuddyAllocator: cpus ${cpus} is not an integer from 1 to 64`);
    }
    this.arch = arch;
    this.memory = memory;
    this.cpus = cpus;
    this.frames = memory.frames;
    this.log = options.log ?? new KernelLog();
    this.events = options.events ?? new VmEvents();
    this.reclaimer = options.reclaimer ?? noReclaim;
    this.comm = options.comm ?? (() => 'swapper/0');
    this.failPageAlloc = options.failPageAlloc
      ? new FaultInjector('fail_page_alloc', options.failPageAlloc, this.log)
      : null;
    // pageblock_order: the order of a PMD-sized huge page, capped at MAX_PAGE_ORDER.
    this.pageblockOrder = Math.min(MAX_ORDER, arch.levelBits[arch.levelBits.length - 1] as number);

    const spans = configuredZones(arch, memory.size);
    const pageblocks = Math.ceil(memory.frames / 2 ** this.pageblockOrder);
    const nodeInts = spans.length * (ZONE_STATE_INTS + cpus * PCP_INTS);
    const boot = setupBootMemory(memory, arch, {
      reserveKernel: options.reserveKernel ?? true,
      nodeDataBytes: nodeInts * 4,
      pageblocks,
    });
    this.memblock = boot.memblock;
    this.memMap = boot.memMap;
    this.pageblockMigratetype = boot.pageblockMigratetype;
    // memmap_init: every pageblock starts out movable.
    this.pageblockMigratetype.fill(MigrateType.Movable);
    this.ctx = {
      flags: this.memMap.flags,
      private: this.memMap.private,
      next: this.memMap.next,
      prev: this.memMap.prev,
      mapping: this.memMap.mapping,
      pageblockMigratetype: this.pageblockMigratetype,
      pageblockOrder: this.pageblockOrder,
    };

    const zoneInts = spans.length * ZONE_STATE_INTS;
    this.zones = spans.map((span, i) => {
      const zone = new Zone(
        i,
        span.name,
        span.startPfn,
        span.endPfn - span.startPfn,
        boot.nodeData.subarray(i * ZONE_STATE_INTS, (i + 1) * ZONE_STATE_INTS),
        boot.nodeData.subarray(
          zoneInts + i * cpus * PCP_INTS,
          zoneInts + (i + 1) * cpus * PCP_INTS,
        ),
        cpus,
      );
      zone.reset();
      const suffix = span.name === 'HighMem' ? 'high' : span.name.toLowerCase();
      zone.pgallocSlot = this.events.register(`pgalloc_${suffix}`);
      zone.allocstallSlot = this.events.register(`allocstall_${suffix}`);
      return zone;
    });
    this.pgfreeSlot = this.events.register('pgfree');
    const lookup = buildZoneLookup(this.zones, this.pageblockOrder, memory.frames);
    this.zoneShift = lookup.shift;
    this.zoneByRun = lookup.table;
    this.normalIdx = spans.findIndex((s) => s.name === 'Normal');
    this.highestZoneIdx = buildZoneTable(this.zones);

    freeAllBootMemory(this.ctx, this.zones, this.memblock, arch.pageSize);
    this.minFree = calculateMinFreeKbytes(this.zones, arch.pageSize);
    setupPerZoneWmarks(this.zones, this.minFree, arch.pageSize, this.scaleFactor);
    setupLowmemReserve(this.zones);
    for (const zone of this.zones) setupPcp(zone, arch.pageSize, cpus);
    printBootLog(this.log, arch, this.zones, this.memblock, this.frames, this.nrFreePages());
  }

  /**
   * Sets `min_free_kbytes` and `watermark_scale_factor` and recomputes what
   * derives from them, as their sysctl handlers do
   * (`min_free_kbytes_sysctl_handler`, `watermark_scale_factor_sysctl_handler`:
   * `setup_per_zone_wmarks`, then `zone_pcp_update` for each zone, whose
   * pcp high limits follow the low watermark). The sysctl layer validates
   * the values; here they must be integers in the sysctl ranges.
   *
   * @throws KernelBug for a value outside 0..INT_MAX (min_free_kbytes) or 1..3000 (scale).
   */
  setWatermarkTunables(minFreeKbytes: number, scaleFactor: number): void {
    if (!Number.isInteger(minFreeKbytes) || minFreeKbytes < 0 || minFreeKbytes > 2 ** 31 - 1) {
      throw new KernelBug(
        `setWatermarkTunables: min_free_kbytes ${minFreeKbytes} is not in 0..2147483647`,
      );
    }
    if (!Number.isInteger(scaleFactor) || scaleFactor < 1 || scaleFactor > 3000) {
      throw new KernelBug(
        `setWatermarkTunables: watermark_scale_factor ${scaleFactor} is not in 1..3000`,
      );
    }
    this.minFree = minFreeKbytes;
    this.scaleFactor = scaleFactor;
    setupPerZoneWmarks(this.zones, minFreeKbytes, this.arch.pageSize, scaleFactor);
    for (const zone of this.zones) setupPcp(zone, this.arch.pageSize, this.cpus);
  }

  /** Replaces the reclaimer the slow path calls (the kernel wires in `src/vm`'s at boot). */
  setReclaimer(reclaimer: Reclaimer): void {
    this.reclaimer = reclaimer;
  }

  /** Frames on the buddy free lists of every zone (`nr_free_pages`; pcp frames are not counted). */
  nrFreePages(): number {
    let n = 0;
    for (const zone of this.zones) n += zone.state[Z_FREE_PAGES] as number;
    return n;
  }

  /** The zone holding frame `pfn`. */
  zoneOf(pfn: number): Zone {
    return this.zones[this.zoneByRun[pfn >>> this.zoneShift] as number] as Zone;
  }

  // --- allocation -------------------------------------------------------

  /**
   * `alloc_pages`: `2 ** order` contiguous frames, the first aligned to
   * `2 ** order`, or `null` when memory cannot be found.
   *
   * @throws KernelBug for an invalid gfp mask or an order that is not an
   *   integer in 0..MAX_ORDER (an order above MAX_ORDER is also logged as the
   *   kernel's warning, unless `__GFP_NOWARN`).
   */
  allocPages(gfp: Gfp, order: number): Pfn | null {
    // typeof first: `>>>` on a BigInt throws and on an object runs its valueOf.
    const highest = (
      typeof gfp === 'number' && gfp >>> 0 === gfp ? this.highestZoneIdx[gfp & GFP_ZONEMASK] : -1
    ) as number;
    if (
      highest < 0 ||
      (gfp & ~GFP_VALID_MASK) !== 0 ||
      (gfp & GFP_MOVABLE_MASK) === GFP_MOVABLE_MASK
    ) {
      checkGfp('allocPages', gfp); // throws the precise error
    }
    if (!(typeof order === 'number' && order >= 0 && order <= MAX_ORDER && (order | 0) === order))
      this.badOrder('allocPages', gfp, order);
    if (this.failPageAlloc !== null && this.shouldFailAlloc(gfp)) return null;
    // gfp_migratetype: the mobility bits shifted down (Movable 1, Reclaimable 2).
    const mt = (gfp & GFP_MOVABLE_MASK) >>> GFP_MOVABLE_SHIFT;
    let pfn = this.getPageFromFreelist(gfp, order, WMARK_LOW, highest, mt);
    if (pfn < 0) pfn = allocSlowpath(this, gfp, order, highest, mt);
    return pfn < 0 ? null : (pfn as Pfn);
  }

  private badOrder(fn: string, gfp: Gfp, order: number): never {
    if (
      typeof order === 'number' &&
      Number.isInteger(order) &&
      order > MAX_ORDER &&
      (gfp & __GFP_NOWARN) === 0
    ) {
      this.log.printk(
        LogLevel.WARNING,
        `WARNING: CPU: ${this.cpu} PID: 0 at mm/page_alloc.c __alloc_pages: order ${order} > MAX_PAGE_ORDER (${MAX_ORDER})`,
      );
    }
    throw new KernelBug(
      `${fn}: order ${describeValue(order)} is not an integer from 0 to MAX_ORDER (${MAX_ORDER})`,
    );
  }

  /** `should_fail_alloc_page`. */
  private shouldFailAlloc(gfp: Gfp): boolean {
    const injector = this.failPageAlloc as FaultInjector;
    if ((gfp & __GFP_NOFAIL) !== 0) return false;
    if (injector.config.ignoreGfpWait && (gfp & __GFP_DIRECT_RECLAIM) !== 0) return false;
    return injector.shouldFail((gfp & __GFP_NOWARN) !== 0);
  }

  /**
   * `get_page_from_freelist`: the first zone of the zonelist that passes the
   * watermark check gives the block; -1 if none can.
   */
  /** @internal */
  getPageFromFreelist(
    gfp: Gfp,
    order: number,
    allocFlags: number,
    highest: number,
    mt: number,
  ): number {
    for (let z = highest; z >= 0; z--) {
      const zone = this.zones[z] as Zone;
      if (zone.managed === 0) continue;
      if ((allocFlags & ALLOC_NO_WATERMARKS) === 0) {
        const mark = zone.watermark[allocFlags & ALLOC_WMARK_MASK] as number;
        if (!this.zoneWatermarkFast(zone, order, mark, highest, allocFlags)) continue;
      }
      const pfn =
        order <= PAGE_ALLOC_COSTLY_ORDER
          ? rmqueuePcplist(this.ctx, zone, this.cpu, order, mt)
          : rmqueue(this.ctx, zone, order, mt);
      if (pfn >= 0) {
        this.prepNewPage(pfn, order, gfp);
        this.events.add(zone.pgallocSlot, 1 << order);
        return pfn;
      }
    }
    return -1;
  }

  /** `zone_watermark_fast`: order 0 against the plain mark first, then the full check. */
  private zoneWatermarkFast(
    zone: Zone,
    order: number,
    mark: number,
    highest: number,
    allocFlags: number,
  ): boolean {
    const free = zone.state[Z_FREE_PAGES] as number;
    if (order === 0 && free > mark + (zone.lowmemReserve[highest] as number)) return true;
    return zoneWatermarkOk(zone, order, mark, highest, allocFlags, free);
  }

  /**
   * `post_alloc_hook` and `prep_new_page`: one reference, zeroed or compound
   * as asked, order recorded. The other fields of the head are already
   * clean: taking a block off a free or pcp list resets its links,
   * `private` and `mapping`, and freeing resets `index` and checks
   * `mapcount`.
   */
  private prepNewPage(pfn: number, order: number, gfp: Gfp): void {
    const m = this.memMap;
    m.flags[pfn] = ALLOCATED_BIT | (order << ALLOC_ORDER_SHIFT);
    m.refcount[pfn] = 1;
    if ((gfp & (__GFP_ZERO | __GFP_COMP)) !== 0) {
      if ((gfp & __GFP_ZERO) !== 0) {
        for (let i = 0; i < 1 << order; i++) this.memory.zeroPage(pfn + i);
      }
      if ((gfp & __GFP_COMP) !== 0 && order > 0) m.prepCompoundPage(pfn, order);
    }
  }

  // --- freeing ----------------------------------------------------------

  /**
   * `__free_pages`: drops the reference the allocation gave; when it was the
   * last, the block returns to the free lists.
   *
   * @throws KernelBug, changing nothing, when `pfn` is not the first frame
   *   of an allocated block of exactly this order: out of range, misaligned,
   *   already free (a double free), reserved, a frame inside a block, a
   *   different order, or a page still mapped or on an LRU list.
   */
  freePages(pfn: number, order: number): void {
    const m = this.memMap;
    // typeof first: comparisons and `|` on a BigInt, an object or a Symbol throw or coerce.
    if (!(typeof order === 'number' && order >= 0 && order <= MAX_ORDER && (order | 0) === order)) {
      throw new KernelBug(
        `freePages: order ${describeValue(order)} is not an integer from 0 to MAX_ORDER (${MAX_ORDER})`,
      );
    }
    if (!(typeof pfn === 'number' && pfn >= 0 && pfn < this.frames && (pfn | 0) === pfn)) {
      throw new KernelBug(
        `freePages: pfn ${describeValue(pfn)} is outside RAM (0..${this.frames - 1})`,
      );
    }
    if ((pfn & ((1 << order) - 1)) !== 0) {
      throw new KernelBug(`freePages: pfn ${pfn} is not aligned to order ${order}`);
    }
    const flags = m.flags[pfn] as number;
    if ((flags & ALLOCATED_BIT) === 0) this.notAllocated(pfn, flags);
    const allocOrder = (flags >>> ALLOC_ORDER_SHIFT) & ALLOC_ORDER_MASK;
    if (allocOrder !== order) {
      throw new KernelBug(
        `freePages: pfn ${pfn} was allocated with order ${allocOrder}, freed with order ${order}`,
      );
    }
    const refs = m.refcount[pfn] as number;
    if (refs <= 0) throw new KernelBug(`freePages: pfn ${pfn} has refcount ${refs}`);
    if (refs > 1) {
      m.refcount[pfn] = refs - 1;
      return;
    }
    // free_page_is_bad: checked only when this is the last reference; the
    // LRU flags go with the page's release from its list, if anyone can release it.
    const release = (flags & LRU_FLAGS) !== 0 ? this.lruRelease : null;
    const checked = release === null ? flags : flags & ~LRU_FLAGS;
    if ((m.mapcount[pfn] as number) !== 0 || (checked & BAD_FLAGS_AT_FREE) !== 0) {
      throw new KernelBug(
        `freePages: bad page state: pfn ${pfn} mapcount ${m.mapcount[pfn]} flags ${m.flagNames(pfn).join('|')}`,
      );
    }
    if (release !== null) release(pfn);
    m.refcount[pfn] = 0;
    this.freeBlock(pfn, order);
  }

  private notAllocated(pfn: number, flags: number): never {
    const type = flags >>> PAGE_TYPE_SHIFT;
    if (type === PageType.buddy || type === PageType.pcp) {
      throw new KernelBug(`freePages: pfn ${pfn} is already free (double free)`);
    }
    if ((flags & (1 << PG.reserved)) !== 0)
      throw new KernelBug(`freePages: pfn ${pfn} is reserved`);
    throw new KernelBug(`freePages: pfn ${pfn} is not the first frame of an allocated block`);
  }

  /** `free_pages_prepare`, then the pcp or buddy free. */
  private freeBlock(pfn: number, order: number): void {
    const m = this.memMap;
    if ((m.flags[pfn] as number) & (1 << PG.head)) m.clearCompoundPage(pfn, order);
    m.flags[pfn] = 0;
    m.private[pfn] = 0;
    m.mapping[pfn] = 0;
    m.index[pfn] = 0;
    this.events.add(this.pgfreeSlot, 1 << order);
    const zone = this.zoneOf(pfn);
    if (order <= PAGE_ALLOC_COSTLY_ORDER) {
      freeToPcp(this.ctx, zone, this.cpu, pfn, order);
    } else {
      freeOneBlock(this.ctx, zone, pfn, order, pageblockMigratetype(this.ctx, pfn), false);
    }
  }

  /** `drain_all_pages`: every CPU's pcp lists go back to the buddy lists. */
  drainAllPages(): void {
    for (const zone of this.zones) {
      for (let cpu = 0; cpu < this.cpus; cpu++) drainPcp(this.ctx, zone, cpu);
    }
  }

  /**
   * Throws `KernelBug` naming the first broken invariant of the free
   * lists, the per-CPU lists, the counters and the struct pages (see
   * invariants.ts); returns nothing when all hold. For tests of a
   * `BuddyAllocator` used on its own (`Kernel.checkInvariants` runs it too).
   */
  checkInvariants(): void {
    checkBuddyInvariants(this);
  }

  /** The order an allocated block was allocated with, or -1 if `pfn` does not start one. */
  allocatedOrder(pfn: number): number {
    this.memMap.checkPfn('allocatedOrder', pfn);
    const flags = this.memMap.flags[pfn] as number;
    return (flags & ALLOCATED_BIT) === 0 ? -1 : (flags >>> ALLOC_ORDER_SHIFT) & ALLOC_ORDER_MASK;
  }
}
