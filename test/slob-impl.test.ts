/**
 * SLOB (src/slab/slob.ts) on its own: the K&R heap inside SLOB pages
 * (first fit, splitting, merging, pages going back), the three free lists,
 * kmalloc headers and ksize, large kmalloc, the always-on checks mmsim adds
 * (each leaving the allocator exactly as it was), constructors, and a
 * model-based test of kmalloc/kfree and a cache against a model of live
 * objects and their contents. `checkInvariants()` runs after every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BuddyAllocator } from '../src/buddy/buddy-allocator.js';
import { GFP_DMA, GFP_KERNEL } from '../src/gfp/flags.js';
import { KernelBug } from '../src/page/errors.js';
import { PG } from '../src/page/page-flags.js';
import { PhysicalMemory } from '../src/page/physical-memory.js';
import { ZERO_SIZE_PTR } from '../src/slab/kmalloc-sizes.js';
import type { KmemCache } from '../src/slab/kmem-cache.js';
import {
  SLOB_LIST_LARGE,
  SLOB_LIST_MEDIUM,
  SLOB_LIST_SMALL,
  SlobAllocator,
  SlobCache,
} from '../src/slab/slob.js';

const MiB = 2 ** 20;
const PAGE = 4096;

function setup(): { buddy: BuddyAllocator; slob: SlobAllocator } {
  const buddy = new BuddyAllocator(new PhysicalMemory(32 * MiB), { arch: 'x86_64' });
  return { buddy, slob: new SlobAllocator(buddy) };
}

function paOf(slob: SlobAllocator, va: number): number {
  return va - slob.arch.pageOffset;
}

function pfnOf(slob: SlobAllocator, va: number): number {
  return Math.floor(paOf(slob, va) / slob.arch.pageSize);
}

/** Byte offset of an object in its page. */
function offsetOf(slob: SlobAllocator, va: number): number {
  return paOf(slob, va) % slob.arch.pageSize;
}

function must(va: number | null): number {
  if (va === null) throw new Error('allocation failed');
  return va;
}

/** Runs a step and checks every invariant after it. */
function step<T>(slob: SlobAllocator, f: () => T): T {
  const r = f();
  slob.checkInvariants();
  return r;
}

function fill(slob: SlobAllocator, va: number, len: number, tag: number): void {
  const bytes = new Uint8Array(len);
  for (let i = 0; i < len; i++) bytes[i] = (tag * 31 + i * 7) & 0xff;
  slob.memory.write(paOf(slob, va), bytes);
}

function intact(slob: SlobAllocator, va: number, len: number, tag: number): boolean {
  const bytes = slob.memory.read(paOf(slob, va), len);
  for (let i = 0; i < len; i++) if (bytes[i] !== ((tag * 31 + i * 7) & 0xff)) return false;
  return true;
}

function fnv(h: number, v: number): number {
  return Math.imul(h ^ (v & 0xffffffff), 16777619) >>> 0;
}

/** Everything a rejected call must leave alone: struct pages, SLOB pages' RAM and shadow, counters. */
function snapshot(slob: SlobAllocator): string {
  const m = slob.memMap;
  let h = 2166136261;
  for (const arr of [m.flags, m.refcount, m.private, m.next, m.prev, m.mapping, m.index]) {
    for (let i = 0; i < arr.length; i++) h = fnv(h, arr[i] as number);
  }
  const ps = slob.arch.pageSize;
  for (let pfn = 0; pfn < m.frames; pfn++) {
    if (!m.testFlag(pfn, PG.slab)) continue;
    const bytes = slob.memory.read(pfn * ps, ps);
    for (let i = 0; i < bytes.length; i++) h = fnv(h, bytes[i] as number);
    for (let a = pfn * ps; a < (pfn + 1) * ps; a += 8) h = fnv(h, slob.shadowTest(a) ? 1 : 0);
  }
  const caches = slob.caches.map((c) =>
    c instanceof SlobCache ? `${c.name}:${c.liveObjects}:${c.nrCached}` : c.name,
  );
  return JSON.stringify({
    h,
    lists: [...slob.freeSlobLists],
    usage: slob.memoryUsage(),
    kmalloc: slob.kmallocObjects,
    free: slob.buddy.nrFreePages(),
    slab: slob.buddy.events.get('nr_slab_unreclaimable'),
    caches,
  });
}

/** Expects `f` to throw KernelBug with a BUG report, leaving every allocator unchanged. */
function expectRejected(slob: SlobAllocator, f: () => void, bug: RegExp): void {
  const before = snapshot(slob);
  slob.log.clear();
  expect(f).toThrow(KernelBug);
  const dmesg = slob.log.dmesg();
  expect(dmesg).toMatch(/BUG /);
  expect(dmesg).toMatch(bug);
  expect(snapshot(slob)).toBe(before);
  slob.checkInvariants();
}

