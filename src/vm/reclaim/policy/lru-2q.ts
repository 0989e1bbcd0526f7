/**
 * LRU-2Q: Linux's two-list approximation of LRU, the active and inactive
 * lists of mm/vmscan.c and mm/swap.c as they work without the multi-gen
 * LRU (CONFIG_LRU_GEN off, the classic scheme of Linux 2.6.28 to 6.x; this
 * follows v6.6). The name says "two queues"; it is not Johnson and
 * Shasha's 2Q algorithm (A1in/A1out/Am), though the idea is the same: a
 * page must prove itself twice before it is protected, so a scan of pages
 * used once cannot flush the working set.
 *
 * State per page, as in `struct folio`: which list it is on (PG_active)
 * and PG_referenced; the accessed bit lives outside, in the PTEs, and is
 * read only through `referenced(page)` (test-and-clear). Lists are
 * ordered newest at the head; reclaim takes from the tail.
 *
 * What is modelled, and which kernel function each step follows:
 *
 * - `insert`: `folio_add_lru` -> `lru_add`: the page goes to the head of
 *   the inactive list, PG_active and PG_referenced clear. (New anonymous
 *   pages go to the inactive list since 5.9, as file pages always did.)
 * - `access`: `folio_mark_accessed`: inactive,unreferenced ->
 *   inactive,referenced -> active,unreferenced (moved to the active head,
 *   `folio_activate`) -> active,referenced. So a page referenced again
 *   while inactive and already marked is promoted: the two-step.
 * - `evict`: one page reclaimed, as `shrink_lruvec` does in batches:
 *   1. While `inactive_is_low` (inactive < active: the ratio is 1 below
 *      1 GiB of LRU pages), `shrink_active_list` moves the active tail to
 *      the inactive head: `folio_referenced` is called (clearing the
 *      page's accessed bit) and the page is deactivated whatever it says,
 *      as Linux does for all but VM_EXEC file pages. PG_referenced is
 *      left as it is, as in the kernel ("recently deactivated but used
 *      folios are quickly recovered").
 *   2. `shrink_inactive_list` -> `shrink_folio_list` looks at the inactive
 *      tail and decides with `folio_check_references`: accessed bit set
 *      and PG_referenced set -> ACTIVATE (to the active head, PG_referenced
 *      set); accessed bit set, PG_referenced clear -> set PG_referenced and
 *      KEEP (back to the inactive head: a second trip, since every mapped
 *      page starts out with the accessed bit of its fault); accessed bit
 *      clear -> RECLAIM (PG_referenced, tested and cleared, does not save
 *      it). The first page reclaimed is the victim.
 *
 * Not modelled: separate anon and file lists and the swappiness balance
 * between them (`get_scan_count`), batches of SWAP_CLUSTER_MAX pages and
 * scan priorities, per-CPU folio batches that delay list moves, refault
 * distance and shadow entries (mm/workingset.c), the VM_EXEC exceptions,
 * dirty and writeback pages, mlocked (unevictable) pages, cgroups.
 *
 * Costs: `insert`, `access`, `remove` are O(1). `evict` looks at no more
 * than `size + 1` inactive pages (the first page looked at twice has had
 * its accessed bit cleared and is reclaimed) and is O(1) amortized, since
 * each page it passes over consumed a reference made earlier.
 */
import { KernelBug } from '../../../page/errors.js';
import { ABSENT } from './page-index.js';
import { PageNodes } from './page-nodes.js';
import type { ReferencedFn, ReplacementPolicy } from './policy.js';
import { alreadyResident, checkPolicyPage, notResident } from './validate.js';

/** Sentinel of the inactive list (`lruvec->lists[LRU_INACTIVE_*]`). */
const INACTIVE = 0;
/** Sentinel of the active list (`lruvec->lists[LRU_ACTIVE_*]`). */
const ACTIVE = 1;
/** Flag bit: the page is on the active list. */
const PG_ACTIVE = 1;
/** Flag bit: PG_referenced. */
const PG_REFERENCED = 2;

/** The two lists of one LRU-2Q policy, newest page first. */
export interface Lru2QLists {
  readonly active: number[];
  readonly inactive: number[];
}

/** Linux's active/inactive two-list replacement (see the module comment). */
export class Lru2QPolicy implements ReplacementPolicy {
  readonly name = 'lru-2q' as const;
  readonly needsEveryAccess = false;
  /** Pages promoted to the active list (vmstat `pgactivate`). */
  pgactivate = 0;
  /** Pages moved from the active to the inactive list (vmstat `pgdeactivate`). */
  pgdeactivate = 0;
  /** Inactive pages looked at by reclaim (vmstat `pgscan_*`). */
  pgscan = 0;
  /** Pages reclaimed (vmstat `pgsteal_*`). */
  pgsteal = 0;
  private readonly nodes: PageNodes;
  private nInactive = 0;
  private nActive = 0;

