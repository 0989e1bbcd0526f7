/**
 * The node pool the list-based replacement policies share: a structure of
 * arrays (page number, prev, next, a flag byte) indexed by node number,
 * plus an index from page to node. Nodes are linked into circular doubly
 * linked lists through `prev`/`next`, the way `struct list_head` links
 * `folio->lru` in the kernel; a list is named by a sentinel node (the
 * `list_head` itself), allocated first and never freed. Pages are found
 * through a {@link PageIndex} (a direct table for small page numbers).
 *
 * Freed nodes go on a free list threaded through `next`, so that the steady
 * state (one page in, one page out) allocates nothing. The arrays double
 * when the pool runs out, so a policy need not know its capacity in
 * advance; a capacity hint avoids even that.
 *
 * Internal to `src/vm/reclaim/policy`: not exported by the package.
 */

import { PageIndex } from './page-index.js';

/** Largest capacity hint honoured up front (larger pools grow to size). */
export const MAX_PREALLOCATED = 2 ** 20;

/** Value of `prev`/`next` for "no node". */
export const NO_NODE = -1;

/** Nodes, page index and list links of one policy. */
export class PageNodes {
  /** Page held by each node (NaN for sentinels and free nodes). */
  page: Float64Array;
  /** Previous node in the node's list. */
  prev: Int32Array;
  /** Next node in the node's list (or in the free list). */
  next: Int32Array;
  /** Per-node flag bits, for the policy's own use (PG_active, PG_referenced). */
  flags: Uint8Array;
  /** Page number to node (ABSENT: not held). */
  readonly index: PageIndex;
  /** Nodes `[0, top)` have been handed out at least once. */
  private top: number;
  /** Head of the free-node list, linked through `next`. */
  private free = NO_NODE;

  /**
   * @param sentinels Number of list heads to create: nodes `0 .. sentinels-1`,
   *   each an empty circular list (`INIT_LIST_HEAD`).
   * @param capacity Expected number of resident pages (a hint; the pool grows).
   */
  constructor(sentinels: number, capacity: number) {
    // The hint sizes the arrays up front, within reason; they grow past it.
    const n = sentinels + Math.min(Math.max(capacity, 4), MAX_PREALLOCATED);
    this.page = new Float64Array(n).fill(Number.NaN);
    this.prev = new Int32Array(n).fill(NO_NODE);
    this.next = new Int32Array(n).fill(NO_NODE);
    this.flags = new Uint8Array(n);
    for (let s = 0; s < sentinels; s++) {
      this.prev[s] = s;
      this.next[s] = s;
    }
    this.top = sentinels;
    this.index = new PageIndex(capacity);
  }

  /** Number of pages held. */
  get size(): number {
    return this.index.size;
  }

  /** Takes a node for `page` (not linked anywhere yet; flags zero). */
  alloc(page: number): number {
    let node = this.free;
    if (node !== NO_NODE) {
      this.free = this.next[node] as number;
    } else {
      if (this.top === this.page.length) this.grow();
      node = this.top++;
    }
    this.page[node] = page;
    this.flags[node] = 0;
    this.index.set(page, node);
    return node;
  }

  /** Gives back an unlinked node. */
  release(node: number): void {
    this.index.delete(this.page[node] as number);
    this.page[node] = Number.NaN;
    this.prev[node] = NO_NODE;
    this.next[node] = this.free;
    this.free = node;
  }

  /** Links `node` right after `at` (`list_add(node, at)`: at the head when `at` is a sentinel). */
  linkAfter(node: number, at: number): void {
    const after = this.next[at] as number;
    this.prev[node] = at;
    this.next[node] = after;
    this.next[at] = node;
    this.prev[after] = node;
  }

  /** Links `node` right before `at` (`list_add_tail(node, at)`: at the tail when `at` is a sentinel). */
  linkBefore(node: number, at: number): void {
    const before = this.prev[at] as number;
    this.prev[node] = before;
    this.next[node] = at;
    this.next[before] = node;
    this.prev[at] = node;
  }

  /** Makes `node` a one-node circular list of its own. */
  linkAlone(node: number): void {
    this.prev[node] = node;
    this.next[node] = node;
  }

  /** Takes `node` out of its list (`list_del`). */
  unlink(node: number): void {
    const p = this.prev[node] as number;
    const n = this.next[node] as number;
    this.next[p] = n;
    this.prev[n] = p;
    this.prev[node] = NO_NODE;
    this.next[node] = NO_NODE;
  }

  private grow(): void {
    const n = this.page.length * 2;
    const page = new Float64Array(n).fill(Number.NaN);
    page.set(this.page);
    const prev = new Int32Array(n).fill(NO_NODE);
    prev.set(this.prev);
    const next = new Int32Array(n).fill(NO_NODE);
    next.set(this.next);
    const flags = new Uint8Array(n);
    flags.set(this.flags);
    this.page = page;
    this.prev = prev;
    this.next = next;
    this.flags = flags;
  }
}
