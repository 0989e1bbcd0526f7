/**
 * SLAB (mm/slab.c), Bonwick's slab allocator as Linux had it until its
 * removal in 6.8: caches of equally sized objects carved from slabs, with
 * per-CPU object arrays in front and per-node slab lists behind.
 *
 * Which Linux: the algorithms and numbers follow mm/slab.c of the 5.x/6.x
 * line (array caches, `cache_alloc_refill`, `cache_flusharray`,
 * `free_block`, `calculate_slab_order` with the three ways of keeping the
 * freelist, colouring, `enable_cpucache`), read from a 5.1x mainline copy
 * (the kfence era, before the 5.17 `struct slab` rename), with the 6.1
 * change that sends kmalloc requests above two pages to the page allocator
 * and allocates off-slab freelists with `kmalloc` (commit d6a71648dbc0 and
 * its fix "use kmalloc_node() for off slab freelist_idx_t array
 * allocation"). 6.7, the last release with SLAB, is meant; no 6.x copy of
 * the whole file was at hand to compare line by line.
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
 *
 * Fast paths: each CPU has an array cache (`struct array_cache`: `avail`,
 * `limit`, `batchcount`, `touched`, a LIFO stack of free objects).
 * `alloc` pops it; `free` pushes onto it. Slow paths: an empty array is
 * refilled with up to `batchcount` objects (16 until the CPU first used
 * the cache, `BATCHREFILL_LIMIT`) from the shared array, else from partial
 * then free slabs, else from one new slab (`cache_grow`). A full array
 * gives its `batchcount` oldest objects to the shared array if it has room,
 * else back to their slabs (`free_block`), which moves slabs between the
 * full, partial and free lists and destroys free slabs while the node
 * holds more than `free_limit` free objects. Objects in array caches count
 * as allocated in the slab lists and in /proc/slabinfo, as in Linux.
 *
 * Where state lives: objects and on-slab/objfreelist freelists in the
 * slab's own pages, off-slab freelists in kmalloc objects, slab fields in
 * struct page, all in simulated RAM as in Linux. The array caches are
 * per-cache typed arrays (`Float64Array` of object physical addresses,
 * `Int32Array` of `avail` counts) instead of percpu kmalloc'd structures,
 * and the kmem_cache_node counters are plain fields: there is one node.
 *
 * Simplifications, each deliberate:
 *
 * - One node: no alien caches, no `fallback_alloc`; the shared array
 *   (sharedfactor 8 for objects up to a page, when there is more than one
 *   CPU) is the node's.
 * - `cache_reap` (the 2-second timer that trims array caches and free
 *   slabs) is not modelled: arrays drain when full, on `shrink` and on
 *   `destroy`, and `touched` is never cleared again.
 * - `__GFP_NOFAIL` is passed to the page allocator (Linux's UMA
 *   `gfp_exact_node` drops it) so that the contract "NOFAIL never fails"
 *   holds for every slab implementation.
 * - Debugging (SLAB_RED_ZONE, SLAB_POISON, SLAB_STORE_USER, from
 *   `slubDebug`) keeps SLAB's layout (an 8-byte red zone before the object,
 *   one at the end of the slot, the user word last) but reuses SLUB's
 *   byte-pattern helpers and report wording from slab-debug.ts: red zones
 *   are 0xbb/0xcc bytes instead of the 64-bit RED_INACTIVE
 *   0x09F911029D74E35B and RED_ACTIVE 0xD84156C5635688C0, and the right red
 *   zone check also covers the alignment padding between the object and
 *   the second red-zone word. As in Linux, red zones and the user word are
 *   dropped for alignments above 8; allocated objects are filled with
 *   POISON_INUSE. The user word records the CPU (mmsim has no return
 *   addresses). Objects of caches with a ctor are not poisoned (SLUB's rule;
 *   Linux SLAB poisoned them and ran the ctor on every allocation, which
 *   the contract rules out). With debug flags, `limit` is capped at 32 as
 *   under CONFIG_DEBUG_SLAB.
 * - `slab_max_order` is 1 above 32 MiB of managed memory, else 0, as at
 *   boot; there is no `slab_max_order=` option and no /proc/slabinfo
 *   tuning write.
 *
 * kmalloc: the kmalloc size classes are SLUB's for every implementation
 * (kmalloc-8 .. kmalloc-8k, KMALLOC_MAX_CACHE_SIZE two pages), which is
 * also what SLAB had from 6.1 on. Before 6.1 SLAB had kmalloc caches up to
 * 32 MiB (KMALLOC_SHIFT_HIGH = min(MAX_ORDER + PAGE_SHIFT, 25)) and no
 * kmalloc-8 or kmalloc-16 (KMALLOC_MIN_SIZE 32); here kmalloc-8 objects
 * take 16-byte slots (SLAB_OBJ_MIN_SIZE, for the one-byte freelist index).
 */

