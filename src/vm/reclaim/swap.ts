/**
 * The swap layer as faults, fork, teardown and reclaim use it
 * (mm/swap_state.c, mm/swapfile.c, `do_swap_page` in mm/memory.c), over
 * one {@link SwapArea}.
 *
 * Reference rules, as in Linux:
 * - each PTE that holds a swap entry, and each shmem object offset that
 *   holds one, is one count on the slot (`swap_map`);
 * - a page in the swap cache (PG_swapcache, `private` = its slot) holds one
 *   reference on the page and keeps the slot allocated;
 * - a slot is free when no count and no cached page remain.
 *
 * Swap-out of an anonymous page (driven by vmscan.ts): the page enters the
 * swap cache at a new slot (`add_to_swap`, which marks it dirty), every PTE
 * becomes the swap entry (`try_to_unmap`), the page is written
 * (`swap_writepage`, counted in `pswpout`), and leaves the cache, which
 * frees it. Pages shared after fork are unmapped from every address space
 * and written once; the slot's count is the number of PTEs.
 *
 * Swap-in (`do_swap_page`): a page still in the swap cache is mapped again
 * with no I/O; otherwise a new frame is read (`pswpin`, `pgmajfault`) and
 * added to the swap cache, so that the other PTEs holding the entry find
 * it. The last PTE to swap in frees the slot (`folio_free_swap`) and the
 * page, whose only copy is now in RAM, becomes dirty.
 *
 * Shmem pages are written to a slot that their object holds instead of a
 * PTE (`shmem_writeout`), and read back on the next fault at that offset.
 */
import { GFP_HIGHUSER_MOVABLE } from '../../gfp/flags.js';
import { formatAddress } from '../../page/address.js';
import { SegmentationFault } from '../../page/errors.js';
import { PG } from '../../page/page-flags.js';
import type { AddressSpace } from '../address-space.js';
import { pteFlagsFor } from '../fault.js';
import type { SwapEntry } from '../pte.js';
import type { SwapArea } from '../swap/swap-area.js';
import type { SwapHooks, VmSystem } from '../vm-system.js';
import { type SharedAnon, VM_LOCKED, VM_WRITE, type Vma } from '../vma.js';
import type { LruLists } from './lru.js';

/** The swap layer of a machine with a swap area. */
export class SwapSystem implements SwapHooks {
  private readonly pswpin: number;
  private readonly pswpout: number;
  private readonly pgmajfault: number;

  constructor(
    readonly vm: VmSystem,
    /** The one swap area (`swapon`ed at boot). */
    readonly area: SwapArea,
    readonly lru: LruLists,
  ) {
    const events = vm.buddy.events;
    this.pswpin = events.register('pswpin');
    this.pswpout = events.register('pswpout');
    this.pgmajfault = events.register('pgmajfault');
  }

  /** Usable slots of the area (`total_swap_pages`). */
  get totalSlots(): number {
    return this.area.total;
  }

  /** Slots that can still be allocated (`get_nr_swap_pages`). */
  get freeSlots(): number {
    return this.area.free;
  }

  /** Pages in the swap cache (`total_swapcache_pages`; `SwapCached`). */
  get cachedPages(): number {
    return this.area.cached;
  }

  // --- SwapHooks ---------------------------------------------------------------

