/**
 * The LRU lists of a node (`struct lruvec`, include/linux/mmzone.h and
 * mm_inline.h): every page that user space can reach, anonymous or page
 * cache, sits on exactly one of five lists, which reclaim scans from their
 * tails.
 *
 * | list            | pages                                                   |
 * | --------------- | ------------------------------------------------------- |
 * | `inactive_anon` | swap-backed pages (anonymous, shmem) not recently used  |
 * | `active_anon`   | swap-backed pages found referenced                      |
 * | `inactive_file` | page cache pages, and anonymous pages after MADV_FREE   |
 * | `active_file`   | page cache pages found referenced                       |
 * | `unevictable`   | pages mapped by a VM_LOCKED VMA (mlocked)               |
 *
 * Which list a page is on follows from its flags, as `folio_lru_list` reads
 * them: PG_unevictable, else PG_swapbacked (anon) or not (file), plus
 * PG_active. PG_lru says the page is on a list at all.
 *
 * The four evictable lists are doubly linked through the struct page
 * `next`/`prev` fields (the LRU link of mem-map.ts): `next` points at the
 * older neighbour, `prev` at the newer; the head is the newest page, the
 * tail the oldest. Heads, tails and sizes live in typed arrays, and so do
 * the per-zone sizes (`NR_ZONE_INACTIVE_ANON` and friends), so adding,
 * deleting and rotating cost a handful of array writes and no allocation.
 * Linux keeps one lruvec per node (per memory cgroup); mmsim has one node
 * and no cgroups.
 *
 * The unevictable "list" is not a chain, as in Linux since 5.18
 * (`lruvec_add_folio` only counts an unevictable folio): nothing scans it,
 * so a page on it is only counted (its head and tail stay -1), its `next`
 * is -1 and its `prev` holds its `mlock_count` (page-mlock.ts), the word
 * Linux overlays on `folio->lru.prev`. The pages on it are found by their
 * flags (`checkInvariants` scans mem_map for them).
 *
 * Linux 6.x without the multi-generational LRU (`CONFIG_LRU_GEN` off, the
 * classic two-list scheme of mm/vmscan.c).
 */
import type { BuddyAllocator } from '../../buddy/buddy-allocator.js';
import { KernelBug } from '../../page/errors.js';
import type { MemMap } from '../../page/mem-map.js';
import { PG } from '../../page/page-flags.js';

/** `enum lru_list`. */
export const LRU_INACTIVE_ANON = 0;
/** Active anonymous pages. */
export const LRU_ACTIVE_ANON = 1;
/** Inactive page cache pages. */
export const LRU_INACTIVE_FILE = 2;
/** Active page cache pages. */
export const LRU_ACTIVE_FILE = 3;
/** Pages reclaim may not take. */
export const LRU_UNEVICTABLE = 4;
/** `NR_LRU_LISTS`. */
export const NR_LRU_LISTS = 5;

/** The lists' names as /proc/vmstat and /proc/zoneinfo spell them (`nr_zone_<name>`). */
export const LRU_NAMES = [
  'inactive_anon',
  'active_anon',
  'inactive_file',
  'active_file',
  'unevictable',
] as const;

const BIT_LRU = 1 << PG.lru;
const BIT_ACTIVE = 1 << PG.active;
const BIT_SWAPBACKED = 1 << PG.swapbacked;
const BIT_UNEVICTABLE = 1 << PG.unevictable;

/**
 * Told when a page joins or leaves the evictable lists (not of moves
 * between them): how a replacement policy chosen at boot follows the pages
 * reclaim may take (vmscan.ts).
 */
export interface LruObserver {
  /** The page is now on an evictable list. */
  added(pfn: number): void;
  /** The page left the evictable lists (freed, or made unevictable). */
  removed(pfn: number): void;
}

/** The LRU lists of the machine's one node. */
export class LruLists {
  /** Follows membership of the evictable lists; null for none. */
  observer: LruObserver | null = null;
  /** Newest page of each list, -1 when empty. */
  readonly head = new Int32Array(NR_LRU_LISTS).fill(-1);
  /** Oldest page of each list (where reclaim scans), -1 when empty. */
  readonly tail = new Int32Array(NR_LRU_LISTS).fill(-1);
  /** Pages on each list (`lruvec_lru_size`). */
  readonly size = new Int32Array(NR_LRU_LISTS);
  /** Pages on each list per zone: `zoneSize[zone * NR_LRU_LISTS + lru]` (`NR_ZONE_LRU_BASE + lru`). */
  readonly zoneSize: Int32Array;
  /** How many of the unevictable pages are anonymous (PG_anon), for the page-state counts. */
  private unevictableAnonPages = 0;
  private readonly m: MemMap;

