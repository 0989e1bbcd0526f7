/**
 * `mmsim/vm`: address spaces, page tables, page faults, processes and the
 * memory system calls.
 *
 * @packageDocumentation
 */
export { AddressSpace, type FaultResult, type MmCounters } from './address-space.js';
export { handleFault, pteFlagsFor, STACK_RLIMIT } from './fault.js';
export { SimDisk, type SimDiskOptions } from './fs/disk.js';
export { FileMapping, fileMappingOf, syncFileMapping } from './fs/file-mapping.js';
export { canRead, canWrite, FIRST_FD, FileTable, NR_OPEN, type OpenFile } from './fs/file-table.js';
export { PageCache, pageCacheOf } from './fs/page-cache.js';
export type { SpecialFile } from './fs/special-file.js';
export {
  ext4MaxBytes,
  FIRST_INO,
  HOLE,
  type Inode,
  READ_FILE_MAX,
  VFS_DEV,
  VFS_DEV_MAJOR,
  VFS_DEV_MINOR,
  Vfs,
  type VfsCacheHooks,
  type VfsOptions,
  type VfsStat,
} from './fs/vfs.js';
export { LAST_PKMAP, PKMAP_BASE, Pkmap } from './highmem.js';
export { checkVmInvariants } from './invariants.js';
export { imageBase, mmapBase, programPath, setupLayout } from './layout.js';
export { Libc } from './libc.js';
export { dupMmap, exitMmap, releaseShared, rssKindOf, zapRange } from './mm-ops.js';
export * from './mman.js';
export { pageIsAnon, pageRssKind } from './page-kind.js';
export { PageMlock, UNEVICTABLE_EVENTS } from './page-mlock.js';
export {
  allocTable,
  blockLo,
  buildKernelMappings,
  freeTable,
  isBlock,
  PageTableGeometry,
} from './page-table.js';
export {
  renderLimits,
  renderMaps,
  renderProcessFile,
  renderSmaps,
  renderStatus,
} from './proc/index.js';
export {
  type MemStats,
  type MemStatsSources,
  meminfoValues,
  memStats,
  vmstatValues,
} from './proc/mem-stats.js';
export {
  type MemAvailableInput,
  type MeminfoValues,
  type ReserveZone,
  renderMeminfo,
  siMemAvailable,
  totalReservePages,
} from './proc/meminfo.js';
export { oomScore } from './proc/oom-score.js';
export {
  decodePagemapEntry,
  MAX_SWAPFILES_SHIFT,
  type PagemapEntry,
  type PagemapSource,
  PM_ENTRY_BYTES,
  PM_FILE,
  PM_GUARD_REGION,
  PM_MMAP_EXCLUSIVE,
  PM_PFRAME_BITS,
  PM_PFRAME_MASK,
  PM_PRESENT,
  PM_SOFT_DIRTY,
  PM_SWAP,
  PM_UFFD_WP,
  READ_PAGEMAP_MAX_PAGES,
  readPagemap,
} from './proc/pagemap.js';
export { PROC_READ_MAX } from './proc/procfs.js';
export { renderUptime } from './proc/uptime.js';
export { renderVmstat, VMSTAT_ITEMS } from './proc/vmstat.js';
export { Process, type ProcessState } from './process.js';
export * from './pte.js';
export { checkReclaimInvariants } from './reclaim/invariants.js';
export {
  LRU_ACTIVE_ANON,
  LRU_ACTIVE_FILE,
  LRU_INACTIVE_ANON,
  LRU_INACTIVE_FILE,
  LRU_NAMES,
  LRU_UNEVICTABLE,
  LruLists,
  type LruObserver,
  lruOf,
  NR_LRU_LISTS,
} from './reclaim/lru.js';
export { OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN, OomKiller, oomBadness } from './reclaim/oom.js';
export { Outcome, Pageout, ReferencedVisitor } from './reclaim/pageout.js';
export * from './reclaim/policy/index.js';
export { ReclaimSystem, type Shrinker } from './reclaim/reclaim.js';
export { AnonVma, type PageOwner, pageOwner, type RmapVisitor, rmapWalk } from './reclaim/rmap.js';
export { SwapSystem } from './reclaim/swap.js';
export {
  DEF_PRIORITY,
  type ScanControl,
  SWAP_CLUSTER_MAX,
  SWAPPINESS,
  Vmscan,
} from './reclaim/vmscan.js';
export * from './resource.js';
export * from './swap/index.js';
export * from './syscalls/index.js';
export { type SysctlEntry, type SysctlHandler, VM_SYSCTLS } from './sysctl.js';
export { TLB_GLOBAL, TLB_READ, TLB_USER, TLB_WRITE, Tlb } from './tlb.js';
export {
  type DeferredWork,
  type ProcOpener,
  type RssKind,
  type SpawnPrivileges,
  type SwapHooks,
  VmSystem,
} from './vm-system.js';
export * from './vma.js';
export { VmaTree } from './vma-tree.js';
