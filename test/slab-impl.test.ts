/**
 * SLAB-specific behaviour (src/slab/slab.ts): cache geometry and tunables
 * as mm/slab.c computes them, the per-CPU array caches (refill of
 * batchcount objects, flush of batchcount objects at the limit, the shared
 * array), movement of slabs between the full, partial and free lists and
 * free_limit, colouring, constructors, off-slab freelists, shrink and
 * destroy, every always-on misuse check (which must leave the allocator
 * exactly as it was), debugging with red zones and poison, and a
 * model-based test over random alloc/free/shrink sequences.
 *
 * Expected numbers are worked out here from Linux's formulas, not read back
 * from the allocator.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BuddyAllocator } from '../src/buddy/buddy-allocator.js';
import { __GFP_ZERO, GFP_KERNEL, type Gfp } from '../src/gfp/flags.js';
import { KernelBug } from '../src/page/errors.js';
import { PG } from '../src/page/page-flags.js';
import { PhysicalMemory } from '../src/page/physical-memory.js';
import { renderSlabinfo } from '../src/slab/proc-slabinfo.js';
import { SLABS_PARTIAL, SlabAllocator, SlabCache } from '../src/slab/slab.js';
import type { SlabAllocatorOptions } from '../src/slab/slab-common.js';
import {
  POISON_END,
  POISON_FREE,
  POISON_INUSE,
  SLAB_POISON,
  SLAB_RED_ZONE,
} from '../src/slab/slab-flags.js';

const MiB = 2 ** 20;

function boot(options: SlabAllocatorOptions = {}, cpus = 1) {
  const buddy = new BuddyAllocator(new PhysicalMemory(32 * MiB), { arch: 'x86_64', cpus });
  const slab = new SlabAllocator(buddy, options);
  return { buddy, slab };
}

function create(
  slab: SlabAllocator,
  name: string,
  size: number,
  options: Parameters<SlabAllocator['kmemCacheCreate']>[2] = {},
): SlabCache {
  const cache = slab.kmemCacheCreate(name, size, options);
  if (!(cache instanceof SlabCache)) throw new Error('not a SLAB cache');
  return cache;
}

function kmallocCache(slab: SlabAllocator, name: string): SlabCache {
  const cache = slab.caches.find((c) => c.name === name);
  if (!(cache instanceof SlabCache)) throw new Error(`no cache ${name}`);
  return cache;
}

function alloc(cache: SlabCache, gfp: Gfp = GFP_KERNEL): number {
  const va = cache.alloc(gfp);
  if (va === null) throw new Error(`${cache.name}: allocation failed`);
  return va;
}

function pa(slab: SlabAllocator, va: number): number {
  return va - slab.arch.pageOffset;
}

function headOf(slab: SlabAllocator, va: number): number {
  return slab.memMap.compoundHead(Math.floor(pa(slab, va) / slab.arch.pageSize));
}

/** Frames free in the buddy lists and on the per-CPU lists. */
function freeFrames(buddy: BuddyAllocator): number {
  return buddy.nrFreePages() + buddy.zones.reduce((n, z) => n + z.pcpPages, 0);
}

/** Everything a rejected call must leave alone: counters, arrays, lists, struct pages. */
function snapshot(slab: SlabAllocator, caches: readonly SlabCache[]): string {
  const mm = slab.memMap;
  const perCache = caches.map((c) => ({
    info: c.slabinfo(),
    live: c.liveObjects,
    avail: [...c.acAvail],
    entries: [...c.acEntry],
    shared: [...c.sharedEntry].slice(0, c.sharedAvail),
    lists: [...c.lists],
    free: c.freeObjects,
  }));
  return `${JSON.stringify(perCache)} ${Buffer.from(slab.memory.read(mm.base, mm.bytes)).toString('base64')}`;
}

