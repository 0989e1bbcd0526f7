/**
 * `kmap` (mm/highmem.c): on i386, frames above 896 MiB have no permanent
 * kernel address; the kernel maps one for a while in the persistent kmap
 * area (PKMAP_BASE, LAST_PKMAP = 1024 slots without PAE) and unmaps it when
 * done. Lowmem frames (every frame on 64-bit architectures) just return
 * their direct-map address.
 */
import { inDirectMap, physToVirt, type VirtAddr } from '../page/address.js';
import type { Arch } from '../page/arch.js';
import { KernelBug } from '../page/errors.js';

/** `PKMAP_BASE` on i386 without PAE. */
export const PKMAP_BASE = 0xff800000;
/** `LAST_PKMAP`: slots in the persistent kmap area. */
export const LAST_PKMAP = 1024;

/** The persistent kmap area. */
export class Pkmap {
  /** Frame mapped in each slot, -1 when free. */
  private readonly slotPfn = new Int32Array(LAST_PKMAP).fill(-1);
  /** Users of each slot (`pkmap_count`, without Linux's +1 bias). */
  private readonly slotCount = new Int32Array(LAST_PKMAP);
  private readonly slotOf = new Map<number, number>();

  constructor(private readonly arch: Arch) {}

  /** `kmap`: a kernel address for frame `pfn`, mapping a HighMem frame if needed. */
  kmap(pfn: number): VirtAddr {
    const pa = pfn * this.arch.pageSize;
    if (inDirectMap(this.arch, pa)) return physToVirt(this.arch, pa);
    let slot = this.slotOf.get(pfn);
    if (slot === undefined) {
      slot = this.slotPfn.indexOf(-1);
      if (slot < 0) throw new KernelBug('kmap: every persistent kmap slot is in use');
      this.slotPfn[slot] = pfn;
      this.slotOf.set(pfn, slot);
    }
    this.slotCount[slot] = (this.slotCount[slot] as number) + 1;
    return (PKMAP_BASE + slot * this.arch.pageSize) as VirtAddr;
  }

  /** `kunmap`: drops one use of a frame's kmap; lowmem frames are ignored. */
  kunmap(pfn: number): void {
    if (inDirectMap(this.arch, pfn * this.arch.pageSize)) return;
    const slot = this.slotOf.get(pfn);
    if (slot === undefined) throw new KernelBug(`kunmap: pfn ${pfn} is not kmapped`);
    this.slotCount[slot] = (this.slotCount[slot] as number) - 1;
    if (this.slotCount[slot] === 0) {
      this.slotPfn[slot] = -1;
      this.slotOf.delete(pfn);
    }
  }

  /** The physical address behind a kmap address, or -1 if `va` is not in a live slot. */
  physOf(va: number): number {
    if (
      this.arch.name !== 'i386' ||
      va < PKMAP_BASE ||
      va >= PKMAP_BASE + LAST_PKMAP * this.arch.pageSize
    )
      return -1;
    const slot = Math.floor((va - PKMAP_BASE) / this.arch.pageSize);
    const pfn = this.slotPfn[slot] as number;
    return pfn < 0 ? -1 : pfn * this.arch.pageSize + ((va - PKMAP_BASE) % this.arch.pageSize);
  }
}
