/**
 * Tests of src/page/address.ts: the signed virtual-address convention of
 * CONTRACT.md (canonical checks, `virtAddr`, `formatAddress`) and the
 * direct-map conversions (`__va`, `__pa`, PFN_PHYS, PHYS_PFN) of every
 * architecture profile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARCH_NAMES,
  ARCHES,
  formatAddress,
  inDirectMap,
  isCanonical,
  KernelBug,
  pfnToPhys,
  physToPfn,
  physToVirt,
  showAddress,
  virtAddr,
  virtToPhys,
} from '../src/page/index.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TWO_64 = 1n << 64n;
const MAX_U64 = TWO_64 - 1n;
/** First and last address of the non-canonical hole of a 48-bit space. */
const HOLE_START = 1n << 47n;
const HOLE_END = 0xffff7fffffffffffn;
const KERNEL_HALF = 0xffff800000000000n;

/** The reference definition: bits 63..47 all equal. */
function referenceCanonical(x: bigint): boolean {
  return x >> 47n === 0n || x >> 47n === 0x1ffffn;
}

/** Canonical addresses in unsigned 64-bit form, from both halves. */
const canonicalU64 = fc.oneof(
  fc.bigInt({ min: 0n, max: HOLE_START - 1n }),
  fc.bigInt({ min: KERNEL_HALF, max: MAX_U64 }),
);

/** Any unsigned 64-bit value, weighted so that both halves, the hole and their edges are hit. */
const anyU64 = fc.oneof(
  canonicalU64,
  fc.bigInt({ min: HOLE_START, max: HOLE_END }),
  fc.bigInt({ min: 0n, max: MAX_U64 }),
  fc
    .tuple(
      fc.constantFrom(0n, HOLE_START, KERNEL_HALF, 1n << 63n, TWO_64),
      fc.integer({ min: -4, max: 3 }),
    )
    .map(([edge, d]) => edge + BigInt(d))
    .filter((x) => x >= 0n && x <= MAX_U64),
);

describe('isCanonical', () => {
  it('agrees with the reference formula on unsigned 64-bit bigints', () => {
    fc.assert(
      fc.property(anyU64, (x) => {
        expect(isCanonical(x)).toBe(referenceCanonical(x));
        expect(isCanonical(x, 48)).toBe(referenceCanonical(x));
      }),
      { numRuns: 2000 },
    );
  });

  it('knows the edges of the hole', () => {
    expect(isCanonical(0n)).toBe(true);
    expect(isCanonical(0x00007fffffffffffn)).toBe(true);
    expect(isCanonical(0x0000800000000000n)).toBe(false);
    expect(isCanonical(0xffff7fffffffffffn)).toBe(false);
    expect(isCanonical(0xffff800000000000n)).toBe(true);
    expect(isCanonical(0xffff888000000000n)).toBe(true);
    expect(isCanonical(MAX_U64)).toBe(true);
    expect(isCanonical(0x8000000000000000n)).toBe(false);
  });

  it('rejects bigints outside the unsigned 64-bit range', () => {
    expect(isCanonical(-1n)).toBe(false);
    expect(isCanonical(TWO_64)).toBe(false);
    expect(isCanonical(TWO_64 + 0x1000n)).toBe(false);
  });

  it('takes numbers as the signed form: integers in [-2**47, 2**47)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 47), max: 2 ** 47 - 1 }), (x) => {
        expect(isCanonical(x)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 2 ** 47, max: Number.MAX_SAFE_INTEGER }),
          fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -(2 ** 47) - 1 }),
        ),
        (x) => {
          expect(isCanonical(x)).toBe(false);
        },
      ),
    );
    expect(isCanonical(-(2 ** 47))).toBe(true);
    expect(isCanonical(2 ** 47 - 1)).toBe(true);
    expect(isCanonical(2 ** 47)).toBe(false);
    expect(isCanonical(-(2 ** 47) - 1)).toBe(false);
    expect(isCanonical(-0x778000000000)).toBe(true);
  });

  it('rejects numbers that are not integers', () => {
    for (const x of [0.5, -0.5, 4096.25, Number.NaN, Infinity, -Infinity, 2 ** 47 - 0.5]) {
      expect(isCanonical(x)).toBe(false);
      expect(isCanonical(x, 32)).toBe(false);
    }
    fc.assert(
      fc.property(
        fc
          .double({ min: -(2 ** 47), max: 2 ** 47, noNaN: true })
          .filter((x) => !Number.isInteger(x)),
        (x) => {
          expect(isCanonical(x)).toBe(false);
        },
      ),
    );
  });

  it('numbers: unsigned values at or above 2**63 are not the signed form', () => {
    // isCanonical takes numbers as signed; only virtAddr reads them as unsigned.
    expect(isCanonical(2 ** 64 - 2 ** 47)).toBe(false);
    expect(isCanonical(2 ** 63)).toBe(false);
  });

  it('32-bit spaces: [0, 2**32)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (x) => {
        expect(isCanonical(x, 32)).toBe(true);
        expect(isCanonical(BigInt(x), 32)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER }),
          fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
        ),
        (x) => {
          expect(isCanonical(x, 32)).toBe(false);
        },
      ),
    );
    expect(isCanonical(0xc0000000, 32)).toBe(true);
    expect(isCanonical(0xffffffff, 32)).toBe(true);
    expect(isCanonical(2 ** 32, 32)).toBe(false);
    expect(isCanonical(-1, 32)).toBe(false);
    expect(isCanonical(1n << 32n, 32)).toBe(false);
    expect(isCanonical(-1n, 32)).toBe(false);
  });
});

