/**
 * Behaviour tests of the page allocator (src/buddy): zones per
 * architecture, zone choice and zonelist fallback, alignment, __GFP_ZERO
 * and __GFP_COMP, coalescing, the per-CPU lists, watermarks and
 * lowmem_reserve, the slow path against a fake reclaimer, the failure
 * warning, migratetype fallback, fault injection, every misuse that
 * throws KernelBug (leaving the allocator unchanged), the Kernel wrapper,
 * checkBuddyInvariants, and determinism.
 *
 * Expected values are computed here from Linux's formulas
 * (mm/page_alloc.c), not read back from the allocator.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BuddyAllocator,
  type BuddyAllocatorOptions,
  MAX_ORDER,
  type PerCpuPages,
  type Reclaimer,
  type Zone,
} from '../src/buddy/index.js';
import { checkBuddyInvariants } from '../src/buddy/invariants.js';
import { PCP_BATCH, PCP_COUNT, PCP_HIGH, pcpListIndex } from '../src/buddy/zone.js';
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_HIGHMEM,
  __GFP_MEMALLOC,
  __GFP_MOVABLE,
  __GFP_NOFAIL,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
  __GFP_RETRY_MAYFAIL,
  __GFP_ZERO,
  GFP_ATOMIC,
  GFP_DMA,
  GFP_DMA32,
  GFP_HIGHUSER,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOFS,
  GFP_NOWAIT,
  type Gfp,
  MIGRATE_TYPES,
  MigrateType,
} from '../src/gfp/index.js';
import { Kernel } from '../src/kernel.js';
import {
  type ArchName,
  getArch,
  KernelBug,
  KernelLog,
  KernelPanic,
  PageType,
  PG,
  PhysicalMemory,
} from '../src/page/index.js';

const MiB = 2 ** 20;

// --- helpers ----------------------------------------------------------------

/** `arr[i]`, failing the test if it is missing. */
function at<T>(arr: ArrayLike<T>, i: number): T {
  const v = arr[i];
  if (v === undefined) throw new Error(`index ${i} out of range (length ${arr.length})`);
  return v;
}

/** A fresh allocator over `mib` MiB of RAM (the memory's page size follows the arch). */
function makeBuddy(mib: number, options: BuddyAllocatorOptions & { arch?: ArchName } = {}) {
  const arch = getArch(options.arch ?? 'x86_64');
  return new BuddyAllocator(new PhysicalMemory(mib * MiB, arch.pageSize), {
    ...options,
    arch: arch.name,
  });
}

function zoneNamed(b: BuddyAllocator, name: string): Zone {
  const zone = b.zones.find((z) => z.name === name);
  if (zone === undefined) throw new Error(`no zone ${name}`);
  return zone;
}

function zoneIndex(b: BuddyAllocator, name: string): number {
  return zoneNamed(b, name).index;
}

interface Block {
  pfn: number;
  order: number;
}

/** Allocates with `gfp | __GFP_NOWARN` from order `maxOrder` down to `minOrder` until each fails. */
function exhaust(b: BuddyAllocator, gfp: Gfp, maxOrder = MAX_ORDER, minOrder = 0): Block[] {
  const held: Block[] = [];
  for (let order = maxOrder; order >= minOrder; order--) {
    for (;;) {
      const pfn = b.allocPages(gfp | __GFP_NOWARN, order);
      if (pfn === null) break;
      held.push({ pfn, order });
    }
  }
  return held;
}

function freeAll(b: BuddyAllocator, held: Block[]): void {
  for (const { pfn, order } of held.splice(0)) b.freePages(pfn, order);
}

function frames(blocks: readonly Block[]): number {
  return blocks.reduce((n, blk) => n + 2 ** blk.order, 0);
}

/** Free frames per zone on the buddy lists, by order. */
function nrFreeSnapshot(b: BuddyAllocator): number[][] {
  return b.zones.map((z) => Array.from(z.nrFree));
}

/** Everything the allocator keeps in shared memory, plus the event counters. */
interface FullSnapshot {
  memMap: Uint8Array;
  zoneState: number[][];
  pcp: number[][][];
  pageblocks: number[];
  events: [string, number][];
}

function fullSnapshot(b: BuddyAllocator): FullSnapshot {
  return {
    memMap: b.memory.read(b.memMap.base, b.memMap.bytes),
    zoneState: b.zones.map((z) => Array.from(z.state)),
    pcp: b.zones.map((z) => z.pcp.map((p) => Array.from(p.ints))),
    pageblocks: Array.from(b.pageblockMigratetype),
    events: b.events.entries(),
  };
}

/** The first byte where two arrays differ, as `pfn field` text, or null. */
function memMapDiff(b: BuddyAllocator, x: Uint8Array, y: Uint8Array): string | null {
  const fields = ['flags', 'refcount', 'mapcount', 'private', 'next', 'prev', 'mapping', 'index'];
  const framesN = b.memMap.frames;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) {
      const word = Math.floor(i / 4);
      return `${fields[Math.floor(word / framesN)]}[${word % framesN}]`;
    }
  }
  return null;
}

function expectSameState(b: BuddyAllocator, before: FullSnapshot): void {
  const after = fullSnapshot(b);
  expect(memMapDiff(b, before.memMap, after.memMap)).toBeNull();
  expect(after.zoneState).toEqual(before.zoneState);
  expect(after.pcp).toEqual(before.pcp);
  expect(after.pageblocks).toEqual(before.pageblocks);
  expect(after.events).toEqual(before.events);
}

/** Runs `fn`, which must throw KernelBug, and checks nothing changed. Returns the message. */
function expectBugUnchanged(b: BuddyAllocator, fn: () => unknown): string {
  const before = fullSnapshot(b);
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(KernelBug);
  expectSameState(b, before);
  return (caught as Error).message;
}

/** A reclaimer that counts calls and does what the test tells it. */
class FakeReclaimer implements Reclaimer {
  wakes = 0;
  direct = 0;
  ooms = 0;
  lastWake: [number, number, Gfp] | null = null;
  /** What tryToFreePages does; returns the frames it reports reclaimed. */
  onDirect: () => number = () => 0;
  /** What outOfMemory does; returns whether it killed something. */
  onOom: () => boolean = () => false;
  /** What reclaimablePages reports for every zone. */
  reclaimable = 0;

  wakeKswapd(order: number, highestZoneIdx: number, gfp: Gfp): void {
    this.wakes++;
    this.lastWake = [order, highestZoneIdx, gfp];
  }
  tryToFreePages(): number {
    this.direct++;
    return this.onDirect();
  }
  reclaimablePages(): number {
    return this.reclaimable;
  }
  outOfMemory(): boolean {
    this.ooms++;
    return this.onOom();
  }
  resetCounts(): void {
    this.wakes = 0;
    this.direct = 0;
    this.ooms = 0;
    this.lastWake = null;
  }
}

/** Blocks on one pcp list (a stack linked through `next`). */
function pcpListLength(b: BuddyAllocator, pcp: PerCpuPages, list: number): number {
  let n = 0;
  for (let pfn = at(pcp.heads, list); pfn >= 0; pfn = at(b.memMap.next, pfn)) {
    if (++n > b.memMap.frames) throw new Error('pcp list cycle');
  }
  return n;
}

/** Frees blocks from the end of `held` until at least `want` frames are freed; returns the frames freed. */
function freeSome(b: BuddyAllocator, held: Block[], want: number): number {
  let freed = 0;
  while (freed < want && held.length > 0) {
    const blk = held.pop() as Block;
    b.freePages(blk.pfn, blk.order);
    freed += 2 ** blk.order;
  }
  return freed;
}

// --- independent reference formulas (mm/page_alloc.c) ---------------------