describe('cache geometry and tunables', () => {
  it('lays out the kmalloc caches as Linux SLAB did with 4 KiB pages', () => {
    const { slab } = boot();
    const expected: [string, number, number, number, string][] = [
      // name, size, objects per slab, order, where the freelist lives
      ['kmalloc-8', 16, 240, 0, 'on-slab'], // 16-byte slots: one-byte freelist indices
      ['kmalloc-32', 32, 124, 0, 'on-slab'], // 4096 / (32 + 1)
      ['kmalloc-64', 64, 64, 0, 'objfreelist'], // 64 indices fit one object
      ['kmalloc-96', 96, 42, 0, 'objfreelist'],
      ['kmalloc-192', 192, 21, 0, 'objfreelist'],
      ['kmalloc-2k', 2048, 2, 0, 'objfreelist'],
      ['kmalloc-4k', 4096, 1, 0, 'objfreelist'],
      ['kmalloc-8k', 8192, 1, 1, 'objfreelist'],
    ];
    for (const [name, size, num, order, mgmt] of expected) {
      const c = kmallocCache(slab, name);
      expect([c.size, c.num, c.gfporder, c.mgmt], name).toEqual([size, num, order, mgmt]);
      expect(c.slabinfo().objsPerSlab).toBe(num);
    }
    // colour = leftover / colour_off: kmalloc-96 leaves 4096 - 42 * 96 = 64 bytes, one slot.
    expect(kmallocCache(slab, 'kmalloc-96').colour).toBe(1);
    expect(kmallocCache(slab, 'kmalloc-96').colourOff).toBe(64);
  });

  it('keeps the freelist off-slab when a ctor rules out objfreelist and the slab has no room', () => {
    const { slab } = boot();
    const c = create(slab, 'big_ctor', 4096, { ctor: () => {} });
    expect([c.mgmt, c.num, c.gfporder]).toEqual(['off-slab', 1, 0]);
    const k16 = kmallocCache(slab, 'kmalloc-16');
    const before = k16.liveObjects;
    const a = alloc(c);
    const b = alloc(c);
    // One kmalloc'd freelist (at least 16 bytes) per slab.
    expect(k16.liveObjects).toBe(before + 2);
    slab.checkInvariants();
    c.free(a);
    c.free(b);
    expect(c.shrink()).toBe(2);
    expect(k16.liveObjects).toBe(before);
    slab.checkInvariants();
  });

  it('sets limit and batchcount by slot size (enable_cpucache)', () => {
    const { slab } = boot();
    const cases: [number, number][] = [
      [100, 120],
      [256, 120],
      [300, 54],
      [1024, 54],
      [2000, 24],
      [4096, 24],
      [5000, 8],
      [140000, 1],
    ];
    for (const [size, limit] of cases) {
      const c = create(slab, `t${size}`, size);
      const batch = Math.floor((limit + 1) / 2);
      expect(c.slabinfo(), `size ${size}`).toMatchObject({ limit, batchcount: batch, shared: 0 });
      // free_limit = (1 + nr_cpus) * batchcount + num.
      expect(c.freeLimit).toBe(2 * batch + c.num);
    }
  });

  it('gives caches up to a page a shared array of factor 8 on SMP', () => {
    const { slab } = boot({}, 2);
    const small = create(slab, 'small', 100);
    const big = create(slab, 'big', 5000);
    expect(small.slabinfo()).toMatchObject({ limit: 120, batchcount: 60, shared: 8 });
    expect(small.sharedEntry.length).toBe(8 * 60);
    expect(small.freeLimit).toBe(3 * 60 + small.num);
    expect(big.slabinfo()).toMatchObject({ limit: 8, batchcount: 4, shared: 0 });
  });

  it('prints the tunables in /proc/slabinfo', () => {
    const { slab } = boot();
    create(slab, 'tun', 300);
    const line = renderSlabinfo(slab.caches)
      .split('\n')
      .find((l) => l.startsWith('tun '));
    expect(line).toMatch(/: tunables {3}54 {3}27 {4}0 : slabdata/);
  });

  it('reports ksize as the object size', () => {
    const { slab } = boot();
    const p65 = slab.kmalloc(65, GFP_KERNEL);
    const p100 = slab.kmalloc(100, GFP_KERNEL);
    const p5 = slab.kmalloc(5, GFP_KERNEL);
    if (p65 === null || p100 === null || p5 === null) throw new Error('kmalloc failed');
    expect(slab.ksize(p65)).toBe(96);
    expect(slab.ksize(p100)).toBe(128);
    expect(slab.ksize(p5)).toBe(8);
    const c = create(slab, 'odd', 100);
    const o = alloc(c);
    expect(slab.ksize(o)).toBe(100);
    slab.kfree(p65);
    slab.kfree(p100);
    slab.kfree(p5);
    c.free(o);
    slab.checkInvariants();
  });
});

