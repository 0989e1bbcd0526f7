import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelBug, PhysicalMemory } from '../src/page/index.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** A sparse byte model of RAM: every byte not in the map is zero. */
class ByteModel {
  readonly bytes = new Map<number, number>();
  constructor(readonly size: number) {}
  get(pa: number): number {
    return this.bytes.get(pa) ?? 0;
  }
  set(pa: number, value: number): void {
    if ((value & 0xff) === 0) this.bytes.delete(pa);
    else this.bytes.set(pa, value & 0xff);
  }
  load(pa: number, n: number): bigint {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.get(pa + i));
    return v;
  }
  store(pa: number, n: number, value: bigint): void {
    let v = BigInt.asUintN(n * 8, value);
    for (let i = 0; i < n; i++) {
      this.set(pa + i, Number(v & 0xffn));
      v >>= 8n;
    }
  }
}

type Op =
  | { kind: 'store'; width: 1 | 2 | 4 | 8; pa: number; value: bigint }
  | { kind: 'load'; width: 1 | 2 | 4 | 8; pa: number }
  | { kind: 'write'; pa: number; bytes: Uint8Array }
  | { kind: 'read'; pa: number; len: number }
  | { kind: 'zeroPage'; pfn: number }
  | { kind: 'copyPage'; dst: number; src: number };

/** Addresses clustered where bugs hide: the start, chunk boundaries, the end. */
function addressArb(size: number, room: number): fc.Arbitrary<number> {
  const anchors = [0, size - room];
  for (let b = 2 ** 32; b < size; b += 2 ** 32) anchors.push(b - room);
  return fc
    .tuple(fc.constantFrom(...anchors), fc.integer({ min: 0, max: 3 * room }))
    .map(([anchor, delta]) => Math.min(size - room, Math.max(0, anchor + delta)));
}

function opArb(mem: PhysicalMemory, pageSize: number): fc.Arbitrary<Op> {
  const width = fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8);
  const pfnArb = addressArb(mem.size, pageSize).map((pa) => Math.floor(pa / pageSize));
  return fc.oneof(
    fc.record({
      kind: fc.constant('store' as const),
      width,
      pa: addressArb(mem.size, 8),
      value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    }),
    fc.record({ kind: fc.constant('load' as const), width, pa: addressArb(mem.size, 8) }),
    fc.record({
      kind: fc.constant('write' as const),
      pa: addressArb(mem.size, 64),
      bytes: fc.uint8Array({ minLength: 0, maxLength: 64 }),
    }),
    fc.record({
      kind: fc.constant('read' as const),
      pa: addressArb(mem.size, 64),
      len: fc.integer({ min: 0, max: 64 }),
    }),
    fc.record({ kind: fc.constant('zeroPage' as const), pfn: pfnArb }),
    fc.record({ kind: fc.constant('copyPage' as const), dst: pfnArb, src: pfnArb }),
  );
}

function apply(mem: PhysicalMemory, model: ByteModel, op: Op): void {
  switch (op.kind) {
    case 'store': {
      const v = BigInt.asUintN(op.width * 8, op.value);
      if (op.width === 1) mem.store8(op.pa, Number(v));
      else if (op.width === 2) mem.store16(op.pa, Number(v));
      else if (op.width === 4) mem.store32(op.pa, Number(v));
      else mem.store64(op.pa, v);
      model.store(op.pa, op.width, v);
      break;
    }
    case 'load': {
      const expected = model.load(op.pa, op.width);
      const got =
        op.width === 1
          ? BigInt(mem.load8(op.pa))
          : op.width === 2
            ? BigInt(mem.load16(op.pa))
            : op.width === 4
              ? BigInt(mem.load32(op.pa))
              : mem.load64(op.pa);
      expect(got).toBe(expected);
      break;
    }
    case 'write':
      mem.write(op.pa, op.bytes);
      op.bytes.forEach((b, i) => {
        model.set(op.pa + i, b);
      });
      break;
    case 'read': {
      const got = mem.read(op.pa, op.len);
      expect(Array.from(got)).toEqual(
        Array.from({ length: op.len }, (_, i) => model.get(op.pa + i)),
      );
      break;
    }
    case 'zeroPage':
      mem.zeroPage(op.pfn);
      for (let i = 0; i < mem.pageSize; i++) model.bytes.delete(op.pfn * mem.pageSize + i);
      break;
    case 'copyPage': {
      mem.copyPage(op.dst, op.src);
      const src = op.src * mem.pageSize;
      const dst = op.dst * mem.pageSize;
      const copied = [...model.bytes].filter(([pa]) => pa >= src && pa < src + mem.pageSize);
      for (let i = 0; i < mem.pageSize; i++) model.bytes.delete(dst + i);
      for (const [pa, b] of copied) model.set(dst + (pa - src), b);
      break;
    }
  }
}

