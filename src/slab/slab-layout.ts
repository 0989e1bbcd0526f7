/**
 * The layout of a SLAB slab (mm/slab.c): what `__kmem_cache_create`
 * decides for a cache (slot size with its red zones and user word, slab
 * order and objects per slab by `calculate_slab_order` and
 * `cache_estimate`, where the freelist lives, the colouring), and the
 * struct slab fields that locate the objects and the freelist of one slab
 * (`active`, `s_mem`, `freelist`, `slab_get_obj`, `slab_put_obj`). The
 * cache itself is in slab.ts.
 *
 * A slab is one block of `2 ** gfporder` pages (compound when the order is
 * above 0). It holds `num` object slots of `size` bytes from `s_mem`, which
 * is the slab start plus a colour offset, and a freelist: an array of
 * `num` object indices (`freelist_idx_t`: one byte with 4 KiB pages, where
 * at most 255 objects fit a slab, two bytes otherwise). Entries
 * `[active, num)` of the array name the free slots; allocation takes entry
 * `active` and increments it, freeing decrements it and writes the slot
 * there. Where the array lives (`__kmem_cache_create` tries these in turn):
 *
 * - `objfreelist` (CFLGS_OBJFREELIST_SLAB): inside a free object of the
 *   slab itself, when the array fits in one object and there is no ctor.
 *   It starts in the last object; when the slab fills up the array is no
 *   longer needed (freelist NULL), and the first object freed into the full
 *   slab becomes its new home. Most caches without a ctor work this way.
 * - `off-slab` (CFLGS_OFF_SLAB): in a `kmalloc` allocation of its own,
 *   when the slab's leftover space is smaller than the array and a small
 *   kmalloc cache can hold it; allocated by `cache_grow` and freed with the
 *   slab.
 * - `on-slab`: in the last `num * idx` bytes of the slab.
 *
 * The slab's struct page (the struct slab of Linux):
 *
 * | field     | SLAB use                                                         |
 * | --------- | ---------------------------------------------------------------- |
 * | `flags`   | PG_slab (and PG_head for order > 0)                              |
 * | `mapping` | the cache id (`slab_cache`; the common code's `slabCacheOf`)      |
 * | `private` | `active` (objects handed out, bits 0..15) and the colour slot    |
 * |           | (bits 16..30; `s_mem` = slab start + slot * `colour_off`)         |
 * | `index`   | the freelist (`slab->freelist`): objfreelist: its offset in the  |
 * |           | slab + 1, 0 for NULL; off-slab: its physical address / 16;       |
 * |           | on-slab: 0 (the array is at a fixed place)                       |
 * | `next`, `prev` | the link in `slabs_full`, `slabs_partial` or `slabs_free`   |
 */

import { MAX_ORDER } from '../buddy/zone.js';
import { KernelBug } from '../page/errors.js';
import type { SlabAllocator, SlabCache } from './slab.js';
import { CACHE_LINE_SIZE } from './slab-common.js';
import { SLAB_RECLAIM_ACCOUNT, SLAB_RED_ZONE, SLAB_STORE_USER } from './slab-flags.js';

/** `SLAB_OBJ_MIN_SIZE` under SLAB (KMALLOC_MIN_SIZE 32 capped at 16). */
const SLAB_OBJ_MIN_SIZE = 16;
/** `REDZONE_ALIGN`: `max(BYTES_PER_WORD, __alignof__(unsigned long long))`. */
export const REDZONE_ALIGN = 8;
/** The colour slot is kept in 15 bits of `private`. */
export const MAX_COLOUR = 0x7fff;
const TWO_32 = 2 ** 32;

/** Where a cache keeps each slab's freelist index array. */
export type SlabManagement = 'on-slab' | 'objfreelist' | 'off-slab';

/** What `__kmem_cache_create` decides about a cache. */
export interface SlabGeometry {
  /** Slot size (`cachep->size`). */
  readonly size: number;
  /** Bytes from the slot start to the object (`obj_offset`: the first red zone). */
  readonly objOffset: number;
  /** Final flags (red zone and user word dropped for large alignments). */
  readonly flags: number;
  readonly num: number;
  readonly order: number;
  readonly colour: number;
  readonly colourOff: number;
  readonly mgmt: SlabManagement;
  readonly idxSize: 1 | 2;
}