describe('SLOB heap', () => {
  it('uses SLOB units of 2 bytes with 4 KiB pages, and SLOB pages carry no cache id', () => {
    const { slob } = setup();
    expect(slob.kind).toBe('slob');
    expect(slob.unit).toBe(2);
    expect(slob.pageUnits).toBe(2048);
    const a = must(slob.kmalloc(100, GFP_KERNEL));
    const pfn = pfnOf(slob, a);
    expect(slob.memMap.testFlag(pfn, PG.slab)).toBe(true);
    expect(slob.memMap.mapping[pfn]).toBe(0);
    expect(slob.slabCacheOf(pfn)).toBeUndefined();
    expect(slob.caches).toEqual([]); // no kmalloc caches
    slob.kfree(a);
  });

  it('splits blocks for alignment and size, and allocates first fit', () => {
    const { slob } = setup();
    const a = step(slob, () => must(slob.kmalloc(100, GFP_KERNEL)));
    const b = step(slob, () => must(slob.kmalloc(100, GFP_KERNEL)));
    const c = step(slob, () => must(slob.kmalloc(100, GFP_KERNEL)));
    const pfn = pfnOf(slob, a);
    expect([pfnOf(slob, b), pfnOf(slob, c)]).toEqual([pfn, pfn]);
    // a: block 0..108 (8-byte header, object at 8); b's block must start at
    // 112 so that its object (at 120) is 8-aligned: a 4-byte head is split off.
    expect([offsetOf(slob, a), offsetOf(slob, b), offsetOf(slob, c)]).toEqual([8, 120, 232]);
    expect(slob.freeBlocksOf(pfn)).toEqual([
      { offset: 108, bytes: 4 },
      { offset: 220, bytes: 4 },
      { offset: 332, bytes: PAGE - 332 },
    ]);
    // Freeing b merges it with both alignment fragments around it.
    step(slob, () => slob.kfree(b));
    expect(slob.freeBlocksOf(pfn)).toEqual([
      { offset: 108, bytes: 116 },
      { offset: 332, bytes: PAGE - 332 },
    ]);
    // First fit: the hole, not the big tail; the rest of the hole is split off.
    const d = step(slob, () => must(slob.kmalloc(50, GFP_KERNEL)));
    expect(d).toBe(b);
    expect(slob.freeBlocksOf(pfn)).toEqual([
      { offset: 108, bytes: 4 },
      { offset: 170, bytes: 54 },
      { offset: 332, bytes: PAGE - 332 },
    ]);
    for (const p of [a, c, d]) step(slob, () => slob.kfree(p));
    expect(slob.slobPages).toBe(0);
  });

  it('merges a freed block with its free neighbours on both sides', () => {
    const { slob } = setup();
    const objs = [0, 1, 2, 3].map(() => step(slob, () => must(slob.kmalloc(120, GFP_KERNEL))));
    const pfn = pfnOf(slob, objs[0] as number);
    // 128-byte blocks, back to back: 0, 128, 256, 384; free tail from 512.
    expect(slob.freeBlocksOf(pfn)).toEqual([{ offset: 512, bytes: PAGE - 512 }]);
    step(slob, () => slob.kfree(objs[1] as number));
    step(slob, () => slob.kfree(objs[0] as number)); // before the first free block: joins it
    expect(slob.freeBlocksOf(pfn)).toEqual([
      { offset: 0, bytes: 256 },
      { offset: 512, bytes: PAGE - 512 },
    ]);
    step(slob, () => slob.kfree(objs[3] as number)); // joins 512.. on its right only
    expect(slob.freeBlocksOf(pfn)).toEqual([
      { offset: 0, bytes: 256 },
      { offset: 384, bytes: PAGE - 384 },
    ]);
    expect(slob.memMap.private[pfn]).toBe((PAGE - 128) / 2);
    const again = step(slob, () => must(slob.kmalloc(120, GFP_KERNEL)));
    expect(again).toBe(objs[0]);
    step(slob, () => slob.kfree(objs[2] as number)); // joins 128..256 and 384.. on both sides
    expect(slob.freeBlocksOf(pfn)).toEqual([{ offset: 128, bytes: PAGE - 128 }]);
    step(slob, () => slob.kfree(again));
    expect(slob.slobPages).toBe(0);
  });

  it('gives a page back to the page allocator when all its blocks are free', () => {
    const { buddy, slob } = setup();
    buddy.drainAllPages();
    const free0 = buddy.nrFreePages();
    const objs: number[] = [];
    for (let i = 0; i < 100; i++) objs.push(step(slob, () => must(slob.kmalloc(200, GFP_KERNEL))));
    const pages = slob.slobPages;
    expect(pages).toBeGreaterThan(4);
    expect(buddy.events.get('nr_slab_unreclaimable')).toBe(pages);
    for (const p of objs) step(slob, () => slob.kfree(p));
    expect(slob.slobPages).toBe(0);
    expect(buddy.events.get('nr_slab_unreclaimable')).toBe(0);
    expect(slob.freeSlobLists[SLOB_LIST_SMALL]).toBe(-1);
    buddy.drainAllPages();
    expect(buddy.nrFreePages()).toBe(free0);
  });

  it('keeps pages on three lists by request size: < 256, < 1024 and the rest', () => {
    const { slob } = setup();
    const small = step(slob, () => must(slob.kmalloc(200, GFP_KERNEL))); // 208 < 256
    const medium = step(slob, () => must(slob.kmalloc(500, GFP_KERNEL))); // 508 < 1024
    const large = step(slob, () => must(slob.kmalloc(1500, GFP_KERNEL)));
    const cache = slob.kmemCacheCreate('medium-objs', 300);
    const obj = step(slob, () => must(cache.alloc(GFP_KERNEL)));
    expect(slob.pagesOnList(SLOB_LIST_SMALL)).toEqual([pfnOf(slob, small)]);
    expect(slob.pagesOnList(SLOB_LIST_MEDIUM)).toEqual([pfnOf(slob, medium)]);
    expect(pfnOf(slob, obj)).toBe(pfnOf(slob, medium)); // caches and kmalloc share pages
    expect(slob.pagesOnList(SLOB_LIST_LARGE)).toEqual([pfnOf(slob, large)]);
    for (const p of [small, medium, large]) step(slob, () => slob.kfree(p));
    step(slob, () => cache.free(obj));
    cache.destroy();
    expect(slob.slobPages).toBe(0);
  });

  it('moves the page that served a request to the front of its list', () => {
    const { slob } = setup();
    // 32 blocks of 128 bytes fill page A exactly; A leaves the list.
    const onA: number[] = [];
    for (let i = 0; i < 32; i++) onA.push(step(slob, () => must(slob.kmalloc(120, GFP_KERNEL))));
    const a = pfnOf(slob, onA[0] as number);
    expect(onA.every((p) => pfnOf(slob, p) === a)).toBe(true);
    expect(slob.pagesOnList(SLOB_LIST_SMALL)).toEqual([]);
    const first = step(slob, () => must(slob.kmalloc(120, GFP_KERNEL)));
    const b = pfnOf(slob, first);
    expect(slob.pagesOnList(SLOB_LIST_SMALL)).toEqual([b]);
    // A free on the full page A puts A back, at the front.
    step(slob, () => slob.kfree(onA[5] as number));
    expect(slob.pagesOnList(SLOB_LIST_SMALL)).toEqual([a, b]);
    // 208 bytes do not fit A's 128-byte hole: B serves, and B leads the next search.
    const big = step(slob, () => must(slob.kmalloc(200, GFP_KERNEL)));
    expect(pfnOf(slob, big)).toBe(b);
    expect(slob.pagesOnList(SLOB_LIST_SMALL)).toEqual([b, a]);
    // The next search starts at B, so a request that would fit A's hole lands on B.
    const next = step(slob, () => must(slob.kmalloc(100, GFP_KERNEL)));
    expect(pfnOf(slob, next)).toBe(b);
    for (const p of [...onA.filter((_, i) => i !== 5), first, big, next]) {
      step(slob, () => slob.kfree(p));
    }
    expect(slob.slobPages).toBe(0);
  });

  it('takes a fresh page when no page of the list has room, even if other lists do', () => {
    const { slob } = setup();
    const medium = must(slob.kmalloc(500, GFP_KERNEL));
    const small = must(slob.kmalloc(16, GFP_KERNEL));
    expect(pfnOf(slob, small)).not.toBe(pfnOf(slob, medium));
    expect(slob.slobPages).toBe(2);
    slob.kfree(small);
    slob.kfree(medium);
    slob.checkInvariants();
  });
});

