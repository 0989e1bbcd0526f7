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
  __GFP_FS,
  __GFP_HIGH,
  __GFP_KSWAPD_RECLAIM,
  __GFP_MEMALLOC,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  __GFP_ZERO,
  GFP_MOVABLE_MASK,
  GFP_VALID_MASK,
  GFP_ZONEMASK,
  type Gfp,
} from '../gfp/flags.js';
import { formatGfp } from '../gfp/format.js';
import { MIGRATE_PCPTYPES, MIGRATE_TYPES, MigrateType } from '../gfp/migratetype.js';
import { checkGfp, gfpZone } from '../gfp/zone.js';
import type { Pfn } from '../page/address.js';
import { type Arch, type ArchName, getArch, type ZoneName, zoneSpans } from '../page/arch.js';
import { KernelBug, KernelPanic } from '../page/errors.js';
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
import { VmEvents } from '../page/vm-events.js';
import { setupBootMemory } from './boot-memory.js';
import { type FreeAreaContext, freeOneBlock, pageblockMigratetype, rmqueue } from './free-area.js';
import type { Memblock } from './memblock.js';
import { drainPcp, freeToPcp, rmqueuePcplist } from './pcp.js';
import { noReclaim, type Reclaimer } from './reclaimer.js';
import {
  calculateMinFreeKbytes,
  setupLowmemReserve,
  setupPcp,
  setupPerZoneWmarks,
} from './watermarks.js';
import {
  MAX_ORDER,
  PAGE_ALLOC_COSTLY_ORDER,
  PCP_INTS,
  WMARK_HIGH,
  WMARK_LOW,
  WMARK_MIN,
  Z_FREE_PAGES,
  ZONE_STATE_INTS,
  Zone,
} from './zone.js';

// alloc_flags (mm/internal.h): the low two bits select the watermark.
const ALLOC_WMARK_MASK = 0x3;
const ALLOC_NO_WATERMARKS = 0x4;
const ALLOC_OOM = 0x8;
const ALLOC_NON_BLOCK = 0x10;
const ALLOC_MIN_RESERVE = 0x20;
const ALLOC_HIGHATOMIC = 0x200;
const ALLOC_KSWAPD = 0x800;
const ALLOC_RESERVES = ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM;

/** `MAX_RECLAIM_RETRIES`: reclaim rounds without progress before the OOM killer. */
const MAX_RECLAIM_RETRIES = 16;
/**
 * Rounds of the slow path before mmsim gives up. Linux can loop for ever
 * (a `GFP_NOFS` request under OOM, a `__GFP_NOFAIL` one with nothing to
 * kill); a simulation must end, so it fails, or panics for `__GFP_NOFAIL`.
 */
const MAX_SLOWPATH_ROUNDS = 64;

const ALLOCATED_BIT = 1 << PG.allocated;
/** `GFP_MOVABLE_SHIFT`: gfp_migratetype is `(gfp & GFP_MOVABLE_MASK) >> 3`. */
const GFP_MOVABLE_SHIFT = 3;
/** Flags that may not be set on a page being freed (`PAGE_FLAGS_CHECK_AT_FREE`). */
const BAD_FLAGS_AT_FREE =
  (1 << PG.locked) |
  (1 << PG.lru) |
  (1 << PG.active) |
  (1 << PG.slab) |
  (1 << PG.writeback) |
  (1 << PG.unevictable) |
  (1 << PG.swapcache);

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

/** The zones Linux configures on an architecture, with the empty Movable zone every kernel has. */
function configuredZones(
  arch: Arch,
  memorySize: number,
): { name: ZoneName; startPfn: number; endPfn: number }[] {
  const spans = zoneSpans(arch, memorySize);
  const end = Math.floor(memorySize / arch.pageSize);
  return [...spans, { name: 'Movable', startPfn: end, endPfn: end }];
}

