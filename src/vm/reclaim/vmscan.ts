/**
 * Page reclaim (mm/vmscan.c, Linux 6.x without the multi-generational LRU):
 * scanning the LRU lists from their tails and freeing what can be freed.
 *
 * `shrinkNode` is one pass at a priority: `getScanCount` decides how many
 * pages of each list to look at (`size >> priority`, split between anon and
 * file in the ratio `vm.swappiness` (default 60) gives when both cost the
 * same, file only without swap), then the inactive lists are shrunk in batches of
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
 *   the head with PG_referenced) and reclaim, which pageout.ts does: unmap
 *   the page everywhere, then swap it out, drop it, or write it back and
 *   drop it.
 *
 * Counters: `pgscan_*`/`pgsteal_*` (kswapd or direct, anon or file),
 * `pgrefill`, `pgactivate`, `pgdeactivate`. Zones above
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
import { GFP_KERNEL, type Gfp } from '../../gfp/flags.js';
import { PG } from '../../page/page-flags.js';
import { vmTunables } from '../syscalls/vma-ops.js';
import type { VmSystem } from '../vm-system.js';
import {
  LRU_ACTIVE_ANON,
  LRU_ACTIVE_FILE,
  LRU_INACTIVE_ANON,
  LRU_INACTIVE_FILE,
  LRU_UNEVICTABLE,
  type LruLists,
} from './lru.js';
import { Outcome, Pageout } from './pageout.js';
import type { ReplacementPolicy } from './policy/policy.js';
import type { SwapSystem } from './swap.js';

/** `DEF_PRIORITY`: the first pass scans `size >> 12` of each list. */
export const DEF_PRIORITY = 12;
/** `SWAP_CLUSTER_MAX`: pages reclaimed per batch. */
export const SWAP_CLUSTER_MAX = 32;
/** `vm.swappiness`'s default (the live value is the sysctl, `vmTunables(vm).swappiness`). */
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

/** Reclaim over the LRU lists of one machine. */
export class Vmscan {
  /** Frees the pages the scan chooses. */
  readonly pageout: Pageout;
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
    this.pageout = new Pageout(vm, lru, swap);
    this.referencedFn = (pfn) => {
      const young = this.pageout.checkReferences(pfn).ptes > 0;
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
        const swappiness = vmTunables(this.vm).swappiness; // vm.swappiness, 0..200
        anonShare = swappiness / 200;
        fileShare = (200 - swappiness) / 200;
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
      const r = this.pageout.checkReferences(pfn);
      if (r.locked) {
        this.pageout.cullMlocked(pfn);
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

  /**
   * `shrink_folio_list` for one page on an inactive list: activate, keep or
   * reclaim it. A kept page moves to the head of its list.
   */
  shrinkFolio(pfn: number, sc: ScanControl): Outcome {
    const m = this.vm.buddy.memMap;
    const lru = this.lru;
    if (this.pageout.isBusy(pfn)) {
      lru.rotate(pfn); // busy: someone holds it beyond its mappings
      return Outcome.Kept;
    }
    const r = this.pageout.checkReferences(pfn);
    if (r.locked) {
      this.pageout.cullMlocked(pfn);
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
    return this.pageout.reclaim(pfn, sc);
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
      const busy = this.pageout.isBusy(pfn);
      const locked = !busy && this.pageout.checkReferences(pfn).locked;
      if (locked) this.pageout.cullMlocked(pfn);
      const outcome = busy || locked ? Outcome.Kept : this.pageout.reclaim(pfn, sc);
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
      if (!this.lru.onLru(pfn) || m.testFlag(pfn, PG.unevictable) || this.pageout.isBusy(pfn))
        continue;
      if (m.testFlag(pfn, PG.swapbacked) && !canAnon) continue;
      if (this.pageout.checkReferences(pfn).locked) {
        this.pageout.cullMlocked(pfn);
        continue;
      }
      if (this.pageout.reclaim(pfn, sc) === Outcome.Reclaimed) sc.nrReclaimed++;
    }
    return sc.nrReclaimed;
  }
}
