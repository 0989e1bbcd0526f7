/**
 * SLOB's invariants, checked from scratch. `takeSlobCensus` walks the free
 * lists, every SLOB page (its free chain, then its allocated blocks by
 * their headers) and every page-backed object, checking each, and counts
 * objects per owner; `checkSlobInvariants` compares those counts with the
 * allocator's and each cache's, and the object shadow with them. A walk
 * costs O(frames + blocks): for tests, debugging and the slabinfo scan
 * (`SlobAllocator.census` keeps the last one until the next change).
 */

import { showAddress } from '../page/address.js';
import { KernelBug } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import type { SlobAllocator } from './slob.js';
import { SlobCache } from './slob-cache.js';
import { CACHE_HEADER, KMALLOC_OWNER, listFor, MINALIGN, SLOB_MAPPING } from './slob-heap.js';

/** What a walk over every SLOB page finds (`checkInvariants`, slabinfo). */
export interface SlobCensus {
  /** Live small kmalloc objects. */
  kmalloc: number;
  /** Live objects per cache id. */
  live: Map<number, number>;
  /** Constructed free objects per cache id. */
  cached: Map<number, number>;
  /** Pages holding at least one object per cache id. */
  pages: Map<number, number>;
}

function bug(msg: string): never {
  throw new KernelBug(`checkInvariants: slob: ${msg}`);
}

/**
 * Walks every SLOB page and page-backed object, checking each page's
 * blocks, and counts objects per owner. Throws `KernelBug` naming the
 * first broken invariant.
 *
 * @internal
 */
export function takeSlobCensus(slob: SlobAllocator): SlobCensus {
  const m = slob.memMap;
  // The free lists.
  const onList = new Map<number, number>();
  for (let list = 0; list < 3; list++) {
    const first = slob.freeSlobLists[list] as number;
    if (first < 0) continue;
    let sp = first;
    do {
      if (sp < 0 || sp >= m.frames || !slob.isSlobPage(sp))
        bug(`free list ${list} holds pfn ${sp}, not a SLOB page`);
      if (onList.has(sp)) bug(`pfn ${sp} is on a free list twice`);
      onList.set(sp, list);
      const next = m.next[sp] as number;
      if (next < 0 || m.prev[next] !== sp) bug(`free list ${list} is broken at pfn ${sp}`);
      sp = next;
      if (onList.size > m.frames) bug(`free list ${list} loops`);
    } while (sp !== first);
  }
  // Constructed free objects kept by caches.
  const cachedAt = new Map<number, SlobCache>();
  for (const cache of slob.caches) {
    if (!(cache instanceof SlobCache)) continue;
    for (const pa of cache.cachedObjects()) {
      if (cachedAt.has(pa)) bug(`object ${showAddress(pa)} is kept free twice`);
      if (slob.shadowTest(pa))
        bug(`object ${showAddress(pa)} of ${cache.name} is kept free but marked live`);
      cachedAt.set(pa, cache);
    }
  }
  const census: SlobCensus = {
    kmalloc: 0,
    live: new Map(),
    cached: new Map(),
    pages: new Map(),
  };
  let slobPages = 0;
  let pageBacked = 0;
  let cachedSeen = 0;
  const countObject = (cache: SlobCache, pa: number): void => {
    if (slob.shadowTest(pa)) {
      census.live.set(cache.id, (census.live.get(cache.id) ?? 0) + 1);
    } else if (cachedAt.get(pa) === cache) {
      census.cached.set(cache.id, (census.cached.get(cache.id) ?? 0) + 1);
      cachedSeen++;
    } else {
      bug(`object ${showAddress(pa)} of ${cache.name} is neither live nor kept free`);
    }
  };
  for (let pfn = 0; pfn < m.frames; pfn++) {
    if (!m.testFlag(pfn, PG.slab)) continue;
    const mapping = m.mapping[pfn] as number;
    if (mapping === SLOB_MAPPING) {
      slobPages++;
      checkPage(slob, pfn, onList.get(pfn), census, countObject);
      continue;
    }
    const cache = slob.cacheWithId(mapping);
    if (!(cache instanceof SlobCache) || cache.slobBacked)
      bug(`pfn ${pfn} is a slab page of ${mapping}, not a page-backed SLOB cache`);
    const owner = cache as SlobCache;
    if (slob.buddy.allocatedOrder(pfn) !== owner.pageOrder)
      bug(`pfn ${pfn} of ${owner.name} has the wrong order`);
    countObject(owner, pfn * slob.arch.pageSize);
    census.pages.set(owner.id, (census.pages.get(owner.id) ?? 0) + 2 ** owner.pageOrder);
    pageBacked += 2 ** owner.pageOrder;
  }
  if (slobPages !== slob.slobPages)
    bug(`${slobPages} SLOB pages in mem_map, slobPages says ${slob.slobPages}`);
  if (pageBacked !== slob.pageBackedPages)
    bug(`${pageBacked} page-backed object pages, pageBackedPages says ${slob.pageBackedPages}`);
  if (cachedSeen !== cachedAt.size)
    bug(`${cachedAt.size - cachedSeen} kept free objects are not in any block`);
  return census;
}