import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { listAdd, listAddTail, listDel, listLast } from '../buddy/page-list.js';
import { MAX_ORDER } from '../buddy/zone.js';
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_DMA32,
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
  __GFP_RECLAIMABLE,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  __GFP_ZERO,
  GFP_MOVABLE_MASK,
  GFP_VALID_MASK,
  type Gfp,
} from '../gfp/flags.js';
import { checkGfp } from '../gfp/zone.js';
import type { VirtAddr } from '../page/address.js';
import { KernelBug } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import type { SlabInfo } from './kmem-cache.js';
import {
  CACHE_LINE_SIZE,
  type ObjectChecks,
  SlabAllocatorBase,
  type SlabAllocatorOptions,
  SlabCacheBase,
} from './slab-common.js';
import { checkObject, type DebugLayout, hasObjectDebug, initObject } from './slab-debug.js';
import {
  POISON_END,
  POISON_INUSE,
  SLAB_CACHE_DMA,
  SLAB_CACHE_DMA32,
  SLAB_POISON,
  SLAB_RECLAIM_ACCOUNT,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
} from './slab-flags.js';

/** `BATCHREFILL_LIMIT`: a CPU that has not used the cache yet refills at most this many. */
export const BATCHREFILL_LIMIT = 16;
/** `SLAB_OBJ_MIN_SIZE` under SLAB (KMALLOC_MIN_SIZE 32 capped at 16). */
const SLAB_OBJ_MIN_SIZE = 16;
/** `REDZONE_ALIGN`: `max(BYTES_PER_WORD, __alignof__(unsigned long long))`. */
const REDZONE_ALIGN = 8;
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
/** The colour slot is kept in 15 bits of `private`. */
const MAX_COLOUR = 0x7fff;
const TWO_32 = 2 ** 32;

/** Index of `slabs_full` (no free object) in `SlabCache.lists`. */
export const SLABS_FULL = 0;
/** Index of `slabs_partial` (some objects free) in `SlabCache.lists`. */
export const SLABS_PARTIAL = 1;
/** Index of `slabs_free` (every object free) in `SlabCache.lists`. */
export const SLABS_FREE = 2;

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

/** `enable_cpucache`: the array cache limit for a slot size. */
export function cpucacheLimit(size: number, pageSize: number): number {
  if (size > 131072) return 1;
  if (size > pageSize) return 8;
  if (size > 1024) return 24;
  if (size > 256) return 54;
  return 120;
}

/** A SLAB cache. */
export class SlabCache extends SlabCacheBase implements ObjectChecks {
  /** Objects per slab (`num`). */
  readonly num: number;
  /** log2 of the pages per slab (`gfporder`). */
  readonly gfporder: number;
  /** Number of colour slots (`colour`). */
  readonly colour: number;
  /** Bytes between colour slots (`colour_off`: a cache line, or the alignment if larger). */
  readonly colourOff: number;
  /** Bytes from the slot start to the object (`obj_offset`). */
  readonly objOffset: number;
  /** Where each slab's freelist lives. */
  readonly mgmt: SlabManagement;
  /** Bytes of one freelist index (`sizeof(freelist_idx_t)`). */
  readonly idxSize: 1 | 2;
  /** Bytes of the freelist (`freelist_size`). */
  readonly freelistSize: number;
  /** Array cache capacity (`limit`). */
  readonly limit: number;
  /** Objects moved per refill or flush (`batchcount`). */
  readonly batchcount: number;
  /** Shared array factor (`shared`): its capacity is `shared * batchcount`; 0 for none. */
  readonly shared: number;
  /** Free objects the node keeps before destroying free slabs (`free_limit`). */
  readonly freeLimit: number;
  /** Per-CPU array caches: CPU `c` owns entries `[c * limit, c * limit + avail)`, physical addresses of objects. */
  readonly acEntry: Float64Array;
  /** Per-CPU `avail`. */
  readonly acAvail: Int32Array;
  /** Per-CPU `touched`. */
  readonly acTouched: Uint8Array;
  /** The node's shared array (empty when `shared` is 0). */
  readonly sharedEntry: Float64Array;
  /** Objects in the shared array. */
  sharedAvail = 0;
  /** Heads of `slabs_full`, `slabs_partial`, `slabs_free` (pfns, -1 for empty). */
  readonly lists = new Int32Array([-1, -1, -1]);
  /** `total_slabs`. */
  totalSlabs = 0;
  /** `free_slabs`. */
  freeSlabs = 0;
  /** `free_objects`: free objects in the slabs (not in array caches). */
  freeObjects = 0;
  /** `colour_next`. */
  colourNext = 0;
  private readonly slab: SlabAllocator;
  private readonly allocFlags: number;
  private readonly debugLayout: DebugLayout | null;
  /** Offset of the user word from the object, -1 without SLAB_STORE_USER. */
  private readonly userWord: number;
  private readonly pageSize: number;
  private readonly pageOffset: number;
  private readonly slabBytes: number;