describe('array caches', () => {
  it('refills BATCHREFILL_LIMIT objects first, then batchcount', () => {
    const { slab } = boot();
    const c = create(slab, 'refill', 100); // slot 104: 39 per slab, limit 120, batchcount 60
    expect([c.num, c.batchcount]).toEqual([39, 60]);
    alloc(c);
    // An untouched CPU refills at most 16 (from a new slab), then hands one out.
    expect(c.acAvail[0]).toBe(15);
    expect(c.slabinfo()).toMatchObject({ activeObjs: 16, numObjs: 39, numSlabs: 1 });
    expect(c.slabCounts()).toEqual({ full: 0, partial: 1, free: 0 });
    for (let i = 0; i < 15; i++) alloc(c);
    expect(c.acAvail[0]).toBe(0);
    slab.checkInvariants();
    // Now touched: the refill takes up to 60, but the node has only 23 free objects and
    // does not grow when it found some.
    alloc(c);
    expect(c.acAvail[0]).toBe(22);
    expect(c.slabinfo()).toMatchObject({ activeObjs: 39, numObjs: 39, numSlabs: 1 });
    expect(c.slabCounts()).toEqual({ full: 1, partial: 0, free: 0 });
    for (let i = 0; i < 22; i++) alloc(c);
    // Empty again with no free objects: one new slab, batchcount (60) capped by its 39 objects.
    alloc(c);
    expect(c.acAvail[0]).toBe(38);
    expect(c.slabinfo()).toMatchObject({ activeObjs: 78, numObjs: 78, numSlabs: 2 });
    expect(c.liveObjects).toBe(40);
    slab.checkInvariants();
  });

  it('flushes batchcount objects back to their slabs when the array is full', () => {
    const { slab } = boot();
    const c = create(slab, 'flush', 2000); // 2 per slab, limit 24, batchcount 12
    const objs = Array.from({ length: 40 }, () => alloc(c));
    expect(c.slabCounts()).toEqual({ full: 20, partial: 0, free: 0 });
    for (let i = 0; i < 24; i++) c.free(objs[i] as number);
    // Up to the limit, frees stay in the array: the slabs do not see them.
    expect(c.acAvail[0]).toBe(24);
    expect(c.slabinfo().activeObjs).toBe(40);
    slab.checkInvariants();
    c.free(objs[24] as number);
    // The 12 oldest entries (objects 0..11: slabs 0..5) went back; then the free was pushed.
    expect(c.acAvail[0]).toBe(13);
    expect(c.freeObjects).toBe(12);
    expect(c.slabCounts()).toEqual({ full: 14, partial: 0, free: 6 });
    expect(c.slabinfo()).toMatchObject({ activeObjs: 28, activeSlabs: 14, numSlabs: 20 });
    slab.checkInvariants();
  });

  it('passes objects between CPUs through the shared array', () => {
    const { buddy, slab } = boot({}, 2);
    const c = create(slab, 'smp', 100); // limit 120, batchcount 60, shared array of 480
    buddy.cpu = 0;
    const objs = Array.from({ length: 200 }, () => alloc(c));
    buddy.cpu = 1;
    for (const o of objs) c.free(o);
    // Flushes at frees 121 and 181 moved 60 each into the shared array.
    expect(c.sharedAvail).toBe(120);
    expect(c.acAvail[1]).toBe(80);
    expect(c.slabinfo().sharedAvail).toBe(120);
    slab.checkInvariants();
    buddy.cpu = 0;
    const left = c.acAvail[0] as number;
    for (let i = 0; i < left; i++) alloc(c);
    alloc(c);
    // The refill came from the shared array, batchcount at a time.
    expect(c.sharedAvail).toBe(60);
    expect(c.acAvail[0]).toBe(59);
    slab.checkInvariants();
  });
});