describe('SLOB kmalloc', () => {
  it('stores the size in an 8-byte header; ksize is the size in whole units', () => {
    const { slob } = setup();
    const a = step(slob, () => must(slob.kmalloc(100, GFP_KERNEL)));
    expect(slob.memory.load32(paOf(slob, a) - 8)).toBe(100);
    expect(slob.ksize(a)).toBe(100);
    const b = step(slob, () => must(slob.kmalloc(101, GFP_KERNEL)));
    expect(slob.ksize(b)).toBe(102);
    const c = step(slob, () => must(slob.kmalloc(65, GFP_KERNEL)));
    expect(slob.ksize(c)).toBe(66); // SLUB and SLAB say 96
    for (const p of [a, b, c]) expect(paOf(slob, p) % 8).toBe(0);
    for (const p of [a, b, c]) step(slob, () => slob.kfree(p));
  });

  it('aligns power-of-two sizes naturally', () => {
    const { slob } = setup();
    const objs: number[] = [];
    for (const size of [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 24, 8, 64]) {
      const p = step(slob, () => must(slob.kmalloc(size, GFP_KERNEL)));
      if ((size & (size - 1)) === 0) expect(paOf(slob, p) % size).toBe(0);
      else expect(paOf(slob, p) % 8).toBe(0);
      objs.push(p);
    }
    for (const p of objs) step(slob, () => slob.kfree(p));
    expect(slob.slobPages).toBe(0);
  });

  it('returns ZERO_SIZE_PTR for 0 bytes; kfree and ksize accept it, kfree(null) does nothing', () => {
    const { slob } = setup();
    expect(slob.kmalloc(0, GFP_KERNEL)).toBe(ZERO_SIZE_PTR);
    expect(slob.ksize(ZERO_SIZE_PTR)).toBe(0);
    const before = snapshot(slob);
    slob.kfree(ZERO_SIZE_PTR);
    slob.kfree(null);
    slob.kfree(0);
    expect(snapshot(slob)).toBe(before);
    expect(() => slob.kmalloc(-1, GFP_KERNEL)).toThrow(KernelBug);
    expect(() => slob.kmalloc(1.5, GFP_KERNEL)).toThrow(KernelBug);
    expect(() => slob.kmalloc(8, 0x8000000)).toThrow(KernelBug);
  });

  it('serves PAGE_SIZE - 8 bytes and more from the page allocator', () => {
    const { buddy, slob } = setup();
    buddy.drainAllPages();
    const free0 = buddy.nrFreePages();
    const edge = step(slob, () => must(slob.kmalloc(PAGE - 9, GFP_KERNEL)));
    expect(slob.isSlobPage(pfnOf(slob, edge))).toBe(true);
    expect(slob.ksize(edge)).toBe(PAGE - 8);
    const one = step(slob, () => must(slob.kmalloc(PAGE - 8, GFP_KERNEL)));
    expect(paOf(slob, one) % PAGE).toBe(0);
    expect(slob.isSlobPage(pfnOf(slob, one))).toBe(false);
    expect(slob.ksize(one)).toBe(PAGE);
    const four = step(slob, () => must(slob.kmalloc(10000, GFP_KERNEL)));
    expect(slob.ksize(four)).toBe(4 * PAGE);
    fill(slob, four, 10000, 9);
    expect(intact(slob, four, 10000, 9)).toBe(true);
    expect(slob.kmalloc(PAGE * 2 ** 11, GFP_KERNEL | 0x2000)).toBeNull(); // __GFP_NOWARN
    for (const p of [edge, one, four]) step(slob, () => slob.kfree(p));
    buddy.drainAllPages();
    expect(buddy.nrFreePages()).toBe(free0);
  });

  it('zeroes with kzalloc and kcalloc, and krealloc keeps contents', () => {
    const { slob } = setup();
    const a = must(slob.kmalloc(64, GFP_KERNEL));
    fill(slob, a, 64, 3);
    slob.kfree(a);
    const z = step(slob, () => must(slob.kzalloc(64, GFP_KERNEL)));
    expect(z).toBe(a);
    expect([...slob.memory.read(paOf(slob, z), 64)].every((x) => x === 0)).toBe(true);
    const c = step(slob, () => must(slob.kcalloc(10, 12, GFP_KERNEL)));
    expect([...slob.memory.read(paOf(slob, c), 120)].every((x) => x === 0)).toBe(true);
    fill(slob, z, 64, 5);
    const r = step(slob, () => must(slob.krealloc(z, 300, GFP_KERNEL)));
    expect(intact(slob, r, 64, 5)).toBe(true);
    expect(slob.ksize(r)).toBe(300);
    const same = step(slob, () => must(slob.krealloc(r, 200, GFP_KERNEL)));
    expect(same).toBe(r);
    step(slob, () => slob.kfree(same));
    step(slob, () => slob.kfree(c));
    expect(slob.slobPages).toBe(0);
  });

  it('honours GFP_DMA with pages of ZONE_DMA', () => {
    const { slob, buddy } = setup();
    const normal = must(slob.kmalloc(100, GFP_KERNEL));
    expect(buddy.zoneOf(pfnOf(slob, normal)).name).not.toBe('DMA');
    const dma = step(slob, () => must(slob.kmalloc(100, GFP_DMA)));
    expect(buddy.zoneOf(pfnOf(slob, dma)).name).toBe('DMA');
    const dmaCache = slob.kmemCacheCreate('dma-objs', 40, { flags: 0x4000 }); // SLAB_CACHE_DMA
    const obj = step(slob, () => must(dmaCache.alloc(GFP_KERNEL)));
    expect(buddy.zoneOf(pfnOf(slob, obj)).name).toBe('DMA');
    for (const p of [normal, dma]) step(slob, () => slob.kfree(p));
    step(slob, () => dmaCache.free(obj));
  });
});

