/**
 * `mmsim/testing`: a kit for property-testing allocators and kernel code
 * with [fast-check](https://fast-check.dev/) (an optional peer dependency:
 * install it to use this entry; the rest of mmsim does not need it).
 *
 * - Arbitraries: GFP masks ({@link validGfp}, {@link invalidGfp},
 *   {@link allocationGfp}), orders ({@link order}, {@link invalidOrder}),
 *   kmalloc sizes ({@link kmallocSize}), cache geometries
 *   ({@link cacheGeometry}, {@link invalidCacheCreate}) and address-space
 *   operations ({@link addressSpaceOp}).
 * - Model-based command sets with their models: the page allocator
 *   ({@link pageAllocatorCommands}), kmem_caches
 *   ({@link kmemCacheCommands}), kmalloc ({@link kmallocCommands}) and a
 *   process's memory ({@link processMemoryCommands}).
 * - Fixtures and checks: {@link bootSmall}, {@link expectAllFreed},
 *   {@link withInvariants}, {@link expectRejected}, and replaying a failure
 *   ({@link replayFromReport}, {@link replayParameters}).
 * - Bring your own allocator: {@link checkSlabAllocatorConformance} runs
 *   the suite SLUB, SLAB and SLOB pass on a `SlabLayer` of your own (boot
 *   a machine on it with `Kernel.boot({ slab: factory })`), and
 *   {@link checkPageAllocatorConformance} the buddy allocator's suite on a
 *   `PageFrameAllocator`.
 *
 * See docs/property-testing.md for the guide.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { bootSmall, expectAllFreed, kmallocCommands, newSlabModel, releaseSlabObjects } from 'mmsim/testing';
 *
 * fc.assert(fc.property(fc.commands(kmallocCommands(), { maxCommands: 50 }), (cmds) => {
 *   const { k, baseline } = bootSmall();
 *   const model = newSlabModel();
 *   fc.modelRun(() => ({ model, real: { k } }), cmds);
 *   releaseSlabObjects(model, { k });
 *   expectAllFreed(k, baseline);
 * }));
 * ```
 *
 * @packageDocumentation
 */

export {
  type AddressSpaceOp,
  type AddressSpaceOpName,
  type AddressSpaceOpOptions,
  addressSpaceOp,
  addressSpaceOps,
  OP_PROTECTIONS,
} from './address-space-ops.js';
export { type AllFreedOptions, expectAllFreed, NotAllFreed } from './all-freed.js';
export {
  expectRejected,
  firstDifference,
  isKernelBug,
  ModelMismatch,
  modelAssert,
  modelEqual,
} from './assertions.js';
export {
  type CacheGeometry,
  type CacheGeometryOptions,
  cacheGeometry,
  type InvalidCacheCreate,
  invalidCacheCreate,
} from './cache-geometry.js';
export {
  ConformanceFailure,
  type ConformanceOptions,
  type ConformanceReport,
  type ConformanceResult,
} from './conformance.js';
export {
  allocationGfp,
  GFP_COMPOSITES,
  invalidGfp,
  isValidGfp,
  validGfp,
} from './gfp-arbitraries.js';
export {
  invalidKmallocSize,
  type KmallocLimits,
  type KmallocSizeOptions,
  kmallocLimits,
  kmallocSize,
} from './kmalloc-arbitraries.js';
export {
  KfreeCommand,
  KmallocCommand,
  type KmallocCommandOptions,
  type KmallocMisuse,
  KmallocMisuseCommand,
  type KmallocVia,
  KreallocCommand,
  kmallocAlignment,
  kmallocCommands,
} from './kmalloc-commands.js';
export {
  CacheAllocCommand,
  CacheFreeCommand,
  type CacheMisuse,
  CacheMisuseCommand,
  CreateCacheCommand,
  DestroyCommand,
  type KmemCacheCommandOptions,
  kmemCacheCommands,
  MAX_MODEL_CACHES,
  ShrinkAllCommand,
  ShrinkCommand,
} from './kmem-cache-commands.js';
export {
  type Baseline,
  bootSmall,
  cacheObjects,
  captureBaseline,
  SMALL_MEMORY,
  type SmallMachine,
} from './machine.js';
export { invalidOrder, order } from './order-arbitraries.js';
export {
  AllocPagesCommand,
  BadAllocCommand,
  BadFreeCommand,
  type BadFreeKind,
  CpuCommand,
  checkPageAllocator,
  DrainCommand,
  FreePagesCommand,
  newPageAllocatorModel,
  type PageAllocatorCommand,
  type PageAllocatorCommandOptions,
  type PageAllocatorModel,
  pageAllocatorCommands,
  releasePageBlocks,
} from './page-allocator-commands.js';
export {
  checkPageAllocatorConformance,
  type PageAllocatorConformanceOptions,
  type PageAllocatorConformanceProperty,
} from './page-allocator-conformance.js';
export {
  buddySubject,
  kernelPageSubject,
  type PageAllocatorSubject,
  type PageBlock,
  pageFrameSubject,
} from './page-subject.js';
export {
  AddressSpaceCommand,
  checkProcessMemory,
  MAX_PROCESSES,
  newProcessMemoryModel,
  type PageModel,
  type ProcessMemoryModel,
  type ProcessModel,
  type ProcessReal,
  processMemoryCommands,
} from './process-memory-commands.js';
export {
  checkProperty,
  formatReplay,
  PropertyFailure,
  type Replay,
  replayFromDetails,
  replayFromReport,
  replayParameters,
} from './replay.js';
export {
  checkSlabAllocatorConformance,
  type SlabConformanceOptions,
  type SlabConformanceProperty,
} from './slab-conformance.js';
export {
  checkSlab,
  expectNoOverlap,
  expectPattern,
  expectZero,
  freeObject,
  misalignment,
  newSlabModel,
  recordObject,
  releaseSlabObjects,
  type SlabCacheModel,
  type SlabCommand,
  type SlabModel,
  type SlabObject,
  type SlabReal,
  slabPattern,
} from './slab-model.js';
export { buddyState, hashBytes, kernelState } from './state-snapshot.js';
export { afterEachCommand, type KernelReal, withInvariants } from './with-invariants.js';
