/**
 * Tests of src/page/mem-map.ts: the struct page array as a structure of
 * arrays inside simulated RAM, its flag, type and reference-count helpers
 * (include/linux/page-flags.h, page_ref.h), and compound pages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALLOC_ORDER_SHIFT,
  KernelBug,
  MemMap,
  PAGE_FLAG_NAMES,
  PAGE_FLAGS_MASK,
  PAGE_TYPE_SHIFT,
  PageType,
  type PageTypeValue,
  PG,
  PhysicalMemory,
  STRUCT_PAGE_SIZE,
} from '../src/page/index.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** The field arrays in their layout order: field i of pfn p is at base + i*frames*4 + p*4. */
const FIELD_NAMES = [
  'flags',
  'refcount',
  'mapcount',
  'private',
  'next',
  'prev',
  'mapping',
  'index',
] as const;
type FieldName = (typeof FIELD_NAMES)[number];
const UNSIGNED_FIELDS = new Set<FieldName>(['flags', 'index']);

function fieldArray(m: MemMap, field: FieldName): Uint32Array | Int32Array {
  return m[field];
}

/** RAM with a mem_map over `frames` frames at `base`. */
function setup(frames: number, base = 0x10000): { ram: PhysicalMemory; m: MemMap } {
  const ram = new PhysicalMemory(MiB);
  return { ram, m: new MemMap(ram, base, frames) };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('MemMap layout', () => {
  it('uses 32 bytes of RAM per frame', () => {
    expect(STRUCT_PAGE_SIZE).toBe(32);
    for (const frames of [1, 7, 256, 1000]) {
      const { m } = setup(frames);
      expect(m.frames).toBe(frames);
      expect(m.bytes).toBe(frames * 32);
      expect(m.base).toBe(0x10000);
      for (const f of FIELD_NAMES) expect(fieldArray(m, f)).toHaveLength(frames);
    }
  });

  it('keeps every field of every pfn in RAM at base + field*frames*4 + pfn*4', () => {
    const frames = 37;
    const base = 0x2004; // 4-byte aligned, not page aligned
    const { ram, m } = setup(frames, base);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: frames - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (field, pfn, value) => {
          const name = FIELD_NAMES[field] as FieldName;
          fieldArray(m, name)[pfn] = value;
          expect(ram.load32(base + field * frames * 4 + pfn * 4)).toBe(value);
          const back = (value + 0x01010101) >>> 0;
          ram.store32(base + field * frames * 4 + pfn * 4, back);
          const read = fieldArray(m, name)[pfn] as number;
          expect(read >>> 0).toBe(back);
          if (!UNSIGNED_FIELDS.has(name)) expect(read).toBe(back | 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('helpers write RAM: flags, refcount and the compound links', () => {
    const frames = 64;
    const base = 0x8000;
    const { ram, m } = setup(frames, base);
    const at = (field: FieldName, pfn: number) =>
      ram.load32(base + FIELD_NAMES.indexOf(field) * frames * 4 + pfn * 4);
    m.SetPageDirty(5);
    expect(at('flags', 5)).toBe(1 << PG.dirty);
    m.setPageType(5, PageType.table);
    expect(at('flags', 5)).toBe(((1 << PG.dirty) | (PageType.table << PAGE_TYPE_SHIFT)) >>> 0);
    m.setPageRefcount(9, 3);
    m.getPage(9);
    expect(at('refcount', 9)).toBe(4);
    m.setPageRefcount(9, -1);
    expect(at('refcount', 9)).toBe(0xffffffff);
    m.initPage(10);
    expect(at('next', 10)).toBe(0xffffffff);
    expect(at('prev', 10)).toBe(0xffffffff);
    m.prepCompoundPage(16, 2);
    expect(at('next', 17)).toBe(16);
    expect(at('private', 17)).toBe(2);
    expect(at('flags', 16)).toBe(1 << PG.head);
    expect(at('flags', 19)).toBe(1 << PG.tail);
  });

  it('is shared with a MemMap over an attached view of the same RAM', () => {
    const frames = 128;
    const base = 0x40000;
    const { ram, m } = setup(frames, base);
    const other = new MemMap(PhysicalMemory.attach(ram.buffers, ram.pageSize), base, frames);
    m.SetPageLRU(3);
    m.setPageRefcount(3, 2);
    m.mapcount[3] = 1;
    m.index[3] = 0xfffffff0;
    expect(other.PageLRU(3)).toBe(true);
    expect(other.pageRefcount(3)).toBe(2);
    expect(other.pageMapcount(3)).toBe(1);
    expect(other.pageMapped(3)).toBe(true);
    expect(other.index[3]).toBe(0xfffffff0);
    other.getPage(3);
    other.SetPageDirty(127);
    other.prepCompoundPage(64, 3);
    expect(m.pageRefcount(3)).toBe(3);
    expect(m.PageDirty(127)).toBe(true);
    expect(m.compoundOrder(64)).toBe(3);
    expect(m.compoundHead(71)).toBe(64);
  });

  it('does not touch RAM outside its range', () => {
    const frames = 50;
    const base = 0x1000;
    const { ram, m } = setup(frames, base);
    ram.store32(base - 4, 0x11111111);
    ram.store32(base + m.bytes, 0x22222222);
    for (let pfn = 0; pfn < frames; pfn++) {
      m.initPage(pfn);
      m.flags[pfn] = 0xffffffff;
      m.index[pfn] = 0xffffffff;
      m.refcount[pfn] = -1;
    }
    expect(ram.load32(base - 4)).toBe(0x11111111);
    expect(ram.load32(base + m.bytes)).toBe(0x22222222);
  });

  it('rejects a bad range or frame count with KernelBug', () => {
    const ram = new PhysicalMemory(MiB);
    expect(() => new MemMap(ram, 2, 10)).toThrow(KernelBug); // misaligned
    expect(() => new MemMap(ram, 0x1001, 10)).toThrow(KernelBug);
    expect(() => new MemMap(ram, 0.5, 10)).toThrow(KernelBug);
    expect(() => new MemMap(ram, -4, 10)).toThrow(KernelBug);
    expect(() => new MemMap(ram, Number.NaN, 10)).toThrow(KernelBug);
    expect(() => new MemMap(ram, MiB - 31, 1)).toThrow(KernelBug);
    expect(() => new MemMap(ram, MiB - 32, 2)).toThrow(/4-byte aligned range of RAM/);
    expect(() => new MemMap(ram, MiB, 1)).toThrow(KernelBug); // out of RAM
    expect(() => new MemMap(ram, 0, MiB / 32 + 1)).toThrow(KernelBug);
    for (const frames of [0, -1, 1.5, Number.NaN, Infinity]) {
      const e = caught(() => new MemMap(ram, 0, frames));
      expect(e).toBeInstanceOf(KernelBug);
      expect((e as Error).message).toMatch(/^MemMap: /);
    }
    // The edges that fit.
    expect(new MemMap(ram, MiB - 32, 1).frames).toBe(1);
    expect(new MemMap(ram, 0, MiB / 32).bytes).toBe(MiB);
  });

  it('rejects a range straddling a 4 GiB chunk, and works inside the second chunk', () => {
    const ram = new PhysicalMemory(6 * GiB); // committed lazily: costs no host memory
    expect(() => new MemMap(ram, 4 * GiB - 32, 2)).toThrow(/straddles a 4 GiB chunk/);
    const m = new MemMap(ram, 4 * GiB, 4);
    m.SetPageReserved(2);
    expect(ram.load32(4 * GiB + 2 * 4)).toBe(1 << PG.reserved);
    const low = new MemMap(ram, 4 * GiB - 32 * 4, 4);
    low.setPageRefcount(3, 7);
    expect(ram.load32(4 * GiB - 32 * 4 + 4 * 4 + 3 * 4)).toBe(7);
  });
});

/** A model of the whole array: 8 fields of `frames` 32-bit words, all zero at first. */
class Model {
  readonly fields: number[][];
  constructor(readonly frames: number) {
    this.fields = FIELD_NAMES.map(() => new Array<number>(frames).fill(0));
  }
  get(field: FieldName, pfn: number): number {
    return (this.fields[FIELD_NAMES.indexOf(field)] as number[])[pfn] as number;
  }
  set(field: FieldName, pfn: number, value: number): void {
    (this.fields[FIELD_NAMES.indexOf(field)] as number[])[pfn] = UNSIGNED_FIELDS.has(field)
      ? value >>> 0
      : value | 0;
  }
}

type Op =
  | { op: 'setFlag' | 'clearFlag' | 'testAndSet' | 'testAndClear'; pfn: number; bit: number }
  | { op: 'setPageType'; pfn: number; type: PageTypeValue }
  | { op: 'getPage' | 'putPage' | 'initPage'; pfn: number }
  | { op: 'setPageRefcount'; pfn: number; count: number }
  | { op: 'store'; field: FieldName; pfn: number; value: number };

function opArb(frames: number): fc.Arbitrary<Op> {
  const pfn = fc.integer({ min: 0, max: frames - 1 });
  const bit = fc.integer({ min: 0, max: 23 });
  return fc.oneof(
    fc.record({
      op: fc.constantFrom('setFlag' as const, 'clearFlag' as const),
      pfn,
      bit,
    }),
    fc.record({
      op: fc.constantFrom('testAndSet' as const, 'testAndClear' as const),
      pfn,
      bit,
    }),
    fc.record({
      op: fc.constant('setPageType' as const),
      pfn,
      type: fc.constantFrom(...(Object.values(PageType) as PageTypeValue[])),
    }),
    fc.record({ op: fc.constantFrom('getPage' as const, 'putPage' as const), pfn }),
    fc.record({ op: fc.constant('initPage' as const), pfn }),
    fc.record({
      op: fc.constant('setPageRefcount' as const),
      pfn,
      count: fc.integer({ min: -2, max: 4 }),
    }),
    fc.record({
      op: fc.constant('store' as const),
      field: fc.constantFrom(...FIELD_NAMES.slice(2)),
      pfn,
      value: fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
    }),
  );
}

function apply(m: MemMap, model: Model, o: Op): void {
  switch (o.op) {
    case 'setFlag':
      m.setFlag(o.pfn, o.bit);
      model.set('flags', o.pfn, model.get('flags', o.pfn) | (1 << o.bit));
      expect(m.testFlag(o.pfn, o.bit)).toBe(true);
      break;
    case 'clearFlag':
      m.clearFlag(o.pfn, o.bit);
      model.set('flags', o.pfn, model.get('flags', o.pfn) & ~(1 << o.bit));
      expect(m.testFlag(o.pfn, o.bit)).toBe(false);
      break;
    case 'testAndSet': {
      const was = (model.get('flags', o.pfn) & (1 << o.bit)) !== 0;
      expect(m.testAndSetFlag(o.pfn, o.bit)).toBe(was);
      model.set('flags', o.pfn, model.get('flags', o.pfn) | (1 << o.bit));
      break;
    }
    case 'testAndClear': {
      const was = (model.get('flags', o.pfn) & (1 << o.bit)) !== 0;
      expect(m.testAndClearFlag(o.pfn, o.bit)).toBe(was);
      model.set('flags', o.pfn, model.get('flags', o.pfn) & ~(1 << o.bit));
      break;
    }
    case 'setPageType':
      m.setPageType(o.pfn, o.type);
      model.set(
        'flags',
        o.pfn,
        (model.get('flags', o.pfn) & PAGE_FLAGS_MASK) | (o.type << PAGE_TYPE_SHIFT),
      );
      expect(m.pageType(o.pfn)).toBe(o.type);
      expect(m.PageBuddy(o.pfn)).toBe(o.type === PageType.buddy);
      expect(m.PageTable(o.pfn)).toBe(o.type === PageType.table);
      break;
    case 'getPage': {
      const count = model.get('refcount', o.pfn);
      if (count <= 0) {
        expect(() => m.getPage(o.pfn)).toThrow(KernelBug);
      } else {
        m.getPage(o.pfn);
        model.set('refcount', o.pfn, count + 1);
      }
      break;
    }
    case 'putPage': {
      const count = model.get('refcount', o.pfn);
      if (count <= 0) {
        expect(() => m.putPage(o.pfn)).toThrow(KernelBug);
      } else {
        expect(m.putPage(o.pfn)).toBe(count === 1);
        model.set('refcount', o.pfn, count - 1);
      }
      break;
    }
    case 'initPage':
      m.initPage(o.pfn);
      for (const f of FIELD_NAMES) model.set(f, o.pfn, f === 'next' || f === 'prev' ? -1 : 0);
      break;
    case 'setPageRefcount':
      m.setPageRefcount(o.pfn, o.count);
      model.set('refcount', o.pfn, o.count);
      expect(m.pageRefcount(o.pfn)).toBe(o.count);
      break;
    case 'store':
      fieldArray(m, o.field)[o.pfn] = o.value;
      model.set(o.field, o.pfn, o.value);
      break;
  }
}

function compareAll(ram: PhysicalMemory, m: MemMap, model: Model): void {
  for (const [i, f] of FIELD_NAMES.entries()) {
    const arr = fieldArray(m, f);
    for (let pfn = 0; pfn < model.frames; pfn++) {
      const want = model.get(f, pfn);
      if (arr[pfn] !== want)
        expect({ field: f, pfn, value: arr[pfn] }).toEqual({ field: f, pfn, value: want });
      const inRam = ram.load32(m.base + i * model.frames * 4 + pfn * 4);
      if (inRam !== want >>> 0)
        expect({ field: f, pfn, inRam }).toEqual({ field: f, pfn, inRam: want >>> 0 });
    }
  }
}

describe('MemMap fields are independent (model)', () => {
  it('each operation changes exactly the word the model says', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 12 })
          .chain((frames) =>
            fc.tuple(fc.constant(frames), fc.array(opArb(frames), { maxLength: 60 })),
          ),
        fc.integer({ min: 0, max: 64 }).map((k) => k * 4),
        ([frames, ops], offset) => {
          const { ram, m } = setup(frames, 0x3000 + offset);
          const model = new Model(frames);
          compareAll(ram, m, model);
          for (const o of ops) {
            apply(m, model, o);
            compareAll(ram, m, model);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/**
 * The helper suffix page-flags.h uses for each flag it defines (mmsim's own
 * markers beyond these, if any, need no named helpers).
 */
const HELPER_NAME: Partial<Record<keyof typeof PG, string>> = {
  locked: 'Locked',
  referenced: 'Referenced',
  uptodate: 'Uptodate',
  dirty: 'Dirty',
  lru: 'LRU',
  active: 'Active',
  slab: 'Slab',
  reserved: 'Reserved',
  private: 'Private',
  writeback: 'Writeback',
  head: 'Head',
  swapbacked: 'SwapBacked',
  unevictable: 'Unevictable',
  swapcache: 'SwapCache',
  tail: 'Tail',
};

type Helper = (pfn: number) => boolean | undefined;
function helper(m: MemMap, name: string): Helper | undefined {
  const fn = (m as unknown as Record<string, unknown>)[name];
  return typeof fn === 'function' ? (fn.bind(m) as Helper) : undefined;
}

describe('named flag helpers', () => {
  it('PageX exists for every flag page-flags.h defines and reads exactly its bit', () => {
    const { m } = setup(8);
    for (const [flag, suffix] of Object.entries(HELPER_NAME) as [keyof typeof PG, string][]) {
      const test = helper(m, `Page${suffix}`);
      expect(test, `Page${suffix}`).toBeDefined();
      m.flags[2] = 0;
      expect(test?.(2)).toBe(false);
      m.flags[2] = 1 << PG[flag];
      expect(test?.(2)).toBe(true);
      m.flags[2] = ~(1 << PG[flag]) >>> 0;
      expect(test?.(2)).toBe(false);
    }
  });

  it('SetPageX / ClearPageX / TestClearPageX change only their bit, where they exist', () => {
    const { m } = setup(8);
    const setters: string[] = [];
    for (const [flag, suffix] of Object.entries(HELPER_NAME) as [keyof typeof PG, string][]) {
      const bit = 1 << PG[flag];
      const test = helper(m, `Page${suffix}`) as Helper;
      const set = helper(m, `SetPage${suffix}`);
      const clear = helper(m, `ClearPage${suffix}`);
      const testClear = helper(m, `TestClearPage${suffix}`);
      if (set) {
        setters.push(suffix);
        for (const start of [0, 0xffffffff & ~bit, 0x12345678 & ~bit]) {
          m.flags[4] = start >>> 0;
          m.flags[3] = 0;
          m.flags[5] = 0;
          expect(set(4)).toBeUndefined();
          expect(m.flags[4]).toBe((start | bit) >>> 0);
          expect(test(4)).toBe(true);
          expect(m.flags[3]).toBe(0);
          expect(m.flags[5]).toBe(0);
        }
      }
      if (clear) {
        for (const start of [bit, 0xffffffff, 0x12345678 | bit]) {
          m.flags[4] = start >>> 0;
          clear(4);
          expect(m.flags[4]).toBe((start & ~bit) >>> 0);
          expect(test(4)).toBe(false);
        }
      }
      if (testClear) {
        m.flags[4] = (bit | (1 << 20)) >>> 0;
        expect(testClear(4)).toBe(true);
        expect(m.flags[4]).toBe(1 << 20);
        expect(testClear(4)).toBe(false);
        expect(m.flags[4]).toBe(1 << 20);
      }
    }
    // Every flag page-flags.h lets a caller set has its pair here.
    expect(setters.sort()).toEqual(
      [
        'Locked',
        'Referenced',
        'Uptodate',
        'Dirty',
        'LRU',
        'Active',
        'Slab',
        'Reserved',
        'Private',
        'Writeback',
        'SwapBacked',
        'Unevictable',
      ].sort(),
    );
  });

  it('the documented helpers by name', () => {
    const { m } = setup(4);
    m.SetPageDirty(1);
    expect(m.PageDirty(1)).toBe(true);
    expect(m.TestClearPageDirty(1)).toBe(true);
    expect(m.PageDirty(1)).toBe(false);
    expect(m.TestClearPageDirty(1)).toBe(false);
    m.SetPageDirty(1);
    m.ClearPageDirty(1);
    expect(m.PageDirty(1)).toBe(false);
    m.SetPageReferenced(1);
    expect(m.TestClearPageReferenced(1)).toBe(true);
    expect(m.PageReferenced(1)).toBe(false);
    m.SetPageSlab(0);
    expect(m.PageSlab(0)).toBe(true);
    expect(m.PageSlab(1)).toBe(false);
    m.ClearPageSlab(0);
    expect(m.flags[0]).toBe(0);
  });

  it('PageBuddy and PageTable follow the page type and keep the PG bits', () => {
    const { m } = setup(4);
    m.SetPageReserved(2);
    m.SetPageLRU(2);
    m.setPageType(2, PageType.buddy);
    expect(m.PageBuddy(2)).toBe(true);
    expect(m.PageTable(2)).toBe(false);
    expect(m.pageType(2)).toBe(PageType.buddy);
    expect(m.PageReserved(2)).toBe(true);
    expect(m.PageLRU(2)).toBe(true);
    m.setPageType(2, PageType.table);
    expect(m.PageBuddy(2)).toBe(false);
    expect(m.PageTable(2)).toBe(true);
    m.setPageType(2, PageType.none);
    expect(m.PageBuddy(2)).toBe(false);
    expect(m.PageTable(2)).toBe(false);
    expect(m.flags[2]).toBe((1 << PG.reserved) | (1 << PG.lru));
    for (const t of [PageType.guard, PageType.pcp]) {
      m.setPageType(2, t);
      expect(m.pageType(2)).toBe(t);
      expect(m.PageBuddy(2) || m.PageTable(2)).toBe(false);
    }
    // Setting a flag keeps the type.
    m.setPageType(3, PageType.buddy);
    m.SetPageDirty(3);
    m.ClearPageDirty(3);
    expect(m.PageBuddy(3)).toBe(true);
  });

  it('flagNames lists the PG flags set, in bit order, ignoring the page type', () => {
    const { m } = setup(4);
    expect(m.flagNames(0)).toEqual([]);
    m.SetPageReserved(0);
    m.SetPageDirty(0);
    m.SetPageLocked(0);
    m.setPageType(0, PageType.buddy);
    expect(m.flagNames(0)).toEqual(['locked', 'dirty', 'reserved']);
    m.prepCompoundPage(0, 1);
    expect(m.flagNames(0)).toEqual(['locked', 'dirty', 'reserved', 'head']);
    expect(m.flagNames(1)).toEqual(['tail']);
    m.flags[2] = PAGE_FLAGS_MASK;
    expect(m.flagNames(2)).toEqual([...PAGE_FLAG_NAMES]);
    expect(PAGE_FLAG_NAMES).toEqual(Object.keys(PG));
    // Bit numbers rise with the names, stay below the page type and leave the allocation order's bits free.
    const bits = PAGE_FLAG_NAMES.map((n) => PG[n]);
    expect(bits).toEqual([...bits].sort((a, b) => a - b));
    expect(new Set(bits).size).toBe(bits.length);
    for (const bit of bits) {
      expect(bit).toBeLessThan(PAGE_TYPE_SHIFT);
      expect(bit >= ALLOC_ORDER_SHIFT && bit < ALLOC_ORDER_SHIFT + 4).toBe(false);
    }
  });
});

describe('reference counts', () => {
  it('getPage takes a reference on a page in use, and refuses a free page', () => {
    const { m } = setup(8);
    for (const count of [0, -1, -5]) {
      m.setPageRefcount(3, count);
      const e = caught(() => m.getPage(3));
      expect(e).toBeInstanceOf(KernelBug);
      expect((e as Error).message).toContain('getPage');
      expect((e as Error).message).toContain('pfn 3');
      expect(m.pageRefcount(3)).toBe(count); // unchanged
    }
    m.setPageRefcount(3, 1);
    m.getPage(3);
    m.getPage(3);
    expect(m.pageRefcount(3)).toBe(3);
    expect(m.pageRefcount(2)).toBe(0);
    expect(m.pageRefcount(4)).toBe(0);
  });

  it('putPage returns true exactly when the count drops to zero, and throws at zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (n) => {
        const { m } = setup(4);
        m.setPageRefcount(1, n);
        for (let i = n; i > 1; i--) expect(m.putPage(1)).toBe(false);
        expect(m.putPage(1)).toBe(true);
        expect(m.pageRefcount(1)).toBe(0);
        expect(() => m.putPage(1)).toThrow(KernelBug);
        expect(m.pageRefcount(1)).toBe(0);
      }),
      { numRuns: 30 },
    );
    const { m } = setup(4);
    m.setPageRefcount(0, -3);
    expect(() => m.putPage(0)).toThrow(/putPage: pfn 0/);
    expect(m.pageRefcount(0)).toBe(-3);
  });

  it('getPage and putPage check the pfn', () => {
    const { m } = setup(8);
    for (const pfn of [-1, 8, 1.5, Number.NaN]) {
      expect(() => m.getPage(pfn)).toThrow(KernelBug);
      expect(() => m.putPage(pfn)).toThrow(KernelBug);
      expect(() => m.checkPfn('someFn', pfn)).toThrow(/someFn: pfn .* outside mem_map/);
    }
    expect(() => m.checkPfn('someFn', 7)).not.toThrow();
  });

  it('mapcount counts PTEs without a bias: zeroed memory is unmapped', () => {
    const { m } = setup(4);
    expect(m.pageMapcount(1)).toBe(0);
    expect(m.pageMapped(1)).toBe(false);
    m.mapcount[1] = 2;
    expect(m.pageMapcount(1)).toBe(2);
    expect(m.pageMapped(1)).toBe(true);
  });

  it('initPage resets every field, links to -1', () => {
    const { m } = setup(4);
    for (const f of FIELD_NAMES) fieldArray(m, f)[2] = 0x7777;
    m.initPage(2);
    expect(FIELD_NAMES.map((f) => fieldArray(m, f)[2])).toEqual([0, 0, 0, 0, -1, -1, 0, 0]);
    expect(FIELD_NAMES.map((f) => fieldArray(m, f)[1])).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('compound pages', () => {
  it('prepCompoundPage marks the head and tails, links tails to the head, records the order', () => {
    for (const order of [1, 2, 3, 5]) {
      const frames = 64;
      const { m } = setup(frames);
      const head = 32;
      const n = 2 ** order;
      m.prepCompoundPage(head, order);
      expect(m.PageHead(head)).toBe(true);
      expect(m.PageTail(head)).toBe(false);
      expect(m.PageCompound(head)).toBe(true);
      expect(m.compoundHead(head)).toBe(head);
      expect(m.compoundOrder(head)).toBe(order);
      for (let i = 1; i < n; i++) {
        expect(m.PageTail(head + i)).toBe(true);
        expect(m.PageHead(head + i)).toBe(false);
        expect(m.PageCompound(head + i)).toBe(true);
        expect(m.compoundHead(head + i)).toBe(head);
        expect(m.compoundOrder(head + i)).toBe(0);
      }
      // Neighbours are untouched.
      for (const pfn of [head - 1, head + n]) {
        if (pfn < frames) {
          expect(m.PageCompound(pfn)).toBe(false);
          expect(m.compoundHead(pfn)).toBe(pfn);
          expect(m.compoundOrder(pfn)).toBe(0);
          expect(m.next[pfn]).toBe(0);
        }
      }
    }
  });

  it('clearCompoundPage undoes it and keeps the other flags', () => {
    const { m } = setup(16);
    m.SetPageDirty(8);
    m.SetPageLRU(9);
    m.prepCompoundPage(8, 3);
    m.clearCompoundPage(8, 3);
    expect(m.flags[8]).toBe(1 << PG.dirty);
    expect(m.flags[9]).toBe(1 << PG.lru);
    for (let pfn = 8; pfn < 16; pfn++) {
      expect(m.PageCompound(pfn)).toBe(false);
      expect(m.compoundHead(pfn)).toBe(pfn);
      expect(m.compoundOrder(pfn)).toBe(0);
      if (pfn > 8) {
        expect(m.next[pfn]).toBe(-1);
        expect(m.private[pfn]).toBe(0);
      }
    }
  });

  it('a page that is not compound has order 0 whatever its neighbour holds', () => {
    const { m } = setup(8);
    m.private[4] = 5; // e.g. pfn 4 is a free buddy block of order 5
    expect(m.compoundOrder(3)).toBe(0);
    expect(m.compoundOrder(7)).toBe(0); // the last frame has no first tail
  });

  it('rejects a compound page that does not fit mem_map, or of order 0, changing nothing', () => {
    const { m } = setup(16);
    m.private[6] = 9;
    const snapshot = () => FIELD_NAMES.map((f) => Array.from(fieldArray(m, f)));
    const before = snapshot();
    // Order 0 is no compound page (folio_set_order WARNs on it).
    expect(() => m.prepCompoundPage(5, 0)).toThrow(KernelBug);
    expect(() => m.prepCompoundPage(15, 1)).toThrow(KernelBug); // tail past the end
    expect(() => m.prepCompoundPage(8, 4)).toThrow(KernelBug);
    expect(() => m.prepCompoundPage(-1, 1)).toThrow(KernelBug);
    expect(() => m.prepCompoundPage(16, 1)).toThrow(KernelBug);
    expect(() => m.prepCompoundPage(0, -1)).toThrow(KernelBug);
    expect(() => m.prepCompoundPage(0, 1.5)).toThrow(/prepCompoundPage/);
    expect(snapshot()).toEqual(before);
    expect(m.compoundOrder(5)).toBe(0);
    expect(() => m.clearCompoundPage(15, 1)).toThrow(KernelBug);
    expect(() => m.clearCompoundPage(-1, 1)).toThrow(/clearCompoundPage/);
    expect(snapshot()).toEqual(before);
    // The largest that fits.
    m.prepCompoundPage(0, 4);
    expect(m.compoundOrder(0)).toBe(4);
    expect(m.compoundHead(15)).toBe(0);
  });
});
