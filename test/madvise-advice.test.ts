/**
 * madvise advice added for Linux 6.18 conformance: MADV_WIPEONFORK and
 * MADV_KEEPONFORK, MADV_GUARD_INSTALL and MADV_GUARD_REMOVE (guard
 * markers in the page tables), and MADV_REMOVE on shared file mappings.
 * Every errno and its order was checked on Linux 6.18 (x86_64) with small C
 * programs; the comments say what the kernel answered. A rejected call
 * must leave /proc, dmesg and the struct page array as they were.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ArchName,
  Errno,
  guardPte,
  isGuardPte,
  isSwapPte,
  Kernel,
  MADV_DONTNEED,
  MADV_FREE,
  MADV_GUARD_INSTALL,
  MADV_GUARD_REMOVE,
  MADV_KEEPONFORK,
  MADV_PAGEOUT,
  MADV_REMOVE,
  MADV_WIPEONFORK,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_LOCKED,
  MAP_PRIVATE,
  MAP_SHARED,
  MAX_SWAPFILES,
  MREMAP_MAYMOVE,
  O_RDONLY,
  O_RDWR,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  type Process,
  PTE_MARKER_GUARD,
  pteToSwapEntry,
  SegmentationFault,
  SWP_PTE_MARKER,
  swapPte,
  VM_MAYBE_GUARD,
  VM_WIPEONFORK,
  vmaPages,
} from '../src/index.js';
import { MADV_POPULATE_READ } from '../src/vm/syscalls/madvise.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const SHANON = MAP_SHARED | MAP_ANONYMOUS;

function boot(options: Parameters<typeof Kernel.boot>[0] = {}): {
  k: Kernel;
  p: Process;
  P: number;
} {
  const k = Kernel.boot({ memory: '32M', ...options });
  return { k, p: k.spawn(), P: k.PAGE_SIZE };
}

function map(p: Process, pages: number, prot = RW, flags = ANON, fd = -1, off = 0, at = 0): number {
  const va = p.sys.mmap(at, pages * p.vm.arch.pageSize, prot, flags, fd, off);
  expect(va).toBeGreaterThan(0);
  return va;
}

/** The signal an access raises, or null when it succeeds. */
function sig(access: () => unknown): { signal: string; siCode: string } | null {
  try {
    access();
    return null;
  } catch (e) {
    if (!(e instanceof SegmentationFault)) throw e;
    return { signal: e.signal, siCode: e.siCode };
  }
}

const SEGV_MAPERR = { signal: 'SIGSEGV', siCode: 'SEGV_MAPERR' };

/** Everything a rejected call must leave as it was. */
function state(k: Kernel): string {
  const m = k.buddy.memMap;
  const parts: string[] = [k.dmesg(), k.proc('/proc/meminfo')];
  for (const p of k.vm.processes.values()) {
    for (const f of ['maps', 'smaps', 'status']) parts.push(k.proc(`/proc/${p.pid}/${f}`));
  }
  for (const a of [m.flags, m.refcount, m.mapcount, m.mapping, m.index, m.private]) {
    parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'));
  }
  return parts.join('\n');
}

/** Expects `call` to return -`errno` and change nothing. */
function rejects(k: Kernel, errno: number, call: () => number): void {
  const before = state(k);
  expect(call()).toBe(-errno);
  expect(state(k)).toBe(before);
}

function vmFlagsLine(k: Kernel, p: Process, va: number): string {
  const smaps = k.proc(`/proc/${p.pid}/smaps`);
  const start = va.toString(16).padStart(8, '0');
  const at = smaps.split('\n').findIndex((l) => l.startsWith(`${start}-`));
  expect(at).toBeGreaterThanOrEqual(0);
  const rest = smaps.split('\n').slice(at);
  return rest.find((l) => l.startsWith('VmFlags:')) ?? '';
}

function mapsLines(k: Kernel, p: Process): string {
  return k.proc(`/proc/${p.pid}/maps`);
}