describe('SLOB caches', () => {
  it('places objects in SLOB pages with a 4-byte owner header, aligned as the cache asks', () => {
    const { slob } = setup();
    const c = slob.kmemCacheCreate('c32', 32, { align: 32 });
    expect(c.align).toBe(32);
    const objs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = step(slob, () => must(c.alloc(GFP_KERNEL)));
      expect(paOf(slob, p) % 32).toBe(0);
      expect(slob.memory.load32(paOf(slob, p) - 4)).toBe((c as SlobCache).id);
      objs.push(p);
    }
    expect(slob.memoryUsage().ownerHeaderBytes).toBe(80);
    expect(c.slabinfo().activeObjs).toBe(20);
    expect(c.slabinfo().numSlabs).toBe(1);
    for (const p of objs) step(slob, () => c.free(p));
    c.destroy();
  });

  it('gives objects that cannot share a page with their header whole pages', () => {
    const { slob } = setup();
    const big = slob.kmemCacheCreate('big', 5000) as SlobCache;
    const paged = slob.kmemCacheCreate('paged', 100, { align: PAGE }) as SlobCache;
    expect(big.slobBacked).toBe(false);
    expect(paged.slobBacked).toBe(false);
    const a = step(slob, () => must(big.alloc(GFP_KERNEL)));
    const b = step(slob, () => must(paged.alloc(GFP_KERNEL)));
    expect(paOf(slob, a) % PAGE).toBe(0);
    expect(paOf(slob, b) % PAGE).toBe(0);
    expect(slob.ksize(a)).toBe(2 * PAGE);
    expect(slob.memoryUsage().pageBackedPages).toBe(3);
    expectRejected(slob, () => big.free(a + 8), /Invalid object pointer/);
    expectRejected(slob, () => paged.free(a), /Wrong slab cache/);
    step(slob, () => big.free(a));
    expectRejected(slob, () => big.free(a), /already free|not a Slab page/);
    step(slob, () => slob.kfree(b)); // kfree of a cache object
    expect(slob.memoryUsage().pageBackedPages).toBe(0);
  });

  it('constructs an object once: a freed object comes back constructed, without a new ctor call', () => {
    const { slob } = setup();
    let calls = 0;
    const ctor = (obj: number): void => {
      calls++;
      slob.memory.write(paOf(slob, obj), new Uint8Array(48).fill(0xc7));
    };
    const c = slob.kmemCacheCreate('ctor48', 48, { ctor }) as SlobCache;
    const a = step(slob, () => must(c.alloc(GFP_KERNEL)));
    expect(calls).toBe(1);
    expect([...slob.memory.read(paOf(slob, a), 48)].every((x) => x === 0xc7)).toBe(true);
    // Objects are freed in their constructed state; it survives.
    slob.memory.store8(paOf(slob, a) + 47, 0x11);
    step(slob, () => c.free(a));
    expect(c.nrCached).toBe(1);
    const again = step(slob, () => must(c.alloc(GFP_KERNEL)));
    expect(again).toBe(a);
    expect(calls).toBe(1);
    expect(slob.memory.load8(paOf(slob, again) + 47)).toBe(0x11);
    const b = step(slob, () => must(c.alloc(GFP_KERNEL)));
    expect(calls).toBe(2);
    // A double free of a kept object is still caught.
    step(slob, () => c.free(b));
    expectRejected(slob, () => c.free(b), /Object already free/);
    expect(c.slabinfo().numObjs).toBe(2);
    expect(c.slabinfo().activeObjs).toBe(1);
    step(slob, () => c.free(again));
    // shrink gives the kept objects back; their page goes back to the page allocator.
    expect(slob.slobPages).toBe(1);
    expect(step(slob, () => c.shrink())).toBe(1);
    expect(slob.slobPages).toBe(0);
    expect(c.nrCached).toBe(0);
    c.destroy();
  });

  it('destroy() refuses while objects are live, then releases kept objects', () => {
    const { slob } = setup();
    const c = slob.kmemCacheCreate('d', 24, { ctor: () => {} });
    const a = must(c.alloc(GFP_KERNEL));
    expect(() => c.destroy()).toThrow(KernelBug);
    slob.checkInvariants();
    c.free(a);
    c.destroy();
    expect(slob.slobPages).toBe(0);
    expect(slob.caches).toEqual([]);
    expect(() => c.alloc(GFP_KERNEL)).toThrow(KernelBug);
    slob.checkInvariants();
  });

  it('lets kfree and ksize take objects of a cache', () => {
    const { slob } = setup();
    const c = slob.kmemCacheCreate('k', 30);
    const a = must(c.alloc(GFP_KERNEL));
    expect(slob.ksize(a)).toBe(30);
    step(slob, () => slob.kfree(a));
    expect(c.slabinfo().activeObjs).toBe(0);
    expect(slob.slobPages).toBe(0);
  });

  it('renders slabinfo from live objects and the pages holding them', () => {
    const { slob } = setup();
    const c = slob.kmemCacheCreate('info', 100);
    const objs: number[] = [];
    for (let i = 0; i < 50; i++) objs.push(must(c.alloc(GFP_KERNEL)));
    const s = c.slabinfo();
    expect(s.activeObjs).toBe(50);
    expect(s.numObjs).toBe(50);
    expect(c.size).toBe(104);
    expect(s.objsPerSlab).toBe(Math.floor(PAGE / 104));
    expect(s.numSlabs).toBe(slob.slobPages);
    expect(s.limit + s.batchcount + s.shared + s.sharedAvail).toBe(0);
    for (const p of objs) c.free(p);
    expect(c.slabinfo().numSlabs).toBe(0);
  });
});