  constructor(readonly buddy: BuddyAllocator) {
    this.m = buddy.memMap;
    this.zoneSize = new Int32Array(buddy.zones.length * NR_LRU_LISTS);
  }

  /** `folio_lru_list`: the list a page's flags put it on. */
  lruOf(pfn: number): number {
    const flags = this.m.flags[pfn] as number;
    if ((flags & BIT_UNEVICTABLE) !== 0) return LRU_UNEVICTABLE;
    const base = (flags & BIT_SWAPBACKED) !== 0 ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
    return (flags & BIT_ACTIVE) !== 0 ? base + 1 : base;
  }

  /** Whether the page is on a list (`folio_test_lru`). */
  onLru(pfn: number): boolean {
    return ((this.m.flags[pfn] as number) & BIT_LRU) !== 0;
  }

  /**
   * `lruvec_add_folio`: puts a page at the head of the list its flags name
   * and sets PG_lru.
   * @throws KernelBug if the page is already on a list.
   */
  add(pfn: number): void {
    const lru = this.checkOff('add', pfn);
    this.link(pfn, lru, true);
    if (lru !== LRU_UNEVICTABLE) this.observer?.added(pfn);
  }

  /** `lruvec_add_folio_tail`: as {@link add}, at the tail (the next to be scanned). */
  addTail(pfn: number): void {
    const lru = this.checkOff('addTail', pfn);
    this.link(pfn, lru, false);
    if (lru !== LRU_UNEVICTABLE) this.observer?.added(pfn);
  }

  /**
   * `lruvec_del_folio` plus clearing PG_lru: takes a page off its list.
   * Its PG_active and PG_unevictable stay as they were.
   * @throws KernelBug if the page is on no list.
   */
  del(pfn: number): void {
    if (!this.onLru(pfn)) throw new KernelBug(`lru del: pfn ${pfn} is not on an LRU list`);
    const lru = this.lruOf(pfn);
    this.unlink(pfn, lru);
    this.m.flags[pfn] = (this.m.flags[pfn] as number) & ~BIT_LRU;
    if (lru !== LRU_UNEVICTABLE) this.observer?.removed(pfn);
  }

  /**
   * `__page_cache_release` before a page is freed: off its list, with
   * PG_lru, PG_active and PG_unevictable cleared (`__folio_clear_lru_flags`).
   * A page on no list is left alone.
   */
  release(pfn: number): void {
    if (!this.onLru(pfn)) return;
    this.del(pfn);
    const m = this.m;
    m.flags[pfn] = (m.flags[pfn] as number) & ~(BIT_ACTIVE | BIT_UNEVICTABLE | (1 << PG.mlocked));
  }

  /**
   * Moves a page to the head of the list `update` puts it on: `update`
   * changes the page's flags (PG_active, PG_swapbacked, PG_unevictable)
   * while it is off the lists, as `folio_activate`, `lru_deactivate` and
   * `lru_lazyfree` do.
   */
  move(pfn: number, setBits: number, clearBits: number): void {
    const onList = this.onLru(pfn);
    const from = this.lruOf(pfn);
    if (onList) this.unlink(pfn, from);
    const m = this.m;
    m.flags[pfn] = ((m.flags[pfn] as number) & ~clearBits) | setBits;
    if (!onList) return;
    const to = this.lruOf(pfn);
    this.link(pfn, to, true);
    if (this.observer !== null && (from === LRU_UNEVICTABLE) !== (to === LRU_UNEVICTABLE)) {
      if (to === LRU_UNEVICTABLE) this.observer.removed(pfn);
      else this.observer.added(pfn);
    }
  }

  /**
   * `folio_activate`: an inactive page moves to the head of the active
   * list; an active or unevictable page is left alone.
   */
  activate(pfn: number): void {
    if (((this.m.flags[pfn] as number) & (BIT_ACTIVE | BIT_UNEVICTABLE)) !== 0) return;
    this.move(pfn, BIT_ACTIVE, 0);
  }

  /**
   * `lru_deactivate`: an active page moves to the head of the inactive
   * list, losing PG_referenced; an inactive or unevictable page is left alone.
   */
  deactivate(pfn: number): void {
    const flags = this.m.flags[pfn] as number;
    if ((flags & BIT_UNEVICTABLE) !== 0 || (flags & BIT_ACTIVE) === 0) return;
    this.move(pfn, 0, BIT_ACTIVE | (1 << PG.referenced));
  }

