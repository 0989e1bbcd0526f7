/**
 * OPT (Belady's MIN): evicts the resident page whose next use lies
 * farthest in the future, pages never used again first. It needs the whole
 * reference string up front, so it is a yardstick, not a policy a kernel
 * can run: no online policy misses less (Mattson et al. 1970).
 *
 * Built with the trace, it learns where it is from the calls it receives:
 * each `insert` (a filled miss) or `access` (a hit) is one step of the
 * trace, in order, and its page must be the trace's page at that step (a
 * mismatch throws, so a driver that skips or reorders steps is caught).
 * `evict` and `remove` are not steps. This is exactly how `simulatePolicy`
 * calls it: for each trace element, either `access(page)`, or `evict` (when
 * memory is full) followed by `insert(page)`.
 *
 * `nextUse[i]` (the next position holding `trace[i]`, Infinity if none) is
 * computed once, backwards, in O(n). Resident pages sit in a binary max-heap
 * keyed on their next use; a step re-keys one page (its next use moves
 * later, so it sifts up), `evict` pops the root, `remove` deletes from the
 * middle. Each operation is O(log n) in typed arrays, no allocation. Ties
 * (several pages never used again) go to whichever the heap holds at the
 * root: deterministic, and any choice among them misses equally often.
 */
import { KernelBug } from '../../../page/errors.js';
import { ABSENT, PageIndex } from './page-index.js';
import { MAX_PREALLOCATED } from './page-nodes.js';
import type { ReferencedFn, ReplacementPolicy } from './policy.js';
import { alreadyResident, checkPolicyPage, checkTrace, notResident } from './validate.js';

/** Belady's optimal offline replacement over a known trace. */
export class OptPolicy implements ReplacementPolicy {
  readonly name = 'opt' as const;
  readonly needsEveryAccess = true;
  /** The trace, copied at construction. */
  private readonly trace: Float64Array;
  /** For each trace position, the next position of the same page (Infinity: none). */
  private readonly nextUse: Float64Array;
  private position = 0;
  private readonly index: PageIndex; // page -> slot
  private slotPage: Float64Array;
  private slotKey: Float64Array; // next use of the slot's page
  private slotPos: Int32Array; // slot -> heap position
  private heap: Int32Array; // heap position -> slot
  private freeSlots: Int32Array;
  private nFree = 0;
  private nSlots = 0;
  private n = 0;

  /**
   * @param trace The reference string the policy will be driven through.
   * @param capacity Expected number of resident pages (a hint).
   * @throws TypeError / RangeError if `trace` is not an array of pages.
   */
  constructor(trace: ArrayLike<number>, capacity = 16) {
    checkTrace('OptPolicy', 'trace', trace);
    const len = trace.length;
    this.trace = Float64Array.from(trace);
    this.nextUse = new Float64Array(len);
    const seen = new PageIndex();
    for (let i = len - 1; i >= 0; i--) {
      const p = this.trace[i] as number;
      const next = seen.get(p);
      if (next === ABSENT) {
        this.nextUse[i] = Number.POSITIVE_INFINITY;
        seen.set(p, i);
      } else {
        this.nextUse[i] = next;
        seen.update(p, i);
      }
    }
    const cap = Math.min(Math.max(capacity, 4), MAX_PREALLOCATED);
    this.index = new PageIndex(cap);
    this.slotPage = new Float64Array(cap);
    this.slotKey = new Float64Array(cap);
    this.slotPos = new Int32Array(cap);
    this.heap = new Int32Array(cap);
    this.freeSlots = new Int32Array(cap);
  }

  get size(): number {
    return this.n;
  }

  /** The trace position the next `insert` or `access` stands for. */
  get step(): number {
    return this.position;
  }

  has(page: number): boolean {
    return this.index.has(page);
  }

  insert(page: number): void {
    checkPolicyPage('OptPolicy.insert', page);
    if (this.index.has(page)) throw alreadyResident('OptPolicy.insert', page);
    this.checkStep('OptPolicy.insert', page);
    if (this.n === this.heap.length) this.grow();
    const slot = this.nFree > 0 ? (this.freeSlots[--this.nFree] as number) : this.nSlots++;
    this.index.set(page, slot);
    this.slotPage[slot] = page;
    this.slotKey[slot] = this.nextUse[this.position] as number;
    this.position++;
    const i = this.n++;
    this.heap[i] = slot;
    this.slotPos[slot] = i;
    this.siftUp(i);
  }

  access(page: number): void {
    const slot = this.index.get(page);
    if (slot === ABSENT) throw notResident('OptPolicy.access', page);
    this.checkStep('OptPolicy.access', page);
    // The page's key was this very position; its next use is later, so it rises.
    this.slotKey[slot] = this.nextUse[this.position] as number;
    this.position++;
    this.siftUp(this.slotPos[slot] as number);
  }

  remove(page: number): void {
    const slot = this.index.get(page);
    if (slot === ABSENT) throw notResident('OptPolicy.remove', page);
    this.deleteAt(this.slotPos[slot] as number);
  }

  /** Evicts the page used farthest in the future (never again first); never calls `referenced`. */
  evict(_referenced: ReferencedFn): number {
    if (this.n === 0) return -1;
    const page = this.slotPage[this.heap[0] as number] as number;
    this.deleteAt(0);
    return page;
  }

  /** Position of the next use of a resident page after the current step (Infinity: never). */
  nextUseOf(page: number): number {
    const slot = this.index.get(page);
    if (slot === ABSENT) throw notResident('OptPolicy.nextUseOf', page);
    return this.slotKey[slot] as number;
  }

  private checkStep(fn: string, page: number): void {
    const t = this.position;
    if (t >= this.trace.length)
      throw new KernelBug(
        `${fn}: the trace has ${this.trace.length} steps and all have been used; page ${page} is one too many`,
      );
    if (this.trace[t] !== page)
      throw new KernelBug(
        `${fn}: step ${t} of the trace is page ${this.trace[t]}, not page ${page}; each insert or access must follow the trace in order`,
      );
  }

  private deleteAt(i: number): void {
    const slot = this.heap[i] as number;
    this.index.delete(this.slotPage[slot] as number);
    this.freeSlots[this.nFree++] = slot;
    const last = --this.n;
    if (i !== last) {
      const moved = this.heap[last] as number;
      this.heap[i] = moved;
      this.slotPos[moved] = i;
      this.siftDown(i);
      this.siftUp(this.slotPos[moved] as number);
    }
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const key = this.slotKey;
    const pos = this.slotPos;
    const slot = heap[i] as number;
    const k = key[slot] as number;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = heap[parent] as number;
      if ((key[ps] as number) >= k) break;
      heap[i] = ps;
      pos[ps] = i;
      i = parent;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const key = this.slotKey;
    const pos = this.slotPos;
    const n = this.n;
    const slot = heap[i] as number;
    const k = key[slot] as number;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (
        right < n &&
        (key[heap[right] as number] as number) > (key[heap[child] as number] as number)
      )
        child = right;
      const cs = heap[child] as number;
      if ((key[cs] as number) <= k) break;
      heap[i] = cs;
      pos[cs] = i;
      i = child;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  private grow(): void {
    const cap = this.heap.length * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.slotPage = f64(this.slotPage);
    this.slotKey = f64(this.slotKey);
    this.slotPos = i32(this.slotPos);
    this.heap = i32(this.heap);
    this.freeSlots = i32(this.freeSlots);
  }
}