  /** `do_swap_page`: maps the page of `entry` at `va` again; 0, or the signal to deliver. */
  swapIn(
    mm: AddressSpace,
    vma: Vma,
    va: number,
    slot: number,
    entry: SwapEntry,
    write: boolean,
  ): 0 | SegmentationFault {
    const area = this.area;
    const off = entry.offset;
    if (entry.type !== area.type || off < 1 || off > area.total || area.count(off) === 0) {
      return new SegmentationFault(
        'SIGBUS',
        'BUS_ADRERR',
        va,
        `bad swap entry at ${formatAddress(va)}`,
      );
    }
    const vm = this.vm;
    const m = vm.buddy.memMap;
    let pfn = area.cacheLookup(off);
    if (pfn < 0) {
      const fresh = vm.buddy.allocPages(GFP_HIGHUSER_MOVABLE, 0);
      // Reclaim during the allocation leaves this PTE (not present) and the
      // slot (this PTE holds a count on it) alone.
      if (fresh === null) return vm.outOfMemory(mm, va);
      pfn = fresh;
      this.readIntoCache(mm, vma, va, off, pfn);
      vm.buddy.events.add(this.pgmajfault, 1);
    }
    m.getPage(pfn);
    m.mapcount[pfn] = (m.mapcount[pfn] as number) + 1;
    mm.counters.anon++;
    mm.counters.swap--;
    mm.updateHiwater();
    if ((vma.flags & VM_LOCKED) !== 0) vm.mlockPage(pfn);
    // The last user of the slot: the page's only copy is in RAM now.
    if (area.put(off) === 0) this.deleteFromSwapCache(pfn);
    // do_swap_page makes the page writable on a write fault only when this PTE
    // is its one user; a page another process mapped from the swap cache
    // stays read-only here, and the write that follows copies it.
    const exclusive = m.mapcount[pfn] === 1 && m.refcount[pfn] === 1;
    const writable = write && exclusive && (vma.flags & VM_WRITE) !== 0;
    mm.setPte(slot, va, pfn, pteFlagsFor(vma, writable));
    return 0;
  }

  /** Whether the page of `entry` is in the swap cache (`swap_cache_get_folio`, for mincore). */
  inSwapCache(entry: SwapEntry): boolean {
    const area = this.area;
    const off = entry.offset;
    if (entry.type !== area.type || off < 1 || off > area.total) return false;
    return area.cacheLookup(off) >= 0;
  }

  /** Whether swapped-out offset `index` of `shared` is in the swap cache (mincore of shmem). */
  shmemInSwapCache(shared: SharedAnon, index: number): boolean {
    const slot = shared.swapped.get(index);
    return slot !== undefined && this.inSwapCache({ type: this.area.type, offset: slot });
  }

  /** `swapin_readahead` (MADV_WILLNEED): the page of `entry` into the swap cache, unmapped. */
  readahead(mm: AddressSpace, vma: Vma, va: number, entry: SwapEntry): boolean {
    const area = this.area;
    const off = entry.offset;
    if (entry.type !== area.type || off < 1 || off > area.total || area.count(off) === 0)
      return false;
    if (area.cacheLookup(off) >= 0) return true;
    const vm = this.vm;
    const pfn = vm.buddy.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    if (pfn === null) return false;
    this.readIntoCache(mm, vma, va, off, pfn);
    return true;
  }

  /** `swap_read_folio` into a new page that joins the swap cache (its reference is the cache's). */
  private readIntoCache(mm: AddressSpace, vma: Vma, va: number, off: number, pfn: number): void {
    const vm = this.vm;
    const m = vm.buddy.memMap;
    this.area.readPage(off, vm.memory, pfn);
    vm.buddy.events.add(this.pswpin, 1);
    this.area.cacheAdd(off, pfn);
    m.setFlag(pfn, PG.swapbacked);
    m.setFlag(pfn, PG.anon);
    m.setFlag(pfn, PG.uptodate);
    m.setFlag(pfn, PG.swapcache);
    m.private[pfn] = off;
    m.mapping[pfn] = mm.anonVma.id;
    m.index[pfn] = (vma.pgoff + (va - vma.start) / vm.arch.pageSize) >>> 0;
    this.lru.add(pfn);
  }

  /** `swap_duplicate`: fork copied a PTE holding `entry`. */
  duplicate(entry: SwapEntry): void {
    this.area.dup(entry.offset);
  }

  /** `free_swap_and_cache`: a PTE holding `entry` was cleared. */
  free(entry: SwapEntry): void {
    const off = entry.offset;
    if (this.area.put(off) === 0) {
      const pfn = this.area.cacheLookup(off);
      if (pfn >= 0) this.deleteFromSwapCache(pfn);
    }
  }

