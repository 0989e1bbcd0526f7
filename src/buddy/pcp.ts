/**
 * Per-CPU page lists (`struct per_cpu_pages`): each CPU keeps small free
 * blocks (orders 0..PAGE_ALLOC_COSTLY_ORDER) of each pcp migratetype on
 * lists of its own, so that most allocations and frees touch no shared
 * free list. Lists are refilled from the buddy lists `batch` frames at a
 * time when empty (`rmqueue_bulk`), and trimmed by `batch` when they pass
 * `high` (`free_pcppages_bulk`). Frames on pcp lists are not counted in
 * NR_FREE_PAGES, as in Linux.
 *
 * A frame on a pcp list carries page type `pcp` (so a second free of it is
 * caught); its order is the list's. Lists are LIFO stacks linked through
 * `next` alone, which is what makes the fast path a pop and a push. Linux
 * links them both ways so that trimming can free the oldest (coldest)
 * blocks first; mmsim trims from the top, the most recently freed: a
 * simulated cache has no temperature, and every list operation stays O(1).
 * mmsim does not auto-tune `high` or scale batches under load
 * (`alloc_factor`, `free_count`).
 */
import { MIGRATE_PCPTYPES, MigrateType } from '../gfp/migratetype.js';
import { PAGE_TYPE_SHIFT, PageType } from '../page/page-flags.js';
import { type FreeAreaContext, freeOneBlock, pageblockMigratetype, rmqueue } from './free-area.js';
import {
  NR_PCP_LISTS,
  PCP_BATCH,
  PCP_COUNT,
  PCP_HIGH,
  type PerCpuPages,
  pcpListIndex,
  type Zone,
} from './zone.js';

const PCP_TYPE = PageType.pcp << PAGE_TYPE_SHIFT;

/** `nr_pcp_alloc` without auto-tuning: a batch for order 0, fewer for larger orders. */
function refillCount(batch: number, order: number): number {
  if (batch <= 1) return 1;
  return order === 0 ? batch : Math.max(batch >> order, 2);
}

/** Pushes a block on a pcp stack. */
function push(
  ctx: FreeAreaContext,
  pcp: PerCpuPages,
  list: number,
  pfn: number,
  order: number,
): void {
  // Blocks arrive with clean flags (fresh off a free list, or freed), so
  // the page type is the only thing to set.
  ctx.flags[pfn] = PCP_TYPE;
  ctx.next[pfn] = pcp.heads[list] as number;
  pcp.heads[list] = pfn;
  pcp.ints[PCP_COUNT] = (pcp.ints[PCP_COUNT] as number) + (1 << order);
}

/**
 * Pops the top block of a non-empty pcp stack. Its page type is left for
 * the caller to overwrite: `prep_new_page` or `__free_one_page` sets the
 * flags word next.
 */
function pop(ctx: FreeAreaContext, pcp: PerCpuPages, list: number, order: number): number {
  const pfn = pcp.heads[list] as number;
  pcp.heads[list] = ctx.next[pfn] as number;
  pcp.ints[PCP_COUNT] = (pcp.ints[PCP_COUNT] as number) - (1 << order);
  return pfn;
}

/**
 * `rmqueue_pcplist`: a block of `order` (at most PAGE_ALLOC_COSTLY_ORDER)
 * for `mt` from this CPU's list, refilled from the buddy lists when empty;
 * -1 if the zone has nothing.
 */
export function rmqueuePcplist(
  ctx: FreeAreaContext,
  zone: Zone,
  cpu: number,
  order: number,
  mt: number,
): number {
  const pcp = zone.pcp[cpu] as PerCpuPages;
  const list = pcpListIndex(order, mt);
  if ((pcp.heads[list] as number) < 0) {
    // rmqueue_bulk: a batch of blocks of this order goes on the list of the
    // requested type (the last one taken ends on top of the stack).
    const count = refillCount(pcp.ints[PCP_BATCH] as number, order);
    let taken = 0;
    for (; taken < count; taken++) {
      const block = rmqueue(ctx, zone, order, mt);
      if (block < 0) break;
      push(ctx, pcp, list, block, order);
    }
    if (taken === 0) return -1;
  }
  return pop(ctx, pcp, list, order);
}

/**
 * `free_pcppages_bulk`: returns `count` frames from this pcp to the buddy
 * lists, emptying the lists in turn, starting with list `first`.
 */
export function freePcppagesBulk(
  ctx: FreeAreaContext,
  zone: Zone,
  pcp: PerCpuPages,
  count: number,
  first: number,
): void {
  let left = Math.min(count, pcp.ints[PCP_COUNT] as number);
  let list = first - 1;
  while (left > 0) {
    do {
      list = list + 1 === NR_PCP_LISTS ? 0 : list + 1;
    } while ((pcp.heads[list] as number) < 0);
    const order = Math.floor(list / MIGRATE_PCPTYPES);
    do {
      const pfn = pop(ctx, pcp, list, order);
      left -= 1 << order;
      freeOneBlock(ctx, zone, pfn, order, pageblockMigratetype(ctx, pfn), false);
    } while (left > 0 && (pcp.heads[list] as number) >= 0);
  }
}

/**
 * `free_unref_page_commit`: a freed block goes to the front of this CPU's
 * list (it is cache-hot); past `high`, a batch goes back to the buddy lists.
 * Blocks of isolated pageblocks bypass the pcp lists; HighAtomic ones
 * travel on the movable list.
 */
export function freeToPcp(
  ctx: FreeAreaContext,
  zone: Zone,
  cpu: number,
  pfn: number,
  order: number,
): void {
  let mt = pageblockMigratetype(ctx, pfn);
  if (mt >= MIGRATE_PCPTYPES) {
    if (mt === MigrateType.Isolate) {
      freeOneBlock(ctx, zone, pfn, order, mt, false);
      return;
    }
    mt = MigrateType.Movable;
  }
  const pcp = zone.pcp[cpu] as PerCpuPages;
  const list = pcpListIndex(order, mt);
  push(ctx, pcp, list, pfn, order);
  const high = pcp.ints[PCP_HIGH] as number;
  if ((pcp.ints[PCP_COUNT] as number) >= high) {
    const batch = pcp.ints[PCP_BATCH] as number;
    freePcppagesBulk(ctx, zone, pcp, high < batch ? 1 : batch, list);
  }
}

/** `drain_zone_pages` for one CPU: everything on its lists goes back to the buddy lists. */
export function drainPcp(ctx: FreeAreaContext, zone: Zone, cpu: number): void {
  const pcp = zone.pcp[cpu] as PerCpuPages;
  freePcppagesBulk(ctx, zone, pcp, pcp.ints[PCP_COUNT] as number, 0);
}