/** Every non-zero byte of the model is in RAM (zero bytes are checked by the loads and reads). */
function compare(mem: PhysicalMemory, model: ByteModel): void {
  for (const [pa, b] of model.bytes) {
    if (mem.load8(pa) !== b) expect(mem.load8(pa)).toBe(b);
  }
}

describe('PhysicalMemory against a byte model', () => {
  for (const [label, size, pageSize] of [
    ['1 MiB, 4 KiB pages', MiB, 4096],
    ['2 MiB, 64 KiB pages', 2 * MiB, 65536],
    ['6 GiB: two chunks', 6 * GiB, 4096],
  ] as const) {
    it(`agrees on random reads and writes of every width (${label})`, () => {
      fc.assert(
        fc.property(
          fc.array(opArb(new PhysicalMemory(size, pageSize), pageSize), { maxLength: 40 }),
          (ops) => {
            const mem = new PhysicalMemory(size, pageSize);
            const model = new ByteModel(size);
            for (const op of ops) {
              apply(mem, model, op);
              compare(mem, model);
            }
          },
        ),
        { numRuns: size > GiB ? 30 : 150 },
      );
    });
  }
});

describe('PhysicalMemory', () => {
  it('is little-endian and handles unaligned accesses', () => {
    const mem = new PhysicalMemory(MiB);
    mem.store32(0x101, 0x11223344);
    expect(mem.load8(0x101)).toBe(0x44);
    expect(mem.load8(0x104)).toBe(0x11);
    expect(mem.load16(0x102)).toBe(0x2233);
    mem.store64(0x203, 0x0102030405060708n);
    expect(mem.load32(0x203)).toBe(0x05060708);
    expect(mem.load64(0x203)).toBe(0x0102030405060708n);
  });

  it('stores negative values as their two-complement bits', () => {
    const mem = new PhysicalMemory(MiB);
    mem.store32(0, -1);
    expect(mem.load32(0)).toBe(0xffffffff);
    mem.store16(5, -2);
    expect(mem.load16(5)).toBe(0xfffe);
  });

  it('zeroes and copies whole pages', () => {
    const mem = new PhysicalMemory(MiB);
    mem.write(
      4096,
      Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff),
    );
    mem.copyPage(7, 1);
    expect(mem.read(7 * 4096, 4096)).toEqual(mem.read(4096, 4096));
    expect(mem.isPageZero(1)).toBe(false);
    mem.zeroPage(1);
    expect(mem.isPageZero(1)).toBe(true);
    expect(mem.isPageZero(7)).toBe(false);
    mem.zeroPages(6, 1);
    expect(mem.isPageZero(7)).toBe(true);
  });

  it('keeps one buffer up to 4 GiB and 4 GiB chunks above', () => {
    expect(new PhysicalMemory(64 * MiB).buffers).toHaveLength(1);
    expect(new PhysicalMemory(4 * GiB).buffers).toHaveLength(1);
    const big = new PhysicalMemory(16 * GiB);
    expect(big.buffers).toHaveLength(4);
    expect(big.frames).toBe(4 * 2 ** 20);
    expect(big.buffer).toBe(big.buffers[0]);
  });

  it('crosses chunk boundaries in read, write and unaligned accesses', () => {
    const mem = new PhysicalMemory(5 * GiB);
    const edge = 4 * GiB;
    mem.write(edge - 3, [1, 2, 3, 4, 5, 6]);
    expect(Array.from(mem.read(edge - 3, 6))).toEqual([1, 2, 3, 4, 5, 6]);
    mem.store32(edge - 2, 0xaabbccdd);
    expect(mem.load32(edge - 2)).toBe(0xaabbccdd);
    expect(mem.load8(edge)).toBe(0xbb);
    mem.store64(edge - 4, 0x1122334455667788n);
    expect(mem.load64(edge - 4)).toBe(0x1122334455667788n);
    mem.copyPage(edge / 4096 + 1, edge / 4096 - 1);
    expect(mem.load32(edge + 4096 + 4092)).toBe(mem.load32(edge - 4));
  });

  it('attach gives a second view of the same RAM', () => {
    const mem = new PhysicalMemory(2 * MiB);
    const other = PhysicalMemory.attach(mem.buffers, mem.pageSize);
    other.store32(0x1000, 1234);
    expect(mem.load32(0x1000)).toBe(1234);
    expect(other.size).toBe(mem.size);
    expect(other.frames).toBe(mem.frames);
    other.zeroPage(1);
    expect(mem.load32(0x1000)).toBe(0);
  });

  describe('rejects bad input with KernelBug and changes nothing', () => {
    const cases: [string, (m: PhysicalMemory) => unknown][] = [
      ['load8 past the end', (m) => m.load8(MiB)],
      ['load32 straddling the end', (m) => m.load32(MiB - 2)],
      ['load16 at a negative address', (m) => m.load16(-2)],
      ['load64 at a fraction', (m) => m.load64(1.5)],
      ['store8 of 256', (m) => m.store8(0, 256)],
      ['store16 of NaN', (m) => m.store16(0, Number.NaN)],
      ['store32 of 2**32', (m) => m.store32(0, 2 ** 32)],
      ['store64 of a negative bigint', (m) => m.store64(0, -1n)],
      ['store64 past the end', (m) => m.store64(MiB - 4, 1n)],
      ['write past the end', (m) => m.write(MiB - 1, [1, 2])],
      ['write of a non-byte', (m) => m.write(0, [1, 300])],
      ['read of a negative length', (m) => m.read(0, -1)],
      ['zeroPage out of range', (m) => m.zeroPage(256)],
      ['zeroPage of a fraction', (m) => m.zeroPage(0.5)],
      ['copyPage from a negative pfn', (m) => m.copyPage(0, -1)],
      ['zeroPages running off the end', (m) => m.zeroPages(255, 1)],
    ];
    for (const [name, call] of cases) {
      it(name, () => {
        const mem = new PhysicalMemory(MiB);
        mem.write(MiB - 8, [9, 9, 9, 9, 9, 9, 9, 9]);
        mem.store32(0, 0x12345678);
        const before = mem.read(0, 16).join() + mem.read(MiB - 8, 8).join();
        expect(() => call(mem)).toThrow(KernelBug);
        expect(mem.read(0, 16).join() + mem.read(MiB - 8, 8).join()).toBe(before);
      });
    }
  });

  it('rejects bad geometry', () => {
    expect(() => new PhysicalMemory(MiB - 4096)).toThrow(/size/);
    expect(() => new PhysicalMemory(MiB + 100)).toThrow(/multiple/);
    expect(() => new PhysicalMemory(65 * GiB)).toThrow(KernelBug);
    expect(() => new PhysicalMemory(MiB, 3000)).toThrow(/page size/);
    expect(() => new PhysicalMemory(MiB, 2048)).toThrow(/page size/);
    expect(() => PhysicalMemory.attach([])).toThrow(KernelBug);
    expect(() =>
      PhysicalMemory.attach([new SharedArrayBuffer(MiB), new SharedArrayBuffer(MiB)]),
    ).toThrow(/every buffer but the last/);
  });
});
