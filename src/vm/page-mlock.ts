/**
 * The page side of memory locking (mm/mlock.c of Linux 6.18: `mlock_folio`,
 * `mlock_new_folio`, `munlock_folio`, `__mlock_folio`, `__munlock_folio`,
 * and the `PG_mlocked` accounting of `__page_cache_release`).
 *
 * A page mapped by a VM_LOCKED VMA is *mlocked*: PG_mlocked is set, it is
 * counted in its zone's NR_MLOCK (`Mlocked` in /proc/meminfo, `nr_mlock`
 * in /proc/vmstat and /proc/zoneinfo) and it sits on the unevictable LRU
 * (PG_unevictable), where reclaim never looks. Its `mlock_count` says how
 * many VM_LOCKED mappings hold it, so a page mapped by two locked VMAs
 * (a shared page, or the same file page mapped twice) stays mlocked until
 * both let go:
 *
 * | event (Linux)                         | count          | vmstat (`unevictable_pgs_*`)      |
 * | ------------------------------------- | -------------- | --------------------------------- |
 * | a new page of a locked VMA (`mlock_new_folio`) | 1     | `mlocked`, `culled`               |
 * | an existing page mapped by a locked VMA, or a locked VMA's present page at mlock (`mlock_folio`) | +1 | `mlocked` if PG_mlocked was clear; `culled` if it leaves an evictable list |
 * | a locked mapping goes: munlock, munmap, COW, exit (`munlock_folio`) | -1 | at 0: `munlocked`, and `rescued` as it returns to an evictable list |
 * | a page freed with PG_mlocked still set (`__page_cache_release`) | -    | `cleared`                          |
 *
 * Where the count lives: Linux keeps `folio->mlock_count` in the word of
 * `folio->lru.prev`, because a folio on the unevictable LRU is on no list
 * (`lruvec_add_folio` only counts it). mmsim does the same: the
 * unevictable list of lru.ts is a count, not a chain, and a page on it
 * holds its mlock count in the struct page `prev` field (mem-map.ts).
 *
 * Linux's count is a best effort: per-CPU batches and pages isolated from
 * the LRU can leave it low, and reclaim puts such a page back on the
 * unevictable list when it meets a locked mapping (`folio_referenced_one`
 * calls `mlock_vma_folio`). mmsim has no batches and never isolates a
 * mapped page, so its counts are exact: `checkInvariants` checks that each
 * page's count is the number of present PTEs of VM_LOCKED VMAs mapping it,
 * and that PG_mlocked is set exactly when that number is positive.
 * `unevictable_pgs_scanned` (SHM_UNLOCK rescans) and `_stranded` (munlock
 * of an isolated page) cannot happen here and stay 0.
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import type { MemMap } from '../page/mem-map.js';
import { PG } from '../page/page-flags.js';
import type { LruLists } from './reclaim/lru.js';

const BIT_MLOCKED = 1 << PG.mlocked;
const BIT_UNEVICTABLE = 1 << PG.unevictable;
const BIT_ACTIVE = 1 << PG.active;

/** The `unevictable_pgs_*` event counters, by their /proc/vmstat names. */
export const UNEVICTABLE_EVENTS = [
  'unevictable_pgs_culled',
  'unevictable_pgs_scanned',
  'unevictable_pgs_rescued',
  'unevictable_pgs_mlocked',
  'unevictable_pgs_munlocked',
  'unevictable_pgs_cleared',
  'unevictable_pgs_stranded',
] as const;

/** Memory locking of pages: PG_mlocked, the mlock counts and NR_MLOCK. */
export class PageMlock {
  /** NR_MLOCK of each zone, by zone index. */
  readonly zoneMlocked: Int32Array;
  private readonly m: MemMap;
  private readonly culled: number;
  private readonly rescued: number;
  private readonly mlocked: number;
  private readonly munlocked: number;
  private readonly cleared: number;

  constructor(
    private readonly buddy: BuddyAllocator,
    private readonly lru: LruLists,
  ) {
    this.m = buddy.memMap;
    this.zoneMlocked = new Int32Array(buddy.zones.length);
    const events = buddy.events;
    for (const name of UNEVICTABLE_EVENTS) events.register(name);
    this.culled = events.register('unevictable_pgs_culled');
    this.rescued = events.register('unevictable_pgs_rescued');
    this.mlocked = events.register('unevictable_pgs_mlocked');
    this.munlocked = events.register('unevictable_pgs_munlocked');
    this.cleared = events.register('unevictable_pgs_cleared');
  }

