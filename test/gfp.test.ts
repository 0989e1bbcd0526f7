/**
 * Tests of the GFP layer (src/gfp): flag values against Linux's
 * include/linux/gfp_types.h, the zone table of include/linux/gfp.h, the
 * `%pGg` form of lib/vsprintf.c, and the validation rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as G from '../src/gfp/index.js';
import {
  __GFP_ACCOUNT,
  __GFP_COMP,
  __GFP_DIRECT_RECLAIM,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_FS,
  __GFP_HARDWALL,
  __GFP_HIGH,
  __GFP_HIGHMEM,
  __GFP_IO,
  __GFP_KSWAPD_RECLAIM,
  __GFP_MEMALLOC,
  __GFP_MOVABLE,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_RECLAIMABLE,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  __GFP_WRITE,
  __GFP_ZERO,
  checkGfp,
  formatGfp,
  GFP_ATOMIC,
  GFP_DMA,
  GFP_DMA32,
  GFP_HIGHUSER,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_KERNEL_ACCOUNT,
  GFP_MOVABLE_MASK,
  GFP_NOFS,
  GFP_NOIO,
  GFP_NOWAIT,
  GFP_TRANSHUGE,
  GFP_TRANSHUGE_LIGHT,
  GFP_USER,
  GFP_VALID_MASK,
  GFP_ZONEMASK,
  gfpAllowsBlocking,
  gfpMigratetype,
  gfpZone,
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  MIGRATETYPE_NAMES,
  MigrateType,
} from '../src/gfp/index.js';
import { KernelBug } from '../src/page/errors.js';
import type { ZoneName } from '../src/page/index.js';

/** The single-bit flags with their values in gfp_types.h (___GFP_*_BIT enum). */
const SINGLE_FLAGS: readonly (readonly [string, number, number])[] = [
  ['__GFP_DMA', __GFP_DMA, 0x1],
  ['__GFP_HIGHMEM', __GFP_HIGHMEM, 0x2],
  ['__GFP_DMA32', __GFP_DMA32, 0x4],
  ['__GFP_MOVABLE', __GFP_MOVABLE, 0x8],
  ['__GFP_RECLAIMABLE', __GFP_RECLAIMABLE, 0x10],
  ['__GFP_HIGH', __GFP_HIGH, 0x20],
  ['__GFP_IO', __GFP_IO, 0x40],
  ['__GFP_FS', __GFP_FS, 0x80],
  ['__GFP_ZERO', __GFP_ZERO, 0x100],
  // 0x200 is unused in Linux.
  ['__GFP_DIRECT_RECLAIM', __GFP_DIRECT_RECLAIM, 0x400],
  ['__GFP_KSWAPD_RECLAIM', __GFP_KSWAPD_RECLAIM, 0x800],
  ['__GFP_WRITE', __GFP_WRITE, 0x1000],
  ['__GFP_NOWARN', __GFP_NOWARN, 0x2000],
  ['__GFP_RETRY_MAYFAIL', __GFP_RETRY_MAYFAIL, 0x4000],
  ['__GFP_NOFAIL', __GFP_NOFAIL, 0x8000],
  ['__GFP_NORETRY', __GFP_NORETRY, 0x10000],
  ['__GFP_MEMALLOC', __GFP_MEMALLOC, 0x20000],
  ['__GFP_COMP', __GFP_COMP, 0x40000],
  ['__GFP_NOMEMALLOC', __GFP_NOMEMALLOC, 0x80000],
  ['__GFP_HARDWALL', __GFP_HARDWALL, 0x100000],
  ['__GFP_THISNODE', __GFP_THISNODE, 0x200000],
  ['__GFP_ACCOUNT', __GFP_ACCOUNT, 0x400000],
];

