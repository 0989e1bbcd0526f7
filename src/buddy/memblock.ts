/**
 * Early boot memory: which physical ranges exist and which the kernel has
 * claimed before the page allocator runs (mm/memblock.c).
 *
 * Boot reserves what the kernel occupies (low firmware memory, the kernel
 * image, the struct page array) and allocates early structures top-down
 * below a limit, as `memblock_alloc` does. At the end of boot every frame
 * not reserved is handed to the buddy allocator (`memblock_free_all`).
 * Reserved ranges carry the name of their owner so that /proc and the
 * memory map can say what holds them.
 */

import { showAddress } from '../page/address.js';
import { KernelBug } from '../page/errors.js';

/** A reserved physical range. */
export interface MemblockRegion {
  /** First byte. */
  readonly base: number;
  /** Length in bytes. */
  readonly size: number;
  /** Who holds it, e.g. `'kernel image'` or `'mem_map'`. */
  readonly owner: string;
}

/** The early-boot allocator over `[0, memorySize)`. */
export class Memblock {
  private readonly regions: MemblockRegion[] = [];

  /**
   * @param memorySize - bytes of RAM.
   * @param pageSize - reservations are widened to whole pages.
   */
  constructor(
    readonly memorySize: number,
    readonly pageSize: number,
  ) {}

  /** The reserved ranges in address order. */
  get reserved(): readonly MemblockRegion[] {
    return this.regions;
  }

  /** Total bytes reserved. */
  get reservedBytes(): number {
    return this.regions.reduce((sum, r) => sum + r.size, 0);
  }

  /**
   * `memblock_reserve`: claims `[base, base + size)`, widened to whole pages.
   *
   * @throws KernelBug if the range leaves RAM or overlaps a reservation.
   */
  reserve(base: number, size: number, owner: string): MemblockRegion {
    if (!Number.isInteger(base) || !Number.isInteger(size) || base < 0 || size <= 0) {
      throw new KernelBug(
        `memblockReserve: range ${showAddress(base)}+${size} is not a range of RAM`,
      );
    }
    const start = Math.floor(base / this.pageSize) * this.pageSize;
    const end = Math.ceil((base + size) / this.pageSize) * this.pageSize;
    if (end > this.memorySize) {
      throw new KernelBug(
        `memblockReserve: range ${showAddress(base)}+${size} ends beyond RAM (${this.memorySize})`,
      );
    }
    const clash = this.regions.find((r) => start < r.base + r.size && r.base < end);
    if (clash) {
      throw new KernelBug(
        `memblockReserve: ${owner} at ${showAddress(start)}+${end - start} overlaps ${clash.owner}`,
      );
    }
    const region = { base: start, size: end - start, owner };
    this.regions.push(region);
    this.regions.sort((a, b) => a.base - b.base);
    return region;
  }

  /**
   * `memblock_alloc`: reserves `size` bytes aligned to `align`, taking the
   * highest free range below `limit` (memblock allocates top-down) that
   * does not cross a multiple of `boundary`. Returns the base, or `null`
   * when nothing fits.
   *
   * @throws KernelBug if `size` or `align` is not a positive integer.
   */
  alloc(
    size: number,
    align: number,
    owner: string,
    limit = this.memorySize,
    boundary = 2 ** 32,
  ): number | null {
    if (!Number.isInteger(size) || size <= 0) {
      throw new KernelBug(`memblockAlloc: size ${size} is not a positive integer`);
    }
    if (!Number.isInteger(align) || align <= 0) {
      throw new KernelBug(`memblockAlloc: alignment ${align} is not a positive integer`);
    }
    const bytes = Math.ceil(size / this.pageSize) * this.pageSize;
    const step = Math.max(align, this.pageSize);
    let top = Math.min(limit, this.memorySize);
    // Walk the gaps between reservations from the top down.
    const sorted = [...this.regions].sort((a, b) => b.base - a.base);
    for (let i = 0; i <= sorted.length; i++) {
      const below = sorted[i];
      const gapStart = below ? below.base + below.size : 0;
      let base = Math.floor((top - bytes) / step) * step;
      const crossing = Math.floor((base + bytes - 1) / boundary) * boundary;
      if (crossing > base) base = Math.floor((crossing - bytes) / step) * step;
      // A block larger than `boundary` still crosses one after the move.
      const crosses = Math.floor(base / boundary) !== Math.floor((base + bytes - 1) / boundary);
      if (!crosses && base >= gapStart && base + bytes <= top) {
        this.reserve(base, bytes, owner);
        return base;
      }
      if (below) top = Math.min(top, below.base);
    }
    return null;
  }

  /** Whether frame `pfn` lies in a reserved range. */
  isReserved(pfn: number): boolean {
    const pa = pfn * this.pageSize;
    return this.regions.some((r) => pa >= r.base && pa < r.base + r.size);
  }
}