function intSqrt(x: number): number {
  let r = 0;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/** Frames of memblock reservations inside `[start, end)`. */
function reservedFramesIn(b: BuddyAllocator, start: number, end: number): number {
  let n = 0;
  for (const r of b.memblock.reserved) {
    const rs = r.base / b.arch.pageSize;
    const re = rs + r.size / b.arch.pageSize;
    n += Math.max(0, Math.min(re, end) - Math.max(rs, start));
  }
  return n;
}

const RESERVE_RATIO: Record<string, number> = {
  DMA: 256,
  DMA32: 256,
  Normal: 32,
  HighMem: 0,
  Movable: 0,
};

interface ExpectedWmarks {
  minFreeKbytes: number;
  min: number[];
  low: number[];
  high: number[];
  lowmemReserve: number[][];
}

/** calculate_min_free_kbytes, __setup_per_zone_wmarks, setup_per_zone_lowmem_reserve. */
function expectedWatermarks(
  managed: readonly number[],
  names: readonly string[],
  pageSize: number,
) {
  const kib = pageSize / 1024;
  const isHigh = (i: number) => names[i] === 'HighMem' || names[i] === 'Movable';
  let lowmem = 0;
  managed.forEach((m, i) => {
    if (!isHigh(i)) lowmem += m;
  });
  const minFreeKbytes = Math.min(262144, Math.max(128, intSqrt(lowmem * kib * 16)));
  const pagesMin = Math.floor(minFreeKbytes / kib);
  const out: ExpectedWmarks = { minFreeKbytes, min: [], low: [], high: [], lowmemReserve: [] };
  managed.forEach((m, i) => {
    const tmp = Math.floor((pagesMin * m) / lowmem);
    const min = isHigh(i) ? Math.min(128, Math.max(32, Math.floor(m / 1024))) : tmp;
    const gap = Math.max(tmp >> 2, Math.floor((m * 10) / 10000));
    out.min.push(min);
    out.low.push(min + gap);
    out.high.push(min + 2 * gap);
    const ratio = RESERVE_RATIO[names[i] as string] as number;
    const reserve: number[] = [];
    let upper = 0;
    for (let j = 0; j < managed.length; j++) {
      if (j <= i) {
        reserve.push(0);
        continue;
      }
      upper += managed[j] as number;
      reserve.push(ratio === 0 || m === 0 ? 0 : Math.floor(upper / ratio));
    }
    out.lowmemReserve.push(reserve);
  });
  return out;
}

// ---------------------------------------------------------------------------

describe('zones per architecture', () => {
  const cases: {
    arch: ArchName;
    mib: number;
    zones: [string, number, number][]; // name, start pfn, spanned
  }[] = [
    {
      arch: 'x86_64',
      mib: 64,
      zones: [
        ['DMA', 0, 4096],
        ['DMA32', 4096, 12288],
        ['Normal', 16384, 0],
        ['Movable', 16384, 0],
      ],
    },
    {
      arch: 'x86_64',
      mib: 4608,
      zones: [
        ['DMA', 0, 4096],
        ['DMA32', 4096, 2 ** 20 - 4096],
        ['Normal', 2 ** 20, 131072],
        ['Movable', 1179648, 0],
      ],
    },
    {
      arch: 'i386',
      mib: 2048,
      zones: [
        ['DMA', 0, 4096],
        ['Normal', 4096, 229376 - 4096],
        ['HighMem', 229376, 524288 - 229376],
        ['Movable', 524288, 0],
      ],
    },
    {
      arch: 'arm64-4k',
      mib: 64,
      zones: [
        ['DMA', 0, 16384],
        ['DMA32', 16384, 0],
        ['Normal', 16384, 0],
        ['Movable', 16384, 0],
      ],
    },
    {
      arch: 'arm64-4k',
      mib: 4608,
      zones: [
        ['DMA', 0, 2 ** 20],
        ['DMA32', 2 ** 20, 0],
        ['Normal', 2 ** 20, 131072],
        ['Movable', 1179648, 0],
      ],
    },
    {
      arch: 'arm64-64k',
      mib: 64,
      zones: [
        ['DMA', 0, 1024],
        ['DMA32', 1024, 0],
        ['Normal', 1024, 0],
        ['Movable', 1024, 0],
      ],
    },
  ];

  for (const c of cases) {
    it(`${c.arch} with ${c.mib} MiB: spans, present and managed pages`, () => {
      const b = makeBuddy(c.mib, { arch: c.arch });
      expect(b.zones.map((z) => [z.name, z.startPfn, z.spanned])).toEqual(c.zones);
      let managedSum = 0;
      for (const z of b.zones) {
        expect(z.present).toBe(z.spanned);
        expect(z.managed).toBe(z.spanned - reservedFramesIn(b, z.startPfn, z.endPfn));
        expect(z.freePages).toBe(z.managed); // everything managed starts on the free lists
        managedSum += z.managed;
      }
      expect(managedSum).toBe(b.memory.frames - b.memblock.reservedBytes / b.arch.pageSize);
    });
  }
});

describe('zone choice and zonelist fallback', () => {
  it('x86_64 64 MiB: GFP_KERNEL is served from DMA32 and falls back to DMA only once DMA32 is at its low watermark', () => {
    const b = makeBuddy(64);
    const dma32 = zoneNamed(b, 'DMA32');
    const first = b.allocPages(GFP_KERNEL, 0);
    expect(first).not.toBeNull();
    expect(b.zoneOf(first as number).name).toBe('DMA32');
    let dmaServed = 0;
    for (;;) {
      const freeBefore = dma32.freePages;
      const pfn = b.allocPages(GFP_KERNEL | __GFP_NOWARN, 0);
      if (pfn === null) break;
      const zone = b.zoneOf(pfn).name;
      expect(['DMA32', 'DMA']).toContain(zone);
      if (zone === 'DMA') {
        dmaServed++;
        // get_page_from_freelist tries DMA32 first: DMA only when DMA32 fails its watermark.
        expect(freeBefore).toBeLessThanOrEqual(dma32.low);
      }
    }
    expect(dmaServed).toBeGreaterThan(3000);
  });

  it('x86_64: GFP_DMA is only ever served from ZONE_DMA and fails (null) when DMA is exhausted', () => {
    const b = makeBuddy(64);
    const held = exhaust(b, GFP_KERNEL | GFP_DMA);
    expect(frames(held)).toBeGreaterThan(3500);
    for (const blk of held) {
      expect(blk.pfn + 2 ** blk.order).toBeLessThanOrEqual(4096);
      expect(b.zoneOf(blk.pfn).name).toBe('DMA');
    }
    expect(b.allocPages(GFP_KERNEL | GFP_DMA | __GFP_NOWARN, 0)).toBeNull();
    // DMA32 is untouched.
    expect(zoneNamed(b, 'DMA32').freePages).toBe(zoneNamed(b, 'DMA32').managed);
  });

  it('i386 2 GiB: GFP_KERNEL never returns a HighMem frame, even with lowmem exhausted', () => {
    const b = makeBuddy(2048, { arch: 'i386' });
    const highStart = zoneNamed(b, 'HighMem').startPfn;
    expect(highStart).toBe(229376);
    const held = exhaust(b, GFP_KERNEL);
    expect(frames(held)).toBeGreaterThan(200000);
    for (const blk of held) expect(blk.pfn + 2 ** blk.order).toBeLessThanOrEqual(highStart);
    expect(zoneNamed(b, 'HighMem').freePages).toBe(zoneNamed(b, 'HighMem').managed);
    // HighMem is still there for those who may use it.
    const high = b.allocPages(GFP_HIGHUSER, 0);
    expect(high).not.toBeNull();
    expect(high as number).toBeGreaterThanOrEqual(highStart);
  });

  it('i386 2 GiB: GFP_HIGHUSER is served from HighMem first', () => {
    const b = makeBuddy(2048, { arch: 'i386' });
    for (const order of [0, 3, 10]) {
      const pfn = b.allocPages(GFP_HIGHUSER, order);
      expect(pfn).not.toBeNull();
      expect(b.zoneOf(pfn as number).name).toBe('HighMem');
    }
  });

  it('i386 2 GiB: page_address is null for a HighMem frame and the direct map for lowmem', () => {
    const k = Kernel.boot({ arch: 'i386', memory: '2G' });
    const high = k.allocPages(GFP_HIGHUSER, 0);
    const low = k.allocPages(GFP_KERNEL, 0);
    expect(high).not.toBeNull();
    expect(low).not.toBeNull();
    expect(k.pageAddress(high as number)).toBeNull();
    expect(k.pageAddress(low as number)).toBe(0xc0000000 + (low as number) * 4096);
  });

  it('i386: GFP_DMA32 resolves to ZONE_NORMAL (no DMA32 zone): Normal first, never HighMem', () => {
    const b = makeBuddy(2048, { arch: 'i386' });
    const pfn = b.allocPages(GFP_KERNEL | GFP_DMA32, 0);
    expect(pfn).not.toBeNull();
    expect(b.zoneOf(pfn as number).name).toBe('Normal');
    const held = exhaust(b, GFP_KERNEL | GFP_DMA32, MAX_ORDER, 8);
    for (const blk of held) expect(b.zoneOf(blk.pfn).name).not.toBe('HighMem');
  });

  it('GFP_HIGHUSER_MOVABLE succeeds although ZONE_MOVABLE is empty (x86_64 and i386)', () => {
    const x = makeBuddy(64);
    expect(zoneNamed(x, 'Movable').managed).toBe(0);
    const p = x.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    expect(p).not.toBeNull();
    expect(x.zoneOf(p as number).name).toBe('DMA32');
    const i = makeBuddy(2048, { arch: 'i386' });
    const q = i.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    expect(q).not.toBeNull();
    expect(i.zoneOf(q as number).name).toBe('HighMem');
  });

  it('arm64: GFP_DMA32 falls back past the empty DMA32 zone to DMA', () => {
    const b = makeBuddy(64, { arch: 'arm64-4k' });
    const pfn = b.allocPages(GFP_KERNEL | GFP_DMA32, 0);
    expect(pfn).not.toBeNull();
    expect(b.zoneOf(pfn as number).name).toBe('DMA');
  });
});

describe('alignment', () => {
  it('a block of order n starts at a pfn that is a multiple of 2**n, for every order', () => {
    const b = makeBuddy(64);
    for (let order = 0; order <= MAX_ORDER; order++) {
      for (let i = 0; i < 3; i++) {
        const pfn = b.allocPages(GFP_KERNEL, order);
        expect(pfn).not.toBeNull();
        expect((pfn as number) % 2 ** order).toBe(0);
        expect(b.allocatedOrder(pfn as number)).toBe(order);
      }
    }
    checkBuddyInvariants(b);
  });
});

describe('__GFP_ZERO and __GFP_COMP', () => {
  function dirty(b: BuddyAllocator, pfn: number, count: number): void {
    const garbage = new Uint8Array(b.arch.pageSize).fill(0xa5);
    for (let i = 0; i < count; i++) {
      b.memory.write((pfn + i) * b.arch.pageSize, garbage);
      b.memory.store32((pfn + i) * b.arch.pageSize + 8, 0xdeadbeef);
    }
  }

  for (const order of [0, 2]) {
    it(`__GFP_ZERO zeroes a reused dirty block of order ${order}`, () => {
      const b = makeBuddy(16);
      const pfn = b.allocPages(GFP_KERNEL, order) as number;
      dirty(b, pfn, 2 ** order);
      expect(b.memory.isPageZero(pfn)).toBe(false);
      b.freePages(pfn, order);
      b.drainAllPages();
      const held: number[] = [];
      let found = false;
      for (;;) {
        const p = b.allocPages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, order);
        if (p === null) break;
        held.push(p);
        for (let i = 0; i < 2 ** order; i++) expect(b.memory.isPageZero(p + i)).toBe(true);
        if (p === pfn) {
          found = true;
          break;
        }
      }
      expect(found).toBe(true);
    });
  }

  it('__GFP_ZERO zeroes a block reused hot from the pcp list', () => {
    const b = makeBuddy(16);
    const pfn = b.allocPages(GFP_KERNEL, 0) as number;
    dirty(b, pfn, 1);
    b.freePages(pfn, 0);
    const again = b.allocPages(GFP_KERNEL | __GFP_ZERO, 0) as number;
    expect(again).toBe(pfn); // LIFO pcp: the cache-hot frame comes back
    expect(b.memory.isPageZero(again)).toBe(true);
  });

  it('__GFP_COMP makes a compound page (head, tails, order) and freeing clears it', () => {
    const b = makeBuddy(16);
    const m = b.memMap;
    for (const order of [1, 3, 5]) {
      const head = b.allocPages(GFP_KERNEL | __GFP_COMP, order) as number;
      expect(m.PageHead(head)).toBe(true);
      expect(m.PageTail(head)).toBe(false);
      expect(m.compoundOrder(head)).toBe(order);
      for (let i = 1; i < 2 ** order; i++) {
        expect(m.PageTail(head + i)).toBe(true);
        expect(m.compoundHead(head + i)).toBe(head);
      }
      checkBuddyInvariants(b);
      b.freePages(head, order);
      expect(m.PageHead(head)).toBe(false);
      for (let i = 1; i < 2 ** order; i++) {
        expect(m.PageTail(head + i)).toBe(false);
        expect(m.compoundHead(head + i)).toBe(head + i);
      }
      checkBuddyInvariants(b);
    }
    // No compound page of order 0.
    const single = b.allocPages(GFP_KERNEL | __GFP_COMP, 0) as number;
    expect(m.PageHead(single)).toBe(false);
  });
});

