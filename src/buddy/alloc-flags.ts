/**
 * Allocation flags (`alloc_flags`, mm/internal.h) and the watermark check
 * they steer (`__zone_watermark_ok`). The gfp mask says what the caller
 * may do; these say how far into a zone's reserves one attempt may go.
 */
import {
  __GFP_DIRECT_RECLAIM,
  __GFP_HIGH,
  __GFP_KSWAPD_RECLAIM,
  __GFP_NOMEMALLOC,
  type Gfp,
} from '../gfp/flags.js';
import { MIGRATE_PCPTYPES, MIGRATE_TYPES, MigrateType } from '../gfp/migratetype.js';
import { MAX_ORDER, WMARK_MIN, type Zone } from './zone.js';

/** The watermark an attempt checks: WMARK_MIN, WMARK_LOW or WMARK_HIGH. */
export const ALLOC_WMARK_MASK = 0x3;
/** Ignore watermarks (`__GFP_MEMALLOC`, the last try of `__GFP_NOFAIL`). */
export const ALLOC_NO_WATERMARKS = 0x4;
/** An OOM victim: half the min reserve more. */
export const ALLOC_OOM = 0x8;
/** The caller cannot sleep. */
export const ALLOC_NON_BLOCK = 0x10;
/** `__GFP_HIGH`: may go to half the min watermark. */
export const ALLOC_MIN_RESERVE = 0x20;
/** A high-order atomic request: may use the HighAtomic reserve. */
export const ALLOC_HIGHATOMIC = 0x200;
/** Wake kswapd (`__GFP_KSWAPD_RECLAIM`). */
export const ALLOC_KSWAPD = 0x800;
/** The flags that lower the watermark. */
export const ALLOC_RESERVES = ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM;

/** `gfp_to_alloc_flags`. */
export function gfpToAllocFlags(gfp: Gfp, order: number): number {
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
 * `__zone_watermark_ok`: after the request, free frames must stay above
 * the mark plus the lowmem reserve; reserves lower the mark; a high-order
 * request also needs a free block of at least its order.
 */
export function zoneWatermarkOk(
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
