/**
 * The virtual-memory core: demand paging, the zero page, copy on write
 * across fork, the TLB, stack growth, exit, and the isolation guarantees
 * (no process sees another's memory or the kernel's), on every
 * architecture.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARCH_NAMES,
  Kernel,
  pteToSwapEntry,
  SegmentationFault,
  swapPte,
  TLB_GLOBAL,
} from '../src/index.js';

function freeFrames(k: Kernel): number {
  k.drainAllPages();
  return k.buddy.nrFreePages();
}

function fault(call: () => unknown): SegmentationFault {
  try {
    call();
  } catch (e) {
    if (e instanceof SegmentationFault) return e;
    throw e;
  }
  throw new Error('expected a SegmentationFault');
}

describe.each(ARCH_NAMES)('%s', (arch) => {
  const boot = () => Kernel.boot({ arch, memory: '64M' });

  it('maps the zero page on a read of untouched memory and a zeroed frame on the first write', () => {
    const k = boot();
    const p = k.spawn();
    const va = p.mm.startStack - 8 * k.PAGE_SIZE;
    expect(p.load32(va)).toBe(0);
    const pte = p.mm.lookupPte(va);
    expect(pte?.pfn).toBe(k.vm.zeroPfn);
    const before = freeFrames(k);
    p.store32(va + 4, 0x1234);
    const after = p.mm.lookupPte(va);
    expect(after?.pfn).not.toBe(k.vm.zeroPfn);
    expect(freeFrames(k)).toBe(before - 1);
    expect(p.load32(va)).toBe(0);
    expect(p.load32(va + 4)).toBe(0x1234);
    expect(k.memory.isPageZero(k.vm.zeroPfn)).toBe(true);
    k.checkInvariants();
  });

  it('never shows a new page holding a previous owner’s data', () => {
    const k = boot();
    const a = k.spawn({ name: 'a' });
    const base = a.mm.startStack - 64 * k.PAGE_SIZE;
    for (let i = 0; i < 60; i++)
      a.write(base + i * k.PAGE_SIZE, new Uint8Array(k.PAGE_SIZE).fill(0xab));
    a.exit();
    const b = k.spawn({ name: 'b' });
    for (let i = 0; i < 60; i++) {
      b.store8(base + i * k.PAGE_SIZE + 1, 1); // a write fault: a fresh frame
      const bytes = b.read(base + i * k.PAGE_SIZE, k.PAGE_SIZE);
      expect(bytes.filter((x) => x !== 0).length).toBe(1);
    }
  });

  it('shares frames read-only after fork and copies on the first write, both ways', () => {
    const k = boot();
    const parent = k.spawn();
    const va = parent.mm.startStack - 4 * k.PAGE_SIZE;
    parent.store32(va, 111);
    parent.load32(va); // the TLB now holds a writable translation
    const child = parent.fork();
    const shared = parent.mm.lookupPte(va);
    expect(child.mm.lookupPte(va)?.pfn).toBe(shared?.pfn);
    expect(k.memMap.mapcount[shared?.pfn as number]).toBe(2);
    k.checkInvariants();
    parent.store32(va, 222); // must fault: the stale writable TLB entry was flushed
    expect(child.load32(va)).toBe(111);
    expect(parent.mm.lookupPte(va)?.pfn).not.toBe(child.mm.lookupPte(va)?.pfn);
    child.store32(va, 333);
    expect(parent.load32(va)).toBe(222);
    expect(child.load32(va)).toBe(333);
    k.checkInvariants();
  });

  it('lets the sole remaining owner reuse a copy-on-write frame instead of copying', () => {
    const k = boot();
    const parent = k.spawn();
    const va = parent.mm.startStack - 4 * k.PAGE_SIZE;
    parent.store32(va, 5);
    const child = parent.fork();
    const pfn = parent.mm.lookupPte(va)?.pfn;
    child.exit();
    const before = freeFrames(k);
    parent.store32(va, 6);
    expect(parent.mm.lookupPte(va)?.pfn).toBe(pfn);
    expect(freeFrames(k)).toBe(before);
    k.checkInvariants();
  });

  it('gives back every frame and table at exit', () => {
    const k = boot();
    const before = freeFrames(k);
    const p = k.spawn();
    for (let i = 1; i <= 40; i++) p.store32(p.mm.startStack - i * k.PAGE_SIZE, i);
    const c = p.fork();
    c.store32(p.mm.startStack - k.PAGE_SIZE, 9);
    const g = c.fork();
    g.exit();
    p.exit();
    c.exit();
    expect(freeFrames(k)).toBe(before);
    expect(k.processes.size).toBe(0);
    k.checkInvariants();
  });

  it('keeps independent processes apart', () => {
    const k = boot();
    const a = k.spawn({ name: 'a' });
    const b = k.spawn({ name: 'b' });
    const va = a.mm.startStack - 2 * k.PAGE_SIZE;
    a.store32(va, 0xaaaa);
    b.store32(va, 0xbbbb);
    expect(a.load32(va)).toBe(0xaaaa);
    expect(b.load32(va)).toBe(0xbbbb);
  });

  it('refuses user access to kernel memory, to unmapped memory and to read-only memory', () => {
    const k = boot();
    const p = k.spawn();
    const kernelVa = k.pageAddress(100) as number;
    const e1 = fault(() => p.load32(kernelVa));
    expect([e1.signal, e1.siCode]).toEqual(['SIGSEGV', 'SEGV_MAPERR']);
    const e2 = fault(() => p.load8(0x1000));
    expect([e2.signal, e2.siCode, e2.address]).toEqual(['SIGSEGV', 'SEGV_MAPERR', 0x1000]);
    const e3 = fault(() => p.store32(p.mm.startCode, 1));
    expect([e3.signal, e3.siCode]).toEqual(['SIGSEGV', 'SEGV_ACCERR']);
    expect(p.load32(p.mm.startCode)).toBe(0);
  });

  it('grows the stack down on demand, within its limit and guard gap', () => {
    const k = boot();
    const p = k.spawn();
    const stack = p.mm.vmas.all().find((v) => v.name === '[stack]');
    const start = stack?.start as number;
    p.store32(start - 10 * k.PAGE_SIZE, 7);
    expect(p.mm.vmas.all().find((v) => v.name === '[stack]')?.start).toBe(start - 10 * k.PAGE_SIZE);
    const far = fault(() => p.store32(start - 64 * 2 ** 20, 1));
    expect(far.siCode).toBe('SEGV_MAPERR');
  });

  it('counts faults and TLB hits', () => {
    const k = boot();
    const p = k.spawn();
    const va = p.mm.startStack - 4 * k.PAGE_SIZE;
    const faults = k.events.get('pgfault');
    p.store32(va, 1);
    expect(k.events.get('pgfault')).toBe(faults + 1);
    const tlb = k.vm.tlbs[0];
    const hits = tlb?.hits ?? 0;
    for (let i = 0; i < 10; i++) p.load32(va);
    expect((tlb?.hits ?? 0) - hits).toBe(10);
    expect(k.events.get('pgfault')).toBe(faults + 1);
  });

  it('refuses every use of an exited process', () => {
    const k = boot();
    const p = k.spawn();
    p.exit();
    expect(() => p.load32(p.mm.startStack - 4)).toThrow(/exited/);
    expect(() => p.fork()).toThrow(/exited/);
    expect(() => p.exit()).toThrow(/exited/);
  });
});

it('gives a non-canonical address a general protection fault (SI_KERNEL)', () => {
  const k = Kernel.boot();
  const p = k.spawn();
  const e = fault(() => p.load32(2 ** 50));
  expect([e.signal, e.siCode]).toEqual(['SIGSEGV', 'SI_KERNEL']);
  const f = fault(() => p.load32(-(2 ** 48)));
  expect(f.siCode).toBe('SI_KERNEL');
});

describe('kmap', () => {
  it('gives HighMem frames a temporary kernel address on i386', () => {
    const k = Kernel.boot({ arch: 'i386', memory: '1G' });
    const high = k.memory.frames - 5;
    expect(k.pageAddress(high)).toBeNull();
    const va = k.kmap(high);
    expect(va).toBeGreaterThanOrEqual(0xff800000);
    k.store32(va + 8, 0xfeed);
    expect(k.memory.load32(high * 4096 + 8)).toBe(0xfeed);
    expect(k.kmap(high)).toBe(va);
    k.kunmap(high);
    expect(k.load32(va + 8)).toBe(0xfeed);
    k.kunmap(high);
    expect(() => k.load32(va + 8)).toThrow(/unable to handle page fault/);
    expect(() => k.kunmap(high)).toThrow(/not kmapped/);
  });

  it('returns the direct-map address of lowmem frames', () => {
    const k = Kernel.boot();
    expect(k.kmap(100)).toBe(k.pageAddress(100));
    k.kunmap(100);
  });
});

describe('swap entries in non-present PTEs', () => {
  it.each(ARCH_NAMES)(
    '%s: round-trip in the architecture’s encoding, with the present bit clear',
    (arch) => {
      const k = Kernel.boot({ arch, memory: '2M' });
      const fmt = k.vm.geo.format;
      const maxOffset = arch === 'i386' ? 2 ** 23 - 1 : 2 ** 40;
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 31 }),
          fc.integer({ min: 1, max: maxOffset }),
          (type, offset) => {
            const { lo, hi } = swapPte(k.arch, { type, offset });
            expect(fmt.present(lo, hi)).toBe(false);
            expect(lo !== 0 || hi !== 0).toBe(true);
            expect(pteToSwapEntry(k.arch, lo, hi)).toEqual({ type, offset });
          },
        ),
      );
    },
  );

  it('x86_64 keeps the type in bits 59..63 and the offset inverted from bit 9', () => {
    const k = Kernel.boot({ memory: '2M' });
    const { lo, hi } = swapPte(k.arch, { type: 3, offset: 1 });
    expect(hi >>> 27).toBe(3);
    // ~1 in bits 9..58: everything set but bit 9.
    expect((lo >>> 9) & 1).toBe(0);
    expect((lo >>> 10) & 1).toBe(1);
  });

  it('a swap entry with no swap configured is a kernel bug, not a silent zero page', () => {
    const k = Kernel.boot({ memory: '8M' });
    const p = k.spawn();
    const va = p.mm.startStack - 4 * k.PAGE_SIZE;
    p.store32(va, 1);
    const pte = p.mm.lookupPte(va);
    const { lo, hi } = swapPte(k.arch, { type: 0, offset: 5 });
    k.vm.geo.write(pte?.slot as number, lo, hi);
    k.vm.flushPage(p.mm, va);
    expect(() => p.load32(va)).toThrow(/swap entry/);
  });
});

describe('kernel-mode accesses', () => {
  it.each(ARCH_NAMES)(
    '%s: go through the kernel page tables into global TLB entries that user mode cannot use',
    (arch) => {
      const k = Kernel.boot({ arch, memory: '16M' });
      const kva = k.pageAddress(200) as number;
      const tlb = k.vm.tlbs[0];
      const misses = tlb?.misses ?? 0;
      k.store32(kva + 8, 0xabc);
      expect(k.memory.load32(200 * k.PAGE_SIZE + 8)).toBe(0xabc);
      expect((tlb?.misses ?? 0) - misses).toBe(1);
      const hits = tlb?.hits ?? 0;
      expect(k.load32(kva + 8)).toBe(0xabc);
      expect((tlb?.hits ?? 0) - hits).toBe(1);
      const slot = tlb?.slotOf(Math.floor(kva / k.PAGE_SIZE)) as number;
      expect((tlb?.perm[slot] as number) & TLB_GLOBAL).toBe(TLB_GLOBAL);
      // The cached kernel translation gives user mode nothing.
      const p = k.spawn();
      expect(fault(() => p.load32(kva + 8)).siCode).toBe('SEGV_MAPERR');
      expect(() => k.load32(k.arch.is64Bit ? 2 ** 40 : 0x10000)).toThrow(
        /unable to handle page fault/,
      );
    },
  );
});
