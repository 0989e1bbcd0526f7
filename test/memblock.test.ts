/**
 * Tests of src/buddy/memblock.ts: early boot reservations (memblock_reserve)
 * and top-down early allocation (memblock_alloc). A Memblock is pure
 * bookkeeping: an 8 GiB one needs no RAM.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Memblock, type MemblockRegion } from '../src/buddy/index.js';
import { KernelBug } from '../src/page/index.js';

const KiB = 1024;
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const PAGE = 4096;

function snapshot(mb: Memblock): MemblockRegion[] {
  return mb.reserved.map((r) => ({ ...r }));
}

describe('Memblock.reserve', () => {
  it('widens a range to whole pages', () => {
    const mb = new Memblock(64 * MiB, PAGE);
    expect(mb.reserve(0x1234, 10, 'a')).toEqual({ base: 0x1000, size: 0x1000, owner: 'a' });
    expect(mb.reserve(0x2fff, 2, 'b')).toEqual({ base: 0x2000, size: 0x2000, owner: 'b' });
    expect(mb.reserve(0x10000, 0x1000, 'c')).toEqual({ base: 0x10000, size: 0x1000, owner: 'c' });
    expect(mb.reserve(0x20000, 1, 'd')).toEqual({ base: 0x20000, size: 0x1000, owner: 'd' });
    expect(mb.reservedBytes).toBe(0x5000);
    expect(mb.memorySize).toBe(64 * MiB);
    expect(mb.pageSize).toBe(PAGE);
  });

  it('widens to the page size it was given (64 KiB)', () => {
    const mb = new Memblock(16 * MiB, 64 * KiB);
    expect(mb.reserve(0x18000, 0x10000, 'x')).toEqual({
      base: 0x10000,
      size: 0x20000,
      owner: 'x',
    });
  });

  it('keeps the regions in address order', () => {
    const mb = new Memblock(64 * MiB, PAGE);
    mb.reserve(32 * MiB, PAGE, 'high');
    mb.reserve(0, PAGE, 'low');
    mb.reserve(8 * MiB, PAGE, 'mid');
    expect(mb.reserved.map((r) => r.owner)).toEqual(['low', 'mid', 'high']);
  });

  it('rejects an overlap with KernelBug, naming both owners, and changes nothing', () => {
    const mb = new Memblock(64 * MiB, PAGE);
    mb.reserve(0x10000, 0x4000, 'kernel image');
    mb.reserve(0x20000, 0x1000, 'firmware');
    const before = snapshot(mb);
    for (const [base, size] of [
      [0x10000, 0x4000], // identical
      [0x13fff, 1], // last byte
      [0xf000, 0x1001], // widened into it
      [0x0, 0x100000], // covers it
      [0x11000, 0x100], // inside
      [0xffff, 2], // straddles the first byte
      [0x1ffff, 2], // straddles into the second
    ] as const) {
      expect(() => mb.reserve(base, size, 'intruder')).toThrow(KernelBug);
      expect(snapshot(mb)).toEqual(before);
    }
    expect(() => mb.reserve(0x13000, 0x10, 'intruder')).toThrow(/intruder.*kernel image/);
    // Adjacent ranges are fine.
    mb.reserve(0xf000, 0x1000, 'below');
    mb.reserve(0x14000, 0x1000, 'above');
    expect(mb.reservedBytes).toBe(0x7000);
  });

  it('rejects ranges that are not ranges of RAM, and changes nothing', () => {
    const mb = new Memblock(MiB, PAGE);
    mb.reserve(0, PAGE, 'first');
    const before = snapshot(mb);
    for (const [base, size] of [
      [-PAGE, PAGE],
      [PAGE, 0],
      [PAGE, -1],
      [0.5, PAGE],
      [PAGE, 1.5],
      [Number.NaN, PAGE],
      [PAGE, Number.NaN],
      [MiB, 1],
      [MiB - PAGE, PAGE + 1],
      [MiB - 1, 1 + 1],
    ] as const) {
      expect(() => mb.reserve(base, size, 'bad')).toThrow(KernelBug);
      expect(snapshot(mb)).toEqual(before);
    }
    expect(() => mb.reserve(MiB - 1, 2, 'bad')).toThrow(/memblockReserve/);
    expect(mb.reserve(MiB - 1, 1, 'last').base).toBe(MiB - PAGE);
  });

  it('isReserved reports whole frames', () => {
    const mb = new Memblock(MiB, PAGE);
    mb.reserve(0x3000, 0x2001, 'x'); // frames 3, 4, 5
    const reserved = Array.from({ length: 256 }, (_, pfn) => mb.isReserved(pfn));
    expect(reserved.flatMap((r, pfn) => (r ? [pfn] : []))).toEqual([3, 4, 5]);
  });
});

describe('Memblock.alloc', () => {
  it('allocates top-down below the limit, page aligned', () => {
    const mb = new Memblock(64 * MiB, PAGE);
    expect(mb.alloc(PAGE, PAGE, 'a')).toBe(64 * MiB - PAGE);
    expect(mb.alloc(100, 8, 'b')).toBe(64 * MiB - 2 * PAGE); // rounded to a page
    expect(mb.alloc(PAGE, PAGE, 'c', 16 * MiB)).toBe(16 * MiB - PAGE);
    expect(mb.alloc(3 * PAGE, PAGE, 'd', 16 * MiB + 100)).toBe(16 * MiB - 4 * PAGE);
    expect(mb.reserved.find((r) => r.owner === 'b')).toEqual({
      base: 64 * MiB - 2 * PAGE,
      size: PAGE,
      owner: 'b',
    });
    // A limit above RAM is RAM's end.
    expect(mb.alloc(PAGE, PAGE, 'e', 1024 * MiB)).toBe(64 * MiB - 3 * PAGE);
  });

  it('honours the alignment', () => {
    const mb = new Memblock(64 * MiB, PAGE);
    mb.reserve(64 * MiB - PAGE, PAGE, 'top');
    expect(mb.alloc(PAGE, 2 * MiB, 'aligned')).toBe(62 * MiB);
    expect(mb.alloc(3 * PAGE, 64 * KiB, 'aligned2')).toBe(64 * MiB - 64 * KiB);
    expect(mb.alloc(64 * KiB, 64 * KiB, 'aligned3')).toBe(64 * MiB - 128 * KiB);
  });

  it('skips reserved ranges, taking the highest gap that fits', () => {
    const mb = new Memblock(MiB, PAGE);
    mb.reserve(MiB - 4 * PAGE, 4 * PAGE, 'top');
    mb.reserve(MiB - 10 * PAGE, 4 * PAGE, 'second'); // gap of 2 pages between them
    expect(mb.alloc(3 * PAGE, PAGE, 'three')).toBe(MiB - 13 * PAGE);
    expect(mb.alloc(2 * PAGE, PAGE, 'two')).toBe(MiB - 6 * PAGE); // fills the gap
    expect(mb.alloc(PAGE, PAGE, 'one')).toBe(MiB - 14 * PAGE);
    const regions = mb.reserved;
    for (let i = 1; i < regions.length; i++) {
      const prev = regions[i - 1] as MemblockRegion;
      expect(prev.base + prev.size).toBeLessThanOrEqual((regions[i] as MemblockRegion).base);
    }
  });

  it('returns null when nothing fits, changing nothing', () => {
    const mb = new Memblock(MiB, PAGE);
    mb.reserve(0, MiB / 2, 'low');
    mb.reserve(MiB / 2 + PAGE, MiB / 2 - PAGE, 'high'); // one free page left
    const before = snapshot(mb);
    expect(mb.alloc(2 * PAGE, PAGE, 'x')).toBeNull();
    expect(mb.alloc(MiB * 2, PAGE, 'x')).toBeNull();
    expect(mb.alloc(PAGE, PAGE, 'x', MiB / 2)).toBeNull(); // the page is above the limit
    expect(mb.alloc(PAGE, MiB, 'x')).toBeNull(); // no 1 MiB aligned page free
    expect(snapshot(mb)).toEqual(before);
    expect(mb.alloc(PAGE, PAGE, 'last')).toBe(MiB / 2);
    expect(mb.alloc(1, 1, 'more')).toBeNull();
    expect(mb.reservedBytes).toBe(MiB);
  });

  it('never crosses a 4 GiB boundary (8 GiB of bookkeeping, no RAM)', () => {
    const mb = new Memblock(8 * GiB, PAGE);
    mb.reserve(8 * GiB - 4 * GiB + MiB, 4 * GiB - MiB, 'above 4G'); // leaves [4G, 4G + 1M)
    // 2 MiB do not fit above 4 GiB; the highest place below is just under 4 GiB.
    expect(mb.alloc(2 * MiB, PAGE, 'straddler')).toBe(4 * GiB - 2 * MiB);
    expect(mb.alloc(MiB, PAGE, 'fits above')).toBe(4 * GiB);
    const mb2 = new Memblock(8 * GiB, PAGE);
    mb2.reserve(4 * GiB + MiB, 4 * GiB - MiB, 'above');
    mb2.reserve(4 * GiB - MiB, MiB, 'below'); // gap [4G, 4G + 1M) only, and RAM below 4G - 1M
    expect(mb2.alloc((3 * MiB) / 2, PAGE, 'x')).toBe(4 * GiB - MiB - (3 * MiB) / 2);
    // A custom boundary.
    const mb3 = new Memblock(64 * MiB, PAGE);
    mb3.reserve(63 * MiB, MiB, 'top');
    expect(mb3.alloc(2 * MiB, PAGE, 'a', 63 * MiB, 16 * MiB)).toBe(61 * MiB);
    expect(mb3.alloc(2 * MiB, PAGE, 'b', 49 * MiB, 16 * MiB)).toBe(46 * MiB);
  });

  it('an allocation larger than the boundary cannot be placed: null', () => {
    const mb = new Memblock(16 * GiB, PAGE);
    expect(mb.alloc(8 * GiB, PAGE, 'huge')).toBeNull();
    expect(mb.reserved).toEqual([]);
    const mb2 = new Memblock(64 * MiB, PAGE);
    expect(mb2.alloc(3 * MiB, PAGE, 'x', 64 * MiB, 2 * MiB)).toBeNull();
    // Exactly one boundary's worth fits when aligned.
    expect(mb.alloc(4 * GiB, PAGE, 'one chunk')).toBe(12 * GiB);
  });

  it('rejects a size or alignment that is not a positive integer with KernelBug', () => {
    const mb = new Memblock(MiB, PAGE);
    for (const size of [0, -PAGE, 1.5, Number.NaN, Infinity]) {
      expect(() => mb.alloc(size, PAGE, 'bad')).toThrow(KernelBug);
      expect(() => mb.alloc(size, PAGE, 'bad')).toThrow(/memblockAlloc/);
    }
    for (const align of [0, -PAGE, 1.5, Number.NaN]) {
      expect(() => mb.alloc(PAGE, align, 'bad')).toThrow(KernelBug);
    }
    expect(mb.reserved).toEqual([]);
  });
});

type Op =
  | { kind: 'reserve'; base: number; size: number }
  | { kind: 'alloc'; size: number; align: number; limit: number };

describe('Memblock property', () => {
  const SIZE = 8 * GiB;
  const sizeArb = fc.oneof(
    fc.integer({ min: 1, max: 64 * KiB }),
    fc.integer({ min: 1, max: 64 * MiB }),
    fc.integer({ min: 1, max: 6 * GiB }),
  );
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('reserve' as const),
      base: fc.oneof(
        fc.integer({ min: 0, max: SIZE - 1 }),
        fc.integer({ min: -8, max: 8 }).map((d) => 4 * GiB + d * MiB),
      ),
      size: sizeArb,
    }),
    fc.record({
      kind: fc.constant('alloc' as const),
      size: sizeArb,
      align: fc.constantFrom(1, 8, PAGE, 64 * KiB, 2 * MiB),
      limit: fc.oneof(fc.constant(SIZE), fc.integer({ min: 0, max: SIZE + GiB })),
    }),
  );

  it('reserve and alloc never overlap, stay page aligned and inside RAM', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const mb = new Memblock(SIZE, PAGE);
        let expectedBytes = 0;
        for (const op of ops) {
          const before = snapshot(mb);
          if (op.kind === 'reserve') {
            const start = Math.floor(op.base / PAGE) * PAGE;
            const end = Math.ceil((op.base + op.size) / PAGE) * PAGE;
            const clash = end > SIZE || before.some((r) => start < r.base + r.size && r.base < end);
            if (clash) {
              expect(() => mb.reserve(op.base, op.size, 'r')).toThrow(KernelBug);
              expect(snapshot(mb)).toEqual(before);
            } else {
              const r = mb.reserve(op.base, op.size, 'r');
              expect(r).toEqual({ base: start, size: end - start, owner: 'r' });
              expectedBytes += r.size;
            }
          } else {
            const base = mb.alloc(op.size, op.align, 'a', op.limit);
            if (base === null) {
              expect(snapshot(mb)).toEqual(before);
            } else {
              const size = Math.ceil(op.size / PAGE) * PAGE;
              expect(base % Math.max(op.align, PAGE)).toBe(0);
              expect(base + size).toBeLessThanOrEqual(Math.min(op.limit, SIZE));
              // Never across a 4 GiB boundary.
              expect(Math.floor(base / (4 * GiB))).toBe(Math.floor((base + size - 1) / (4 * GiB)));
              expect(mb.reserved.find((r) => r.base === base)).toEqual({ base, size, owner: 'a' });
              expectedBytes += size;
            }
          }
          const regions = mb.reserved;
          let end = 0;
          let sum = 0;
          for (const r of regions) {
            expect(r.base % PAGE).toBe(0);
            expect(r.size % PAGE).toBe(0);
            expect(r.size).toBeGreaterThan(0);
            expect(r.base).toBeGreaterThanOrEqual(end); // sorted, disjoint
            end = r.base + r.size;
            sum += r.size;
          }
          expect(end).toBeLessThanOrEqual(SIZE);
          expect(mb.reservedBytes).toBe(sum);
          expect(mb.reservedBytes).toBe(expectedBytes);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('alloc is top-down: no higher aligned place below the limit was free', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 8 })), {
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom(1, 2, 4),
        fc.integer({ min: 0, max: 256 }),
        (reservations, pages, alignPages, limitPages) => {
          const mb = new Memblock(MiB, PAGE);
          for (const [pfn, n] of reservations) {
            try {
              mb.reserve(pfn * PAGE, n * PAGE, 'r');
            } catch {
              // overlapping or past the end: skipped
            }
          }
          const free = (p: number) => !mb.isReserved(p);
          const fits = (p: number) =>
            p % alignPages === 0 &&
            p + pages <= limitPages &&
            Array.from({ length: pages }, (_, i) => p + i).every(free);
          let best: number | null = null;
          for (let p = 256 - pages; p >= 0; p--) {
            if (fits(p)) {
              best = p * PAGE;
              break;
            }
          }
          expect(mb.alloc(pages * PAGE, alignPages * PAGE, 'a', limitPages * PAGE)).toBe(best);
        },
      ),
      { numRuns: 300 },
    );
  });
});