describe('the guard PTE encoding', () => {
  const arches: ArchName[] = ['x86_64', 'i386', 'arm64-4k', 'arm64-16k', 'arm64-64k'];
  for (const name of arches) {
    it(`${name}: a non-present marker that is neither none nor any swap area's entry`, () => {
      const k = Kernel.boot({ arch: name, memory: '16M' });
      const { lo, hi } = guardPte(k.arch);
      expect((lo | hi) !== 0).toBe(true);
      expect(k.vm.geo.format.present(lo, hi)).toBe(false);
      expect(isGuardPte(k.arch, lo, hi)).toBe(true);
      expect(isSwapPte(k.arch, lo, hi)).toBe(false);
      expect(pteToSwapEntry(k.arch, lo, hi)).toEqual({
        type: SWP_PTE_MARKER,
        offset: PTE_MARKER_GUARD,
      });
      // Every swap type an area can have differs from the marker's.
      expect(MAX_SWAPFILES).toBe(SWP_PTE_MARKER);
      for (const type of [0, 1, MAX_SWAPFILES - 1]) {
        for (const offset of [1, PTE_MARKER_GUARD, 2 ** 20 - 1]) {
          const e = swapPte(k.arch, { type, offset });
          expect(isGuardPte(k.arch, e.lo, e.hi)).toBe(false);
          expect(isSwapPte(k.arch, e.lo, e.hi)).toBe(true);
        }
      }
      expect(isSwapPte(k.arch, 0, 0)).toBe(false);
    });
  }
});

describe('MADV_WIPEONFORK and MADV_KEEPONFORK', () => {
  it('the child of a fork reads zeros in the range; the parent keeps its data; the rest is inherited', () => {
    const { k, p, P } = boot();
    const a = map(p, 4);
    for (let i = 0; i < 4; i++) p.store32(a + i * P, 100 + i);
    expect(p.sys.madvise(a + P, 2 * P, MADV_WIPEONFORK)).toBe(0);
    const c = p.fork();
    expect([0, 1, 2, 3].map((i) => c.load32(a + i * P))).toEqual([100, 0, 0, 103]);
    expect([0, 1, 2, 3].map((i) => p.load32(a + i * P))).toEqual([100, 101, 102, 103]);
    // The child's VMA keeps the flag, so its own children are wiped too.
    expect(vmFlagsLine(k, c, a + P)).toContain(' wf ');
    c.store32(a + P, 5);
    const g = c.fork();
    expect(g.load32(a + P)).toBe(0);
    k.checkInvariants();
  });

  it('splits the VMA, shows wf in VmFlags, and KEEPONFORK merges it back', () => {
    const { k, p, P } = boot();
    const a = map(p, 4);
    const before = mapsLines(k, p);
    expect(p.sys.madvise(a + P, P, MADV_WIPEONFORK)).toBe(0);
    expect(p.mm.vmas.lookup(a + P)?.flags ?? 0).toBe(
      (p.mm.vmas.lookup(a + P)?.flags ?? 0) | VM_WIPEONFORK,
    );
    expect(p.mm.vmas.lookup(a)?.end).toBe(a + P);
    expect(vmFlagsLine(k, p, a + P)).toMatch(/ ac wf \n?$/);
    expect(vmFlagsLine(k, p, a)).not.toContain('wf');
    expect(p.sys.madvise(a, 4 * P, MADV_KEEPONFORK)).toBe(0);
    expect(mapsLines(k, p)).toBe(before);
    const c = p.fork();
    p.store32(a + P, 9);
    expect(c.load32(a + P)).toBe(0); // never written before the fork
    k.checkInvariants();
  });

  it('KEEPONFORK restores inheritance: the child sees the data', () => {
    const { p, P } = boot();
    const a = map(p, 2);
    p.store32(a, 77);
    expect(p.sys.madvise(a, 2 * P, MADV_WIPEONFORK)).toBe(0);
    expect(p.sys.madvise(a, 2 * P, MADV_KEEPONFORK)).toBe(0);
    expect(p.fork().load32(a)).toBe(77);
  });

  it('EINVAL for a shared anonymous, private file or shared file mapping; KEEPONFORK accepts them', () => {
    const { k, p, P } = boot();
    k.vfs.writeFile('/f', new Uint8Array(2 * P).fill(1));
    const fd = p.sys.open('/f', O_RDWR);
    const shanon = map(p, 1, RW, SHANON);
    const priv = map(p, 1, RW, MAP_PRIVATE, fd);
    const shfile = map(p, 1, RW, MAP_SHARED, fd);
    for (const va of [shanon, priv, shfile]) {
      rejects(k, Errno.EINVAL, () => p.sys.madvise(va, P, MADV_WIPEONFORK));
      expect(p.sys.madvise(va, P, MADV_KEEPONFORK)).toBe(0);
    }
  });

  it('ENOMEM for an unmapped part, after advising the mapped parts; EINVAL for an unaligned start', () => {
    const { k, p, P } = boot();
    const a = map(p, 3);
    expect(p.sys.munmap(a + P, P)).toBe(0);
    expect(p.sys.madvise(a, 3 * P, MADV_WIPEONFORK)).toBe(-Errno.ENOMEM);
    expect(vmFlagsLine(k, p, a)).toContain('wf');
    expect(vmFlagsLine(k, p, a + 2 * P)).toContain('wf');
    rejects(k, Errno.EINVAL, () => p.sys.madvise(a + 1, P, MADV_WIPEONFORK));
  });

  it('the child of a WIPEONFORK range has no RSS there and reads the zero page', () => {
    const { k, p, P } = boot();
    const a = map(p, 8);
    for (let i = 0; i < 8; i++) p.store32(a + i * P, i + 1);
    expect(p.sys.madvise(a, 8 * P, MADV_WIPEONFORK)).toBe(0);
    const c = p.fork();
    const vma = c.mm.vmas.lookup(a);
    if (vma === undefined) throw new Error('no VMA');
    expect(vmaPages(c, vma)).toEqual({ pages: 8, resident: 0, swapped: 0, guards: 0 });
    expect(c.mm.counters.anon).toBe(p.mm.counters.anon - 8);
    k.checkInvariants();
  });
});

