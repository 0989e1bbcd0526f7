/**
 * `checkBuddyInvariants`: everything the page allocator promises about its
 * state, checked from scratch. It walks every list and every frame, so it
 * costs O(frames): for tests and debugging, never for hot paths.
 *
 * - Every frame of every zone is in exactly one state: in one free block
 *   on one free list, on one per-CPU list, in one allocated block, or
 *   reserved.
 * - A free block is aligned to its order, inside its zone, marked as a
 *   buddy head with its order, on the list of its pageblock's migratetype,
 *   and not mergeable with a free buddy of the same order.
 * - List links are consistent both ways; list lengths, `nr_free` and
 *   NR_FREE_PAGES agree with what the lists hold; pcp counts agree with
 *   the pcp lists.
 * - Free and pcp frames hold no references and no mappings; allocated
 *   blocks hold at least one reference; compound pages are well formed.
 */
import { MIGRATE_PCPTYPES, MIGRATE_TYPES } from '../gfp/migratetype.js';
import { KernelBug } from '../page/errors.js';
import {
  ALLOC_ORDER_MASK,
  ALLOC_ORDER_SHIFT,
  PAGE_TYPE_SHIFT,
  PageType,
  PG,
} from '../page/page-flags.js';
import type { BuddyAllocator } from './buddy-allocator.js';
import { MAX_ORDER, NR_PCP_LISTS, PCP_COUNT, type Zone } from './zone.js';

const FREE = 1;
const PCP = 2;
const ALLOCATED = 3;
const RESERVED = 4;
const STATE_NAMES = ['in no state', 'free', 'on a pcp list', 'allocated', 'reserved'];

function bug(message: string): never {
  throw new KernelBug(`checkInvariants: ${message}`);
}

/** Walks a circular list, checking links, and calls `visit` on each entry; returns the length. */
function walkList(
  next: Int32Array,
  prev: Int32Array,
  first: number,
  limit: number,
  what: string,
  visit: (pfn: number) => void,
): number {
  if (first < 0) return 0;
  let n = 0;
  let pfn = first;
  do {
    if (pfn < 0 || pfn >= next.length) bug(`${what} links to pfn ${pfn}, outside mem_map`);
    if (next[prev[pfn] as number] !== pfn)
      bug(`${what}: pfn ${pfn}'s prev ${prev[pfn]} does not link back to it`);
    visit(pfn);
    if (++n > limit) bug(`${what} is longer than its zone (a cycle that misses its head?)`);
    pfn = next[pfn] as number;
  } while (pfn !== first);
  return n;
}

/** Throws `KernelBug` naming the first broken invariant of the page allocator. */
export function checkBuddyInvariants(buddy: BuddyAllocator): void {
  const m = buddy.memMap;
  const frames = m.frames;
  const state = new Uint8Array(frames);
  const pbOrder = buddy.pageblockOrder;

  const mark = (pfn: number, count: number, s: number, what: string): void => {
    for (let i = pfn; i < pfn + count; i++) {
      if (state[i] !== 0)
        bug(`pfn ${i} is both ${STATE_NAMES[state[i] as number]} and ${STATE_NAMES[s]} (${what})`);
      state[i] = s;
    }
  };

  for (const zone of buddy.zones) {
    checkFreeLists(buddy, zone, mark, pbOrder);
    checkPcpLists(buddy, zone, mark);
  }

  for (let pfn = 0; pfn < frames; pfn++) {
    const flags = m.flags[pfn] as number;
    if ((flags & (1 << PG.reserved)) !== 0) {
      mark(pfn, 1, RESERVED, 'PG_reserved');
      if ((m.refcount[pfn] as number) < 1)
        bug(`reserved pfn ${pfn} has refcount ${m.refcount[pfn]}`);
    }
    if ((flags & (1 << PG.allocated)) !== 0) {
      const order = (flags >>> ALLOC_ORDER_SHIFT) & ALLOC_ORDER_MASK;
      if (order > MAX_ORDER || (pfn & ((1 << order) - 1)) !== 0 || pfn + (1 << order) > frames) {
        bug(`allocated block at pfn ${pfn} has a bad order ${order}`);
      }
      mark(pfn, 1 << order, ALLOCATED, `allocated block of order ${order} at pfn ${pfn}`);
      if ((m.refcount[pfn] as number) < 1)
        bug(`allocated pfn ${pfn} has refcount ${m.refcount[pfn]}`);
      if ((flags & (1 << PG.head)) !== 0) checkCompound(buddy, pfn, order);
    }
  }

  for (const zone of buddy.zones) {
    for (let pfn = zone.startPfn; pfn < zone.endPfn; pfn++) {
      if (state[pfn] === 0)
        bug(
          `pfn ${pfn} in zone ${zone.name} is in no state: not free, allocated or reserved (leaked)`,
        );
      if (
        (state[pfn] === FREE || state[pfn] === PCP) &&
        ((m.refcount[pfn] as number) !== 0 || (m.mapcount[pfn] as number) !== 0)
      ) {
        bug(`free pfn ${pfn} has refcount ${m.refcount[pfn]} and mapcount ${m.mapcount[pfn]}`);
      }
    }
  }
}

