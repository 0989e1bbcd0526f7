/**
 * The `struct page` array (`mem_map`): one entry per frame, kept as a
 * structure of arrays in simulated RAM, 32 bytes per frame (Linux's
 * struct page is 64). No JS object exists per frame.
 *
 * Fields, each an array of 32-bit values indexed by pfn, and the unions
 * each layer reads them as (mm_types.h keeps the same unions):
 *
 * | field      | buddy (free)  | compound tail      | slab              | page cache / anon       | swap cache  |
 * | ---------- | ------------- | ------------------ | ----------------- | ----------------------- | ----------- |
 * | `refcount` | 0             | 0                  | 1                 | references              | references  |
 * | `mapcount` | 0             | 0                  | 0                 | PTEs mapping the page   |             |
 * | `private`  | order         | order (first tail) | inuse / objects   | fs data                 | swap entry  |
 * | `next`     | free-list link| head pfn           | partial-list link | LRU link                | LRU link    |
 * | `prev`     | free-list link|                    | partial-list link | LRU link                | LRU link    |
 * | `mapping`  |               |                    | cache id          | file id or anon_vma id  |             |
 * | `index`    |               |                    | freelist          | page offset (low 32 bits)|            |
 *
 * `flags` holds the PG_* bits in its low 24 bits and the page type in its
 * top byte, whatever the page is used for.
 *
 * A user page on the unevictable LRU (PG_lru and PG_unevictable: it is
 * mlocked) is on no chain: its `next` is -1 and its `prev` holds its
 * `mlock_count`, the number of VM_LOCKED mappings that hold it
 * (vm/page-mlock.ts), where Linux overlays `folio->mlock_count` on
 * `folio->lru.prev`.
 *
 * Unlike Linux's `_mapcount`, which is biased by -1, `mapcount` holds the
 * count itself, so zero-filled memory reads as "not mapped". List links
 * hold pfns and are meaningful only while the page is on the list the
 * page's state names; -1 ends a list.
 *
 * The array lives inside simulated RAM at a range reserved at boot, so a
 * `Worker` that attaches to the RAM sees the same struct pages
 * (`new MemMap(attachedMemory, offset, frames)`).
 */

import { showAddress } from './address.js';
import { KernelBug } from './errors.js';
import {
  PAGE_FLAGS_MASK,
  PAGE_TYPE_SHIFT,
  type PageFlagName,
  type PageTypeValue,
  PG,
} from './page-flags.js';
import type { PhysicalMemory } from './physical-memory.js';
import { describeValue } from './validate.js';

/** Bytes of struct page per frame. */
export const STRUCT_PAGE_SIZE = 32;
/** The number of 32-bit fields in a struct page. */
const FIELDS = 8;

/** The struct page array over a range of simulated RAM. */
export class MemMap {
  /** Number of struct pages (frames described). */
  readonly frames: number;
  /** Physical address of the first byte of the array in RAM. */
  readonly base: number;
  /** Bytes the array occupies in RAM (`frames * STRUCT_PAGE_SIZE`). */
  readonly bytes: number;
  /** PG_* bits and the page type. */
  readonly flags: Uint32Array;
  /** `_refcount`: references held on the page. */
  readonly refcount: Int32Array;
  /** PTEs that map the page (Linux's `_mapcount + 1`). */
  readonly mapcount: Int32Array;
  /** `private`: buddy order, swap entry, slab counters. */
  readonly private: Int32Array;
  /** Forward list link (a pfn, -1 for none). */
  readonly next: Int32Array;
  /** Backward list link (a pfn, -1 for none). */
  readonly prev: Int32Array;
  /** `mapping`: file, anon_vma or slab cache id. */
  readonly mapping: Int32Array;
  /** `index`: page offset in the mapping, or the slab freelist. */
  readonly index: Uint32Array;

