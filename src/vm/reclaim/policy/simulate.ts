/**
 * Trace-driven simulation of a replacement policy: a reference string, a
 * number of frames, and the count of hits and misses.
 *
 * The driver plays the part of the MMU and the fault handler. It keeps, per
 * distinct page of the trace, a resident flag and one reference bit (the
 * PTE accessed bit) in typed arrays, and for each trace element:
 *
 * - resident (a hit): sets the page's reference bit, calls `access(page)`;
 * - not resident (a miss, cold misses included): if `frames` pages are
 *   resident, calls `evict(referenced)`, where `referenced(page)` reads and
 *   clears the simulator's bit for that page, and checks that the victim
 *   was resident; then `insert(page)` and sets the new page's reference
 *   bit. A fault references the page: the access that faulted is retried
 *   and sets the accessed bit (Linux even installs the PTE young, see
 *   `do_anonymous_page`), which is also why `folio_check_references` says
 *   that "all mapped folios start out with page table references from the
 *   instantiating fault".
 *
 * Each `insert` or `access` is one step of the trace, in order, which is
 * the bookkeeping OPT relies on. Page numbers are relabelled to dense
 * indices once, up front (one pass), so the loop itself touches
 * typed arrays and the policy only.
 */
import { KernelBug } from '../../../page/errors.js';
import { ABSENT, PageIndex } from './page-index.js';
import {
  createPolicy,
  isPolicyName,
  POLICY_NAMES,
  type PolicyName,
  type ReplacementPolicy,
} from './policy.js';
import { checkPositiveInteger, checkTrace, show } from './validate.js';

/** Outcome of a simulation: `hits + misses` is the trace length. */
export interface SimulationResult {
  /** References to a resident page. */
  readonly hits: number;
  /** References that found the page absent (page faults), cold misses included. */
  readonly misses: number;
}

/**
 * Runs `trace` through the named policy with `frames` page frames and
 * counts hits and misses. A cold miss (first reference) counts as a miss.
 *
 * @example
 * ```ts
 * simulatePolicy('fifo', [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5], 3); // { hits: 3, misses: 9 }
 * simulatePolicy('fifo', [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5], 4); // { hits: 2, misses: 10 }: Belady's anomaly
 * ```
 * @param policy `'fifo' | 'lru' | 'opt' | 'clock' | 'lru-2q'`.
 * @param trace Pages referenced, in order: non-negative safe integers.
 * @param frames Number of page frames: a positive integer.
 * @throws TypeError if `policy` is not a string, `trace` not an array, an
 *   entry or `frames` not a number.
 * @throws RangeError if `policy` is not a policy name, a trace entry is not
 *   a non-negative safe integer, or `frames` is not a positive integer.
 */
export function simulatePolicy(
  policy: PolicyName,
  trace: readonly number[],
  frames: number,
): SimulationResult {
  const fn = 'simulatePolicy';
  if (typeof policy !== 'string')
    throw new TypeError(
      `${fn}: policy must be one of ${POLICY_NAMES.map(show).join(', ')} (got ${show(policy)})`,
    );
  if (!isPolicyName(policy))
    throw new RangeError(
      `${fn}: policy ${show(policy)} is not a policy; expected one of ${POLICY_NAMES.map(show).join(', ')}`,
    );
  checkTrace(fn, 'trace', trace);
  checkPositiveInteger(fn, 'frames', frames);
  // The policy is private to this call, so it may see the dense indices
  // (the same reference string, relabelled): its `referenced` calls and
  // victims then need no index lookup here.
  const dense = relabel(trace);
  const real = createPolicy(policy, {
    capacity: Math.min(frames, dense.distinct),
    ...(policy === 'opt' ? { trace: dense.trace } : {}),
  });
  return run(fn, real, dense.trace, dense, frames, true);
}