function getOrder(bytes: number, pageSize: number): number {
  return Math.max(0, Math.ceil(Math.log2(bytes / pageSize)));
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

// --- cache geometry -------------------------------------------------------

/**
 * `__kmem_cache_create`: the slot size and layout, then the slab order,
 * objects per slab and freelist placement (objfreelist, off-slab, on-slab,
 * tried in that order), and the colouring.
 */
export function slabGeometry(
  slab: SlabAllocator,
  objectSize: number,
  align: number,
  flags: number,
  hasCtor: boolean,
): SlabGeometry {
  const ptr = slab.pointerSize;
  const pageSize = slab.arch.pageSize;
  let f = flags;
  let size = alignUp(objectSize, ptr);
  if ((f & SLAB_RED_ZONE) !== 0) size = alignUp(size, REDZONE_ALIGN);
  const ralign = Math.max(ptr, (f & SLAB_RED_ZONE) !== 0 ? REDZONE_ALIGN : 0, align);
  // Red zones and the user word need 8-byte alignment only: dropped for more.
  if (ralign > 8) f &= ~(SLAB_RED_ZONE | SLAB_STORE_USER);
  const colourOff = Math.max(CACHE_LINE_SIZE, ralign);
  let objOffset = 0;
  if ((f & SLAB_RED_ZONE) !== 0) {
    objOffset += 8;
    size += 16;
  }
  if ((f & SLAB_STORE_USER) !== 0) size += (f & SLAB_RED_ZONE) !== 0 ? REDZONE_ALIGN : ptr;
  size = alignUp(size, ralign);
  // FREELIST_BYTE_INDEX: one-byte indices when a page holds at most 256 minimum-size objects.
  const idxSize: 1 | 2 = pageSize >> 8 <= SLAB_OBJ_MIN_SIZE ? 1 : 2;
  if (idxSize === 1 && size < SLAB_OBJ_MIN_SIZE) size = alignUp(SLAB_OBJ_MIN_SIZE, ralign);
  const maxNum = idxSize === 1 ? 255 : 65535;

  const order = (mgmt: SlabManagement) =>
    calculateSlabOrder(slab, size, objectSize, f, mgmt, idxSize, maxNum);
  const colourOf = (left: number) => Math.min(MAX_COLOUR, Math.floor(left / colourOff));
  const done = (mgmt: SlabManagement, r: { num: number; order: number; left: number }) => ({
    size,
    objOffset,
    flags: f,
    num: r.num,
    order: r.order,
    colour: colourOf(r.left),
    colourOff,
    mgmt,
    idxSize,
  });
  // set_objfreelist_slab_cache: not with a ctor (it would construct the freelist away).
  if (!hasCtor) {
    const r = order('objfreelist');
    if (r !== null && r.num * idxSize <= objectSize) return done('objfreelist', r);
  }
  // set_off_slab_cache: only when the leftover space cannot hold the freelist.
  const off = order('off-slab');
  if (off !== null && off.left < off.num * idxSize) return done('off-slab', off);
  // set_on_slab_cache.
  const on = order('on-slab');
  if (on === null) {
    throw new KernelBug(`kmemCacheCreate: objects of ${size} bytes do not fit a slab`);
  }
  return done('on-slab', on);
}

/**
 * `calculate_slab_order`: the smallest order whose objects fit with little
 * waste (leftover at most 1/8 of the slab), up to `slab_max_order` unless
 * nothing fits; one order only for SLAB_RECLAIM_ACCOUNT caches. Off-slab
 * needs a kmalloc cache for the freelist that is itself not off-slab and
 * not larger than half an object. `null` when no order works.
 */
function calculateSlabOrder(
  slab: SlabAllocator,
  size: number,
  objectSize: number,
  flags: number,
  mgmt: SlabManagement,
  idxSize: number,
  maxNum: number,
): { num: number; order: number; left: number } | null {
  const pageSize = slab.arch.pageSize;
  let found: { num: number; order: number; left: number } | null = null;
  for (let order = 0; order <= MAX_ORDER; order++) {
    const slabSize = pageSize * 2 ** order;
    // cache_estimate.
    const per = mgmt === 'on-slab' ? size + idxSize : size;
    const num = Math.floor(slabSize / per);
    const left = slabSize - num * per;
    if (num === 0) continue;
    if (num > maxNum) break;
    if (mgmt === 'off-slab') {
      const bytes = num * idxSize;
      let freelistCacheSize: number;
      if (bytes > slab.kmallocMaxCacheSize) {
        freelistCacheSize = pageSize * 2 ** getOrder(bytes, pageSize);
      } else {
        const cache = slab.kmallocCacheFor(bytes);
        if (cache === undefined || cache.mgmt === 'off-slab') continue;
        freelistCacheSize = cache.size;
      }
      if (freelistCacheSize > Math.floor(objectSize / 2)) continue;
    }
    found = { num, order, left };
    if ((flags & SLAB_RECLAIM_ACCOUNT) !== 0) break;
    if (order >= slab.slabMaxOrder) break;
    if (left * 8 <= slabSize) break;
  }
  return found;
}

// --- struct slab fields ---------------------------------------------------

/** `slab->active`: objects of the slab handed out (to users or array caches). */
export function slabActive(cache: SlabCache, head: number): number {
  return (cache.slab.memMap.private[head] as number) & 0xffff;
}

function setActive(cache: SlabCache, head: number, active: number): void {
  const m = cache.slab.memMap;
  m.private[head] = ((m.private[head] as number) & ~0xffff) | active;
}

/** `slab->s_mem`: physical address of the slab's first object slot. */
export function slabMemStart(cache: SlabCache, head: number): number {
  const slot = ((cache.slab.memMap.private[head] as number) >>> 16) & MAX_COLOUR;
  return head * cache.pageSize + slot * cache.colourOff;
}

/** Physical address of the slab's freelist index array, -1 when NULL (a full objfreelist slab). */
export function slabFreelist(cache: SlabCache, head: number): number {
  if (cache.mgmt === 'on-slab') return head * cache.pageSize + cache.slabBytes - cache.freelistSize;
  const v = cache.slab.memMap.index[head] as number;
  if (cache.mgmt === 'off-slab') return v * 16;
  return v === 0 ? -1 : head * cache.pageSize + v - 1;
}

/** `get_free_obj`: entry `i` of the freelist index array at `freelist`. */
export function getFreeObj(cache: SlabCache, freelist: number, i: number): number {
  const at = freelist + i * cache.idxSize;
  const chunk = Math.floor(at / TWO_32);
  const off = at - chunk * TWO_32;
  const mem = cache.slab.memory;
  return cache.idxSize === 1
    ? ((mem.u8[chunk] as Uint8Array)[off] as number)
    : ((mem.u16[chunk] as Uint16Array)[off / 2] as number);
}

/** `set_free_obj`: writes entry `i` of the freelist index array at `freelist`. */
export function setFreeObj(cache: SlabCache, freelist: number, i: number, value: number): void {
  const at = freelist + i * cache.idxSize;
  const chunk = Math.floor(at / TWO_32);
  const off = at - chunk * TWO_32;
  const mem = cache.slab.memory;
  if (cache.idxSize === 1) (mem.u8[chunk] as Uint8Array)[off] = value;
  else (mem.u16[chunk] as Uint16Array)[off / 2] = value;
}

/** `slab_get_obj`: the next free object of the slab (physical address of the object). */
export function slabGetObj(cache: SlabCache, head: number): number {
  const active = slabActive(cache, head);
  const idx = getFreeObj(cache, slabFreelist(cache, head), active);
  setActive(cache, head, active + 1);
  return slabMemStart(cache, head) + idx * cache.size + cache.objOffset;
}

/** `slab_put_obj`: an object (physical address) back into its slab's freelist. */
export function slabPutObj(cache: SlabCache, head: number, obj: number): void {
  const slot = obj - cache.objOffset;
  const idx = (slot - slabMemStart(cache, head)) / cache.size;
  const active = slabActive(cache, head) - 1;
  setActive(cache, head, active);
  if (cache.mgmt === 'objfreelist' && cache.slab.memMap.index[head] === 0) {
    // The first object freed into a full slab becomes the freelist's home.
    cache.slab.memMap.index[head] = obj - head * cache.pageSize + 1;
  }
  setFreeObj(cache, slabFreelist(cache, head), active, idx);
}
