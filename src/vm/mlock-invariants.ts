/**
 * `checkMlockInvariants`: what memory locking promises, checked from
 * scratch (page-mlock.ts, syscalls/mlock.ts). Costs O(frames + PTEs of
 * the locked VMAs): for tests.
 *
 * - VM_LOCKONFAULT appears only with VM_LOCKED, on a VMA and in an
 *   address space's `defFlags`, which hold nothing but those two.
 * - For each frame, `locked` is the number of present PTEs of VM_LOCKED
 *   VMAs, in every address space, that map it (the zero page aside). A
 *   frame with `locked > 0` has PG_mlocked and sits on the unevictable LRU
 *   with an mlock count of exactly `locked`; a frame with `locked = 0` has
 *   no PG_mlocked, and no page is on the unevictable list without it.
 * - Each zone's NR_MLOCK is the number of its frames with PG_mlocked.
 */
import { KernelBug } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import type { VmSystem } from './vm-system.js';
import { VM_LOCKED, VM_LOCKED_MASK, VM_LOCKONFAULT } from './vma.js';

function bug(message: string): never {
  throw new KernelBug(`checkInvariants: ${message}`);
}

/** Present PTEs of VM_LOCKED VMAs mapping each frame. */
function lockedMappings(vm: VmSystem): Map<number, number> {
  const locked = new Map<number, number>();
  const geo = vm.geo;
  const fmt = geo.format;
  for (const mm of vm.addressSpaces) {
    if ((mm.defFlags & ~VM_LOCKED_MASK) !== 0 || mm.defFlags === VM_LOCKONFAULT) {
      bug(`an address space's def_flags are 0x${mm.defFlags.toString(16)}`);
    }
    for (const vma of mm.vmas.all()) {
      if ((vma.flags & VM_LOCKED_MASK) === VM_LOCKONFAULT) {
        bug(`VMA 0x${vma.start.toString(16)} has VM_LOCKONFAULT without VM_LOCKED`);
      }
      if ((vma.flags & VM_LOCKED) === 0) continue;
      mm.forEachPteSlot(vma.start, vma.end, (_va, slot) => {
        const lo = geo.readLo(slot);
        const hi = geo.readHi(slot);
        if (!fmt.present(lo, hi)) return;
        const pfn = fmt.pfn(lo, hi);
        if (pfn !== vm.zeroPfn) locked.set(pfn, (locked.get(pfn) ?? 0) + 1);
      });
    }
  }
  return locked;
}

/**
 * Throws `KernelBug` naming the first broken invariant of memory locking
 * (see the module comment); returns nothing when all hold.
 */
export function checkMlockInvariants(vm: VmSystem): void {
  const m = vm.buddy.memMap;
  const locked = lockedMappings(vm);
  const zoneMlocked = new Int32Array(vm.mlock.zoneMlocked.length);
  const mlockedBit = 1 << PG.mlocked;
  const unevictableLru = (1 << PG.unevictable) | (1 << PG.lru);
  for (let pfn = 0; pfn < m.frames; pfn++) {
    const flags = m.flags[pfn] as number;
    const count = locked.get(pfn) ?? 0;
    const mlocked = (flags & mlockedBit) !== 0;
    if (count > 0) {
      if (!mlocked) bug(`pfn ${pfn} is mapped by ${count} locked PTEs but is not PG_mlocked`);
      if ((flags & unevictableLru) !== unevictableLru)
        bug(`mlocked pfn ${pfn} is not on the unevictable LRU`);
      if (m.prev[pfn] !== count)
        bug(`pfn ${pfn} has mlock count ${m.prev[pfn]}, but ${count} locked PTEs map it`);
    } else {
      if (mlocked) bug(`pfn ${pfn} is PG_mlocked, but no locked PTE maps it`);
      if ((flags & unevictableLru) === unevictableLru)
        bug(`pfn ${pfn} is on the unevictable LRU, but no locked PTE maps it`);
    }
    if (mlocked) {
      const z = vm.buddy.zoneOf(pfn).index;
      zoneMlocked[z] = (zoneMlocked[z] as number) + 1;
    }
  }
  for (let z = 0; z < zoneMlocked.length; z++) {
    if (zoneMlocked[z] !== vm.mlock.zoneMlocked[z]) {
      bug(
        `zone ${vm.buddy.zones[z]?.name} counts ${vm.mlock.zoneMlocked[z]} mlocked pages (NR_MLOCK), ${zoneMlocked[z]} are PG_mlocked`,
      );
    }
  }
}
