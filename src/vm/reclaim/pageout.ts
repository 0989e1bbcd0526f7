/**
 * Reclaiming one page that reclaim has chosen (the second half of
 * `shrink_folio_list` in mm/vmscan.c, with `try_to_unmap` of mm/rmap.c and
 * `pageout`): unmap it from every PTE through the reverse map, then free it
 * as its owner allows.
 *
 * - anonymous: the page enters the swap cache at a new slot, every PTE
 *   becomes the swap entry, the page is written (with `__GFP_IO` only) and
 *   freed; swap full: activated;
 * - lazily freed (MADV_FREE) anonymous: dropped (`pglazyfreed`), unless
 *   written since, which makes it swap-backed again;
 * - shmem: written to a slot its object then holds, and freed (with
 *   `__GFP_IO`);
 * - page cache: a dirty page is written back first (with `__GFP_FS` only;
 *   Linux leaves most of that to the flusher threads, which mmsim does not
 *   have), then taken out of the cache and freed.
 *
 * Before any of that, `isBusy` finds pages that someone holds beyond their
 * mappings and their cache (a fault in progress pins what it copies), and
 * `checkReferences` reads and clears the PTE accessed bits, noticing
 * VM_LOCKED mappings, whose pages `cullMlocked` makes unevictable (pages
 * are mlocked as they are mapped, so that is only ever a repair).
 *
 * The visitors are allocated once: a page costs no JS allocation.
 */
import { __GFP_FS, __GFP_IO } from '../../gfp/flags.js';
import { KernelError } from '../../page/errors.js';
import { PG } from '../../page/page-flags.js';
import type { AddressSpace } from '../address-space.js';
import { existingPageCache, type PageCache } from '../fs/page-cache.js';
import { pageRssKind } from '../page-kind.js';
import { PTE_ACCESSED, PTE_DIRTY, PTE_PRESENT, swapPte } from '../pte.js';
import type { VmSystem } from '../vm-system.js';
import { VM_EXEC, VM_LOCKED, type Vma } from '../vma.js';
import type { LruLists } from './lru.js';
import { pageOwner, type RmapVisitor, rmapWalk } from './rmap.js';
import type { SwapSystem } from './swap.js';
import type { ScanControl } from './vmscan.js';

/** What became of a page reclaim looked at. */
export enum Outcome {
  Reclaimed,
  Kept,
  Activated,
}

/** Scans PTEs mapping a page: counts and clears accessed bits (`folio_referenced_one`). */
export class ReferencedVisitor implements RmapVisitor {
  ptes = 0;
  exec = false;
  locked = false;
  constructor(private readonly vm: VmSystem) {}
  visit(mm: AddressSpace, vma: Vma, va: number, slot: number): boolean {
    if ((vma.flags & VM_LOCKED) !== 0) {
      this.locked = true;
      return true;
    }
    if ((vma.flags & VM_EXEC) !== 0) this.exec = true;
    const geo = this.vm.geo;
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    const flags = geo.format.flags(lo, hi) & ~PTE_PRESENT;
    if ((flags & PTE_ACCESSED) !== 0) {
      this.ptes++;
      // The TLB entry goes too, so that the next access walks and sets the bit again.
      mm.setPte(slot, va, geo.format.pfn(lo, hi), flags & ~PTE_ACCESSED);
    }
    return false;
  }
}

/** Counts the PTEs of VM_LOCKED VMAs mapping a page. */
class LockedCounter implements RmapVisitor {
  count = 0;
  visit(_mm: AddressSpace, vma: Vma): boolean {
    if ((vma.flags & VM_LOCKED) !== 0) this.count++;
    return false;
  }
}

/** Whether any PTE mapping a page is dirty. */
class DirtyVisitor implements RmapVisitor {
  dirty = false;
  constructor(private readonly vm: VmSystem) {}
  visit(_mm: AddressSpace, _vma: Vma, _va: number, slot: number): boolean {
    const geo = this.vm.geo;
    if ((geo.format.flags(geo.readLo(slot), geo.readHi(slot)) & PTE_DIRTY) !== 0) {
      this.dirty = true;
      return true;
    }
    return false;
  }
}

/**
 * `try_to_unmap_one`: removes one mapping of the page, noting whether its
 * PTE was dirty (`sawDirty`); with `swapSlot >= 0` the PTE becomes that
 * swap entry.
 */