describe('slab lists', () => {
  it('moves slabs between full, partial and free as objects come and go', () => {
    const { slab } = boot();
    const c = create(slab, 'lists', 2000);
    // Each refill grows one slab of two; the array hands them out pairwise per slab.
    const objs = Array.from({ length: 40 }, () => alloc(c));
    for (let s = 0; s < 20; s++) {
      expect(headOf(slab, objs[2 * s] as number)).toBe(headOf(slab, objs[2 * s + 1] as number));
    }
    // One object of every slab, then the other object of slabs 0..3: the array is full (24).
    for (let s = 0; s < 20; s++) c.free(objs[2 * s + 1] as number);
    for (let s = 0; s < 4; s++) c.free(objs[2 * s] as number);
    expect(c.slabCounts()).toEqual({ full: 20, partial: 0, free: 0 });
    // The next free flushes the 12 oldest: one object of each of slabs 0..11.
    c.free(objs[8] as number);
    expect(c.slabCounts()).toEqual({ full: 8, partial: 12, free: 0 });
    // free_block appends to the partial list: the slab freed into first is at its head.
    expect(c.lists[SLABS_PARTIAL]).toBe(headOf(slab, objs[1] as number));
    slab.checkInvariants();
    // Empty the array (13 entries), then refill: 12 objects from the 12 partial slabs.
    for (let i = 0; i < 13; i++) alloc(c);
    alloc(c);
    expect(c.slabCounts()).toEqual({ full: 20, partial: 0, free: 0 });
    expect(c.acAvail[0]).toBe(11);
    expect(c.freeObjects).toBe(0);
    slab.checkInvariants();
  });

  it('destroys free slabs beyond free_limit', () => {
    const { buddy, slab } = boot();
    const c = create(slab, 'limit', 2000); // free_limit = 2 * 12 + 2 = 26
    const objs = Array.from({ length: 80 }, () => alloc(c));
    const low = freeFrames(buddy);
    for (const o of objs) c.free(o);
    // Five flushes of 12 bring 60 objects (30 slabs) back; free slabs beyond 26 free objects
    // go (17 of them). The 20 objects still in the array keep their 10 slabs full.
    expect(c.freeObjects).toBe(26);
    expect(c.slabCounts()).toEqual({ full: 10, partial: 0, free: 13 });
    expect(c.slabinfo()).toMatchObject({ numSlabs: 23, activeSlabs: 10, activeObjs: 20 });
    expect(freeFrames(buddy) - low).toBe(17);
    slab.checkInvariants();
  });

  it('colours consecutive slabs colour_off apart, cycling through colour slots', () => {
    const { slab } = boot();
    const c = create(slab, 'colour', 600); // 6 per slab, leftover 496: 7 slots of 64
    expect([c.num, c.colour, c.colourOff]).toEqual([6, 7, 64]);
    const heads: number[] = [];
    for (let i = 0; i < 6 * 9; i++) {
      const h = headOf(slab, alloc(c));
      if (!heads.includes(h)) heads.push(h);
    }
    const offsets = heads.map((h) => c.slabMemStart(h) - h * slab.arch.pageSize);
    // colour_next is advanced before use: the first slab gets slot 1.
    expect(offsets).toEqual([64, 128, 192, 256, 320, 384, 0, 64, 128]);
    slab.checkInvariants();
  });
});