/** Checks one SLOB page: its free chain, its allocated blocks, its list. */
function checkPage(
  slob: SlobAllocator,
  pfn: number,
  list: number | undefined,
  census: SlobCensus,
  countObject: (cache: SlobCache, pa: number) => void,
): void {
  const m = slob.memMap;
  const u = slob.unit;
  const total = slob.pageUnits;
  const base = pfn * slob.arch.pageSize;
  if (slob.buddy.allocatedOrder(pfn) !== 0) bug(`SLOB page ${pfn} is not an order-0 allocation`);
  const units = m.private[pfn] as number;
  const onFree = m.testFlag(pfn, PG.private);
  if (onFree !== (list !== undefined)) bug(`SLOB page ${pfn}: PageSlobFree disagrees with lists`);
  if (onFree && !(units > 0 && units < total))
    bug(`SLOB page ${pfn} on a list has ${units} free units`);
  if (!onFree && units !== 0) bug(`SLOB page ${pfn} off the lists has ${units} free units`);
  const noShadow = (from: number, to: number, except: number, what: string): void => {
    for (let a = Math.ceil(from / 8) * 8; a < to; a += 8) {
      if (a !== except && slob.shadowTest(a))
        bug(`SLOB page ${pfn}: ${what} holds a live mark at ${a}`);
    }
  };
  // Free blocks, in address order, inside the page, not overlapping.
  const starts: number[] = [];
  const ends: number[] = [];
  if (onFree) {
    slob.selectPage(pfn);
    let s = m.index[pfn] as number;
    let end = 0;
    let sum = 0;
    for (;;) {
      if (!(s >= end && s < total))
        bug(`SLOB page ${pfn}: free block at unit ${s} out of order or outside`);
      // slob_free merges a block with its free neighbours: free blocks never touch.
      if (s === end && starts.length > 0)
        bug(`SLOB page ${pfn}: free blocks meeting at unit ${s} were not merged`);
      const size = slob.slobUnits(s);
      const next = slob.slobNext(s);
      if (s + size > total) bug(`SLOB page ${pfn}: free block at unit ${s} runs past the page`);
      starts.push(s);
      ends.push(s + size);
      noShadow(base + s * u, base + (s + size) * u, -1, `free block at unit ${s}`);
      sum += size;
      end = s + size;
      if (next === total) break;
      if (next <= s) bug(`SLOB page ${pfn}: free block at unit ${s} points back to ${next}`);
      s = next;
    }
    if (sum !== units) bug(`SLOB page ${pfn}: free blocks hold ${sum} units, units says ${units}`);
  }
  // Allocated blocks fill the gaps exactly; each carries its header.
  let cls = -1;
  let pos = 0;
  const owners = new Set<number>();
  for (let i = 0; i <= starts.length; i++) {
    const gapEnd = i < starts.length ? (starts[i] as number) : total;
    while (pos < gapEnd) {
      const blockPa = base + pos * u;
      let blockUnits: number;
      let blockClass: number;
      let obj: number;
      if (blockPa % 8 === 0) {
        const size = slob.memory.load32(blockPa);
        if (
          slob.memory.load32(blockPa + 4) !== KMALLOC_OWNER ||
          size < 1 ||
          size >= slob.arch.pageSize - MINALIGN
        )
          bug(`SLOB page ${pfn}: no kmalloc header at unit ${pos}`);
        blockUnits = Math.ceil((size + MINALIGN) / u);
        blockClass = listFor(size + MINALIGN);
        obj = blockPa + MINALIGN;
        if (!slob.shadowTest(obj))
          bug(`SLOB page ${pfn}: kmalloc object ${showAddress(obj)} is not marked live`);
        census.kmalloc++;
      } else if (blockPa % 8 === CACHE_HEADER) {
        const id = slob.memory.load32(blockPa);
        const cache = slob.cacheWithId(id);
        if (!(cache instanceof SlobCache) || !cache.slobBacked)
          bug(`SLOB page ${pfn}: block at unit ${pos} has owner ${id}, not a SLOB cache`);
        const owner = cache as SlobCache;
        blockUnits = Math.ceil(owner.blockBytes / u);
        blockClass = listFor(owner.objectSize);
        obj = blockPa + CACHE_HEADER;
        countObject(owner, obj);
        owners.add(id);
      } else {
        bug(`SLOB page ${pfn}: no block can start at unit ${pos}`);
      }
      if (pos + blockUnits > gapEnd)
        bug(`SLOB page ${pfn}: block at unit ${pos} overlaps a free block`);
      noShadow(blockPa, blockPa + blockUnits * u, obj, `block at unit ${pos}`);
      if (cls < 0) cls = blockClass;
      else if (cls !== blockClass)
        bug(`SLOB page ${pfn} mixes blocks of lists ${cls} and ${blockClass}`);
      pos += blockUnits;
    }
    if (i < starts.length) pos = ends[i] as number;
  }
  if (cls < 0) bug(`SLOB page ${pfn} has no allocated block but was not given back`);
  if (list !== undefined && list !== cls) bug(`SLOB page ${pfn} of list ${cls} is on list ${list}`);
  for (const id of owners) census.pages.set(id, (census.pages.get(id) ?? 0) + 1);
}

/**
 * Checks the counts of `census` (a fresh walk) against the allocator's
 * and every cache's, and the object shadow against them. Throws
 * `KernelBug` naming the first broken invariant.
 *
 * @internal
 */
export function checkSlobInvariants(
  slob: SlobAllocator,
  census: SlobCensus,
  shadow: Uint8Array,
): void {
  let live = census.kmalloc;
  for (const cache of slob.caches as readonly SlobCache[]) {
    cache.checkCensus(census);
    live += cache.liveObjects;
  }
  if (census.kmalloc !== slob.kmallocObjects) {
    throw new KernelBug(
      `checkInvariants: slob: ${census.kmalloc} kmalloc objects in memory, ${slob.kmallocObjects} counted`,
    );
  }
  let marked = 0;
  for (let i = 0; i < shadow.length; i++) {
    let b = shadow[i] as number;
    while (b !== 0) {
      b &= b - 1;
      marked++;
    }
  }
  if (marked !== live) {
    throw new KernelBug(`checkInvariants: ${marked} objects are marked live, SLOB holds ${live}`);
  }
}
