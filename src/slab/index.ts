/**
 * `mmsim/slab`: the kmem_cache interface, its SLUB, SLAB and SLOB
 * implementations, and kmalloc.
 *
 * @packageDocumentation
 */

export { SLAB_FACTORIES } from './create.js';
export {
  type KmallocCore,
  type KmallocMemory,
  kcallocOn,
  kreallocOn,
  kzallocOn,
} from './kmalloc-family.js';
export {
  KMALLOC_MIN_SIZE,
  type KmallocClass,
  kmallocClasses,
  ZERO_SIZE_PTR,
} from './kmalloc-sizes.js';
export type { KmemCache, KmemCacheOptions, SlabInfo } from './kmem-cache.js';
export { renderSlabinfo } from './proc-slabinfo.js';
export {
  BATCHREFILL_LIMIT,
  cpucacheLimit,
  SLABS_FREE,
  SLABS_FULL,
  SLABS_PARTIAL,
  SlabAllocator,
  SlabCache,
  type SlabGeometry,
  type SlabManagement,
} from './slab.js';
export {
  ARCH_SLAB_MINALIGN,
  CACHE_LINE_SIZE,
  calculateAlignment,
  KMALLOC_TYPES,
  type KmallocType,
  type ObjectChecks,
  SlabAllocatorBase,
  type SlabAllocatorOptions,
  SlabCacheBase,
  type SlabDebugConfig,
} from './slab-common.js';
export type { DebugLayout, DebugSink } from './slab-debug.js';
export * from './slab-flags.js';
export { SLAB_KINDS, type SlabKind } from './slab-kind.js';
export { type SlabFactory, type SlabLayer, slabLayerProblem } from './slab-layer.js';
export {
  SLOB_BREAK1,
  SLOB_BREAK2,
  SLOB_LIST_LARGE,
  SLOB_LIST_MEDIUM,
  SLOB_LIST_SMALL,
  SLOB_MAPPING,
  SlobAllocator,
  SlobCache,
  type SlobCensus,
  type SlobMemoryUsage,
} from './slob.js';
export { calculateOrder, SlubAllocator, SlubCache } from './slub.js';