describe('constructors, shrink, destroy', () => {
  it('runs the ctor once per object when its slab is created, never on reuse', () => {
    const { slab } = boot();
    let calls = 0;
    const c = create(slab, 'ctor', 64, {
      ctor: (obj) => {
        calls++;
        slab.memory.store32(pa(slab, obj), 0xc0ffee);
      },
    });
    expect(c.mgmt).toBe('on-slab'); // a ctor rules out objfreelist: 4096 / 65 = 63 objects
    expect(c.num).toBe(63);
    const a = alloc(c);
    expect(calls).toBe(63);
    expect(slab.memory.load32(pa(slab, a))).toBe(0xc0ffee);
    c.free(a);
    const b = alloc(c);
    expect(b).toBe(a); // LIFO array cache
    expect(calls).toBe(63);
    const more = Array.from({ length: 62 }, () => alloc(c));
    expect(calls).toBe(63);
    alloc(c); // a second slab
    expect(calls).toBe(126);
    for (const o of more) c.free(o);
    slab.checkInvariants();
  });

  it('shrink drains the arrays and returns every free slab, reporting the pages', () => {
    const { buddy, slab } = boot();
    const before = freeFrames(buddy);
    const c = create(slab, 'shrink', 2000);
    const objs = Array.from({ length: 20 }, () => alloc(c));
    expect(c.slabinfo().numSlabs).toBe(10);
    for (const o of objs) c.free(o);
    expect(c.slabinfo().numSlabs).toBe(10); // all 20 are in the array cache
    expect(c.shrink()).toBe(10);
    expect(c.acAvail[0]).toBe(0);
    expect(c.slabinfo()).toMatchObject({ numSlabs: 0, activeObjs: 0, numObjs: 0 });
    expect(freeFrames(buddy)).toBe(before);
    expect(c.shrink()).toBe(0);
    slab.checkInvariants();
  });

  it('refuses to destroy a cache with live objects and leaves it usable', () => {
    const { buddy, slab } = boot();
    const before = freeFrames(buddy);
    const c = create(slab, 'busy', 128);
    const a = alloc(c);
    const state = snapshot(slab, [c]);
    expect(() => c.destroy()).toThrow(KernelBug);
    expect(buddy.log.dmesg()).toContain('kmem_cache_destroy busy: Slab cache still has objects');
    expect(snapshot(slab, [c])).toBe(state);
    expect(slab.caches).toContain(c);
    const b = alloc(c);
    c.free(a);
    c.free(b);
    slab.checkInvariants();
    c.destroy();
    expect(slab.caches).not.toContain(c);
    const m = slab.memMap;
    for (let pfn = 0; pfn < m.frames; pfn++) {
      if (m.testFlag(pfn, PG.slab)) expect(m.mapping[pfn]).not.toBe(c.id);
    }
    expect(freeFrames(buddy)).toBe(before);
    expect(() => c.alloc(GFP_KERNEL)).toThrow(KernelBug);
    slab.checkInvariants();
  });
});

describe('always-on checks', () => {
  function setup() {
    const { buddy, slab } = boot();
    const a = create(slab, 'cache_a', 200);
    const b = create(slab, 'cache_b', 200);
    const objs = Array.from({ length: 50 }, () => alloc(a));
    const other = alloc(b);
    return { buddy, slab, a, b, objs, other };
  }

  function expectRejected(
    slab: SlabAllocator,
    buddy: BuddyAllocator,
    caches: SlabCache[],
    call: () => void,
    report: string,
  ): void {
    const before = snapshot(slab, caches);
    buddy.log.clear();
    expect(call).toThrow(KernelBug);
    const dmesg = buddy.log.dmesg();
    expect(dmesg).toMatch(/BUG cache_a \((Not tainted|Tainted: B)\)/);
    expect(dmesg).toContain(report);
    expect(snapshot(slab, caches)).toBe(before);
    slab.checkInvariants();
  }

  it('catches a double free, in the array cache or back in a slab', () => {
    const { buddy, slab, a, b, objs } = setup();
    const x = objs[3] as number;
    a.free(x);
    expectRejected(slab, buddy, [a, b], () => a.free(x), 'Object already free');
    expectRejected(slab, buddy, [a, b], () => slab.kfree(x), 'Object already free');
    a.shrink(); // x goes back to its slab's freelist
    expectRejected(slab, buddy, [a, b], () => a.free(x), 'Object already free');
  });

  it('catches a pointer into a page that is not a slab', () => {
    const { buddy, slab, a, b } = setup();
    const pfn = buddy.allocPages(GFP_KERNEL, 0);
    if (pfn === null) throw new Error('no page');
    const va = slab.pfnToVirt(pfn);
    expectRejected(slab, buddy, [a, b], () => a.free(va), 'is not a Slab page');
    expect(() => a.free(12345)).toThrow(KernelBug); // not even a direct-map address
    buddy.freePages(pfn, 0);
  });

  it('catches an interior pointer', () => {
    const { buddy, slab, a, b, objs } = setup();
    const x = objs[7] as number;
    expectRejected(slab, buddy, [a, b], () => a.free(x + 8), 'Invalid object pointer');
    // Below the first object (the colour area) and beyond the last are interior too.
    const head = headOf(slab, x);
    const below = slab.pfnToVirt(head) + a.slabMemStart(head) - head * slab.arch.pageSize - 8;
    if (a.slabMemStart(head) > head * slab.arch.pageSize) {
      expectRejected(slab, buddy, [a, b], () => a.free(below), 'Invalid object pointer');
    }
  });

  it('catches a free to the wrong cache', () => {
    const { buddy, slab, a, b, other } = setup();
    expectRejected(slab, buddy, [a, b], () => a.free(other), 'Wrong slab cache');
    b.free(other);
    slab.checkInvariants();
  });
});

