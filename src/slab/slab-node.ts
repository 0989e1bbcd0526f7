/**
 * The node side of a SLAB cache (mm/slab.c): the slab lists and the
 * shared array behind the per-CPU array caches (`struct kmem_cache_node`,
 * whose counters are plain `SlabCache` fields: there is one node), and the
 * slow paths that move objects between the arrays and the slabs. The fast
 * paths and the cache itself are in slab.ts.
 *
 * Slow paths: an empty array is refilled with up to `batchcount` objects
 * (16 until the CPU first used the cache, `BATCHREFILL_LIMIT`) from the
 * shared array, else from partial then free slabs, else from one new slab
 * (`cache_grow`). A full array gives its `batchcount` oldest objects to the
 * shared array if it has room, else back to their slabs (`free_block`),
 * which moves slabs between the full, partial and free lists and destroys
 * free slabs while the node holds more than `free_limit` free objects.
 */

import { listAdd, listAddTail, listDel, listLast } from '../buddy/page-list.js';
import {
  __GFP_FS,
  __GFP_HARDWALL,
  __GFP_HIGH,
  __GFP_IO,
  __GFP_MEMALLOC,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  type Gfp,
} from '../gfp/flags.js';
import type { VirtAddr } from '../page/address.js';
import { PG } from '../page/page-flags.js';
import type { SlabCache } from './slab.js';
import { initObject } from './slab-debug.js';
import { setFreeObj, slabActive, slabFreelist, slabGetObj, slabPutObj } from './slab-layout.js';

/** `BATCHREFILL_LIMIT`: a CPU that has not used the cache yet refills at most this many. */
export const BATCHREFILL_LIMIT = 16;
/** `GFP_RECLAIM_MASK` (mm/internal.h): the caller's bits that reach the page allocator. */
const GFP_RECLAIM_MASK =
  __GFP_RECLAIM |
  __GFP_HIGH |
  __GFP_IO |
  __GFP_FS |
  __GFP_NOWARN |
  __GFP_RETRY_MAYFAIL |
  __GFP_NOFAIL |
  __GFP_NORETRY |
  __GFP_MEMALLOC |
  __GFP_NOMEMALLOC;
/** `GFP_CONSTRAINT_MASK`. */
const GFP_CONSTRAINT_MASK = __GFP_HARDWALL | __GFP_THISNODE;

/** Index of `slabs_full` (no free object) in `SlabCache.lists`. */
export const SLABS_FULL = 0;
/** Index of `slabs_partial` (some objects free) in `SlabCache.lists`. */
export const SLABS_PARTIAL = 1;
/** Index of `slabs_free` (every object free) in `SlabCache.lists`. */
export const SLABS_FREE = 2;

/** Which list a slab belongs on, by its active count. */
export function listOf(cache: SlabCache, head: number): number {
  const active = slabActive(cache, head);
  return active === 0 ? SLABS_FREE : active === cache.num ? SLABS_FULL : SLABS_PARTIAL;
}

// --- refill: objects from the node to an array ------------------------------

/** `cache_alloc_refill`: this CPU's array is empty. Returns an object, or -1. */
export function cacheAllocRefill(cache: SlabCache, gfp: Gfp, cpu: number): number {
  let batch = cache.batchcount;
  if (cache.acTouched[cpu] === 0 && batch > BATCHREFILL_LIMIT) batch = BATCHREFILL_LIMIT;
  const base = cpu * cache.limit;
  let avail = 0;
  if (cache.freeObjects > 0 || cache.sharedAvail > 0) {
    const fromShared = Math.min(cache.sharedAvail, batch, cache.limit);
    if (fromShared > 0) {
      // transfer_objects: the top of the shared array.
      const start = cache.sharedAvail - fromShared;
      cache.acEntry.set(cache.sharedEntry.subarray(start, cache.sharedAvail), base);
      cache.sharedAvail = start;
      avail = fromShared;
    } else {
      while (batch > 0) {
        let slab = cache.lists[SLABS_PARTIAL] as number;
        if (slab < 0) {
          slab = cache.lists[SLABS_FREE] as number;
          if (slab < 0) break;
          cache.freeSlabs--;
        }
        const from = listOf(cache, slab);
        while (batch > 0 && slabActive(cache, slab) < cache.num) {
          cache.acEntry[base + avail++] = slabGetObj(cache, slab);
          batch--;
        }
        fixupSlabList(cache, slab, from);
      }
      cache.freeObjects -= avail;
    }
  }
  if (avail === 0) {
    const slab = cacheGrow(cache, gfp);
    if (slab < 0) {
      cache.acAvail[cpu] = 0;
      return -1;
    }
    while (batch > 0 && slabActive(cache, slab) < cache.num) {
      cache.acEntry[base + avail++] = slabGetObj(cache, slab);
      batch--;
    }
    cacheGrowEnd(cache, slab);
  }
  cache.acTouched[cpu] = 1;
  cache.acAvail[cpu] = avail - 1;
  return cache.acEntry[base + avail - 1] as number;
}

