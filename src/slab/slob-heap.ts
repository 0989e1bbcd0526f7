/**
 * The SLOB heap (mm/slob.c's page and block machinery): SLOB pages, the
 * free blocks chained inside them in SLOB units, the three lists of
 * partially free pages, `slob_page_alloc`, `slob_alloc` and `slob_free`.
 * `SlobAllocator` (slob.ts) builds kmalloc and the kmem_caches on it; the
 * headers it and `SlobCache` put at the start of allocated blocks are
 * defined here, beside the blocks, for the invariant checks to decode.
 *
 * A K&R heap over whole pages. A SLOB page is an order-0 page from the
 * page allocator, with PG_slab set, holding blocks of any size, for any
 * cache and for kmalloc, mixed. Its struct page is SLOB's struct slab:
 *
 * | field     | SLOB page                                                  |
 * | --------- | ---------------------------------------------------------- |
 * | `flags`   | PG_slab; PG_private is `PageSlobFree` (on a free list)      |
 * | `private` | `units`: free SLOB units left in the page                  |
 * | `index`   | `freelist`: unit offset of the first free block            |
 * | `next/prev` | `slab_list`, on free_slob_small/medium/large             |
 * | `mapping` | 0 (`SLOB_MAPPING`): no cache id, so `slabCacheOf` is undefined |
 *
 * Space is counted in SLOB units (`SLOB_UNIT = sizeof(slob_t)`: a signed
 * 16-bit offset, 2 bytes, with pages up to 64 KiB - 2; 4 bytes with
 * 64 KiB pages). Free blocks are chained inside the page, in simulated RAM,
 * in address order, each encoding itself as mm/slob.c does: a block of one
 * unit stores `-next`; a larger block stores its size in units, then the
 * unit offset of the next free block. The last block's next is the page
 * size in units (the next page's start).
 *
 * Allocation (`slob_alloc`) picks one of three lists of partially free
 * pages by request size (< 256 bytes, < 1024, the rest), walks it for a
 * page with enough free units, and scans that page's blocks first fit
 * (`slob_page_alloc`), splitting off the head of a block when alignment
 * needs it and the tail when the block is larger than asked. A page that
 * serves a request becomes the list's first entry, so the next search
 * starts there (`list_rotate_to_front`). With no fit, a new page is taken.
 * Freeing (`slob_free`) inserts the block in address order and merges it
 * with free neighbours; a page whose blocks are all free goes back to the
 * page allocator. Costs grow with the pages on a list and the blocks on a
 * page, as in Linux: SLOB trades speed and fragmentation for footprint.
 */

import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { listAdd, listDel } from '../buddy/page-list.js';
import { __GFP_DMA, __GFP_ZERO, type Gfp } from '../gfp/flags.js';
import { KernelBug } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import { ARCH_SLAB_MINALIGN, SlabAllocatorBase, type SlabAllocatorOptions } from './slab-common.js';

/** `SLOB_BREAK1`: requests below this many bytes use free_slob_small. */
export const SLOB_BREAK1 = 256;
/** `SLOB_BREAK2`: requests below this many bytes (and not small) use free_slob_medium. */
export const SLOB_BREAK2 = 1024;
/** Index of free_slob_small in `SlobAllocator.freeSlobLists`. */
export const SLOB_LIST_SMALL = 0;
/** Index of free_slob_medium. */
export const SLOB_LIST_MEDIUM = 1;
/** Index of free_slob_large. */
export const SLOB_LIST_LARGE = 2;
/** `mapping` of a SLOB page: not a cache id (ids start at 1). */
export const SLOB_MAPPING = 0;
/** The kmalloc header: `max(ARCH_KMALLOC_MINALIGN, arch_slab_minalign())` bytes. */
export const MINALIGN = ARCH_SLAB_MINALIGN;
/** mmsim's owner header before each kmem_cache object in a SLOB page. */
export const CACHE_HEADER = 4;
/** The owner word of a kmalloc object (its header's second word). */
export const KMALLOC_OWNER = 0;
const TWO_32 = 2 ** 32;

/** Which free list a request of `bytes` uses. */
export function listFor(bytes: number): number {
  if (bytes < SLOB_BREAK1) return SLOB_LIST_SMALL;
  return bytes < SLOB_BREAK2 ? SLOB_LIST_MEDIUM : SLOB_LIST_LARGE;
}

/**
 * The SLOB heap under `SlobAllocator`: SLOB pages, their free blocks and
 * the free lists. `SlobAllocator` adds kmalloc, the caches and the checks.
 */
