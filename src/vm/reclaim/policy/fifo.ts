/**
 * FIFO replacement: pages leave in the order they arrived, whatever their
 * use. One list: `insert` adds at the head, `evict` takes the tail. Hits
 * and reference bits are ignored, which is why FIFO shows Belady's anomaly
 * (more frames can mean more misses: 1,2,3,4,1,2,5,1,2,3,4,5 misses 9
 * times with 3 frames and 10 times with 4).
 *
 * Every operation is O(1): an index lookup and a few typed-array writes.
 */
import { ABSENT } from './page-index.js';
import { PageNodes } from './page-nodes.js';
import type { ReferencedFn, ReplacementPolicy } from './policy.js';
import { alreadyResident, checkPolicyPage, notResident } from './validate.js';

/** The list head: its `next` is the newest page, its `prev` the oldest. */
const QUEUE = 0;

/** First-in, first-out replacement. No kernel counterpart (Linux never used FIFO for pages). */
export class FifoPolicy implements ReplacementPolicy {
  readonly name = 'fifo' as const;
  readonly needsEveryAccess = false;
  private readonly nodes: PageNodes;

  /** @param capacity Expected number of resident pages (a hint). */
  constructor(capacity = 16) {
    this.nodes = new PageNodes(1, capacity);
  }

  get size(): number {
    return this.nodes.size;
  }

  has(page: number): boolean {
    return this.nodes.index.has(page);
  }

  insert(page: number): void {
    checkPolicyPage('FifoPolicy.insert', page);
    if (this.nodes.index.has(page)) throw alreadyResident('FifoPolicy.insert', page);
    this.nodes.linkAfter(this.nodes.alloc(page), QUEUE);
  }

  /** A hit changes nothing in FIFO order. */
  access(page: number): void {
    if (!this.nodes.index.has(page)) throw notResident('FifoPolicy.access', page);
  }

  remove(page: number): void {
    const node = this.nodes.index.get(page);
    if (node === ABSENT) throw notResident('FifoPolicy.remove', page);
    this.nodes.unlink(node);
    this.nodes.release(node);
  }

  /** Evicts the oldest page; never calls `referenced`. */
  evict(_referenced: ReferencedFn): number {
    const nodes = this.nodes;
    const victim = nodes.prev[QUEUE] as number;
    if (victim === QUEUE) return -1;
    const page = nodes.page[victim] as number;
    nodes.unlink(victim);
    nodes.release(victim);
    return page;
  }

  /** Resident pages, oldest first (the order they will be evicted in). */
  pages(): number[] {
    const out: number[] = [];
    const nodes = this.nodes;
    for (let n = nodes.prev[QUEUE] as number; n !== QUEUE; n = nodes.prev[n] as number)
      out.push(nodes.page[n] as number);
    return out;
  }
}