  /**
   * Moves a page on a list to the head of the same list (`lruvec_move_folio`,
   * putback). An unevictable page, on no chain, stays as it is.
   * @throws KernelBug if the page is on no list.
   */
  rotate(pfn: number): void {
    if (!this.onLru(pfn)) throw new KernelBug(`lru rotate: pfn ${pfn} is not on an LRU list`);
    const lru = this.lruOf(pfn);
    if (lru === LRU_UNEVICTABLE) return;
    this.unlink(pfn, lru);
    this.link(pfn, lru, true);
  }

  /**
   * `folio_mark_accessed`: the two-step promotion of mm/swap.c. An inactive
   * unreferenced page becomes referenced; an inactive referenced page is
   * activated (and its referenced bit cleared); an active page becomes
   * referenced.
   */
  markAccessed(pfn: number): void {
    const m = this.m;
    const flags = m.flags[pfn] as number;
    const referenced = (flags & (1 << PG.referenced)) !== 0;
    if ((flags & (BIT_ACTIVE | BIT_UNEVICTABLE)) === 0 && referenced) {
      this.move(pfn, BIT_ACTIVE, 1 << PG.referenced);
    } else if (!referenced) {
      m.flags[pfn] = flags | (1 << PG.referenced);
    }
  }

  /** Pages on the anonymous lists. */
  get anonPages(): number {
    return (this.size[LRU_INACTIVE_ANON] as number) + (this.size[LRU_ACTIVE_ANON] as number);
  }

  /** Pages on the file lists. */
  get filePages(): number {
    return (this.size[LRU_INACTIVE_FILE] as number) + (this.size[LRU_ACTIVE_FILE] as number);
  }

  /** Pages on the unevictable list that are anonymous (PG_anon); the rest are shmem or page cache. */
  get unevictableAnon(): number {
    return this.unevictableAnonPages;
  }

  /** Pages of list `lru` in zone `zone`. */
  zoneLruSize(zone: number, lru: number): number {
    return this.zoneSize[zone * NR_LRU_LISTS + lru] as number;
  }

  /**
   * Throws `KernelBug` naming the first broken invariant: each evictable
   * list is a well-formed chain whose pages have PG_lru and the flags of
   * that list, the unevictable pages (found by their flags) are linked to
   * nothing, every size, per-zone size and the anonymous unevictable count
   * agree with a recount, and no page is on two lists. `onList` receives
   * every page found, so callers can check that nothing else claims them.
   * Costs O(pages on the lists + frames).
   */
  checkInvariants(onList?: (pfn: number, lru: number) => void): void {
    const m = this.m;
    const seen = new Set<number>();
    const zoneCount = new Int32Array(this.zoneSize.length);
    this.checkUnevictable(zoneCount, onList);
    for (let lru = 0; lru < LRU_UNEVICTABLE; lru++) {
      const name = LRU_NAMES[lru] as string;
      let n = 0;
      let newer = -1;
      for (let pfn = this.head[lru] as number; pfn !== -1; pfn = m.next[pfn] as number) {
        if (pfn < 0 || pfn >= m.frames) bug(`${name} list links to pfn ${pfn}, outside mem_map`);
        if (seen.has(pfn)) bug(`pfn ${pfn} appears twice on the LRU lists (${name})`);
        seen.add(pfn);
        if (m.prev[pfn] !== newer)
          bug(`${name} list: pfn ${pfn} links back to ${m.prev[pfn]}, not ${newer}`);
        if (!this.onLru(pfn)) bug(`pfn ${pfn} is on the ${name} list without PG_lru`);
        if (this.lruOf(pfn) !== lru)
          bug(`pfn ${pfn} is on the ${name} list but its flags say ${LRU_NAMES[this.lruOf(pfn)]}`);
        if ((m.refcount[pfn] as number) < 1) bug(`pfn ${pfn} is on the ${name} list but free`);
        const z = this.buddy.zoneOf(pfn).index * NR_LRU_LISTS + lru;
        zoneCount[z] = (zoneCount[z] as number) + 1;
        onList?.(pfn, lru);
        newer = pfn;
        n++;
      }
      if (this.tail[lru] !== newer)
        bug(`${name} list ends at ${newer}, tail says ${this.tail[lru]}`);
      if (this.size[lru] !== n)
        bug(`${name} list holds ${n} pages, its size says ${this.size[lru]}`);
    }
    for (let i = 0; i < zoneCount.length; i++) {
      if (zoneCount[i] !== this.zoneSize[i]) {
        const zone = this.buddy.zones[Math.floor(i / NR_LRU_LISTS)]?.name;
        bug(
          `zone ${zone} counts ${this.zoneSize[i]} ${LRU_NAMES[i % NR_LRU_LISTS]} pages, its lists hold ${zoneCount[i]}`,
        );
      }
    }
  }