  constructor(
    slab: SlabAllocator,
    id: number,
    name: string,
    objectSize: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ) {
    const geo = SlabCache.geometry(slab, objectSize, align, flags, ctor !== undefined);
    super(slab, id, name, objectSize, geo.size, align, geo.flags, ctor);
    this.slab = slab;
    this.pageSize = slab.arch.pageSize;
    this.pageOffset = slab.arch.pageOffset;
    this.num = geo.num;
    this.gfporder = geo.order;
    this.slabBytes = this.pageSize * 2 ** geo.order;
    this.colour = geo.colour;
    this.colourOff = geo.colourOff;
    this.objOffset = geo.objOffset;
    this.mgmt = geo.mgmt;
    this.idxSize = geo.idxSize;
    this.freelistSize = geo.num * geo.idxSize;
    const debug = hasObjectDebug(geo.flags);
    // enable_cpucache; CONFIG_DEBUG_SLAB caps the limit at 32.
    let limit = cpucacheLimit(geo.size, this.pageSize);
    if (debug && limit > 32) limit = 32;
    const cpus = slab.buddy.cpus;
    this.limit = limit;
    this.batchcount = Math.floor((limit + 1) / 2);
    this.shared = geo.size <= this.pageSize && cpus > 1 ? 8 : 0;
    this.freeLimit = (1 + cpus) * this.batchcount + geo.num;
    this.acEntry = new Float64Array(cpus * limit);
    this.acAvail = new Int32Array(cpus);
    this.acTouched = new Uint8Array(cpus);
    this.sharedEntry = new Float64Array(this.shared * this.batchcount);
    this.allocFlags =
      __GFP_COMP |
      ((geo.flags & SLAB_CACHE_DMA) !== 0 ? __GFP_DMA : 0) |
      ((geo.flags & (SLAB_CACHE_DMA | SLAB_CACHE_DMA32)) === SLAB_CACHE_DMA32 ? __GFP_DMA32 : 0) |
      ((geo.flags & SLAB_RECLAIM_ACCOUNT) !== 0 ? __GFP_RECLAIMABLE : 0);
    const redZone = (geo.flags & SLAB_RED_ZONE) !== 0;
    const storeUser = (geo.flags & SLAB_STORE_USER) !== 0;
    const userBytes = storeUser ? (redZone ? REDZONE_ALIGN : slab.pointerSize) : 0;
    this.userWord = storeUser ? geo.size - geo.objOffset - userBytes : -1;
    this.debugLayout = debug
      ? {
          name,
          flags: geo.flags,
          objectSize,
          // The right red zone runs from the object's end to the end of the second red-zone word.
          inuse: redZone ? geo.size - geo.objOffset - userBytes : objectSize,
          redLeftPad: geo.objOffset,
          trackOffset: this.userWord,
          poison: (geo.flags & SLAB_POISON) !== 0 && ctor === undefined,
        }
      : null;
  }