describe('object contents', () => {
  it('reads back what was written, across caches and churn', () => {
    const { slab } = boot();
    const caches = [create(slab, 'c24', 24), create(slab, 'c700', 700), create(slab, 'c3k', 3000)];
    const live = new Map<number, { cache: SlabCache; fill: number }>();
    let fill = 1;
    const write = (cache: SlabCache, va: number) => {
      const f = fill++ & 0xff;
      slab.memory.write(pa(slab, va), new Uint8Array(cache.objectSize).fill(f));
      live.set(va, { cache, fill: f });
    };
    for (let round = 0; round < 4; round++) {
      for (const cache of caches) for (let i = 0; i < 60; i++) write(cache, alloc(cache));
      let n = 0;
      for (const [va, o] of live) {
        if (n++ % 3 === round % 3) {
          o.cache.free(va);
          live.delete(va);
        }
      }
    }
    for (const [va, o] of live) {
      const bytes = slab.memory.read(pa(slab, va), o.cache.objectSize);
      expect(bytes.every((b) => b === o.fill)).toBe(true);
    }
    slab.checkInvariants();
  });

  it('zeroes objects for __GFP_ZERO', () => {
    const { slab } = boot();
    const c = create(slab, 'zero', 200);
    const a = alloc(c);
    slab.memory.write(pa(slab, a), new Uint8Array(200).fill(0xee));
    c.free(a);
    const b = alloc(c, GFP_KERNEL | __GFP_ZERO);
    expect(b).toBe(a);
    expect(slab.memory.read(pa(slab, b), 200).every((x) => x === 0)).toBe(true);
  });
});

