/**
 * Exact LRU: the victim is the page whose last access is oldest. One list
 * ordered by recency: `insert` and `access` move the page to the head,
 * `evict` takes the tail. It must see every access
 * ({@link LruPolicy.needsEveryAccess}), which hardware does not provide
 * for mapped pages; that is why the kernel approximates it with reference
 * bits and two lists (see `lru-2q`). LRU is a stack algorithm: with more
 * frames it never misses more.
 */

import { HEAD, OneListPolicy } from './one-list.js';
import { ABSENT } from './page-index.js';
import { notResident } from './validate.js';

/** Least-recently-used replacement, exact (told of every access). */
export class LruPolicy extends OneListPolicy {
  readonly name = 'lru' as const;
  readonly needsEveryAccess = true;
  protected readonly label = 'LruPolicy';

  /** Moves the page to the most-recently-used end. */
  access(page: number): void {
    const nodes = this.nodes;
    const node = nodes.index.get(page);
    if (node === ABSENT) throw notResident('LruPolicy.access', page);
    if (nodes.next[HEAD] === node) return;
    nodes.unlink(node);
    nodes.linkAfter(node, HEAD);
  }
}
