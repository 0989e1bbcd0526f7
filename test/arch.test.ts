/**
 * Tests of src/page/arch.ts: each architecture profile against the kernel
 * headers it cites, `getArch`, and the zone spans a machine gets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARCH_NAMES,
  ARCHES,
  type ArchName,
  Errno,
  getArch,
  KernelError,
  virtAddr,
  type ZoneSpan,
  zoneSpans,
} from '../src/page/index.js';

const KiB = 1024;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

describe('architecture profiles', () => {
  const expected: Record<
    ArchName,
    { pageSize: number; levels: number; vaBits: number; pteSize: number; is64Bit: boolean }
  > = {
    x86_64: { pageSize: 4 * KiB, levels: 4, vaBits: 48, pteSize: 8, is64Bit: true },
    i386: { pageSize: 4 * KiB, levels: 2, vaBits: 32, pteSize: 4, is64Bit: false },
    'arm64-4k': { pageSize: 4 * KiB, levels: 4, vaBits: 48, pteSize: 8, is64Bit: true },
    'arm64-16k': { pageSize: 16 * KiB, levels: 4, vaBits: 48, pteSize: 8, is64Bit: true },
    'arm64-64k': { pageSize: 64 * KiB, levels: 3, vaBits: 48, pteSize: 8, is64Bit: true },
  };

  it('lists the five architectures', () => {
    expect([...ARCH_NAMES].sort()).toEqual(
      ['arm64-16k', 'arm64-4k', 'arm64-64k', 'i386', 'x86_64'].sort(),
    );
    expect(Object.keys(ARCHES).sort()).toEqual([...ARCH_NAMES].sort());
  });

  for (const name of ARCH_NAMES) {
    const arch = ARCHES[name];
    const facts = expected[name];

    it(`${name}: page size, levels, PTE size and address width`, () => {
      expect(arch.name).toBe(name);
      expect(arch.pageSize).toBe(facts.pageSize);
      expect(arch.pageShift).toBe(Math.log2(facts.pageSize));
      expect(2 ** arch.pageShift).toBe(arch.pageSize);
      expect(arch.levels).toBe(facts.levels);
      expect(arch.levelBits).toHaveLength(facts.levels);
      expect(arch.vaBits).toBe(facts.vaBits);
      expect(arch.pteSize).toBe(facts.pteSize);
      expect(arch.is64Bit).toBe(facts.is64Bit);
    });

    it(`${name}: the levels and the page offset consume exactly vaBits`, () => {
      const sum = arch.levelBits.reduce((a, b) => a + b, 0);
      expect(sum + arch.pageShift).toBe(arch.vaBits);
      for (const bits of arch.levelBits) {
        expect(Number.isInteger(bits)).toBe(true);
        expect(bits).toBeGreaterThan(0);
      }
      // Every level below the top is a whole table frame of PTEs (PTRS_PER_PTE).
      const entriesPerTable = arch.pageSize / arch.pteSize;
      for (const bits of arch.levelBits.slice(1)) expect(2 ** bits).toBe(entriesPerTable);
      expect(2 ** (arch.levelBits[0] as number)).toBeLessThanOrEqual(entriesPerTable);
    });

    it(`${name}: user space lies below the kernel's direct map`, () => {
      expect(arch.taskSize % arch.pageSize).toBe(0);
      expect(arch.taskSize).toBeGreaterThan(0);
      if (arch.is64Bit) {
        expect(arch.pageOffset).toBeLessThan(0);
        expect(arch.taskSize).toBeLessThanOrEqual(2 ** 47);
      } else {
        expect(arch.pageOffset).toBeGreaterThanOrEqual(arch.taskSize);
        expect(arch.pageOffset).toBeLessThan(2 ** 32);
      }
      expect(Math.abs(arch.pageOffset % arch.pageSize)).toBe(0);
      // Zones ascend and the last takes the rest of RAM.
      const ends = arch.zones.map((z) => z.end);
      expect([...ends].sort((a, b) => a - b)).toEqual(ends);
      expect(arch.zones.at(-1)?.end).toBe(Number.POSITIVE_INFINITY);
      expect(arch.maxMemory % arch.pageSize).toBe(0);
    });
  }

  it('x86_64: PAGE_OFFSET 0xffff888000000000, TASK_SIZE 0x7ffffffff000', () => {
    const a = ARCHES.x86_64;
    expect(a.pageOffset).toBe(virtAddr(0xffff888000000000n));
    expect(a.pageOffset).toBe(-0x778000000000);
    expect(a.taskSize).toBe(0x7ffffffff000);
    expect(a.levelBits).toEqual([9, 9, 9, 9]);
    expect(a.zones.map((z) => z.name)).toEqual(['DMA', 'DMA32', 'Normal']);
  });

  it('i386: 3G/1G split at 0xC0000000, 896 MiB of lowmem', () => {
    const a = ARCHES.i386;
    expect(a.pageOffset).toBe(0xc0000000);
    expect(a.taskSize).toBe(0xc0000000);
    expect(a.levelBits).toEqual([10, 10]);
    expect(a.directMapLimit).toBe(896 * MiB);
    expect(a.maxMemory).toBe(4 * GiB);
    expect(a.zones.map((z) => z.name)).toEqual(['DMA', 'Normal', 'HighMem']);
  });

  it('arm64: linear map at 0xffff800000000000, user space below 2**47', () => {
    for (const name of ['arm64-4k', 'arm64-16k', 'arm64-64k'] as const) {
      const a = ARCHES[name];
      expect(a.pageOffset).toBe(virtAddr(0xffff800000000000n));
      expect(a.pageOffset).toBe(-(2 ** 47));
      expect(a.taskSize).toBe(2 ** 47);
      expect(a.zones.map((z) => z.name)).toEqual(['DMA', 'DMA32', 'Normal']);
    }
    expect(ARCHES['arm64-4k'].levelBits).toEqual([9, 9, 9, 9]);
    expect(ARCHES['arm64-16k'].levelBits).toEqual([1, 11, 11, 11]);
    expect(ARCHES['arm64-64k'].levelBits).toEqual([6, 13, 13]);
  });
});

describe('getArch', () => {
  it('returns the profile by name', () => {
    for (const name of ARCH_NAMES) expect(getArch(name)).toBe(ARCHES[name]);
  });

  it('throws KernelError EINVAL for an unknown name, naming it and the choices', () => {
    for (const bad of ['', 'x86-64', 'X86_64', 'arm64', 'riscv64', 'toString', '__proto__']) {
      let caught: unknown;
      try {
        getArch(bad);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(KernelError);
      const err = caught as KernelError;
      expect(err.errno).toBe(Errno.EINVAL);
      expect(err.code).toBe('EINVAL');
      expect(err.message).toContain(JSON.stringify(bad));
      expect(err.message).toContain('x86_64');
    }
  });
});

function span(name: string, startPfn: number, endPfn: number) {
  return { name, startPfn, endPfn };
}

describe('zoneSpans', () => {
  it('x86_64, 64 MiB: DMA below 16 MiB, the rest DMA32, Normal empty', () => {
    expect(zoneSpans(ARCHES.x86_64, 64 * MiB)).toEqual([
      span('DMA', 0, 4096),
      span('DMA32', 4096, 16384),
      span('Normal', 16384, 16384),
    ]);
  });

  it('x86_64, 8 GiB: DMA32 up to 4 GiB, Normal from 4 GiB', () => {
    expect(zoneSpans(ARCHES.x86_64, 8 * GiB)).toEqual([
      span('DMA', 0, 4096),
      span('DMA32', 4096, 1 << 20),
      span('Normal', 1 << 20, 2 << 20),
    ]);
  });

  it('x86_64, exactly 4 GiB: Normal is empty', () => {
    expect(zoneSpans(ARCHES.x86_64, 4 * GiB)).toEqual([
      span('DMA', 0, 4096),
      span('DMA32', 4096, 1 << 20),
      span('Normal', 1 << 20, 1 << 20),
    ]);
  });

  it('i386, 2 GiB: DMA, Normal up to 896 MiB, HighMem above', () => {
    expect(zoneSpans(ARCHES.i386, 2 * GiB)).toEqual([
      span('DMA', 0, 4096),
      span('Normal', 4096, (896 * MiB) / 4096),
      span('HighMem', (896 * MiB) / 4096, (2 * GiB) / 4096),
    ]);
  });

  it('i386, 512 MiB: no HighMem', () => {
    expect(zoneSpans(ARCHES.i386, 512 * MiB)).toEqual([
      span('DMA', 0, 4096),
      span('Normal', 4096, (512 * MiB) / 4096),
      span('HighMem', (512 * MiB) / 4096, (512 * MiB) / 4096),
    ]);
  });

  it('arm64: DMA up to 4 GiB, DMA32 always empty', () => {
    for (const name of ['arm64-4k', 'arm64-16k', 'arm64-64k'] as const) {
      const ps = ARCHES[name].pageSize;
      expect(zoneSpans(ARCHES[name], 64 * MiB)).toEqual([
        span('DMA', 0, (64 * MiB) / ps),
        span('DMA32', (64 * MiB) / ps, (64 * MiB) / ps),
        span('Normal', (64 * MiB) / ps, (64 * MiB) / ps),
      ]);
      expect(zoneSpans(ARCHES[name], 8 * GiB)).toEqual([
        span('DMA', 0, (4 * GiB) / ps),
        span('DMA32', (4 * GiB) / ps, (4 * GiB) / ps),
        span('Normal', (4 * GiB) / ps, (8 * GiB) / ps),
      ]);
    }
  });

  it('1 MiB machines: everything in the first zone', () => {
    expect(zoneSpans(ARCHES.x86_64, MiB)).toEqual([
      span('DMA', 0, 256),
      span('DMA32', 256, 256),
      span('Normal', 256, 256),
    ]);
    expect(zoneSpans(ARCHES.i386, MiB)).toEqual([
      span('DMA', 0, 256),
      span('Normal', 256, 256),
      span('HighMem', 256, 256),
    ]);
    expect(zoneSpans(ARCHES['arm64-64k'], MiB)).toEqual([
      span('DMA', 0, 16),
      span('DMA32', 16, 16),
      span('Normal', 16, 16),
    ]);
    expect(zoneSpans(ARCHES['arm64-16k'], MiB)[0]).toEqual(span('DMA', 0, 64));
  });

  it('a partial last page is not a frame', () => {
    expect(zoneSpans(ARCHES.x86_64, 16 * MiB + 4095).at(-1)?.endPfn).toBe(4096);
    expect(zoneSpans(ARCHES.x86_64, 16 * MiB + 4096)[1]).toEqual(span('DMA32', 4096, 4097));
  });

  it('spans are contiguous, in zone order, never negative, and cover exactly [0, frames)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ARCH_NAMES),
        fc.oneof(
          fc.integer({ min: 1, max: 64 * 1024 }).map((m) => m * MiB),
          fc.integer({ min: MiB, max: 64 * GiB }),
          fc
            .constantFrom(16 * MiB, 896 * MiB, 4 * GiB)
            .chain((edge) => fc.integer({ min: -65536, max: 65536 }).map((d) => edge + d)),
        ),
        (name, memory) => {
          const arch = ARCHES[name];
          if (memory > arch.maxMemory) memory = arch.maxMemory;
          const spans: ZoneSpan[] = zoneSpans(arch, memory);
          const frames = Math.floor(memory / arch.pageSize);
          expect(spans.map((s) => s.name)).toEqual(arch.zones.map((z) => z.name));
          let at = 0;
          for (const [i, s] of spans.entries()) {
            expect(s.startPfn).toBe(at);
            expect(s.endPfn).toBeGreaterThanOrEqual(s.startPfn);
            expect(Number.isInteger(s.endPfn)).toBe(true);
            // A zone never reaches past its physical limit.
            const limit = (arch.zones[i] as { end: number }).end;
            expect(s.endPfn * arch.pageSize).toBeLessThanOrEqual(limit);
            // ...and stops short of it only where RAM ends.
            if (s.endPfn < frames) expect(s.endPfn).toBe(Math.floor(limit / arch.pageSize));
            at = s.endPfn;
          }
          expect(at).toBe(frames);
        },
      ),
      { numRuns: 500 },
    );
  });
});
