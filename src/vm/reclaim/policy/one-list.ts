/**
 * What FIFO and LRU share: resident pages on one list, new pages at the
 * head, the victim taken from the tail. They differ only in what a hit
 * does (`access`): nothing for FIFO, a move to the head for LRU.
 *
 * Every operation is O(1): an index lookup and a few typed-array writes.
 */
import { ABSENT } from './page-index.js';
import { PageNodes } from './page-nodes.js';
import type { PolicyName, ReferencedFn, ReplacementPolicy } from './policy.js';
import { alreadyResident, checkPolicyPage, notResident } from './validate.js';

/** The list head: its `next` is the newest page, its `prev` the next victim. */
export const HEAD = 0;

/** A replacement policy over one list, evicting from its tail. */
export abstract class OneListPolicy implements ReplacementPolicy {
  abstract readonly name: PolicyName;
  abstract readonly needsEveryAccess: boolean;
  /** @internal The list, as linked nodes in typed arrays. */
  protected readonly nodes: PageNodes;

  /** @param capacity Expected number of resident pages (a hint). */
  constructor(capacity = 16) {
    this.nodes = new PageNodes(1, capacity);
  }

  /** The class name messages start with (`FifoPolicy`, `LruPolicy`). */
  protected abstract readonly label: string;

  abstract access(page: number): void;

  get size(): number {
    return this.nodes.size;
  }

  has(page: number): boolean {
    return this.nodes.index.has(page);
  }

  insert(page: number): void {
    checkPolicyPage(`${this.label}.insert`, page);
    if (this.nodes.index.has(page)) throw alreadyResident(`${this.label}.insert`, page);
    this.nodes.linkAfter(this.nodes.alloc(page), HEAD);
  }

  remove(page: number): void {
    const node = this.nodes.index.get(page);
    if (node === ABSENT) throw notResident(`${this.label}.remove`, page);
    this.nodes.unlink(node);
    this.nodes.release(node);
  }

  /** Evicts the page at the tail; never calls `referenced`. */
  evict(_referenced: ReferencedFn): number {
    const nodes = this.nodes;
    const victim = nodes.prev[HEAD] as number;
    if (victim === HEAD) return -1;
    const page = nodes.page[victim] as number;
    nodes.unlink(victim);
    nodes.release(victim);
    return page;
  }

  /** Resident pages in the order they will be evicted in. */
  pages(): number[] {
    const out: number[] = [];
    const nodes = this.nodes;
    for (let n = nodes.prev[HEAD] as number; n !== HEAD; n = nodes.prev[n] as number)
      out.push(nodes.page[n] as number);
    return out;
  }
}
