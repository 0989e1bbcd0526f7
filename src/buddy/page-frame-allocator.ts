/**
 * `PageFrameAllocator`: the page allocator's interface at its narrowest,
 * what a user of physical frames needs (`alloc_pages`, `__free_pages`, a
 * free count, draining per-CPU caches, an invariant check) over a
 * `PhysicalMemory`. `BuddyAllocator` implements it; so can a page-frame
 * allocator of your own, and `checkPageAllocatorConformance` from
 * `mmsim/testing` runs on it the property suite the buddy allocator
 * passes.
 *
 * It is not a seam `Kernel.boot` can take: the rest of the kernel uses far
 * more of the buddy allocator than this (zones and their watermarks, the
 * struct page array it owns, memblock, event counters, the slow path's
 * reclaim hooks, per-CPU lists that /proc renders), so a kernel runs on
 * `BuddyAllocator` alone.
 */
import type { Gfp } from '../gfp/flags.js';
import type { Pfn } from '../page/address.js';
import type { ArchName } from '../page/arch.js';
import type { PhysicalMemory } from '../page/physical-memory.js';

/**
 * An allocator of blocks of `2**order` contiguous, naturally aligned page
 * frames of a `PhysicalMemory`. Misuse (an invalid gfp mask or order, a
 * free of a block not allocated, with another order, or twice) throws
 * `KernelBug` and changes nothing; out of memory returns `null`.
 *
 * @example
 * ```ts
 * const frames: PageFrameAllocator = new BuddyAllocator(new PhysicalMemory(16 * 2 ** 20));
 * const pfn = frames.allocPages(GFP_KERNEL, 2); // 4 frames, pfn % 4 === 0
 * if (pfn !== null) frames.freePages(pfn, 2);
 * ```
 */
export interface PageFrameAllocator {
  /** The RAM whose frames it hands out. */
  readonly memory: PhysicalMemory;
  /**
   * `alloc_pages`: a block of `2**order` frames whose first pfn is a
   * multiple of `2**order`, or `null`. `__GFP_ZERO` zeroes the block.
   *
   * @throws KernelBug for an invalid gfp mask or an order outside 0..MAX_ORDER.
   */
  allocPages(gfp: Gfp, order: number): Pfn | null;
  /**
   * `__free_pages`: frees a block `allocPages` returned, with its order.
   *
   * @throws KernelBug, changing nothing, for anything else.
   */
  freePages(pfn: number, order: number): void;
  /** Frames free now (frames cached per CPU may be left out until drained). */
  nrFreePages(): number;
  /** Returns frames cached per CPU to the free pool (a no-op if it caches none). */
  drainAllPages(): void;
  /** Throws `KernelBug` naming the first broken invariant of its state. */
  checkInvariants(): void;
}

/** What a {@link PageFrameAllocatorFactory} is told about the machine. */
export interface PageFrameAllocatorSetup {
  /** The architecture (its page size is `memory.pageSize`). */
  readonly arch: ArchName;
  /** Number of CPUs. */
  readonly cpus: number;
}

/**
 * Builds a page-frame allocator over fresh RAM, as `new BuddyAllocator(memory, options)` does.
 *
 * @example
 * ```ts
 * const buddy: PageFrameAllocatorFactory = (memory, setup) => new BuddyAllocator(memory, setup);
 * ```
 */
export type PageFrameAllocatorFactory<P extends PageFrameAllocator = PageFrameAllocator> = (
  memory: PhysicalMemory,
  setup: PageFrameAllocatorSetup,
) => P;