describe('coalescing', () => {
  /** Whether `pfn` lies in a free buddy block of at least `minOrder`. */
  function freeBlockOrderAt(b: BuddyAllocator, pfn: number): number {
    for (let o = 0; o <= MAX_ORDER; o++) {
      const head = pfn & ~(2 ** o - 1);
      if (b.memMap.pageType(head) === PageType.buddy && b.memMap.private[head] === o) return o;
    }
    return -1;
  }

  for (const order of [0, 2, 4, 9]) {
    it(`two freed buddies of order ${order} merge into a block of order ${order + 1} or more`, () => {
      const b = makeBuddy(64);
      const seen = new Map<number, number>();
      let pair: [number, number] | null = null;
      for (let i = 0; i < 64 && pair === null; i++) {
        const pfn = b.allocPages(GFP_KERNEL, order) as number;
        const buddy = pfn ^ (2 ** order);
        if (seen.has(buddy)) pair = [buddy, pfn];
        seen.set(pfn, order);
      }
      expect(pair).not.toBeNull();
      const [a, c] = pair as [number, number];
      b.freePages(a, order);
      b.freePages(c, order);
      b.drainAllPages();
      expect(freeBlockOrderAt(b, Math.min(a, c))).toBeGreaterThanOrEqual(order + 1);
      checkBuddyInvariants(b);
    });
  }

  it('after freeing everything and draining, nr_free per order equals the boot snapshot in every zone', () => {
    const b = makeBuddy(64, { cpus: 2 });
    const boot = nrFreeSnapshot(b);
    const held: Block[] = [];
    const gfps = [GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_ATOMIC];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let i = 0; i < 4000; i++) {
      b.cpu = rand(2);
      if (held.length > 0 && rand(3) === 0) {
        const [blk] = held.splice(rand(held.length), 1);
        b.freePages((blk as Block).pfn, (blk as Block).order);
      } else {
        const order = rand(4) === 0 ? rand(MAX_ORDER + 1) : rand(4);
        const pfn = b.allocPages(at(gfps, rand(gfps.length)) | __GFP_NOWARN, order);
        if (pfn !== null) held.push({ pfn, order });
      }
    }
    checkBuddyInvariants(b);
    freeAll(b, held);
    b.drainAllPages();
    expect(nrFreeSnapshot(b)).toEqual(boot);
    for (const z of b.zones) expect(z.freePages).toBe(z.managed);
    checkBuddyInvariants(b);
  });
});

