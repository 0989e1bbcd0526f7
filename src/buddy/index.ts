/**
 * `mmsim/buddy`: early boot memory, zones and the buddy page allocator.
 *
 * @packageDocumentation
 */

export {
  BuddyAllocator,
  type BuddyAllocatorOptions,
  type PageStatSnapshot,
} from './buddy-allocator.js';
export { checkBuddyInvariants } from './invariants.js';
export { Memblock, type MemblockRegion } from './memblock.js';
export type {
  PageFrameAllocator,
  PageFrameAllocatorFactory,
  PageFrameAllocatorSetup,
} from './page-frame-allocator.js';
export { noReclaim, type Reclaimer } from './reclaimer.js';
export type { SlowPathHost } from './slow-path.js';
export {
  calculateMinFreeKbytes,
  WATERMARK_SCALE_FACTOR,
  zoneBatchsize,
} from './watermarks.js';
export {
  MAX_ORDER,
  NR_ORDERS,
  NR_PCP_LISTS,
  PAGE_ALLOC_COSTLY_ORDER,
  type PerCpuPages,
  WMARK_HIGH,
  WMARK_LOW,
  WMARK_MIN,
  Zone,
} from './zone.js';