describe('debugging (slubDebug FZP)', () => {
  const debug = { slubDebug: { flags: 'FZP', caches: [] } };

  it('lays out red zones, poisons, and caps the limit at 32', () => {
    const { slab } = boot(debug);
    const c = create(slab, 'dbg', 100);
    expect(c.flags & (SLAB_RED_ZONE | SLAB_POISON)).toBe(SLAB_RED_ZONE | SLAB_POISON);
    expect(c.objOffset).toBe(8);
    expect(c.size).toBe(120); // 104 + two 8-byte red zones
    expect(c.slabinfo()).toMatchObject({ limit: 32, batchcount: 16 });
    // Red zones need at most 8-byte alignment: the naturally aligned kmalloc-64 loses them.
    expect(kmallocCache(slab, 'kmalloc-64').flags & SLAB_RED_ZONE).toBe(0);
    expect(kmallocCache(slab, 'kmalloc-96').flags & SLAB_RED_ZONE).toBe(SLAB_RED_ZONE);
    const a = alloc(c);
    const inuse = slab.memory.read(pa(slab, a), 100);
    expect(inuse.subarray(0, 99).every((x) => x === POISON_INUSE)).toBe(true);
    expect(inuse[99]).toBe(POISON_END);
    c.free(a);
    const freed = slab.memory.read(pa(slab, a), 100);
    expect(freed.subarray(0, 99).every((x) => x === POISON_FREE)).toBe(true);
    expect(freed[99]).toBe(POISON_END);
    expect(slab.log.dmesg()).not.toContain('BUG dbg');
  });

  it('reports a write past either end of an object', () => {
    const { slab } = boot(debug);
    const c = create(slab, 'dbg', 100);
    const a = alloc(c);
    slab.memory.store8(pa(slab, a) + 100, 0x41);
    c.free(a);
    expect(slab.log.dmesg()).toMatch(/BUG dbg \(.*\): Right Redzone overwritten/);
    const b = alloc(c);
    slab.log.clear();
    slab.memory.store8(pa(slab, b) - 1, 0x41);
    c.free(b);
    expect(slab.log.dmesg()).toMatch(/BUG dbg \(.*\): Left Redzone overwritten/);
    slab.checkInvariants();
  });

  it('reports a write after free when the object is allocated again', () => {
    const { slab } = boot(debug);
    const c = create(slab, 'dbg', 100);
    const a = alloc(c);
    c.free(a);
    slab.memory.store8(pa(slab, a) + 10, 0x41);
    expect(alloc(c)).toBe(a);
    expect(slab.log.dmesg()).toMatch(/BUG dbg \(.*\): Poison overwritten/);
  });

  it('keeps objfreelist freelists from tripping the poison checks', () => {
    const { slab } = boot(debug);
    const c = create(slab, 'dbg', 100);
    expect(c.mgmt).toBe('objfreelist');
    for (let round = 0; round < 3; round++) {
      const objs = Array.from({ length: 5 * c.num + 3 }, () => alloc(c));
      for (const o of objs) c.free(o);
      if (round === 1) c.shrink();
      slab.checkInvariants();
    }
    expect(slab.log.dmesg()).not.toContain('BUG');
  });
});

// --- model-based -------------------------------------------------------------

interface LiveObject {
  readonly cache: number;
  readonly va: number;
  readonly tag: number;
}

interface Model {
  readonly cpus: number;
  live: LiveObject[];
  freed: number[];
  nextTag: number;
}

interface Real {
  readonly buddy: BuddyAllocator;
  readonly slab: SlabAllocator;
  readonly caches: readonly SlabCache[];
}

function verify(model: Model, real: Real): void {
  const { slab, caches } = real;
  slab.checkInvariants();
  for (const o of model.live) {
    const cache = caches[o.cache] as SlabCache;
    const at = pa(slab, o.va);
    if (cache.objectSize >= 4) {
      expect(slab.memory.load32(at)).toBe(o.tag);
      if (cache.objectSize >= 8) {
        expect(slab.memory.load32(at + cache.objectSize - 4)).toBe(o.tag);
      }
    } else {
      expect(slab.memory.load8(at)).toBe(o.tag & 0xff);
    }
  }
  for (const cache of new Set(caches)) {
    const n = model.live.filter((o) => caches[o.cache] === cache).length;
    expect(cache.liveObjects).toBe(n);
    expect(cache.slabinfo().activeObjs).toBeGreaterThanOrEqual(n);
  }
}

class AllocCommand implements fc.Command<Model, Real> {
  constructor(
    readonly cache: number,
    readonly zero: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const cache = real.caches[this.cache] as SlabCache;
    const va = cache.alloc(GFP_KERNEL | (this.zero ? __GFP_ZERO : 0));
    if (va === null) throw new Error('allocation failed');
    const at = pa(real.slab, va);
    if (this.zero) {
      expect(real.slab.memory.read(at, cache.objectSize).every((b) => b === 0)).toBe(true);
    }
    expect(model.live.some((o) => o.va === va)).toBe(false);
    const tag = model.nextTag++ >>> 0;
    if (cache.objectSize >= 4) {
      real.slab.memory.store32(at, tag);
      if (cache.objectSize >= 8) real.slab.memory.store32(at + cache.objectSize - 4, tag);
    } else {
      real.slab.memory.store8(at, tag & 0xff);
    }
    model.live.push({ cache: this.cache, va, tag });
    model.freed = model.freed.filter((f) => f !== va);
    verify(model, real);
  }
  toString(): string {
    return `alloc(${this.cache}${this.zero ? ', zero' : ''})`;
  }
}

