/**
 * The kmalloc family as common code (mm/slab_common.c, include/linux/slab.h):
 * `kzalloc`, `kcalloc` and `krealloc` built on any slab allocator's
 * `kmalloc`, `ksize` and `kfree`. In Linux they are not part of an
 * implementation either: `kzalloc` is kmalloc with `__GFP_ZERO`,
 * `kcalloc` is `kmalloc_array` with it, and `krealloc` works in place when
 * `ksize` allows and moves the contents otherwise. The built-in allocators
 * and the kernel call these, so an allocator of your own gets them for free.
 */
import { __GFP_ZERO, type Gfp } from '../gfp/flags.js';
import { checkGfp } from '../gfp/zone.js';
import type { VirtAddr } from '../page/address.js';
import type { Arch } from '../page/arch.js';
import { KernelBug } from '../page/errors.js';
import type { PhysicalMemory } from '../page/physical-memory.js';
import { describeValue, isCount } from '../page/validate.js';
import { ZERO_SIZE_PTR } from './kmalloc-sizes.js';

/** The three calls of a slab allocator the common code is built on. */
export interface KmallocCore {
  /** `kmalloc`. */
  kmalloc(size: number, gfp: Gfp): VirtAddr | null;
  /** `kfree`. */
  kfree(ptr: number | null): void;
  /** `ksize`. */
  ksize(ptr: number): number;
}

/** Where kmalloc'd bytes live: the RAM and the architecture of its direct map. */
export interface KmallocMemory {
  /** Simulated RAM. */
  readonly memory: PhysicalMemory;
  /** The architecture (`pageOffset` places the direct map; `is64Bit` sizes `size_t`). */
  readonly arch: Arch;
}

/**
 * `kzalloc`: `kmalloc(size, gfp | __GFP_ZERO)`.
 *
 * @throws KernelBug for an invalid gfp mask (before anything changes), or what kmalloc throws.
 *
 * @example
 * ```ts
 * const p = kzallocOn(k.slab, 64, GFP_KERNEL); // 64 zero bytes
 * ```
 */
export function kzallocOn(core: KmallocCore, size: number, gfp: Gfp): VirtAddr | null {
  checkGfp('kzalloc', gfp); // before `|` turns garbage into a number
  return core.kmalloc(size, gfp | __GFP_ZERO);
}

/**
 * `kcalloc`: an array of `n` elements of `size` bytes, zeroed; `null` if
 * `n * size` overflows `size_t`.
 *
 * @throws KernelBug for counts that are not non-negative integers or an invalid gfp mask.
 *
 * @example
 * ```ts
 * kcallocOn(k.slab, k, 10, 24, GFP_KERNEL); // 240 zero bytes
 * ```
 */
export function kcallocOn(
  core: KmallocCore,
  mem: KmallocMemory,
  n: number,
  size: number,
  gfp: Gfp,
): VirtAddr | null {
  if (!isCount(n) || !isCount(size)) {
    throw new KernelBug(
      `kcalloc: n ${describeValue(n)} and size ${describeValue(size)} must be non-negative integers`,
    );
  }
  checkGfp('kcalloc', gfp);
  const bytes = n * size;
  // check_mul_overflow on size_t.
  const sizeMax = 2 ** (mem.arch.is64Bit ? 64 : 32) - 1;
  if (!Number.isSafeInteger(bytes) || bytes > sizeMax) return null;
  return kzallocOn(core, bytes, gfp);
}

/**
 * `krealloc`: resizes an allocation, in place when `ksize` allows,
 * otherwise by moving it (the old contents copied, the old allocation
 * freed). A `null` result leaves the old allocation untouched.
 * `krealloc(ptr, 0)` frees and returns `ZERO_SIZE_PTR`; a `null`, 0 or
 * `ZERO_SIZE_PTR` pointer is a plain kmalloc. With `__GFP_ZERO`, the bytes
 * past `size` of an allocation shrunk in place are zeroed.
 *
 * @throws KernelBug for a size that is not a non-negative integer, an
 *   invalid gfp mask, or a pointer kmalloc never returned.
 *
 * @example
 * ```ts
 * const q = kreallocOn(k.slab, k, p, 5000, GFP_KERNEL); // moved, contents kept
 * ```
 */
export function kreallocOn(
  core: KmallocCore,
  mem: KmallocMemory,
  ptr: number | null,
  size: number,
  gfp: Gfp,
): VirtAddr | null {
  if (!isCount(size)) {
    throw new KernelBug(`krealloc: size ${describeValue(size)} is not a non-negative integer`);
  }
  checkGfp('krealloc', gfp);
  if (ptr === null || ptr === 0 || ptr === ZERO_SIZE_PTR) return core.kmalloc(size, gfp);
  const old = core.ksize(ptr);
  if (size === 0) {
    core.kfree(ptr);
    return ZERO_SIZE_PTR as VirtAddr;
  }
  const pa = ptr - mem.arch.pageOffset;
  if (size <= old) {
    if ((gfp & __GFP_ZERO) !== 0 && old > size) {
      mem.memory.write(pa + size, new Uint8Array(old - size));
    }
    return ptr as VirtAddr;
  }
  const moved = core.kmalloc(size, gfp);
  if (moved === null) return null;
  mem.memory.write(moved - mem.arch.pageOffset, mem.memory.read(pa, old));
  core.kfree(ptr);
  return moved;
}
