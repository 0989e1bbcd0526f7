/**
 * Page-replacement policies behind one interface, and a trace simulator:
 * FIFO, exact LRU, Belady's OPT, CLOCK, and LRU-2Q (Linux's active and
 * inactive lists). See docs/replacement-policies.md.
 *
 * @packageDocumentation
 */
export { ClockPolicy } from './clock.js';
export { FifoPolicy } from './fifo.js';
export { LruPolicy } from './lru.js';
export { type Lru2QLists, Lru2QPolicy } from './lru-2q.js';
export { OneListPolicy } from './one-list.js';
export { OptPolicy } from './opt.js';
export {
  createPolicy,
  isPolicyName,
  POLICY_NAMES,
  type PolicyName,
  type PolicyOptions,
  type ReferencedFn,
  type ReplacementPolicy,
} from './policy.js';
export { type SimulationResult, simulatePolicy, simulateTrace } from './simulate.js';
export {
  type HotColdTraceOptions,
  hotColdTrace,
  loopingTrace,
  MAX_TRACE_LENGTH,
  type ScanPollutedTraceOptions,
  scanPollutedTrace,
  type ZipfTraceOptions,
  zipfTrace,
} from './traces.js';
