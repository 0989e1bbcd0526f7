/**
 * `mmsim/vm`: address spaces, page tables, page faults, processes and the
 * memory system calls.
 *
 * @packageDocumentation
 */
export { AddressSpace, type FaultResult, type MmCounters } from './address-space.js';
export { handleFault, pteFlagsFor, STACK_RLIMIT } from './fault.js';
export { LAST_PKMAP, PKMAP_BASE, Pkmap } from './highmem.js';
export { imageBase, mmapBase, setupLayout } from './layout.js';
export { dupMmap, exitMmap, releaseShared, rssKindOf, zapRange } from './mm-ops.js';
export * from './mman.js';
export {
  allocTable,
  blockLo,
  buildKernelMappings,
  freeTable,
  isBlock,
  PageTableGeometry,
} from './page-table.js';
export { Process, type ProcessState } from './process.js';
export * from './pte.js';
export { TLB_GLOBAL, TLB_READ, TLB_USER, TLB_WRITE, Tlb } from './tlb.js';
export { type RssKind, VmSystem } from './vm-system.js';
export * from './vma.js';
export { VmaTree } from './vma-tree.js';
