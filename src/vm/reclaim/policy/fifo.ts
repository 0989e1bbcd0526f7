/**
 * FIFO replacement: pages leave in the order they arrived, whatever their
 * use. One list: `insert` adds at the head, `evict` takes the tail. Hits
 * and reference bits are ignored, which is why FIFO shows Belady's anomaly
 * (more frames can mean more misses: 1,2,3,4,1,2,5,1,2,3,4,5 misses 9
 * times with 3 frames and 10 times with 4).
 */
import { OneListPolicy } from './one-list.js';
import { notResident } from './validate.js';

/** First-in, first-out replacement. No kernel counterpart (Linux never used FIFO for pages). */
export class FifoPolicy extends OneListPolicy {
  readonly name = 'fifo' as const;
  readonly needsEveryAccess = false;
  protected readonly label = 'FifoPolicy';

  /** A hit changes nothing in FIFO order. */
  access(page: number): void {
    if (!this.nodes.index.has(page)) throw notResident('FifoPolicy.access', page);
  }
}
