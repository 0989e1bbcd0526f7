/**
 * A memory zone (`struct zone`, include/linux/mmzone.h): a range of frames
 * with its own free lists, watermarks and per-CPU page lists.
 *
 * What changes while the machine runs lives in shared memory, in the
 * `node_data` range boot reserves in simulated RAM, as `Int32Array` views:
 *
 * ```
 * zone state (ZONE_STATE_INTS slots per zone)
 *   [0]                 NR_FREE_PAGES: frames in the free lists (not on pcp lists)
 *   [1 .. 12)           nr_free[order]: free blocks per order
 *   [12 .. 67)          free list heads, [order * 5 + migratetype]
 *   [67 .. 122)         free list lengths, [order * 5 + migratetype]
 * per-CPU pages (PCP_INTS slots per zone and CPU)
 *   [0] count (frames)  [1] high  [2] batch  [3] high_min  [4] high_max
 *   [8 .. 20)           list heads, [order * 3 + migratetype] (orders 0..3)
 * ```
 *
 * What is fixed at boot (the span, managed pages, watermarks,
 * lowmem_reserve) is kept in plain fields.
 */
import { MIGRATE_PCPTYPES, MIGRATE_TYPES } from '../gfp/migratetype.js';
import type { ZoneName } from '../page/arch.js';

/** `MAX_PAGE_ORDER`. */
export const MAX_ORDER = 10;
/** `NR_PAGE_ORDERS`: orders 0..MAX_ORDER. */
export const NR_ORDERS = MAX_ORDER + 1;
/** `PAGE_ALLOC_COSTLY_ORDER`: the largest order the pcp lists hold and OOM kills for. */
export const PAGE_ALLOC_COSTLY_ORDER = 3;
/** `NR_PCP_LISTS`: one list per pcp order and pcp migratetype. */
export const NR_PCP_LISTS = MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1);

/** Int32 slots of one zone's state. */
export const ZONE_STATE_INTS = 128;
/** Slot of NR_FREE_PAGES. */
export const Z_FREE_PAGES = 0;
const Z_NR_FREE = 1;
const Z_HEADS = Z_NR_FREE + NR_ORDERS;
const Z_COUNTS = Z_HEADS + NR_ORDERS * MIGRATE_TYPES;

/** Int32 slots of one per-CPU page set. */
export const PCP_INTS = 32;
/** pcp slot: frames on the lists. */
export const PCP_COUNT = 0;
/** pcp slot: above this many frames, free a batch to the buddy lists. */
export const PCP_HIGH = 1;
/** pcp slot: frames moved to or from the buddy lists at a time. */
export const PCP_BATCH = 2;
/** pcp slot: the smallest `high` (Linux auto-tunes between high_min and high_max). */
export const PCP_HIGH_MIN = 3;
/** pcp slot: the largest `high`. */
export const PCP_HIGH_MAX = 4;
const PCP_HEADS = 8;

/** Watermark indices (`enum zone_watermarks`). */
export const WMARK_MIN = 0;
/** Below `low` the allocator wakes kswapd. */
export const WMARK_LOW = 1;
/** kswapd reclaims until `high`. */
export const WMARK_HIGH = 2;
/** Memory tiering's promotion mark. */
export const WMARK_PROMO = 3;

/** Index of a free list: `order * MIGRATE_TYPES + migratetype`. */
export function freeListIndex(order: number, migratetype: number): number {
  return order * MIGRATE_TYPES + migratetype;
}

/** Index of a pcp list (`order_to_pindex`): `order * MIGRATE_PCPTYPES + migratetype`. */
export function pcpListIndex(order: number, migratetype: number): number {
  return order * MIGRATE_PCPTYPES + migratetype;
}

/** One per-CPU page set's views. */
export interface PerCpuPages {
  /** count, high, batch, high_min, high_max. */
  readonly ints: Int32Array;
  /** List heads by `pcpListIndex` (stacks linked through `next`, -1 ends). */
  readonly heads: Int32Array;
}