class UnmapVisitor implements RmapVisitor {
  swapSlot = -1;
  sawDirty = false;
  constructor(
    private readonly vm: VmSystem,
    private readonly swap: SwapSystem | null,
  ) {}
  visit(mm: AddressSpace, vma: Vma, va: number, slot: number): boolean {
    const vm = this.vm;
    const geo = vm.geo;
    const m = vm.buddy.memMap;
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    const pfn = geo.format.pfn(lo, hi);
    const kind = pageRssKind(vm, vma, pfn);
    if ((geo.format.flags(lo, hi) & PTE_DIRTY) !== 0) this.sawDirty = true;
    if (this.swapSlot >= 0 && this.swap !== null) {
      const pte = swapPte(vm.arch, { type: this.swap.area.type, offset: this.swapSlot });
      this.swap.area.dup(this.swapSlot);
      geo.write(slot, pte.lo, pte.hi);
      vm.flushPage(mm, va);
      mm.counters.swap++;
    } else {
      mm.clearPte(slot, va);
    }
    mm.counters[kind]--;
    m.mapcount[pfn] = (m.mapcount[pfn] as number) - 1;
    vm.buddy.freePages(pfn, 0); // the mapping's reference; the page's owner still holds one
    return false;
  }
}

/** Frees pages reclaim has chosen. */
export class Pageout {
  private readonly referenced: ReferencedVisitor;
  private readonly dirtyCheck: DirtyVisitor;
  private readonly unmapper: UnmapVisitor;
  private readonly lockedCounter = new LockedCounter();
  private readonly pglazyfreedSlot: number;

  constructor(
    readonly vm: VmSystem,
    readonly lru: LruLists,
    /** The swap layer, or null without swap (anonymous pages cannot be reclaimed). */
    readonly swap: SwapSystem | null,
  ) {
    this.referenced = new ReferencedVisitor(vm);
    this.dirtyCheck = new DirtyVisitor(vm);
    this.unmapper = new UnmapVisitor(vm, swap);
    this.pglazyfreedSlot = vm.buddy.events.register('pglazyfreed');
  }

  /** `folio_referenced`: the page's PTE references, cleared as they are counted. */
  checkReferences(pfn: number): ReferencedVisitor {
    const r = this.referenced;
    r.ptes = 0;
    r.exec = false;
    r.locked = false;
    rmapWalk(this.vm, pfn, r);
    return r;
  }

  /**
   * A page mapped by a VM_LOCKED VMA goes to the unevictable list, mlocked
   * once for each locked mapping (`mlock_vma_folio` from
   * `folio_referenced_one`, then the putback). mmsim mlocks pages as they
   * are mapped, so reclaim meeting one is a repair, never the usual path.
   */
  cullMlocked(pfn: number): void {
    const c = this.lockedCounter;
    c.count = 0;
    rmapWalk(this.vm, pfn, c);
    this.vm.mlock.cull(pfn, c.count);
  }

  /** Whether someone holds the page beyond its mappings and its cache. */
  isBusy(pfn: number): boolean {
    const m = this.vm.buddy.memMap;
    const owner = pageOwner(this.vm, pfn);
    const cacheRef = owner === 'anon' ? (m.testFlag(pfn, PG.swapcache) ? 1 : 0) : 1;
    return (m.refcount[pfn] as number) !== (m.mapcount[pfn] as number) + cacheRef;
  }

  /**
   * Reclaims a page chosen for reclaim, by what owns it (the second half of
   * `shrink_folio_list`). A page that cannot go now stays on its list.
   */
  reclaim(pfn: number, sc: ScanControl): Outcome {
    const m = this.vm.buddy.memMap;
    switch (pageOwner(this.vm, pfn)) {
      case 'anon':
        return m.testFlag(pfn, PG.swapbacked)
          ? this.reclaimAnon(pfn, sc)
          : this.reclaimLazyFree(pfn);
      case 'shmem':
        return this.reclaimShmem(pfn, sc);
      default:
        return this.reclaimFile(pfn, sc);
    }
  }

  /**
   * Unmaps a page everywhere (`try_to_unmap`); true when no mapping is
   * left. A dirty PTE dirties a swap-backed page here; the page cache's
   * own accounting takes a file page's (`reclaimFile`).
   */
  private unmapAll(pfn: number, swapSlot: number): boolean {
    const u = this.unmapper;
    u.swapSlot = swapSlot;
    u.sawDirty = false;
    rmapWalk(this.vm, pfn, u);
    u.swapSlot = -1;
    const m = this.vm.buddy.memMap;
    if (u.sawDirty && m.testFlag(pfn, PG.swapbacked)) m.setFlag(pfn, PG.dirty);
    return (m.mapcount[pfn] as number) === 0;
  }

