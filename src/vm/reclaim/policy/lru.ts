/**
 * Exact LRU: the victim is the page whose last access is oldest. One list
 * ordered by recency: `insert` and `access` move the page to the head,
 * `evict` takes the tail. It must see every access
 * ({@link LruPolicy.needsEveryAccess}), which hardware does not provide
 * for mapped pages; that is why the kernel approximates it with reference
 * bits and two lists (see `lru-2q`). LRU is a stack algorithm: with more
 * frames it never misses more.
 *
 * Every operation is O(1): an index lookup and a few typed-array writes.
 */
import { ABSENT } from './page-index.js';
import { PageNodes } from './page-nodes.js';
import type { ReferencedFn, ReplacementPolicy } from './policy.js';
import { alreadyResident, checkPolicyPage, notResident } from './validate.js';

/** The list head: its `next` is the most recently used page, its `prev` the least. */
const RECENCY = 0;

/** Least-recently-used replacement, exact (told of every access). */
export class LruPolicy implements ReplacementPolicy {
  readonly name = 'lru' as const;
  readonly needsEveryAccess = true;
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
    checkPolicyPage('LruPolicy.insert', page);
    if (this.nodes.index.has(page)) throw alreadyResident('LruPolicy.insert', page);
    this.nodes.linkAfter(this.nodes.alloc(page), RECENCY);
  }

  /** Moves the page to the most-recently-used end. */
  access(page: number): void {
    const nodes = this.nodes;
    const node = nodes.index.get(page);
    if (node === ABSENT) throw notResident('LruPolicy.access', page);
    if (nodes.next[RECENCY] === node) return;
    nodes.unlink(node);
    nodes.linkAfter(node, RECENCY);
  }

  remove(page: number): void {
    const node = this.nodes.index.get(page);
    if (node === ABSENT) throw notResident('LruPolicy.remove', page);
    this.nodes.unlink(node);
    this.nodes.release(node);
  }

  /** Evicts the least recently used page; never calls `referenced`. */
  evict(_referenced: ReferencedFn): number {
    const nodes = this.nodes;
    const victim = nodes.prev[RECENCY] as number;
    if (victim === RECENCY) return -1;
    const page = nodes.page[victim] as number;
    nodes.unlink(victim);
    nodes.release(victim);
    return page;
  }

  /** Resident pages, least recently used first (the order they will be evicted in). */
  pages(): number[] {
    const out: number[] = [];
    const nodes = this.nodes;
    for (let n = nodes.prev[RECENCY] as number; n !== RECENCY; n = nodes.prev[n] as number)
      out.push(nodes.page[n] as number);
    return out;
  }
}
