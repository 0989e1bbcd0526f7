/**
 * kmalloc size classes (mm/slab_common.c): which cache a request of `size`
 * bytes is served from. Caches are powers of two from 8 bytes to
 * `KMALLOC_MAX_CACHE_SIZE` (two pages, SLUB's `KMALLOC_SHIFT_HIGH =
 * PAGE_SHIFT + 1`), plus 96 and 192; larger requests go to the page
 * allocator, up to `KMALLOC_MAX_SIZE` (a block of MAX_ORDER).
 */
import { checkPageSize } from '../page/validate.js';

/** `KMALLOC_MIN_SIZE`: the smallest kmalloc cache. */
export const KMALLOC_MIN_SIZE = 8;
/** `ZERO_SIZE_PTR`: what `kmalloc(0)` returns; `kfree` and `ksize` accept it. */
export const ZERO_SIZE_PTR = 16;

/** One kmalloc size class. */
export interface KmallocClass {
  /** Object size in bytes. */
  readonly size: number;
  /** The cache's name suffix: `'64'`, `'8k'`. */
  readonly label: string;
}

function label(size: number): string {
  return size >= 1024 && size % 1024 === 0 ? `${size / 1024}k` : String(size);
}

/** The kmalloc size classes for a page size, smallest first (kmalloc_info). */
export function kmallocClasses(pageSize: number): KmallocClass[] {
  checkPageSize('kmallocClasses', pageSize);
  const max = pageSize * 2;
  const sizes: number[] = [];
  for (let size = KMALLOC_MIN_SIZE; size <= max; size *= 2) {
    sizes.push(size);
    if (size === 64) sizes.push(96);
    if (size === 128) sizes.push(192);
  }
  return sizes.map((size) => ({ size, label: label(size) }));
}

/**
 * `kmalloc_index`: the index in `classes` of the smallest class that holds
 * `size` bytes, or -1 when the request is larger than every class.
 * Allocation-free; a short scan of at most 16 classes.
 */
export function kmallocIndex(classes: readonly KmallocClass[], size: number): number {
  for (let i = 0; i < classes.length; i++) {
    if (size <= (classes[i] as KmallocClass).size) {
      // 96 and 192 sit between powers of two; classes are sorted by size.
      return i;
    }
  }
  return -1;
}

/**
 * `size_index` and `fls` as one table: the class index for every size up
 * to the largest class, so that kmalloc finds its cache with one load.
 */
export function kmallocIndexTable(classes: readonly KmallocClass[]): Int8Array {
  const max = (classes[classes.length - 1] as KmallocClass).size;
  const table = new Int8Array(max + 1);
  for (let size = 0; size <= max; size++) table[size] = kmallocIndex(classes, Math.max(1, size));
  return table;
}
