/**
 * `mmsim/page`: simulated physical memory, architecture profiles, addresses,
 * the struct page array, errors and the kernel log.
 *
 * @packageDocumentation
 */
export {
  formatAddress,
  inDirectMap,
  isCanonical,
  type Pfn,
  type PhysAddr,
  pfnToPhys,
  physToPfn,
  physToVirt,
  showAddress,
  type VirtAddr,
  virtAddr,
  virtToPhys,
} from './address.js';
export {
  ARCH_NAMES,
  ARCHES,
  type Arch,
  type ArchName,
  getArch,
  type ZoneLimit,
  type ZoneName,
  type ZoneSpan,
  zoneSpans,
} from './arch.js';
export { type Clock, EVENT_COST_NS, SimClock } from './clock.js';
export { Errno, type ErrnoCode, errnoName } from './errno.js';
export {
  type FaultCode,
  type FaultSignal,
  KernelBug,
  KernelError,
  KernelPanic,
  SegmentationFault,
} from './errors.js';
export { FaultInjector, type FaultInjectorConfig } from './fault-inject.js';
export {
  type DmesgOptions,
  formatTimestamp,
  KernelLog,
  LOG_BUF_LEN,
  LogLevel,
  type LogLevelValue,
  type LogRecord,
} from './kernel-log.js';
export { MemMap, STRUCT_PAGE_SIZE } from './mem-map.js';
export {
  ALLOC_ORDER_MASK,
  ALLOC_ORDER_SHIFT,
  PAGE_FLAG_NAMES,
  PAGE_FLAGS_MASK,
  PAGE_TYPE_SHIFT,
  type PageFlagName,
  PageType,
  type PageTypeValue,
  PG,
} from './page-flags.js';
export { MAX_MEMORY, MIN_MEMORY, PhysicalMemory } from './physical-memory.js';
export { Prandom } from './prandom.js';
export { VmEvents } from './vm-events.js';