/** Composites, with the numbers computed by hand from gfp_types.h. */
const COMPOSITES: readonly (readonly [string, number, number])[] = [
  ['__GFP_RECLAIM', __GFP_RECLAIM, 0xc00],
  ['GFP_ATOMIC', GFP_ATOMIC, 0x820],
  ['GFP_KERNEL', GFP_KERNEL, 0xcc0],
  ['GFP_KERNEL_ACCOUNT', GFP_KERNEL_ACCOUNT, 0x400cc0],
  ['GFP_NOWAIT', GFP_NOWAIT, 0x2800],
  ['GFP_NOIO', GFP_NOIO, 0xc00],
  ['GFP_NOFS', GFP_NOFS, 0xc40],
  ['GFP_USER', GFP_USER, 0x100cc0],
  ['GFP_DMA', GFP_DMA, 0x1],
  ['GFP_DMA32', GFP_DMA32, 0x4],
  ['GFP_HIGHUSER', GFP_HIGHUSER, 0x100cc2],
  ['GFP_HIGHUSER_MOVABLE', GFP_HIGHUSER_MOVABLE, 0x100cca],
  ['GFP_TRANSHUGE_LIGHT', GFP_TRANSHUGE_LIGHT, 0x1c20ca],
  ['GFP_TRANSHUGE', GFP_TRANSHUGE, 0x1c24ca],
  ['GFP_ZONEMASK', GFP_ZONEMASK, 0xf],
  ['GFP_MOVABLE_MASK', GFP_MOVABLE_MASK, 0x18],
  ['GFP_VALID_MASK', GFP_VALID_MASK, 0x7ffdff],
];

/** Every name formatGfp may print, with its value, taken from the module itself. */
const PRINTABLE = new Map<string, number>(
  Object.entries(G).flatMap(([name, value]) =>
    /^(__)?GFP_/.test(name) && !name.endsWith('MASK') && typeof value === 'number'
      ? [[name, value] as const]
      : [],
  ),
);

const THREE_ZONES = __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM;

/** An independent statement of the validity rules, for model-based properties. */
function isLegal(gfp: number): boolean {
  if (!Number.isInteger(gfp) || gfp < 0 || gfp > 0xffffffff) return false;
  if ((gfp & ~GFP_VALID_MASK) !== 0) return false;
  const zoneBits = [__GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM].filter((b) => (gfp & b) !== 0);
  if (zoneBits.length > 1) return false;
  return !((gfp & __GFP_MOVABLE) !== 0 && (gfp & __GFP_RECLAIMABLE) !== 0);
}

/** Any unsigned 32-bit value. */
const anyGfpWord = fc.integer({ min: 0, max: 0xffffffff });

/** A legal gfp value: known bits, at most one of DMA/DMA32/HIGHMEM, not both mobility bits. */
const legalGfp = fc
  .tuple(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.constantFrom(0, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM),
    fc.constantFrom(0, __GFP_MOVABLE, __GFP_RECLAIMABLE),
  )
  .map(
    ([bits, zone, mobility]) =>
      ((bits & GFP_VALID_MASK & ~THREE_ZONES & ~GFP_MOVABLE_MASK) | zone | mobility) >>> 0,
  );

/** Mostly known bits, sometimes unknown ones and illegal zone combinations. */
const mostlyKnownGfp = fc.oneof(
  legalGfp,
  anyGfpWord.map((w) => (w & GFP_VALID_MASK) >>> 0),
  anyGfpWord,
  fc.subarray([...PRINTABLE.values()]).map((vs) => vs.reduce((a, v) => a | v, 0) >>> 0),
);

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function expectKernelBug(f: () => unknown, message: string | RegExp): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(KernelBug);
  expect(e).toBeInstanceOf(Error);
  if (typeof message === 'string') expect((e as Error).message).toBe(message);
  else expect((e as Error).message).toMatch(message);
}