describe('SLOB always-on checks', () => {
  it('rejects a double kfree, changing nothing', () => {
    const { slob } = setup();
    const a = must(slob.kmalloc(100, GFP_KERNEL));
    const keep = must(slob.kmalloc(100, GFP_KERNEL));
    slob.kfree(a);
    expectRejected(slob, () => slob.kfree(a), /BUG kfree .*Object already free/);
    slob.kfree(keep);
    // The page is gone now: a second free of the last object is not a slab object at all.
    expectRejected(slob, () => slob.kfree(keep), /BUG kfree/);
  });

  it('rejects foreign and interior pointers', () => {
    const { slob, buddy } = setup();
    const a = must(slob.kmalloc(100, GFP_KERNEL));
    const pfn = must(buddy.allocPages(GFP_KERNEL, 0));
    const foreign = slob.pfnToVirt(pfn);
    expectRejected(slob, () => slob.kfree(foreign), /not a slab object/);
    expectRejected(slob, () => slob.kfree(foreign + 64), /not a slab object/);
    for (const off of [2, 4, 8, 16, 96]) {
      expectRejected(slob, () => slob.kfree(a + off), /Invalid object pointer/);
    }
    expectRejected(slob, () => slob.kfree(a - 8), /Invalid object pointer/); // the header
    expectRejected(slob, () => slob.kfree(a + 200), /Object already free/); // in the free tail
    expectRejected(slob, () => slob.ksize(a + 8), /Invalid object pointer/);
    const c = slob.kmemCacheCreate('c', 64);
    expectRejected(slob, () => c.free(foreign), /not a Slab page/);
    expect(() => slob.kfree(12345)).toThrow(KernelBug); // not a direct-map address
    buddy.freePages(pfn, 0);
    slob.kfree(a);
    slob.checkInvariants();
  });

  it('rejects a free to the wrong cache, and kmalloc memory given to a cache', () => {
    const { slob } = setup();
    const a = slob.kmemCacheCreate('cache-a', 40);
    const b = slob.kmemCacheCreate('cache-b', 40);
    const objA = must(a.alloc(GFP_KERNEL));
    const objB = must(b.alloc(GFP_KERNEL));
    const km = must(slob.kmalloc(40, GFP_KERNEL));
    expect(pfnOf(slob, objA)).toBe(pfnOf(slob, objB)); // same SLOB page
    expectRejected(
      slob,
      () => a.free(objB),
      /BUG cache-a .*Wrong slab cache. cache-a but object is from cache-b/,
    );
    expectRejected(slob, () => b.free(km), /Wrong slab cache. cache-b but object is from kmalloc/);
    expectRejected(slob, () => a.free(objA + 8), /BUG cache-a .*Invalid object pointer/);
    const large = must(slob.kmalloc(3 * PAGE, GFP_KERNEL));
    expectRejected(slob, () => a.free(large), /not a Slab page/);
    a.free(objA);
    expectRejected(slob, () => a.free(objA), /BUG cache-a .*Object already free/);
    expectRejected(slob, () => b.free(objA), /Object already free/);
    b.free(objB);
    slob.kfree(km);
    slob.kfree(large);
    expect(() => slob.kfree(large)).toThrow(KernelBug);
    slob.checkInvariants();
    expect(slob.slobPages).toBe(0);
  });

  it('rejects a kfree whose kmalloc header was overwritten, instead of corrupting the heap', () => {
    const { slob } = setup();
    const a = must(slob.kmalloc(100, GFP_KERNEL));
    const b = must(slob.kmalloc(100, GFP_KERNEL));
    const at = paOf(slob, b) - 8;
    slob.memory.store32(at, 3000); // an underflow from a into b's header
    const before = snapshot(slob);
    slob.log.clear();
    expect(() => slob.kfree(b)).toThrow(KernelBug);
    expect(slob.log.dmesg()).toMatch(/BUG kfree .*kmalloc header corrupted \(size 3000\)/);
    expect(snapshot(slob)).toBe(before);
    expect(() => slob.checkInvariants()).toThrow(/overlaps a free block/);
    slob.memory.store32(at, 100);
    slob.checkInvariants();
    slob.kfree(b);
    slob.kfree(a);
    slob.checkInvariants();
  });
});

