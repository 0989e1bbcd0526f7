/**
 * The seam between page reclaim and the choice of victim: one small
 * interface, {@link ReplacementPolicy}, that five policies implement and
 * that both the trace simulator (`simulatePolicy`) and, later, the real
 * reclaim path drive.
 *
 * The interface is shaped by what reclaim can know. Pages are numbers (pfns
 * in the kernel, page numbers of a trace in the simulator). A policy is
 * told when a page becomes resident (`insert`, a filled miss), when it
 * leaves by other means (`remove`: freed, unmapped, truncated), and asked
 * for a victim (`evict`). Hardware does not report every access: it sets a
 * PTE's accessed bit, which reclaim tests and clears (`folio_referenced`,
 * `ptep_clear_flush_young`). So `evict` gets a `referenced(page)` callback
 * that tests and clears that bit, and only the policies that cannot work
 * without it (LRU, OPT: {@link ReplacementPolicy.needsEveryAccess}) rely on
 * being told of every hit through `access`. For LRU-2Q, `access` is
 * `mark_page_accessed`: what the kernel calls on accesses it does see
 * (read(2)/write(2) through the page cache).
 *
 * | policy | learns of use through | victim |
 * | --- | --- | --- |
 * | `fifo` | nothing | oldest insertion |
 * | `lru` | every `access` | least recently accessed |
 * | `opt` | the whole trace, given up front | next use farthest away |
 * | `clock` | `referenced` at eviction | first unreferenced page at the hand |
 * | `lru-2q` | `referenced` at eviction and demotion, `access` | inactive-list tail, as mm/vmscan.c |
 *
 * Operations are O(1) (OPT: O(log n)), and amortized O(1) for the scans of
 * CLOCK and LRU-2Q (each extra page looked at consumes a reference bit set
 * by an earlier access). Pages are linked by index through typed arrays
 * and found through a table indexed by page number (a `Map` only for
 * pages from 2**20 up), so the steady state allocates nothing.
 */
import { ClockPolicy } from './clock.js';
import { FifoPolicy } from './fifo.js';
import { LruPolicy } from './lru.js';
import { Lru2QPolicy } from './lru-2q.js';
import { OptPolicy } from './opt.js';
import { checkTrace, isPage, show } from './validate.js';

/** The replacement policies, by name. */
export type PolicyName = 'fifo' | 'lru' | 'opt' | 'clock' | 'lru-2q';

/** Every {@link PolicyName}, in a fixed order. */
export const POLICY_NAMES: readonly PolicyName[] = Object.freeze([
  'fifo',
  'lru',
  'opt',
  'clock',
  'lru-2q',
]);

/** Whether `x` is a {@link PolicyName}. */
export function isPolicyName(x: unknown): x is PolicyName {
  return typeof x === 'string' && (POLICY_NAMES as readonly string[]).includes(x);
}

/**
 * Tests and clears a page's reference (accessed) bit: true if the page was
 * referenced since the bit was last cleared.
 *
 * Counterpart: `folio_referenced` (which test-and-clears the accessed bit of
 * every PTE mapping the folio through `ptep_clear_flush_young`).
 */
export type ReferencedFn = (page: number) => boolean;

/**
 * A page-replacement policy: the set of resident pages it tracks and the
 * rule that picks a victim among them.
 *
 * Misuse (inserting a resident page, `access` or `remove` of a page that is
 * not resident, a page that is not a non-negative safe integer) throws
 * `KernelBug` and leaves the policy unchanged.
 */
export interface ReplacementPolicy {
  /** Which policy this is. */
  readonly name: PolicyName;
  /**
   * Whether the policy needs to be told of every access (lru, opt) rather
   * than learning of use only through reference bits at eviction time.
   */
  readonly needsEveryAccess: boolean;
  /** Number of resident pages it tracks. */
  readonly size: number;
  /** Whether `page` is resident. */
  has(page: number): boolean;
  /**
   * `page` became resident (a miss was filled). Throws if it already is.
   *
   * Counterpart: `folio_add_lru` (`lru_cache_add`).
   */
  insert(page: number): void;
  /**
   * `page` was referenced while resident (a hit). Throws if it is not resident.
   *
   * Counterpart (LRU-2Q): `folio_mark_accessed` (`mark_page_accessed`).
   */
  access(page: number): void;
  /**
   * `page` left by other means (freed, unmapped). Throws if it is not resident.
   *
   * Counterpart: `lruvec_del_folio` on the free path (`__page_cache_release`).
   */
  remove(page: number): void;
  /**
   * Chooses a victim, removes it from the policy and returns it; -1 if the
   * policy is empty. `referenced(page)` tests and clears the page's
   * reference bit (the simulator keeps one bit per page, set on every hit
   * and on the fault that made the page resident; the kernel would
   * test-and-clear PTE accessed bits). Policies that do not use reference
   * bits (FIFO, LRU, OPT) never call it.
   *
   * Counterpart (LRU-2Q): one round of `shrink_lruvec`: `shrink_active_list`
   * while the inactive list is low, then `shrink_inactive_list` until one
   * page is reclaimed.
   */
  evict(referenced: ReferencedFn): number;
}

/** Options of {@link createPolicy}. */
export interface PolicyOptions {
  /**
   * The whole reference string, required by `'opt'` (Belady's algorithm is
   * offline). Each `insert` or `access` call is one step of it, in order.
   */
  readonly trace?: ArrayLike<number>;
  /**
   * Expected number of resident pages: sizes the policy's arrays up front
   * (they grow past it when needed). Default 16.
   */
  readonly capacity?: number;
}

const DEFAULT_CAPACITY = 16;

/**
 * Creates an empty policy by name.
 *
 * @example
 * ```ts
 * const p = createPolicy('clock');
 * p.insert(7);
 * p.evict(() => false); // 7
 * ```
 * @throws TypeError if `name` is not a string, `options` is not an object,
 *   or `'opt'` is asked for without `options.trace`.
 * @throws RangeError if `name` is not a policy name, `options.capacity` is
 *   not a non-negative safe integer, or a trace entry is not a page.
 */
export function createPolicy(name: PolicyName, options?: PolicyOptions): ReplacementPolicy {
  if (typeof name !== 'string')
    throw new TypeError(
      `createPolicy: name must be one of ${POLICY_NAMES.map(show).join(', ')} (got ${show(name)})`,
    );
  if (!isPolicyName(name))
    throw new RangeError(
      `createPolicy: name ${show(name)} is not a policy; expected one of ${POLICY_NAMES.map(show).join(', ')}`,
    );
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new TypeError(`createPolicy: options must be an object (got ${show(options)})`);
  const capacity = options?.capacity ?? DEFAULT_CAPACITY;
  if (!isPage(capacity))
    throw new RangeError(
      `createPolicy: options.capacity is ${show(capacity)}; it must be a non-negative safe integer`,
    );
  switch (name) {
    case 'fifo':
      return new FifoPolicy(capacity);
    case 'lru':
      return new LruPolicy(capacity);
    case 'clock':
      return new ClockPolicy(capacity);
    case 'lru-2q':
      return new Lru2QPolicy(capacity);
    case 'opt': {
      const trace = options?.trace;
      if (trace === undefined)
        throw new TypeError(
          "createPolicy: 'opt' needs options.trace (Belady's algorithm must know the future references)",
        );
      checkTrace('createPolicy', 'options.trace', trace);
      return new OptPolicy(trace, capacity);
    }
  }
}