describe('per-CPU page lists', () => {
  // 128 MiB: DMA32 has ~27000 managed frames, so its pcp batch is 7 (zone_batchsize).
  function setup(cpus = 1) {
    const b = makeBuddy(128, { cpus });
    const dma32 = zoneNamed(b, 'DMA32');
    const pcp = at(dma32.pcp, 0);
    return { b, dma32, pcp, batch: pcp.ints[PCP_BATCH] as number };
  }

  it('pcp batch and high are zone_batchsize and zone_highsize (low watermark / cpus, at least 4 batches)', () => {
    for (const cpus of [1, 2]) {
      const b = makeBuddy(128, { cpus });
      for (const z of b.zones) {
        if (z.managed === 0) continue;
        let batch = Math.min(Math.floor(z.managed / 1024), (1024 * 1024) / 4096);
        batch = Math.max(1, Math.floor(batch / 4));
        batch = 2 ** Math.floor(Math.log2(batch + Math.floor(batch / 2))) - 1;
        batch = Math.max(1, batch); // zone_set_pageset_high_and_batch: max(1, zone_batchsize())
        const high = Math.max(Math.floor(z.low / cpus), batch * 4);
        for (const p of z.pcp) {
          expect(p.ints[PCP_BATCH]).toBe(batch);
          expect(p.ints[PCP_HIGH]).toBe(high);
        }
      }
    }
  });

  it('an order-0 allocation refills the pcp list with a batch: count batch-1, NR_FREE_PAGES down by batch', () => {
    const { b, dma32, pcp, batch } = setup();
    expect(batch).toBe(7);
    const free0 = dma32.freePages;
    const pfn = b.allocPages(GFP_KERNEL, 0);
    expect(b.zoneOf(pfn as number)).toBe(dma32);
    expect(pcp.ints[PCP_COUNT]).toBe(batch - 1);
    expect(dma32.freePages).toBe(free0 - batch);
    // The next batch-1 allocations come from the pcp list without touching the buddy lists.
    for (let i = 0; i < batch - 1; i++) b.allocPages(GFP_KERNEL, 0);
    expect(pcp.ints[PCP_COUNT]).toBe(0);
    expect(dma32.freePages).toBe(free0 - batch);
  });

  it('a freed order-0 frame goes to the pcp list, not the buddy lists', () => {
    const { b, dma32, pcp } = setup();
    const pfn = b.allocPages(GFP_KERNEL, 0) as number;
    const count = pcp.ints[PCP_COUNT] as number;
    const free = dma32.freePages;
    b.freePages(pfn, 0);
    expect(pcp.ints[PCP_COUNT]).toBe(count + 1);
    expect(dma32.freePages).toBe(free);
    expect(b.memMap.pageType(pfn)).toBe(PageType.pcp);
  });

  it('freeing past high returns a batch to the buddy lists; the count stays below high', () => {
    const { b, dma32, pcp, batch } = setup();
    const high = pcp.ints[PCP_HIGH] as number;
    const held: number[] = [];
    for (let i = 0; i < high + 2 * batch; i++) held.push(b.allocPages(GFP_KERNEL, 0) as number);
    b.drainAllPages();
    let crossed = false;
    for (const pfn of held) {
      const before = pcp.ints[PCP_COUNT] as number;
      const freeBefore = dma32.freePages;
      b.freePages(pfn, 0);
      const after = pcp.ints[PCP_COUNT] as number;
      expect(after).toBeLessThan(high);
      if (before + 1 >= high) {
        crossed = true;
        expect(after).toBe(before + 1 - batch);
        expect(dma32.freePages).toBe(freeBefore + batch);
      } else {
        expect(after).toBe(before + 1);
        expect(dma32.freePages).toBe(freeBefore);
      }
    }
    expect(crossed).toBe(true);
  });

  it('pcp lists of a small zone (batch 1) are trimmed at high too', () => {
    // x86_64 ZONE_DMA: zone_batchsize() is 0, Linux uses max(1, batch).
    const b = makeBuddy(64);
    const dma = zoneNamed(b, 'DMA');
    const pcp = at(dma.pcp, 0);
    const high = pcp.ints[PCP_HIGH] as number;
    const held: number[] = [];
    for (let i = 0; i < high + 20; i++) held.push(b.allocPages(GFP_KERNEL | GFP_DMA, 0) as number);
    for (const pfn of held) {
      b.freePages(pfn, 0);
      expect(pcp.ints[PCP_COUNT]).toBeLessThan(high);
    }
  });

  it('drainAllPages empties every pcp list of every CPU', () => {
    const b = makeBuddy(128, { cpus: 2 });
    for (const cpu of [0, 1]) {
      b.cpu = cpu;
      const held: number[] = [];
      for (let i = 0; i < 20; i++) held.push(b.allocPages(GFP_KERNEL, i % 4) as number);
      held.forEach((pfn, i) => {
        b.freePages(pfn, i % 4);
      });
    }
    expect(b.zones.some((z) => z.pcp.every((p) => (p.ints[PCP_COUNT] as number) > 0))).toBe(true);
    b.drainAllPages();
    for (const z of b.zones) {
      expect(z.pcpPages).toBe(0);
      for (const p of z.pcp) {
        expect(Array.from(p.heads).every((h) => h === -1)).toBe(true);
      }
    }
    for (const z of b.zones) expect(z.freePages).toBe(z.managed);
    checkBuddyInvariants(b);
  });

  for (const order of [1, 2, 3]) {
    it(`order ${order} allocations use the pcp list (refilled with max(batch >> order, 2) blocks)`, () => {
      const { b, dma32, pcp, batch } = setup();
      const free0 = dma32.freePages;
      const pfn = b.allocPages(GFP_KERNEL, order) as number;
      const refill = Math.max(batch >> order, 2);
      expect(pcp.ints[PCP_COUNT]).toBe((refill - 1) * 2 ** order);
      expect(pcpListLength(b, pcp, pcpListIndex(order, MigrateType.Unmovable))).toBe(refill - 1);
      expect(dma32.freePages).toBe(free0 - refill * 2 ** order);
      const count = pcp.ints[PCP_COUNT] as number;
      b.freePages(pfn, order);
      expect(pcp.ints[PCP_COUNT]).toBe(count + 2 ** order);
    });
  }

  it('order 4 and above bypass the pcp lists', () => {
    const { b, dma32, pcp } = setup();
    for (const order of [4, 7, 10]) {
      const free0 = dma32.freePages;
      const pfn = b.allocPages(GFP_KERNEL, order) as number;
      expect(pcp.ints[PCP_COUNT]).toBe(0);
      expect(dma32.freePages).toBe(free0 - 2 ** order);
      b.freePages(pfn, order);
      expect(pcp.ints[PCP_COUNT]).toBe(0);
      expect(dma32.freePages).toBe(free0);
    }
  });

  it("with two CPUs, buddy.cpu = 1 uses CPU 1's lists only", () => {
    const { b, dma32, batch } = setup(2);
    b.cpu = 1;
    const pfn = b.allocPages(GFP_KERNEL, 0) as number;
    expect(at(dma32.pcp, 1).ints[PCP_COUNT]).toBe(batch - 1);
    expect(at(dma32.pcp, 0).ints[PCP_COUNT]).toBe(0);
    b.freePages(pfn, 0);
    expect(at(dma32.pcp, 1).ints[PCP_COUNT]).toBe(batch);
    expect(at(dma32.pcp, 0).ints[PCP_COUNT]).toBe(0);
    b.cpu = 0;
    const other = b.allocPages(GFP_KERNEL, 0) as number;
    expect(other).not.toBe(pfn); // CPU 0 cannot see CPU 1's cached frame
    expect(at(dma32.pcp, 0).ints[PCP_COUNT]).toBe(batch - 1);
  });
});

describe('watermarks and lowmem_reserve', () => {
  for (const [arch, mib] of [
    ['x86_64', 64],
    ['x86_64', 8],
    ['i386', 2048],
    ['arm64-4k', 64],
    ['arm64-64k', 64],
  ] as const) {
    it(`${arch} ${mib} MiB: min_free_kbytes, min/low/high and lowmem_reserve follow Linux's formulas`, () => {
      const b = makeBuddy(mib, { arch });
      const managed = b.zones.map((z) => z.spanned - reservedFramesIn(b, z.startPfn, z.endPfn));
      const want = expectedWatermarks(
        managed,
        b.zones.map((z) => z.name),
        b.arch.pageSize,
      );
      expect(b.minFreeKbytes).toBe(want.minFreeKbytes);
      expect(b.zones.map((z) => z.min)).toEqual(want.min);
      expect(b.zones.map((z) => z.low)).toEqual(want.low);
      expect(b.zones.map((z) => z.high)).toEqual(want.high);
      expect(b.zones.map((z) => z.lowmemReserve)).toEqual(want.lowmemReserve);
    });
  }

  it("x86_64 64 MiB: DMA's lowmem_reserve against DMA32/Normal requests is DMA32 managed / 256", () => {
    const b = makeBuddy(64);
    const dma = zoneNamed(b, 'DMA');
    const dma32 = zoneNamed(b, 'DMA32');
    expect(dma.lowmemReserve[0]).toBe(0);
    expect(dma.lowmemReserve[1]).toBe(Math.floor(dma32.managed / 256));
    expect(dma.lowmemReserve[2]).toBe(Math.floor(dma32.managed / 256));
    expect(dma32.lowmemReserve).toEqual([0, 0, 0, 0]);
  });

  it('GFP_KERNEL never takes a zone below min (+ lowmem_reserve); GFP_NOWAIT gets nothing more', () => {
    const b = makeBuddy(64);
    const held = exhaust(b, GFP_KERNEL);
    const normalIdx = zoneIndex(b, 'Normal');
    for (const z of b.zones) {
      if (z.managed === 0) continue;
      expect(z.freePages + z.pcpPages).toBeGreaterThanOrEqual(
        z.min + (z.lowmemReserve[normalIdx] as number),
      );
    }
    expect(b.allocPages(GFP_NOWAIT, 0)).toBeNull();
    expect(frames(held)).toBeGreaterThan(15000);
  });

  it('after GFP_KERNEL fails with nothing reclaimable, GFP_ATOMIC still succeeds, using part of the reserve', () => {
    const b = makeBuddy(64);
    exhaust(b, GFP_KERNEL);
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 0)).toBeNull();
    expect(b.allocPages(GFP_ATOMIC, 0)).not.toBeNull();
    const atomic = exhaust(b, GFP_ATOMIC);
    expect(atomic.length).toBeGreaterThan(0);
    const dma32 = zoneNamed(b, 'DMA32');
    // __GFP_HIGH: min - min/2; not able to sleep: a further quarter of that.
    const half = dma32.min - Math.floor(dma32.min / 2);
    const floor = half - Math.floor(half / 4);
    expect(dma32.freePages + dma32.pcpPages).toBeLessThan(dma32.min);
    expect(dma32.freePages + dma32.pcpPages).toBeGreaterThanOrEqual(floor);
  });

  it('__GFP_MEMALLOC may take everything, until the free lists are empty', () => {
    const b = makeBuddy(64);
    const held = exhaust(b, GFP_KERNEL | __GFP_MEMALLOC);
    const managed = b.zones.reduce((n, z) => n + z.managed, 0);
    expect(frames(held)).toBe(managed);
    for (const z of b.zones) {
      expect(z.freePages).toBe(0);
      expect(z.pcpPages).toBe(0);
    }
  });
});