describe('flag values', () => {
  it.each(SINGLE_FLAGS)('%s has the Linux value', (_name, value, expected) => {
    expect(value).toBe(expected);
  });

  it.each(COMPOSITES)('%s has the Linux value', (_name, value, expected) => {
    expect(value).toBe(expected);
  });

  it('composites are composed as gfp_types.h composes them', () => {
    expect(GFP_ATOMIC).toBe(__GFP_HIGH | __GFP_KSWAPD_RECLAIM);
    expect(GFP_KERNEL).toBe(__GFP_RECLAIM | __GFP_IO | __GFP_FS);
    expect(GFP_KERNEL_ACCOUNT).toBe(GFP_KERNEL | __GFP_ACCOUNT);
    expect(GFP_NOWAIT).toBe(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN);
    expect(GFP_NOIO).toBe(__GFP_RECLAIM);
    expect(GFP_NOFS).toBe(__GFP_RECLAIM | __GFP_IO);
    expect(GFP_USER).toBe(GFP_KERNEL | __GFP_HARDWALL);
    expect(GFP_HIGHUSER).toBe(GFP_USER | __GFP_HIGHMEM);
    expect(GFP_HIGHUSER_MOVABLE).toBe(GFP_HIGHUSER | __GFP_MOVABLE);
    expect(GFP_TRANSHUGE_LIGHT).toBe(
      (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM,
    );
    expect(GFP_TRANSHUGE).toBe(GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM);
  });

  it('single flags are distinct bits and GFP_VALID_MASK is exactly their union', () => {
    let union = 0;
    for (const [name, value] of SINGLE_FLAGS) {
      expect(value & (value - 1), `${name} is one bit`).toBe(0);
      expect(union & value, `${name} overlaps another flag`).toBe(0);
      union |= value;
    }
    expect(union).toBe(GFP_VALID_MASK);
    expect(GFP_VALID_MASK & 0x200).toBe(0);
  });

  it('exports every name of the contract as a number', () => {
    const names = [...SINGLE_FLAGS.map(([n]) => n), ...COMPOSITES.map(([n]) => n), '__GFP_RECLAIM'];
    for (const name of names) {
      expect(typeof (G as Record<string, unknown>)[name], name).toBe('number');
    }
  });
});

describe('formatGfp (%pGg)', () => {
  it.each([
    [GFP_KERNEL | __GFP_ZERO, 'GFP_KERNEL|__GFP_ZERO'],
    [GFP_ATOMIC, 'GFP_ATOMIC'],
    [GFP_KERNEL, 'GFP_KERNEL'],
    [GFP_KERNEL_ACCOUNT, 'GFP_KERNEL_ACCOUNT'],
    [GFP_NOWAIT, 'GFP_NOWAIT'],
    [GFP_NOFS, 'GFP_NOFS'],
    [GFP_USER, 'GFP_USER'],
    [GFP_HIGHUSER, 'GFP_HIGHUSER'],
    [GFP_HIGHUSER_MOVABLE, 'GFP_HIGHUSER_MOVABLE'],
    [GFP_TRANSHUGE_LIGHT, 'GFP_TRANSHUGE_LIGHT'],
    // Cases of Linux's own %pGg test (lib/tests/printf_kunit.c, flags()).
    [GFP_TRANSHUGE, 'GFP_TRANSHUGE'],
    [GFP_ATOMIC | __GFP_DMA, 'GFP_ATOMIC|GFP_DMA'],
    [__GFP_HIGH, '__GFP_HIGH'],
    [0xff000000, '0xff000000'],
    [(0xff000000 | __GFP_HIGH) >>> 0, '__GFP_HIGH|0xff000000'],
    // Equal composites: the earlier table entry wins.
    [GFP_NOIO, 'GFP_NOIO'],
    [__GFP_RECLAIM, 'GFP_NOIO'],
    [__GFP_DMA, 'GFP_DMA'],
    [__GFP_DMA32 | GFP_KERNEL, 'GFP_KERNEL|GFP_DMA32'],
    // GFP_ATOMIC comes before GFP_NOWAIT in the table.
    [GFP_ATOMIC | __GFP_NOWARN, 'GFP_ATOMIC|__GFP_NOWARN'],
    [GFP_NOWAIT | __GFP_ZERO, 'GFP_NOWAIT|__GFP_ZERO'],
    [GFP_KERNEL | __GFP_HARDWALL, 'GFP_USER'],
    [GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, 'GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY'],
    [__GFP_DIRECT_RECLAIM, '__GFP_DIRECT_RECLAIM'],
    [__GFP_KSWAPD_RECLAIM, '__GFP_KSWAPD_RECLAIM'],
    [__GFP_MOVABLE | __GFP_RECLAIMABLE, '__GFP_MOVABLE|__GFP_RECLAIMABLE'],
    // Bits with no name (unused 0x200, __GFP_ZEROTAGS, above) print in hex.
    [0x200, '0x200'],
    [GFP_KERNEL | 0x800000, 'GFP_KERNEL|0x800000'],
    [0x80000000, '0x80000000'],
    // Invalid zone combinations print; they are not formatGfp's to reject.
    [__GFP_DMA | __GFP_HIGHMEM, 'GFP_DMA|__GFP_HIGHMEM'],
    [0, ''],
  ])('formatGfp(%#x) is %j', (gfp, expected) => {
    expect(formatGfp(gfp)).toBe(expected);
  });

  it('names every set bit exactly once (parse the output back)', () => {
    fc.assert(
      fc.property(mostlyKnownGfp, (gfp) => {
        const out = formatGfp(gfp);
        if (gfp === 0) {
          expect(out).toBe('');
          return;
        }
        const parts = out.split('|');
        const seen = new Set<string>();
        let acc = 0;
        parts.forEach((part, i) => {
          expect(seen.has(part), `${part} repeated in ${out}`).toBe(false);
          seen.add(part);
          let value: number;
          if (/^0x[0-9a-f]+$/.test(part)) {
            expect(i, `hex part ${part} is last in ${out}`).toBe(parts.length - 1);
            value = Number.parseInt(part.slice(2), 16);
            // Every known bit has a name, so leftovers are unknown bits only.
            expect(value & GFP_VALID_MASK).toBe(0);
          } else {
            const v = PRINTABLE.get(part);
            expect(v, `${part} is an exported name`).toBeDefined();
            value = v ?? 0;
          }
          expect(value).not.toBe(0);
          expect((acc & value) >>> 0, `${part} shares bits with an earlier part of ${out}`).toBe(0);
          acc = (acc | value) >>> 0;
        });
        expect(acc).toBe(gfp);
      }),
      { numRuns: 2000 },
    );
  });

  it('prints each exported flag and composite as one name of the same value', () => {
    for (const [name, value] of PRINTABLE) {
      const out = formatGfp(value);
      expect(out, name).not.toContain('|');
      expect(PRINTABLE.get(out), name).toBe(value);
    }
  });

  it('prefers composites: GFP_ATOMIC is named whenever its bits are free', () => {
    // Every table entry before GFP_ATOMIC that contains __GFP_KSWAPD_RECLAIM
    // also contains __GFP_DIRECT_RECLAIM, and none contains __GFP_HIGH.
    fc.assert(
      fc.property(legalGfp, (gfp) => {
        if ((gfp & GFP_ATOMIC) === GFP_ATOMIC && (gfp & __GFP_DIRECT_RECLAIM) === 0) {
          expect(formatGfp(gfp).split('|')).toContain('GFP_ATOMIC');
        }
      }),
    );
  });

  it.each([
    [-1, 'formatGfp: gfp -0x1 is not an unsigned 32-bit integer'],
    [1.5, 'formatGfp: gfp 1.5 is not an unsigned 32-bit integer'],
    [Number.NaN, 'formatGfp: gfp NaN is not an unsigned 32-bit integer'],
    [2 ** 32, 'formatGfp: gfp 0x100000000 is not an unsigned 32-bit integer'],
  ])('formatGfp(%s) throws KernelBug', (gfp, message) => {
    expectKernelBug(() => formatGfp(gfp), message);
  });
});

describe('gfpZone', () => {
  const VALID: readonly (readonly [number, ZoneName])[] = [
    [0, 'Normal'],
    [__GFP_DMA, 'DMA'],
    [__GFP_HIGHMEM, 'HighMem'],
    [__GFP_DMA32, 'DMA32'],
    [__GFP_MOVABLE, 'Normal'],
    [__GFP_MOVABLE | __GFP_DMA, 'DMA'],
    [__GFP_MOVABLE | __GFP_HIGHMEM, 'Movable'],
    [__GFP_MOVABLE | __GFP_DMA32, 'DMA32'],
  ];
  // GFP_ZONE_BAD in include/linux/gfp.h.
  const BAD: readonly number[] = [
    __GFP_DMA | __GFP_HIGHMEM,
    __GFP_DMA | __GFP_DMA32,
    __GFP_DMA32 | __GFP_HIGHMEM,
    __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM,
    __GFP_MOVABLE | __GFP_HIGHMEM | __GFP_DMA,
    __GFP_MOVABLE | __GFP_DMA32 | __GFP_DMA,
    __GFP_MOVABLE | __GFP_DMA32 | __GFP_HIGHMEM,
    __GFP_MOVABLE | __GFP_DMA32 | __GFP_DMA | __GFP_HIGHMEM,
  ];

  it('the valid and bad tables cover all 16 combinations of the zone bits', () => {
    const all = [...VALID.map(([b]) => b), ...BAD].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it.each(VALID)('gfpZone(%#x) is %s', (bits, zone) => {
    expect(gfpZone(bits)).toBe(zone);
  });

  it.each(BAD)('gfpZone(%#x) throws KernelBug', (bits) => {
    expectKernelBug(
      () => gfpZone(bits),
      new RegExp(`^gfpZone: gfp 0x${bits.toString(16)} has an invalid zone combination __GFP_`),
    );
  });

  it('names the caller and the zone bits in the message', () => {
    expectKernelBug(
      () => gfpZone(GFP_KERNEL | __GFP_DMA | __GFP_HIGHMEM, 'allocPages'),
      'allocPages: gfp 0xcc3 has an invalid zone combination __GFP_DMA|__GFP_HIGHMEM',
    );
  });

  it.each([
    [GFP_KERNEL, 'Normal'],
    [GFP_ATOMIC, 'Normal'],
    [GFP_USER, 'Normal'],
    [GFP_KERNEL | GFP_DMA, 'DMA'],
    [GFP_KERNEL | GFP_DMA32, 'DMA32'],
    [GFP_HIGHUSER, 'HighMem'],
    [GFP_HIGHUSER_MOVABLE, 'Movable'],
    [GFP_TRANSHUGE, 'Movable'],
  ] as const)('gfpZone(%#x) is %s', (gfp, zone) => {
    expect(gfpZone(gfp)).toBe(zone);
  });

  it('depends only on the zone bits', () => {
    fc.assert(
      fc.property(legalGfp, (gfp) => {
        expect(gfpZone(gfp)).toBe(gfpZone(gfp & GFP_ZONEMASK));
      }),
    );
  });

  it('rejects unknown bits and non-integers', () => {
    expectKernelBug(() => gfpZone(0x1000000), 'gfpZone: gfp 0x1000000 has unknown bits 0x1000000');
    expectKernelBug(() => gfpZone(0.5), 'gfpZone: gfp 0.5 is not an unsigned 32-bit integer');
  });
});

describe('checkGfp', () => {
  it('accepts every composite and every legal value', () => {
    for (const [name, value] of COMPOSITES) {
      if (name.endsWith('MASK')) continue; // masks, not allocation flags
      expect(() => checkGfp('test', value), name).not.toThrow();
    }
    fc.assert(
      fc.property(legalGfp, (gfp) => {
        checkGfp('test', gfp);
      }),
    );
  });

  it('throws exactly for the illegal values (model)', () => {
    fc.assert(
      fc.property(mostlyKnownGfp, (gfp) => {
        const threw = (() => {
          try {
            checkGfp('test', gfp);
            return false;
          } catch (e) {
            expect(e).toBeInstanceOf(KernelBug);
            return true;
          }
        })();
        expect(threw).toBe(!isLegal(gfp));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    [0x1000000, 'allocPages: gfp 0x1000000 has unknown bits 0x1000000'],
    [0x200, 'allocPages: gfp 0x200 has unknown bits 0x200'],
    [GFP_KERNEL | 0x800000, 'allocPages: gfp 0x800cc0 has unknown bits 0x800000'],
    [0x80000000, 'allocPages: gfp 0x80000000 has unknown bits 0x80000000'],
    [0xffffffff, 'allocPages: gfp 0xffffffff has unknown bits 0xff800200'],
    [-1, 'allocPages: gfp -0x1 is not an unsigned 32-bit integer'],
    [-GFP_KERNEL, 'allocPages: gfp -0xcc0 is not an unsigned 32-bit integer'],
    [1.5, 'allocPages: gfp 1.5 is not an unsigned 32-bit integer'],
    [Number.NaN, 'allocPages: gfp NaN is not an unsigned 32-bit integer'],
    [Number.POSITIVE_INFINITY, 'allocPages: gfp Infinity is not an unsigned 32-bit integer'],
    [2 ** 32, 'allocPages: gfp 0x100000000 is not an unsigned 32-bit integer'],
    [2 ** 32 + GFP_KERNEL, 'allocPages: gfp 0x100000cc0 is not an unsigned 32-bit integer'],
    [2 ** 53, 'allocPages: gfp 0x20000000000000 is not an unsigned 32-bit integer'],
    [
      __GFP_DMA32 | __GFP_HIGHMEM,
      'allocPages: gfp 0x6 has an invalid zone combination __GFP_HIGHMEM|__GFP_DMA32',
    ],
    [
      GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE,
      'allocPages: gfp 0xcd8 sets both __GFP_MOVABLE and __GFP_RECLAIMABLE',
    ],
  ])('checkGfp(allocPages, %s) throws %j', (gfp, message) => {
    expectKernelBug(() => checkGfp('allocPages', gfp), message);
  });

  it('rejects values that are not numbers at all', () => {
    const bad: readonly (readonly [unknown, string])[] = [
      ['3', '"3" (string)'],
      [3n, '3n (bigint)'],
      [undefined, 'undefined (undefined)'],
      [null, 'null'],
      [{}, '(object)'],
      [true, 'true (boolean)'],
    ];
    for (const [value, shown] of bad) {
      expectKernelBug(
        () => checkGfp('kmalloc', value as number),
        `kmalloc: gfp ${shown} is not an unsigned 32-bit integer`,
      );
    }
  });

  it('reports unknown bits before zone problems', () => {
    expectKernelBug(
      () => checkGfp('f', __GFP_DMA | __GFP_HIGHMEM | 0x200),
      'f: gfp 0x203 has unknown bits 0x200',
    );
  });
});

describe('gfpMigratetype', () => {
  it.each([
    [0, MigrateType.Unmovable],
    [GFP_KERNEL, MigrateType.Unmovable],
    [GFP_ATOMIC, MigrateType.Unmovable],
    [__GFP_MOVABLE, MigrateType.Movable],
    [GFP_HIGHUSER_MOVABLE, MigrateType.Movable],
    [GFP_TRANSHUGE_LIGHT, MigrateType.Movable],
    [__GFP_RECLAIMABLE, MigrateType.Reclaimable],
    [GFP_KERNEL | __GFP_RECLAIMABLE, MigrateType.Reclaimable],
  ])('gfpMigratetype(%#x) is %d', (gfp, mt) => {
    expect(gfpMigratetype(gfp)).toBe(mt);
  });

  it('matches Linux: (gfp & GFP_MOVABLE_MASK) >> 3 for legal values', () => {
    fc.assert(
      fc.property(legalGfp, (gfp) => {
        expect(gfpMigratetype(gfp)).toBe((gfp & GFP_MOVABLE_MASK) >> 3);
      }),
    );
  });

  it('throws on __GFP_MOVABLE|__GFP_RECLAIMABLE (a VM_WARN_ON in Linux)', () => {
    expectKernelBug(
      () => gfpMigratetype(__GFP_MOVABLE | __GFP_RECLAIMABLE),
      'gfpMigratetype: gfp 0x18 sets both __GFP_MOVABLE and __GFP_RECLAIMABLE',
    );
    expectKernelBug(
      () => gfpMigratetype(GFP_HIGHUSER_MOVABLE | __GFP_RECLAIMABLE, 'kmemCacheAlloc'),
      /^kmemCacheAlloc: gfp 0x100cda sets both/,
    );
  });

  it('names and numbers agree with /proc/pagetypeinfo and enum migratetype', () => {
    expect(MigrateType).toEqual({
      Unmovable: 0,
      Movable: 1,
      Reclaimable: 2,
      HighAtomic: 3,
      Isolate: 4,
    });
    expect(MIGRATETYPE_NAMES).toEqual([
      'Unmovable',
      'Movable',
      'Reclaimable',
      'HighAtomic',
      'Isolate',
    ]);
    for (const [name, n] of Object.entries(MigrateType)) {
      expect(MIGRATETYPE_NAMES[n]).toBe(name);
    }
    expect(MIGRATE_PCPTYPES).toBe(3);
    expect(MigrateType.HighAtomic).toBe(MIGRATE_PCPTYPES);
    expect(MIGRATE_TYPES).toBe(MIGRATETYPE_NAMES.length);
    expect(Object.isFrozen(MIGRATETYPE_NAMES)).toBe(true);
  });
});

describe('gfpAllowsBlocking', () => {
  it.each([
    [GFP_KERNEL, true],
    [GFP_KERNEL_ACCOUNT, true],
    [GFP_NOFS, true],
    [GFP_NOIO, true],
    [GFP_USER, true],
    [GFP_HIGHUSER_MOVABLE, true],
    [GFP_TRANSHUGE, true],
    [__GFP_DIRECT_RECLAIM, true],
    [GFP_ATOMIC, false],
    [GFP_NOWAIT, false],
    [GFP_TRANSHUGE_LIGHT, false],
    [__GFP_KSWAPD_RECLAIM, false],
    [0, false],
  ])('gfpAllowsBlocking(%#x) is %s', (gfp, blocking) => {
    expect(gfpAllowsBlocking(gfp)).toBe(blocking);
  });

  it('is the __GFP_DIRECT_RECLAIM bit', () => {
    fc.assert(
      fc.property(legalGfp, (gfp) => {
        expect(gfpAllowsBlocking(gfp)).toBe((gfp & __GFP_DIRECT_RECLAIM) !== 0);
      }),
    );
  });

  it('validates its argument', () => {
    expectKernelBug(
      () => gfpAllowsBlocking(-1),
      'gfpAllowsBlocking: gfp -0x1 is not an unsigned 32-bit integer',
    );
    expectKernelBug(
      () => gfpAllowsBlocking(0x4000000, 'mempoolAlloc'),
      'mempoolAlloc: gfp 0x4000000 has unknown bits 0x4000000',
    );
  });
});