  /**
   * Lays the array out over `frames * 32` bytes of `memory` starting at
   * physical address `base` (which must be 4-byte aligned and inside one
   * 4 GiB chunk of RAM). The range must be reserved by the caller.
   *
   * @example
   * ```ts
   * const ram = new PhysicalMemory(16 * 2 ** 20);
   * const memMap = new MemMap(ram, 0x100000, ram.frames);
   * memMap.setPageRefcount(42, 1); // set_page_refcounted, as an allocation does
   * memMap.getPage(42);
   * memMap.pageRefcount(42); // 2
   * ```
   */
  constructor(memory: PhysicalMemory, base: number, frames: number) {
    const bytes = frames * STRUCT_PAGE_SIZE;
    const chunkSize = 2 ** 32;
    const chunk = Math.floor(base / chunkSize);
    const offset = base - chunk * chunkSize;
    if (!Number.isInteger(frames) || frames <= 0) {
      throw new KernelBug(`MemMap: frame count ${frames} is not a positive integer`);
    }
    if (!Number.isInteger(base) || base < 0 || base % 4 !== 0 || base + bytes > memory.size) {
      throw new KernelBug(
        `MemMap: range ${showAddress(base)}+${bytes} is not a 4-byte aligned range of RAM`,
      );
    }
    if (offset + bytes > chunkSize) {
      throw new KernelBug(
        `MemMap: range ${showAddress(base)}+${bytes} straddles a 4 GiB chunk of RAM`,
      );
    }
    const buffer = memory.buffers[chunk] as SharedArrayBuffer;
    const field = (i: number) => offset + i * frames * 4;
    this.frames = frames;
    this.base = base;
    this.bytes = bytes;
    this.flags = new Uint32Array(buffer, field(0), frames);
    this.refcount = new Int32Array(buffer, field(1), frames);
    this.mapcount = new Int32Array(buffer, field(2), frames);
    this.private = new Int32Array(buffer, field(3), frames);
    this.next = new Int32Array(buffer, field(4), frames);
    this.prev = new Int32Array(buffer, field(5), frames);
    this.mapping = new Int32Array(buffer, field(6), frames);
    this.index = new Uint32Array(buffer, field(7), frames);
    if (FIELDS * 4 !== STRUCT_PAGE_SIZE) throw new KernelBug('MemMap: field layout mismatch');
  }

  /** Throws `KernelBug` unless `pfn` names a frame this array describes. */
  checkPfn(fn: string, pfn: number): void {
    if (!(Number.isInteger(pfn) && pfn >= 0 && pfn < this.frames)) {
      throw new KernelBug(
        `${fn}: pfn ${describeValue(pfn)} is outside mem_map (0..${this.frames - 1})`,
      );
    }
  }

  /** Resets a struct page to its zero state (`init_single_page` without zone bits). */
  initPage(pfn: number): void {
    this.flags[pfn] = 0;
    this.refcount[pfn] = 0;
    this.mapcount[pfn] = 0;
    this.private[pfn] = 0;
    this.next[pfn] = -1;
    this.prev[pfn] = -1;
    this.mapping[pfn] = 0;
    this.index[pfn] = 0;
  }

  // --- flags -------------------------------------------------------------

  /** Whether flag `bit` (a `PG` value) is set. */
  testFlag(pfn: number, bit: number): boolean {
    return ((this.flags[pfn] as number) & (1 << bit)) !== 0;
  }

  /** Sets flag `bit`. */
  setFlag(pfn: number, bit: number): void {
    this.flags[pfn] = (this.flags[pfn] as number) | (1 << bit);
  }

  /** Clears flag `bit`. */
  clearFlag(pfn: number, bit: number): void {
    this.flags[pfn] = (this.flags[pfn] as number) & ~(1 << bit);
  }

  /** Sets flag `bit` and returns whether it was set before. */
  testAndSetFlag(pfn: number, bit: number): boolean {
    const old = this.flags[pfn] as number;
    this.flags[pfn] = old | (1 << bit);
    return (old & (1 << bit)) !== 0;
  }

  /** Clears flag `bit` and returns whether it was set before. */
  testAndClearFlag(pfn: number, bit: number): boolean {
    const old = this.flags[pfn] as number;
    this.flags[pfn] = old & ~(1 << bit);
    return (old & (1 << bit)) !== 0;
  }

  /** The names of the PG_* flags set on a page, for diagnostics (`%pGp`). */
  flagNames(pfn: number): PageFlagName[] {
    const bits = (this.flags[pfn] as number) & PAGE_FLAGS_MASK;
    return (Object.keys(PG) as PageFlagName[]).filter((name) => (bits & (1 << PG[name])) !== 0);
  }

  // --- page type ----------------------------------------------------------

  /** The page type (a `PageType` value). */
  pageType(pfn: number): PageTypeValue {
    return ((this.flags[pfn] as number) >>> PAGE_TYPE_SHIFT) as PageTypeValue;
  }

  /** Sets the page type (`__SetPageBuddy` and friends). */
  setPageType(pfn: number, type: PageTypeValue): void {
    this.flags[pfn] = ((this.flags[pfn] as number) & PAGE_FLAGS_MASK) | (type << PAGE_TYPE_SHIFT);
  }

  // --- reference and map counts -----------------------------------------

  /** `page_ref_count`. */
  pageRefcount(pfn: number): number {
    return this.refcount[pfn] as number;
  }

  /** `set_page_count`. */
  setPageRefcount(pfn: number, count: number): void {
    this.refcount[pfn] = count;
  }

  /**
   * `get_page`: takes a further reference on a page in use.
   *
   * @throws KernelBug if the page has no references (a free page).
   */
  getPage(pfn: number): void {
    this.checkPfn('getPage', pfn);
    const count = this.refcount[pfn] as number;
    // VM_BUG_ON_FOLIO(folio_ref_zero_or_close_to_overflow): a free page
    // cannot gain a reference this way.
    if (count <= 0)
      throw new KernelBug(`getPage: pfn ${pfn} has refcount ${count}, it is not in use`);
    this.refcount[pfn] = count + 1;
  }