  /** @param capacity Expected number of resident pages (a hint). */
  constructor(capacity = 16) {
    this.nodes = new PageNodes(2, capacity);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Pages on the active list (`nr_active_*`). */
  get nrActive(): number {
    return this.nActive;
  }

  /** Pages on the inactive list (`nr_inactive_*`). */
  get nrInactive(): number {
    return this.nInactive;
  }

  has(page: number): boolean {
    return this.nodes.index.has(page);
  }

  /** Whether a resident page is on the active list (PG_active). */
  isActive(page: number): boolean {
    return (
      ((this.nodes.flags[this.nodeOf('Lru2QPolicy.isActive', page)] as number) & PG_ACTIVE) !== 0
    );
  }

  /** Whether a resident page has PG_referenced set. */
  isReferenced(page: number): boolean {
    const node = this.nodeOf('Lru2QPolicy.isReferenced', page);
    return ((this.nodes.flags[node] as number) & PG_REFERENCED) !== 0;
  }

  /**
   * Adds the page at the head of the inactive list, unreferenced.
   *
   * Counterpart: `folio_add_lru` / `lru_add`.
   */
  insert(page: number): void {
    checkPolicyPage('Lru2QPolicy.insert', page);
    const nodes = this.nodes;
    if (nodes.index.has(page)) throw alreadyResident('Lru2QPolicy.insert', page);
    nodes.linkAfter(nodes.alloc(page), INACTIVE);
    this.nInactive++;
  }

  /**
   * Marks the page accessed: sets PG_referenced, or promotes an inactive
   * page that already had it to the active list.
   *
   * Counterpart: `folio_mark_accessed` (`mark_page_accessed`).
   */
  access(page: number): void {
    const nodes = this.nodes;
    const node = nodes.index.get(page);
    if (node === ABSENT) throw notResident('Lru2QPolicy.access', page);
    const f = nodes.flags[node] as number;
    if ((f & PG_REFERENCED) === 0) {
      nodes.flags[node] = f | PG_REFERENCED;
    } else if ((f & PG_ACTIVE) === 0) {
      this.activate(node);
      nodes.flags[node] = PG_ACTIVE; // folio_clear_referenced after folio_activate
    }
  }

  remove(page: number): void {
    const nodes = this.nodes;
    const node = nodes.index.get(page);
    if (node === ABSENT) throw notResident('Lru2QPolicy.remove', page);
    if (((nodes.flags[node] as number) & PG_ACTIVE) !== 0) this.nActive--;
    else this.nInactive--;
    nodes.unlink(node);
    nodes.release(node);
  }

  /**
   * Reclaims one page: rebalances the lists, then scans the inactive tail
   * (see the module comment).
   *
   * Counterpart: `shrink_lruvec` -> `shrink_active_list`, `shrink_inactive_list`.
   */
  evict(referenced: ReferencedFn): number {
    const nodes = this.nodes;
    const size = nodes.size;
    if (size === 0) return -1;
    for (let scans = 1; ; scans++) {
      while (this.nInactive < this.nActive) this.deactivateTail(referenced);
      const node = nodes.prev[INACTIVE] as number;
      if (node === INACTIVE) throw new KernelBug('Lru2QPolicy.evict: inactive list empty');
      const page = nodes.page[node] as number;
      this.pgscan++;
      // folio_check_references. With a well-behaved `referenced` a page is
      // never looked at twice without being reclaimed, so `scans > size`
      // only guards against a callback that never clears.
      const referencedPtes = referenced(page) && scans <= size;
      const f = nodes.flags[node] as number;
      if (referencedPtes) {
        nodes.unlink(node);
        if ((f & PG_REFERENCED) !== 0) {
          nodes.flags[node] = f | PG_ACTIVE; // FOLIOREF_ACTIVATE; PG_referenced stays set
          nodes.linkAfter(node, ACTIVE);
          this.nInactive--;
          this.nActive++;
          this.pgactivate++;
        } else {
          nodes.flags[node] = f | PG_REFERENCED; // FOLIOREF_KEEP: another trip
          nodes.linkAfter(node, INACTIVE);
        }
        continue;
      }
      nodes.unlink(node); // FOLIOREF_RECLAIM
      nodes.release(node);
      this.nInactive--;
      this.pgsteal++;
      return page;
    }
  }

  /** The two lists, newest page first (the kernel's head-to-tail order). */
  lists(): Lru2QLists {
    return { active: this.listPages(ACTIVE), inactive: this.listPages(INACTIVE) };
  }

  /** Moves an inactive page to the head of the active list (`folio_activate` / `lru_activate`). */
  private activate(node: number): void {
    const nodes = this.nodes;
    nodes.unlink(node);
    nodes.linkAfter(node, ACTIVE);
    this.nInactive--;
    this.nActive++;
    this.pgactivate++;
  }

  /**
   * Deactivates the active tail: its accessed bit is tested and cleared
   * (and ignored: only VM_EXEC file pages get another trip in Linux), it
   * goes to the inactive head with PG_referenced unchanged.
   *
   * Counterpart: one page of `shrink_active_list`.
   */
  private deactivateTail(referenced: ReferencedFn): void {
    const nodes = this.nodes;
    const node = nodes.prev[ACTIVE] as number;
    referenced(nodes.page[node] as number);
    nodes.flags[node] = (nodes.flags[node] as number) & ~PG_ACTIVE;
    nodes.unlink(node);
    nodes.linkAfter(node, INACTIVE);
    this.nActive--;
    this.nInactive++;
    this.pgdeactivate++;
  }

  private listPages(head: number): number[] {
    const out: number[] = [];
    const nodes = this.nodes;
    for (let n = nodes.next[head] as number; n !== head; n = nodes.next[n] as number)
      out.push(nodes.page[n] as number);
    return out;
  }

  private nodeOf(fn: string, page: number): number {
    const node = this.nodes.index.get(page);
    if (node === ABSENT) throw notResident(fn, page);
    return node;
  }
}