describe('slow path (fake reclaimer)', () => {
  // x86_64 8 MiB: a single populated zone (DMA), so the zonelist is simple.
  function setup() {
    const fake = new FakeReclaimer();
    const log = new KernelLog();
    const b = makeBuddy(8, { reclaimer: fake, log });
    return { b, fake, log, dma: zoneNamed(b, 'DMA') };
  }

  it('crossing the low watermark wakes kswapd (not before)', () => {
    const { b, fake, dma } = setup();
    let freeBefore = -1;
    while (fake.wakes === 0) {
      freeBefore = dma.freePages;
      expect(b.allocPages(GFP_KERNEL, 0)).not.toBeNull();
    }
    expect(freeBefore).toBeLessThanOrEqual(dma.low);
    expect(freeBefore).toBeGreaterThan(dma.min);
    expect(fake.lastWake).toEqual([0, zoneIndex(b, 'Normal'), GFP_KERNEL]);
    expect(fake.direct).toBe(0);
  });

  it('GFP_KERNEL direct-reclaims (tryToFreePages) and succeeds with the frames reclaim freed', () => {
    const { b, fake } = setup();
    const held = exhaust(b, GFP_KERNEL);
    fake.resetCounts();
    fake.onDirect = () => freeSome(b, held, 32);
    const pfn = b.allocPages(GFP_KERNEL, 0);
    expect(pfn).not.toBeNull();
    expect(fake.direct).toBe(1);
    expect(fake.ooms).toBe(0);
  });

  it('direct reclaim counts allocstall for the highest zone the gfp allows, even if empty', () => {
    const { b, fake } = setup();
    exhaust(b, GFP_KERNEL);
    const stallNormal = b.events.get('allocstall_normal');
    const stallDma = b.events.get('allocstall_dma');
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 0)).toBeNull();
    expect(fake.direct).toBeGreaterThan(0);
    expect(b.events.get('allocstall_normal')).toBe(stallNormal + fake.direct);
    expect(b.events.get('allocstall_dma')).toBe(stallDma);
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL | GFP_DMA | __GFP_NOWARN, 0)).toBeNull();
    expect(b.events.get('allocstall_dma')).toBe(stallDma + fake.direct);
  });

  it('GFP_NOWAIT and GFP_ATOMIC never direct-reclaim nor call the OOM killer', () => {
    const { b, fake } = setup();
    exhaust(b, GFP_KERNEL);
    fake.resetCounts();
    fake.reclaimable = 1000;
    fake.onDirect = () => 1;
    expect(b.allocPages(GFP_NOWAIT, 0)).toBeNull();
    exhaust(b, GFP_ATOMIC);
    expect(b.allocPages(GFP_ATOMIC | __GFP_NOWARN, 0)).toBeNull();
    expect(fake.direct).toBe(0);
    expect(fake.ooms).toBe(0);
    expect(fake.wakes).toBeGreaterThan(0); // both wake kswapd
  });

  it('__GFP_NORETRY direct-reclaims at most once per allocation (GFP_KERNEL retries while reclaim progresses)', () => {
    const { b, fake } = setup();
    exhaust(b, GFP_KERNEL);
    fake.reclaimable = 1000;
    fake.onDirect = () => 1; // claims progress, frees nothing
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0)).toBeNull();
    expect(fake.direct).toBe(1);
    expect(fake.ooms).toBe(0);
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 0)).toBeNull();
    expect(fake.direct).toBeGreaterThan(1);
  });

  it('a costly order (4+) without __GFP_RETRY_MAYFAIL gives up after one round of reclaim', () => {
    const { b, fake } = setup();
    exhaust(b, GFP_KERNEL);
    fake.reclaimable = 1000;
    fake.onDirect = () => 1;
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 4)).toBeNull();
    expect(fake.direct).toBe(1);
    expect(fake.ooms).toBe(0);
    // A free block of order 4+ exists, so with __GFP_RETRY_MAYFAIL reclaim is worth retrying.
    const dma = zoneNamed(b, 'DMA');
    expect(
      Array.from(dma.nrFree)
        .slice(4)
        .some((n) => n > 0),
    ).toBe(true);
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN, 4)).toBeNull();
    expect(fake.direct).toBeGreaterThan(1);
  });

  it('__GFP_RETRY_MAYFAIL never calls the OOM killer', () => {
    const { b, fake } = setup();
    exhaust(b, GFP_KERNEL);
    for (const order of [0, 3, 4]) {
      fake.resetCounts();
      expect(b.allocPages(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN, order)).toBeNull();
      expect(fake.direct).toBeGreaterThan(0);
      expect(fake.ooms).toBe(0);
    }
  });

  it('GFP_KERNEL without reclaim progress calls the OOM killer; what it frees serves the allocation', () => {
    const { b, fake } = setup();
    const held = exhaust(b, GFP_KERNEL);
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 0)).toBeNull();
    expect(fake.ooms).toBeGreaterThan(0);
    fake.resetCounts();
    // The victim: half of what the test holds.
    fake.onOom = () => freeSome(b, held, Math.floor(frames(held) / 2)) > 0;
    expect(b.allocPages(GFP_KERNEL, 0)).not.toBeNull();
    expect(fake.ooms).toBe(1);
    checkBuddyInvariants(b);
  });

  it('should_reclaim_retry: reclaim "progress" with no zone able to reach min still goes to the OOM killer', () => {
    // Linux's should_reclaim_retry retries only if some zone would pass its min
    // watermark counting reclaimable pages; progress alone only resets the counter.
    const { b, fake } = setup();
    const held = exhaust(b, GFP_KERNEL);
    fake.reclaimable = 0;
    fake.onDirect = () => 1;
    fake.onOom = () => freeSome(b, held, Math.floor(frames(held) / 2)) > 0;
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 0)).not.toBeNull();
    expect(fake.ooms).toBe(1);
    expect(fake.direct).toBe(1);
  });

  it('each direct-reclaim round that makes progress drains the pcp lists before retrying', () => {
    // __alloc_pages_direct_reclaim: `drained` is local to each call, and a
    // round without progress does not drain. Frames reclaimed in round 2
    // land on the pcp list, where the watermark check cannot see them.
    const { b, fake } = setup();
    const held = exhaust(b, GFP_KERNEL, 0, 0);
    fake.reclaimable = 1000;
    let round = 0;
    fake.onDirect = () => (++round === 1 ? 0 : freeSome(b, held, 32));
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL, 0)).not.toBeNull();
    expect(fake.direct).toBe(2);
  });

  it('GFP_DMA (limited to lowmem below Normal) never calls the OOM killer', () => {
    const { b, fake } = setup();
    exhaust(b, GFP_KERNEL);
    fake.resetCounts();
    expect(b.allocPages(GFP_KERNEL | GFP_DMA | __GFP_NOWARN, 0)).toBeNull();
    expect(fake.direct).toBeGreaterThan(0);
    expect(fake.ooms).toBe(0);
  });

  it('GFP_NOFS never calls the OOM killer', () => {
    const { b, fake } = setup();
    exhaust(b, GFP_KERNEL);
    fake.resetCounts();
    expect(b.allocPages(GFP_NOFS | __GFP_NOWARN, 0)).toBeNull();
    expect(fake.direct).toBeGreaterThan(0);
    expect(fake.ooms).toBe(0);
  });

  it('__GFP_NOFAIL never returns null: it takes from the reserves when GFP_KERNEL fails', () => {
    const { b } = setup();
    exhaust(b, GFP_KERNEL);
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 0)).toBeNull();
    expect(b.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0)).not.toBeNull();
  });

  it('__GFP_NOFAIL with nothing free anywhere and nothing to kill panics', () => {
    const { b, fake } = setup();
    exhaust(b, GFP_KERNEL | __GFP_MEMALLOC);
    expect(b.nrFreePages()).toBe(0);
    expect(() => b.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0)).toThrow(KernelPanic);
    expect(fake.ooms).toBeGreaterThan(0);
  });

  it('__GFP_NOFAIL from a caller that cannot sleep is a bug when memory is out', () => {
    const { b } = setup();
    exhaust(b, GFP_KERNEL | __GFP_MEMALLOC);
    expect(() => b.allocPages(GFP_ATOMIC | __GFP_NOFAIL, 0)).toThrow(
      /__GFP_NOFAIL without __GFP_DIRECT_RECLAIM/,
    );
    expect(b.log.dmesg()).toContain('page allocation failure: order:0');
  });
});