export abstract class SlobHeap extends SlabAllocatorBase {
  /** `SLOB_UNIT`: bytes per unit (2, or 4 with 64 KiB pages). */
  readonly unit: number;
  /** `SLOB_UNITS(PAGE_SIZE)`: units per page. */
  readonly pageUnits: number;
  /** Heads of free_slob_small, free_slob_medium and free_slob_large (pfns, -1 for empty). */
  readonly freeSlobLists = new Int32Array([-1, -1, -1]);
  /** SLOB pages in use. */
  slobPages = 0;
  /** Bumped by every allocation and free (keys the slabinfo scan). */
  generation = 0;
  /** Signed unit views over each 4 GiB chunk of RAM. */
  private readonly unitViews: readonly (Int16Array | Int32Array)[];
  /** The selected page's view and the index of its first unit (`selectPage`). */
  private view: Int16Array | Int32Array;
  private viewBase = 0;

  constructor(buddy: BuddyAllocator, options: SlabAllocatorOptions = {}) {
    super(buddy, options);
    // slobidx_t is s16 while PAGE_SIZE <= 32767 * 2, else s32.
    this.unit = this.arch.pageSize <= 32767 * 2 ? 2 : 4;
    this.pageUnits = this.arch.pageSize / this.unit;
    this.unitViews = this.memory.buffers.map((b) =>
      this.unit === 2 ? new Int16Array(b) : new Int32Array(b),
    );
    this.view = this.unitViews[0] as Int16Array | Int32Array;
  }

  // --- free blocks in simulated RAM ---------------------------------------

  /**
   * Points the unit accessors at page `pfn`.
   *
   * @internal
   */
  selectPage(pfn: number): void {
    const pa = pfn * this.arch.pageSize;
    const chunk = Math.floor(pa / TWO_32);
    this.view = this.unitViews[chunk] as Int16Array | Int32Array;
    this.viewBase = (pa - chunk * TWO_32) / this.unit;
  }

  private raw(s: number): number {
    return this.view[this.viewBase + s] as number;
  }

  /**
   * `slob_units`: the size of the free block at unit offset `s`.
   *
   * @internal
   */
  slobUnits(s: number): number {
    const v = this.raw(s);
    return v > 0 ? v : 1;
  }

  /**
   * `slob_next`: the unit offset of the free block after `s` (pageUnits after the last).
   *
   * @internal
   */
  slobNext(s: number): number {
    const v = this.raw(s);
    return v < 0 ? -v : this.raw(s + 1);
  }

  /** `set_slob`: encodes a free block of `size` units at `s` whose successor is `next`. */
  private setSlob(s: number, size: number, next: number): void {
    const i = this.viewBase + s;
    if (size > 1) {
      this.view[i] = size;
      this.view[i + 1] = next;
    } else {
      this.view[i] = -next;
    }
  }

  // --- pages --------------------------------------------------------------

  /** Whether `pfn` is a SLOB page (PG_slab without a cache id). */
  isSlobPage(pfn: number): boolean {
    return this.memMap.testFlag(pfn, PG.slab) && this.memMap.mapping[pfn] === SLOB_MAPPING;
  }

  /** Counts slab pages (SLOB's are always NR_SLAB_UNRECLAIMABLE). */
  accountPages(pages: number): void {
    this.buddy.events.count('nr_slab_unreclaimable', pages);
  }

  /** `clear_slob_page_free`: takes a page off whichever free list holds it. */
  private clearSlobPageFree(pfn: number): void {
    const heads = this.freeSlobLists;
    // Only a list's first page needs its list known (list_del updates the head).
    let list = SLOB_LIST_SMALL;
    if (heads[SLOB_LIST_MEDIUM] === pfn) list = SLOB_LIST_MEDIUM;
    else if (heads[SLOB_LIST_LARGE] === pfn) list = SLOB_LIST_LARGE;
    listDel(this.memMap.next, this.memMap.prev, heads, list, pfn);
    this.memMap.clearFlag(pfn, PG.private);
  }

  /** `set_slob_page_free`: puts a page at the front of a free list. */
  private setSlobPageFree(pfn: number, list: number): void {
    listAdd(this.memMap.next, this.memMap.prev, this.freeSlobLists, list, pfn);
    this.memMap.setFlag(pfn, PG.private);
  }

