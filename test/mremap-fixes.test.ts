/**
 * Corrections to mmap and mremap found by Linux's own test suites, each
 * checked against Linux 6.18 on x86_64 with a C program (the comments give
 * the kernel's answers):
 * - mmap of a file at an offset at or past MAX_LFS_FILESIZE (negative
 *   offsets included) is EOVERFLOW (`file_mmap_ok`), in do_mmap's order;
 * - a MREMAP_FIXED resize whose source spans two VMAs is EFAULT and changes
 *   nothing; a same-size MREMAP_FIXED move of several VMAs succeeds
 *   (`remap_move`, Linux 6.17);
 * - shared anonymous memory grows with mremap; its object keeps its size
 *   and the pages past it raise SIGBUS.
 */
import { describe, expect, it } from 'vitest';
import {
  type ArchName,
  Errno,
  Kernel,
  MADV_GUARD_INSTALL,
  MADV_REMOVE,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_LOCKED,
  MAP_PRIVATE,
  MAP_SHARED,
  O_RDONLY,
  O_RDWR,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  type Process,
  SegmentationFault,
  VM_EXEC,
} from '../src/index.js';
import { MADV_POPULATE_READ } from '../src/vm/syscalls/madvise.js';
import { MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE } from '../src/vm/syscalls/mremap.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function setup(arch: ArchName = 'x86_64') {
  const k = Kernel.boot({ arch, memory: '32M' });
  const p = k.spawn();
  const P = k.PAGE_SIZE;
  k.vfs.writeFile('/f', new Uint8Array(P).fill(3));
  const fd = p.sys.open('/f', O_RDWR);
  return { k, p, P, fd };
}

function state(k: Kernel, p: Process): string {
  const m = k.buddy.memMap;
  return [
    k.proc(`/proc/${p.pid}/maps`),
    k.proc(`/proc/${p.pid}/smaps`),
    k.proc(`/proc/${p.pid}/status`),
    k.dmesg(),
    Buffer.from(m.refcount.buffer, m.refcount.byteOffset, m.refcount.byteLength).toString('base64'),
    Buffer.from(m.mapcount.buffer, m.mapcount.byteOffset, m.mapcount.byteLength).toString('base64'),
  ].join('\n');
}

function rejects(k: Kernel, p: Process, errno: number, call: () => number): void {
  const before = state(k, p);
  expect(call()).toBe(-errno);
  expect(state(k, p)).toBe(before);
}

function signalOf(access: () => unknown): string | null {
  try {
    access();
    return null;
  } catch (e) {
    if (!(e instanceof SegmentationFault)) throw e;
    return e.signal;
  }
}