describe('virtAddr and formatAddress', () => {
  it('convert the unsigned form to the signed one', () => {
    expect(virtAddr(0xffff888000000000n)).toBe(-0x778000000000);
    expect(virtAddr(0xffff800000000000n)).toBe(-(2 ** 47));
    expect(virtAddr(0xffffffffffffffffn)).toBe(-1);
    expect(virtAddr(0x00007fffffffffffn)).toBe(2 ** 47 - 1);
    expect(virtAddr(0n)).toBe(0);
    expect(formatAddress(-0x778000000000)).toBe('0xffff888000000000');
    expect(formatAddress(-1)).toBe('0xffffffffffffffff');
    expect(formatAddress(0)).toBe('0x0');
    expect(formatAddress(0x7ffffffff000)).toBe('0x7ffffffff000');
    expect(formatAddress(0x1000, 16)).toBe('0x0000000000001000');
    expect(formatAddress(-0x778000000000, 16)).toBe('0xffff888000000000');
  });

  it('round-trip every canonical address', () => {
    fc.assert(
      fc.property(canonicalU64, (x) => {
        const va = virtAddr(x);
        expect(Number.isInteger(va)).toBe(true);
        expect(isCanonical(va)).toBe(true);
        expect(va).toBe(Number(BigInt.asIntN(64, x)));
        expect(formatAddress(va)).toBe(`0x${x.toString(16)}`);
        expect(BigInt(formatAddress(va))).toBe(x);
        // A number already in signed form passes through unchanged.
        expect(virtAddr(va)).toBe(va);
      }),
      { numRuns: 1000 },
    );
  });

  it('throws RangeError for every non-canonical bigint', () => {
    fc.assert(
      fc.property(
        anyU64.filter((x) => !referenceCanonical(x)),
        (x) => {
          expect(() => virtAddr(x)).toThrow(RangeError);
        },
      ),
    );
    expect(() => virtAddr(0x0000800000000000n)).toThrow(RangeError);
    expect(() => virtAddr(-1n)).toThrow(RangeError);
    expect(() => virtAddr(TWO_64)).toThrow(RangeError);
  });

  it('throws RangeError for non-canonical numbers, fractions, NaN and infinities', () => {
    for (const x of [2 ** 47, -(2 ** 47) - 1, 2 ** 62, 0.5, Number.NaN, Infinity, -Infinity]) {
      expect(() => virtAddr(x)).toThrow(RangeError);
    }
    // Unsigned numbers inside the hole (2**47 .. 2**64 - 2**47) are rejected.
    expect(() => virtAddr(2 ** 63)).toThrow(RangeError);
    expect(() => virtAddr(2 ** 64 - 2 ** 48)).toThrow(RangeError);
    // 2**64 itself is no 64-bit address.
    expect(() => virtAddr(2 ** 64)).toThrow(RangeError);
  });

  it('accepts unsigned numbers at or above 2**63 that are exact', () => {
    expect(virtAddr(0xffff888000000000)).toBe(-0x778000000000);
    expect(virtAddr(2 ** 64 - 2 ** 47)).toBe(-(2 ** 47));
    expect(virtAddr(2 ** 64 - 4096)).toBe(-4096);
    // Doubles in [2**63, 2**64) are multiples of 2048: each such kernel-half value converts.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 36 }), (k) => {
        const signed = -k * 2048;
        expect(virtAddr(2 ** 64 + signed)).toBe(signed);
      }),
    );
  });
});

describe('showAddress', () => {
  it('prints integers in hex and anything else as given', () => {
    expect(showAddress(0x1000)).toBe('0x1000');
    expect(showAddress(-0x778000000000)).toBe('0xffff888000000000');
    expect(showAddress(1.5)).toBe('1.5');
    expect(showAddress(Number.NaN)).toBe('NaN');
  });

  it('formatAddress rejects non-integers', () => {
    expect(() => formatAddress(1.5)).toThrow(RangeError);
    expect(() => formatAddress(Number.NaN)).toThrow(RangeError);
  });
});