  /** `shmem_swapin_folio`: reads offset `index` of `shared` back; its frame, or -1 when memory is out. */
  shmemSwapIn(shared: SharedAnon, index: number): number {
    const slot = shared.swapped.get(index);
    if (slot === undefined) return -1;
    const vm = this.vm;
    const pfn = vm.buddy.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    if (pfn === null) return -1;
    this.area.readPage(slot, vm.memory, pfn);
    vm.buddy.events.add(this.pswpin, 1);
    vm.buddy.events.add(this.pgmajfault, 1);
    shared.swapped.delete(index);
    this.area.put(slot);
    // The allocation's reference is the object's; the page differs from every copy on disk.
    const m = vm.buddy.memMap;
    m.setFlag(pfn, PG.swapbacked);
    m.setFlag(pfn, PG.uptodate);
    m.setFlag(pfn, PG.dirty);
    m.mapping[pfn] = shared.id;
    m.index[pfn] = index;
    shared.pages.set(index, pfn);
    this.lru.add(pfn);
    return pfn;
  }

  /** A shmem object dropped offset `index`, which was swapped out (`shmem_free_swap`). */
  shmemFree(shared: SharedAnon, index: number): void {
    const slot = shared.swapped.get(index);
    if (slot === undefined) return;
    shared.swapped.delete(index);
    this.area.put(slot);
  }

  // --- for reclaim --------------------------------------------------------------

  /**
   * `add_to_swap`: gives an anonymous page a slot and puts it in the swap
   * cache (one more reference, PG_swapcache, PG_dirty). Returns the slot,
   * or -1 when swap is full.
   */
  addToSwap(pfn: number): number {
    const slot = this.area.allocSlot(pfn);
    if (slot < 0) return -1;
    const m = this.vm.buddy.memMap;
    m.getPage(pfn);
    m.setFlag(pfn, PG.swapcache);
    m.setFlag(pfn, PG.dirty);
    m.private[pfn] = slot;
    return slot;
  }

  /**
   * `delete_from_swap_cache` (with `folio_free_swap`'s dirtying): the page
   * leaves the swap cache and drops the cache's reference, which frees it
   * if nothing else holds it.
   */
  deleteFromSwapCache(pfn: number): void {
    const m = this.vm.buddy.memMap;
    const slot = m.private[pfn] as number;
    this.area.cacheDelete(slot);
    m.clearFlag(pfn, PG.swapcache);
    m.private[pfn] = 0;
    if ((m.mapcount[pfn] as number) > 0) m.setFlag(pfn, PG.dirty);
    this.vm.buddy.freePages(pfn, 0);
  }

  /** `swap_writepage`: writes the page to its slot and cleans it. */
  writePage(pfn: number, slot: number): void {
    this.area.writePage(slot, this.vm.memory, pfn);
    this.vm.buddy.memMap.clearFlag(pfn, PG.dirty);
    this.vm.buddy.events.add(this.pswpout, 1);
  }

  /**
   * `shmem_writeout`: writes an unmapped shmem page to a new slot that its
   * object then holds, and frees the page. Returns false (changing nothing)
   * when swap is full.
   */
  shmemSwapOut(shared: SharedAnon, index: number, pfn: number): boolean {
    const area = this.area;
    const slot = area.allocSlot(pfn);
    if (slot < 0) return false;
    area.writePage(slot, this.vm.memory, pfn);
    this.vm.buddy.events.add(this.pswpout, 1);
    area.dup(slot); // the object's count
    area.cacheDelete(slot);
    shared.pages.delete(index);
    shared.swapped.set(index, slot);
    this.vm.buddy.memMap.clearFlag(pfn, PG.dirty);
    this.vm.buddy.freePages(pfn, 0); // the object's reference
    return true;
  }
}