describe('allocation failure warning', () => {
  function exhausted() {
    const log = new KernelLog();
    const b = makeBuddy(8, { log });
    exhaust(b, GFP_KERNEL);
    log.clear();
    return { b, log };
  }

  it('logs warn_alloc and the Mem-Info free-area summary', () => {
    const { b, log } = exhausted();
    expect(b.allocPages(GFP_KERNEL, 0)).toBeNull();
    const lines = log.dmesg({ timestamps: false }).split('\n');
    const i = lines.indexOf(
      'swapper/0: page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null),cpuset=/,mems_allowed=0',
    );
    expect(i).toBeGreaterThanOrEqual(0);
    const memInfo = lines.indexOf('Mem-Info:', i);
    expect(memInfo).toBeGreaterThan(i);
    const dma = zoneNamed(b, 'DMA');
    const dmaLine = lines.slice(memInfo).find((l) => l.startsWith('Node 0 DMA: '));
    expect(dmaLine).toBeDefined();
    expect(dmaLine).toMatch(/^Node 0 DMA: (\d+\*\d+kB (\([UMEHI]+\) )?){11}= \d+kB$/);
    expect(dmaLine?.endsWith(`= ${dma.freePages * 4}kB`)).toBe(true);
    // Only populated zones are listed.
    expect(lines.some((l) => l.startsWith('Node 0 DMA32:'))).toBe(false);
  });

  it('names the order and every flag of the mask', () => {
    const { b, log } = exhausted();
    expect(b.allocPages(GFP_KERNEL | __GFP_ZERO | __GFP_COMP, 3)).toBeNull();
    expect(log.dmesg({ timestamps: false })).toContain(
      'swapper/0: page allocation failure: order:3, mode:0x40dc0(GFP_KERNEL|__GFP_ZERO|__GFP_COMP), nodemask=(null),cpuset=/,mems_allowed=0',
    );
  });

  it('__GFP_NOWARN suppresses it', () => {
    const { b, log } = exhausted();
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 0)).toBeNull();
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 5)).toBeNull();
    expect(log.dmesg()).toBe('');
  });
});

describe('migratetypes and fallback', () => {
  const PB = 9; // pageblock_order on x86_64

  it('on a fresh machine every pageblock is Movable', () => {
    const b = makeBuddy(64);
    expect(b.pageblockOrder).toBe(PB);
    expect(b.pageblockMigratetype.length).toBe(16384 / 512);
    expect(Array.from(b.pageblockMigratetype).every((t) => t === MigrateType.Movable)).toBe(true);
  });

  it('an unmovable (GFP_KERNEL) allocation steals a pageblock, which becomes Unmovable', () => {
    const b = makeBuddy(64);
    const pfn = b.allocPages(GFP_KERNEL, 0) as number;
    expect(b.pageblockMigratetype[pfn >> PB]).toBe(MigrateType.Unmovable);
    const rec = b.allocPages(GFP_KERNEL | __GFP_RECLAIMABLE, 0) as number;
    expect(b.pageblockMigratetype[rec >> PB]).toBe(MigrateType.Reclaimable);
    checkBuddyInvariants(b);
  });

  it('movable allocations stay in Movable pageblocks', () => {
    const b = makeBuddy(64);
    for (let i = 0; i < 50; i++) b.allocPages(GFP_KERNEL, i % 4);
    for (let i = 0; i < 2000; i++) {
      const pfn = b.allocPages(GFP_HIGHUSER_MOVABLE, i % 3) as number;
      expect(b.pageblockMigratetype[pfn >> PB]).toBe(MigrateType.Movable);
    }
  });

  it('when the Movable lists are empty, a movable request falls back to an Unmovable pageblock', () => {
    const b = makeBuddy(64);
    const dma32 = zoneNamed(b, 'DMA32');
    // Make ten pageblocks of DMA32 Unmovable, then free them again.
    const blocks: number[] = [];
    for (let i = 0; i < 10; i++) blocks.push(b.allocPages(GFP_KERNEL, PB) as number);
    for (const pfn of blocks) {
      expect(b.zoneOf(pfn)).toBe(dma32);
      b.freePages(pfn, PB);
    }
    const movableFree = () => {
      let n = 0;
      for (let o = 0; o <= MAX_ORDER; o++) n += at(dma32.freeCounts, o * MIGRATE_TYPES + 1);
      return n + pcpListLength(b, at(dma32.pcp, 0), pcpListIndex(0, MigrateType.Movable));
    };
    let fellBack = false;
    for (let i = 0; i < 20000 && !fellBack; i++) {
      if (movableFree() === 0) {
        const types = Array.from(b.pageblockMigratetype);
        const pfn = b.allocPages(GFP_HIGHUSER_MOVABLE, 0);
        expect(pfn).not.toBeNull();
        expect(b.zoneOf(pfn as number)).toBe(dma32);
        expect(at(types, (pfn as number) >> PB)).not.toBe(MigrateType.Movable);
        fellBack = true;
      } else {
        const pfn = b.allocPages(GFP_HIGHUSER_MOVABLE, 0);
        expect(pfn).not.toBeNull();
        expect(b.zoneOf(pfn as number)).toBe(dma32);
      }
    }
    expect(fellBack).toBe(true);
    checkBuddyInvariants(b);
  });
});

describe('fault injection (fail_page_alloc)', () => {
  const base = { probability: 100, interval: 1, times: 2, seed: 1, ignoreGfpWait: false };

  it('fails exactly the next `times` allocations, logging each, then allocations succeed', () => {
    const log = new KernelLog();
    const b = makeBuddy(16, { failPageAlloc: base, log });
    const free = b.nrFreePages();
    expect(b.allocPages(GFP_KERNEL, 0)).toBeNull();
    expect(b.allocPages(GFP_KERNEL, 3)).toBeNull();
    expect(b.nrFreePages()).toBe(free);
    const text = log.dmesg({ timestamps: false });
    expect(text.split('\n').filter((l) => l === 'FAULT_INJECTION: forcing a failure.').length).toBe(
      2,
    );
    expect(text).not.toContain('page allocation failure');
    for (let i = 0; i < 10; i++) expect(b.allocPages(GFP_KERNEL, i % 4)).not.toBeNull();
  });

  it('a call rejected as misuse does not count as an injection opportunity', () => {
    const b = makeBuddy(16, { failPageAlloc: { ...base, times: 1 } });
    expect(() => b.allocPages(GFP_KERNEL | __GFP_NOWARN, 11)).toThrow(KernelBug);
    expect(() => b.allocPages(-1, 0)).toThrow(KernelBug);
    expect(b.allocPages(GFP_KERNEL, 0)).toBeNull();
    expect(b.allocPages(GFP_KERNEL, 0)).not.toBeNull();
  });

  it('never fails a __GFP_NOFAIL allocation', () => {
    const b = makeBuddy(16, { failPageAlloc: { ...base, times: -1 } });
    for (let i = 0; i < 5; i++) expect(b.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0)).not.toBeNull();
    expect(b.allocPages(GFP_KERNEL, 0)).toBeNull();
  });

  it('ignoreGfpWait spares GFP_KERNEL but not GFP_ATOMIC', () => {
    const b = makeBuddy(16, { failPageAlloc: { ...base, times: -1, ignoreGfpWait: true } });
    for (let i = 0; i < 5; i++) expect(b.allocPages(GFP_KERNEL, 0)).not.toBeNull();
    expect(b.allocPages(GFP_ATOMIC, 0)).toBeNull();
    expect(b.allocPages(GFP_NOWAIT, 0)).toBeNull();
  });

  it('interval 3 fails only every third call', () => {
    const b = makeBuddy(16, { failPageAlloc: { ...base, times: -1, interval: 3 } });
    const failed: number[] = [];
    for (let call = 1; call <= 12; call++) {
      if (b.allocPages(GFP_KERNEL, 0) === null) failed.push(call);
    }
    expect(failed).toEqual([3, 6, 9, 12]);
  });

  it('__GFP_NOWARN silences the fault-injection report (FAULT_NOWARN), not the failure', () => {
    const log = new KernelLog();
    const b = makeBuddy(16, { failPageAlloc: base, log });
    log.clear();
    expect(b.allocPages(GFP_KERNEL | __GFP_NOWARN, 0)).toBeNull();
    expect(log.dmesg()).not.toContain('FAULT_INJECTION');
  });
});