/** `fixup_slab_list`: moves a slab that lost objects to the full or partial list. */
function fixupSlabList(cache: SlabCache, head: number, from: number): void {
  const m = cache.slab.memMap;
  listDel(m.next, m.prev, cache.lists, from, head);
  if (slabActive(cache, head) === cache.num) {
    listAdd(m.next, m.prev, cache.lists, SLABS_FULL, head);
    if (cache.mgmt === 'objfreelist') {
      // fixup_objfreelist_debug: the freelist's home was just handed out; restore its poison.
      const home = slabFreelist(cache, head);
      m.index[head] = 0;
      if (cache.debugLayout?.poison === true) {
        initObject(cache.slab.debugSink, cache.debugLayout, home, false);
      }
    }
  } else {
    listAdd(m.next, m.prev, cache.lists, SLABS_PARTIAL, head);
  }
}

// --- new slabs -------------------------------------------------------------

/**
 * `cache_grow_begin`: a new slab from the page allocator, coloured, with
 * its freelist and constructed objects. Returns its head pfn, or -1.
 */
function cacheGrow(cache: SlabCache, gfp: Gfp): number {
  const slab = cache.slab;
  const local = slab.fixGfp(gfp) & (GFP_CONSTRAINT_MASK | GFP_RECLAIM_MASK);
  const head = slab.buddy.allocPages(local | cache.allocFlags, cache.gfporder);
  if (head === null) return -1;
  // Get colour for the slab, and advance colour_next.
  cache.colourNext++;
  if (cache.colourNext >= cache.colour) cache.colourNext = 0;
  const slot = cache.colourNext < cache.colour ? cache.colourNext : 0;
  const m = slab.memMap;
  const slabStart = head * cache.pageSize;
  // alloc_slabmgmt.
  let index = 0;
  if (cache.mgmt === 'off-slab') {
    // kmalloc at least 16 bytes: its address / 16 then fits struct page's 32-bit index.
    const va = slab.kmalloc(Math.max(16, cache.freelistSize), local & ~GFP_CONSTRAINT_MASK);
    if (va === null) {
      slab.buddy.freePages(head, cache.gfporder);
      return -1;
    }
    index = (va - cache.pageOffset) / 16;
  } else if (cache.mgmt === 'objfreelist') {
    // cache_init_objs: the freelist starts in the last object.
    index = slot * cache.colourOff + (cache.num - 1) * cache.size + cache.objOffset + 1;
  }
  m.setFlag(head, PG.slab);
  m.mapping[head] = cache.id;
  m.private[head] = slot << 16;
  m.index[head] = index;
  // cache_init_objs (and cache_init_objs_debug).
  const sMem = slabStart + slot * cache.colourOff;
  const freelist = slabFreelist(cache, head);
  for (let i = 0; i < cache.num; i++) {
    const obj = sMem + i * cache.size + cache.objOffset;
    if (cache.debugLayout !== null) {
      initObject(slab.debugSink, cache.debugLayout, obj, false);
      if (cache.userWord >= 0) slab.memory.store32(obj + cache.userWord, 0);
    }
  }
  if (cache.ctor !== undefined) {
    for (let i = 0; i < cache.num; i++) {
      cache.ctor((sMem + i * cache.size + cache.objOffset + cache.pageOffset) as VirtAddr);
    }
  }
  for (let i = 0; i < cache.num; i++) setFreeObj(cache, freelist, i, i);
  slab.accountSlab(cache, 2 ** cache.gfporder);
  return head;
}