describe('SLOB contents and fragmentation', () => {
  it('keeps every live object intact while others come and go', () => {
    const { slob } = setup();
    const c = slob.kmemCacheCreate('obj72', 72);
    const live = new Map<number, { len: number; tag: number }>();
    let tag = 1;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 60; i++) {
        const len = 1 + ((i * 37 + round * 11) % 700);
        const p = must(slob.kmalloc(len, GFP_KERNEL));
        fill(slob, p, len, tag);
        live.set(p, { len, tag: tag++ });
        const o = must(c.alloc(GFP_KERNEL));
        fill(slob, o, 72, tag);
        live.set(o, { len: 72, tag: tag++ });
      }
      let i = 0;
      for (const [p, v] of [...live]) {
        if (i++ % 3 !== round % 3) continue;
        expect(intact(slob, p, v.len, v.tag)).toBe(true);
        if (v.len === 72 && slob.memory.load32(paOf(slob, p) - 4) === (c as SlobCache).id)
          c.free(p);
        else slob.kfree(p);
        live.delete(p);
      }
      slob.checkInvariants();
      for (const [p, v] of live) expect(intact(slob, p, v.len, v.tag)).toBe(true);
    }
  });

  it('stays fragmented: freeing every other object of mixed sizes frees almost no page', () => {
    const { slob } = setup();
    const objs: number[] = [];
    const sizes = [24, 100, 60, 200, 40];
    for (let i = 0; i < 600; i++)
      objs.push(must(slob.kmalloc(sizes[i % sizes.length] as number, GFP_KERNEL)));
    const peak = slob.slobPages;
    for (let i = 0; i < objs.length; i += 2) slob.kfree(objs[i] as number);
    slob.checkInvariants();
    const usage = slob.memoryUsage();
    // Half the objects are gone, but the pages stay: every page still holds live blocks.
    expect(slob.slobPages).toBe(peak);
    expect(usage.freeBytes).toBeGreaterThan(usage.slobBytes * 0.45);
    for (let i = 1; i < objs.length; i += 2) slob.kfree(objs[i] as number);
    expect(slob.slobPages).toBe(0);
  });
});

