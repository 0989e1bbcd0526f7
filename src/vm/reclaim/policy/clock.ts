/**
 * CLOCK (second chance): resident pages sit on a circular list with a hand.
 * To find a victim the hand sweeps forward: a page whose reference bit is
 * set gets a second chance (the bit is cleared, the hand moves on); the
 * first page found unreferenced is evicted and the hand stops just past it.
 * A new page is linked just behind the hand, so it is the last one the
 * next sweep reaches, as if it had taken the victim's slot.
 *
 * CLOCK learns of use only through `referenced` (test-and-clear of the
 * accessed bit), never through `access`: the hardware-friendly
 * approximation of LRU from Multics, and the building block of Linux's
 * two lists (mm/workingset.c calls them a "double CLOCK").
 *
 * The list is a ring of nodes with no sentinel; `hand` is a node, or
 * NO_NODE when empty. `insert`, `access`, `remove` are O(1); `evict` is
 * O(1) amortized (each page it passes over consumes one reference bit set
 * since the last sweep) and at most one full turn plus one page.
 */
import { ABSENT } from './page-index.js';
import { NO_NODE, PageNodes } from './page-nodes.js';
import type { ReferencedFn, ReplacementPolicy } from './policy.js';
import { alreadyResident, checkPolicyPage, notResident } from './validate.js';

/** The CLOCK (second-chance) algorithm over reference bits. */
export class ClockPolicy implements ReplacementPolicy {
  readonly name = 'clock' as const;
  readonly needsEveryAccess = false;
  private readonly nodes: PageNodes;
  /** The node the hand points at: the next page a sweep examines. */
  private hand = NO_NODE;

  /** @param capacity Expected number of resident pages (a hint). */
  constructor(capacity = 16) {
    this.nodes = new PageNodes(0, capacity);
  }

  get size(): number {
    return this.nodes.size;
  }

  has(page: number): boolean {
    return this.nodes.index.has(page);
  }

  /** Links the page just behind the hand. */
  insert(page: number): void {
    checkPolicyPage('ClockPolicy.insert', page);
    const nodes = this.nodes;
    if (nodes.index.has(page)) throw alreadyResident('ClockPolicy.insert', page);
    const node = nodes.alloc(page);
    if (this.hand === NO_NODE) {
      nodes.linkAlone(node);
      this.hand = node;
    } else {
      nodes.linkBefore(node, this.hand);
    }
  }

  /** CLOCK sees hits only through the reference bit: nothing to do. */
  access(page: number): void {
    if (!this.nodes.index.has(page)) throw notResident('ClockPolicy.access', page);
  }

  remove(page: number): void {
    const nodes = this.nodes;
    const node = nodes.index.get(page);
    if (node === ABSENT) throw notResident('ClockPolicy.remove', page);
    this.unlinkNode(node);
  }

  /** Sweeps from the hand, clearing reference bits, and evicts the first unreferenced page. */
  evict(referenced: ReferencedFn): number {
    const nodes = this.nodes;
    let node = this.hand;
    if (node === NO_NODE) return -1;
    // After a full turn every bit has been cleared, so the page the sweep
    // started at is taken even if `referenced` misbehaves and never clears.
    for (let k = nodes.size; k > 0 && referenced(nodes.page[node] as number); k--)
      node = nodes.next[node] as number;
    const page = nodes.page[node] as number;
    this.hand = node;
    this.unlinkNode(node);
    return page;
  }

  /** Resident pages in the order the hand will reach them. */
  pages(): number[] {
    const out: number[] = [];
    const nodes = this.nodes;
    if (this.hand === NO_NODE) return out;
    let n = this.hand;
    do {
      out.push(nodes.page[n] as number);
      n = nodes.next[n] as number;
    } while (n !== this.hand);
    return out;
  }

  /** Takes a node off the ring; the hand, if on it, moves to the next page. */
  private unlinkNode(node: number): void {
    const nodes = this.nodes;
    if (node === this.hand) {
      const next = nodes.next[node] as number;
      this.hand = next === node ? NO_NODE : next;
    }
    nodes.unlink(node);
    nodes.release(node);
  }
}
