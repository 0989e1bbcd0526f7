/**
 * The page allocator against a bare free list in the same run.
 *
 * 1. Order-0 allocPages/freePages pairs through the per-CPU lists, against
 *    a bare LIFO free list of frame numbers in an Int32Array (pop, push):
 *    the least any allocator of single frames can do. Target: ratio >= 0.4.
 * 2. Mixed-order churn (orders 0..10, frees in random order) at 64 MiB,
 *    1 GiB and 16 GiB: the cost per operation must not grow with memory.
 */
import { BuddyAllocator } from '../src/buddy/buddy-allocator.js';
import { GFP_KERNEL } from '../src/gfp/flags.js';
import { PhysicalMemory } from '../src/page/physical-memory.js';
import { Prandom } from '../src/page/prandom.js';
import { compare } from './harness.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const BATCH = 1024;

// --- 1. order-0 pairs ----------------------------------------------------
const buddy = new BuddyAllocator(new PhysicalMemory(1 * GiB), { arch: 'x86_64' });
const held = new Int32Array(BATCH);

const bareFrames = (1 * GiB) / 4096;
const bareNext = new Int32Array(bareFrames);
for (let i = 0; i < bareFrames; i++) bareNext[i] = i + 1;
bareNext[bareFrames - 1] = -1;
let bareHead = 0;

await compare(
  'order-0 alloc/free pair (1 GiB machine, 1024 live at a time)',
  {
    name: 'bare Int32Array free list',
    ops: BATCH,
    fn: () => {
      for (let i = 0; i < BATCH; i++) {
        const pfn = bareHead;
        bareHead = bareNext[pfn] as number;
        held[i] = pfn;
      }
      for (let i = BATCH - 1; i >= 0; i--) {
        const pfn = held[i] as number;
        bareNext[pfn] = bareHead;
        bareHead = pfn;
      }
    },
  },
  [
    {
      name: 'BuddyAllocator allocPages/freePages(0)',
      ops: BATCH,
      fn: () => {
        for (let i = 0; i < BATCH; i++) held[i] = buddy.allocPages(GFP_KERNEL, 0) as number;
        for (let i = BATCH - 1; i >= 0; i--) buddy.freePages(held[i] as number, 0);
      },
    },
  ],
);

// --- 2. mixed-order churn at three sizes --------------------------------
function churn(bytes: number): () => void {
  const b = new BuddyAllocator(new PhysicalMemory(bytes), { arch: 'x86_64' });
  const random = new Prandom(42);
  const live = 256;
  const pfns = new Int32Array(live).fill(-1);
  const orders = new Int32Array(live);
  // Orders weighted towards small ones, as real workloads are.
  const pickOrder = () => Math.min(10, Math.floor(-Math.log2(1 - random.nextU32() / 2 ** 32)));
  return () => {
    for (let i = 0; i < BATCH; i++) {
      const slot = random.below(live);
      const pfn = pfns[slot] as number;
      if (pfn >= 0) {
        b.freePages(pfn, orders[slot] as number);
        pfns[slot] = -1;
      } else {
        const order = pickOrder();
        const got = b.allocPages(GFP_KERNEL, order);
        if (got !== null) {
          pfns[slot] = got;
          orders[slot] = order;
        }
      }
    }
  };
}

await compare(
  'mixed-order churn (orders 0..10, 256 live blocks): ns per operation by machine size',
  { name: '64 MiB', ops: BATCH, fn: churn(64 * MiB) },
  [
    { name: '1 GiB', ops: BATCH, fn: churn(1 * GiB) },
    { name: '16 GiB', ops: BATCH, fn: churn(16 * GiB) },
  ],
);
