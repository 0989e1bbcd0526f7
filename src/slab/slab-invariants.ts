/**
 * `SlabCache.checkInvariants` (slab.ts): the consistency check of a SLAB
 * cache against its slabs, for tests.
 */

import { showAddress } from '../page/address.js';
import { KernelBug } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import type { SlabCache } from './slab.js';
import { getFreeObj, MAX_COLOUR, slabActive, slabFreelist, slabMemStart } from './slab-layout.js';
import { listOf } from './slab-node.js';

/**
 * Checks the cache against its slabs (a scan of mem_map): each slab is
 * on exactly the list its active count names, the freelist index arrays
 * agree with the active counts, array-cache entries are free objects of
 * this cache's slabs, shadow bits mark exactly the live objects, and the
 * node counters agree with the lists.
 */
export function checkSlabCacheInvariants(cache: SlabCache): void {
  const slab = cache.slab;
  const m = slab.memMap;
  const bug = (msg: string): never => {
    throw new KernelBug(`checkInvariants: cache ${cache.name}: ${msg}`);
  };
  // Array caches: free objects, each once.
  const cached = new Set<number>();
  const addCached = (obj: number, what: string): void => {
    const head = m.compoundHead(Math.floor(obj / cache.pageSize));
    if (!m.testFlag(head, PG.slab) || m.mapping[head] !== cache.id)
      bug(`${what} holds ${showAddress(obj)}, not an object of this cache's slabs`);
    const offset = obj - slabMemStart(cache, head) - cache.objOffset;
    if (offset < 0 || offset % cache.size !== 0 || offset / cache.size >= cache.num)
      bug(`${what} holds ${showAddress(obj)}, not an object start`);
    if (slab.shadowTest(obj)) bug(`${what} holds live object ${showAddress(obj)}`);
    if (cached.has(obj)) bug(`${what} holds ${showAddress(obj)} twice`);
    cached.add(obj);
  };
  for (let cpu = 0; cpu < cache.acAvail.length; cpu++) {
    const avail = cache.acAvail[cpu] as number;
    if (avail < 0 || avail > cache.limit) bug(`cpu ${cpu} array avail ${avail} outside 0..limit`);
    for (let i = 0; i < avail; i++) {
      addCached(cache.acEntry[cpu * cache.limit + i] as number, `cpu ${cpu} array cache`);
    }
  }
  if (cache.sharedAvail < 0 || cache.sharedAvail > cache.sharedEntry.length)
    bug(`shared avail ${cache.sharedAvail} outside its limit`);
  for (let i = 0; i < cache.sharedAvail; i++) {
    addCached(cache.sharedEntry[i] as number, 'shared array');
  }
  // Lists: each slab on one list, the one its active count names.
  const onList = new Map<number, number>();
  const names = ['slabs_full', 'slabs_partial', 'slabs_free'];
  for (let list = 0; list < 3; list++) {
    const first = cache.lists[list] as number;
    if (first < 0) continue;
    let pfn = first;
    do {
      if (onList.has(pfn)) bug(`slab ${pfn} is on ${names[list]} and on a list before`);
      onList.set(pfn, list);
      if (m.mapping[pfn] !== cache.id || !m.testFlag(pfn, PG.slab))
        bug(`${names[list]} links pfn ${pfn}, not a slab of this cache`);
      if (listOf(cache, pfn) !== list)
        bug(
          `slab ${pfn} with ${slabActive(cache, pfn)} of ${cache.num} active is on ${names[list]}`,
        );
      if (m.next[m.prev[pfn] as number] !== pfn) bug(`slab ${pfn}'s links disagree`);
      pfn = m.next[pfn] as number;
      if (onList.size > cache.totalSlabs) bug(`${names[list]} is longer than total_slabs`);
    } while (pfn !== first);
  }
  let slabs = 0;
  let freeSlabs = 0;
  let freeObjects = 0;
  let live = 0;
  let cachedSeen = 0;
  for (let pfn = 0; pfn < m.frames; pfn++) {
    if (!m.testFlag(pfn, PG.slab) || m.mapping[pfn] !== cache.id) continue;
    slabs++;
    if (!onList.has(pfn)) bug(`slab ${pfn} is on no list`);
    if (slab.buddy.allocatedOrder(pfn) !== cache.gfporder)
      bug(`slab ${pfn} is not an allocated block of order ${cache.gfporder}`);
    const active = slabActive(cache, pfn);
    if (active > cache.num) bug(`slab ${pfn} has active ${active} > num ${cache.num}`);
    if (active === 0) freeSlabs++;
    freeObjects += cache.num - active;
    const slot = ((m.private[pfn] as number) >>> 16) & MAX_COLOUR;
    if (slot >= Math.max(1, cache.colour)) bug(`slab ${pfn} has colour slot ${slot}`);
    const freelist = slabFreelist(cache, pfn);
    const sMem = slabMemStart(cache, pfn);
    if (cache.mgmt === 'objfreelist') {
      if (freelist < 0 !== (active === cache.num))
        bug(`slab ${pfn} has active ${active} and freelist ${freelist}`);
    } else if (cache.mgmt === 'off-slab') {
      if (!slab.shadowTest(freelist)) bug(`slab ${pfn}'s off-slab freelist ${freelist} is free`);
    }
    const free = new Uint8Array(cache.num);
    for (let i = active; i < cache.num; i++) {
      const idx = getFreeObj(cache, freelist, i);
      if (idx >= cache.num) bug(`slab ${pfn} freelist entry ${i} is ${idx}, beyond num`);
      if (free[idx] === 1) bug(`slab ${pfn} freelist names object ${idx} twice`);
      free[idx] = 1;
    }
    if (cache.mgmt === 'objfreelist' && freelist >= 0) {
      const home = (freelist - cache.objOffset - sMem) / cache.size;
      if (!Number.isInteger(home) || free[home] !== 1)
        bug(`slab ${pfn}'s freelist lives in object ${home}, which is not free`);
    }
    for (let i = 0; i < cache.num; i++) {
      const obj = sMem + i * cache.size + cache.objOffset;
      const inArray = cached.has(obj);
      if (inArray) {
        cachedSeen++;
        if (free[i] === 1)
          bug(`object ${showAddress(obj)} is in an array cache and on its slab's freelist`);
      }
      const isLive = free[i] === 0 && !inArray;
      if (slab.shadowTest(obj) !== isLive)
        bug(`object ${showAddress(obj)} is ${isLive ? 'allocated' : 'free'} but marked otherwise`);
      if (isLive) live++;
    }
  }
  if (cachedSeen !== cached.size) bug('array caches hold objects of slabs not found');
  if (slabs !== onList.size) bug(`${onList.size} slabs on the lists, ${slabs} in mem_map`);
  if (slabs !== cache.totalSlabs) bug(`${slabs} slabs, total_slabs says ${cache.totalSlabs}`);
  if (freeSlabs !== cache.freeSlabs)
    bug(`${freeSlabs} free slabs, free_slabs says ${cache.freeSlabs}`);
  if (freeObjects !== cache.freeObjects)
    bug(`${freeObjects} free objects in slabs, free_objects says ${cache.freeObjects}`);
  if (live !== cache.liveObjects)
    bug(`${live} live objects in slabs, the cache counted ${cache.liveObjects}`);
}
