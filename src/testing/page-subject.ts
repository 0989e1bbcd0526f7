/**
 * What the page allocator commands run against: a `PageAllocatorSubject`
 * wraps a page-frame allocator with what the commands need to know about
 * it besides `PageFrameAllocator` itself (where ZONE_DMA ends, how to
 * switch CPUs, a snapshot of its whole state for refused calls, checks of
 * its own). Three are provided: a bare `BuddyAllocator`, the page
 * allocator of a booted `Kernel` (through `k.allocPages`/`k.freePages`),
 * and any `PageFrameAllocator` of your own.
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import type { PageFrameAllocator } from '../buddy/page-frame-allocator.js';
import type { Kernel } from '../kernel.js';
import { modelEqual } from './assertions.js';
import { buddyState, kernelState } from './state-snapshot.js';

/** A block of frames the model holds, with the tag written into its first and last words. */
export interface PageBlock {
  /** First frame. */
  readonly pfn: number;
  /** log2 of its frames. */
  readonly order: number;
  /** The tag written into it. */
  readonly tag: number;
}

/** The page allocator under test, with what the commands need to know about it. */
export interface PageAllocatorSubject {
  /** The allocator. */
  readonly allocator: PageFrameAllocator;
  /** Frames free right after set-up (after draining). */
  readonly initialFree: number;
  /** The pfn where ZONE_DMA ends: a `GFP_DMA` block must end by it (0: not checked). */
  readonly dmaEndPfn: number;
  /**
   * Whether the model holds every allocated block, so that freeing any
   * other pfn must be refused (false when others allocate too, as in a
   * booted kernel).
   */
  readonly exclusive: boolean;
  /** Number of CPUs (1 if the allocator has no notion of them). */
  readonly cpus: number;
  /** Makes `cpu` the current CPU (for per-CPU lists). */
  setCpu(cpu: number): void;
  /** Everything a refused call must leave as it was, as text. */
  state(): string;
  /** Extra checks of the allocator against the model's blocks, after every command. */
  check(blocks: readonly PageBlock[]): void;
}

/** ZONE_DMA's end, or 0 if the machine has none. */
function dmaEnd(buddy: BuddyAllocator): number {
  const dma = buddy.zones.find((z) => z.name === 'DMA');
  return dma === undefined ? 0 : dma.endPfn;
}

/** Every block of the model is allocated in the buddy allocator with its order. */
function checkOrders(buddy: BuddyAllocator, blocks: readonly PageBlock[]): void {
  for (const b of blocks)
    modelEqual(buddy.allocatedOrder(b.pfn), b.order, `order of block at pfn ${b.pfn}`);
}

/**
 * A bare `BuddyAllocator` (no kernel around it). Besides the generic
 * checks, every block must be allocated with its order, and free, per-CPU,
 * allocated and reserved frames must add up to the whole of RAM.
 *
 * @example
 * ```ts
 * const subject = buddySubject(new BuddyAllocator(new PhysicalMemory(16 * 2 ** 20), { cpus: 2 }));
 * ```
 */
export function buddySubject(buddy: BuddyAllocator): PageAllocatorSubject {
  buddy.drainAllPages();
  return {
    allocator: buddy,
    initialFree: buddy.nrFreePages(),
    exclusive: true,
    dmaEndPfn: dmaEnd(buddy),
    cpus: buddy.cpus,
    setCpu: (cpu) => {
      buddy.cpu = cpu;
    },
    state: () => buddyState(buddy),
    check: (blocks) => {
      checkOrders(buddy, blocks);
      const allocated = blocks.reduce((n, b) => n + 2 ** b.order, 0);
      const reserved = buddy.memblock.reservedBytes / buddy.arch.pageSize;
      const pcp = buddy.zones.reduce((n, z) => n + z.pcpPages, 0);
      modelEqual(
        buddy.nrFreePages() + pcp + allocated + reserved,
        buddy.memory.frames,
        'free + per-CPU + allocated + reserved frames',
      );
    },
  };
}

/**
 * The page allocator of a booted machine, used as a kernel user would
 * (`k.allocPages`, `k.freePages`, `k.drainAllPages`), with
 * `k.checkInvariants()` as its invariant check.
 *
 * @example
 * ```ts
 * const { k } = bootSmall({ cpus: 2 });
 * const subject = kernelPageSubject(k);
 * ```
 */
export function kernelPageSubject(k: Kernel): PageAllocatorSubject {
  const allocator: PageFrameAllocator = {
    memory: k.memory,
    allocPages: (gfp, order) => k.allocPages(gfp, order),
    freePages: (pfn, order) => k.freePages(pfn, order),
    nrFreePages: () => k.buddy.nrFreePages(),
    drainAllPages: () => k.drainAllPages(),
    checkInvariants: () => k.checkInvariants(),
  };
  k.drainAllPages();
  return {
    allocator,
    initialFree: k.buddy.nrFreePages(),
    exclusive: false,
    dmaEndPfn: dmaEnd(k.buddy),
    cpus: k.buddy.cpus,
    setCpu: (cpu) => {
      k.buddy.cpu = cpu;
    },
    state: () => kernelState(k),
    check: (blocks) => checkOrders(k.buddy, blocks),
  };
}

/**
 * Any page-frame allocator, known only through `PageFrameAllocator`: its
 * state for refused calls is its free count and the model's tags (the
 * commands check those anyway), so give `state` if it can say more.
 *
 * @example
 * ```ts
 * const subject = pageFrameSubject(myAllocator, { state: () => myAllocator.dump() });
 * ```
 */
export function pageFrameSubject(
  allocator: PageFrameAllocator,
  extras: Partial<
    Pick<PageAllocatorSubject, 'dmaEndPfn' | 'cpus' | 'setCpu' | 'state' | 'check'>
  > = {},
): PageAllocatorSubject {
  allocator.drainAllPages();
  return {
    allocator,
    initialFree: allocator.nrFreePages(),
    exclusive: true,
    dmaEndPfn: extras.dmaEndPfn ?? 0,
    cpus: extras.cpus ?? 1,
    setCpu: extras.setCpu ?? (() => {}),
    state: extras.state ?? (() => `nr_free ${allocator.nrFreePages()}`),
    check: extras.check ?? (() => {}),
  };
}
