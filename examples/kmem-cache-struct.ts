/**
 * A kmem_cache for a struct of your own: create the cache with a
 * constructor, allocate objects, write their fields into simulated RAM
 * with k.store32/k.store16/k.write, read them back, and see that the
 * constructor runs when a slab is populated, not on every allocation.
 *
 * Run it with `npx tsx examples/kmem-cache-struct.ts`.
 */
import { GFP_KERNEL, Kernel, SLAB_HWCACHE_ALIGN } from 'mmsim';

// struct point { u32 magic; u32 id; u16 x, y; char name[12]; }: 24 bytes, fields at offsets.
const [MAGIC, ID, X, Y, NAME, SIZE] = [0, 4, 8, 10, 12, 24] as const;
const POINT_MAGIC = 0x504f494e; // 'POIN', written by the constructor

const k = Kernel.boot({ memory: '16M' });
let constructed = 0;
const cache = k.kmemCacheCreate('point', SIZE, {
  // Align to the cache line, halved while the object fits in half (calculate_alignment).
  flags: SLAB_HWCACHE_ALIGN,
  ctor: (obj) => {
    k.store32(obj + MAGIC, POINT_MAGIC);
    constructed++;
  },
});
console.log(
  `cache ${cache.name}: object ${cache.objectSize} bytes, slot ${cache.size}, align ${cache.align}`,
);

// Allocate three objects (kernel virtual addresses in the direct map) and fill them in.
const points: number[] = [];
for (let id = 1; id <= 3; id++) {
  const p = cache.alloc(GFP_KERNEL);
  if (p === null) throw new Error('out of memory');
  k.store32(p + ID, id);
  k.store16(p + X, id * 10);
  k.store16(p + Y, id * 20);
  k.write(p + NAME, new TextEncoder().encode(`point-${id}\0`));
  points.push(p);
}
// The first allocation populated a whole slab: the constructor ran once per object in it.
console.log(`after 3 allocations the constructor has run ${constructed} times`);

for (const p of points) {
  const name = new TextDecoder().decode(k.read(p + NAME, 12)).split('\0')[0];
  console.log(
    `${name}: id ${k.load32(p + ID)} at (${k.load16(p + X)}, ${k.load16(p + Y)}), magic ok: ${k.load32(p + MAGIC) === POINT_MAGIC}`,
  );
}

// Free one and allocate again: the same slot comes back (the freelist is LIFO),
// still constructed, and the constructor does not run again.
const [first = 0, ...rest] = points;
cache.free(first);
const again = cache.alloc(GFP_KERNEL);
console.log(
  `reused: ${again === first}, magic still set: ${k.load32(first + MAGIC) === POINT_MAGIC}, constructor runs: ${constructed}`,
);

// /proc/slabinfo: active objects, total, slot size, objects per slab, pages per slab, ...
// SLUB counts every object of the CPU's own slab as active, as Linux does.
const slabinfo = k.proc('/proc/slabinfo').split('\n');
console.log(slabinfo.find((line) => line.startsWith('point ')));

for (const p of [again, ...rest]) if (p !== null) cache.free(p);
cache.destroy(); // kmem_cache_destroy: only legal once every object is freed
k.checkInvariants();
