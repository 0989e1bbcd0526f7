/**
 * The names a trace may use for flag bits and advice values, each table
 * mapping a trace's name to the kernel constant it stands for.
 *
 * Names are lower case without the C prefix (`"anonymous"` for
 * `MAP_ANONYMOUS`); the readers strip a C prefix a trace writes
 * anyway. GFP names keep their C spelling (`GFP_KERNEL`, `__GFP_ZERO`)
 * and are taken from `src/gfp/flags.ts`, so a new flag there is usable in
 * a trace without touching this file. Key order is the order messages
 * list the expected names in.
 */
import * as gfpFlags from '../gfp/flags.js';
import * as slabFlags from '../slab/slab-flags.js';
import * as mman from '../vm/mman.js';
import { MADV_POPULATE_READ, MADV_POPULATE_WRITE } from '../vm/syscalls/madvise.js';

export const MAP_FLAG_NAMES: Readonly<Record<string, number>> = {
  private: mman.MAP_PRIVATE,
  shared: mman.MAP_SHARED,
  shared_validate: mman.MAP_SHARED_VALIDATE,
  anonymous: mman.MAP_ANONYMOUS,
  populate: mman.MAP_POPULATE,
  noreserve: mman.MAP_NORESERVE,
  locked: mman.MAP_LOCKED,
  growsdown: mman.MAP_GROWSDOWN,
  stack: mman.MAP_STACK,
  nonblock: mman.MAP_NONBLOCK,
};

export const ADVICE_NAMES: Readonly<Record<string, number>> = {
  normal: mman.MADV_NORMAL,
  random: mman.MADV_RANDOM,
  sequential: mman.MADV_SEQUENTIAL,
  willneed: mman.MADV_WILLNEED,
  dontneed: mman.MADV_DONTNEED,
  free: mman.MADV_FREE,
  remove: mman.MADV_REMOVE,
  dontfork: mman.MADV_DONTFORK,
  dofork: mman.MADV_DOFORK,
  cold: mman.MADV_COLD,
  pageout: mman.MADV_PAGEOUT,
  populate_read: MADV_POPULATE_READ,
  populate_write: MADV_POPULATE_WRITE,
};

export const MSYNC_FLAG_NAMES: Readonly<Record<string, number>> = {
  sync: mman.MS_SYNC,
  async: mman.MS_ASYNC,
  invalidate: mman.MS_INVALIDATE,
};

export const CACHE_FLAG_NAMES: Readonly<Record<string, number>> = {
  hwcache_align: slabFlags.SLAB_HWCACHE_ALIGN,
  poison: slabFlags.SLAB_POISON,
  red_zone: slabFlags.SLAB_RED_ZONE,
  store_user: slabFlags.SLAB_STORE_USER,
  reclaim_account: slabFlags.SLAB_RECLAIM_ACCOUNT,
  account: slabFlags.SLAB_ACCOUNT,
  cache_dma: slabFlags.SLAB_CACHE_DMA,
  cache_dma32: slabFlags.SLAB_CACHE_DMA32,
  panic: slabFlags.SLAB_PANIC,
};

/** GFP flag and composite names (`GFP_KERNEL`, `__GFP_ZERO`, ...), masks left out. */
export const GFP_NAMES: ReadonlyMap<string, number> = new Map(
  Object.entries(gfpFlags).filter(
    (e): e is [string, number] =>
      typeof e[1] === 'number' && /^(__)?GFP_/.test(e[0]) && !e[0].endsWith('_MASK'),
  ),
);