  /**
   * `slob_page_alloc`: first fit in one page for `bytes`, with the address
   * `alignOffset` bytes into the block aligned to `align`. Returns the
   * block's unit offset, or -1 if no free block of the page fits.
   */
  private pageAlloc(pfn: number, bytes: number, align: number, alignOffset: number): number {
    const m = this.memMap;
    const u = this.unit;
    const units = Math.ceil(bytes / u);
    this.selectPage(pfn);
    let prev = -1;
    let cur = m.index[pfn] as number;
    for (;;) {
      let avail = this.slobUnits(cur);
      // Pages are aligned to more than any object alignment, so page offsets align as addresses do.
      const aligned = (Math.ceil((cur * u + alignOffset) / align) * align - alignOffset) / u;
      const delta = aligned - cur;
      if (avail >= units + delta) {
        let next: number;
        if (delta > 0) {
          // Split off the head of the block to align the rest.
          next = this.slobNext(cur);
          this.setSlob(aligned, avail - delta, next);
          this.setSlob(cur, delta, aligned);
          prev = cur;
          cur = aligned;
          avail = this.slobUnits(cur);
        }
        next = this.slobNext(cur);
        if (avail === units) {
          if (prev >= 0) this.setSlob(prev, this.slobUnits(prev), next);
          else m.index[pfn] = next;
        } else {
          if (prev >= 0) this.setSlob(prev, this.slobUnits(prev), cur + units);
          else m.index[pfn] = cur + units;
          this.setSlob(cur + units, avail - units, next);
        }
        const left = (m.private[pfn] as number) - units;
        m.private[pfn] = left;
        if (left === 0) this.clearSlobPageFree(pfn);
        return cur;
      }
      const next = this.slobNext(cur);
      if (next === this.pageUnits) return -1;
      prev = cur;
      cur = next;
    }
  }

  /**
   * `slob_alloc`: a block of `bytes` from the list for `classBytes`, first
   * fit over its pages, or from a new page. Returns the block's physical
   * address, or -1 when the page allocator has nothing.
   *
   * @internal
   */
  slobAlloc(
    bytes: number,
    classBytes: number,
    gfp: Gfp,
    align: number,
    alignOffset: number,
    dma: boolean,
  ): number {
    const m = this.memMap;
    const pageSize = this.arch.pageSize;
    const heads = this.freeSlobLists;
    const list = listFor(classBytes);
    const need = Math.ceil(bytes / this.unit);
    const first = heads[list] as number;
    if (first >= 0) {
      let sp = first;
      do {
        if ((m.private[sp] as number) >= need && (!dma || this.inDmaZone(sp))) {
          const b = this.pageAlloc(sp, bytes, align, alignOffset);
          if (b >= 0) {
            // list_rotate_to_front: start the next search here (Knuth vol 1, 2.5).
            if ((m.private[sp] as number) > 0) heads[list] = sp;
            return sp * pageSize + b * this.unit;
          }
        }
        sp = m.next[sp] as number;
      } while (sp !== first);
    }
    const pfn = this.buddy.allocPages(this.fixGfp(gfp & ~__GFP_ZERO) | (dma ? __GFP_DMA : 0), 0);
    if (pfn === null) return -1;
    m.setFlag(pfn, PG.slab);
    m.mapping[pfn] = SLOB_MAPPING;
    m.private[pfn] = this.pageUnits;
    m.index[pfn] = 0;
    this.selectPage(pfn);
    this.setSlob(0, this.pageUnits, this.pageUnits);
    this.setSlobPageFree(pfn, list);
    this.slobPages++;
    this.accountPages(1);
    const b = this.pageAlloc(pfn, bytes, align, alignOffset);
    if (b < 0) throw new KernelBug(`slobAlloc: ${bytes} bytes do not fit an empty page`);
    return pfn * pageSize + b * this.unit;
  }

  private inDmaZone(pfn: number): boolean {
    return this.buddy.zoneOf(pfn).name === 'DMA';
  }

  /**
   * Whether a block of `bytes` at `blockPa` could be an allocated block of
   * its SLOB page: inside the page and overlapping no free block. Changes
   * nothing.
   *
   * @internal
   */
  protected blockFits(blockPa: number, bytes: number): boolean {
    const m = this.memMap;
    const pageSize = this.arch.pageSize;
    const pfn = Math.floor(blockPa / pageSize);
    const b = (blockPa - pfn * pageSize) / this.unit;
    const units = Math.ceil(bytes / this.unit);
    const free = m.private[pfn] as number;
    if (!Number.isInteger(b) || b + units > this.pageUnits || free + units > this.pageUnits)
      return false;
    if (!m.testFlag(pfn, PG.private)) return free === 0;
    this.selectPage(pfn);
    const head = m.index[pfn] as number;
    if (b < head) return b + units <= head;
    let prev = head;
    let next = this.slobNext(prev);
    while (b > next) {
      prev = next;
      next = this.slobNext(prev);
    }
    if (b < prev + this.slobUnits(prev)) return false;
    return next === this.pageUnits || b + units <= next;
  }