/** `cache_grow_end`: puts a new slab on its list. */
function cacheGrowEnd(cache: SlabCache, head: number): void {
  const m = cache.slab.memMap;
  cache.totalSlabs++;
  const active = slabActive(cache, head);
  if (active === 0) {
    listAddTail(m.next, m.prev, cache.lists, SLABS_FREE, head);
    cache.freeSlabs++;
  } else {
    // fixup_slab_list on a slab that is on no list yet.
    listAddTail(m.next, m.prev, cache.lists, SLABS_PARTIAL, head);
    fixupSlabList(cache, head, SLABS_PARTIAL);
  }
  cache.freeObjects += cache.num - active;
}

// --- flush and free_block: objects from an array back to the slabs ---------

/**
 * `cache_flusharray`: the `batchcount` oldest objects of a full array go
 * to the shared array if it has room, else back to their slabs.
 */
export function cacheFlusharray(cache: SlabCache, cpu: number): void {
  const base = cpu * cache.limit;
  const avail = cache.acAvail[cpu] as number;
  let batch = cache.batchcount;
  const room = cache.sharedEntry.length - cache.sharedAvail;
  if (cache.shared > 0 && room > 0) {
    batch = Math.min(batch, room);
    cache.sharedEntry.set(cache.acEntry.subarray(base, base + batch), cache.sharedAvail);
    cache.sharedAvail += batch;
  } else {
    freeBlock(cache, cache.acEntry, base, batch);
  }
  cache.acEntry.copyWithin(base, base + batch, base + avail);
  cache.acAvail[cpu] = avail - batch;
}

/**
 * `free_block` (and `slabs_destroy`): objects back into their slabs; a
 * slab that empties goes to the head of the free list, any other to the
 * tail of the partial list; then free slabs are destroyed while the node
 * has more than `free_limit` free objects. Returns the pages released.
 */
export function freeBlock(
  cache: SlabCache,
  entries: Float64Array,
  start: number,
  n: number,
): number {
  const m = cache.slab.memMap;
  cache.freeObjects += n;
  for (let i = start; i < start + n; i++) {
    const obj = entries[i] as number;
    const head = m.compoundHead(Math.floor(obj / cache.pageSize));
    listDel(m.next, m.prev, cache.lists, listOf(cache, head), head);
    slabPutObj(cache, head, obj);
    if (slabActive(cache, head) === 0) {
      listAdd(m.next, m.prev, cache.lists, SLABS_FREE, head);
      cache.freeSlabs++;
    } else {
      listAddTail(m.next, m.prev, cache.lists, SLABS_PARTIAL, head);
    }
  }
  let released = 0;
  while (cache.freeObjects > cache.freeLimit && (cache.lists[SLABS_FREE] as number) >= 0) {
    released += destroyFreeSlab(cache);
  }
  return released;
}

/** Takes the last slab off the free list and destroys it. */
export function destroyFreeSlab(cache: SlabCache): number {
  const m = cache.slab.memMap;
  const head = listLast(m.prev, cache.lists, SLABS_FREE);
  listDel(m.next, m.prev, cache.lists, SLABS_FREE, head);
  cache.freeObjects -= cache.num;
  cache.freeSlabs--;
  cache.totalSlabs--;
  return slabDestroy(cache, head);
}

/** `slab_destroy` and `kmem_freepages`: the slab's pages (and off-slab freelist) go back. */
function slabDestroy(cache: SlabCache, head: number): number {
  const slab = cache.slab;
  const m = slab.memMap;
  const freelist = cache.mgmt === 'off-slab' ? slabFreelist(cache, head) : -1;
  m.clearFlag(head, PG.slab);
  m.mapping[head] = 0;
  m.index[head] = 0;
  m.private[head] = 0;
  slab.accountSlab(cache, -(2 ** cache.gfporder));
  slab.buddy.freePages(head, cache.gfporder);
  if (freelist >= 0) slab.kfree(freelist + cache.pageOffset);
  return 2 ** cache.gfporder;
}