  private reclaimAnon(pfn: number, sc: ScanControl): Outcome {
    const swap = this.swap;
    const m = this.vm.buddy.memMap;
    if (swap === null) {
      this.lru.activate(pfn);
      return Outcome.Activated;
    }
    // Swap I/O needs __GFP_IO (may_enter_fs for swap-backed pages).
    if ((sc.gfp & __GFP_IO) === 0) {
      this.lru.rotate(pfn);
      return Outcome.Kept;
    }
    let slot = m.testFlag(pfn, PG.swapcache) ? (m.private[pfn] as number) : -1;
    if (slot < 0) {
      slot = swap.addToSwap(pfn);
      if (slot < 0) {
        this.lru.activate(pfn); // swap is full
        return Outcome.Activated;
      }
    }
    if (!this.unmapAll(pfn, slot)) {
      this.lru.rotate(pfn);
      return Outcome.Kept;
    }
    if (m.testFlag(pfn, PG.dirty)) swap.writePage(pfn, slot);
    swap.deleteFromSwapCache(pfn); // frees the page: the slot holds its data now
    return Outcome.Reclaimed;
  }

  /** A lazily freed (MADV_FREE) page: dropped if clean, swap-backed again if written since. */
  private reclaimLazyFree(pfn: number): Outcome {
    const m = this.vm.buddy.memMap;
    const d = this.dirtyCheck;
    d.dirty = false;
    rmapWalk(this.vm, pfn, d);
    if (d.dirty || m.testFlag(pfn, PG.dirty)) {
      this.lru.move(pfn, 1 << PG.swapbacked, 0);
      return Outcome.Kept;
    }
    const mapped = m.mapcount[pfn] as number;
    if (mapped === 0 || m.refcount[pfn] !== mapped) {
      this.lru.rotate(pfn);
      return Outcome.Kept;
    }
    this.unmapAll(pfn, -1); // the last mapping's reference frees the page
    this.vm.buddy.events.add(this.pglazyfreedSlot, 1);
    return Outcome.Reclaimed;
  }

  private reclaimShmem(pfn: number, sc: ScanControl): Outcome {
    const swap = this.swap;
    const vm = this.vm;
    const shared = vm.shmemObjects.get(vm.buddy.memMap.mapping[pfn] as number);
    if (swap === null || shared === undefined) {
      this.lru.activate(pfn);
      return Outcome.Activated;
    }
    if ((sc.gfp & __GFP_IO) === 0 || swap.freeSlots === 0) {
      this.lru.rotate(pfn);
      return Outcome.Kept;
    }
    if (!this.unmapAll(pfn, -1)) {
      this.lru.rotate(pfn);
      return Outcome.Kept;
    }
    const index = vm.buddy.memMap.index[pfn] as number;
    if (!swap.shmemSwapOut(shared, index, pfn)) {
      this.lru.activate(pfn);
      return Outcome.Activated;
    }
    return Outcome.Reclaimed;
  }

  private reclaimFile(pfn: number, sc: ScanControl): Outcome {
    const vm = this.vm;
    const m = vm.buddy.memMap;
    const cache: PageCache | null = vm.vfs === null ? null : existingPageCache(vm.vfs);
    const ino = m.mapping[pfn] as number;
    const index = m.index[pfn] as number;
    const inode = cache?.inodeOf(ino);
    if (cache === null || inode === undefined || cache.lookup(inode, index) !== pfn) {
      this.lru.rotate(pfn);
      return Outcome.Kept;
    }
    const unmapped = this.unmapAll(pfn, -1);
    if (this.unmapper.sawDirty) cache.markDirty(inode, index); // the PTE's dirty bit moves to the page
    if (!unmapped) {
      this.lru.rotate(pfn);
      return Outcome.Kept;
    }
    if (m.testFlag(pfn, PG.dirty)) {
      // pageout: writeback needs __GFP_FS; a full disk leaves the page dirty.
      if ((sc.gfp & __GFP_FS) === 0) {
        this.lru.rotate(pfn);
        return Outcome.Kept;
      }
      try {
        cache.writebackPage(inode, index);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        this.lru.rotate(pfn);
        return Outcome.Kept;
      }
    }
    cache.evict(inode, index);
    return Outcome.Reclaimed;
  }
}
