/**
 * `checkReclaimInvariants`: what the LRU lists and swap promise, checked
 * from scratch. Costs O(LRU pages + page tables + swap slots): for tests.
 *
 * - The LRU lists are well formed (lru.ts), and each page on them is a
 *   user page of a known kind: anonymous (PG_anon, with a live or dead
 *   anon_vma), shmem (a live object holds it at its `index`), or page cache
 *   (the cache holds it at its `index`), or it sits in the swap cache.
 * - Every page-cache and shmem page is on a list.
 * - The swap area is consistent (swap-area.ts), each page in its swap cache
 *   has PG_swapcache and `private` = its slot and is on the LRU, and no other
 *   page has PG_swapcache.
 * - Each slot's count equals the PTEs holding its entry plus the shmem
 *   offsets holding it; with no swap, no PTE holds a swap entry.
 */

import { showAddress } from '../../page/address.js';
import { KernelBug } from '../../page/errors.js';
import { PG } from '../../page/page-flags.js';
import { existingPageCache } from '../fs/page-cache.js';
import { isGuardPte, pteToSwapEntry } from '../pte.js';
import type { VmSystem } from '../vm-system.js';
import type { SwapSystem } from './swap.js';

function bug(message: string): never {
  throw new KernelBug(`checkInvariants: ${message}`);
}

/**
 * Throws `KernelBug` naming the first broken invariant of reclaim and swap
 * (see the module comment); returns nothing when all hold.
 */
export function checkReclaimInvariants(vm: VmSystem, swap: SwapSystem | null): void {
  const m = vm.buddy.memMap;
  const cache = vm.vfs === null ? null : existingPageCache(vm.vfs);
  const onLru = new Set<number>();
  vm.lru.checkInvariants((pfn) => {
    onLru.add(pfn);
    if (m.testFlag(pfn, PG.slab) || m.pageType(pfn) !== 0)
      bug(`pfn ${pfn} is on an LRU list but is a kernel page`);
    if (m.testFlag(pfn, PG.swapcache)) return;
    if (m.testFlag(pfn, PG.anon)) {
      if ((m.mapcount[pfn] as number) === 0)
        bug(`anonymous pfn ${pfn} is on an LRU list, unmapped and not in the swap cache`);
      return;
    }
    const id = m.mapping[pfn] as number;
    const index = m.index[pfn] as number;
    if (m.testFlag(pfn, PG.swapbacked)) {
      const shared = vm.shmemObjects.get(id);
      if (shared?.pages.get(index) !== pfn)
        bug(`shmem pfn ${pfn} is on an LRU list, but object ${id} does not hold it at ${index}`);
      return;
    }
    const inode = cache?.inodeOf(id);
    if (inode === undefined || cache?.lookup(inode, index) !== pfn)
      bug(
        `file pfn ${pfn} is on an LRU list, but the page cache does not hold it (inode ${id}, page ${index})`,
      );
  });
  for (const shared of vm.shmemObjects.values()) {
    for (const [index, pfn] of shared.pages) {
      if (!onLru.has(pfn))
        bug(`shmem object ${shared.id} holds pfn ${pfn} at ${index}, which is on no LRU list`);
    }
  }
  cache?.forEachPage((inode, index, pfn) => {
    if (!onLru.has(pfn))
      bug(`page ${index} of inode ${inode.ino} is cached in pfn ${pfn}, which is on no LRU list`);
  });
  checkSwap(vm, swap, onLru);
}

/** Swap cache and slot counts against the PTEs and shmem objects holding entries. */
function checkSwap(vm: VmSystem, swap: SwapSystem | null, onLru: Set<number>): void {
  const m = vm.buddy.memMap;
  const held = new Map<number, number>();
  const fmt = vm.geo.format;
  for (const mm of vm.addressSpaces) {
    for (const vma of mm.vmas.all()) {
      mm.forEachPteSlot(vma.start, vma.end, (va, slot) => {
        const lo = vm.geo.readLo(slot);
        const hi = vm.geo.readHi(slot);
        if ((lo | hi) === 0 || fmt.present(lo, hi) || isGuardPte(vm.arch, lo, hi)) return;
        if (swap === null)
          bug(`a PTE at ${showAddress(va)} holds a swap entry, but there is no swap`);
        const entry = pteToSwapEntry(vm.arch, lo, hi);
        if (entry.type !== swap.area.type)
          bug(`a PTE at ${showAddress(va)} holds swap type ${entry.type}`);
        held.set(entry.offset, (held.get(entry.offset) ?? 0) + 1);
      });
    }
  }
  for (const shared of vm.shmemObjects.values()) {
    for (const [index, slot] of shared.swapped) {
      if (swap === null) bug(`shmem object ${shared.id} holds a swap slot without swap`);
      if (shared.pages.has(index))
        bug(`shmem object ${shared.id} has offset ${index} both resident and swapped`);
      held.set(slot, (held.get(slot) ?? 0) + 1);
    }
  }
  if (swap === null) return;
  const area = swap.area;
  area.checkInvariants();
  for (let slot = 1; slot <= area.total; slot++) {
    const count = area.count(slot);
    const refs = held.get(slot) ?? 0;
    if (count !== refs) bug(`swap slot ${slot} has count ${count}, but ${refs} entries hold it`);
    const pfn = area.cacheLookup(slot);
    if (pfn < 0) continue;
    if (!m.testFlag(pfn, PG.swapcache) || m.private[pfn] !== slot)
      bug(
        `pfn ${pfn} is in the swap cache at slot ${slot} without PG_swapcache and private ${slot}`,
      );
    if (!onLru.has(pfn)) bug(`swap cache pfn ${pfn} (slot ${slot}) is on no LRU list`);
    if ((m.refcount[pfn] as number) < (m.mapcount[pfn] as number) + 1)
      bug(
        `swap cache pfn ${pfn} has refcount ${m.refcount[pfn]}, below its mappings and the cache`,
      );
  }
  for (const pfn of onLru) {
    if (m.testFlag(pfn, PG.swapcache) && area.cacheLookup(m.private[pfn] as number) !== pfn)
      bug(`pfn ${pfn} has PG_swapcache, but slot ${m.private[pfn]} does not cache it`);
  }
}