describe('SLOB with 64 KiB pages', () => {
  it('uses 4-byte units and still merges and releases pages', () => {
    const buddy = new BuddyAllocator(new PhysicalMemory(32 * MiB, 65536), { arch: 'arm64-64k' });
    const slob = new SlobAllocator(buddy);
    expect(slob.unit).toBe(4);
    expect(slob.pageUnits).toBe(16384);
    const c = slob.kmemCacheCreate('c13', 13);
    const objs: number[] = [];
    for (let i = 0; i < 200; i++) {
      objs.push(
        step(slob, () => must(i % 2 ? c.alloc(GFP_KERNEL) : slob.kmalloc(i + 1, GFP_KERNEL))),
      );
    }
    expect(slob.ksize(objs[0] as number)).toBe(4);
    expect(slob.ksize(objs[1] as number)).toBe(16);
    for (let i = 0; i < objs.length; i++) {
      step(slob, () => (i % 2 ? c.free(objs[i] as number) : slob.kfree(objs[i] as number)));
    }
    expect(slob.slobPages).toBe(0);
  });
});

describe('SLOB elsewhere', () => {
  it('works on i386, whose direct map starts at 0xC0000000', () => {
    const buddy = new BuddyAllocator(new PhysicalMemory(32 * MiB), { arch: 'i386' });
    const slob = new SlobAllocator(buddy);
    const a = step(slob, () => must(slob.kmalloc(100, GFP_KERNEL)));
    expect(a).toBeGreaterThanOrEqual(0xc0000000);
    fill(slob, a, 100, 4);
    expect(intact(slob, a, 100, 4)).toBe(true);
    step(slob, () => slob.kfree(a));
    expectRejected(slob, () => slob.kfree(a), /BUG kfree/);
  });

  it('fails kmalloc and cache allocations under failslab, changing nothing', () => {
    const buddy = new BuddyAllocator(new PhysicalMemory(32 * MiB), { arch: 'x86_64' });
    const slob = new SlobAllocator(buddy, {
      failslab: { probability: 100, interval: 1, times: 2, seed: 1, ignoreGfpWait: false },
    });
    const c = slob.kmemCacheCreate('f', 32);
    const before = snapshot(slob);
    expect(slob.kmalloc(100, GFP_KERNEL)).toBeNull();
    expect(c.alloc(GFP_KERNEL)).toBeNull();
    expect(snapshot(slob)).toBe(before);
    const a = must(slob.kmalloc(100, GFP_KERNEL));
    slob.kfree(a);
    slob.checkInvariants();
  });
});

// --- model-based test --------------------------------------------------

interface Obj {
  readonly va: number;
  readonly len: number;
  readonly tag: number;
  readonly cache: boolean;
}

