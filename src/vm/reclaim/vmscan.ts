/**
 * Page reclaim (mm/vmscan.c, Linux 6.x without the multi-generational LRU):
 * scanning the LRU lists from their tails and freeing what can be freed.
 *
 * `shrinkNode` is one pass at a priority: `getScanCount` decides how many
 * pages of each list to look at (`size >> priority`, split between anon and
 * file in the ratio swappiness 60 gives when both cost the same, file only
 * without swap), then the inactive lists are shrunk in batches of
 * SWAP_CLUSTER_MAX and the active lists refill them when the inactive list
 * is low (`inactive_is_low`).
 *
 * - `shrinkActiveList` (`shrink_active_list`): pages leave the active tail
 *   for the inactive head, their PTE accessed bits cleared, except
 *   referenced executable file pages, which stay active.
 * - `shrinkInactiveList` + `shrinkFolio` (`shrink_folio_list`): a page that
 *   holds references beyond its mappings and its cache is busy and is left;
 *   one mapped by a VM_LOCKED VMA goes to the unevictable list;
 *   `folio_check_references` decides between activate, keep (rotated to
 *   the head with PG_referenced) and reclaim. Reclaiming unmaps the page
 *   from every PTE (rmap.ts) and then:
 *   - anonymous: enters the swap cache, PTEs become swap entries, the page
 *     is written (with `__GFP_IO` only) and freed; swap full: activated;
 *   - lazily freed (MADV_FREE) anonymous: dropped, unless written since,
 *     which makes it swap-backed again;
 *   - shmem: written to swap and freed (with `__GFP_IO`);
 *   - page cache: a dirty page is written back first (with `__GFP_FS`
 *     only; Linux leaves most of that to the flusher threads, which mmsim
 *     does not have), then freed.
 *
 * Counters: `pgscan_*`/`pgsteal_*` (kswapd or direct, anon or file),
 * `pgrefill`, `pgactivate`, `pgdeactivate`, `pglazyfreed`. Zones above
 * the request's highest zone are skipped (`isolate_lru_folios`).
 *
 * What-if: with a replacement policy chosen at boot (`reclaimPolicy`:
 * FIFO, LRU or CLOCK from policy/), the policy picks the victims instead of
 * the active/inactive lists, which are still kept for /proc. It learns of
 * use as hardware allows, through reference bits (PTE accessed bits and
 * PG_referenced, tested and cleared by `referenced`); LRU, which needs to
 * see every access, is approximated by moving a victim found referenced to
 * the most recently used end. The chosen page is then reclaimed as above,
 * and goes back to the policy if it cannot be.
 */
import { __GFP_FS, __GFP_IO, GFP_KERNEL, type Gfp } from '../../gfp/flags.js';
import { KernelError } from '../../page/errors.js';
import { PG } from '../../page/page-flags.js';
import type { AddressSpace } from '../address-space.js';
import { existingPageCache, type PageCache } from '../fs/page-cache.js';
import { pageRssKind } from '../page-kind.js';
import { PTE_ACCESSED, PTE_DIRTY, PTE_PRESENT, swapPte } from '../pte.js';
import type { VmSystem } from '../vm-system.js';
import { VM_EXEC, VM_LOCKED, type Vma } from '../vma.js';
import {
  LRU_ACTIVE_ANON,
  LRU_ACTIVE_FILE,
  LRU_INACTIVE_ANON,
  LRU_INACTIVE_FILE,
  LRU_UNEVICTABLE,
  type LruLists,
} from './lru.js';
import type { ReplacementPolicy } from './policy/policy.js';
import { pageOwner, type RmapVisitor, rmapWalk } from './rmap.js';
import type { SwapSystem } from './swap.js';

/** `DEF_PRIORITY`: the first pass scans `size >> 12` of each list. */
export const DEF_PRIORITY = 12;
/** `SWAP_CLUSTER_MAX`: pages reclaimed per batch. */
export const SWAP_CLUSTER_MAX = 32;
/** `vm.swappiness`'s default. */
export const SWAPPINESS = 60;