describe('direct map', () => {
  for (const name of ARCH_NAMES) {
    const arch = ARCHES[name];
    /** Physical addresses the direct map covers on this profile, at most its largest RAM. */
    const mapped = Math.min(arch.directMapLimit, arch.maxMemory);

    it(`${name}: physToVirt and virtToPhys are inverse over the direct map`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: mapped - 1 }), (pa) => {
          const va = physToVirt(arch, pa);
          expect(va).toBe(arch.pageOffset + pa);
          expect(isCanonical(va, arch.vaBits)).toBe(true);
          expect(virtToPhys(arch, va)).toBe(pa);
          expect(inDirectMap(arch, pa)).toBe(true);
        }),
        { numRuns: 300 },
      );
      expect(physToVirt(arch, 0)).toBe(arch.pageOffset);
      expect(virtToPhys(arch, arch.pageOffset)).toBe(0);
    });

    it(`${name}: kernel addresses sit above user space`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: mapped - 1 }), (pa) => {
          const va = physToVirt(arch, pa);
          if (arch.is64Bit) expect(va).toBeLessThan(0);
          else expect(va).toBeGreaterThanOrEqual(arch.taskSize);
        }),
        { numRuns: 100 },
      );
    });

    it(`${name}: pfn and physical address convert both ways`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: arch.maxMemory / arch.pageSize - 1 }), (pfn) => {
          const pa = pfnToPhys(arch, pfn);
          expect(pa).toBe(pfn * arch.pageSize);
          expect(physToPfn(arch, pa)).toBe(pfn);
          expect(physToPfn(arch, pa + arch.pageSize - 1)).toBe(pfn);
          expect(physToPfn(arch, pa + arch.pageSize)).toBe(pfn + 1);
        }),
        { numRuns: 200 },
      );
    });

    it(`${name}: rejects what the direct map does not hold`, () => {
      expect(() => physToVirt(arch, -1)).toThrow(KernelBug);
      expect(() => physToVirt(arch, 0.5)).toThrow(KernelBug);
      expect(() => physToVirt(arch, Number.NaN)).toThrow(KernelBug);
      expect(() => virtToPhys(arch, arch.pageOffset - arch.pageSize)).toThrow(KernelBug);
      expect(() => virtToPhys(arch, arch.pageOffset + 0.5)).toThrow(KernelBug);
      expect(() => virtToPhys(arch, Number.NaN)).toThrow(KernelBug);
      // User-space addresses are not direct-map addresses.
      for (const user of [0, 0x1000, 0x400000, arch.taskSize - arch.pageSize]) {
        expect(() => virtToPhys(arch, user)).toThrow(KernelBug);
      }
      expect(() => virtToPhys(arch, arch.pageOffset - arch.pageSize)).toThrow(/virtToPhys/);
      expect(() => physToVirt(arch, -1)).toThrow(/physToVirt/);
    });

    it(`${name}: physical addresses beyond the largest RAM have no direct-map address`, () => {
      // Otherwise __va of a huge address lands outside the kernel half (or off the canonical range).
      for (const pa of [arch.maxMemory, 2 ** 47, 2 ** 52]) {
        expect(inDirectMap(arch, pa)).toBe(false);
        expect(() => physToVirt(arch, pa)).toThrow(KernelBug);
      }
    });
  }

  it('i386: HighMem (896 MiB and above) has no direct-map address', () => {
    const arch = ARCHES.i386;
    expect(physToVirt(arch, 896 * MiB - 1)).toBe(0xc0000000 + 896 * MiB - 1);
    expect(physToVirt(arch, 896 * MiB - 4096)).toBe(0xf7fff000);
    fc.assert(
      fc.property(fc.integer({ min: 896 * MiB, max: 4 * GiB - 1 }), (pa) => {
        expect(inDirectMap(arch, pa)).toBe(false);
        expect(() => physToVirt(arch, pa)).toThrow(KernelBug);
      }),
      { numRuns: 100 },
    );
    expect(() => physToVirt(arch, 896 * MiB)).toThrow(/direct map/);
    // The top 128 MiB of kernel space (vmalloc, kmap) is not direct map either.
    expect(() => virtToPhys(arch, 0xf8000000)).toThrow(KernelBug);
    expect(() => virtToPhys(arch, 0xffffffff)).toThrow(KernelBug);
    expect(() => virtToPhys(arch, 2 ** 32)).toThrow(KernelBug);
  });

  it('x86_64: PAGE_OFFSET is 0xffff888000000000', () => {
    const arch = ARCHES.x86_64;
    expect(formatAddress(physToVirt(arch, 0))).toBe('0xffff888000000000');
    expect(formatAddress(physToVirt(arch, 0x1234000))).toBe('0xffff888001234000');
    expect(virtToPhys(arch, virtAddr(0xffff888001234567n))).toBe(0x1234567);
  });

  it('arm64: the linear map starts at 0xffff800000000000', () => {
    for (const name of ['arm64-4k', 'arm64-16k', 'arm64-64k'] as const) {
      expect(formatAddress(physToVirt(ARCHES[name], 0))).toBe('0xffff800000000000');
      expect(virtToPhys(ARCHES[name], virtAddr(0xffff800040000000n))).toBe(GiB);
    }
  });
});
