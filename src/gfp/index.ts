/**
 * The GFP layer (`mmsim/gfp`): the flags every allocation entry point
 * takes, and what they mean to the page allocator.
 *
 * - `flags.ts`: every flag bit and composite, with Linux's values
 *   (include/linux/gfp_types.h).
 * - `zone.ts`: {@link gfpZone}, {@link gfpMigratetype},
 *   {@link gfpAllowsBlocking} and {@link checkGfp}
 *   (include/linux/gfp.h).
 * - `migratetype.ts`: the {@link MigrateType} numbers and names
 *   (include/linux/mmzone.h, mm/vmstat.c).
 * - `format.ts`: {@link formatGfp}, the kernel's `%pGg` form
 *   (lib/vsprintf.c, include/trace/events/mmflags.h).
 *
 * @example
 * ```ts
 * import { GFP_KERNEL, __GFP_ZERO, formatGfp, gfpZone } from 'mmsim/gfp';
 *
 * const gfp = GFP_KERNEL | __GFP_ZERO;
 * gfpZone(gfp);    // 'Normal'
 * formatGfp(gfp);  // 'GFP_KERNEL|__GFP_ZERO'
 * ```
 *
 * @module
 */
export {
  __GFP_ACCOUNT,
  __GFP_COMP,
  __GFP_DIRECT_RECLAIM,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_FS,
  __GFP_HARDWALL,
  __GFP_HIGH,
  __GFP_HIGHMEM,
  __GFP_IO,
  __GFP_KSWAPD_RECLAIM,
  __GFP_MEMALLOC,
  __GFP_MOVABLE,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_RECLAIMABLE,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  __GFP_WRITE,
  __GFP_ZERO,
  GFP_ATOMIC,
  GFP_DMA,
  GFP_DMA32,
  GFP_HIGHUSER,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_KERNEL_ACCOUNT,
  GFP_MOVABLE_MASK,
  GFP_NOFS,
  GFP_NOIO,
  GFP_NOWAIT,
  GFP_TRANSHUGE,
  GFP_TRANSHUGE_LIGHT,
  GFP_USER,
  GFP_VALID_MASK,
  GFP_ZONEMASK,
  type Gfp,
} from './flags.js';
export { formatGfp } from './format.js';
export {
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  MIGRATETYPE_NAMES,
  MigrateType,
} from './migratetype.js';
export { checkGfp, gfpAllowsBlocking, gfpMigratetype, gfpZone } from './zone.js';
