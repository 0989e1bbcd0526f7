/**
 * Memory use of the slab allocators on three workloads (same sequence of
 * requests for each):
 *
 * - small: 20,000 kmallocs of 8..64 bytes;
 * - mixed: 5,000 kmallocs of 8..4096 bytes (log-uniform);
 * - burst then partial free: 20,000 kmallocs of 16..512 bytes, then three of
 *   every four freed at random.
 *
 * Reported, after the workload and a shrink of every cache:
 * - pages: frames the slab layer took from the page allocator;
 * - internal fragmentation: bytes handed out beyond what was asked
 *   (`ksize - size`), as a share of the bytes handed out;
 * - external fragmentation: bytes of those pages in no live object, as a
 *   share of the pages' bytes;
 * - utilisation: bytes asked for, as a share of the pages' bytes.
 *
 * The baseline is the bytes asked for, rounded up to whole pages.
 */
import { GFP_KERNEL, Kernel, SLAB_KINDS } from '../src/index.js';
import { Prandom } from '../src/page/prandom.js';

interface Workload {
  readonly name: string;
  readonly sizes: Int32Array;
  /** Indices of the allocations freed before measuring. */
  readonly freed: Set<number>;
}

function logUniform(random: Prandom, min: number, max: number): number {
  const lo = Math.log2(min);
  const hi = Math.log2(max);
  return Math.min(max, Math.floor(2 ** (lo + (random.nextU32() / 2 ** 32) * (hi - lo))));
}

function workloads(): Workload[] {
  const random = new Prandom(11);
  const small = Int32Array.from({ length: 20000 }, () => 8 + random.below(57));
  const mixed = Int32Array.from({ length: 5000 }, () => logUniform(random, 8, 4096));
  const burst = Int32Array.from({ length: 20000 }, () => 16 + random.below(497));
  const freed = new Set<number>();
  for (let i = 0; i < burst.length; i++) if (random.below(4) !== 0) freed.add(i);
  return [
    { name: 'small (8..64 B)', sizes: small, freed: new Set() },
    { name: 'mixed (8..4096 B)', sizes: mixed, freed: new Set() },
    { name: 'burst, 3/4 freed', sizes: burst, freed },
  ];
}

function measure(kind: (typeof SLAB_KINDS)[number], w: Workload) {
  const k = Kernel.boot({ slab: kind, memory: '256M' });
  const usedFrames = () =>
    k.memory.frames - k.buddy.nrFreePages() - k.zones.reduce((n, z) => n + z.pcpPages, 0);
  const before = usedFrames();
  const ptrs: number[] = [];
  w.sizes.forEach((size) => {
    ptrs.push(k.kmalloc(size, GFP_KERNEL) as number);
  });
  let asked = 0;
  let handedOut = 0;
  ptrs.forEach((p, i) => {
    if (w.freed.has(i)) {
      k.kfree(p);
    } else {
      asked += w.sizes[i] as number;
      handedOut += k.ksize(p);
    }
  });
  for (const c of k.slab.caches) c.shrink();
  k.drainAllPages();
  const pages = usedFrames() - before;
  const bytes = pages * k.PAGE_SIZE;
  return {
    pages,
    internal: (handedOut - asked) / handedOut,
    external: (bytes - handedOut) / bytes,
    utilisation: asked / bytes,
    asked,
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

const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(9);
console.log('\nslab memory use (after the workload and a shrink of every cache)');
console.log(
  `  ${'workload'.padEnd(20)}${'allocator'.padEnd(11)}${'pages'.padStart(8)}${'internal'.padStart(10)}${'external'.padStart(10)}${'utilised'.padStart(10)}`,
);
for (const w of workloads()) {
  let baselinePrinted = false;
  for (const kind of available) {
    const r = measure(kind, w);
    if (!baselinePrinted) {
      console.log(
        `  ${w.name.padEnd(20)}${'(asked)'.padEnd(11)}${String(Math.ceil(r.asked / 4096)).padStart(8)}`,
      );
      baselinePrinted = true;
    }
    console.log(
      `  ${''.padEnd(20)}${kind.toUpperCase().padEnd(11)}${String(r.pages).padStart(8)}${pct(r.internal)}${pct(r.external)}${pct(r.utilisation)}`,
    );
  }
}