  /**
   * `__kmem_cache_create`: the slot size and layout, then the slab order,
   * objects per slab and freelist placement (objfreelist, off-slab, on-slab,
   * tried in that order), and the colouring.
   */
  static geometry(
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

  // --- struct slab fields ------------------------------------------------

  /** `slab->active`: objects of the slab handed out (to users or array caches). */
  slabActive(head: number): number {
    return (this.slab.memMap.private[head] as number) & 0xffff;
  }

  private setActive(head: number, active: number): void {
    const m = this.slab.memMap;
    m.private[head] = ((m.private[head] as number) & ~0xffff) | active;
  }

  /** `slab->s_mem`: physical address of the slab's first object slot. */
  slabMemStart(head: number): number {
    const slot = ((this.slab.memMap.private[head] as number) >>> 16) & MAX_COLOUR;
    return head * this.pageSize + slot * this.colourOff;
  }

  /** Physical address of the slab's freelist index array, -1 when NULL (a full objfreelist slab). */
  slabFreelist(head: number): number {
    if (this.mgmt === 'on-slab') return head * this.pageSize + this.slabBytes - this.freelistSize;
    const v = this.slab.memMap.index[head] as number;
    if (this.mgmt === 'off-slab') return v * 16;
    return v === 0 ? -1 : head * this.pageSize + v - 1;
  }

  private getFreeObj(freelist: number, i: number): number {
    const at = freelist + i * this.idxSize;
    const chunk = Math.floor(at / TWO_32);
    const off = at - chunk * TWO_32;
    const mem = this.slab.memory;
    return this.idxSize === 1
      ? ((mem.u8[chunk] as Uint8Array)[off] as number)
      : ((mem.u16[chunk] as Uint16Array)[off / 2] as number);
  }

  private setFreeObj(freelist: number, i: number, value: number): void {
    const at = freelist + i * this.idxSize;
    const chunk = Math.floor(at / TWO_32);
    const off = at - chunk * TWO_32;
    const mem = this.slab.memory;
    if (this.idxSize === 1) (mem.u8[chunk] as Uint8Array)[off] = value;
    else (mem.u16[chunk] as Uint16Array)[off / 2] = value;
  }

  /** Which list a slab belongs on, by its active count. */
  private listOf(head: number): number {
    const active = this.slabActive(head);
    return active === 0 ? SLABS_FREE : active === this.num ? SLABS_FULL : SLABS_PARTIAL;
  }

  /** `slab_get_obj`: the next free object of the slab (physical address of the object). */
  private slabGetObj(head: number): number {
    const active = this.slabActive(head);
    const idx = this.getFreeObj(this.slabFreelist(head), active);
    this.setActive(head, active + 1);
    return this.slabMemStart(head) + idx * this.size + this.objOffset;
  }

  /** `slab_put_obj`: an object (physical address) back into its slab's freelist. */
  private slabPutObj(head: number, obj: number): void {
    const slot = obj - this.objOffset;
    const idx = (slot - this.slabMemStart(head)) / this.size;
    const active = this.slabActive(head) - 1;
    this.setActive(head, active);
    if (this.mgmt === 'objfreelist' && this.slab.memMap.index[head] === 0) {
      // The first object freed into a full slab becomes the freelist's home.
      this.slab.memMap.index[head] = obj - head * this.pageSize + 1;
    }
    this.setFreeObj(this.slabFreelist(head), active, idx);
  }

  // --- allocation ---------------------------------------------------------

  /** `kmem_cache_alloc`. */
  alloc(gfp: Gfp): VirtAddr | null {
    if (
      gfp >>> 0 !== gfp ||
      (gfp & ~GFP_VALID_MASK) !== 0 ||
      (gfp & GFP_MOVABLE_MASK) === GFP_MOVABLE_MASK
    ) {
      checkGfp('kmemCacheAlloc', gfp);
    }
    if (!this.alive) this.checkAlive('kmemCacheAlloc');
    const slab = this.slab;
    if (slab.failslab !== null && slab.shouldFailslab(gfp)) return null;
    const cpu = slab.buddy.cpu;
    let avail = this.acAvail[cpu] as number;
    let obj: number;
    if (avail > 0) {
      // ____cache_alloc: the fast path.
      this.acTouched[cpu] = 1;
      obj = this.acEntry[cpu * this.limit + --avail] as number;
      this.acAvail[cpu] = avail;
    } else {
      obj = this.cacheAllocRefill(gfp, cpu);
      if (obj < 0) return null;
    }
    slab.shadowSet(obj);
    this.liveObjects++;
    if (this.debugLayout !== null) this.allocDebug(obj, cpu);
    if ((gfp & __GFP_ZERO) !== 0) slab.zeroBytes(obj, this.objectSize);
    return (obj + this.pageOffset) as VirtAddr;
  }

  /** `cache_alloc_debugcheck_after`. */
  private allocDebug(obj: number, cpu: number): void {
    const layout = this.debugLayout as DebugLayout;
    const sink = this.slab.debugSink;
    checkObject(sink, layout, obj, false);
    initObject(sink, layout, obj, true);
    if (layout.poison) {
      const bytes = new Uint8Array(this.objectSize).fill(POISON_INUSE);
      bytes[this.objectSize - 1] = POISON_END;
      this.slab.memory.write(obj, bytes);
    }
    if (this.userWord >= 0) this.slab.memory.store32(obj + this.userWord, cpu);
  }

  /** `cache_alloc_refill`: this CPU's array is empty. Returns an object, or -1. */
  private cacheAllocRefill(gfp: Gfp, cpu: number): number {
    let batch = this.batchcount;
    if (this.acTouched[cpu] === 0 && batch > BATCHREFILL_LIMIT) batch = BATCHREFILL_LIMIT;
    const base = cpu * this.limit;
    let avail = 0;
    if (this.freeObjects > 0 || this.sharedAvail > 0) {
      const fromShared = Math.min(this.sharedAvail, batch, this.limit);
      if (fromShared > 0) {
        // transfer_objects: the top of the shared array.
        const start = this.sharedAvail - fromShared;
        this.acEntry.set(this.sharedEntry.subarray(start, this.sharedAvail), base);
        this.sharedAvail = start;
        avail = fromShared;
      } else {
        while (batch > 0) {
          let slab = this.lists[SLABS_PARTIAL] as number;
          if (slab < 0) {
            slab = this.lists[SLABS_FREE] as number;
            if (slab < 0) break;
            this.freeSlabs--;
          }
          const from = this.listOf(slab);
          while (batch > 0 && this.slabActive(slab) < this.num) {
            this.acEntry[base + avail++] = this.slabGetObj(slab);
            batch--;
          }
          this.fixupSlabList(slab, from);
        }
        this.freeObjects -= avail;
      }
    }
    if (avail === 0) {
      const slab = this.cacheGrow(gfp);
      if (slab < 0) {
        this.acAvail[cpu] = 0;
        return -1;
      }
      while (batch > 0 && this.slabActive(slab) < this.num) {
        this.acEntry[base + avail++] = this.slabGetObj(slab);
        batch--;
      }
      this.cacheGrowEnd(slab);
    }
    this.acTouched[cpu] = 1;
    this.acAvail[cpu] = avail - 1;
    return this.acEntry[base + avail - 1] as number;
  }

  /** `fixup_slab_list`: moves a slab that lost objects to the full or partial list. */
  private fixupSlabList(head: number, from: number): void {
    const m = this.slab.memMap;
    listDel(m.next, m.prev, this.lists, from, head);
    if (this.slabActive(head) === this.num) {
      listAdd(m.next, m.prev, this.lists, SLABS_FULL, head);
      if (this.mgmt === 'objfreelist') {
        // fixup_objfreelist_debug: the freelist's home was just handed out; restore its poison.
        const home = this.slabFreelist(head);
        m.index[head] = 0;
        if (this.debugLayout?.poison === true) {
          initObject(this.slab.debugSink, this.debugLayout, home, false);
        }
      }
    } else {
      listAdd(m.next, m.prev, this.lists, SLABS_PARTIAL, head);
    }
  }

  /**
   * `cache_grow_begin`: a new slab from the page allocator, coloured, with
   * its freelist and constructed objects. Returns its head pfn, or -1.
   */
  private cacheGrow(gfp: Gfp): number {
    const slab = this.slab;
    const local = slab.fixGfp(gfp) & (GFP_CONSTRAINT_MASK | GFP_RECLAIM_MASK);
    const head = slab.buddy.allocPages(local | this.allocFlags, this.gfporder);
    if (head === null) return -1;
    // Get colour for the slab, and advance colour_next.
    this.colourNext++;
    if (this.colourNext >= this.colour) this.colourNext = 0;
    const slot = this.colourNext < this.colour ? this.colourNext : 0;
    const m = slab.memMap;
    const slabStart = head * this.pageSize;
    // alloc_slabmgmt.
    let index = 0;
    if (this.mgmt === 'off-slab') {
      // kmalloc at least 16 bytes: its address / 16 then fits struct page's 32-bit index.
      const va = slab.kmalloc(Math.max(16, this.freelistSize), local & ~GFP_CONSTRAINT_MASK);
      if (va === null) {
        slab.buddy.freePages(head, this.gfporder);
        return -1;
      }
      index = (va - this.pageOffset) / 16;
    } else if (this.mgmt === 'objfreelist') {
      // cache_init_objs: the freelist starts in the last object.
      index = slot * this.colourOff + (this.num - 1) * this.size + this.objOffset + 1;
    }
    m.setFlag(head, PG.slab);
    m.mapping[head] = this.id;
    m.private[head] = slot << 16;
    m.index[head] = index;
    // cache_init_objs (and cache_init_objs_debug).
    const sMem = slabStart + slot * this.colourOff;
    const freelist = this.slabFreelist(head);
    for (let i = 0; i < this.num; i++) {
      const obj = sMem + i * this.size + this.objOffset;
      if (this.debugLayout !== null) {
        initObject(slab.debugSink, this.debugLayout, obj, false);
        if (this.userWord >= 0) slab.memory.store32(obj + this.userWord, 0);
      }
    }
    if (this.ctor !== undefined) {
      for (let i = 0; i < this.num; i++) {
        this.ctor((sMem + i * this.size + this.objOffset + this.pageOffset) as VirtAddr);
      }
    }
    for (let i = 0; i < this.num; i++) this.setFreeObj(freelist, i, i);
    slab.accountSlab(this, 2 ** this.gfporder);
    return head;
  }

  /** `cache_grow_end`: puts a new slab on its list. */
  private cacheGrowEnd(head: number): void {
    const m = this.slab.memMap;
    this.totalSlabs++;
    const active = this.slabActive(head);
    if (active === 0) {
      listAddTail(m.next, m.prev, this.lists, SLABS_FREE, head);
      this.freeSlabs++;
    } else {
      // fixup_slab_list on a slab that is on no list yet.
      listAddTail(m.next, m.prev, this.lists, SLABS_PARTIAL, head);
      this.fixupSlabList(head, SLABS_PARTIAL);
    }
    this.freeObjects += this.num - active;
  }

  // --- freeing ----------------------------------------------------------------

  /** Throws `KernelBug`, with the kernel's report, unless `va` is a live object of this cache. */
  checkObject(fn: string, va: number): void {
    this.checkObjectIn(fn, va, this.slab.headOfObject(fn, va));
  }

  /** `checkObject` when the slab's head frame is known. */
  private checkObjectIn(fn: string, va: number, head: number): void {
    const slab = this.slab;
    const pa = va - this.pageOffset;
    this.checkOwner(fn, va, slab.slabCacheOf(head));
    const offset = pa - this.slabMemStart(head) - this.objOffset;
    if (offset < 0 || offset % this.size !== 0 || offset / this.size >= this.num)
      this.invalidPointer(fn, va);
    if (!slab.shadowTest(pa)) this.alreadyFree(fn, va);
  }

  /** `kmem_cache_free`: onto this CPU's array cache, flushing half of it first when it is full. */
  free(obj: number): void {
    if (!this.alive) this.checkAlive('kmemCacheFree');
    this.checkObjectIn('kmemCacheFree', obj, this.slab.headOfObject('kmemCacheFree', obj));
    this.freeChecked(obj - this.pageOffset);
  }

  /** `kfree` of an object of this cache, whose slab `kfree` has found already. */
  override kfreeIn(head: number, va: number): void {
    this.checkObjectIn('kfree', va, head);
    this.freeChecked(va - this.pageOffset);
  }

  /** `___cache_free`: the object at `pa`, checked, goes onto this CPU's array. */
  private freeChecked(pa: number): void {
    const slab = this.slab;
    const cpu = slab.buddy.cpu;
    slab.shadowClear(pa);
    this.liveObjects--;
    if (this.debugLayout !== null) {
      // cache_free_debugcheck.
      checkObject(slab.debugSink, this.debugLayout, pa, true);
      if (this.userWord >= 0) slab.memory.store32(pa + this.userWord, cpu);
      initObject(slab.debugSink, this.debugLayout, pa, false);
    }
    if ((this.acAvail[cpu] as number) >= this.limit) this.cacheFlusharray(cpu);
    const avail = this.acAvail[cpu] as number;
    this.acEntry[cpu * this.limit + avail] = pa;
    this.acAvail[cpu] = avail + 1;
  }

  /**
   * `cache_flusharray`: the `batchcount` oldest objects of a full array go
   * to the shared array if it has room, else back to their slabs.
   */
  private cacheFlusharray(cpu: number): void {
    const base = cpu * this.limit;
    const avail = this.acAvail[cpu] as number;
    let batch = this.batchcount;
    const room = this.sharedEntry.length - this.sharedAvail;
    if (this.shared > 0 && room > 0) {
      batch = Math.min(batch, room);
      this.sharedEntry.set(this.acEntry.subarray(base, base + batch), this.sharedAvail);
      this.sharedAvail += batch;
    } else {
      this.freeBlock(this.acEntry, base, batch);
    }
    this.acEntry.copyWithin(base, base + batch, base + avail);
    this.acAvail[cpu] = avail - batch;
  }

  /**
   * `free_block` (and `slabs_destroy`): objects back into their slabs; a
   * slab that empties goes to the head of the free list, any other to the
   * tail of the partial list; then free slabs are destroyed while the node
   * has more than `free_limit` free objects. Returns the pages released.
   */
  private freeBlock(entries: Float64Array, start: number, n: number): number {
    const m = this.slab.memMap;
    this.freeObjects += n;
    for (let i = start; i < start + n; i++) {
      const obj = entries[i] as number;
      const head = m.compoundHead(Math.floor(obj / this.pageSize));
      listDel(m.next, m.prev, this.lists, this.listOf(head), head);
      this.slabPutObj(head, obj);
      if (this.slabActive(head) === 0) {
        listAdd(m.next, m.prev, this.lists, SLABS_FREE, head);
        this.freeSlabs++;
      } else {
        listAddTail(m.next, m.prev, this.lists, SLABS_PARTIAL, head);
      }
    }
    let released = 0;
    while (this.freeObjects > this.freeLimit && (this.lists[SLABS_FREE] as number) >= 0) {
      released += this.destroyFreeSlab();
    }
    return released;
  }

  /** Takes the last slab off the free list and destroys it. */
  private destroyFreeSlab(): number {
    const m = this.slab.memMap;
    const head = listLast(m.prev, this.lists, SLABS_FREE);
    listDel(m.next, m.prev, this.lists, SLABS_FREE, head);
    this.freeObjects -= this.num;
    this.freeSlabs--;
    this.totalSlabs--;
    return this.slabDestroy(head);
  }

  /** `slab_destroy` and `kmem_freepages`: the slab's pages (and off-slab freelist) go back. */
  private slabDestroy(head: number): number {
    const slab = this.slab;
    const m = slab.memMap;
    const freelist = this.mgmt === 'off-slab' ? this.slabFreelist(head) : -1;
    m.clearFlag(head, PG.slab);
    m.mapping[head] = 0;
    m.index[head] = 0;
    m.private[head] = 0;
    slab.accountSlab(this, -(2 ** this.gfporder));
    slab.buddy.freePages(head, this.gfporder);
    if (freelist >= 0) slab.kfree(freelist + this.pageOffset);
    return 2 ** this.gfporder;
  }

  /**
   * `__kmem_cache_shrink`: every array cache and the shared array drain
   * into the slabs, then every free slab is destroyed. Returns the pages
   * released.
   */
  shrink(): number {
    this.checkAlive('kmemCacheShrink');
    let released = 0;
    for (let cpu = 0; cpu < this.acAvail.length; cpu++) {
      released += this.freeBlock(this.acEntry, cpu * this.limit, this.acAvail[cpu] as number);
      this.acAvail[cpu] = 0;
    }
    if (this.sharedAvail > 0) {
      released += this.freeBlock(this.sharedEntry, 0, this.sharedAvail);
      this.sharedAvail = 0;
    }
    while ((this.lists[SLABS_FREE] as number) >= 0) released += this.destroyFreeSlab();
    return released;
  }

  protected release(): void {
    this.shrink();
  }

  /** `__ksize` under SLAB: the cache's `object_size`. */
  ksize(): number {
    return this.objectSize;
  }

  /** `get_slabinfo`: objects in array caches count as active, as in Linux. */
  slabinfo(): SlabInfo {
    const numObjs = this.totalSlabs * this.num;
    return {
      activeObjs: numObjs - this.freeObjects,
      numObjs,
      objsPerSlab: this.num,
      cacheOrder: this.gfporder,
      limit: this.limit,
      batchcount: this.batchcount,
      shared: this.shared,
      activeSlabs: this.totalSlabs - this.freeSlabs,
      numSlabs: this.totalSlabs,
      sharedAvail: this.sharedAvail,
    };
  }

  /** The number of slabs on each list (walks the lists). */
  slabCounts(): { full: number; partial: number; free: number } {
    const m = this.slab.memMap;
    const count = (list: number): number => {
      const first = this.lists[list] as number;
      if (first < 0) return 0;
      let n = 0;
      let pfn = first;
      do {
        n++;
        pfn = m.next[pfn] as number;
      } while (pfn !== first && n <= this.totalSlabs);
      return n;
    };
    return { full: count(SLABS_FULL), partial: count(SLABS_PARTIAL), free: count(SLABS_FREE) };
  }

  /**
   * Checks the cache against its slabs (a scan of mem_map): each slab is
   * on exactly the list its active count names, the freelist index arrays
   * agree with the active counts, array-cache entries are free objects of
   * this cache's slabs, shadow bits mark exactly the live objects, and the
   * node counters agree with the lists.
   */
  checkInvariants(): void {
    const slab = this.slab;
    const m = slab.memMap;
    const bug = (msg: string): never => {
      throw new KernelBug(`checkInvariants: cache ${this.name}: ${msg}`);
    };
    // Array caches: free objects, each once.
    const cached = new Set<number>();
    const addCached = (obj: number, what: string): void => {
      const head = m.compoundHead(Math.floor(obj / this.pageSize));
      if (!m.testFlag(head, PG.slab) || m.mapping[head] !== this.id)
        bug(`${what} holds ${obj}, not an object of this cache's slabs`);
      const offset = obj - this.slabMemStart(head) - this.objOffset;
      if (offset < 0 || offset % this.size !== 0 || offset / this.size >= this.num)
        bug(`${what} holds ${obj}, not an object start`);
      if (slab.shadowTest(obj)) bug(`${what} holds live object ${obj}`);
      if (cached.has(obj)) bug(`${what} holds ${obj} twice`);
      cached.add(obj);
    };
    for (let cpu = 0; cpu < this.acAvail.length; cpu++) {
      const avail = this.acAvail[cpu] as number;
      if (avail < 0 || avail > this.limit) bug(`cpu ${cpu} array avail ${avail} outside 0..limit`);
      for (let i = 0; i < avail; i++) {
        addCached(this.acEntry[cpu * this.limit + i] as number, `cpu ${cpu} array cache`);
      }
    }
    if (this.sharedAvail < 0 || this.sharedAvail > this.sharedEntry.length)
      bug(`shared avail ${this.sharedAvail} outside its limit`);
    for (let i = 0; i < this.sharedAvail; i++) {
      addCached(this.sharedEntry[i] as number, 'shared array');
    }
    // Lists: each slab on one list, the one its active count names.
    const onList = new Map<number, number>();
    const names = ['slabs_full', 'slabs_partial', 'slabs_free'];
    for (let list = 0; list < 3; list++) {
      const first = this.lists[list] as number;
      if (first < 0) continue;
      let pfn = first;
      do {
        if (onList.has(pfn)) bug(`slab ${pfn} is on ${names[list]} and on a list before`);
        onList.set(pfn, list);
        if (m.mapping[pfn] !== this.id || !m.testFlag(pfn, PG.slab))
          bug(`${names[list]} links pfn ${pfn}, not a slab of this cache`);
        if (this.listOf(pfn) !== list)
          bug(
            `slab ${pfn} with ${this.slabActive(pfn)} of ${this.num} active is on ${names[list]}`,
          );
        if (m.next[m.prev[pfn] as number] !== pfn) bug(`slab ${pfn}'s links disagree`);
        pfn = m.next[pfn] as number;
        if (onList.size > this.totalSlabs) bug(`${names[list]} is longer than total_slabs`);
      } while (pfn !== first);
    }
    let slabs = 0;
    let freeSlabs = 0;
    let freeObjects = 0;
    let live = 0;
    let cachedSeen = 0;
    for (let pfn = 0; pfn < m.frames; pfn++) {
      if (!m.testFlag(pfn, PG.slab) || m.mapping[pfn] !== this.id) continue;
      slabs++;
      if (!onList.has(pfn)) bug(`slab ${pfn} is on no list`);
      if (slab.buddy.allocatedOrder(pfn) !== this.gfporder)
        bug(`slab ${pfn} is not an allocated block of order ${this.gfporder}`);
      const active = this.slabActive(pfn);
      if (active > this.num) bug(`slab ${pfn} has active ${active} > num ${this.num}`);
      if (active === 0) freeSlabs++;
      freeObjects += this.num - active;
      const slot = ((m.private[pfn] as number) >>> 16) & MAX_COLOUR;
      if (slot >= Math.max(1, this.colour)) bug(`slab ${pfn} has colour slot ${slot}`);
      const freelist = this.slabFreelist(pfn);
      const sMem = this.slabMemStart(pfn);
      if (this.mgmt === 'objfreelist') {
        if (freelist < 0 !== (active === this.num))
          bug(`slab ${pfn} has active ${active} and freelist ${freelist}`);
      } else if (this.mgmt === 'off-slab') {
        if (!slab.shadowTest(freelist)) bug(`slab ${pfn}'s off-slab freelist ${freelist} is free`);
      }
      const free = new Uint8Array(this.num);
      for (let i = active; i < this.num; i++) {
        const idx = this.getFreeObj(freelist, i);
        if (idx >= this.num) bug(`slab ${pfn} freelist entry ${i} is ${idx}, beyond num`);
        if (free[idx] === 1) bug(`slab ${pfn} freelist names object ${idx} twice`);
        free[idx] = 1;
      }
      if (this.mgmt === 'objfreelist' && freelist >= 0) {
        const home = (freelist - this.objOffset - sMem) / this.size;
        if (!Number.isInteger(home) || free[home] !== 1)
          bug(`slab ${pfn}'s freelist lives in object ${home}, which is not free`);
      }
      for (let i = 0; i < this.num; i++) {
        const obj = sMem + i * this.size + this.objOffset;
        const inArray = cached.has(obj);
        if (inArray) {
          cachedSeen++;
          if (free[i] === 1) bug(`object ${obj} is in an array cache and on its slab's freelist`);
        }
        const isLive = free[i] === 0 && !inArray;
        if (slab.shadowTest(obj) !== isLive)
          bug(`object ${obj} is ${isLive ? 'allocated' : 'free'} but marked otherwise`);
        if (isLive) live++;
      }
    }
    if (cachedSeen !== cached.size) bug('array caches hold objects of slabs not found');
    if (slabs !== onList.size) bug(`${onList.size} slabs on the lists, ${slabs} in mem_map`);
    if (slabs !== this.totalSlabs) bug(`${slabs} slabs, total_slabs says ${this.totalSlabs}`);
    if (freeSlabs !== this.freeSlabs)
      bug(`${freeSlabs} free slabs, free_slabs says ${this.freeSlabs}`);
    if (freeObjects !== this.freeObjects)
      bug(`${freeObjects} free objects in slabs, free_objects says ${this.freeObjects}`);
    if (live !== this.liveObjects)
      bug(`${live} live objects in slabs, the cache counted ${this.liveObjects}`);
  }
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

/** The SLAB allocator over a page allocator. */
export class SlabAllocator extends SlabAllocatorBase {
  readonly kind = 'slab' as const;
  /** `slab_max_order`: 1 above 32 MiB of managed memory, else 0. */
  readonly slabMaxOrder: number;

  /**
   * @example
   * ```ts
   * const slab = new SlabAllocator(new BuddyAllocator(new PhysicalMemory(64 * 2 ** 20)));
   * const cache = slab.kmemCacheCreate('task_struct', 1024, { flags: SLAB_HWCACHE_ALIGN });
   * const obj = cache.alloc(GFP_KERNEL);
   * slab.caches[0]?.slabinfo(); // limit 54, batchcount 27 for 1 KiB objects
   * ```
   */
  constructor(buddy: BuddyAllocator, options: SlabAllocatorOptions = {}) {
    super(buddy, options);
    let managed = 0;
    for (const zone of buddy.zones) managed += zone.managed;
    this.slabMaxOrder = managed > (32 * 2 ** 20) / buddy.arch.pageSize ? 1 : 0;
    this.createKmallocCaches();
  }

  protected createCache(
    id: number,
    name: string,
    size: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ): SlabCache {
    return new SlabCache(this, id, name, size, align, flags, ctor);
  }

  /**
   * `kmalloc_slab(bytes, 0)`: the normal kmalloc cache a request of
   * `bytes` would use, if it exists yet (kmalloc caches are created
   * smallest first).
   */
  kmallocCacheFor(bytes: number): SlabCache | undefined {
    for (let i = 0; i < this.kmallocClasses.length; i++) {
      const cls = this.kmallocClasses[i];
      if (cls === undefined || bytes > cls.size) continue;
      const cache = this.kmallocCaches.normal[i];
      return cache instanceof SlabCache ? cache : undefined;
    }
    return undefined;
  }
}