  /**
   * `slob_free`: returns a block of `bytes` at `blockPa` (allocated for a
   * request of `classBytes`) to its page, merging it with free neighbours;
   * a page left with no allocated block goes back to the page allocator.
   * Returns the pages released (0 or 1).
   *
   * @internal
   */
  slobFree(blockPa: number, bytes: number, classBytes: number): number {
    const m = this.memMap;
    const pageSize = this.arch.pageSize;
    const pfn = Math.floor(blockPa / pageSize);
    const b = (blockPa - pfn * pageSize) / this.unit;
    let units = Math.ceil(bytes / this.unit);
    const free = m.private[pfn] as number;
    this.generation++;
    if (free + units === this.pageUnits) {
      // Go directly to the page allocator.
      if (m.testFlag(pfn, PG.private)) this.clearSlobPageFree(pfn);
      m.clearFlag(pfn, PG.slab);
      m.private[pfn] = 0;
      m.index[pfn] = 0;
      this.slobPages--;
      this.accountPages(-1);
      this.buddy.freePages(pfn, 0);
      return 1;
    }
    this.selectPage(pfn);
    if (!m.testFlag(pfn, PG.private)) {
      // The page was full: it becomes partially free.
      m.private[pfn] = units;
      m.index[pfn] = b;
      this.setSlob(b, units, this.pageUnits);
      this.setSlobPageFree(pfn, listFor(classBytes));
      return 0;
    }
    m.private[pfn] = free + units;
    const head = m.index[pfn] as number;
    if (b < head) {
      let next = head;
      if (b + units === head) {
        units += this.slobUnits(head);
        next = this.slobNext(head);
      }
      this.setSlob(b, units, next);
      m.index[pfn] = b;
      return 0;
    }
    let prev = head;
    let next = this.slobNext(prev);
    while (b > next) {
      prev = next;
      next = this.slobNext(prev);
    }
    if (next !== this.pageUnits && b + units === next) {
      units += this.slobUnits(next);
      this.setSlob(b, units, this.slobNext(next));
    } else {
      this.setSlob(b, units, next);
    }
    const prevUnits = this.slobUnits(prev);
    if (prev + prevUnits === b) this.setSlob(prev, prevUnits + units, this.slobNext(b));
    else this.setSlob(prev, prevUnits, b);
    return 0;
  }

  /**
   * Whether `pa` lies in a free block of its SLOB page (a walk; for error paths).
   *
   * @internal
   */
  protected inFreeBlock(pa: number): boolean {
    const pageSize = this.arch.pageSize;
    const pfn = Math.floor(pa / pageSize);
    if (!this.memMap.testFlag(pfn, PG.private)) return false;
    const off = (pa - pfn * pageSize) / this.unit;
    this.selectPage(pfn);
    let s = this.memMap.index[pfn] as number;
    for (let n = 0; s < this.pageUnits && n < this.pageUnits; n++) {
      if (off >= s && off < s + this.slobUnits(s)) return true;
      s = this.slobNext(s);
    }
    return false;
  }

  // --- observability ------------------------------------------------------

  /** The SLOB pages on free list `list` (0 small, 1 medium, 2 large), in search order. */
  pagesOnList(list: number): number[] {
    const out: number[] = [];
    const first = this.freeSlobLists[list] ?? -1;
    if (first < 0) return out;
    let sp = first;
    do {
      out.push(sp);
      sp = this.memMap.next[sp] as number;
    } while (sp !== first && out.length <= this.memMap.frames);
    return out;
  }

  /** The free blocks of SLOB page `pfn` in address order, as byte offsets and lengths. */
  freeBlocksOf(pfn: number): { offset: number; bytes: number }[] {
    const out: { offset: number; bytes: number }[] = [];
    if (!this.isSlobPage(pfn) || !this.memMap.testFlag(pfn, PG.private)) return out;
    this.selectPage(pfn);
    let s = this.memMap.index[pfn] as number;
    while (s < this.pageUnits && out.length < this.pageUnits) {
      out.push({ offset: s * this.unit, bytes: this.slobUnits(s) * this.unit });
      s = this.slobNext(s);
    }
    return out;
  }
}