describe('mmap of a file at an offset past MAX_LFS_FILESIZE', () => {
  it('is EOVERFLOW, negative offsets included; an unaligned one is EINVAL first', () => {
    const { k, p, P, fd } = setup();
    const cases: [number, number, number][] = [
      // [offset, length, errno] as Linux 6.18 answered on x86_64
      [-4096, P, Errno.EOVERFLOW],
      [-(2 ** 63), P, Errno.EOVERFLOW],
      [2 ** 63 - 4096, P, Errno.EOVERFLOW],
      [2 ** 63 - 8192, 2 * P, Errno.EOVERFLOW],
      [-4095, P, Errno.EINVAL],
      [-1, P, Errno.EINVAL],
      [-4096, 0, Errno.EINVAL], // length 0 first
    ];
    for (const [off, len, errno] of cases) {
      rejects(k, p, errno, () => p.sys.mmap(0, len, PROT_READ, MAP_SHARED, fd, off));
    }
    rejects(k, p, Errno.EOVERFLOW, () => p.sys.mmap(0, P, PROT_READ, MAP_PRIVATE, fd, -4096));
    // Before the mapping type is looked at: flags with neither MAP_SHARED nor MAP_PRIVATE.
    rejects(k, p, Errno.EOVERFLOW, () => p.sys.mmap(0, P, PROT_READ, 0, fd, -4096));
  });

  it('the last page below the limit maps (and faults SIGBUS past end of file); so does 2^62', () => {
    const { k, p, P, fd } = setup();
    const a = p.sys.mmap(0, P, PROT_READ, MAP_SHARED, fd, 2 ** 63 - 8192);
    expect(a).toBeGreaterThan(0);
    expect(signalOf(() => p.load8(a))).toBe('SIGBUS');
    const b = p.sys.mmap(0, P, PROT_READ, MAP_SHARED, fd, 2 ** 62);
    expect(b).toBeGreaterThan(0);
    expect(k.proc(`/proc/${p.pid}/maps`)).toContain(' 4000000000000000 08:01 ');
    k.checkInvariants();
  });

  it('anonymous memory ignores the offset', () => {
    const { p, P } = setup();
    expect(p.sys.mmap(0, P, RW, ANON, -1, -4096)).toBeGreaterThan(0);
    expect(p.sys.mmap(0, P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, -4096)).toBeGreaterThan(0);
  });

  it('comes after EEXIST (MAP_FIXED_NOREPLACE) and before EACCES (a read-only file), as in do_mmap', () => {
    const { k, p, P, fd } = setup();
    const a = p.sys.mmap(0, P, PROT_READ, ANON, -1, 0);
    rejects(k, p, Errno.EEXIST, () =>
      p.sys.mmap(a, P, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, -4096),
    );
    const ro = p.sys.open('/f', O_RDONLY);
    rejects(k, p, Errno.EOVERFLOW, () => p.sys.mmap(0, P, RW, MAP_SHARED, ro, -4096));
    rejects(k, p, Errno.EOVERFLOW, () =>
      p.sys.mmap(0, P, PROT_READ, MAP_SHARED | MAP_LOCKED, fd, -4096),
    );
  });

  it('i386: a mapping ending past 2^43 - 1 (MAX_LFS_FILESIZE) is EOVERFLOW, a negative offset EINVAL (glibc mmap64)', () => {
    const { k, p, P, fd } = setup('i386');
    rejects(k, p, Errno.EOVERFLOW, () => p.sys.mmap(0, P, PROT_READ, MAP_SHARED, fd, 2 ** 43));
    // The mapping must end at or below 2^43 - 1: the last whole page starts at 2^43 - 2 pages.
    rejects(k, p, Errno.EOVERFLOW, () => p.sys.mmap(0, P, PROT_READ, MAP_SHARED, fd, 2 ** 43 - P));
    expect(p.sys.mmap(0, P, PROT_READ, MAP_SHARED, fd, 2 ** 43 - 2 * P)).toBeGreaterThan(0);
    rejects(k, p, Errno.EINVAL, () => p.sys.mmap(0, P, PROT_READ, MAP_SHARED, fd, -4096));
  });

  it('arm64 with 64 KiB pages: the limit is 2^47 pages of 64 KiB', () => {
    const { k, p, P, fd } = setup('arm64-64k');
    rejects(k, p, Errno.EOVERFLOW, () => p.sys.mmap(0, P, PROT_READ, MAP_SHARED, fd, 2 ** 63 - P));
    expect(p.sys.mmap(0, P, PROT_READ, MAP_SHARED, fd, 2 ** 63 - 2 * P)).toBeGreaterThan(0);
  });
});