  /**
   * `put_page_testzero`: drops a reference and returns whether it was the
   * last one. The caller frees the page when it returns `true` (the page
   * allocator lives a layer above the struct page array).
   *
   * @throws KernelBug if the page has no reference to drop.
   */
  putPage(pfn: number): boolean {
    this.checkPfn('putPage', pfn);
    const count = this.refcount[pfn] as number;
    if (count <= 0)
      throw new KernelBug(`putPage: pfn ${pfn} has refcount ${count}, nothing to put`);
    this.refcount[pfn] = count - 1;
    return count === 1;
  }

  /** `page_mapcount`: the number of PTEs mapping the page. */
  pageMapcount(pfn: number): number {
    return this.mapcount[pfn] as number;
  }

  /** `page_mapped`. */
  pageMapped(pfn: number): boolean {
    return (this.mapcount[pfn] as number) > 0;
  }

  // --- named flag helpers, as include/linux/page-flags.h generates them ----

  /** `PageLocked`. */ PageLocked(pfn: number): boolean {
    return this.testFlag(pfn, PG.locked);
  }
  /** `SetPageLocked`. */ SetPageLocked(pfn: number): void {
    this.setFlag(pfn, PG.locked);
  }
  /** `ClearPageLocked`. */ ClearPageLocked(pfn: number): void {
    this.clearFlag(pfn, PG.locked);
  }
  /** `PageReferenced`. */ PageReferenced(pfn: number): boolean {
    return this.testFlag(pfn, PG.referenced);
  }
  /** `SetPageReferenced`. */ SetPageReferenced(pfn: number): void {
    this.setFlag(pfn, PG.referenced);
  }
  /** `ClearPageReferenced`. */ ClearPageReferenced(pfn: number): void {
    this.clearFlag(pfn, PG.referenced);
  }
  /** `TestClearPageReferenced`. */ TestClearPageReferenced(pfn: number): boolean {
    return this.testAndClearFlag(pfn, PG.referenced);
  }
  /** `PageUptodate`. */ PageUptodate(pfn: number): boolean {
    return this.testFlag(pfn, PG.uptodate);
  }
  /** `SetPageUptodate`. */ SetPageUptodate(pfn: number): void {
    this.setFlag(pfn, PG.uptodate);
  }
  /** `ClearPageUptodate`. */ ClearPageUptodate(pfn: number): void {
    this.clearFlag(pfn, PG.uptodate);
  }
  /** `PageDirty`. */ PageDirty(pfn: number): boolean {
    return this.testFlag(pfn, PG.dirty);
  }
  /** `SetPageDirty`. */ SetPageDirty(pfn: number): void {
    this.setFlag(pfn, PG.dirty);
  }
  /** `ClearPageDirty`. */ ClearPageDirty(pfn: number): void {
    this.clearFlag(pfn, PG.dirty);
  }
  /** `TestClearPageDirty`. */ TestClearPageDirty(pfn: number): boolean {
    return this.testAndClearFlag(pfn, PG.dirty);
  }
  /** `PageLRU`. */ PageLRU(pfn: number): boolean {
    return this.testFlag(pfn, PG.lru);
  }
  /** `SetPageLRU`. */ SetPageLRU(pfn: number): void {
    this.setFlag(pfn, PG.lru);
  }
  /** `ClearPageLRU`. */ ClearPageLRU(pfn: number): void {
    this.clearFlag(pfn, PG.lru);
  }
  /** `PageActive`. */ PageActive(pfn: number): boolean {
    return this.testFlag(pfn, PG.active);
  }
  /** `SetPageActive`. */ SetPageActive(pfn: number): void {
    this.setFlag(pfn, PG.active);
  }
  /** `ClearPageActive`. */ ClearPageActive(pfn: number): void {
    this.clearFlag(pfn, PG.active);
  }
  /** `PageSlab`. */ PageSlab(pfn: number): boolean {
    return this.testFlag(pfn, PG.slab);
  }
  /** `__SetPageSlab`. */ SetPageSlab(pfn: number): void {
    this.setFlag(pfn, PG.slab);
  }
  /** `__ClearPageSlab`. */ ClearPageSlab(pfn: number): void {
    this.clearFlag(pfn, PG.slab);
  }
  /** `PageReserved`. */ PageReserved(pfn: number): boolean {
    return this.testFlag(pfn, PG.reserved);
  }
  /** `SetPageReserved`. */ SetPageReserved(pfn: number): void {
    this.setFlag(pfn, PG.reserved);
  }
  /** `ClearPageReserved`. */ ClearPageReserved(pfn: number): void {
    this.clearFlag(pfn, PG.reserved);
  }
  /** `PagePrivate`. */ PagePrivate(pfn: number): boolean {
    return this.testFlag(pfn, PG.private);
  }
  /** `SetPagePrivate`. */ SetPagePrivate(pfn: number): void {
    this.setFlag(pfn, PG.private);
  }
  /** `ClearPagePrivate`. */ ClearPagePrivate(pfn: number): void {
    this.clearFlag(pfn, PG.private);
  }
  /** `PageWriteback`. */ PageWriteback(pfn: number): boolean {
    return this.testFlag(pfn, PG.writeback);
  }
  /** `SetPageWriteback`. */ SetPageWriteback(pfn: number): void {
    this.setFlag(pfn, PG.writeback);
  }
  /** `ClearPageWriteback`. */ ClearPageWriteback(pfn: number): void {
    this.clearFlag(pfn, PG.writeback);
  }
  /** `PageHead`. */ PageHead(pfn: number): boolean {
    return this.testFlag(pfn, PG.head);
  }
  /** `PageTail`. */ PageTail(pfn: number): boolean {
    return this.testFlag(pfn, PG.tail);
  }
  /** `PageCompound`: head or tail. */ PageCompound(pfn: number): boolean {
    return ((this.flags[pfn] as number) & ((1 << PG.head) | (1 << PG.tail))) !== 0;
  }
  /** `PageSwapBacked`. */ PageSwapBacked(pfn: number): boolean {
    return this.testFlag(pfn, PG.swapbacked);
  }
  /** `SetPageSwapBacked`. */ SetPageSwapBacked(pfn: number): void {
    this.setFlag(pfn, PG.swapbacked);
  }
  /** `ClearPageSwapBacked`. */ ClearPageSwapBacked(pfn: number): void {
    this.clearFlag(pfn, PG.swapbacked);
  }
  /** `PageUnevictable`. */ PageUnevictable(pfn: number): boolean {
    return this.testFlag(pfn, PG.unevictable);
  }
  /** `SetPageUnevictable`. */ SetPageUnevictable(pfn: number): void {
    this.setFlag(pfn, PG.unevictable);
  }
  /** `ClearPageUnevictable`. */ ClearPageUnevictable(pfn: number): void {
    this.clearFlag(pfn, PG.unevictable);
  }
  /** `PageSwapCache`. */ PageSwapCache(pfn: number): boolean {
    return this.testFlag(pfn, PG.swapcache);
  }
  /** `PageBuddy`: the head of a free buddy block. */ PageBuddy(pfn: number): boolean {
    return this.pageType(pfn) === 1;
  }
  /** `PageTable`: a page-table page. */ PageTable(pfn: number): boolean {
    return this.pageType(pfn) === 2;
  }