/**
 * Runs `trace` through a policy object, exactly as {@link simulatePolicy}
 * does with a policy name: for a policy of your own, or one you want to
 * inspect afterwards (its lists, its counters). The policy must be empty;
 * an `'opt'` policy must have been created with this same trace.
 *
 * (Called `replayTrace` in earlier versions; that name is now the workload-trace
 * replayer of `mmsim/trace`.)
 *
 * @example
 * ```ts
 * const lru = new LruPolicy();
 * simulateTrace(lru, [1, 2, 3, 1, 4, 1], 3); // { hits: 2, misses: 4 }
 * lru.pages(); // the resident pages, least recently used first
 * ```
 * @throws TypeError / RangeError as {@link simulatePolicy}, naming
 *   `simulateTrace`, and RangeError if the policy is not empty.
 * @throws KernelBug if the policy misbehaves (evicts a page that is not
 *   resident, or nothing while pages are resident).
 */
export function simulateTrace(
  policy: ReplacementPolicy,
  trace: ArrayLike<number>,
  frames: number,
): SimulationResult {
  const fn = 'simulateTrace';
  if (typeof policy !== 'object' || policy === null || typeof policy.evict !== 'function')
    throw new TypeError(`${fn}: policy must be a ReplacementPolicy (got ${show(policy)})`);
  if (policy.size !== 0)
    throw new RangeError(`${fn}: policy holds ${policy.size} pages; it must start empty`);
  checkTrace(fn, 'trace', trace);
  checkPositiveInteger(fn, 'frames', frames);
  return run(fn, policy, trace, relabel(trace), frames, false);
}

interface Dense {
  /** Page number to dense index. */
  readonly ids: PageIndex;
  /** The trace, as dense indices. */
  readonly trace: Int32Array;
  readonly distinct: number;
}

function relabel(trace: ArrayLike<number>): Dense {
  const ids = new PageIndex();
  const out = new Int32Array(trace.length);
  for (let i = 0; i < trace.length; i++) {
    const p = trace[i] as number;
    let id = ids.get(p);
    if (id === ABSENT) {
      id = ids.size;
      ids.set(p, id);
    }
    out[i] = id;
  }
  return { ids, trace: out, distinct: ids.size };
}

/**
 * The simulation loop. `trace` is what the policy is given: the original
 * pages, or the dense indices themselves when `policySeesIds`.
 */
function run(
  fn: string,
  policy: ReplacementPolicy,
  trace: ArrayLike<number>,
  dense: Dense,
  frames: number,
  policySeesIds: boolean,
): SimulationResult {
  const { ids, trace: ids32, distinct } = dense;
  const resident = new Uint8Array(distinct);
  const bit = new Uint8Array(distinct);
  const idOf = (page: number): number =>
    policySeesIds
      ? Number.isInteger(page) && page >= 0 && page < distinct
        ? page
        : ABSENT
      : ids.get(page);
  const referenced = (page: number): boolean => {
    const id = idOf(page);
    if (id === ABSENT || resident[id] === 0)
      throw new KernelBug(
        `${fn}: policy '${policy.name}' tested the reference bit of page ${show(page)}, which is not resident`,
      );
    const was = bit[id] === 1;
    bit[id] = 0;
    return was;
  };
  const n = ids32.length;
  let hits = 0;
  let used = 0;
  for (let i = 0; i < n; i++) {
    const id = ids32[i] as number;
    const page = trace[i] as number;
    if (resident[id] === 1) {
      bit[id] = 1;
      policy.access(page);
      hits++;
      continue;
    }
    if (used === frames) {
      const victim = policy.evict(referenced);
      const vid = idOf(victim);
      if (vid === ABSENT || resident[vid] === 0)
        throw new KernelBug(
          `${fn}: policy '${policy.name}' evicted ${victim === -1 ? 'nothing' : `page ${victim}`} with ${used} pages resident; the victim must be a resident page`,
        );
      resident[vid] = 0;
      bit[vid] = 0;
      used--;
    }
    policy.insert(page);
    resident[id] = 1;
    bit[id] = 1;
    used++;
  }
  return { hits, misses: n - hits };
}