describe('misuse throws KernelBug and changes nothing', () => {
  /** An 8 MiB machine with some blocks allocated and some frames on pcp lists. */
  function busy() {
    const log = new KernelLog();
    const b = makeBuddy(8, { log });
    const held: Block[] = [];
    for (let i = 0; i < 30; i++) {
      const order = i % 5;
      const pfn = b.allocPages(i % 2 ? GFP_KERNEL : GFP_HIGHUSER_MOVABLE, order) as number;
      held.push({ pfn, order });
    }
    for (let i = 0; i < 10; i++) {
      const blk = held.splice(i, 1)[0] as Block;
      b.freePages(blk.pfn, blk.order);
    }
    expect(b.zones.some((z) => z.pcpPages > 0)).toBe(true);
    return { b, log, held };
  }

  it('allocPages with an order that is not an integer 0..10', () => {
    const { b } = busy();
    for (const order of [-1, 11, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown]) {
      const msg = expectBugUnchanged(b, () => b.allocPages(GFP_KERNEL, order as number));
      expect(msg).toContain('allocPages');
    }
  });

  it('allocPages order 11 also logs the kernel WARNING, unless __GFP_NOWARN', () => {
    const { b, log } = busy();
    log.clear();
    expectBugUnchanged(b, () => b.allocPages(GFP_KERNEL, 11));
    expect(log.dmesg()).toMatch(/WARNING: .*order 11/);
    log.clear();
    expectBugUnchanged(b, () => b.allocPages(GFP_KERNEL | __GFP_NOWARN, 11));
    expect(log.dmesg()).toBe('');
  });

  it('allocPages with an invalid gfp mask', () => {
    const { b } = busy();
    for (const gfp of [
      GFP_KERNEL | 0x200, // unused bit
      GFP_KERNEL | 0x800000, // __GFP_ZEROTAGS, not modelled
      GFP_KERNEL | 0x10000000,
      __GFP_DMA | __GFP_HIGHMEM,
      GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE,
      -1,
      1.5,
      2 ** 32,
    ]) {
      const msg = expectBugUnchanged(b, () => b.allocPages(gfp, 0));
      expect(msg).toContain('allocPages');
    }
  });

  it('freePages of a block already free: on the buddy lists, and on a pcp list', () => {
    const { b } = busy();
    const big = b.allocPages(GFP_KERNEL, 5) as number;
    b.freePages(big, 5); // order 5: straight to the buddy lists
    expectBugUnchanged(b, () => b.freePages(big, 5));
    const small = b.allocPages(GFP_KERNEL, 0) as number;
    b.freePages(small, 0); // order 0: to the pcp list
    expect(b.memMap.pageType(small)).toBe(PageType.pcp);
    const msg = expectBugUnchanged(b, () => b.freePages(small, 0));
    expect(msg).toContain('double free');
  });

  it('freePages of a misaligned pfn', () => {
    const { b } = busy();
    const pfn = b.allocPages(GFP_KERNEL, 2) as number;
    expectBugUnchanged(b, () => b.freePages(pfn + 1, 2));
    expectBugUnchanged(b, () => b.freePages(pfn + 2, 2));
  });

  it('freePages of a pfn outside RAM or not an integer', () => {
    const { b } = busy();
    for (const pfn of [-1, b.memory.frames, b.memory.frames + 100, 1.5, Number.NaN]) {
      expectBugUnchanged(b, () => b.freePages(pfn, 0));
    }
    for (const order of [-1, 11, 0.5]) expectBugUnchanged(b, () => b.freePages(1024, order));
  });

  it('freePages with the wrong order, larger or smaller than allocated', () => {
    const { b, held } = busy();
    let pfn = -1;
    for (let i = 0; i < 100 && pfn < 0; i++) {
      const p = b.allocPages(GFP_KERNEL, 2) as number;
      if (p % 8 === 0) pfn = p;
      else held.push({ pfn: p, order: 2 });
    }
    expect(pfn).toBeGreaterThanOrEqual(0);
    expect(expectBugUnchanged(b, () => b.freePages(pfn, 3))).toContain('order');
    expectBugUnchanged(b, () => b.freePages(pfn, 1));
    expectBugUnchanged(b, () => b.freePages(pfn, 0));
    b.freePages(pfn, 2); // the right order still works
  });

  it('freePages of a frame inside an allocated block', () => {
    const { b } = busy();
    const pfn = b.allocPages(GFP_KERNEL, 2) as number;
    expectBugUnchanged(b, () => b.freePages(pfn + 1, 0));
    expectBugUnchanged(b, () => b.freePages(pfn + 2, 1));
    const comp = b.allocPages(GFP_KERNEL | __GFP_COMP, 3) as number;
    expectBugUnchanged(b, () => b.freePages(comp + 4, 2)); // a compound tail
  });

  it('freePages of a frame inside a free block', () => {
    const { b } = busy();
    const head = zoneNamed(b, 'DMA').freeHeads.find((h, i) => h >= 0 && i >= 5 * MIGRATE_TYPES);
    expect(head).toBeDefined();
    expectBugUnchanged(b, () => b.freePages((head as number) + 2, 1));
  });

  it('freePages of a reserved frame (pfn 0 on x86: firmware)', () => {
    const { b } = busy();
    expect(b.memMap.PageReserved(0)).toBe(true);
    expect(expectBugUnchanged(b, () => b.freePages(0, 0))).toContain('reserved');
    const mm = b.memMap.base / b.arch.pageSize;
    expectBugUnchanged(b, () => b.freePages(mm, 0)); // the mem_map itself
  });

  it('freePages of a page still mapped (mapcount) or on an LRU list', () => {
    const { b } = busy();
    const pfn = b.allocPages(GFP_KERNEL, 1) as number;
    b.memMap.mapcount[pfn] = 1;
    expectBugUnchanged(b, () => b.freePages(pfn, 1));
    b.memMap.mapcount[pfn] = 0;
    b.memMap.SetPageLRU(pfn);
    expectBugUnchanged(b, () => b.freePages(pfn, 1));
    b.memMap.ClearPageLRU(pfn);
    b.freePages(pfn, 1);
    checkBuddyInvariants(b);
  });

  it('freePages with refcount 2 only drops a reference; the block stays allocated until the last put', () => {
    const { b } = busy();
    const pfn = b.allocPages(GFP_KERNEL, 2) as number;
    b.memMap.getPage(pfn);
    const free = b.nrFreePages();
    const pcp = b.zoneOf(pfn).pcpPages;
    b.freePages(pfn, 2);
    expect(b.memMap.pageRefcount(pfn)).toBe(1);
    expect(b.allocatedOrder(pfn)).toBe(2);
    expect(b.nrFreePages()).toBe(free);
    expect(b.zoneOf(pfn).pcpPages).toBe(pcp);
    checkBuddyInvariants(b);
    b.freePages(pfn, 2);
    expect(b.allocatedOrder(pfn)).toBe(-1);
    expect(b.memMap.pageRefcount(pfn)).toBe(0);
    checkBuddyInvariants(b);
  });
});

describe('event counters', () => {
  it('pgalloc_<zone> counts frames allocated from each zone; pgfree counts frames freed', () => {
    const b = makeBuddy(64);
    const dma32 = b.events.get('pgalloc_dma32');
    const dma = b.events.get('pgalloc_dma');
    const pgfree = b.events.get('pgfree');
    const pfn = b.allocPages(GFP_KERNEL, 3) as number;
    expect(b.events.get('pgalloc_dma32')).toBe(dma32 + 8);
    const low = b.allocPages(GFP_KERNEL | GFP_DMA, 1) as number;
    expect(b.events.get('pgalloc_dma')).toBe(dma + 2);
    b.memMap.getPage(pfn);
    b.freePages(pfn, 3); // drops a reference only
    expect(b.events.get('pgfree')).toBe(pgfree);
    b.freePages(pfn, 3);
    b.freePages(low, 1);
    expect(b.events.get('pgfree')).toBe(pgfree + 10);
  });
});

