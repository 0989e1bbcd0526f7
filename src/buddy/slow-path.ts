/**
 * The allocator's slow path (`__alloc_pages_slowpath`, mm/page_alloc.c),
 * entered when no zone could give the block above its low watermark:
 *
 * 1. Wake kswapd and retry down to the min watermark (further for
 *    `__GFP_HIGH` and callers that cannot sleep; all the way for
 *    `__GFP_MEMALLOC`).
 * 2. A caller that may block reclaims directly (counted as `allocstall`),
 *    drains the per-CPU lists once, and retries while reclaim makes
 *    progress or could still make the zone meet its watermark.
 * 3. Then the OOM killer, for requests it can help: not costly orders,
 *    not requests limited to zones below Normal, not `__GFP_RETRY_MAYFAIL`.
 *
 * `__GFP_NORETRY` stops after one round of reclaim, costly orders stop
 * unless `__GFP_RETRY_MAYFAIL`, and `__GFP_NOFAIL` never gives up: where
 * Linux would loop for ever, mmsim panics after MAX_SLOWPATH_ROUNDS.
 * A failure is logged as `warn_alloc` logs it.
 */
import {
  __GFP_DIRECT_RECLAIM,
  __GFP_FS,
  __GFP_MEMALLOC,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  type Gfp,
} from '../gfp/flags.js';
import { formatGfp } from '../gfp/format.js';
import { MIGRATE_TYPES } from '../gfp/migratetype.js';
import type { Arch } from '../page/arch.js';
import { KernelPanic } from '../page/errors.js';
import { type KernelLog, LogLevel } from '../page/kernel-log.js';
import type { VmEvents } from '../page/vm-events.js';
import {
  ALLOC_KSWAPD,
  ALLOC_MIN_RESERVE,
  ALLOC_NO_WATERMARKS,
  gfpToAllocFlags,
  zoneWatermarkOk,
} from './alloc-flags.js';
import type { Reclaimer } from './reclaimer.js';
import {
  MAX_ORDER,
  PAGE_ALLOC_COSTLY_ORDER,
  WMARK_HIGH,
  WMARK_MIN,
  Z_FREE_PAGES,
  type Zone,
} from './zone.js';

/** `MAX_RECLAIM_RETRIES`: reclaim rounds without progress before the OOM killer. */
const MAX_RECLAIM_RETRIES = 16;
/**
 * Rounds of the slow path before mmsim gives up. Linux can loop for ever
 * (a `GFP_NOFS` request under OOM, a `__GFP_NOFAIL` one with nothing to
 * kill); a simulation must end, so it fails, or panics for `__GFP_NOFAIL`.
 */
const MAX_SLOWPATH_ROUNDS = 64;

/** What the slow path needs of the allocator. */
export interface SlowPathHost {
  readonly arch: Arch;
  readonly zones: readonly Zone[];
  readonly log: KernelLog;
  readonly events: VmEvents;
  /** Index of ZONE_NORMAL: the OOM killer does not help requests limited to lower zones. */
  readonly normalIdx: number;
  readonly reclaimer: Reclaimer;
  /** Name of the allocating task, for warnings. */
  comm(): string;
  /** One pass over the zonelist at the given alloc_flags; -1 if no zone gave a block. */
  getPageFromFreelist(
    gfp: Gfp,
    order: number,
    allocFlags: number,
    highest: number,
    mt: number,
  ): number;
  drainAllPages(): void;
}

/**
 * `__alloc_pages_slowpath`. Returns the pfn, or -1 after logging the
 * failure (unless `__GFP_NOWARN`).
 */