function checkFreeLists(
  buddy: BuddyAllocator,
  zone: Zone,
  mark: (pfn: number, count: number, s: number, what: string) => void,
  pbOrder: number,
): void {
  const m = buddy.memMap;
  let total = 0;
  for (let order = 0; order <= MAX_ORDER; order++) {
    let blocks = 0;
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
      const list = order * MIGRATE_TYPES + mt;
      const what = `zone ${zone.name} free list order ${order} type ${mt}`;
      const n = walkList(
        m.next,
        m.prev,
        zone.freeHeads[list] as number,
        zone.spanned,
        what,
        (pfn) => {
          if (!zone.contains(pfn) || pfn + (1 << order) > zone.endPfn)
            bug(`${what}: block at pfn ${pfn} leaves the zone`);
          if ((pfn & ((1 << order) - 1)) !== 0)
            bug(`${what}: block at pfn ${pfn} is not aligned to its order`);
          if ((m.flags[pfn] as number) >>> PAGE_TYPE_SHIFT !== PageType.buddy)
            bug(`${what}: pfn ${pfn} is not marked PageBuddy`);
          if (m.private[pfn] !== order) bug(`${what}: pfn ${pfn} records order ${m.private[pfn]}`);
          if (m.mapping[pfn] !== mt)
            bug(`${what}: pfn ${pfn} records migratetype ${m.mapping[pfn]}`);
          const firstBlock = pfn >>> pbOrder;
          const blocksCovered = order > pbOrder ? 1 << (order - pbOrder) : 1;
          for (let b = firstBlock; b < firstBlock + blocksCovered; b++) {
            if (buddy.pageblockMigratetype[b] !== mt) {
              bug(
                `${what}: pfn ${pfn} lies in pageblock ${b} of migratetype ${buddy.pageblockMigratetype[b]}`,
              );
            }
          }
          if (order < MAX_ORDER) {
            const other = pfn ^ (1 << order);
            if (
              zone.contains(other) &&
              (m.flags[other] as number) >>> PAGE_TYPE_SHIFT === PageType.buddy &&
              m.private[other] === order
            ) {
              const otherMt = m.mapping[other] as number;
              if (otherMt === mt || (otherMt < MIGRATE_PCPTYPES && mt < MIGRATE_PCPTYPES)) {
                bug(`${what}: free buddies at pfn ${pfn} and ${other} were not merged`);
              }
            }
          }
          mark(pfn, 1 << order, 1, what);
        },
      );
      if (n !== zone.freeCounts[list])
        bug(`${what} holds ${n} blocks, its count says ${zone.freeCounts[list]}`);
      blocks += n;
    }
    if (blocks !== zone.nrFree[order])
      bug(
        `zone ${zone.name} order ${order} holds ${blocks} blocks, nr_free says ${zone.nrFree[order]}`,
      );
    total += blocks << order;
  }
  if (total !== zone.freePages)
    bug(`zone ${zone.name} free lists hold ${total} frames, NR_FREE_PAGES says ${zone.freePages}`);
}

function checkPcpLists(
  buddy: BuddyAllocator,
  zone: Zone,
  mark: (pfn: number, count: number, s: number, what: string) => void,
): void {
  const m = buddy.memMap;
  zone.pcp.forEach((pcp, cpu) => {
    let frames = 0;
    for (let list = 0; list < NR_PCP_LISTS; list++) {
      const order = Math.floor(list / MIGRATE_PCPTYPES);
      const what = `zone ${zone.name} cpu ${cpu} pcp list ${list}`;
      let n = 0;
      for (let pfn = pcp.heads[list] as number; pfn >= 0; pfn = m.next[pfn] as number) {
        if (++n > zone.spanned) bug(`${what} is longer than its zone (a cycle?)`);
        if (!zone.contains(pfn) || (pfn & ((1 << order) - 1)) !== 0)
          bug(`${what}: pfn ${pfn} is outside the zone or misaligned`);
        if ((m.flags[pfn] as number) >>> PAGE_TYPE_SHIFT !== PageType.pcp)
          bug(`${what}: pfn ${pfn} is not marked as a pcp page`);
        mark(pfn, 1 << order, PCP, what);
      }

      frames += n << order;
    }
    if (frames !== pcp.ints[PCP_COUNT])
      bug(
        `zone ${zone.name} cpu ${cpu} pcp holds ${frames} frames, count says ${pcp.ints[PCP_COUNT]}`,
      );
  });
}

function checkCompound(buddy: BuddyAllocator, head: number, order: number): void {
  const m = buddy.memMap;
  if (order === 0) bug(`pfn ${head} is a compound head of order 0`);
  if (m.compoundOrder(head) !== order)
    bug(
      `compound page at pfn ${head} records order ${m.compoundOrder(head)}, allocated as ${order}`,
    );
  for (let i = 1; i < 1 << order; i++) {
    if (!m.PageTail(head + i) || m.compoundHead(head + i) !== head)
      bug(`pfn ${head + i} is not a tail of compound page ${head}`);
  }
}
