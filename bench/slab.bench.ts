/**
 * kmalloc/kfree pairs on a mixed 8..2048-byte workload with 1024 live
 * objects: each step frees a random live object and allocates one of a new
 * random size in its place. Baseline: a bare segregated free list in an
 * Int32Array (the kmalloc size classes, LIFO lists, no checks, no
 * statistics). Subjects: each slab allocator through `k.kmalloc`/`k.kfree`,
 * and @thi.ng/malloc's MemPool (a first-fit allocator) as a peer.
 * Target: SLUB >= 0.5x the bare list.
 */
import { MemPool } from '@thi.ng/malloc';
import { GFP_KERNEL, Kernel, SLAB_KINDS } from '../src/index.js';
import { Prandom } from '../src/page/prandom.js';
import { type Case, compare } from './harness.js';

const LIVE = 1024;
const STEPS = 4096;
const random = new Prandom(7);
// Sizes spread evenly over log2 from 8 to 2048, precomputed so every subject sees the same sequence.
const sizes = Int32Array.from({ length: STEPS }, () =>
  Math.floor(2 ** (3 + (random.nextU32() / 2 ** 32) * 8)),
);
const slots = Int32Array.from({ length: STEPS }, () => random.below(LIVE));

const CLASSES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048];
function classOf(size: number): number {
  let c = 0;
  while ((CLASSES[c] as number) < size) c++;
  return c;
}
const sizeClass = Int8Array.from(sizes, classOf);

/** The bare segregated free list: objects are byte offsets into one buffer. */
function bareList(): () => void {
  const heap = new Int32Array(new SharedArrayBuffer(64 * 2 ** 20));
  const heads = new Int32Array(CLASSES.length).fill(-1);
  let bump = 0;
  const live = new Int32Array(LIVE);
  const liveClass = new Int8Array(LIVE);
  const alloc = (c: number): number => {
    const head = heads[c] as number;
    if (head >= 0) {
      heads[c] = heap[head >> 2] as number;
      return head;
    }
    const obj = bump;
    bump += CLASSES[c] as number;
    return obj;
  };
  for (let i = 0; i < LIVE; i++) {
    liveClass[i] = sizeClass[i] as number;
    live[i] = alloc(liveClass[i] as number);
  }
  return () => {
    for (let s = 0; s < STEPS; s++) {
      const slot = slots[s] as number;
      const old = live[slot] as number;
      const oc = liveClass[slot] as number;
      heap[old >> 2] = heads[oc] as number;
      heads[oc] = old;
      const c = sizeClass[s] as number;
      live[slot] = alloc(c);
      liveClass[slot] = c;
    }
  };
}

function kernelWorkload(kind: (typeof SLAB_KINDS)[number]): () => void {
  const k = Kernel.boot({ slab: kind, memory: '256M' });
  const live = new Float64Array(LIVE);
  for (let i = 0; i < LIVE; i++) live[i] = k.kmalloc(sizes[i] as number, GFP_KERNEL) as number;
  return () => {
    for (let s = 0; s < STEPS; s++) {
      const slot = slots[s] as number;
      k.kfree(live[slot] as number);
      live[slot] = k.kmalloc(sizes[s] as number, GFP_KERNEL) as number;
    }
  };
}

function memPoolWorkload(): () => void {
  const pool = new MemPool({ size: 64 * 2 ** 20 });
  const live = new Int32Array(LIVE);
  for (let i = 0; i < LIVE; i++) live[i] = pool.malloc(sizes[i] as number);
  return () => {
    for (let s = 0; s < STEPS; s++) {
      const slot = slots[s] as number;
      pool.free(live[slot] as number);
      live[slot] = pool.malloc(sizes[s] as number);
    }
  };
}

const available = SLAB_KINDS.filter((kind) => {
  try {
    Kernel.boot({ slab: kind, memory: '2M' });
    return true;
  } catch {
    return false;
  }
});

const subjects: Case[] = available.map((kind) => ({
  name: `${kind.toUpperCase()} kmalloc/kfree`,
  ops: STEPS,
  fn: kernelWorkload(kind),
}));
subjects.push({ name: '@thi.ng/malloc MemPool', ops: STEPS, fn: memPoolWorkload() });

await compare(
  'kmalloc/kfree pair, mixed 8..2048 bytes, 1024 live objects',
  { name: 'bare segregated free list', ops: STEPS, fn: bareList() },
  subjects,
);