export function allocSlowpath(
  host: SlowPathHost,
  gfp: Gfp,
  order: number,
  highest: number,
  mt: number,
): number {
  const canDirectReclaim = (gfp & __GFP_DIRECT_RECLAIM) !== 0;
  const costly = order > PAGE_ALLOC_COSTLY_ORDER;
  let allocFlags = gfpToAllocFlags(gfp, order);
  if ((allocFlags & ALLOC_KSWAPD) !== 0) host.reclaimer.wakeKswapd(order, highest, gfp);
  let pfn = host.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
  if (pfn >= 0) return pfn;

  let noProgressLoops = 0;
  let drained = false;
  for (let round = 0; round < MAX_SLOWPATH_ROUNDS; round++) {
    if ((allocFlags & ALLOC_KSWAPD) !== 0) host.reclaimer.wakeKswapd(order, highest, gfp);
    // __gfp_pfmemalloc_flags: __GFP_MEMALLOC may use every reserve.
    if ((gfp & __GFP_MEMALLOC) !== 0 && (gfp & __GFP_NOMEMALLOC) === 0) {
      allocFlags = ALLOC_NO_WATERMARKS | (allocFlags & ALLOC_KSWAPD);
    }
    pfn = host.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
    if (pfn >= 0) return pfn;
    if (!canDirectReclaim) break;

    // __alloc_pages_direct_reclaim
    host.events.add((host.zones[highest] as Zone).allocstallSlot, 1);
    const reclaimed = host.reclaimer.tryToFreePages(gfp, order, highest);
    pfn = host.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
    if (pfn < 0 && !drained) {
      // Pages may be pinned on the per-CPU lists: drain them and try once more.
      host.drainAllPages();
      drained = true;
      pfn = host.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
    }
    if (pfn >= 0) return pfn;

    if ((gfp & __GFP_NORETRY) !== 0) break;
    if (costly && (gfp & __GFP_RETRY_MAYFAIL) === 0) break;
    if (shouldReclaimRetry(host, order, reclaimed > 0, ++noProgressLoops, highest, allocFlags)) {
      if (reclaimed > 0 && !costly) noProgressLoops = 0;
      continue;
    }
    const oom = mayOom(host, gfp, order, highest, mt);
    if (oom.pfn >= 0) return oom.pfn;
    if (!oom.progress) break;
    noProgressLoops = 0;
  }

  if ((gfp & __GFP_NOFAIL) !== 0 && canDirectReclaim) {
    // __alloc_pages_cpuset_fallback with ALLOC_MIN_RESERVE, then everything.
    pfn = host.getPageFromFreelist(gfp, order, WMARK_MIN | ALLOC_MIN_RESERVE, highest, mt);
    if (pfn < 0) pfn = host.getPageFromFreelist(gfp, order, ALLOC_NO_WATERMARKS, highest, mt);
    if (pfn >= 0) return pfn;
    warnAlloc(host, gfp & ~__GFP_NOWARN, order);
    throw new KernelPanic('Kernel panic - not syncing: System is deadlocked on memory');
  }
  if ((gfp & __GFP_NOWARN) === 0) warnAlloc(host, gfp, order);
  return -1;
}

/**
 * `should_reclaim_retry`: keep reclaiming while fewer than
 * MAX_RECLAIM_RETRIES rounds went without progress and some zone could
 * meet its min watermark if everything reclaimable were reclaimed.
 */
function shouldReclaimRetry(
  host: SlowPathHost,

  order: number,
  progress: boolean,
  loops: number,
  highest: number,
  allocFlags: number,
): boolean {
  if (progress && order <= PAGE_ALLOC_COSTLY_ORDER && loops <= MAX_RECLAIM_RETRIES) return true;
  if (loops > MAX_RECLAIM_RETRIES) return false;
  for (let z = highest; z >= 0; z--) {
    const zone = host.zones[z] as Zone;
    if (zone.managed === 0) continue;
    const reclaimable = host.reclaimer.reclaimablePages(zone);
    if (reclaimable === 0) continue;
    const available = reclaimable + (zone.state[Z_FREE_PAGES] as number);
    if (zoneWatermarkOk(zone, order, zone.min, highest, allocFlags, available)) return true;
  }
  return false;
}

/** `__alloc_pages_may_oom`: one last try at the high watermark, then the OOM killer when it may help. */
function mayOom(
  host: SlowPathHost,

  gfp: Gfp,
  order: number,
  highest: number,
  mt: number,
): { pfn: number; progress: boolean } {
  const pfn = host.getPageFromFreelist(gfp, order, WMARK_HIGH, highest, mt);
  if (pfn >= 0) return { pfn, progress: true };
  if (order > PAGE_ALLOC_COSTLY_ORDER) return { pfn: -1, progress: false };
  if (highest < host.normalIdx) return { pfn: -1, progress: false };
  if ((gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) !== 0) return { pfn: -1, progress: false };
  // out_of_memory does not kill for requests that cannot reach the filesystem; it reports progress so they retry.
  if ((gfp & __GFP_FS) === 0) return { pfn: -1, progress: true };
  const killed = host.reclaimer.outOfMemory(gfp, order);
  if (!killed && (gfp & __GFP_NOFAIL) !== 0) {
    const last = host.getPageFromFreelist(gfp, order, ALLOC_NO_WATERMARKS, highest, mt);
    return { pfn: last, progress: true };
  }
  return { pfn: -1, progress: killed };
}

/** `warn_alloc`, followed by the free-area summary of `show_free_areas`. */
export function warnAlloc(host: SlowPathHost, gfp: Gfp, order: number): void {
  const log = host.log;
  log.printk(
    LogLevel.WARNING,
    `${host.comm()}: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}(${formatGfp(gfp)}), nodemask=(null),cpuset=/,mems_allowed=0`,
  );
  log.printk(LogLevel.WARNING, 'Mem-Info:');
  const kib = host.arch.pageSize / 1024;
  for (const zone of host.zones) {
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