describe('Kernel wrapper', () => {
  it('getFreePages returns the direct-map address; freePagesAddr frees it', () => {
    const k = Kernel.boot({ memory: '16M' });
    const free = k.buddy.nrFreePages() + k.zones.reduce((n, z) => n + z.pcpPages, 0);
    const va = k.getFreePages(GFP_KERNEL, 2);
    expect(va).not.toBe(0);
    expect(va).toBeLessThan(0); // kernel half on x86_64
    const pfn = k.virtToPage(va);
    expect(k.pageAddress(pfn)).toBe(va);
    expect(k.buddy.allocatedOrder(pfn)).toBe(2);
    k.freePagesAddr(va, 2);
    expect(k.buddy.allocatedOrder(pfn)).toBe(-1);
    k.drainAllPages();
    expect(k.buddy.nrFreePages()).toBe(free);
  });

  it('getFreePages returns 0 on failure', () => {
    const k = Kernel.boot({ memory: '16M', failPageAlloc: { probability: 100 } });
    expect(k.getFreePages(GFP_KERNEL, 0)).toBe(0);
    expect(k.allocPages(GFP_KERNEL, 0)).toBeNull();
  });

  it('freePagesAddr of an address outside the direct map throws KernelBug and changes nothing', () => {
    const k = Kernel.boot({ memory: '16M' });
    k.getFreePages(GFP_KERNEL, 0);
    for (const va of [0x1000, -1, 1.5]) expectBugUnchanged(k.buddy, () => k.freePagesAddr(va, 0));
  });

  it('freePagesAddr(0) is a no-op', () => {
    const k = Kernel.boot({ memory: '16M' });
    const before = fullSnapshot(k.buddy);
    k.freePagesAddr(0, 0);
    k.freePagesAddr(0, 5);
    expectSameState(k.buddy, before);
  });

  it('allocPages/freePages/drainAllPages delegate to the buddy allocator', () => {
    const k = Kernel.boot({ memory: '16M' });
    const pfn = k.allocPages(GFP_KERNEL, 3) as number;
    expect(k.buddy.allocatedOrder(pfn)).toBe(3);
    expect(() => k.freePages(pfn, 2)).toThrow(KernelBug);
    k.freePages(pfn, 3);
    expect(k.zones.some((z) => z.pcpPages > 0)).toBe(true);
    k.drainAllPages();
    expect(k.zones.every((z) => z.pcpPages === 0)).toBe(true);
    k.checkInvariants();
  });

  it('getFreePages ignores __GFP_HIGHMEM on i386: never a HighMem frame', () => {
    const k = Kernel.boot({ arch: 'i386', memory: '1G' });
    const highStart = zoneNamed(k.buddy, 'HighMem').startPfn;
    for (const order of [0, 4]) {
      const va = k.getFreePages(GFP_HIGHUSER, order);
      expect(va).not.toBe(0);
      expect(va).toBeGreaterThanOrEqual(0xc0000000);
      expect(k.virtToPage(va)).toBeLessThan(highStart);
    }
    expect(k.allocPages(GFP_HIGHUSER, 0) as number).toBeGreaterThanOrEqual(highStart);
  });
});

describe('checkBuddyInvariants catches corruption', () => {
  function freeHead(
    b: BuddyAllocator,
    minOrder: number,
  ): { zone: Zone; pfn: number; order: number } {
    for (const zone of b.zones) {
      for (let o = MAX_ORDER; o >= minOrder; o--) {
        for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
          const pfn = at(zone.freeHeads, o * MIGRATE_TYPES + mt);
          if (pfn >= 0) return { zone, pfn, order: o };
        }
      }
    }
    throw new Error('no free block');
  }

  it('holds on a fresh allocator', () => {
    checkBuddyInvariants(makeBuddy(8));
  });

  it('a free block head recording the wrong order', () => {
    const b = makeBuddy(8);
    const { pfn, order } = freeHead(b, 3);
    b.memMap.private[pfn] = order - 1;
    expect(() => checkBuddyInvariants(b)).toThrow(KernelBug);
    expect(() => checkBuddyInvariants(b)).toThrow(new RegExp(`pfn ${pfn}`));
  });

  it('NR_FREE_PAGES disagreeing with the lists', () => {
    const b = makeBuddy(8);
    const zone = zoneNamed(b, 'DMA');
    zone.state[0] = (zone.state[0] as number) - 1;
    expect(() => checkBuddyInvariants(b)).toThrow(/NR_FREE_PAGES/);
  });

  it('a leaked frame: an allocated head that lost PG_allocated', () => {
    const b = makeBuddy(8);
    const pfn = b.allocPages(GFP_KERNEL, 2) as number;
    checkBuddyInvariants(b);
    b.memMap.clearFlag(pfn, PG.allocated);
    expect(() => checkBuddyInvariants(b)).toThrow(/leaked|no state/);
  });

  it('a frame both free and allocated', () => {
    const b = makeBuddy(8);
    const { pfn } = freeHead(b, 0);
    b.memMap.setFlag(pfn, PG.allocated);
    b.memMap.refcount[pfn] = 1;
    expect(() => checkBuddyInvariants(b)).toThrow(KernelBug);
  });

  it('Kernel.checkInvariants reports the same', () => {
    const k = Kernel.boot({ memory: '8M' });
    k.checkInvariants();
    const zone = zoneNamed(k.buddy, 'DMA');
    zone.nrFree[0] = (zone.nrFree[0] as number) + 1;
    expect(() => k.checkInvariants()).toThrow(KernelBug);
  });
});

describe('determinism and random workloads', () => {
  const GFPS = [
    GFP_KERNEL,
    GFP_ATOMIC,
    GFP_NOWAIT,
    GFP_HIGHUSER_MOVABLE,
    GFP_KERNEL | __GFP_RECLAIMABLE,
    GFP_KERNEL | GFP_DMA,
    GFP_KERNEL | __GFP_COMP | __GFP_ZERO,
  ].map((g) => g | __GFP_NOWARN);

  type Op =
    | { kind: 'alloc'; gfp: number; order: number }
    | { kind: 'free'; pick: number }
    | { kind: 'drain' }
    | { kind: 'cpu'; cpu: number };

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('alloc' as const),
        gfp: fc.constantFrom(...GFPS),
        order: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: MAX_ORDER })),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('cpu' as const),
        cpu: fc.integer({ min: 0, max: 1 }),
      }),
    },
  );

  function run(b: BuddyAllocator, ops: readonly Op[]): Block[] {
    const held: Block[] = [];
    for (const op of ops) {
      if (op.kind === 'alloc') {
        const pfn = b.allocPages(op.gfp, op.order);
        if (pfn !== null) {
          expect(pfn % 2 ** op.order).toBe(0);
          held.push({ pfn, order: op.order });
        }
      } else if (op.kind === 'free') {
        if (held.length === 0) continue;
        const [blk] = held.splice(op.pick % held.length, 1);
        b.freePages((blk as Block).pfn, (blk as Block).order);
      } else if (op.kind === 'drain') {
        b.drainAllPages();
      } else {
        b.cpu = op.cpu;
      }
    }
    return held;
  }

  it('the same operations on two identically built allocators give identical state', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const x = makeBuddy(8, { cpus: 2 });
        const y = makeBuddy(8, { cpus: 2 });
        const hx = run(x, ops);
        const hy = run(y, ops);
        expect(hy).toEqual(hx);
        const sx = fullSnapshot(x);
        const sy = fullSnapshot(y);
        expect(memMapDiff(x, sx.memMap, sy.memMap)).toBeNull();
        expect(sy.zoneState).toEqual(sx.zoneState);
        expect(sy.pcp).toEqual(sx.pcp);
        expect(sy.pageblocks).toEqual(sx.pageblocks);
        const rx = Buffer.from(x.memory.read(0, x.memory.size));
        expect(rx.equals(Buffer.from(y.memory.read(0, y.memory.size)))).toBe(true);
      }),
      { numRuns: 15, seed: 42 },
    );
  });

  it('random workloads keep the invariants, and freeing everything restores the boot free lists', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const b = makeBuddy(8, { cpus: 2 });
        const boot = nrFreeSnapshot(b);
        const held = run(b, ops);
        checkBuddyInvariants(b);
        freeAll(b, held);
        b.drainAllPages();
        checkBuddyInvariants(b);
        expect(nrFreeSnapshot(b)).toEqual(boot);
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});

describe('/proc/buddyinfo', () => {
  it('reads as it did after boot once everything allocated is freed and the pcp lists drained', () => {
    const k = Kernel.boot({ memory: '64M', cpus: 2 });
    const boot = k.proc('/proc/buddyinfo');
    expect(boot).toMatch(/^Node 0, zone {6}DMA( +\d+){11} \nNode 0, zone {4}DMA32( +\d+){11} \n$/);
    const held: Block[] = [];
    for (let i = 0; i < 3000; i++) {
      k.buddy.cpu = i % 2;
      const order = i % 7 === 0 ? 6 : i % 4;
      const pfn = k.allocPages(i % 3 ? GFP_KERNEL : GFP_HIGHUSER_MOVABLE, order);
      if (pfn !== null) held.push({ pfn, order });
      if (i % 5 === 0 && held.length > 0) {
        const blk = held.shift() as Block;
        k.freePages(blk.pfn, blk.order);
      }
    }
    expect(k.proc('/proc/buddyinfo')).not.toBe(boot);
    for (const blk of held) k.freePages(blk.pfn, blk.order);
    k.drainAllPages();
    expect(k.proc('/proc/buddyinfo')).toBe(boot);
  });
});