  // --- compound pages ----------------------------------------------------

  /**
   * `prep_compound_page`: makes `2 ** order` frames from `head` one
   * compound page: PG_head on the head, PG_tail and a link to the head on
   * each tail, the order recorded in the first tail (as `folio_order` reads it).
   *
   * @throws KernelBug for an order below 1 (there is no compound page of
   *   order 0: `folio_set_order` WARNs) or frames outside mem_map.
   */
  prepCompoundPage(head: number, order: number): void {
    if (!Number.isInteger(order) || order < 1) {
      throw new KernelBug(`prepCompoundPage: order ${order} is not an integer of at least 1`);
    }
    const count = 2 ** order;
    this.checkPfn('prepCompoundPage', head);
    this.checkPfn('prepCompoundPage', head + count - 1);
    this.setFlag(head, PG.head);
    for (let i = 1; i < count; i++) {
      this.setFlag(head + i, PG.tail);
      this.next[head + i] = head;
    }
    if (order > 0) this.private[head + 1] = order;
  }

  /** Undoes `prepCompoundPage` (the first part of `free_tail_page_prepare`). */
  clearCompoundPage(head: number, order: number): void {
    const count = 2 ** order;
    this.checkPfn('clearCompoundPage', head);
    this.checkPfn('clearCompoundPage', head + count - 1);
    this.clearFlag(head, PG.head);
    for (let i = 1; i < count; i++) {
      this.clearFlag(head + i, PG.tail);
      this.next[head + i] = -1;
      this.private[head + i] = 0;
    }
  }

  /** `compound_head`: the head pfn of the compound page `pfn` is part of (itself if none). */
  compoundHead(pfn: number): number {
    return this.testFlag(pfn, PG.tail) ? (this.next[pfn] as number) : pfn;
  }

  /** `compound_order`: 0 for a page that is not the head of a compound page. */
  compoundOrder(pfn: number): number {
    return this.testFlag(pfn, PG.head) && pfn + 1 < this.frames
      ? (this.private[pfn + 1] as number)
      : 0;
  }
}
