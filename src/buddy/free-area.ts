/**
 * The buddy system proper: free lists by order and migratetype, splitting
 * (`expand`), merging (`__free_one_page`) and migratetype fallback with
 * block stealing (`__rmqueue_fallback`), as mm/page_alloc.c does them.
 *
 * A free block is named by its first frame, the head, which carries page
 * type `buddy`, its order in `private` and the migratetype of the list it
 * is on in `mapping`; the other frames of the block are untouched. Free
 * lists keep "pageblock hygiene" as Linux has since 6.10: a free block is
 * always on the list of its pageblock's migratetype, and when a pageblock
 * changes type its free blocks move with it.
 *
 * Accounting: NR_FREE_PAGES (`zone.state[0]`) counts the frames on the
 * free lists, so taking a block off a list subtracts its size and putting
 * one on adds it; `nr_free[order]` and the per-list lengths move with them.
 * Every operation costs O(MAX_ORDER) at most, except claiming a pageblock
 * on fallback, which walks that one pageblock (as `move_freepages_block`).
 */
import { MIGRATE_PCPTYPES, MigrateType } from '../gfp/migratetype.js';
import { PAGE_FLAGS_MASK, PAGE_TYPE_SHIFT, PageType, PG } from '../page/page-flags.js';
import { listAdd, listAddTail, listDel } from './page-list.js';
import { freeListIndex, MAX_ORDER, Z_FREE_PAGES, type Zone } from './zone.js';

const BUDDY_TYPE = PageType.buddy << PAGE_TYPE_SHIFT;
const LRU_BIT = 1 << PG.lru;

/** What the free-list operations read and write: struct page fields and pageblock types. */
export interface FreeAreaContext {
  readonly flags: Uint32Array;
  readonly private: Int32Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly mapping: Int32Array;
  /** Migratetype per pageblock. */
  readonly pageblockMigratetype: Uint8Array;
  /** `pageblock_order`. */
  readonly pageblockOrder: number;
}

/**
 * `fallbacks[]`: where each pcp migratetype looks when its own lists are
 * empty, in order.
 */
const FALLBACKS: readonly (readonly number[])[] = [
  [MigrateType.Reclaimable, MigrateType.Movable], // Unmovable
  [MigrateType.Reclaimable, MigrateType.Unmovable], // Movable
  [MigrateType.Unmovable, MigrateType.Movable], // Reclaimable
];

/** `get_pfnblock_migratetype`. */
export function pageblockMigratetype(ctx: FreeAreaContext, pfn: number): number {
  return ctx.pageblockMigratetype[pfn >>> ctx.pageblockOrder] as number;
}

/** `PageBuddy(pfn) && buddy_order(pfn) === order`. */
export function isFreeBlock(ctx: FreeAreaContext, pfn: number, order: number): boolean {
  return (
    (ctx.flags[pfn] as number) >>> PAGE_TYPE_SHIFT === PageType.buddy && ctx.private[pfn] === order
  );
}

/** `__add_to_free_list`: makes `pfn` the head of a free block and links it. */
export function addToFreeList(
  ctx: FreeAreaContext,
  zone: Zone,
  pfn: number,
  order: number,
  migratetype: number,
  tail: boolean,
): void {
  ctx.flags[pfn] = ((ctx.flags[pfn] as number) & PAGE_FLAGS_MASK) | BUDDY_TYPE;
  ctx.private[pfn] = order;
  ctx.mapping[pfn] = migratetype;
  const list = freeListIndex(order, migratetype);
  if (tail) listAddTail(ctx.next, ctx.prev, zone.freeHeads, list, pfn);
  else listAdd(ctx.next, ctx.prev, zone.freeHeads, list, pfn);
  zone.freeCounts[list] = (zone.freeCounts[list] as number) + 1;
  zone.nrFree[order] = (zone.nrFree[order] as number) + 1;
  zone.state[Z_FREE_PAGES] = (zone.state[Z_FREE_PAGES] as number) + (1 << order);
}

/** `del_page_from_free_list`: unlinks a free block and clears its head. */
export function delFromFreeList(
  ctx: FreeAreaContext,
  zone: Zone,
  pfn: number,
  order: number,
  migratetype: number,
): void {
  const list = freeListIndex(order, migratetype);
  listDel(ctx.next, ctx.prev, zone.freeHeads, list, pfn);
  ctx.flags[pfn] = (ctx.flags[pfn] as number) & PAGE_FLAGS_MASK;
  ctx.private[pfn] = 0;
  ctx.mapping[pfn] = 0;
  zone.freeCounts[list] = (zone.freeCounts[list] as number) - 1;
  zone.nrFree[order] = (zone.nrFree[order] as number) - 1;
  zone.state[Z_FREE_PAGES] = (zone.state[Z_FREE_PAGES] as number) - (1 << order);
}

