/**
 * The allocator's slow path (`__alloc_pages_slowpath`, mm/page_alloc.c),
 * entered when no zone could give the block above its low watermark:
 *
 * 1. Wake kswapd and retry down to the min watermark (further for
 *    `__GFP_HIGH` and callers that cannot sleep; all the way for
 *    `__GFP_MEMALLOC`).
 * 2. A caller that may block reclaims directly (counted as `allocstall`);
 *    after progress it retries, draining the per-CPU lists if that fails,
 *    and goes round again while some zone could still meet its min
 *    watermark with everything reclaimable reclaimed.
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
import { KernelBug, KernelPanic } from '../page/errors.js';
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
  for (let round = 0; round < MAX_SLOWPATH_ROUNDS; round++) {
    if ((allocFlags & ALLOC_KSWAPD) !== 0) host.reclaimer.wakeKswapd(order, highest, gfp);
    // __gfp_pfmemalloc_flags: __GFP_MEMALLOC may use every reserve.
    if ((gfp & __GFP_MEMALLOC) !== 0 && (gfp & __GFP_NOMEMALLOC) === 0) {
      allocFlags = ALLOC_NO_WATERMARKS | (allocFlags & ALLOC_KSWAPD);
    }
    pfn = host.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
    if (pfn >= 0) return pfn;
    if (!canDirectReclaim) break;

    const reclaim = directReclaim(host, gfp, order, allocFlags, highest, mt);
    if (reclaim.pfn >= 0) return reclaim.pfn;

    if ((gfp & __GFP_NORETRY) !== 0) break;
    if (costly && (gfp & __GFP_RETRY_MAYFAIL) === 0) break;
    // should_reclaim_retry: progress on a small order resets the count of fruitless rounds.
    noProgressLoops = reclaim.progress && !costly ? 0 : noProgressLoops + 1;
    if (shouldReclaimRetry(host, order, noProgressLoops, highest, allocFlags)) continue;
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
  if ((gfp & __GFP_NOFAIL) !== 0) {
    // Linux warns (WARN_ON_ONCE_GFP(!can_direct_reclaim)) and returns NULL:
    // a __GFP_NOFAIL caller that cannot sleep is a bug.
    warnAlloc(host, gfp & ~__GFP_NOWARN, order);
    throw new KernelBug(
      `allocPages: __GFP_NOFAIL without __GFP_DIRECT_RECLAIM (gfp 0x${gfp.toString(16)}) cannot be satisfied`,
    );
  }
  if ((gfp & __GFP_NOWARN) === 0) warnAlloc(host, gfp, order);
  return -1;
}

/**
 * `__alloc_pages_direct_reclaim`: reclaim (counted as `allocstall`); if it
 * made progress, retry, and once more after draining the per-CPU lists,
 * where freed pages may sit unseen by the watermark check.
 */
function directReclaim(
  host: SlowPathHost,
  gfp: Gfp,
  order: number,
  allocFlags: number,
  highest: number,
  mt: number,
): { pfn: number; progress: boolean } {
  host.events.add((host.zones[highest] as Zone).allocstallSlot, 1);
  const progress = host.reclaimer.tryToFreePages(gfp, order, highest) > 0;
  if (!progress) return { pfn: -1, progress };
  let pfn = host.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
  if (pfn < 0) {
    host.drainAllPages();
    pfn = host.getPageFromFreelist(gfp, order, allocFlags, highest, mt);
  }
  return { pfn, progress };
}

/**
 * `should_reclaim_retry`: retry while no more than MAX_RECLAIM_RETRIES
 * rounds went without progress and some zone would meet its min watermark
 * if everything reclaimable in it were reclaimed.
 */
function shouldReclaimRetry(
  host: SlowPathHost,
  order: number,
  noProgressLoops: number,
  highest: number,
  allocFlags: number,
): boolean {
  if (noProgressLoops > MAX_RECLAIM_RETRIES) return false;
  for (let z = highest; z >= 0; z--) {
    const zone = host.zones[z] as Zone;
    if (zone.managed === 0) continue;
    const available = host.reclaimer.reclaimablePages(zone) + (zone.state[Z_FREE_PAGES] as number);
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
  // The victim's frames went to the per-CPU lists, which the watermark check does not see:
  // drain them so the retry finds them (Linux shrinks pcp high while reclaim runs, to the same end).
  if (killed) host.drainAllPages();
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