/** `struct scan_control`: one reclaim invocation. */
export interface ScanControl {
  /** Pages wanted. */
  nrToReclaim: number;
  nrReclaimed: number;
  nrScanned: number;
  /** The allocation's gfp mask: `__GFP_IO` allows swap writes, `__GFP_FS` file writeback. */
  readonly gfp: Gfp;
  /** Highest zone whose pages help (`reclaim_idx`). */
  readonly reclaimIdx: number;
  priority: number;
  /** Background (kswapd) rather than direct reclaim, for the counters. */
  readonly kswapd: boolean;
}

/** What `shrinkFolio` did with a page. */
enum Outcome {
  Reclaimed,
  Kept,
  Activated,
}

/** Scans PTEs mapping a page: counts and clears accessed bits (`folio_referenced_one`). */
class ReferencedVisitor implements RmapVisitor {
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
 * `try_to_unmap_one`: removes one mapping of the page, moving a dirty bit
 * to the page; with `slot >= 0` the PTE becomes that swap entry.
 */
class UnmapVisitor implements RmapVisitor {
  swapSlot = -1;
  swap: SwapSystem | null = null;
  constructor(private readonly vm: VmSystem) {}
  visit(mm: AddressSpace, vma: Vma, va: number, slot: number): boolean {
    const vm = this.vm;
    const geo = vm.geo;
    const m = vm.buddy.memMap;
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    const pfn = geo.format.pfn(lo, hi);
    const kind = pageRssKind(vm, vma, pfn);
    if ((geo.format.flags(lo, hi) & PTE_DIRTY) !== 0) m.setFlag(pfn, PG.dirty);
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

/** Reclaim over the LRU lists of one machine. */
export class Vmscan {
  private readonly referenced: ReferencedVisitor;
  private readonly dirtyCheck: DirtyVisitor;
  private readonly unmapper: UnmapVisitor;
  private readonly slots: Record<string, number>;
  /** Tests and clears a page's reference bits, for a policy's `evict`. */
  private readonly referencedFn: (pfn: number) => boolean;

  constructor(
    readonly vm: VmSystem,
    readonly lru: LruLists,
    /** The swap layer, or null without swap (anonymous pages cannot be reclaimed). */
    readonly swap: SwapSystem | null,
    /** A replacement policy that chooses victims instead of the kernel's lists (what-if), or null. */
    readonly policy: ReplacementPolicy | null = null,
  ) {
    this.referencedFn = (pfn) => {
      const young = this.checkReferences(pfn).ptes > 0;
      return vm.buddy.memMap.testAndClearFlag(pfn, PG.referenced) || young;
    };
    if (policy !== null) {
      lru.observer = {
        added: (pfn) => {
          if (!policy.has(pfn)) policy.insert(pfn);
        },
        removed: (pfn) => {
          if (policy.has(pfn)) policy.remove(pfn);
        },
      };
    }
    this.referenced = new ReferencedVisitor(vm);
    this.dirtyCheck = new DirtyVisitor(vm);
    this.unmapper = new UnmapVisitor(vm);
    this.unmapper.swap = swap;
    const events = vm.buddy.events;
    const names = [
      'pgscan_kswapd',
      'pgscan_direct',
      'pgsteal_kswapd',
      'pgsteal_direct',
      'pgscan_anon',
      'pgscan_file',
      'pgsteal_anon',
      'pgsteal_file',
      'pgrefill',
      'pgactivate',
      'pgdeactivate',
      'pglazyfreed',
    ];
    this.slots = Object.fromEntries(names.map((n) => [n, events.register(n)]));
  }

  /** Whether anonymous pages can be reclaimed now (`can_reclaim_anon_pages`). */
  canReclaimAnon(): boolean {
    return this.swap !== null && this.swap.freeSlots > 0;
  }

  /**
   * `shrink_node` at `sc.priority`: scans the LRU lists and adds what it
   * freed to `sc.nrReclaimed`.
   */
  shrinkNode(sc: ScanControl): void {
    if (this.policy !== null) {
      this.shrinkByPolicy(sc, this.policy);
      return;
    }
    const nr = this.getScanCount(sc);
    while (
      (nr[LRU_INACTIVE_ANON] as number) > 0 ||
      (nr[LRU_ACTIVE_FILE] as number) > 0 ||
      (nr[LRU_INACTIVE_FILE] as number) > 0
    ) {
      for (let l = LRU_INACTIVE_ANON; l <= LRU_ACTIVE_FILE; l++) {
        const want = nr[l] as number;
        if (want === 0) continue;
        const batch = Math.min(want, SWAP_CLUSTER_MAX);
        nr[l] = want - batch;
        this.shrinkList(l, batch, sc);
      }
      if (sc.nrReclaimed >= sc.nrToReclaim) break;
    }
    // Age the anonymous lists even when none were evicted, to keep their balance.
    if (this.canReclaimAnon() && this.inactiveIsLow(LRU_INACTIVE_ANON)) {
      this.shrinkActiveList(SWAP_CLUSTER_MAX, LRU_ACTIVE_ANON, sc);
    }
  }

  /**
   * `get_scan_count`: pages of each evictable list to scan at this
   * priority. Without swap (or with it full) only the file lists; with
   * little page cache left only the anonymous lists; otherwise both, in
   * the ratio `swappiness : 200 - swappiness` that Linux uses when anon and
   * file cost the same to reclaim (mmsim does not track refault costs).
   */
  private getScanCount(sc: ScanControl): number[] {
    const size = this.lru.size;
    const nr = [0, 0, 0, 0];
    const canAnon = this.canReclaimAnon();
    const fileSize = this.lru.filePages;
    let anonShare = 0;
    let fileShare = 1;
    if (canAnon) {
      if (fileSize === 0) {
        anonShare = 1;
        fileShare = 0;
      } else {
        anonShare = SWAPPINESS / 200;
        fileShare = (200 - SWAPPINESS) / 200;
      }
    }
    for (let l = LRU_INACTIVE_ANON; l <= LRU_ACTIVE_FILE; l++) {
      const share = l <= LRU_ACTIVE_ANON ? anonShare : fileShare;
      let scan = (size[l] as number) >> sc.priority;
      // At priority 0 a small list is scanned whole, not rounded away.
      if (scan === 0 && sc.priority === 0) scan = size[l] as number;
      // div64_u64(scan * fraction, denominator): rounded down, as for an online memory cgroup.
      nr[l] = share === 1 ? scan : Math.floor(scan * share);
    }
    return nr;
  }

  /** `shrink_list`. */
  private shrinkList(l: number, nr: number, sc: ScanControl): void {
    if (l === LRU_ACTIVE_ANON || l === LRU_ACTIVE_FILE) {
      if (this.inactiveIsLow(l - 1)) this.shrinkActiveList(nr, l, sc);
      return;
    }
    this.shrinkInactiveList(nr, l, sc);
  }

  /** `inactive_is_low`: the inactive list is shorter than the active one divided by the ratio. */
  inactiveIsLow(inactiveLru: number): boolean {
    const inactive = this.lru.size[inactiveLru] as number;
    const active = this.lru.size[inactiveLru + 1] as number;
    const gb = Math.floor(((inactive + active) * this.vm.arch.pageSize) / 2 ** 30);
    const ratio = gb > 0 ? Math.floor(Math.sqrt(10 * gb)) : 1;
    return inactive * ratio < active;
  }

  /** `shrink_active_list`: `nr` pages from the active tail to the inactive list. */
  private shrinkActiveList(nr: number, l: number, sc: ScanControl): void {
    const lru = this.lru;
    const events = this.vm.buddy.events;
    for (let i = 0; i < nr; i++) {
      const pfn = lru.tail[l] as number;
      if (pfn === -1) break;
      if (this.vm.buddy.zoneOf(pfn).index > sc.reclaimIdx) {
        lru.rotate(pfn);
        continue;
      }
      events.add(this.slots.pgrefill as number, 1);
      const r = this.checkReferences(pfn);
      if (r.locked) {
        this.cullMlocked(pfn);
        continue;
      }
      if (r.ptes > 0 && r.exec && l === LRU_ACTIVE_FILE) {
        lru.rotate(pfn); // executable file pages get another trip around the active list
        continue;
      }
      lru.deactivate(pfn);
      events.add(this.slots.pgdeactivate as number, 1);
    }
  }

  /** `shrink_inactive_list`: `nr` pages from the inactive tail through `shrinkFolio`. */
  private shrinkInactiveList(nr: number, l: number, sc: ScanControl): void {
    const lru = this.lru;
    const events = this.vm.buddy.events;
    const anon = l === LRU_INACTIVE_ANON;
    for (let i = 0; i < nr; i++) {
      const pfn = lru.tail[l] as number;
      if (pfn === -1) break;
      if (this.vm.buddy.zoneOf(pfn).index > sc.reclaimIdx) {
        lru.rotate(pfn);
        continue;
      }
      sc.nrScanned++;
      events.add(this.slots[sc.kswapd ? 'pgscan_kswapd' : 'pgscan_direct'] as number, 1);
      events.add(this.slots[anon ? 'pgscan_anon' : 'pgscan_file'] as number, 1);
      const outcome = this.shrinkFolio(pfn, sc);
      if (outcome === Outcome.Reclaimed) {
        sc.nrReclaimed++;
        events.add(this.slots[sc.kswapd ? 'pgsteal_kswapd' : 'pgsteal_direct'] as number, 1);
        events.add(this.slots[anon ? 'pgsteal_anon' : 'pgsteal_file'] as number, 1);
      } else if (outcome === Outcome.Activated) {
        events.add(this.slots.pgactivate as number, 1);
      }
    }
  }

  /** `folio_referenced`: the page's PTE references, cleared as they are counted. */
  private checkReferences(pfn: number): ReferencedVisitor {
    const r = this.referenced;
    r.ptes = 0;
    r.exec = false;
    r.locked = false;
    rmapWalk(this.vm, pfn, r);
    return r;
  }

  /** A page mapped by a VM_LOCKED VMA goes to the unevictable list (`mlock_folio`). */
  private cullMlocked(pfn: number): void {
    this.lru.move(pfn, (1 << PG.unevictable) | (1 << PG.mlocked), 1 << PG.active);
  }

  /**
   * `shrink_folio_list` for one page on an inactive list: activate, keep or
   * reclaim it. A kept page moves to the head of its list.
   */
  shrinkFolio(pfn: number, sc: ScanControl): Outcome {
    const m = this.vm.buddy.memMap;
    const lru = this.lru;
    if (this.isBusy(pfn)) {
      lru.rotate(pfn); // busy: someone holds it beyond its mappings
      return Outcome.Kept;
    }
    const r = this.checkReferences(pfn);
    if (r.locked) {
      this.cullMlocked(pfn);
      return Outcome.Kept;
    }
    const referencedFolio = m.testAndClearFlag(pfn, PG.referenced);
    if (r.ptes > 0) {
      // folio_check_references: a mapped page must be seen referenced twice to be activated.
      m.setFlag(pfn, PG.referenced);
      const fileLru = !m.testFlag(pfn, PG.swapbacked);
      if (referencedFolio || r.ptes > 1 || (r.exec && fileLru)) {
        lru.activate(pfn);
        return Outcome.Activated;
      }
      lru.rotate(pfn);
      return Outcome.Kept;
    }
    return this.reclaimFolio(pfn, sc);
  }

  /**
   * The what-if path: as many victims as `getScanCount` would scan, chosen
   * by the policy. Pages reclaim may not take now (another zone, anonymous
   * without swap) go back to the policy unscanned.
   */
  private shrinkByPolicy(sc: ScanControl, policy: ReplacementPolicy): void {
    const nr = this.getScanCount(sc);
    let budget = (nr[0] as number) + (nr[1] as number) + (nr[2] as number) + (nr[3] as number);
    const m = this.vm.buddy.memMap;
    const events = this.vm.buddy.events;
    const canAnon = this.canReclaimAnon();
    for (let tries = policy.size; tries > 0 && budget > 0; tries--) {
      if (sc.nrReclaimed >= sc.nrToReclaim) break;
      const pfn = policy.evict(this.referencedFn);
      if (pfn < 0) break;
      // LRU sees no accesses in a real machine: a referenced victim becomes the most recent.
      if (policy.needsEveryAccess && this.referencedFn(pfn)) {
        policy.insert(pfn);
        continue;
      }
      const anon = m.testFlag(pfn, PG.swapbacked);
      if (this.vm.buddy.zoneOf(pfn).index > sc.reclaimIdx || (anon && !canAnon)) {
        policy.insert(pfn);
        continue;
      }
      budget--;
      sc.nrScanned++;
      events.add(this.slots[sc.kswapd ? 'pgscan_kswapd' : 'pgscan_direct'] as number, 1);
      events.add(this.slots[anon ? 'pgscan_anon' : 'pgscan_file'] as number, 1);
      const busy = this.isBusy(pfn);
      const locked = !busy && this.checkReferences(pfn).locked;
      if (locked) this.cullMlocked(pfn);
      const outcome = busy || locked ? Outcome.Kept : this.reclaimFolio(pfn, sc);
      if (outcome === Outcome.Reclaimed) {
        sc.nrReclaimed++;
        events.add(this.slots[sc.kswapd ? 'pgsteal_kswapd' : 'pgsteal_direct'] as number, 1);
        events.add(this.slots[anon ? 'pgsteal_anon' : 'pgsteal_file'] as number, 1);
      } else if (
        this.lru.onLru(pfn) &&
        this.lru.lruOf(pfn) !== LRU_UNEVICTABLE &&
        !policy.has(pfn)
      ) {
        policy.insert(pfn);
      }
    }
  }

  /**
   * `reclaim_pages`: reclaims each page that is still on an evictable list,
   * ignoring its references (`shrink_folio_list` with `ignore_references`).
   * Returns how many were freed.
   */
  reclaimPages(pfns: readonly number[]): number {
    const m = this.vm.buddy.memMap;
    const sc: ScanControl = {
      nrToReclaim: pfns.length,
      nrReclaimed: 0,
      nrScanned: 0,
      gfp: GFP_KERNEL,
      reclaimIdx: this.vm.buddy.zones.length - 1,
      priority: DEF_PRIORITY,
      kswapd: false,
    };
    const canAnon = this.canReclaimAnon();
    for (const pfn of pfns) {
      if (!this.lru.onLru(pfn) || m.testFlag(pfn, PG.unevictable) || this.isBusy(pfn)) continue;
      if (m.testFlag(pfn, PG.swapbacked) && !canAnon) continue;
      if (this.checkReferences(pfn).locked) {
        this.cullMlocked(pfn);
        continue;
      }
      if (this.reclaimFolio(pfn, sc) === Outcome.Reclaimed) sc.nrReclaimed++;
    }
    return sc.nrReclaimed;
  }

  /** Whether someone holds the page beyond its mappings and its cache. */
  private isBusy(pfn: number): boolean {
    const m = this.vm.buddy.memMap;
    const owner = pageOwner(this.vm, pfn);
    const cacheRef = owner === 'anon' ? (m.testFlag(pfn, PG.swapcache) ? 1 : 0) : 1;
    return (m.refcount[pfn] as number) !== (m.mapcount[pfn] as number) + cacheRef;
  }

  /** Reclaims a page chosen for reclaim, by what owns it. */
  private reclaimFolio(pfn: number, sc: ScanControl): Outcome {
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

  /** Unmaps a page everywhere (`try_to_unmap`); true when no mapping is left. */
  private unmapAll(pfn: number, swapSlot: number): boolean {
    const u = this.unmapper;
    u.swapSlot = swapSlot;
    rmapWalk(this.vm, pfn, u);
    u.swapSlot = -1;
    return (this.vm.buddy.memMap.mapcount[pfn] as number) === 0;
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
    this.vm.buddy.events.add(this.slots.pglazyfreed as number, 1);
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
    if (!this.unmapAll(pfn, -1)) {
      this.lru.rotate(pfn);
      return Outcome.Kept;
    }
    if (m.testFlag(pfn, PG.dirty)) {
      // pageout: writeback needs __GFP_FS; a full disk leaves the page dirty.
      if ((sc.gfp & __GFP_FS) === 0) {
        cache.markDirty(inode, index);
        this.lru.rotate(pfn);
        return Outcome.Kept;
      }
      cache.markDirty(inode, index); // the PTE's dirty bit, moved to the page, counted by the cache
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