/**
 * `expand`: a block of order `high` at `pfn` was taken for a request of
 * order `low`; put the unused upper halves back, largest first.
 */
export function expand(
  ctx: FreeAreaContext,
  zone: Zone,
  pfn: number,
  low: number,
  high: number,
  mt: number,
): void {
  let order = high;
  while (order > low) {
    order--;
    addToFreeList(ctx, zone, pfn + (1 << order), order, mt, false);
  }
}

/** Whether blocks of these types may merge (`migratetype_is_mergeable`): only the pcp types. */
function mergeable(mt: number): boolean {
  return mt < MIGRATE_PCPTYPES;
}

/**
 * `__free_one_page`: returns a block to the free lists, merging it with
 * its buddy (`pfn ^ (1 << order)`) for as long as the buddy is a free
 * block of the same order in the same zone. The result goes to the tail
 * of its list when a further merge looks likely (`buddy_merge_likely`) or
 * the caller asks (`FPI_TO_TAIL`), so that it stays free longer.
 */
export function freeOneBlock(
  ctx: FreeAreaContext,
  zone: Zone,
  pfn: number,
  order: number,
  migratetype: number,
  toTail: boolean,
): void {
  let head = pfn;
  let o = order;
  const start = zone.startPfn;
  const end = start + zone.spanned;
  while (o < MAX_ORDER) {
    const buddy = head ^ (1 << o);
    if (buddy < start || buddy >= end || !isFreeBlock(ctx, buddy, o)) break;
    const buddyMt = ctx.mapping[buddy] as number;
    if (buddyMt !== migratetype && (!mergeable(migratetype) || !mergeable(buddyMt))) break;
    delFromFreeList(ctx, zone, buddy, o, buddyMt);
    // Merging across pageblocks of different types: the buddy's pageblock joins ours.
    if (buddyMt !== migratetype) setBlockRange(ctx, buddy, o, migratetype);
    head &= ~(1 << o);
    o++;
  }
  let tail = toTail;
  if (!tail && o < MAX_ORDER - 1) {
    // buddy_merge_likely: is the buddy of the next-larger block free?
    const higherHead = head & ~(1 << o);
    const higherBuddy = higherHead ^ (1 << (o + 1));
    tail = higherBuddy >= start && higherBuddy < end && isFreeBlock(ctx, higherBuddy, o + 1);
  }
  addToFreeList(ctx, zone, head, o, migratetype, tail);
}

/** Sets the migratetype of every pageblock a block of `order` at `pfn` covers (at least its own). */
function setBlockRange(
  ctx: FreeAreaContext,
  pfn: number,
  order: number,
  migratetype: number,
): void {
  const first = pfn >>> ctx.pageblockOrder;
  const blocks = order > ctx.pageblockOrder ? 1 << (order - ctx.pageblockOrder) : 1;
  ctx.pageblockMigratetype.fill(migratetype, first, first + blocks);
}

/** `__rmqueue_smallest`: the smallest free block of `mt` that fits, split down to `order`; -1 if none. */
export function rmqueueSmallest(
  ctx: FreeAreaContext,
  zone: Zone,
  order: number,
  mt: number,
): number {
  for (let o = order; o <= MAX_ORDER; o++) {
    const pfn = zone.freeHeads[freeListIndex(o, mt)] as number;
    if (pfn < 0) continue;
    delFromFreeList(ctx, zone, pfn, o, mt);
    expand(ctx, zone, pfn, order, o, mt);
    return pfn;
  }
  return -1;
}

/**
 * `can_steal_fallback`: whether a fallback at this order may take over
 * the whole pageblock: always for whole pageblocks, and for half a block
 * or more, or for unmovable and reclaimable requests, which would
 * otherwise scatter unmovable pages over many blocks.
 */
function canStealFallback(ctx: FreeAreaContext, order: number, startMt: number): boolean {
  if (order >= ctx.pageblockOrder) return true;
  return (
    order >= ctx.pageblockOrder >>> 1 ||
    startMt === MigrateType.Reclaimable ||
    startMt === MigrateType.Unmovable
  );
}

/** `find_suitable_fallback`: the first fallback type with a free block of `order`, or -1. */
function findSuitableFallback(zone: Zone, order: number, startMt: number): number {
  for (const mt of FALLBACKS[startMt] as readonly number[]) {
    if ((zone.freeHeads[freeListIndex(order, mt)] as number) >= 0) return mt;
  }
  return -1;
}