/** The buddy page allocator of one node. */
export class BuddyAllocator {
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
  /** `min_free_kbytes`. */
  readonly minFreeKbytes: number;
  /** The kernel log. */
  readonly log: KernelLog;
  /** Event counters (`pgalloc_*`, `pgfree`, `allocstall_*`). */
  readonly events: VmEvents;
  /** The CPU allocations and frees run on (selects the pcp lists). */
  cpu = 0;
  /** Migratetype of each pageblock. */
  readonly pageblockMigratetype: Uint8Array;
  private reclaimer: Reclaimer;
  private readonly ctx: FreeAreaContext;
  private readonly failPageAlloc: FaultInjector | null;
  private readonly comm: () => string;
  /** Highest usable zone index for each combination of the zone bits (`gfp_zone` resolved). */
  private readonly highestZoneIdx: Int8Array;
  /** Index of ZONE_NORMAL: the OOM killer is not used for requests limited to lower zones. */
  private readonly normalIdx: number;
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
    // The largest run of frames that never straddles a zone boundary.
    let shift = this.pageblockOrder;
    while (shift > 0 && this.zones.some((z) => z.startPfn % 2 ** shift !== 0)) shift--;
    this.zoneShift = shift;
    this.zoneByRun = new Uint8Array(Math.ceil(memory.frames / 2 ** shift));
    for (const zone of this.zones) {
      this.zoneByRun.fill(zone.index, zone.startPfn >>> shift, Math.ceil(zone.endPfn / 2 ** shift));
    }
    this.normalIdx = spans.findIndex((s) => s.name === 'Normal');
    this.highestZoneIdx = this.buildZoneTable();

