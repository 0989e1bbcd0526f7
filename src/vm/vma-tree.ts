/**
 * The VMAs of an address space, ordered by address (Linux's maple tree).
 * mmsim keeps them in a sorted array: lookups are binary searches,
 * O(log n); inserting or removing moves references, which is cheap at the
 * map counts `vm.max_map_count` allows (65530).
 */
import type { Vma } from './vma.js';

/** The VMAs of one address space. */
export class VmaTree {
  private readonly vmas: Vma[] = [];

  /** Number of VMAs (`map_count`). */
  get count(): number {
    return this.vmas.length;
  }

  /** Every VMA in address order. */
  all(): readonly Vma[] {
    return this.vmas;
  }

  /** Index of the first VMA whose end is above `addr` (the one `find_vma` returns), or `count`. */
  private firstEndingAbove(addr: number): number {
    let lo = 0;
    let hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.vmas[mid] as Vma).end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** `find_vma`: the first VMA ending above `addr` (it may start above `addr` too). */
  findVma(addr: number): Vma | undefined {
    return this.vmas[this.firstEndingAbove(addr)];
  }

  /** `vma_lookup`: the VMA containing `addr`. */
  lookup(addr: number): Vma | undefined {
    const vma = this.vmas[this.firstEndingAbove(addr)];
    return vma !== undefined && vma.start <= addr ? vma : undefined;
  }

  /** The VMA just before `vma` in address order. */
  prev(vma: Vma): Vma | undefined {
    const i = this.indexOf(vma);
    return i > 0 ? this.vmas[i - 1] : undefined;
  }

  /** The VMA just after `vma` in address order. */
  next(vma: Vma): Vma | undefined {
    const i = this.indexOf(vma);
    return i >= 0 ? this.vmas[i + 1] : undefined;
  }

  /** The VMAs overlapping `[start, end)`, in order. */
  overlapping(start: number, end: number): Vma[] {
    const out: Vma[] = [];
    for (let i = this.firstEndingAbove(start); i < this.vmas.length; i++) {
      const vma = this.vmas[i] as Vma;
      if (vma.start >= end) break;
      out.push(vma);
    }
    return out;
  }

  /** Inserts a VMA that overlaps none. */
  insert(vma: Vma): void {
    const i = this.firstEndingAbove(vma.start);
    this.vmas.splice(i, 0, vma);
  }

  /** Removes every VMA at once (exit). */
  clear(): void {
    this.vmas.length = 0;
  }

  /** Removes a VMA. */
  remove(vma: Vma): void {
    const i = this.indexOf(vma);
    if (i >= 0) this.vmas.splice(i, 1);
  }

  private indexOf(vma: Vma): number {
    const i = this.firstEndingAbove(vma.start);
    return this.vmas[i] === vma ? i : this.vmas.indexOf(vma);
  }
}