/**
 * `try_to_claim_block`: counts the free and movable frames of the pageblock
 * holding `pfn`; if half the block or more is free or of a compatible kind,
 * moves every free block in it to `startMt`'s lists and retypes the
 * pageblock. Returns whether it did.
 */
function tryClaimBlock(
  ctx: FreeAreaContext,
  zone: Zone,
  pfn: number,
  startMt: number,
  blockMt: number,
): boolean {
  const blockPages = 1 << ctx.pageblockOrder;
  const start = pfn & ~(blockPages - 1);
  const end = start + blockPages;
  if (start < zone.startPfn || end > zone.startPfn + zone.spanned) return false;
  let free = 0;
  let movable = 0;
  for (let p = start; p < end; ) {
    if ((ctx.flags[p] as number) >>> PAGE_TYPE_SHIFT === PageType.buddy) {
      const o = ctx.private[p] as number;
      free += 1 << o;
      p += 1 << o;
      continue;
    }
    if (((ctx.flags[p] as number) & LRU_BIT) !== 0) movable++;
    p++;
  }
  let alike = 0;
  if (startMt === MigrateType.Movable) alike = movable;
  else if (blockMt === MigrateType.Movable) alike = blockPages - (free + movable);
  if (free + alike < blockPages >>> 1) return false;
  for (let p = start; p < end; ) {
    if ((ctx.flags[p] as number) >>> PAGE_TYPE_SHIFT === PageType.buddy) {
      const o = ctx.private[p] as number;
      const mt = ctx.mapping[p] as number;
      delFromFreeList(ctx, zone, p, o, mt);
      addToFreeList(ctx, zone, p, o, startMt, true);
      p += 1 << o;
    } else {
      p++;
    }
  }
  ctx.pageblockMigratetype[start >>> ctx.pageblockOrder] = startMt;
  return true;
}

/**
 * `__rmqueue_fallback`: `startMt`'s lists are empty; take from another
 * type. The largest fallback block is preferred (it stands for the
 * pageblock with the most free frames), except that a movable request that
 * may not claim the block splits the smallest one instead, to fragment less.
 */
export function rmqueueFallback(
  ctx: FreeAreaContext,
  zone: Zone,
  order: number,
  startMt: number,
): number {
  if (startMt >= MIGRATE_PCPTYPES) return -1;
  for (let o = MAX_ORDER; o >= order; o--) {
    const fallbackMt = findSuitableFallback(zone, o, startMt);
    if (fallbackMt < 0) continue;
    const canSteal = canStealFallback(ctx, o, startMt);
    if (!canSteal && startMt === MigrateType.Movable && o > order) {
      for (let small = order; small <= MAX_ORDER; small++) {
        const mt = findSuitableFallback(zone, small, startMt);
        if (mt >= 0)
          return stealFallback(
            ctx,
            zone,
            small,
            order,
            startMt,
            mt,
            canStealFallback(ctx, small, startMt),
          );
      }
      return -1;
    }
    return stealFallback(ctx, zone, o, order, startMt, fallbackMt, canSteal);
  }
  return -1;
}

function stealFallback(
  ctx: FreeAreaContext,
  zone: Zone,
  current: number,
  order: number,
  startMt: number,
  fallbackMt: number,
  canSteal: boolean,
): number {
  const pfn = zone.freeHeads[freeListIndex(current, fallbackMt)] as number;
  if (current >= ctx.pageblockOrder) {
    // Whole pageblocks change hands.
    delFromFreeList(ctx, zone, pfn, current, fallbackMt);
    setBlockRange(ctx, pfn, current, startMt);
    expand(ctx, zone, pfn, order, current, startMt);
    return pfn;
  }
  if (canSteal && tryClaimBlock(ctx, zone, pfn, startMt, fallbackMt)) {
    return rmqueueSmallest(ctx, zone, order, startMt);
  }
  delFromFreeList(ctx, zone, pfn, current, fallbackMt);
  expand(ctx, zone, pfn, order, current, fallbackMt);
  return pfn;
}

/** `__rmqueue`: a block of `order` for `mt`, from its own lists or by fallback; -1 if the zone has none. */
export function rmqueue(ctx: FreeAreaContext, zone: Zone, order: number, mt: number): number {
  const pfn = rmqueueSmallest(ctx, zone, order, mt);
  if (pfn >= 0) return pfn;
  return rmqueueFallback(ctx, zone, order, mt);
}