    this.freeAllBootMemory();
    this.minFreeKbytes = calculateMinFreeKbytes(this.zones, arch.pageSize);
    setupPerZoneWmarks(this.zones, this.minFreeKbytes, arch.pageSize);
    setupLowmemReserve(this.zones);
    for (const zone of this.zones) setupPcp(zone, arch.pageSize, cpus);
    this.printBootLog();
  }

  /** `gfp_zone` with OPT_ZONE_* resolved for this architecture: the highest zone index per zone-bit combination. */
  private buildZoneTable(): Int8Array {
    const table = new Int8Array(16).fill(-1);
    const indexOf = (name: ZoneName): number => this.zones.findIndex((z) => z.name === name);
    for (let bits = 0; bits < 16; bits++) {
      let name: ZoneName;
      try {
        name = gfpZone(bits);
      } catch {
        continue;
      }
      let idx = indexOf(name);
      // A zone the architecture does not configure resolves to ZONE_NORMAL (OPT_ZONE_DMA32, OPT_ZONE_HIGHMEM).
      if (idx < 0) idx = indexOf('Normal');
      table[bits] = idx;
    }
    return table;
  }

  /** `memblock_free_all`: every frame not reserved goes to the buddy lists, in the largest aligned blocks. */
  private freeAllBootMemory(): void {
    const reserved = this.memblock.reserved;
    for (const zone of this.zones) {
      let start = zone.startPfn;
      const end = zone.endPfn;
      const ranges: [number, number][] = [];
      for (const r of reserved) {
        const rs = r.base / this.arch.pageSize;
        const re = rs + r.size / this.arch.pageSize;
        if (re <= start || rs >= end) continue;
        if (rs > start) ranges.push([start, rs]);
        start = Math.max(start, re);
      }
      if (start < end) ranges.push([start, end]);
      for (const [s, e] of ranges) this.freeBootRange(zone, s, e);
    }
  }

  /** `__free_pages_memory`: frees `[start, end)` in naturally aligned blocks. */
  private freeBootRange(zone: Zone, start: number, end: number): void {
    let pfn = start;
    while (pfn < end) {
      let order = pfn === 0 ? MAX_ORDER : Math.min(MAX_ORDER, 31 - Math.clz32(pfn & -pfn));
      while (pfn + (1 << order) > end) order--;
      zone.managed += 1 << order;
      freeOneBlock(this.ctx, zone, pfn, order, pageblockMigratetype(this.ctx, pfn), true);
      pfn += 1 << order;
    }
  }

  private printBootLog(): void {
    const { log, arch } = this;
    log.printk(LogLevel.INFO, 'Zone ranges:');
    for (const zone of this.zones) {
      const range =
        zone.spanned > 0
          ? `[mem ${hex16(zone.startPfn * arch.pageSize)}-${hex16(zone.endPfn * arch.pageSize - 1)}]`
          : 'empty';
      log.printk(LogLevel.INFO, `  ${zone.name.padEnd(8)} ${range}`);
    }
    for (const zone of this.zones) {
      if (zone.spanned === 0) continue;
      const reserved = zone.spanned - zone.managed;
      if (reserved > 0)
        log.printk(LogLevel.DEBUG, `  ${zone.name} zone: ${reserved} pages reserved`);
    }
    const total = this.zones.reduce((n, z) => n + z.managed, 0);
    log.printk(LogLevel.INFO, `Built 1 zonelists, mobility grouping on.  Total pages: ${total}`);
    const kib = arch.pageSize / 1024;
    const reservedKb = (this.frames - total) * kib;
    log.printk(
      LogLevel.INFO,
      `Memory: ${this.nrFreePages() * kib}K/${this.frames * kib}K available (${reservedKb}K reserved)`,
    );
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
    const highest = (gfp >>> 0 === gfp ? this.highestZoneIdx[gfp & GFP_ZONEMASK] : -1) as number;
    if (
      highest < 0 ||
      (gfp & ~GFP_VALID_MASK) !== 0 ||
      (gfp & GFP_MOVABLE_MASK) === GFP_MOVABLE_MASK
    ) {
      checkGfp('allocPages', gfp); // throws the precise error
    }
    if (!(order >= 0 && order <= MAX_ORDER && (order | 0) === order))
      this.badOrder('allocPages', gfp, order);
    if (this.failPageAlloc !== null && this.shouldFailAlloc(gfp, order)) return null;
    // gfp_migratetype: the mobility bits shifted down (Movable 1, Reclaimable 2).
    const mt = (gfp & GFP_MOVABLE_MASK) >>> GFP_MOVABLE_SHIFT;
    let pfn = this.getPageFromFreelist(gfp, order, WMARK_LOW, highest, mt);
    if (pfn < 0) pfn = this.allocSlowpath(gfp, order, highest, mt);
    return pfn < 0 ? null : (pfn as Pfn);
  }

  private badOrder(fn: string, gfp: Gfp, order: number): never {
    if (Number.isInteger(order) && order > MAX_ORDER && (gfp & __GFP_NOWARN) === 0) {
      this.log.printk(
        LogLevel.WARNING,
        `WARNING: CPU: ${this.cpu} PID: 0 at mm/page_alloc.c __alloc_pages: order ${order} > MAX_PAGE_ORDER (${MAX_ORDER})`,
      );
    }
    throw new KernelBug(
      `${fn}: order ${order} is not an integer from 0 to MAX_ORDER (${MAX_ORDER})`,
    );
  }

  /** `should_fail_alloc_page`. */
  private shouldFailAlloc(gfp: Gfp, order: number): boolean {
    const injector = this.failPageAlloc as FaultInjector;
    if ((gfp & __GFP_NOFAIL) !== 0) return false;
    if (injector.config.ignoreGfpWait && (gfp & __GFP_DIRECT_RECLAIM) !== 0) return false;
    void order;
    return injector.shouldFail();
  }

  /**
   * `get_page_from_freelist`: the first zone of the zonelist that passes the
   * watermark check gives the block; -1 if none can.
   */
  private getPageFromFreelist(
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
    return this.zoneWatermarkOk(zone, order, mark, highest, allocFlags, free);
  }

  /**
   * `__zone_watermark_ok`: after the request, free frames must stay above
   * the mark plus the lowmem reserve; reserves lower the mark; a high-order
   * request also needs a free block of at least its order.
   */
  zoneWatermarkOk(
    zone: Zone,
    order: number,
    mark: number,
    highest: number,
    allocFlags: number,
    freePages: number,
  ): boolean {
    let min = mark;
    const free = freePages - ((1 << order) - 1);
    if ((allocFlags & ALLOC_RESERVES) !== 0) {
      if ((allocFlags & ALLOC_MIN_RESERVE) !== 0) {
        min -= Math.floor(min / 2);
        if ((allocFlags & ALLOC_NON_BLOCK) !== 0) min -= Math.floor(min / 4);
      }
      if ((allocFlags & ALLOC_OOM) !== 0) min -= Math.floor(min / 2);
    }
    if (free <= min + (zone.lowmemReserve[highest] as number)) return false;
    if (order === 0) return true;
    for (let o = order; o <= MAX_ORDER; o++) {
      if (zone.nrFree[o] === 0) continue;
      for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
        if ((zone.freeHeads[o * MIGRATE_TYPES + mt] as number) >= 0) return true;
      }
      if (
        (allocFlags & (ALLOC_HIGHATOMIC | ALLOC_OOM)) !== 0 &&
        (zone.freeHeads[o * MIGRATE_TYPES + MigrateType.HighAtomic] as number) >= 0
      ) {
        return true;
      }
    }
    return false;
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

  /** `gfp_to_alloc_flags`. */
  private gfpToAllocFlags(gfp: Gfp, order: number): number {
    let flags = WMARK_MIN;
    if ((gfp & __GFP_HIGH) !== 0) flags |= ALLOC_MIN_RESERVE;
    if ((gfp & __GFP_KSWAPD_RECLAIM) !== 0) flags |= ALLOC_KSWAPD;
    if ((gfp & __GFP_DIRECT_RECLAIM) === 0 && (gfp & __GFP_NOMEMALLOC) === 0) {
      flags |= ALLOC_NON_BLOCK;
      if (order > 0) flags |= ALLOC_HIGHATOMIC;
    }
    return flags;
  }

  /**
   * `__alloc_pages_slowpath`. Returns the pfn, or -1 after logging the
   * failure (unless `__GFP_NOWARN`).
   */
  private allocSlowpath(gfp: Gfp, order: number, highest: number, mt: number): number {
    const canDirectReclaim = (gfp & __GFP_DIRECT_RECLAIM) !== 0;
    const costly = order > PAGE_ALLOC_COSTLY_ORDER;
    let allocFlags = this.gfpToAllocFlags(gfp, order);
    if ((allocFlags & ALLOC_KSWAPD) !== 0) this.reclaimer.wakeKswapd(order, highest, gfp);
    let pfn = this.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
    if (pfn >= 0) return pfn;

    let noProgressLoops = 0;
    let drained = false;
    for (let round = 0; round < MAX_SLOWPATH_ROUNDS; round++) {
      if ((allocFlags & ALLOC_KSWAPD) !== 0) this.reclaimer.wakeKswapd(order, highest, gfp);
      // __gfp_pfmemalloc_flags: __GFP_MEMALLOC may use every reserve.
      if ((gfp & __GFP_MEMALLOC) !== 0 && (gfp & __GFP_NOMEMALLOC) === 0) {
        allocFlags = ALLOC_NO_WATERMARKS | (allocFlags & ALLOC_KSWAPD);
      }
      pfn = this.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
      if (pfn >= 0) return pfn;
      if (!canDirectReclaim) break;

      // __alloc_pages_direct_reclaim
      this.events.add((this.zones[highest] as Zone).allocstallSlot, 1);
      const reclaimed = this.reclaimer.tryToFreePages(gfp, order, highest);
      pfn = this.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
      if (pfn < 0 && !drained) {
        // Pages may be pinned on the per-CPU lists: drain them and try once more.
        this.drainAllPages();
        drained = true;
        pfn = this.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
      }
      if (pfn >= 0) return pfn;

      if ((gfp & __GFP_NORETRY) !== 0) break;
      if (costly && (gfp & __GFP_RETRY_MAYFAIL) === 0) break;
      if (this.shouldReclaimRetry(order, reclaimed > 0, ++noProgressLoops, highest, allocFlags)) {
        if (reclaimed > 0 && !costly) noProgressLoops = 0;
        continue;
      }
      const oom = this.mayOom(gfp, order, highest, mt);
      if (oom.pfn >= 0) return oom.pfn;
      if (!oom.progress) break;
      noProgressLoops = 0;
    }

    if ((gfp & __GFP_NOFAIL) !== 0 && canDirectReclaim) {
      // __alloc_pages_cpuset_fallback with ALLOC_MIN_RESERVE, then everything.
      pfn = this.getPageFromFreelist(gfp, order, WMARK_MIN | ALLOC_MIN_RESERVE, highest, mt);
      if (pfn < 0) pfn = this.getPageFromFreelist(gfp, order, ALLOC_NO_WATERMARKS, highest, mt);
      if (pfn >= 0) return pfn;
      this.warnAlloc(gfp & ~__GFP_NOWARN, order);
      throw new KernelPanic('Kernel panic - not syncing: System is deadlocked on memory');
    }
    if ((gfp & __GFP_NOWARN) === 0) this.warnAlloc(gfp, order);
    return -1;
  }

  /**
   * `should_reclaim_retry`: keep reclaiming while fewer than
   * MAX_RECLAIM_RETRIES rounds went without progress and some zone could
   * meet its min watermark if everything reclaimable were reclaimed.
   */
  private shouldReclaimRetry(
    order: number,
    progress: boolean,
    loops: number,
    highest: number,
    allocFlags: number,
  ): boolean {
    if (progress && order <= PAGE_ALLOC_COSTLY_ORDER && loops <= MAX_RECLAIM_RETRIES) return true;
    if (loops > MAX_RECLAIM_RETRIES) return false;
    for (let z = highest; z >= 0; z--) {
      const zone = this.zones[z] as Zone;
      if (zone.managed === 0) continue;
      const reclaimable = this.reclaimer.reclaimablePages(zone);
      if (reclaimable === 0) continue;
      const available = reclaimable + (zone.state[Z_FREE_PAGES] as number);
      if (this.zoneWatermarkOk(zone, order, zone.min, highest, allocFlags, available)) return true;
    }
    return false;
  }

  /** `__alloc_pages_may_oom`: one last try at the high watermark, then the OOM killer when it may help. */
  private mayOom(
    gfp: Gfp,
    order: number,
    highest: number,
    mt: number,
  ): { pfn: number; progress: boolean } {
    const pfn = this.getPageFromFreelist(gfp, order, WMARK_HIGH, highest, mt);
    if (pfn >= 0) return { pfn, progress: true };
    if (order > PAGE_ALLOC_COSTLY_ORDER) return { pfn: -1, progress: false };
    if (highest < this.normalIdx) return { pfn: -1, progress: false };
    if ((gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) !== 0) return { pfn: -1, progress: false };
    // out_of_memory does not kill for requests that cannot reach the filesystem; it reports progress so they retry.
    if ((gfp & __GFP_FS) === 0) return { pfn: -1, progress: true };
    const killed = this.reclaimer.outOfMemory(gfp, order);
    if (!killed && (gfp & __GFP_NOFAIL) !== 0) {
      const last = this.getPageFromFreelist(gfp, order, ALLOC_NO_WATERMARKS, highest, mt);
      return { pfn: last, progress: true };
    }
    return { pfn: -1, progress: killed };
  }

  /** `warn_alloc`, followed by the free-area summary of `show_free_areas`. */
  private warnAlloc(gfp: Gfp, order: number): void {
    const log = this.log;
    log.printk(
      LogLevel.WARNING,
      `${this.comm()}: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}(${formatGfp(gfp)}), nodemask=(null),cpuset=/,mems_allowed=0`,
    );
    log.printk(LogLevel.WARNING, 'Mem-Info:');
    const kib = this.arch.pageSize / 1024;
    for (const zone of this.zones) {
      if (zone.managed === 0) continue;
      let line = `Node 0 ${zone.name}: `;
      let total = 0;
      for (let o = 0; o <= MAX_ORDER; o++) {
        const n = zone.nrFree[o] as number;
        line += `${n}*${kib << o}kB `;
        if (n > 0) {
          let types = '';
          for (let t = 0; t < MIGRATE_TYPES; t++) {
            if ((zone.freeHeads[o * MIGRATE_TYPES + t] as number) >= 0) types += 'UMEHI'[t];
          }
          line += `(${types}) `;
        }
        total += n * (kib << o);
      }
      log.printk(LogLevel.WARNING, `${line}= ${total}kB`);
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
    if (!(order >= 0 && order <= MAX_ORDER && (order | 0) === order)) {
      throw new KernelBug(
        `freePages: order ${order} is not an integer from 0 to MAX_ORDER (${MAX_ORDER})`,
      );
    }
    if (!(pfn >= 0 && pfn < this.frames && (pfn | 0) === pfn)) {
      throw new KernelBug(`freePages: pfn ${pfn} is outside RAM (0..${this.frames - 1})`);
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
    if ((m.mapcount[pfn] as number) !== 0 || (flags & BAD_FLAGS_AT_FREE) !== 0) {
      throw new KernelBug(
        `freePages: bad page state: pfn ${pfn} mapcount ${m.mapcount[pfn]} flags ${m.flagNames(pfn).join('|')}`,
      );
    }
    m.refcount[pfn] = refs - 1;
    if (refs > 1) return;
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

  /** The order an allocated block was allocated with, or -1 if `pfn` does not start one. */
  allocatedOrder(pfn: number): number {
    this.memMap.checkPfn('allocatedOrder', pfn);
    const flags = this.memMap.flags[pfn] as number;
    return (flags & ALLOCATED_BIT) === 0 ? -1 : (flags >>> ALLOC_ORDER_SHIFT) & ALLOC_ORDER_MASK;
  }
}

function hex16(x: number): string {
  return `0x${x.toString(16).padStart(16, '0')}`;
}
