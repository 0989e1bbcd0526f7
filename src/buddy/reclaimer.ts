/**
 * The page allocator's seam to memory reclaim. The allocator's slow path
 * needs reclaim (mm/vmscan.c) and the OOM killer (mm/oom_kill.c), which
 * live in the virtual-memory layer above it; that layer implements this
 * interface and the kernel wires it in at boot (`setReclaimer`). Alone,
 * a `BuddyAllocator` uses `noReclaim`, which frees nothing.
 */
import type { Gfp } from '../gfp/flags.js';
import type { Zone } from './zone.js';

/** Reclaim and OOM services the page allocator calls. */
export interface Reclaimer {
  /**
   * `wakeup_kswapd`: a zone of the request fell below its low watermark.
   * Background reclaim runs as part of the machine's progress, not
   * necessarily inside this call.
   */
  wakeKswapd(order: number, highestZoneIdx: number, gfp: Gfp): void;
  /**
   * `try_to_free_pages`: direct reclaim on behalf of an allocation that
   * may block. Returns the number of frames reclaimed. It must respect
   * the gfp mask: no I/O without `__GFP_IO`, no filesystem writeback
   * without `__GFP_FS`.
   */
  tryToFreePages(gfp: Gfp, order: number, highestZoneIdx: number): number;
  /** `zone_reclaimable_pages`: frames reclaim could still free in a zone. */
  reclaimablePages(zone: Zone): number;
  /**
   * `out_of_memory`: kill a process to free memory. Returns whether
   * anything was freed (a victim was killed).
   */
  outOfMemory(gfp: Gfp, order: number): boolean;
}

/** A reclaimer with nothing to reclaim and nobody to kill. */
export const noReclaim: Reclaimer = {
  wakeKswapd() {},
  tryToFreePages: () => 0,
  reclaimablePages: () => 0,
  outOfMemory: () => false,
};
