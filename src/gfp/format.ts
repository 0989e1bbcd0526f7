/**
 * formatGfp: a gfp value as the kernel prints it with `%pGg` (in
 * allocation-failure warnings, OOM reports and page-owner output), e.g.
 * `GFP_KERNEL|__GFP_ZERO`.
 *
 * The algorithm is format_flags() in lib/vsprintf.c over the
 * `gfpflag_names` table of include/trace/events/mmflags.h
 * (`__def_gfpflag_names`): walk the table in order; print a name when all
 * of its bits are still set, then clear those bits; stop when no bits are
 * left; print whatever remains as one hex number (`%#lx`, e.g. `0x1000000`);
 * join the parts with `|`. Because composites come first, most bits set
 * first, a value prints as the biggest composites that fit plus single
 * flags: `GFP_ATOMIC | __GFP_DMA` prints `GFP_ATOMIC|GFP_DMA`.
 *
 * The table below is mmflags.h's order restricted to the names mmsim
 * exports (__GFP_ZEROTAGS and the config-dependent bits are not), so a bit
 * without a name prints in hex just as an unknown bit does in Linux.
 * Entries that an earlier, numerically equal entry always shadows
 * (__GFP_DMA after GFP_DMA, __GFP_DMA32 after GFP_DMA32, __GFP_RECLAIM
 * after GFP_NOIO) are kept so that the table reads like the kernel's.
 *
 * A value of 0 prints as the empty string, as `%pGg` does (a warning reads
 * `gfp_mask=0x0()`); the tracepoints' `show_gfp_flags` says `none`
 * instead, but that is not `%pGg`.
 *
 * Validity: formatGfp throws {@link KernelBug} only for a value that is not
 * an unsigned 32-bit integer. Unknown bits and illegal zone combinations
 * print (the former in hex) instead of throwing, because formatting is what
 * error messages about such values need.
 */
import {
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
  GFP_NOFS,
  GFP_NOIO,
  GFP_NOWAIT,
  GFP_TRANSHUGE,
  GFP_TRANSHUGE_LIGHT,
  GFP_USER,
  type Gfp,
} from './flags.js';
import { checkGfpWord } from './zone.js';

/** `gfpflag_names` in mmflags.h order: composites first, then single bits. */
const GFP_FLAG_NAMES: readonly (readonly [mask: number, name: string])[] = [
  [GFP_TRANSHUGE, 'GFP_TRANSHUGE'],
  [GFP_TRANSHUGE_LIGHT, 'GFP_TRANSHUGE_LIGHT'],
  [GFP_HIGHUSER_MOVABLE, 'GFP_HIGHUSER_MOVABLE'],
  [GFP_HIGHUSER, 'GFP_HIGHUSER'],
  [GFP_USER, 'GFP_USER'],
  [GFP_KERNEL_ACCOUNT, 'GFP_KERNEL_ACCOUNT'],
  [GFP_KERNEL, 'GFP_KERNEL'],
  [GFP_NOFS, 'GFP_NOFS'],
  [GFP_ATOMIC, 'GFP_ATOMIC'],
  [GFP_NOIO, 'GFP_NOIO'],
  [GFP_NOWAIT, 'GFP_NOWAIT'],
  [GFP_DMA, 'GFP_DMA'],
  [GFP_DMA32, 'GFP_DMA32'],
  [__GFP_RECLAIM, '__GFP_RECLAIM'],
  // The single bits, in bit order (TRACE_GFP_FLAGS_GENERAL).
  [__GFP_DMA, '__GFP_DMA'],
  [__GFP_HIGHMEM, '__GFP_HIGHMEM'],
  [__GFP_DMA32, '__GFP_DMA32'],
  [__GFP_MOVABLE, '__GFP_MOVABLE'],
  [__GFP_RECLAIMABLE, '__GFP_RECLAIMABLE'],
  [__GFP_HIGH, '__GFP_HIGH'],
  [__GFP_IO, '__GFP_IO'],
  [__GFP_FS, '__GFP_FS'],
  [__GFP_ZERO, '__GFP_ZERO'],
  [__GFP_DIRECT_RECLAIM, '__GFP_DIRECT_RECLAIM'],
  [__GFP_KSWAPD_RECLAIM, '__GFP_KSWAPD_RECLAIM'],
  [__GFP_WRITE, '__GFP_WRITE'],
  [__GFP_NOWARN, '__GFP_NOWARN'],
  [__GFP_RETRY_MAYFAIL, '__GFP_RETRY_MAYFAIL'],
  [__GFP_NOFAIL, '__GFP_NOFAIL'],
  [__GFP_NORETRY, '__GFP_NORETRY'],
  [__GFP_MEMALLOC, '__GFP_MEMALLOC'],
  [__GFP_COMP, '__GFP_COMP'],
  [__GFP_NOMEMALLOC, '__GFP_NOMEMALLOC'],
  [__GFP_HARDWALL, '__GFP_HARDWALL'],
  [__GFP_THISNODE, '__GFP_THISNODE'],
  [__GFP_ACCOUNT, '__GFP_ACCOUNT'],
];

/**
 * A gfp value in the kernel's `%pGg` form: names from mmflags.h's
 * `gfpflag_names` table in table order, each printed when all its bits
 * are set and those bits then cleared, any remaining bits as one hex
 * number, the parts joined by `|`. 0 gives `''`.
 *
 * Counterpart: format_flags (lib/vsprintf.c) with gfpflag_names.
 *
 * @param gfp - the flags to print; unknown bits and illegal zone
 *   combinations are printed, not rejected
 * @throws {@link KernelBug} if `gfp` is not an unsigned 32-bit integer
 *
 * @example
 * ```ts
 * formatGfp(GFP_KERNEL | __GFP_ZERO);    // 'GFP_KERNEL|__GFP_ZERO'
 * formatGfp(GFP_ATOMIC | __GFP_DMA);     // 'GFP_ATOMIC|GFP_DMA'
 * formatGfp(__GFP_HIGH | 0x1000000);     // '__GFP_HIGH|0x1000000'
 * formatGfp(0);                          // ''
 * ```
 */
export function formatGfp(gfp: Gfp): string {
  checkGfpWord('formatGfp', gfp);
  let rest = gfp;
  let out = '';
  for (const [mask, name] of GFP_FLAG_NAMES) {
    if (rest === 0) break;
    if ((rest & mask) !== mask) continue;
    out = out === '' ? name : `${out}|${name}`;
    rest = (rest & ~mask) >>> 0;
  }
  if (rest !== 0) {
    const hex = `0x${rest.toString(16)}`;
    out = out === '' ? hex : `${out}|${hex}`;
  }
  return out;
}