class FreeCommand implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.live.length > 0;
  }
  run(model: Model, real: Real): void {
    const [o] = model.live.splice(this.pick % model.live.length, 1);
    if (o === undefined) throw new Error('no object');
    (real.caches[o.cache] as SlabCache).free(o.va);
    model.freed.push(o.va);
    verify(model, real);
  }
  toString(): string {
    return `free(#${this.pick})`;
  }
}

class DoubleFreeCommand implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly cache: number,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.freed.length > 0;
  }
  run(model: Model, real: Real): void {
    const va = model.freed[this.pick % model.freed.length] as number;
    const before = snapshot(real.slab, real.caches);
    expect(() => (real.caches[this.cache] as SlabCache).free(va)).toThrow(KernelBug);
    expect(snapshot(real.slab, real.caches)).toBe(before);
    verify(model, real);
  }
  toString(): string {
    return `doubleFree(#${this.pick}, ${this.cache})`;
  }
}

class ShrinkCommand implements fc.Command<Model, Real> {
  constructor(readonly cache: number) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const cache = real.caches[this.cache] as SlabCache;
    expect(cache.shrink()).toBeGreaterThanOrEqual(0);
    expect([...cache.acAvail].every((n) => n === 0)).toBe(true);
    expect(cache.sharedAvail).toBe(0);
    expect(cache.slabCounts().free).toBe(0);
    verify(model, real);
  }
  toString(): string {
    return `shrink(${this.cache})`;
  }
}

class CpuCommand implements fc.Command<Model, Real> {
  constructor(readonly cpu: number) {}
  check(model: Readonly<Model>): boolean {
    return this.cpu < model.cpus;
  }
  run(_model: Model, real: Real): void {
    real.buddy.cpu = this.cpu;
  }
  toString(): string {
    return `cpu(${this.cpu})`;
  }
}

describe('model-based', () => {
  it('agrees with a set of live objects over random alloc/free/shrink, with and without debugging', () => {
    const cacheSpec = fc.record({ size: fc.integer({ min: 1, max: 3000 }), ctor: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(cacheSpec, { minLength: 2, maxLength: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.boolean(),
        fc.commands(
          [
            fc
              .tuple(fc.nat(2), fc.boolean())
              .map(([c, z]) => new AllocCommand(c, z) as fc.Command<Model, Real>),
            fc.nat().map((p) => new FreeCommand(p)),
            fc.tuple(fc.nat(), fc.nat(2)).map(([p, c]) => new DoubleFreeCommand(p, c)),
            fc.nat(2).map((c) => new ShrinkCommand(c)),
            fc.nat(1).map((c) => new CpuCommand(c)),
          ],
          { maxCommands: Number(process.env.SLAB_MODEL_COMMANDS ?? 60) },
        ),
        (specs, cpus, debug, cmds) => {
          // With debugging on (red zones, poison, user word) no report may appear but misuse's.
          const options = debug ? { slubDebug: { flags: 'FZPU', caches: ['m0', 'm1', 'm2'] } } : {};
          const { buddy, slab } = boot(options, cpus);
          const start = freeFrames(buddy);
          const caches = specs.map((s, i) =>
            create(slab, `m${i}`, s.size, s.ctor ? { ctor: () => {} } : {}),
          );
          while (caches.length < 3) caches.push(caches[0] as SlabCache);
          const real: Real = { buddy, slab, caches };
          const model: Model = { cpus, live: [], freed: [], nextTag: 0x1000 };
          fc.modelRun(() => ({ model, real }), cmds);
          // Everything freed is back: free the rest, shrink every cache, destroy ours.
          for (const o of model.live) (caches[o.cache] as SlabCache).free(o.va);
          model.live = [];
          for (const c of new Set(caches)) c.destroy();
          for (const c of slab.caches) c.shrink();
          slab.checkInvariants();
          expect(freeFrames(buddy)).toBe(start);
          expect(slab.log.dmesg()).not.toContain('overwritten');
        },
      ),
      { numRuns: Number(process.env.SLAB_MODEL_RUNS ?? 40) },
    );
  });
});