/** A zone of node 0. */
export class Zone {
  /** Zone state in shared memory (see the layout above). */
  readonly state: Int32Array;
  /** Free blocks per order (`free_area[order].nr_free`). */
  readonly nrFree: Int32Array;
  /** Free list heads by `freeListIndex`. */
  readonly freeHeads: Int32Array;
  /** Free list lengths by `freeListIndex`. */
  readonly freeCounts: Int32Array;
  /** Per-CPU page sets, one per CPU. */
  readonly pcp: readonly PerCpuPages[];
  /** Frames given to the buddy allocator (`managed_pages`). */
  managed = 0;
  /** `_watermark[WMARK_MIN..WMARK_PROMO]`, in frames. */
  readonly watermark = [0, 0, 0, 0];
  /**
   * `lowmem_reserve[i]`: frames this zone keeps back from requests whose
   * highest usable zone is `i`, so that they cannot drain a lower zone that
   * callers restricted to it depend on.
   */
  lowmemReserve: number[] = [];
  /** Event-counter slots (`pgalloc_<zone>`, `allocstall_<zone>`), set by the allocator. */
  pgallocSlot = -1;
  allocstallSlot = -1;

  /**
   * @param index - position in the node's zone array (`zone_idx`).
   * @param name - `'DMA'`, `'DMA32'`, `'Normal'`, `'HighMem'` or `'Movable'`.
   * @param startPfn - first frame (`zone_start_pfn`).
   * @param spanned - frames spanned (`spanned_pages`); all are present (no holes).
   * @param state - this zone's `ZONE_STATE_INTS` slots of node data.
   * @param pcpState - `PCP_INTS` slots per CPU.
   */
  constructor(
    readonly index: number,
    readonly name: ZoneName,
    readonly startPfn: number,
    readonly spanned: number,
    state: Int32Array,
    pcpState: Int32Array,
    cpus: number,
  ) {
    this.state = state;
    this.nrFree = state.subarray(Z_NR_FREE, Z_NR_FREE + NR_ORDERS);
    this.freeHeads = state.subarray(Z_HEADS, Z_HEADS + NR_ORDERS * MIGRATE_TYPES);
    this.freeCounts = state.subarray(Z_COUNTS, Z_COUNTS + NR_ORDERS * MIGRATE_TYPES);
    const pcp: PerCpuPages[] = [];
    for (let cpu = 0; cpu < cpus; cpu++) {
      const ints = pcpState.subarray(cpu * PCP_INTS, (cpu + 1) * PCP_INTS);
      pcp.push({
        ints,
        heads: ints.subarray(PCP_HEADS, PCP_HEADS + NR_PCP_LISTS),
      });
    }
    this.pcp = pcp;
  }

  /** Empties every list (boot, before the first free). */
  reset(): void {
    this.state.fill(0);
    this.freeHeads.fill(-1);
    for (const p of this.pcp) {
      p.ints.fill(0);
      p.heads.fill(-1);
    }
  }

  /** One past the last frame (`zone_end_pfn`). */
  get endPfn(): number {
    return this.startPfn + this.spanned;
  }

  /** `present_pages`: mmsim models no holes, so every spanned frame is present. */
  get present(): number {
    return this.spanned;
  }

  /** Whether the zone spans any present memory (`populated_zone`). */
  get populated(): boolean {
    return this.present > 0;
  }

  /** Whether the zone has frames the allocator may hand out (`managed_zone`). */
  get isManaged(): boolean {
    return this.managed > 0;
  }

  /** NR_FREE_PAGES: frames on the buddy free lists (pcp frames are not counted, as in Linux). */
  get freePages(): number {
    return this.state[Z_FREE_PAGES] as number;
  }

  /** Frames on this zone's per-CPU lists, over every CPU. */
  get pcpPages(): number {
    let n = 0;
    for (const p of this.pcp) n += p.ints[PCP_COUNT] as number;
    return n;
  }

  /** `min_wmark_pages`. */
  get min(): number {
    return this.watermark[WMARK_MIN] as number;
  }

  /** `low_wmark_pages`. */
  get low(): number {
    return this.watermark[WMARK_LOW] as number;
  }

  /** `high_wmark_pages`. */
  get high(): number {
    return this.watermark[WMARK_HIGH] as number;
  }

  /** Whether `pfn` lies in this zone. */
  contains(pfn: number): boolean {
    return pfn >= this.startPfn && pfn < this.startPfn + this.spanned;
  }
}