interface Model {
  objs: Obj[];
  /** Objects freed, most recent last (for double frees). */
  freed: Obj[];
  nextTag: number;
}

interface Real {
  readonly slob: SlobAllocator;
  readonly cache: KmemCache;
}

function checkAll(model: Model, real: Real): void {
  real.slob.checkInvariants();
  const sorted = [...model.objs].sort((a, b) => a.va - b.va);
  for (let i = 0; i < sorted.length; i++) {
    const o = sorted[i] as Obj;
    const next = sorted[i + 1];
    if (next !== undefined) expect(o.va + o.len).toBeLessThanOrEqual(next.va);
    expect(intact(real.slob, o.va, o.len, o.tag)).toBe(true);
  }
  expect(real.slob.kmallocObjects).toBe(
    model.objs.filter((o) => !o.cache && o.len < PAGE - 8).length,
  );
  expect(real.cache.slabinfo().activeObjs).toBe(model.objs.filter((o) => o.cache).length);
}

class KmallocCmd implements fc.Command<Model, Real> {
  constructor(readonly size: number) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const va = must(real.slob.kmalloc(this.size, GFP_KERNEL));
    expect(real.slob.ksize(va)).toBeGreaterThanOrEqual(this.size);
    const tag = model.nextTag++;
    fill(real.slob, va, this.size, tag);
    model.objs.push({ va, len: this.size, tag, cache: false });
    checkAll(model, real);
  }
  toString(): string {
    return `kmalloc(${this.size})`;
  }
}

class CacheAllocCmd implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const va = must(real.cache.alloc(GFP_KERNEL));
    const tag = model.nextTag++;
    fill(real.slob, va, real.cache.objectSize, tag);
    model.objs.push({ va, len: real.cache.objectSize, tag, cache: true });
    checkAll(model, real);
  }
  toString(): string {
    return 'cache.alloc';
  }
}

class FreeCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Model): boolean {
    return model.objs.length > 0;
  }
  run(model: Model, real: Real): void {
    const i = this.pick % model.objs.length;
    const o = model.objs[i] as Obj;
    if (o.cache) real.cache.free(o.va);
    else real.slob.kfree(o.va);
    model.objs.splice(i, 1);
    model.freed.push(o);
    checkAll(model, real);
  }
  toString(): string {
    return `free(#${this.pick})`;
  }
}

class BadFreeCmd implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly offset: number,
  ) {}
  check(model: Model): boolean {
    return model.objs.length > 0;
  }
  run(model: Model, real: Real): void {
    const o = model.objs[this.pick % model.objs.length] as Obj;
    const before = snapshot(real.slob);
    // An interior pointer, or a live kmalloc object handed to the cache.
    const bad = o.cache ? o.va + this.offset : o.va;
    expect(() => (o.cache ? real.slob.kfree(bad) : real.cache.free(bad))).toThrow(KernelBug);
    expect(snapshot(real.slob)).toBe(before);
    checkAll(model, real);
  }
  toString(): string {
    return `badFree(#${this.pick}+${this.offset})`;
  }
}

class DoubleFreeCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Model): boolean {
    return model.freed.length > 0;
  }
  run(model: Model, real: Real): void {
    const o = model.freed[this.pick % model.freed.length] as Obj;
    const before = snapshot(real.slob);
    if (model.objs.some((x) => x.va === o.va)) {
      // The address was handed out again: freeing it now would be legitimate.
      return;
    }
    expect(() => (o.cache ? real.cache.free(o.va) : real.slob.kfree(o.va))).toThrow(KernelBug);
    expect(snapshot(real.slob)).toBe(before);
    checkAll(model, real);
  }
  toString(): string {
    return `doubleFree(#${this.pick})`;
  }
}

describe('SLOB model-based', () => {
  it('agrees with a model of live objects and their contents', () => {
    const commands = [
      fc.integer({ min: 1, max: 3000 }).map((n) => new KmallocCmd(n)),
      fc.constant(new CacheAllocCmd()),
      fc.nat().map((n) => new FreeCmd(n)),
      fc.nat().map((n) => new FreeCmd(n)),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 71 })).map(([n, off]) => new BadFreeCmd(n, off)),
      fc.nat().map((n) => new DoubleFreeCmd(n)),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80, size: 'max' }), (cmds) => {
        const { slob } = setup();
        const cache = slob.kmemCacheCreate('model-72', 72);
        const model: Model = { objs: [], freed: [], nextTag: 1 };
        const real: Real = { slob, cache };
        fc.modelRun(() => ({ model, real }), cmds);
        for (const o of model.objs) {
          if (o.cache) cache.free(o.va);
          else slob.kfree(o.va);
        }
        slob.checkInvariants();
        expect(slob.slobPages).toBe(0);
        cache.destroy();
      }),
      { numRuns: 60 },
    );
  });
});