describe('mremap with MREMAP_FIXED across VMAs', () => {
  /** Two adjacent VMAs (rw, r) at base..base+4P, and a destination (rwx) at base+16P..base+22P. */
  function layout(gap = 0) {
    const s = setup();
    const { p, P } = s;
    const base = p.sys.mmap(0, 32 * P, PROT_NONE, ANON, -1, 0);
    expect(p.sys.mmap(base, 2 * P, RW, ANON | MAP_FIXED, -1, 0)).toBe(base);
    if (gap > 0) expect(p.sys.munmap(base + 2 * P, gap * P)).toBe(0);
    const second = base + (2 + gap) * P;
    expect(p.sys.mmap(second, 2 * P, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(second);
    const dst = base + 16 * P;
    expect(p.sys.mmap(dst, 6 * P, RW | PROT_EXEC, ANON | MAP_FIXED, -1, 0)).toBe(dst);
    p.store32(base, 0x11);
    p.store32(dst, 0x22);
    return { ...s, base, dst };
  }

  it('a resize whose source spans two VMAs is EFAULT and unmaps nothing (Linux 6.18)', () => {
    const { k, p, P, base, dst } = layout();
    for (const newLen of [3 * P, 6 * P])
      rejects(k, p, Errno.EFAULT, () =>
        p.sys.mremap(base, 4 * P, newLen, MREMAP_MAYMOVE | MREMAP_FIXED, dst),
      );
    rejects(k, p, Errno.EFAULT, () => p.sys.mremap(base, 3 * P, 5 * P, MREMAP_MAYMOVE));
    expect(p.load32(dst)).toBe(0x22);
    expect(p.load32(base)).toBe(0x11);
    k.checkInvariants();
  });

  it('a shrink that keeps only the first VMA’s part moves it and unmaps the rest of the source', () => {
    const { k, p, P, base, dst } = layout();
    expect(p.sys.mremap(base, 4 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst)).toBe(dst);
    expect(p.mm.vmas.lookup(base + 2 * P)).toBeUndefined();
    expect(p.load32(dst)).toBe(0x11);
    expect((p.mm.vmas.lookup(dst + 2 * P)?.flags ?? 0) & VM_EXEC).toBe(VM_EXEC); // the old destination
    k.checkInvariants();
  });

  it('a same-size move takes every VMA of the range, keeping gaps (Linux 6.17 remap_move)', () => {
    const { k, p, P, base, dst } = layout(1);
    expect(p.load32(base + 3 * P)).toBe(0); // the read-only VMA maps the zero page
    expect(p.sys.mremap(base, 5 * P, 5 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst)).toBe(dst);
    expect(p.load32(dst)).toBe(0x11);
    // The gap's destination page keeps what was mapped there.
    expect((p.mm.vmas.lookup(dst + 2 * P)?.flags ?? 0) & VM_EXEC).toBe(VM_EXEC);
    expect(p.load32(dst + 2 * P)).toBe(0);
    expect(p.load32(dst + 3 * P)).toBe(0);
    expect(signalOf(() => p.store8(dst + 3 * P, 1))).toBe('SIGSEGV'); // still read-only
    expect(p.mm.vmas.lookup(base)).toBeUndefined();
    expect(p.mm.vmas.lookup(base + 3 * P)).toBeUndefined();
    k.checkInvariants();
  });

  it('a same-size move may end in a gap; one starting in a gap is EFAULT with nothing changed', () => {
    const { k, p, P, base, dst } = layout(1);
    rejects(k, p, Errno.EFAULT, () =>
      p.sys.mremap(base + 2 * P, 3 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst),
    );
    expect(p.sys.mremap(base, 3 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst)).toBe(dst);
    expect(p.mm.vmas.lookup(base + 3 * P)).toBeDefined(); // past the range: stays
    k.checkInvariants();
  });

  it('MREMAP_DONTUNMAP with MREMAP_FIXED moves both VMAs and leaves the old ones empty', () => {
    const { k, p, P, base, dst } = layout();
    expect(
      p.sys.mremap(base, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, dst),
    ).toBe(dst);
    expect(p.load32(dst)).toBe(0x11);
    expect(p.load32(base)).toBe(0);
    expect(p.mm.vmas.lookup(base + 2 * P)).toBeDefined();
    k.checkInvariants();
  });

  it('guard markers move with a multi-VMA move', () => {
    const { k, p, P, base, dst } = layout();
    expect(p.sys.madvise(base + 3 * P, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(p.sys.mremap(base, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst)).toBe(dst);
    expect(signalOf(() => p.load8(dst + 3 * P))).toBe('SIGSEGV');
    expect(p.load8(dst + 2 * P)).toBe(0);
    k.checkInvariants();
  });

  it('parameter errors come before the VMA is looked at (EINVAL, not EFAULT, for an unmapped source)', () => {
    const { k, p, P, base, dst } = layout();
    const hole = base + 40 * P;
    rejects(k, p, Errno.EINVAL, () =>
      p.sys.mremap(hole, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 1),
    );
    rejects(k, p, Errno.EINVAL, () =>
      p.sys.mremap(hole, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, hole + P),
    );
    rejects(k, p, Errno.EINVAL, () => p.sys.mremap(hole, 2 * P, 2 * P, MREMAP_FIXED, dst));
    rejects(k, p, Errno.EINVAL, () => p.sys.mremap(hole, P, 2 ** 50, 0)); // past TASK_SIZE
    rejects(k, p, Errno.EFAULT, () => p.sys.mremap(hole, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, dst));
    rejects(k, p, Errno.EFAULT, () => p.sys.mremap(hole, P, 2 * P, 0));
    // MREMAP_DONTUNMAP compares the page-aligned lengths.
    expect(p.sys.mremap(base, P, P - 96, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0)).toBeGreaterThan(0);
  });
});

describe('growing shared anonymous memory', () => {
  it('in place: the object keeps its size, pages past it are SIGBUS, before it the data stays', () => {
    const { k, p, P } = setup();
    const base = p.sys.mmap(0, 8 * P, PROT_NONE, ANON, -1, 0);
    expect(p.sys.munmap(base, 8 * P)).toBe(0);
    const s = p.sys.mmap(base, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    expect(s).toBe(base);
    p.store32(s + P, 5);
    expect(p.sys.mremap(s, 2 * P, 4 * P, 0)).toBe(s);
    expect(p.load32(s + P)).toBe(5);
    expect(signalOf(() => p.store8(s + 3 * P, 1))).toBe('SIGBUS');
    const shared = p.mm.vmas.lookup(s)?.backing.shared;
    expect(shared?.size).toBe(2);
    // As Linux 6.18: populating there is EFAULT, punching a hole or guarding it succeeds.
    expect(p.sys.madvise(s + 2 * P, P, MADV_POPULATE_READ)).toBe(-Errno.EFAULT);
    expect(p.sys.madvise(s + 2 * P, P, MADV_REMOVE)).toBe(0);
    const c = p.fork();
    expect(c.load32(s + P)).toBe(5);
    expect(signalOf(() => c.load8(s + 2 * P))).toBe('SIGBUS');
    k.checkInvariants();
  });

  it('moved: a second mapping of the object (old size 0) reaches the same pages and the same end', () => {
    const { k, p, P } = setup();
    const s = p.sys.mmap(0, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    p.store32(s, 8);
    p.sys.mmap(s + 2 * P, P, PROT_READ, ANON | MAP_FIXED, -1, 0); // no room after it
    const t = p.sys.mremap(s, 2 * P, 4 * P, MREMAP_MAYMOVE);
    expect(t).toBeGreaterThan(0);
    expect(t).not.toBe(s);
    expect(p.load32(t)).toBe(8);
    expect(signalOf(() => p.load8(t + 2 * P))).toBe('SIGBUS');
    const u = p.sys.mremap(t, 0, 4 * P, MREMAP_MAYMOVE);
    expect(u).toBeGreaterThan(0);
    expect(p.load32(u)).toBe(8);
    expect(signalOf(() => p.load8(u + 3 * P))).toBe('SIGBUS');
    expect(p.sys.mremap(t, 4 * P, P, 0)).toBe(t); // shrinking too
    k.checkInvariants();
  });
});