describe('MADV_GUARD_INSTALL and MADV_GUARD_REMOVE', () => {
  it('an access to a guard page is SIGSEGV SEGV_MAPERR; the VMA is not split and maps is unchanged', () => {
    const { k, p, P } = boot();
    const a = map(p, 4);
    p.store32(a + P, 1);
    const maps = mapsLines(k, p);
    expect(p.sys.madvise(a + P, 2 * P, MADV_GUARD_INSTALL)).toBe(0);
    expect(mapsLines(k, p)).toBe(maps);
    expect(sig(() => p.load8(a + P))).toEqual(SEGV_MAPERR);
    expect(sig(() => p.store8(a + 2 * P + 5, 1))).toEqual(SEGV_MAPERR);
    expect(sig(() => p.load8(a))).toBeNull();
    expect(sig(() => p.load8(a + 3 * P))).toBeNull();
    // The VMA is marked as maybe holding guards: "gu" (6.18.y).
    expect(vmFlagsLine(k, p, a)).toContain(' gu ');
    expect((p.mm.vmas.lookup(a)?.flags ?? 0) & VM_MAYBE_GUARD).toBe(VM_MAYBE_GUARD);
    k.checkInvariants();
  });

  it('an access the VMA forbids is SEGV_ACCERR before the guard is looked at', () => {
    const { p, P } = boot();
    const a = map(p, 2, PROT_READ);
    expect(p.sys.madvise(a, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(sig(() => p.store8(a, 1))?.siCode).toBe('SEGV_ACCERR');
    expect(sig(() => p.load8(a))?.siCode).toBe('SEGV_MAPERR');
    const n = map(p, 1, PROT_NONE);
    expect(p.sys.madvise(n, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(sig(() => p.load8(n))?.siCode).toBe('SEGV_ACCERR');
  });

  it('installing zaps the pages there (they come back zero after remove); remove restores demand faults', () => {
    const { k, p, P } = boot();
    const a = map(p, 4);
    for (let i = 0; i < 4; i++) p.store32(a + i * P, 10 + i);
    const rss = p.mm.counters.anon;
    expect(p.sys.madvise(a + P, 2 * P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.mm.counters.anon).toBe(rss - 2);
    expect(p.sys.madvise(a + P, P, MADV_GUARD_REMOVE)).toBe(0);
    expect(p.load32(a + P)).toBe(0);
    expect(sig(() => p.load32(a + 2 * P))).toEqual(SEGV_MAPERR);
    // Removing where there is no guard changes nothing.
    const before = state(k);
    expect(p.sys.madvise(a, P, MADV_GUARD_REMOVE)).toBe(0);
    expect(state(k)).toBe(before);
    // Installing twice is fine.
    expect(p.sys.madvise(a + 2 * P, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.load32(a)).toBe(10);
    k.checkInvariants();
  });

  it('guards survive MADV_DONTNEED, MADV_FREE and mprotect; munmap removes them', () => {
    const { k, p, P } = boot();
    const a = map(p, 4);
    expect(p.sys.madvise(a + P, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.sys.madvise(a, 4 * P, MADV_DONTNEED)).toBe(0);
    expect(sig(() => p.load8(a + P))).toEqual(SEGV_MAPERR);
    expect(p.sys.madvise(a, 4 * P, MADV_FREE)).toBe(0);
    expect(sig(() => p.load8(a + P))).toEqual(SEGV_MAPERR);
    expect(p.sys.mprotect(a, 4 * P, PROT_READ)).toBe(0);
    expect(p.sys.mprotect(a, 4 * P, RW)).toBe(0);
    expect(sig(() => p.load8(a + P))).toEqual(SEGV_MAPERR);
    expect(sig(() => p.store8(a + 2 * P, 1))).toBeNull();
    expect(p.sys.munmap(a, 4 * P)).toBe(0);
    expect(p.sys.mmap(a, 4 * P, RW, ANON | MAP_FIXED, -1, 0)).toBe(a);
    expect(p.load8(a + P)).toBe(0);
    k.checkInvariants();
  });

  it('mremap moves the guards with the pages', () => {
    const { k, p, P } = boot();
    const a = map(p, 4);
    p.store32(a, 3);
    expect(p.sys.madvise(a + P, P, MADV_GUARD_INSTALL)).toBe(0);
    map(p, 1, PROT_READ, ANON | MAP_FIXED, -1, 0, a + 4 * P); // no room to grow in place
    const b = p.sys.mremap(a, 4 * P, 8 * P, MREMAP_MAYMOVE);
    expect(b).toBeGreaterThan(0);
    expect(b).not.toBe(a);
    expect(p.load32(b)).toBe(3);
    expect(sig(() => p.load8(b + P))).toEqual(SEGV_MAPERR);
    expect(sig(() => p.load8(a + P))).toEqual(SEGV_MAPERR); // unmapped now
    expect(p.mm.vmas.lookup(a)).toBeUndefined();
    k.checkInvariants();
  });

  it('fork copies guards of private and shared mappings; a WIPEONFORK range gets none', () => {
    const { k, p, P } = boot();
    k.vfs.writeFile('/g', new Uint8Array(4 * P).fill(7));
    const fd = p.sys.open('/g', O_RDWR);
    const priv = map(p, 4);
    const shanon = map(p, 4, RW, SHANON);
    const shfile = map(p, 4, RW, MAP_SHARED, fd);
    p.store32(shanon, 1);
    p.store32(shfile, 1);
    for (const va of [priv, shanon, shfile])
      expect(p.sys.madvise(va + P, P, MADV_GUARD_INSTALL)).toBe(0);
    const c = p.fork();
    for (const va of [priv, shanon, shfile]) {
      expect(sig(() => c.load8(va + P))).toEqual(SEGV_MAPERR);
      expect(vmFlagsLine(k, c, va)).toContain(' gu ');
    }
    // The shared mappings' pages were copied too (the guard forced copy_page_range).
    expect(c.load32(shanon)).toBe(1);
    expect(c.load8(shfile + 4)).toBe(7);
    expect(p.sys.madvise(priv, 4 * P, MADV_WIPEONFORK)).toBe(0);
    const d = p.fork();
    expect(d.load8(priv + P)).toBe(0);
    expect(vmFlagsLine(k, d, priv)).toContain(' gu ');
    k.checkInvariants();
  });

  it('shared anonymous, private and shared file mappings: remove brings the object’s data back', () => {
    const { k, p, P } = boot();
    k.vfs.writeFile('/h', new Uint8Array(2 * P).fill(9));
    const fd = p.sys.open('/h', O_RDWR);
    const ro = p.sys.open('/h', O_RDONLY);
    const shanon = map(p, 2, RW, SHANON);
    p.store8(shanon, 4);
    const cases: [number, number][] = [
      [shanon, 4],
      [map(p, 2, RW, MAP_PRIVATE, fd), 9],
      [map(p, 2, RW, MAP_SHARED, fd), 9],
      [map(p, 2, PROT_READ, MAP_SHARED, ro), 9], // allowed on read-only files since 6.14
    ];
    for (const [va, value] of cases) {
      expect(p.sys.madvise(va, P, MADV_GUARD_INSTALL)).toBe(0);
      expect(sig(() => p.load8(va))).toEqual(SEGV_MAPERR);
      expect(p.sys.madvise(va, P, MADV_GUARD_REMOVE)).toBe(0);
      expect(p.load8(va)).toBe(value);
    }
    k.checkInvariants();
  });

  it('guards survive MADV_REMOVE on shared memory and a truncate of the file', () => {
    const { k, p, P } = boot();
    const s = map(p, 3, RW, SHANON);
    expect(p.sys.madvise(s + P, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.sys.madvise(s, 3 * P, MADV_REMOVE)).toBe(0);
    expect(sig(() => p.load8(s + P))).toEqual(SEGV_MAPERR);
    k.vfs.writeFile('/t', new Uint8Array(3 * P).fill(1));
    const fd = p.sys.open('/t', O_RDWR);
    const f = map(p, 3, RW, MAP_SHARED, fd);
    expect(p.sys.madvise(f + P, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.sys.ftruncate(fd, P)).toBe(0);
    expect(sig(() => p.load8(f + P))).toEqual(SEGV_MAPERR); // the guard, not SIGBUS
    expect(sig(() => p.load8(f + 2 * P))?.signal).toBe('SIGBUS');
    k.checkInvariants();
  });

  it('read(2) into and write(2) from a guard page are EFAULT; MADV_POPULATE_READ is EFAULT', () => {
    const { k, p, P } = boot();
    k.vfs.writeFile('/r', new Uint8Array(P).fill(2));
    const fd = p.sys.open('/r', O_RDWR);
    const a = map(p, 2);
    expect(p.sys.madvise(a + P, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.sys.read(fd, a + P, 10)).toBe(-Errno.EFAULT);
    expect(p.sys.write(fd, a + P, 10)).toBe(-Errno.EFAULT);
    expect(p.sys.pread(fd, a + P - 5, 10, 0)).toBe(5); // a short read up to the guard
    expect(p.sys.madvise(a + P, P, MADV_POPULATE_READ)).toBe(-Errno.EFAULT);
    expect(p.sys.madvise(a, P, MADV_POPULATE_READ)).toBe(0);
  });

  it('EINVAL on VM_LOCKED memory for install (nothing changes), but remove is allowed there', () => {
    const { k, p, P } = boot();
    const a = map(p, 2, RW, ANON | MAP_LOCKED);
    rejects(k, Errno.EINVAL, () => p.sys.madvise(a, P, MADV_GUARD_INSTALL));
    expect(p.sys.madvise(a, P, MADV_GUARD_REMOVE)).toBe(0);
    expect(vmFlagsLine(k, p, a)).not.toContain('gu');
  });

  it('EINVAL for an unaligned start; ENOMEM for a hole, after guarding the mapped parts', () => {
    const { k, p, P } = boot();
    const a = map(p, 3);
    rejects(k, Errno.EINVAL, () => p.sys.madvise(a + 1, P, MADV_GUARD_INSTALL));
    rejects(k, Errno.EINVAL, () => p.sys.madvise(a + 1, P, MADV_GUARD_REMOVE));
    expect(p.sys.madvise(a, 0, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.sys.munmap(a + P, P)).toBe(0);
    expect(p.sys.madvise(a, 3 * P, MADV_GUARD_INSTALL)).toBe(-Errno.ENOMEM);
    expect(sig(() => p.load8(a))).toEqual(SEGV_MAPERR);
    expect(sig(() => p.load8(a + 2 * P))).toEqual(SEGV_MAPERR);
    k.checkInvariants();
  });

  it('VM_MAYBE_GUARD is sticky: it stays after remove, survives splits and does not stop merges', () => {
    const { k, p, P } = boot();
    const base = map(p, 16, PROT_NONE);
    const a = p.sys.mmap(base, 4 * P, RW, ANON | MAP_FIXED, -1, 0);
    expect(p.sys.madvise(a, P, MADV_GUARD_INSTALL)).toBe(0);
    // A compatible mapping next to it merges (as on Linux 6.18.y).
    expect(p.sys.mmap(a + 4 * P, 4 * P, RW, ANON | MAP_FIXED, -1, 0)).toBe(a + 4 * P);
    expect(p.mm.vmas.lookup(a)?.end).toBe(a + 8 * P);
    expect(p.sys.madvise(a, P, MADV_GUARD_REMOVE)).toBe(0);
    expect(vmFlagsLine(k, p, a)).toContain(' gu ');
    expect(p.sys.mprotect(a + 2 * P, P, PROT_READ)).toBe(0);
    for (const va of [a, a + 2 * P, a + 3 * P]) expect(vmFlagsLine(k, p, va)).toContain(' gu ');
    expect(p.sys.mprotect(a + 2 * P, P, RW)).toBe(0);
    expect(p.mm.vmas.lookup(a)?.end).toBe(a + 8 * P);
    k.checkInvariants();
  });

  it('installing allocates the page tables it needs, counted in VmPTE', () => {
    const { k, p, P } = boot();
    const a = map(p, 1024); // 4 MiB: at least one page table not yet allocated
    const tables = p.mm.counters.pgtables;
    expect(p.sys.madvise(a, 1024 * P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.mm.counters.pgtables).toBeGreaterThan(tables);
    const vma = p.mm.vmas.lookup(a);
    if (vma === undefined) throw new Error('no VMA');
    expect(vmaPages(p, vma)).toEqual({ pages: 1024, resident: 0, swapped: 0, guards: 1024 });
    // VmPTE counts every table but the PGD (mm_pgtables_bytes).
    expect(k.proc(`/proc/${p.pid}/status`)).toMatch(
      new RegExp(`VmPTE:\\s+${((p.mm.counters.pgtables - 1) * P) / 1024} kB`),
    );
    k.checkInvariants();
  });

  it('works on every architecture', () => {
    for (const arch of ['i386', 'arm64-16k', 'arm64-64k'] as const) {
      const { k, p, P } = boot({ arch });
      const a = map(p, 3);
      p.store32(a + P, 5);
      expect(p.sys.madvise(a + P, P, MADV_GUARD_INSTALL)).toBe(0);
      expect(sig(() => p.load8(a + P))).toEqual(SEGV_MAPERR);
      const c = p.fork();
      expect(sig(() => c.load8(a + P))).toEqual(SEGV_MAPERR);
      expect(p.sys.madvise(a + P, P, MADV_GUARD_REMOVE)).toBe(0);
      expect(p.load32(a + P)).toBe(0);
      k.checkInvariants();
    }
  });

  it('with swap: guards sit beside swapped-out pages, install frees a swapped page’s slot, fork and exit balance', () => {
    const { k, p, P } = boot({ swap: { size: '4M' } });
    const a = map(p, 6);
    for (let i = 0; i < 6; i++) p.store32(a + i * P, 50 + i);
    expect(p.sys.madvise(a + 4 * P, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.sys.madvise(a, 6 * P, MADV_PAGEOUT)).toBe(0);
    expect(p.mm.counters.swap).toBe(5);
    expect(k.proc(`/proc/${p.pid}/status`)).toMatch(/VmSwap:\s+20 kB/);
    expect(sig(() => p.load8(a + 4 * P))).toEqual(SEGV_MAPERR);
    // Guarding a swapped-out page drops its swap entry.
    expect(p.sys.madvise(a + 2 * P, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.mm.counters.swap).toBe(4);
    const c = p.fork();
    expect(c.load32(a)).toBe(50);
    expect(sig(() => c.load8(a + 2 * P))).toEqual(SEGV_MAPERR);
    expect(c.load32(a + 5 * P)).toBe(55);
    k.checkInvariants();
    c.exit();
    expect(p.sys.madvise(a, 6 * P, MADV_DONTNEED)).toBe(0);
    expect(p.mm.counters.swap).toBe(0);
    expect(sig(() => p.load8(a + 2 * P))).toEqual(SEGV_MAPERR);
    k.checkInvariants();
    p.exit();
    k.checkInvariants();
  });
});

describe('MADV_REMOVE on files', () => {
  function fileSetup(pages = 4, tail = 100) {
    const { k, p, P } = boot();
    const data = new Uint8Array(pages * P + tail).fill(0x78);
    k.vfs.writeFile('/rm', data);
    const fd = p.sys.open('/rm', O_RDWR);
    return { k, p, P, fd, size: data.length };
  }

  it('a shared mapping punches a hole: reads there see zeros everywhere, the size stays, blocks are freed', () => {
    const { k, p, P, fd, size } = fileSetup(3);
    const sh = map(p, 4, RW, MAP_SHARED, fd);
    const pr = map(p, 4, RW, MAP_PRIVATE, fd);
    p.store8(pr, 0x50); // a private copy of page 0
    expect(p.load8(pr + P)).toBe(0x78); // the cache page, mapped privately
    const other = p.fork();
    expect(other.load8(sh + P)).toBe(0x78);
    const blocks = k.vfs.blocksAllocated;
    expect(p.sys.madvise(sh + P, P, MADV_REMOVE)).toBe(0);
    expect(k.vfs.stat('/rm').size).toBe(size);
    expect(k.vfs.blocksAllocated).toBe(blocks - 1);
    expect(p.load8(sh + P)).toBe(0);
    expect(other.load8(sh + P + 7)).toBe(0);
    expect(p.load8(pr + P)).toBe(0);
    expect(p.load8(pr)).toBe(0x50); // private copies stay
    expect(p.load8(sh)).toBe(0x78);
    const buf = map(p, 1);
    expect(p.sys.pread(fd, buf, 8, P + 100)).toBe(8);
    expect([...p.read(buf, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(k.vfs.readFile('/rm')[P + 5]).toBe(0);
    k.checkInvariants();
  });

  it('drops dirty cached pages without writing them; the page straddling EOF and pages past EOF are fine', () => {
    const { k, p, P, fd, size } = fileSetup(3);
    const sh = map(p, 4, RW, MAP_SHARED, fd);
    p.store8(sh + 2 * P, 0x11); // dirty, never written back
    p.store8(sh + 3 * P, 0x22); // the page straddling EOF
    expect(p.sys.madvise(sh + 2 * P, 2 * P, MADV_REMOVE)).toBe(0);
    expect(p.load8(sh + 2 * P)).toBe(0);
    expect(p.load8(sh + 3 * P)).toBe(0);
    expect(k.vfs.stat('/rm').size).toBe(size);
    expect(
      k.vfs
        .readFile('/rm')
        .subarray(2 * P)
        .every((b) => b === 0),
    ).toBe(true);
    // A range wholly past the end of the file: nothing to do.
    const big = map(p, 8, RW, MAP_SHARED, fd);
    expect(p.sys.madvise(big + 6 * P, 2 * P, MADV_REMOVE)).toBe(0);
    k.checkInvariants();
  });

  it('EACCES for a private mapping or a shared mapping of a file opened read-only', () => {
    const { k, p, P, fd } = fileSetup();
    const ro = p.sys.open('/rm', O_RDONLY);
    const priv = map(p, 1, RW, MAP_PRIVATE, fd);
    const shro = map(p, 1, PROT_READ, MAP_SHARED, ro);
    rejects(k, Errno.EACCES, () => p.sys.madvise(priv, P, MADV_REMOVE));
    rejects(k, Errno.EACCES, () => p.sys.madvise(shro, P, MADV_REMOVE));
    // A read-only mapping of a file open for writing may still punch (VM_MAYWRITE).
    expect(p.sys.madvise(map(p, 1, PROT_READ, MAP_SHARED, fd), P, MADV_REMOVE)).toBe(0);
    // So may read-only shared anonymous memory.
    expect(p.sys.madvise(map(p, 1, PROT_READ, SHANON), P, MADV_REMOVE)).toBe(0);
  });

  it('the order of the checks: VM_LOCKED (EINVAL), then no file (EINVAL), then not shared-writable (EACCES)', () => {
    const { k, p, P, fd } = fileSetup();
    // Locked private file mapping: EINVAL, not EACCES (Linux 6.18 checks the lock first).
    const lockedPrivateFile = map(p, 1, RW, MAP_PRIVATE | MAP_LOCKED, fd);
    const lockedSharedFile = map(p, 1, RW, MAP_SHARED | MAP_LOCKED, fd);
    const anon = map(p, 1, RW, ANON);
    const lockedAnon = map(p, 1, RW, ANON | MAP_LOCKED);
    rejects(k, Errno.EINVAL, () => p.sys.madvise(lockedPrivateFile, P, MADV_REMOVE));
    rejects(k, Errno.EINVAL, () => p.sys.madvise(lockedSharedFile, P, MADV_REMOVE));
    rejects(k, Errno.EINVAL, () => p.sys.madvise(anon, P, MADV_REMOVE));
    rejects(k, Errno.EINVAL, () => p.sys.madvise(lockedAnon, P, MADV_REMOVE));
    // The same private file mapping unlocked gets to the third check.
    const privateFile = map(p, 1, RW, MAP_PRIVATE, fd);
    rejects(k, Errno.EACCES, () => p.sys.madvise(privateFile, P, MADV_REMOVE));
  });

  it('EFBIG for a hole past the file system’s s_maxbytes', () => {
    const { k, p, P, fd } = fileSetup();
    const off = 2 ** 50; // a valid mmap offset on x86_64, past ext4's 16 TiB
    const va = map(p, 1, RW, MAP_SHARED, fd, off);
    rejects(k, Errno.EFBIG, () => p.sys.madvise(va, P, MADV_REMOVE));
  });
});

describe('guard regions against a model', () => {
  const PAGES = 12;
  type Page = { guard: boolean; value: number };
  interface Model {
    procs: { pages: Page[]; wipe: boolean[] }[];
  }
  interface Real {
    k: Kernel;
    procs: Process[];
    base: number;
    P: number;
  }
  const cloneProc = (m: Model['procs'][number]) => ({
    pages: m.pages.map((p, i) => (m.wipe[i] === true ? { guard: false, value: 0 } : { ...p })),
    wipe: [...m.wipe],
  });

  function compare(m: Model, r: Real): void {
    m.procs.forEach((mp, j) => {
      const p = r.procs[j] as Process;
      let guards = 0;
      for (const vma of p.mm.vmas.overlapping(r.base, r.base + PAGES * r.P))
        guards += vmaPages(p, vma).guards;
      expect(guards).toBe(mp.pages.filter((x) => x.guard).length);
      mp.pages.forEach((page, i) => {
        const va = r.base + i * r.P;
        if (page.guard) expect(sig(() => p.load32(va))).toEqual(SEGV_MAPERR);
        else expect(p.load32(va)).toBe(page.value);
      });
    });
    r.k.checkInvariants();
  }

  const range = fc.record({
    proc: fc.nat(3),
    start: fc.nat(PAGES - 1),
    n: fc.integer({ min: 1, max: 4 }),
  });
  const span = (start: number, n: number) =>
    Array.from({ length: Math.min(n, PAGES - start) }, (_, i) => start + i);

  class Advise implements fc.Command<Model, Real> {
    constructor(
      readonly advice: number,
      readonly r: { proc: number; start: number; n: number },
    ) {}
    check = () => true;
    run(m: Model, real: Real): void {
      const j = this.r.proc % m.procs.length;
      const mp = m.procs[j] as Model['procs'][number];
      const p = real.procs[j] as Process;
      const pages = span(this.r.start, this.r.n);
      const ret = p.sys.madvise(
        real.base + this.r.start * real.P,
        pages.length * real.P,
        this.advice,
      );
      expect(ret).toBe(0);
      for (const i of pages) {
        const page = mp.pages[i] as Page;
        if (this.advice === MADV_GUARD_INSTALL) Object.assign(page, { guard: true, value: 0 });
        else if (this.advice === MADV_GUARD_REMOVE) page.guard = false;
        else if (this.advice === MADV_DONTNEED || this.advice === MADV_PAGEOUT) {
          if (this.advice === MADV_DONTNEED) page.value = 0;
        } else if (this.advice === MADV_WIPEONFORK) mp.wipe[i] = true;
        else if (this.advice === MADV_KEEPONFORK) mp.wipe[i] = false;
      }
      compare(m, real);
    }
    toString = () => `madvise(${this.advice}, ${JSON.stringify(this.r)})`;
  }

  class Store implements fc.Command<Model, Real> {
    constructor(
      readonly proc: number,
      readonly page: number,
      readonly value: number,
    ) {}
    check = () => true;
    run(m: Model, real: Real): void {
      const j = this.proc % m.procs.length;
      const page = (m.procs[j] as Model['procs'][number]).pages[this.page] as Page;
      const p = real.procs[j] as Process;
      const va = real.base + this.page * real.P;
      if (page.guard) expect(sig(() => p.store32(va, this.value))).toEqual(SEGV_MAPERR);
      else {
        p.store32(va, this.value);
        page.value = this.value;
      }
      compare(m, real);
    }
    toString = () => `store(${this.proc}, ${this.page}, ${this.value})`;
  }

  class Fork implements fc.Command<Model, Real> {
    constructor(readonly proc: number) {}
    check = (m: Readonly<Model>) => m.procs.length < 4;
    run(m: Model, real: Real): void {
      const j = this.proc % m.procs.length;
      m.procs.push(cloneProc(m.procs[j] as Model['procs'][number]));
      real.procs.push((real.procs[j] as Process).fork());
      compare(m, real);
    }
    toString = () => `fork(${this.proc})`;
  }

  class Exit implements fc.Command<Model, Real> {
    constructor(readonly proc: number) {}
    check = (m: Readonly<Model>) => m.procs.length > 1;
    run(m: Model, real: Real): void {
      const j = 1 + (this.proc % (m.procs.length - 1));
      m.procs.splice(j, 1);
      const [p] = real.procs.splice(j, 1);
      p?.exit();
      compare(m, real);
    }
    toString = () => `exit(${this.proc})`;
  }

  // Guards are what is under test: install comes up most, then what must leave them alone.
  const advice = fc.constantFrom(
    MADV_GUARD_INSTALL,
    MADV_GUARD_INSTALL,
    MADV_GUARD_REMOVE,
    MADV_DONTNEED,
    MADV_DONTNEED,
    MADV_PAGEOUT,
    MADV_WIPEONFORK,
    MADV_KEEPONFORK,
  );
  const adviseCommand = fc.tuple(advice, range).map(([a, r]) => new Advise(a, r));
  const commands = [
    adviseCommand,
    adviseCommand,
    adviseCommand,
    fc
      .tuple(fc.nat(3), fc.nat(PAGES - 1), fc.integer({ min: 1, max: 0xffff }))
      .map(([j, i, v]) => new Store(j, i, v)),
    fc.nat(3).map((j) => new Fork(j)),
    fc.nat(3).map((j) => new Exit(j)),
  ];

  it('install, remove, DONTNEED, PAGEOUT, stores, WIPEONFORK and fork agree with a per-page model', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 30, size: 'large' }), (cmds) => {
        const k = Kernel.boot({ memory: '32M', swap: { size: '2M' } });
        const p = k.spawn();
        const P = k.PAGE_SIZE;
        const base = p.sys.mmap(0, PAGES * P, RW, ANON, -1, 0);
        const model: Model = {
          procs: [
            {
              pages: Array.from({ length: PAGES }, () => ({ guard: false, value: 0 })),
              wipe: Array.from({ length: PAGES }, () => false),
            },
          ],
        };
        fc.modelRun(() => ({ model, real: { k, procs: [p], base, P } }), cmds);
      }),
      { numRuns: 20, seed: 0x6a4d },
    );
  });
});