  /** NR_MLOCK over every zone: pages with PG_mlocked. */
  get total(): number {
    let n = 0;
    for (const z of this.zoneMlocked) n += z;
    return n;
  }

  /** The page's `mlock_count`: its VM_LOCKED mappings (0 unless it is on the unevictable LRU). */
  mlockCount(pfn: number): number {
    const flags = this.m.flags[pfn] as number;
    if ((flags & BIT_UNEVICTABLE) === 0 || !this.lru.onLru(pfn)) return 0;
    return this.m.prev[pfn] as number;
  }

  /** Sets PG_mlocked if clear, counting it (NR_MLOCK, `unevictable_pgs_mlocked`). */
  private setMlocked(pfn: number): void {
    if (this.m.testAndSetFlag(pfn, PG.mlocked)) return;
    this.zoneAdd(pfn, 1);
    this.buddy.events.add(this.mlocked, 1);
  }

  private zoneAdd(pfn: number, n: number): void {
    const z = this.buddy.zoneOf(pfn).index;
    this.zoneMlocked[z] = (this.zoneMlocked[z] as number) + n;
  }

  /**
   * `mlock_new_folio` (from `folio_add_lru_vma`): a page just created for a
   * VM_LOCKED VMA goes straight to the unevictable list, mlocked once.
   * The page must be off the LRU.
   */
  mlockNewFolio(pfn: number): void {
    this.setMlocked(pfn);
    const m = this.m;
    m.flags[pfn] = ((m.flags[pfn] as number) | BIT_UNEVICTABLE) & ~BIT_ACTIVE;
    this.lru.add(pfn);
    m.prev[pfn] = 1;
    this.buddy.events.add(this.culled, 1);
  }

  /**
   * `mlock_folio` (`mlock_vma_folio`): one more VM_LOCKED mapping of a page.
   * An evictable page moves to the unevictable list (`__mlock_folio`).
   */
  mlockFolio(pfn: number): void {
    this.setMlocked(pfn);
    if (!this.lru.onLru(pfn)) return; // nothing more can be done off the LRU
    const m = this.m;
    if (((m.flags[pfn] as number) & BIT_UNEVICTABLE) !== 0) {
      m.prev[pfn] = (m.prev[pfn] as number) + 1;
      return;
    }
    this.lru.move(pfn, BIT_UNEVICTABLE, BIT_ACTIVE);
    m.prev[pfn] = 1;
    this.buddy.events.add(this.culled, 1);
  }

  /**
   * `munlock_folio` (`munlock_vma_folio`): one VM_LOCKED mapping fewer. The
   * last one clears PG_mlocked and returns the page to the inactive list
   * of its kind (`__munlock_folio`).
   */
  munlockFolio(pfn: number): void {
    const m = this.m;
    const onLru = this.lru.onLru(pfn);
    const unevictable = ((m.flags[pfn] as number) & BIT_UNEVICTABLE) !== 0;
    if (onLru && unevictable) {
      const count = m.prev[pfn] as number;
      if (count > 1) {
        m.prev[pfn] = count - 1;
        return;
      }
      m.prev[pfn] = 0;
    }
    if (m.testAndClearFlag(pfn, PG.mlocked)) {
      this.zoneAdd(pfn, -1);
      this.buddy.events.add(this.munlocked, 1);
    }
    if (onLru && unevictable) {
      this.lru.move(pfn, 0, BIT_UNEVICTABLE);
      this.buddy.events.add(this.rescued, 1);
    }
  }

  /**
   * Reclaim met a page on an evictable list that `lockedMappings` VM_LOCKED
   * PTEs map (`folio_referenced_one` calling `mlock_vma_folio`, then the
   * putback culling it): it becomes mlocked with that count. mmsim's exact
   * counts never leave such a page behind; this mends one if they did.
   */
  cull(pfn: number, lockedMappings: number): void {
    this.setMlocked(pfn);
    if (!this.lru.onLru(pfn) || this.m.testFlag(pfn, PG.unevictable)) return;
    this.lru.move(pfn, BIT_UNEVICTABLE, BIT_ACTIVE);
    this.m.prev[pfn] = lockedMappings;
    this.buddy.events.add(this.culled, 1);
  }

  /**
   * A page is being freed (`__page_cache_release`): PG_mlocked still set
   * means a locked mapping went without munlock; it is cleared and counted
   * (`unevictable_pgs_cleared`).
   */
  released(pfn: number): void {
    if (((this.m.flags[pfn] as number) & BIT_MLOCKED) === 0) return;
    this.m.clearFlag(pfn, PG.mlocked);
    this.zoneAdd(pfn, -1);
    this.buddy.events.add(this.cleared, 1);
  }
}