  /** The unevictable pages: PG_lru with the unevictable list's flags, on no chain. */
  private checkUnevictable(
    zoneCount: Int32Array,
    onList: ((pfn: number, lru: number) => void) | undefined,
  ): void {
    const m = this.m;
    if (this.head[LRU_UNEVICTABLE] !== -1 || this.tail[LRU_UNEVICTABLE] !== -1)
      bug('the unevictable list has a head or a tail: it is not a chain');
    let n = 0;
    let anon = 0;
    const want = BIT_LRU | BIT_UNEVICTABLE;
    for (let pfn = 0; pfn < m.frames; pfn++) {
      if (((m.flags[pfn] as number) & want) !== want) continue;
      if ((m.refcount[pfn] as number) < 1) bug(`pfn ${pfn} is on the unevictable list but free`);
      if (m.next[pfn] !== -1)
        bug(`unevictable pfn ${pfn} links to ${m.next[pfn]}: the list is not a chain`);
      const z = this.buddy.zoneOf(pfn).index * NR_LRU_LISTS + LRU_UNEVICTABLE;
      zoneCount[z] = (zoneCount[z] as number) + 1;
      if (m.testFlag(pfn, PG.anon)) anon++;
      onList?.(pfn, LRU_UNEVICTABLE);
      n++;
    }
    if (this.size[LRU_UNEVICTABLE] !== n)
      bug(`unevictable list holds ${n} pages, its size says ${this.size[LRU_UNEVICTABLE]}`);
    if (this.unevictableAnonPages !== anon)
      bug(`${anon} unevictable pages are anonymous, the count says ${this.unevictableAnonPages}`);
  }

  private checkOff(fn: string, pfn: number): number {
    if (this.onLru(pfn)) throw new KernelBug(`lru ${fn}: pfn ${pfn} is already on an LRU list`);
    if ((this.m.refcount[pfn] as number) < 1)
      throw new KernelBug(`lru ${fn}: pfn ${pfn} is free (refcount ${this.m.refcount[pfn]})`);
    return this.lruOf(pfn);
  }

  private link(pfn: number, lru: number, atHead: boolean): void {
    const m = this.m;
    if (lru === LRU_UNEVICTABLE) {
      // Counted, not chained; `prev` is the mlock count, which starts at 0.
      m.next[pfn] = -1;
      m.prev[pfn] = 0;
      if (((m.flags[pfn] as number) & (1 << PG.anon)) !== 0) this.unevictableAnonPages++;
    } else if (atHead) {
      const old = this.head[lru] as number;
      m.prev[pfn] = -1;
      m.next[pfn] = old;
      if (old === -1) this.tail[lru] = pfn;
      else m.prev[old] = pfn;
      this.head[lru] = pfn;
    } else {
      const old = this.tail[lru] as number;
      m.next[pfn] = -1;
      m.prev[pfn] = old;
      if (old === -1) this.head[lru] = pfn;
      else m.next[old] = pfn;
      this.tail[lru] = pfn;
    }
    m.flags[pfn] = (m.flags[pfn] as number) | BIT_LRU;
    this.size[lru] = (this.size[lru] as number) + 1;
    const z = this.buddy.zoneOf(pfn).index * NR_LRU_LISTS + lru;
    this.zoneSize[z] = (this.zoneSize[z] as number) + 1;
  }

  private unlink(pfn: number, lru: number): void {
    const m = this.m;
    if (lru === LRU_UNEVICTABLE) {
      if (((m.flags[pfn] as number) & (1 << PG.anon)) !== 0) this.unevictableAnonPages--;
    } else {
      const older = m.next[pfn] as number;
      const newer = m.prev[pfn] as number;
      if (newer === -1) this.head[lru] = older;
      else m.next[newer] = older;
      if (older === -1) this.tail[lru] = newer;
      else m.prev[older] = newer;
    }
    m.next[pfn] = -1;
    m.prev[pfn] = -1;
    this.size[lru] = (this.size[lru] as number) - 1;
    const z = this.buddy.zoneOf(pfn).index * NR_LRU_LISTS + lru;
    this.zoneSize[z] = (this.zoneSize[z] as number) - 1;
  }
}

function bug(message: string): never {
  throw new KernelBug(`checkInvariants: ${message}`);
}

const lists = new WeakMap<BuddyAllocator, LruLists>();

/**
 * The LRU lists over `buddy`'s frames, created on first use. The page
 * cache, the fault handler and reclaim all reach the same lists this way,
 * as they all reach the same node's lruvec in Linux.
 */
export function lruOf(buddy: BuddyAllocator): LruLists {
  let lru = lists.get(buddy);
  if (lru === undefined) {
    lru = new LruLists(buddy);
    lists.set(buddy, lru);
  }
  return lru;
}
