/**
 * The memory system calls (brk, mmap, munmap, mprotect, madvise) and their
 * C library wrappers, against Linux's man pages: every behaviour they
 * describe, every error they list that mmsim can produce, VMA splits and
 * merges seen through the VMA list, frames given back, and the TLB never
 * granting what the page tables no longer do.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  ARCH_NAMES,
  Errno,
  Kernel,
  KernelError,
  MADV_COLD,
  MADV_DOFORK,
  MADV_DONTFORK,
  MADV_DONTNEED,
  MADV_FREE,
  MADV_NORMAL,
  MADV_PAGEOUT,
  MADV_RANDOM,
  MADV_REMOVE,
  MADV_SEQUENTIAL,
  MADV_WILLNEED,
  MAP_ANONYMOUS,
  MAP_FAILED,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_HUGETLB,
  MAP_LOCKED,
  MAP_NONBLOCK,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  PG,
  PROT_EXEC,
  PROT_GROWSDOWN,
  PROT_GROWSUP,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  type Process,
  PTE_DIRTY,
  PTE_USER,
  PTE_WRITE,
  pteToSwapEntry,
  SegmentationFault,
  SharedAnon,
  type SwapEntry,
  swapPte,
  VM_ACCOUNT,
  VM_DONTCOPY,
  VM_EXEC,
  VM_GROWSDOWN,
  VM_LOCKED,
  VM_MAYEXEC,
  VM_MAYREAD,
  VM_MAYSHARE,
  VM_MAYWRITE,
  VM_NORESERVE,
  VM_RAND_READ,
  VM_READ,
  VM_SEQ_READ,
  VM_SHARED,
  VM_WRITE,
  Vma,
} from '../src/index.js';
import { checkVmInvariants } from '../src/vm/invariants.js';
import {
  BRK_VM_FLAGS,
  DEFAULT_MAX_MAP_COUNT,
  MADV_DONTNEED_LOCKED,
  MADV_POPULATE_READ,
  MADV_POPULATE_WRITE,
  MREMAP_DONTUNMAP,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  vmTunables,
} from '../src/vm/syscalls/index.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const SHARED = MAP_SHARED | MAP_ANONYMOUS;
const MAY = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
/** Flags of a fresh private read-write anonymous mapping. */
const ANON_RW = VM_READ | VM_WRITE | MAY | VM_ACCOUNT;

/** The machine of the running test: every test ends with its invariants checked. */
let machine: Kernel | null = null;

afterEach(() => {
  machine?.checkInvariants();
  machine = null;
});

function setup(arch?: (typeof ARCH_NAMES)[number]) {
  const k = Kernel.boot({ memory: '32M', ...(arch === undefined ? {} : { arch }) });
  machine = k;
  const p = k.spawn();
  return { k, p, P: k.PAGE_SIZE };
}

/** Frames the page allocator holds, per-CPU lists drained. */
function freeFrames(k: Kernel): number {
  k.drainAllPages();
  return k.buddy.nrFreePages();
}

function must<T>(x: T | undefined | null): T {
  if (x === undefined || x === null) throw new Error('expected a value');
  return x;
}

/** The VMAs overlapping `[start, end)` as plain data. */
function vmas(
  p: Process,
  start = 0,
  end = 2 ** 48,
): { start: number; end: number; flags: number }[] {
  return p.mm.vmas
    .overlapping(start, end)
    .map((v) => ({ start: v.start, end: v.end, flags: v.flags }));
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

/** mmap of `pages` anonymous pages; fails the test unless it succeeds. */
function map(p: Process, pages: number, prot = RW, flags = ANON, addr = 0): number {
  const va = p.sys.mmap(addr, pages * p.vm.arch.pageSize, prot, flags, -1, 0);
  expect(va).toBeGreaterThan(0);
  return va;
}

// --- mmap ------------------------------------------------------------------------

describe('mmap', () => {
  it('maps zero-filled private anonymous memory top-down below mmap_base', () => {
    const { k, p, P } = setup();
    const before = p.mm.totalVm;
    const a = map(p, 4);
    expect(a % P).toBe(0);
    expect(a + 4 * P).toBe(p.mm.mmapBase);
    expect(vmas(p, a, a + 4 * P)).toEqual([{ start: a, end: a + 4 * P, flags: ANON_RW }]);
    expect(p.mm.totalVm).toBe(before + 4);
    expect(p.mm.counters.hiwaterVm).toBeGreaterThanOrEqual(before + 4);
    expect(p.load32(a + 3 * P)).toBe(0);
    p.store32(a + 8, 0xdeadbeef);
    expect(p.load32(a + 8)).toBe(0xdeadbeef);
    const b = map(p, 2, PROT_READ);
    expect(b + 2 * P).toBe(a); // the next mapping goes right below
    k.checkInvariants();
  });

  it('rounds the length up to whole pages', () => {
    const { p, P } = setup();
    const a = p.sys.mmap(0, 1, RW, ANON, -1, 0);
    expect(vmas(p, a, a + 1)).toEqual([{ start: a, end: a + P, flags: ANON_RW }]);
    const b = p.sys.mmap(0, P + 1, RW, ANON, -1, 0);
    expect(must(p.mm.vmas.lookup(b)).size).toBe(3 * P); // merged with a: 1 + 2 pages
  });

  it('merges adjacent private anonymous mappings with the same protection, not different ones', () => {
    const { p, P } = setup();
    const a = map(p, 2);
    const b = map(p, 3);
    expect(vmas(p, b, a + 2 * P)).toEqual([{ start: b, end: a + 2 * P, flags: ANON_RW }]);
    const c = map(p, 1, PROT_READ);
    expect(vmas(p, c, a + 2 * P)).toEqual([
      { start: c, end: b, flags: VM_READ | MAY },
      { start: b, end: a + 2 * P, flags: ANON_RW },
    ]);
  });

  it('sets VM_* flags from prot and flags', () => {
    const { p } = setup();
    const flagsOf = (prot: number, flags: number) =>
      must(p.mm.vmas.lookup(map(p, 1, prot, flags))).flags;
    expect(flagsOf(PROT_NONE, ANON)).toBe(MAY);
    expect(flagsOf(PROT_READ | PROT_EXEC, ANON)).toBe(VM_READ | VM_EXEC | MAY);
    expect(flagsOf(RW, ANON | MAP_NORESERVE)).toBe(VM_READ | VM_WRITE | MAY | VM_NORESERVE);
    expect(flagsOf(RW, SHARED)).toBe(VM_READ | VM_WRITE | MAY | VM_SHARED | VM_MAYSHARE);
    expect(flagsOf(PROT_READ, SHARED)).toBe(VM_READ | MAY | VM_SHARED | VM_MAYSHARE);
    expect(flagsOf(RW, ANON | MAP_GROWSDOWN)).toBe(ANON_RW | VM_GROWSDOWN);
    expect(flagsOf(RW, ANON | MAP_LOCKED)).toBe(ANON_RW | VM_LOCKED);
  });

  it('ignores unknown flag bits with MAP_PRIVATE and MAP_SHARED', () => {
    const { p } = setup();
    expect(p.sys.mmap(0, 4096, RW, ANON | 0x4000000, -1, 0)).toBeGreaterThan(0);
    expect(p.sys.mmap(0, 4096, RW, SHARED | 0x4000000, -1, 0)).toBeGreaterThan(0);
  });

  it('EINVAL: length 0', () => {
    const { p } = setup();
    expect(p.sys.mmap(0, 0, RW, ANON, -1, 0)).toBe(-Errno.EINVAL);
  });

  it('EINVAL: neither MAP_PRIVATE nor MAP_SHARED, and MAP_SHARED_VALIDATE for anonymous memory', () => {
    const { p } = setup();
    expect(p.sys.mmap(0, 4096, RW, MAP_ANONYMOUS, -1, 0)).toBe(-Errno.EINVAL);
    // MAP_SHARED|MAP_PRIVATE is MAP_SHARED_VALIDATE, which Linux accepts for files only.
    expect(p.sys.mmap(0, 4096, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0)).toBe(-Errno.EINVAL);
  });

  it('EINVAL: offset not page aligned (an aligned one is ignored for anonymous memory)', () => {
    const { p, P } = setup();
    expect(p.sys.mmap(0, P, RW, ANON, -1, 100)).toBe(-Errno.EINVAL);
    expect(p.sys.mmap(0, P, RW, ANON, -1, -1)).toBe(-Errno.EINVAL);
    const a = p.sys.mmap(0, P, RW, ANON, -1, 16 * P);
    expect(a).toBeGreaterThan(0);
    expect(must(p.mm.vmas.lookup(a)).pgoff).toBe(a / P);
  });

  it('EINVAL: MAP_FIXED at an address that is not page aligned', () => {
    const { p } = setup();
    expect(p.sys.mmap(0x10000001, 4096, RW, ANON | MAP_FIXED, -1, 0)).toBe(-Errno.EINVAL);
  });

  it('EINVAL: arguments no register could hold (NaN, fractions)', () => {
    const { p } = setup();
    expect(p.sys.mmap(Number.NaN, 4096, RW, ANON, -1, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.mmap(0, 4096.5, RW, ANON, -1, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.mmap(0, 4096, 1.5, ANON, -1, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.mmap(0, 4096, RW, ANON, -1, 0.5)).toBe(-Errno.EINVAL);
    expect(p.sys.mmap(0, Number.POSITIVE_INFINITY, RW, ANON, -1, 0)).toBe(-Errno.EINVAL);
  });

  it('EBADF: a file mapping (no file descriptor is valid yet)', () => {
    const { p } = setup();
    expect(p.sys.mmap(0, 4096, RW, MAP_PRIVATE, -1, 0)).toBe(-Errno.EBADF);
    expect(p.sys.mmap(0, 4096, RW, MAP_SHARED, 3, 0)).toBe(-Errno.EBADF);
  });

  it('honours a free hint, rounded down to a page, and searches elsewhere when it is taken', () => {
    const { p, P } = setup();
    const hint = 0x20000000;
    expect(p.sys.mmap(hint + 123, P, RW, ANON, -1, 0)).toBe(hint);
    const other = p.sys.mmap(hint, P, PROT_READ, ANON, -1, 0);
    expect(other).toBeGreaterThan(0);
    expect(other).not.toBe(hint);
    // A hint below vm.mmap_min_addr is raised to it.
    expect(p.sys.mmap(P, P, RW, ANON, -1, 0)).toBe(vmTunables(p.vm).mmapMinAddr);
  });

  it('keeps new mappings out of a stack’s guard gap, and a growing-down mapping’s own gap free below it', () => {
    const { p, P } = setup();
    const stack = must(p.mm.vmas.lookup(p.mm.startStack));
    const hint = stack.start - 2 * P; // inside the 256-page guard gap
    const a = p.sys.mmap(hint, P, RW, ANON, -1, 0);
    expect(a).not.toBe(hint);
    expect(a + P).toBeLessThanOrEqual(stack.start - 256 * P);
    // A 10-page hole takes a 1-page mapping, but not a growing-down one.
    const top = map(p, 1, PROT_READ);
    const low = map(p, 1, PROT_READ, ANON | MAP_FIXED, top - 11 * P);
    expect(low).toBe(top - 11 * P);
    const g = p.sys.mmap(0, P, RW, ANON | MAP_GROWSDOWN, -1, 0);
    expect(g).toBeLessThan(low);
    expect(low - (g + P)).toBe(0); // right below `low`: the gap below it is free
    const plain = map(p, 1, PROT_EXEC);
    expect(plain).toBe(top - P); // the top of the hole
  });

  it('falls back to a bottom-up search when there is no room below mmap_base, then ENOMEM', () => {
    const { p, P } = setup();
    const min = vmTunables(p.vm).mmapMinAddr;
    const base = p.mm.mmapBase;
    const heapEnd = p.mm.startBrk;
    const res = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE;
    expect(p.sys.mmap(min, 0x400000 - min, PROT_NONE, res, -1, 0)).toBe(min);
    expect(p.sys.mmap(heapEnd, base - heapEnd, PROT_NONE, res, -1, 0)).toBe(heapEnd);
    expect(p.sys.mmap(0, 2 * P, RW, ANON, -1, 0)).toBe(base); // above mmap_base
    const stack = must(p.mm.vmas.lookup(p.mm.startStack));
    const rest = stack.start - 256 * P - (base + 2 * P);
    expect(p.sys.mmap(base + 2 * P, rest, PROT_NONE, res, -1, 0)).toBe(base + 2 * P);
    expect(p.sys.mmap(0, P, RW, ANON, -1, 0)).toBe(-Errno.ENOMEM);
  });

  it('MAP_32BIT places the mapping in the second gigabyte (x86_64)', () => {
    const { p } = setup();
    const a = p.sys.mmap(0, 4096, RW, ANON | 0x40, -1, 0);
    expect(a).toBeGreaterThanOrEqual(2 ** 30);
    expect(a).toBeLessThan(2 ** 31);
  });

  it('MAP_FIXED replaces what is mapped there: the old pages are gone and their frames freed', () => {
    const { k, p, P } = setup();
    const a = map(p, 4);
    for (let i = 0; i < 4; i++) p.store32(a + i * P, 0x1111 * (i + 1));
    const tables = p.mm.counters.pgtables;
    const free = freeFrames(k);
    expect(p.sys.mmap(a + P, 2 * P, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(a + P);
    expect(freeFrames(k)).toBe(free + 2);
    expect(p.mm.counters.pgtables).toBe(tables);
    expect(vmas(p, a, a + 4 * P)).toEqual([
      { start: a, end: a + P, flags: ANON_RW },
      { start: a + P, end: a + 3 * P, flags: VM_READ | MAY },
      { start: a + 3 * P, end: a + 4 * P, flags: ANON_RW },
    ]);
    expect(p.load32(a + P)).toBe(0);
    expect(p.load32(a)).toBe(0x1111);
    expect(p.load32(a + 3 * P)).toBe(0x4444);
    expect(p.mm.totalVm).toBe(1 + 1 + 32 + 4); // text, data, stack (32 pages), and the 4 pages
    k.checkInvariants();
  });

  it('EEXIST: MAP_FIXED_NOREPLACE over an existing mapping; it maps exactly there otherwise', () => {
    const { p, P } = setup();
    const a = map(p, 2);
    expect(p.sys.mmap(a + P, 2 * P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(-Errno.EEXIST);
    expect(p.sys.mmap(a - 2 * P, 2 * P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(a - 2 * P);
  });

  it('ENOMEM: a MAP_FIXED range beyond user space, or longer than user space', () => {
    const { p, P } = setup();
    const top = p.mm.taskSize;
    expect(p.sys.mmap(top - P, 2 * P, RW, ANON | MAP_FIXED, -1, 0)).toBe(-Errno.ENOMEM);
    expect(p.sys.mmap(0, top + P, PROT_READ, ANON, -1, 0)).toBe(-Errno.ENOMEM);
    expect(p.sys.mmap(0, -P, PROT_READ, ANON, -1, 0)).toBe(-Errno.ENOMEM); // 2**64 - 4096 bytes
    expect(p.sys.mmap(0, -1, PROT_READ, ANON, -1, 0)).toBe(-Errno.ENOMEM); // wraps when rounded up
  });

  it('EPERM: MAP_FIXED below vm.mmap_min_addr', () => {
    const { p, P } = setup();
    expect(p.sys.mmap(0, P, RW, ANON | MAP_FIXED, -1, 0)).toBe(-Errno.EPERM);
    vmTunables(p.vm).mmapMinAddr = P;
    expect(p.sys.mmap(P, P, RW, ANON | MAP_FIXED, -1, 0)).toBe(P);
  });

  it('ENOMEM: no memory is available for a private writable mapping larger than RAM', () => {
    const { p } = setup();
    const big = 64 * 2 ** 20; // on a 32 MiB machine
    expect(p.sys.mmap(0, big, RW, ANON, -1, 0)).toBe(-Errno.ENOMEM);
    // Not charged: read-only private or MAP_NORESERVE memory.
    expect(p.sys.mmap(0, big, PROT_READ, ANON, -1, 0)).toBeGreaterThan(0);
    expect(p.sys.mmap(0, big, RW, ANON | MAP_NORESERVE, -1, 0)).toBeGreaterThan(0);
    // Shared anonymous memory is a shmem object, charged whole (shmem_acct_size) even
    // read-only: Linux 6.18 refuses one larger than RAM and swap (measured), unless MAP_NORESERVE.
    expect(p.sys.mmap(0, big, RW, SHARED, -1, 0)).toBe(-Errno.ENOMEM);
    expect(p.sys.mmap(0, big, PROT_READ, SHARED, -1, 0)).toBe(-Errno.ENOMEM);
    expect(p.sys.mmap(0, big, RW, SHARED | MAP_NORESERVE, -1, 0)).toBeGreaterThan(0);
  });

  it('ENOMEM: the map count is above vm.max_map_count', () => {
    const { p } = setup();
    vmTunables(p.vm).maxMapCount = p.mm.vmas.count + 1;
    // Alternate protections so that nothing merges.
    expect(p.sys.mmap(0, 4096, PROT_READ, ANON, -1, 0)).toBeGreaterThan(0);
    expect(p.sys.mmap(0, 4096, RW, ANON, -1, 0)).toBeGreaterThan(0); // count == max: still allowed
    expect(p.sys.mmap(0, 4096, PROT_READ, ANON, -1, 0)).toBe(-Errno.ENOMEM);
  });

  it('EAGAIN: MAP_LOCKED beyond RLIMIT_MEMLOCK (8 MiB)', () => {
    const { p } = setup();
    const MiB = 2 ** 20;
    expect(p.sys.mmap(0, 6 * MiB, PROT_READ, ANON | MAP_LOCKED, -1, 0)).toBeGreaterThan(0);
    expect(p.sys.mmap(0, 4 * MiB, PROT_READ, ANON | MAP_LOCKED, -1, 0)).toBe(-Errno.EAGAIN);
    expect(p.sys.mmap(0, 2 * MiB, PROT_READ, ANON | MAP_LOCKED, -1, 0)).toBeGreaterThan(0);
  });

  it('ENOMEM: MAP_HUGETLB, as no huge page is reserved', () => {
    const { p } = setup();
    expect(p.sys.mmap(0, 2 ** 21, RW, ANON | MAP_HUGETLB, -1, 0)).toBe(-Errno.ENOMEM);
  });

  it('EOVERFLOW: on a 32-bit machine, offset pages plus length pages overflow unsigned long', () => {
    const k = Kernel.boot({ arch: 'i386', memory: '32M' });
    machine = k;
    const p = k.spawn();
    const P = k.PAGE_SIZE;
    expect(p.sys.mmap(0, 2 * P, PROT_READ, ANON, -1, (2 ** 32 - 1) * P)).toBe(-Errno.EOVERFLOW);
    expect(p.sys.mmap(0, P, PROT_READ, ANON, -1, (2 ** 32 - 2) * P)).toBeGreaterThan(0);
    expect(p.sys.mmap(0, P, PROT_READ, ANON, -1, 2 ** 32 * P)).toBe(-Errno.EINVAL); // beyond mmap2
  });

  it('EINVAL: MAP_GROWSDOWN with MAP_SHARED', () => {
    const { p } = setup();
    expect(p.sys.mmap(0, 4096, RW, SHARED | MAP_GROWSDOWN, -1, 0)).toBe(-Errno.EINVAL);
  });

  it('MAP_GROWSDOWN mappings grow down on access below them', () => {
    const { p, P } = setup();
    const top = 0x30000000;
    expect(p.sys.mmap(top - 4 * P, 4 * P, RW, ANON | MAP_GROWSDOWN | MAP_FIXED, -1, 0)).toBe(
      top - 4 * P,
    );
    p.store32(top - 10 * P, 7);
    expect(must(p.mm.vmas.lookup(top - P)).start).toBe(top - 10 * P);
  });

  it('PROT_NONE memory faults with SEGV_ACCERR on any access', () => {
    const { p } = setup();
    const a = map(p, 1, PROT_NONE);
    expect(fault(() => p.load8(a)).siCode).toBe('SEGV_ACCERR');
    expect(fault(() => p.store8(a, 1)).siCode).toBe('SEGV_ACCERR');
  });

  it('MAP_POPULATE prefaults: write faults for private writable memory, read faults otherwise', () => {
    const { k, p, P } = setup();
    let free = freeFrames(k);
    let tables = p.mm.counters.pgtables;
    const rw = map(p, 8, RW, ANON | MAP_POPULATE);
    expect(p.mm.counters.anon).toBe(8);
    expect(freeFrames(k)).toBe(free - 8 - (p.mm.counters.pgtables - tables));
    for (let i = 0; i < 8; i++) {
      const pte = must(p.mm.lookupPte(rw + i * P));
      expect(pte.pfn).not.toBe(k.vm.zeroPfn);
      expect(pte.flags & PTE_WRITE).toBe(PTE_WRITE);
    }
    // Read-only private memory maps the zero page: no frame.
    free = freeFrames(k);
    tables = p.mm.counters.pgtables;
    const ro = map(p, 8, PROT_READ, ANON | MAP_POPULATE);
    expect(must(p.mm.lookupPte(ro)).pfn).toBe(k.vm.zeroPfn);
    expect(freeFrames(k)).toBe(free - (p.mm.counters.pgtables - tables));
    // Shared memory: the object's pages, read-faulted: clean.
    const sh = map(p, 4, RW, SHARED | MAP_POPULATE);
    expect(p.mm.counters.shmem).toBe(4);
    expect(must(p.mm.lookupPte(sh)).flags & PTE_DIRTY).toBe(0);
    // PROT_NONE and MAP_NONBLOCK: nothing.
    const none = map(p, 4, PROT_NONE, ANON | MAP_POPULATE);
    expect(p.mm.lookupPte(none)).toBeNull();
    const nb = map(p, 4, RW, ANON | MAP_POPULATE | MAP_NONBLOCK);
    expect(p.mm.lookupPte(nb)).toBeNull();
    k.checkInvariants();
  });

  it('MAP_LOCKED populates the mapping', () => {
    const { p } = setup();
    map(p, 4, RW, ANON | MAP_LOCKED);
    expect(p.mm.counters.anon).toBe(4);
  });

  it('MAP_SHARED|MAP_ANONYMOUS is one object shared with children across fork, both ways', () => {
    const { k, p, P } = setup();
    const a = map(p, 2, RW, SHARED);
    const obj = must(must(p.mm.vmas.lookup(a)).backing.shared);
    expect(obj).toBeInstanceOf(SharedAnon);
    expect(obj.users).toBe(1);
    p.store32(a, 1);
    const c = p.fork();
    expect(obj.users).toBe(2);
    expect(c.load32(a)).toBe(1);
    c.store32(a + P, 2);
    expect(p.load32(a + P)).toBe(2);
    p.store32(a, 3);
    expect(c.load32(a)).toBe(3);
    expect(must(p.mm.lookupPte(a)).pfn).toBe(must(c.mm.lookupPte(a)).pfn);
    // Unmapping in one leaves the other's view intact.
    expect(p.sys.munmap(a, 2 * P)).toBe(0);
    expect(obj.users).toBe(1);
    expect(c.load32(a + P)).toBe(2);
    const free = freeFrames(k);
    expect(c.sys.munmap(a, 2 * P)).toBe(0);
    expect(obj.users).toBe(0);
    expect(freeFrames(k)).toBe(free + 2);
    k.checkInvariants();
  });

  it('MAP_PRIVATE memory is isolated across fork, both ways', () => {
    const { k, p } = setup();
    const a = map(p, 1);
    p.store32(a, 10);
    const c = p.fork();
    c.store32(a, 20);
    expect(p.load32(a)).toBe(10);
    p.store32(a, 30);
    expect(c.load32(a)).toBe(20);
    expect(p.load32(a)).toBe(30);
    const b = map(p, 1);
    p.store32(b, 5); // mapped after the fork: the child has nothing there
    expect(fault(() => c.load32(b)).siCode).toBe('SEGV_MAPERR');
    k.checkInvariants();
  });
});

// --- munmap ------------------------------------------------------------------------

describe('munmap', () => {
  it('EINVAL: addr not page aligned, length 0, or a range leaving user space', () => {
    const { p, P } = setup();
    const a = map(p, 2);
    expect(p.sys.munmap(a + 1, P)).toBe(-Errno.EINVAL);
    expect(p.sys.munmap(a, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.munmap(p.mm.taskSize - P, 2 * P)).toBe(-Errno.EINVAL);
    expect(p.sys.munmap(p.mm.taskSize + P, P)).toBe(-Errno.EINVAL);
    expect(p.sys.munmap(-0x778000000000, P)).toBe(-Errno.EINVAL); // a kernel address
    expect(p.sys.munmap(a, -P)).toBe(-Errno.EINVAL);
    expect(p.sys.munmap(Number.NaN, P)).toBe(-Errno.EINVAL);
    expect(vmas(p, a, a + 2 * P)).toHaveLength(1);
  });

  it('succeeds on a range with nothing mapped', () => {
    const { p, P } = setup();
    const count = p.mm.vmas.count;
    expect(p.sys.munmap(0x10000000, 100 * P)).toBe(0);
    expect(p.mm.vmas.count).toBe(count);
  });

  it('rounds the length up and splits VMAs at both ends of the range', () => {
    const { p, P } = setup();
    const a = map(p, 8);
    expect(p.sys.munmap(a + 2 * P, 2 * P - 100)).toBe(0); // two pages
    expect(vmas(p, a, a + 8 * P)).toEqual([
      { start: a, end: a + 2 * P, flags: ANON_RW },
      { start: a + 4 * P, end: a + 8 * P, flags: ANON_RW },
    ]);
    expect(must(p.mm.vmas.lookup(a + 4 * P)).pgoff).toBe(a / P + 4);
    expect(p.sys.munmap(a, P)).toBe(0); // the head
    expect(p.sys.munmap(a + 7 * P, P)).toBe(0); // the tail
    expect(vmas(p, a, a + 8 * P)).toEqual([
      { start: a + P, end: a + 2 * P, flags: ANON_RW },
      { start: a + 4 * P, end: a + 7 * P, flags: ANON_RW },
    ]);
    // One call across both VMAs and the hole between them.
    expect(p.sys.munmap(a, 8 * P)).toBe(0);
    expect(vmas(p, a, a + 8 * P)).toEqual([]);
  });

  it('gives every frame back, and the pages fault afterwards', () => {
    const { k, p, P } = setup();
    const free = freeFrames(k);
    const tables = p.mm.counters.pgtables;
    const totalVm = p.mm.totalVm;
    const a = map(p, 16);
    for (let i = 0; i < 16; i++) p.store32(a + i * P, i);
    expect(p.mm.counters.anon).toBe(16);
    expect(p.sys.munmap(a, 16 * P)).toBe(0);
    expect(p.mm.counters.anon).toBe(0);
    expect(p.mm.totalVm).toBe(totalVm);
    expect(freeFrames(k)).toBe(free - (p.mm.counters.pgtables - tables));
    expect(fault(() => p.load32(a + 5 * P)).siCode).toBe('SEGV_MAPERR');
    k.checkInvariants();
  });

  it('leaves no stale TLB entry: an access after munmap faults although the page was cached', () => {
    const { k, p } = setup();
    const a = map(p, 1);
    p.store32(a, 0x55);
    const tlb = must(k.vm.tlbs[0]);
    p.load32(a);
    const hits = tlb.hits;
    p.load32(a);
    p.store32(a, 0x66);
    expect(tlb.hits).toBe(hits + 2); // both served from the TLB
    expect(p.sys.munmap(a, 4096)).toBe(0);
    const e = fault(() => p.load32(a));
    expect(e.signal).toBe('SIGSEGV');
    expect(e.siCode).toBe('SEGV_MAPERR');
    expect(fault(() => p.store32(a, 1)).siCode).toBe('SEGV_MAPERR');
    // A new mapping at the same address starts from zero, not the old frame.
    expect(p.sys.mmap(a, 4096, RW, ANON | MAP_FIXED, -1, 0)).toBe(a);
    expect(p.load32(a)).toBe(0);
  });

  it('keeps a shared object alive while a piece of it is mapped', () => {
    const { k, p, P } = setup();
    const a = map(p, 4, RW, SHARED);
    const obj = must(must(p.mm.vmas.lookup(a)).backing.shared);
    for (let i = 0; i < 4; i++) p.store32(a + i * P, 100 + i);
    expect(p.sys.munmap(a + P, P)).toBe(0); // splits: two VMAs use the object
    expect(obj.users).toBe(2);
    expect(must(p.mm.vmas.lookup(a + 2 * P)).pgoff).toBe(2);
    expect(p.load32(a + 3 * P)).toBe(103);
    const free = freeFrames(k);
    expect(p.sys.munmap(a, P)).toBe(0);
    expect(obj.users).toBe(1);
    expect(freeFrames(k)).toBe(free); // the object still holds all four pages
    expect(p.sys.munmap(a + 2 * P, 2 * P)).toBe(0);
    expect(obj.users).toBe(0);
    expect(freeFrames(k)).toBe(free + 4);
    k.checkInvariants();
  });

  it('ENOMEM: a hole in the middle of a VMA at vm.max_map_count', () => {
    const { p, P } = setup();
    const a = map(p, 4);
    vmTunables(p.vm).maxMapCount = p.mm.vmas.count;
    expect(p.sys.munmap(a + P, P)).toBe(-Errno.ENOMEM);
    expect(vmas(p, a, a + 4 * P)).toEqual([{ start: a, end: a + 4 * P, flags: ANON_RW }]);
    expect(p.sys.munmap(a, P)).toBe(0); // a head or tail needs no new VMA
    expect(p.sys.munmap(a + 3 * P, P)).toBe(0);
  });
});

// --- mprotect ------------------------------------------------------------------------

describe('mprotect', () => {
  it('splits a VMA and merges it back when the protections match again', () => {
    const { p, P } = setup();
    const a = map(p, 4);
    expect(p.sys.mprotect(a + P, 2 * P, PROT_READ)).toBe(0);
    // Never written: the read-only part gives its overcommit charge back.
    expect(vmas(p, a, a + 4 * P)).toEqual([
      { start: a, end: a + P, flags: ANON_RW },
      { start: a + P, end: a + 3 * P, flags: VM_READ | MAY },
      { start: a + 3 * P, end: a + 4 * P, flags: ANON_RW },
    ]);
    expect(p.sys.mprotect(a + P, P, RW)).toBe(0); // merges with the left part
    expect(vmas(p, a, a + 4 * P)).toEqual([
      { start: a, end: a + 2 * P, flags: ANON_RW },
      { start: a + 2 * P, end: a + 3 * P, flags: VM_READ | MAY },
      { start: a + 3 * P, end: a + 4 * P, flags: ANON_RW },
    ]);
    expect(p.sys.mprotect(a + 2 * P, P, RW)).toBe(0); // merges with both
    expect(vmas(p, a, a + 4 * P)).toEqual([{ start: a, end: a + 4 * P, flags: ANON_RW }]);
  });

  it('keeps VM_ACCOUNT on memory that had pages written', () => {
    const { p, P } = setup();
    const a = map(p, 2);
    p.store8(a, 1);
    expect(p.sys.mprotect(a + P, P, PROT_READ)).toBe(0);
    expect(must(p.mm.vmas.lookup(a + P)).flags).toBe(VM_READ | MAY | VM_ACCOUNT);
  });

  it('write-protects present pages: a store faults even after the TLB cached a writable entry', () => {
    const { k, p } = setup();
    const a = map(p, 1);
    p.store32(a, 42);
    const tlb = must(k.vm.tlbs[0]);
    const hits = tlb.hits;
    p.store32(a, 43);
    expect(tlb.hits).toBe(hits + 1);
    expect(p.sys.mprotect(a, 4096, PROT_READ)).toBe(0);
    expect(must(p.mm.lookupPte(a)).flags & PTE_WRITE).toBe(0);
    expect(must(p.mm.lookupPte(a)).flags & PTE_DIRTY).toBe(PTE_DIRTY); // dirtiness is kept
    expect(fault(() => p.store32(a, 44)).siCode).toBe('SEGV_ACCERR');
    expect(p.load32(a)).toBe(43);
  });

  it('PROT_NONE takes every access away, and restoring keeps the data in the same frame', () => {
    const { p } = setup();
    const a = map(p, 1);
    p.store32(a, 7);
    p.load32(a);
    const pfn = must(p.mm.lookupPte(a)).pfn;
    expect(p.sys.mprotect(a, 4096, PROT_NONE)).toBe(0);
    expect(must(p.mm.lookupPte(a)).flags & PTE_USER).toBe(0);
    expect(fault(() => p.load32(a)).siCode).toBe('SEGV_ACCERR');
    expect(fault(() => p.store32(a, 1)).siCode).toBe('SEGV_ACCERR');
    expect(p.sys.mprotect(a, 4096, RW)).toBe(0);
    expect(p.load32(a)).toBe(7);
    p.store32(a, 8); // a write fault that reuses the frame: this mapping is its only user
    expect(must(p.mm.lookupPte(a)).pfn).toBe(pfn);
    expect(p.load32(a)).toBe(8);
  });

  it('adding write keeps copy-on-write after fork: each side gets its own copy on its next write', () => {
    const { k, p } = setup();
    const a = map(p, 1);
    p.store32(a, 1);
    const c = p.fork();
    expect(p.sys.mprotect(a, 4096, PROT_READ)).toBe(0);
    expect(p.sys.mprotect(a, 4096, RW)).toBe(0);
    p.store32(a, 2);
    expect(c.load32(a)).toBe(1);
    c.store32(a, 3);
    expect(p.load32(a)).toBe(2);
    k.checkInvariants();
  });

  it('changes shared memory in this process only', () => {
    const { p } = setup();
    const a = map(p, 1, RW, SHARED);
    p.store32(a, 1);
    const c = p.fork();
    expect(p.sys.mprotect(a, 4096, PROT_READ)).toBe(0);
    expect(fault(() => p.store32(a, 2)).siCode).toBe('SEGV_ACCERR');
    c.store32(a, 3);
    expect(p.load32(a)).toBe(3);
    expect(p.sys.mprotect(a, 4096, RW)).toBe(0);
    p.store32(a, 4);
    expect(c.load32(a)).toBe(4);
  });

  it('spans several adjacent VMAs, whose changed parts merge when they come to match', () => {
    const { p, P } = setup();
    const a = map(p, 2, PROT_READ);
    const b = map(p, 2, RW, ANON | MAP_FIXED, a + 2 * P);
    expect(b).toBe(a + 2 * P);
    expect(vmas(p, a, a + 4 * P)).toHaveLength(2);
    // b's part, never written, gives its charge back and matches a's part: one VMA.
    expect(p.sys.mprotect(a + P, 2 * P, PROT_READ | PROT_EXEC)).toBe(0);
    expect(vmas(p, a, a + 4 * P)).toEqual([
      { start: a, end: a + P, flags: VM_READ | MAY },
      { start: a + P, end: a + 3 * P, flags: VM_READ | VM_EXEC | MAY },
      { start: a + 3 * P, end: a + 4 * P, flags: ANON_RW },
    ]);
    // A written page keeps VM_ACCOUNT (the anon_vma exists): no merge then.
    p.store8(a + 3 * P, 1);
    expect(p.sys.mprotect(a + 3 * P, P, PROT_READ | PROT_EXEC)).toBe(0);
    expect(vmas(p, a, a + 4 * P)).toEqual([
      { start: a, end: a + P, flags: VM_READ | MAY },
      { start: a + P, end: a + 3 * P, flags: VM_READ | VM_EXEC | MAY },
      { start: a + 3 * P, end: a + 4 * P, flags: VM_READ | VM_EXEC | MAY | VM_ACCOUNT },
    ]);
    expect(p.load8(a + 3 * P)).toBe(1);
  });

  it('len 0 succeeds and does nothing, even where nothing is mapped', () => {
    const { p } = setup();
    expect(p.sys.mprotect(0x10000000, 0, PROT_READ)).toBe(0);
  });

  it('EINVAL: addr not page aligned', () => {
    const { p } = setup();
    const a = map(p, 1);
    expect(p.sys.mprotect(a + 8, 4096, PROT_READ)).toBe(-Errno.EINVAL);
  });

  it('EINVAL: invalid flags in prot, and both PROT_GROWSUP and PROT_GROWSDOWN', () => {
    const { p } = setup();
    const a = map(p, 1);
    expect(p.sys.mprotect(a, 4096, 0x100)).toBe(-Errno.EINVAL);
    expect(p.sys.mprotect(a, 4096, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP)).toBe(-Errno.EINVAL);
    expect(p.sys.mprotect(a, 4096, 1.5)).toBe(-Errno.EINVAL);
    expect(must(p.mm.vmas.lookup(a)).flags).toBe(ANON_RW);
  });

  it('PROT_GROWSDOWN extends the change to the start of a growing-down mapping; EINVAL on others and for PROT_GROWSUP', () => {
    const { p, P } = setup();
    const stack = must(p.mm.vmas.lookup(p.mm.startStack));
    const top = stack.end;
    p.store32(top - 4, 1); // the stack has a page written, as after exec
    expect(p.sys.mprotect(top - 2 * P, P, PROT_READ | PROT_GROWSDOWN)).toBe(0);
    expect(vmas(p, stack.start, top)).toEqual([
      { start: top - 32 * P, end: top - P, flags: VM_READ | MAY | VM_GROWSDOWN | VM_ACCOUNT },
      { start: top - P, end: top, flags: ANON_RW | VM_GROWSDOWN },
    ]);
    const a = map(p, 2);
    expect(p.sys.mprotect(a + P, P, PROT_READ | PROT_GROWSDOWN)).toBe(-Errno.EINVAL);
    expect(p.sys.mprotect(a, P, PROT_READ | PROT_GROWSUP)).toBe(-Errno.EINVAL);
  });

  it('ENOMEM: a range that is not wholly mapped, with nothing changed', () => {
    const { p, P } = setup();
    const a = map(p, 4);
    expect(p.sys.munmap(a + 2 * P, P)).toBe(0);
    p.store32(a, 1);
    expect(p.sys.mprotect(a, 4 * P, PROT_READ)).toBe(-Errno.ENOMEM);
    expect(vmas(p, a, a + 4 * P)).toEqual([
      { start: a, end: a + 2 * P, flags: ANON_RW },
      { start: a + 3 * P, end: a + 4 * P, flags: ANON_RW },
    ]);
    p.store32(a, 2); // still writable
    expect(p.sys.mprotect(a - P, 2 * P, PROT_READ)).toBe(-Errno.ENOMEM); // starts unmapped
    expect(p.sys.mprotect(p.mm.taskSize, P, PROT_READ)).toBe(-Errno.ENOMEM); // outside user space
    expect(p.sys.mprotect(a, -P, PROT_READ)).toBe(-Errno.ENOMEM); // wraps
  });

  it('EACCES: PROT_WRITE on memory that may not become writable (no VM_MAYWRITE)', () => {
    const { p, P } = setup();
    const a = map(p, 2, PROT_READ);
    const b = map(p, 1, PROT_EXEC, ANON | MAP_FIXED, a + 2 * P);
    // As a read-only file mapping would be (files come later): drop VM_MAYWRITE by hand.
    const vma = must(p.mm.vmas.lookup(b));
    vma.flags &= ~VM_MAYWRITE;
    expect(p.sys.mprotect(a, 3 * P, RW)).toBe(-Errno.EACCES);
    expect(vmas(p, a, a + 3 * P)).toEqual([
      { start: a, end: a + 2 * P, flags: VM_READ | MAY },
      { start: b, end: b + P, flags: VM_EXEC | VM_MAYREAD | VM_MAYEXEC },
    ]);
    expect(p.sys.mprotect(b, P, PROT_READ | PROT_EXEC)).toBe(0);
  });

  it('ENOMEM: making more memory private and writable than RAM and swap hold', () => {
    const { p } = setup();
    const big = 64 * 2 ** 20;
    const a = p.sys.mmap(0, big, PROT_READ, ANON, -1, 0);
    expect(p.sys.mprotect(a, big, RW)).toBe(-Errno.ENOMEM);
    expect(p.sys.mprotect(a, 2 ** 20, RW)).toBe(0);
  });

  it('ENOMEM: splitting beyond vm.max_map_count, with every VMA left as it was', () => {
    const { p, P } = setup();
    const a = map(p, 4, PROT_READ);
    const b = map(p, 4, RW, ANON | MAP_FIXED, a + 4 * P);
    p.store8(b, 1); // b keeps VM_ACCOUNT, so its PROT_NONE part cannot join a's
    vmTunables(p.vm).maxMapCount = p.mm.vmas.count + 1;
    const before = vmas(p, a, a + 8 * P);
    // Needs two more VMAs: a split in a (allowed), then one in b (one too many).
    expect(p.sys.mprotect(a + P, 5 * P, PROT_NONE)).toBe(-Errno.ENOMEM);
    expect(vmas(p, a, a + 8 * P)).toEqual(before);
    expect(p.sys.mprotect(a + P, 7 * P, PROT_NONE)).toBe(0); // one more: allowed
    expect(vmas(p, a, a + 8 * P)).toEqual([
      { start: a, end: a + P, flags: VM_READ | MAY },
      { start: a + P, end: a + 4 * P, flags: MAY },
      { start: b, end: b + 4 * P, flags: MAY | VM_ACCOUNT },
    ]);
  });

  it('ENOMEM at the real vm.max_map_count (65530)', () => {
    const { p, P } = setup();
    expect(vmTunables(p.vm).maxMapCount).toBe(DEFAULT_MAX_MAP_COUNT);
    const n = 66000;
    const a = p.sys.mmap(0, n * P, PROT_READ, ANON, -1, 0);
    let i = 1;
    let r = 0;
    for (; i < n; i += 2) {
      r = p.sys.mprotect(a + i * P, P, RW);
      if (r !== 0) break;
    }
    expect(r).toBe(-Errno.ENOMEM);
    expect(p.mm.vmas.count).toBeLessThanOrEqual(DEFAULT_MAX_MAP_COUNT);
    expect(p.mm.vmas.count).toBeGreaterThan(DEFAULT_MAX_MAP_COUNT - 2);
  });
});

// --- madvise ----------------------------------------------------------------------------

describe('madvise', () => {
  it('EINVAL: an unknown advice, an unaligned addr, a negative length', () => {
    const { p, P } = setup();
    const a = map(p, 1);
    expect(p.sys.madvise(a, P, 999)).toBe(-Errno.EINVAL);
    expect(p.sys.madvise(a, P, 14)).toBe(-Errno.EINVAL); // MADV_HUGEPAGE: no THP here
    expect(p.sys.madvise(a, P, 12)).toBe(-Errno.EINVAL); // MADV_MERGEABLE: no KSM here
    expect(p.sys.madvise(a + 1, P, MADV_DONTNEED)).toBe(-Errno.EINVAL);
    expect(p.sys.madvise(a, -1, MADV_DONTNEED)).toBe(-Errno.EINVAL);
    expect(p.sys.madvise(a, -P, MADV_DONTNEED)).toBe(-Errno.EINVAL);
  });

  it('a zero length succeeds: madvise(0, 0, advice) probes for the advice', () => {
    const { p } = setup();
    expect(p.sys.madvise(0, 0, MADV_DONTNEED)).toBe(0);
    expect(p.sys.madvise(0, 0, MADV_FREE)).toBe(0);
  });

  it('MADV_DONTNEED: private anonymous memory reads back as zero, its frames freed', () => {
    const { k, p, P } = setup();
    const a = map(p, 4);
    for (let i = 0; i < 4; i++) p.store32(a + i * P, 0xabc);
    p.load32(a); // in the TLB
    const free = freeFrames(k);
    expect(p.sys.madvise(a, 3 * P, MADV_DONTNEED)).toBe(0);
    expect(freeFrames(k)).toBe(free + 3);
    expect(p.load32(a)).toBe(0);
    expect(p.load32(a + 2 * P)).toBe(0);
    expect(p.load32(a + 3 * P)).toBe(0xabc);
    expect(vmas(p, a, a + 4 * P)).toEqual([{ start: a, end: a + 4 * P, flags: ANON_RW }]);
    k.checkInvariants();
  });

  it('MADV_DONTNEED: shared anonymous memory keeps its data', () => {
    const { p } = setup();
    const a = map(p, 1, RW, SHARED);
    p.store32(a, 99);
    const rss = p.mm.rss;
    expect(p.sys.madvise(a, 4096, MADV_DONTNEED)).toBe(0);
    expect(p.mm.rss).toBe(rss - 1);
    expect(p.load32(a)).toBe(99);
  });

  it('ENOMEM: unmapped parts, with the advice still applied to the mapped parts', () => {
    const { p, P } = setup();
    const a = map(p, 3);
    for (let i = 0; i < 3; i++) p.store32(a + i * P, 5);
    expect(p.sys.munmap(a + P, P)).toBe(0);
    expect(p.sys.madvise(a - P, 4 * P, MADV_DONTNEED)).toBe(-Errno.ENOMEM);
    expect(p.load32(a)).toBe(0);
    expect(p.load32(a + 2 * P)).toBe(0);
    expect(p.sys.madvise(a, 3 * P, MADV_RANDOM)).toBe(-Errno.ENOMEM);
    expect(must(p.mm.vmas.lookup(a + 2 * P)).flags & VM_RAND_READ).toBe(VM_RAND_READ);
    expect(p.sys.madvise(0x10000000, P, MADV_NORMAL)).toBe(-Errno.ENOMEM);
  });

  it('EINVAL: MADV_DONTNEED on locked memory; MADV_DONTNEED_LOCKED drops it', () => {
    const { p } = setup();
    const a = map(p, 1, RW, ANON | MAP_LOCKED);
    p.store32(a, 3);
    expect(p.sys.madvise(a, 4096, MADV_DONTNEED)).toBe(-Errno.EINVAL);
    expect(p.load32(a)).toBe(3);
    expect(p.sys.madvise(a, 4096, MADV_DONTNEED_LOCKED)).toBe(0);
    expect(p.load32(a)).toBe(0);
  });

  it('MADV_FREE marks private pages lazily freeable: clean, not swap-backed, data kept until reclaimed', () => {
    const { k, p, P } = setup();
    const a = map(p, 2);
    p.store32(a, 11);
    p.store32(a + P, 12);
    const pfn = must(p.mm.lookupPte(a)).pfn;
    expect(k.memMap.testFlag(pfn, PG.swapbacked)).toBe(true);
    expect(p.sys.madvise(a, 2 * P, MADV_FREE)).toBe(0);
    expect(must(p.mm.lookupPte(a)).flags & PTE_DIRTY).toBe(0);
    expect(k.memMap.testFlag(pfn, PG.swapbacked)).toBe(false);
    expect(p.load32(a)).toBe(11);
    p.store32(a, 13); // a write re-dirties the page: it can no longer be dropped
    expect(must(p.mm.lookupPte(a)).flags & PTE_DIRTY).toBe(PTE_DIRTY);
    expect(p.load32(a)).toBe(13);
    expect(p.load32(a + P)).toBe(12);
  });

  it('MADV_FREE leaves pages shared with a child alone', () => {
    const { k, p } = setup();
    const a = map(p, 1);
    p.store32(a, 1);
    p.fork();
    const pfn = must(p.mm.lookupPte(a)).pfn;
    expect(p.sys.madvise(a, 4096, MADV_FREE)).toBe(0);
    expect(k.memMap.testFlag(pfn, PG.swapbacked)).toBe(true);
  });

  it('EINVAL: MADV_FREE on shared memory', () => {
    const { p } = setup();
    const a = map(p, 1, RW, SHARED);
    expect(p.sys.madvise(a, 4096, MADV_FREE)).toBe(-Errno.EINVAL);
  });

  it('MADV_WILLNEED succeeds and maps nothing (anonymous read-ahead is swap-in only)', () => {
    const { p, P } = setup();
    const a = map(p, 4);
    expect(p.sys.madvise(a, 4 * P, MADV_WILLNEED)).toBe(0);
    expect(p.mm.lookupPte(a)).toBeNull();
    expect(p.sys.madvise(a, 5 * P, MADV_WILLNEED)).toBe(-Errno.ENOMEM);
  });

  it('MADV_RANDOM, MADV_SEQUENTIAL and MADV_NORMAL set the read-ahead flags, splitting and merging', () => {
    const { p, P } = setup();
    const a = map(p, 4);
    expect(p.sys.madvise(a + P, P, MADV_RANDOM)).toBe(0);
    expect(p.sys.madvise(a + 2 * P, P, MADV_SEQUENTIAL)).toBe(0);
    expect(vmas(p, a, a + 4 * P)).toEqual([
      { start: a, end: a + P, flags: ANON_RW },
      { start: a + P, end: a + 2 * P, flags: ANON_RW | VM_RAND_READ },
      { start: a + 2 * P, end: a + 3 * P, flags: ANON_RW | VM_SEQ_READ },
      { start: a + 3 * P, end: a + 4 * P, flags: ANON_RW },
    ]);
    expect(p.sys.madvise(a + P, P, MADV_SEQUENTIAL)).toBe(0); // joins its right neighbour
    expect(vmas(p, a, a + 4 * P)).toEqual([
      { start: a, end: a + P, flags: ANON_RW },
      { start: a + P, end: a + 3 * P, flags: ANON_RW | VM_SEQ_READ },
      { start: a + 3 * P, end: a + 4 * P, flags: ANON_RW },
    ]);
    expect(p.sys.madvise(a, 4 * P, MADV_NORMAL)).toBe(0);
    expect(vmas(p, a, a + 4 * P)).toEqual([{ start: a, end: a + 4 * P, flags: ANON_RW }]);
  });

  it('MADV_DONTFORK keeps the range from children; MADV_DOFORK undoes it', () => {
    const { p, P } = setup();
    const a = map(p, 2);
    p.store32(a, 1);
    p.store32(a + P, 2);
    expect(p.sys.madvise(a, P, MADV_DONTFORK)).toBe(0);
    expect(must(p.mm.vmas.lookup(a)).flags).toBe(ANON_RW | VM_DONTCOPY);
    const c = p.fork();
    expect(fault(() => c.load32(a)).siCode).toBe('SEGV_MAPERR');
    expect(c.load32(a + P)).toBe(2);
    expect(p.sys.madvise(a, P, MADV_DOFORK)).toBe(0);
    expect(vmas(p, a, a + 2 * P)).toEqual([{ start: a, end: a + 2 * P, flags: ANON_RW }]);
    expect(p.fork().load32(a)).toBe(1);
  });

  it('MADV_REMOVE frees a shared object’s pages in every process: they read back as zero', () => {
    const { k, p, P } = setup();
    const a = map(p, 3, RW, SHARED);
    for (let i = 0; i < 3; i++) p.store32(a + i * P, 7);
    const c = p.fork();
    expect(c.load32(a + P)).toBe(7);
    const free = freeFrames(k);
    expect(p.sys.madvise(a + P, 2 * P, MADV_REMOVE)).toBe(0);
    expect(freeFrames(k)).toBe(free + 2);
    expect(c.load32(a + P)).toBe(0);
    expect(p.load32(a + 2 * P)).toBe(0);
    expect(p.load32(a)).toBe(7);
    k.checkInvariants();
  });

  it('EINVAL: MADV_REMOVE on private memory or locked memory', () => {
    const { p } = setup();
    expect(p.sys.madvise(map(p, 1), 4096, MADV_REMOVE)).toBe(-Errno.EINVAL);
    expect(p.sys.madvise(map(p, 1, RW, SHARED | MAP_LOCKED), 4096, MADV_REMOVE)).toBe(
      -Errno.EINVAL,
    );
  });

  it('EACCES: MADV_REMOVE on a mapping that is not shared and writable', () => {
    const { p } = setup();
    const a = map(p, 1, RW, SHARED);
    must(p.mm.vmas.lookup(a)).flags &= ~VM_MAYWRITE; // as a read-only shared file mapping
    expect(p.sys.madvise(a, 4096, MADV_REMOVE)).toBe(-Errno.EACCES);
  });

  it('MADV_COLD and MADV_PAGEOUT succeed and keep the data; EINVAL on locked memory', () => {
    const { p } = setup();
    const a = map(p, 1);
    p.store32(a, 4);
    expect(p.sys.madvise(a, 4096, MADV_COLD)).toBe(0);
    expect(p.sys.madvise(a, 4096, MADV_PAGEOUT)).toBe(0);
    expect(p.load32(a)).toBe(4);
    const l = map(p, 1, RW, ANON | MAP_LOCKED);
    expect(p.sys.madvise(l, 4096, MADV_COLD)).toBe(-Errno.EINVAL);
    expect(p.sys.madvise(l, 4096, MADV_PAGEOUT)).toBe(-Errno.EINVAL);
  });

  it('MADV_POPULATE_READ and MADV_POPULATE_WRITE prefault, reporting what MAP_POPULATE hides', () => {
    const { k, p, P } = setup();
    const a = map(p, 4);
    expect(p.sys.madvise(a, 2 * P, MADV_POPULATE_READ)).toBe(0);
    expect(must(p.mm.lookupPte(a)).pfn).toBe(k.vm.zeroPfn);
    expect(p.sys.madvise(a, 4 * P, MADV_POPULATE_WRITE)).toBe(0);
    expect(p.mm.counters.anon).toBe(4);
    const ro = map(p, 1, PROT_READ);
    expect(p.sys.madvise(ro, P, MADV_POPULATE_WRITE)).toBe(-Errno.EINVAL);
    const none = map(p, 1, PROT_NONE);
    expect(p.sys.madvise(none, P, MADV_POPULATE_READ)).toBe(-Errno.EINVAL);
    expect(p.sys.madvise(0x10000000, P, MADV_POPULATE_READ)).toBe(-Errno.ENOMEM);
  });

  it('EFAULT: MADV_POPULATE_READ where the fault would raise SIGBUS', () => {
    const { p, P } = setup();
    // A file mapping faults SIGBUS until the file layer exists; stand one in by hand.
    const va = 0x30000000;
    p.mm.vmas.insert(new Vma(va, va + P, VM_READ | VM_MAYREAD, 0, { file: {}, shared: null }));
    p.mm.totalVm += 1;
    expect(p.sys.madvise(va, P, MADV_POPULATE_READ)).toBe(-Errno.EFAULT);
  });

  it('EAGAIN: splitting beyond vm.max_map_count', () => {
    const { p, P } = setup();
    const a = map(p, 3);
    vmTunables(p.vm).maxMapCount = p.mm.vmas.count + 1;
    expect(p.sys.madvise(a + P, P, MADV_RANDOM)).toBe(-Errno.EAGAIN);
    expect(vmas(p, a, a + 3 * P)).toEqual([{ start: a, end: a + 3 * P, flags: ANON_RW }]);
    expect(p.sys.madvise(a, P, MADV_RANDOM)).toBe(0);
  });
});

// --- mremap ---------------------------------------------------------------------------------

describe('mremap', () => {
  it('shrinks in place, unmapping the tail (which may span several VMAs)', () => {
    const { k, p, P } = setup();
    const a = map(p, 4);
    const b = map(p, 2, PROT_READ, ANON | MAP_FIXED, a + 4 * P);
    expect(b).toBe(a + 4 * P);
    for (let i = 0; i < 4; i++) p.store32(a + i * P, i + 1);
    const free = freeFrames(k);
    expect(p.sys.mremap(a, 6 * P, P, 0)).toBe(a);
    expect(freeFrames(k)).toBe(free + 3);
    expect(vmas(p, a, a + 6 * P)).toEqual([{ start: a, end: a + P, flags: ANON_RW }]);
    expect(p.load32(a)).toBe(1);
    expect(fault(() => p.load32(a + P)).siCode).toBe('SEGV_MAPERR');
    expect(p.sys.mremap(a, P, P, 0)).toBe(a);
  });

  it('grows in place when the space after the mapping is free, merging with a matching next VMA', () => {
    const { p, P } = setup();
    const a = map(p, 2, RW, ANON, 0x20000000);
    expect(a).toBe(0x20000000);
    p.store32(a, 5);
    const totalVm = p.mm.totalVm;
    expect(p.sys.mremap(a, 2 * P, 3 * P, 0)).toBe(a);
    expect(vmas(p, a, a + 3 * P)).toEqual([{ start: a, end: a + 3 * P, flags: ANON_RW }]);
    expect(p.mm.totalVm).toBe(totalVm + 1);
    expect(p.load32(a)).toBe(5);
    expect(p.load32(a + 2 * P)).toBe(0);
    const c = map(p, 2, RW, ANON | MAP_FIXED, a + 5 * P);
    expect(p.sys.mremap(a, 3 * P, 5 * P, 0)).toBe(a); // now touching c: one VMA
    expect(vmas(p, a, c + 2 * P)).toEqual([{ start: a, end: c + 2 * P, flags: ANON_RW }]);
  });

  it('ENOMEM: cannot grow in place without MREMAP_MAYMOVE', () => {
    const { p, P } = setup();
    const a = map(p, 2, RW, ANON, 0x20000000);
    map(p, 1, PROT_READ, ANON | MAP_FIXED, a + 2 * P);
    expect(p.sys.mremap(a, 2 * P, 4 * P, 0)).toBe(-Errno.ENOMEM);
    expect(vmas(p, a, a + 2 * P)).toEqual([{ start: a, end: a + 2 * P, flags: ANON_RW }]);
  });

  it('moves with MREMAP_MAYMOVE: the same frames at the new address, none copied, the old address faults', () => {
    const { k, p, P } = setup();
    const a = map(p, 2, RW, ANON, 0x20000000);
    map(p, 1, PROT_READ, ANON | MAP_FIXED, a + 2 * P);
    p.store32(a, 11);
    p.store32(a + P, 12);
    p.load32(a); // cached
    const pfns = [must(p.mm.lookupPte(a)).pfn, must(p.mm.lookupPte(a + P)).pfn];
    const free = freeFrames(k);
    const tables = p.mm.counters.pgtables;
    const rss = p.mm.rss;
    const totalVm = p.mm.totalVm;
    const n = p.sys.mremap(a, 2 * P, 4 * P, MREMAP_MAYMOVE);
    expect(n).toBeGreaterThan(0);
    expect(n).not.toBe(a);
    expect(vmas(p, n, n + 4 * P)).toEqual([{ start: n, end: n + 4 * P, flags: ANON_RW }]);
    expect(must(p.mm.vmas.lookup(n)).pgoff).toBe(a / P); // page offsets travel with the pages
    expect([must(p.mm.lookupPte(n)).pfn, must(p.mm.lookupPte(n + P)).pfn]).toEqual(pfns);
    expect(p.mm.rss).toBe(rss);
    expect(p.mm.totalVm).toBe(totalVm + 2);
    expect(freeFrames(k)).toBe(free - (p.mm.counters.pgtables - tables));
    expect(p.load32(n)).toBe(11);
    expect(p.load32(n + P)).toBe(12);
    expect(p.load32(n + 3 * P)).toBe(0);
    expect(fault(() => p.load32(a)).siCode).toBe('SEGV_MAPERR');
    p.store32(n, 13);
    expect(must(p.mm.lookupPte(n)).pfn).toBe(pfns[0]);
  });

  it('moves copy-on-write pages shared with a child without disturbing the child', () => {
    const { p, P } = setup();
    const a = map(p, 1);
    p.store32(a, 1);
    const c = p.fork();
    const n = p.sys.mremap(a, P, 2 * P, MREMAP_MAYMOVE);
    expect(n).toBeGreaterThan(0);
    expect(p.load32(n)).toBe(1);
    p.store32(n, 2); // copy on write
    expect(c.load32(a)).toBe(1);
    expect(p.load32(n)).toBe(2);
  });

  it('MREMAP_FIXED moves to the given address, unmapping what was in the new range', () => {
    const { k, p, P } = setup();
    const a = map(p, 2);
    p.store32(a, 21);
    const dst = 0x30000000;
    const d = map(p, 3, RW, ANON | MAP_FIXED, dst);
    for (let i = 0; i < 3; i++) p.store32(d + i * P, 99);
    const free = freeFrames(k);
    expect(p.sys.mremap(a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst)).toBe(dst);
    expect(freeFrames(k)).toBe(free + 2); // two of d's frames; a's frame moved
    expect(p.load32(dst)).toBe(21);
    expect(p.load32(dst + P)).toBe(0);
    expect(p.load32(dst + 2 * P)).toBe(99); // beyond the new range: untouched
    expect(fault(() => p.load32(a)).siCode).toBe('SEGV_MAPERR');
  });

  it('EINVAL: MREMAP_FIXED without MREMAP_MAYMOVE, an unaligned or out-of-range new address, overlapping ranges', () => {
    const { p, P } = setup();
    const a = map(p, 2);
    const dst = 0x30000000;
    expect(p.sys.mremap(a, P, P, MREMAP_FIXED, dst)).toBe(-Errno.EINVAL);
    expect(p.sys.mremap(a, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 1)).toBe(-Errno.EINVAL);
    expect(p.sys.mremap(a, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, p.mm.taskSize)).toBe(-Errno.EINVAL);
    expect(p.sys.mremap(a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, a + P)).toBe(-Errno.EINVAL);
  });

  it('MREMAP_DONTUNMAP moves the pages and leaves the old range mapped and empty', () => {
    const { p, P } = setup();
    const a = map(p, 2, RW, ANON | MAP_LOCKED);
    p.store32(a, 31);
    const n = p.sys.mremap(a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
    expect(n).toBeGreaterThan(0);
    expect(p.load32(n)).toBe(31);
    expect(vmas(p, a, a + 2 * P)).toEqual([{ start: a, end: a + 2 * P, flags: ANON_RW }]);
    expect(must(p.mm.vmas.lookup(n)).flags).toBe(ANON_RW | VM_LOCKED);
    expect(p.load32(a)).toBe(0);
  });

  it('EINVAL: MREMAP_DONTUNMAP without MREMAP_MAYMOVE or with a size change', () => {
    const { p, P } = setup();
    const a = map(p, 2);
    expect(p.sys.mremap(a, P, P, MREMAP_DONTUNMAP)).toBe(-Errno.EINVAL);
    expect(p.sys.mremap(a, P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP)).toBe(-Errno.EINVAL);
  });

  it('EINVAL: unknown flags, an unaligned old address, a new size of 0, duplicating a private mapping', () => {
    const { p, P } = setup();
    const a = map(p, 2);
    expect(p.sys.mremap(a, P, P, 8)).toBe(-Errno.EINVAL);
    expect(p.sys.mremap(a + 1, P, P, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.mremap(a, P, 0, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.mremap(a, 0, P, MREMAP_MAYMOVE)).toBe(-Errno.EINVAL);
    expect(p.sys.mremap(Number.NaN, P, P, 0)).toBe(-Errno.EINVAL);
  });

  it('EFAULT: nothing mapped at the old address, or an old range leaving its VMA', () => {
    const { p, P } = setup();
    const a = map(p, 2, RW, ANON, 0x20000000);
    map(p, 2, PROT_READ, ANON | MAP_FIXED, a + 2 * P);
    expect(p.sys.mremap(0x10000000, P, 2 * P, MREMAP_MAYMOVE)).toBe(-Errno.EFAULT);
    expect(p.sys.mremap(a, 3 * P, 5 * P, MREMAP_MAYMOVE)).toBe(-Errno.EFAULT);
  });

  it('an old size of 0 maps the same shared pages a second time', () => {
    const { p, P } = setup();
    const a = map(p, 2, RW, SHARED);
    p.store32(a + P, 41);
    const obj = must(must(p.mm.vmas.lookup(a)).backing.shared);
    const b = p.sys.mremap(a, 0, 2 * P, MREMAP_MAYMOVE);
    expect(b).toBeGreaterThan(0);
    expect(b).not.toBe(a);
    expect(obj.users).toBe(2);
    expect(p.load32(b + P)).toBe(41);
    p.store32(b, 42);
    expect(p.load32(a)).toBe(42);
    expect(p.sys.mremap(a, 0, 2 * P, 0)).toBe(-Errno.ENOMEM); // a new mapping needs MREMAP_MAYMOVE
  });

  it('a shared anonymous mapping grows past its object, whose pages end there (SIGBUS beyond)', () => {
    const { p, P } = setup();
    const a = map(p, 2, RW, SHARED);
    p.store32(a + P, 7);
    const b = p.sys.mremap(a, 2 * P, 3 * P, MREMAP_MAYMOVE);
    expect(b).toBeGreaterThan(0);
    expect(p.load32(b + P)).toBe(7);
    expect(fault(() => p.load32(b + 2 * P)).signal).toBe('SIGBUS');
    expect(p.sys.mremap(b, 3 * P, P, 0)).toBe(b); // shrinking is fine
  });

  it('EAGAIN: growing a locked mapping beyond RLIMIT_MEMLOCK; a locked mapping’s new part is populated', () => {
    const { p, P } = setup();
    const MiB = 2 ** 20;
    const a = p.sys.mmap(0x20000000, 4 * MiB, RW, ANON | MAP_LOCKED, -1, 0);
    expect(a).toBe(0x20000000);
    expect(p.sys.mremap(a, 4 * MiB, 16 * MiB, MREMAP_MAYMOVE)).toBe(-Errno.EAGAIN);
    const anon = p.mm.counters.anon;
    expect(p.sys.mremap(a, 4 * MiB, 4 * MiB + 2 * P, 0)).toBe(a);
    expect(p.mm.counters.anon).toBe(anon + 2);
  });

  it('ENOMEM: a move too close to vm.max_map_count', () => {
    const { p, P } = setup();
    const a = map(p, 1);
    vmTunables(p.vm).maxMapCount = p.mm.vmas.count + 5;
    expect(p.sys.mremap(a, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, 0x30000000)).toBe(-Errno.ENOMEM);
    vmTunables(p.vm).maxMapCount = p.mm.vmas.count + 6;
    expect(p.sys.mremap(a, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, 0x30000000)).toBe(0x30000000);
  });

  it('libc mremap returns MAP_FAILED with errno', () => {
    const { p, P } = setup();
    expect(p.libc.mremap(0x10000000, P, P, 0)).toBe(MAP_FAILED);
    expect(p.libc.errno).toBe(Errno.EFAULT);
    const a = p.libc.mmap(0, P, RW, ANON, -1, 0);
    expect(p.libc.mremap(a, P, P, 0)).toBe(a);
  });
});

// --- brk -------------------------------------------------------------------------------------

describe('brk', () => {
  it('brk(0) and a break below the heap start return the current break', () => {
    const { p } = setup();
    const start = p.mm.startBrk;
    expect(p.sys.brk(0)).toBe(start);
    expect(p.sys.brk(start - 1)).toBe(start);
    expect(p.sys.brk(Number.NaN)).toBe(start);
    expect(p.sys.brk(-4096)).toBe(start); // far beyond user space
    expect(p.mm.brk).toBe(start);
  });

  it('grows a [heap] VMA, keeps the exact break, and extends the same VMA', () => {
    const { p, P } = setup();
    const start = p.mm.startBrk;
    const totalVm = p.mm.totalVm;
    expect(p.sys.brk(start + 100)).toBe(start + 100);
    expect(p.mm.brk).toBe(start + 100);
    const heap = must(p.mm.vmas.lookup(start));
    expect(heap.name).toBe('[heap]');
    expect(heap.flags).toBe(BRK_VM_FLAGS);
    expect(BRK_VM_FLAGS).toBe(VM_READ | VM_WRITE | MAY | VM_ACCOUNT);
    expect([heap.start, heap.end]).toEqual([start, start + P]);
    p.store32(start + 96, 5);
    expect(p.sys.brk(start + 200)).toBe(start + 200); // the same page: only the break moves
    expect(p.sys.brk(start + 3 * P + 1)).toBe(start + 3 * P + 1);
    expect(p.mm.vmas.lookup(start + 3 * P)).toBe(heap);
    expect(heap.end).toBe(start + 4 * P);
    expect(p.mm.totalVm).toBe(totalVm + 4);
    expect(p.load32(start + 96)).toBe(5);
    expect(p.load32(start + 4 * P - 4)).toBe(0);
    expect(fault(() => p.load32(start + 4 * P)).siCode).toBe('SEGV_MAPERR');
  });

  it('shrinking unmaps the pages above the new break and frees their frames', () => {
    const { k, p, P } = setup();
    const start = p.mm.startBrk;
    const free = freeFrames(k);
    const tables = p.mm.counters.pgtables;
    expect(p.sys.brk(start + 8 * P)).toBe(start + 8 * P);
    for (let i = 0; i < 8; i++) p.store32(start + i * P, i + 1);
    expect(p.sys.brk(start + 2 * P + 8)).toBe(start + 2 * P + 8);
    expect(must(p.mm.vmas.lookup(start)).end).toBe(start + 3 * P);
    expect(p.load32(start + 2 * P)).toBe(3);
    expect(fault(() => p.load32(start + 3 * P)).siCode).toBe('SEGV_MAPERR');
    expect(p.sys.brk(start)).toBe(start);
    expect(p.mm.vmas.lookup(start)).toBeUndefined();
    expect(freeFrames(k)).toBe(free - (p.mm.counters.pgtables - tables));
    k.checkInvariants();
  });

  it('refuses to come within a page of the next mapping', () => {
    const { p, P } = setup();
    const start = p.mm.startBrk;
    expect(p.sys.mmap(start + 10 * P, P, RW, ANON | MAP_FIXED, -1, 0)).toBe(start + 10 * P);
    expect(p.sys.brk(start + 9 * P + 1)).toBe(start);
    expect(p.sys.brk(start + 20 * P)).toBe(start);
    expect(p.sys.brk(start + 9 * P)).toBe(start + 9 * P);
  });

  it('keeps the stack guard gap below a growing-down mapping', () => {
    const { p, P } = setup();
    const start = p.mm.startBrk;
    const stack = start + 300 * P;
    expect(p.sys.mmap(stack, P, RW, ANON | MAP_GROWSDOWN | MAP_FIXED, -1, 0)).toBe(stack);
    expect(p.sys.brk(start + 100 * P)).toBe(start);
    expect(p.sys.brk(start + 43 * P)).toBe(start + 43 * P); // 300 - 256 - 1 pages
  });

  it('refuses to grow at vm.max_map_count and beyond RAM', () => {
    const { p } = setup();
    const start = p.mm.startBrk;
    expect(p.sys.brk(start + 64 * 2 ** 20)).toBe(start); // the charge exceeds RAM
    vmTunables(p.vm).maxMapCount = p.mm.vmas.count - 1;
    expect(p.sys.brk(start + 4096)).toBe(start);
  });
});

// --- the C library ------------------------------------------------------------------------------

describe('libc', () => {
  it('mmap returns MAP_FAILED and sets errno; errno survives later successes', () => {
    const { p } = setup();
    expect(p.libc.errno).toBe(0);
    expect(p.libc.mmap(0, 0, RW, ANON, -1, 0)).toBe(MAP_FAILED);
    expect(p.libc.errno).toBe(Errno.EINVAL);
    expect(p.libc.mmap(0, 4096, RW, MAP_PRIVATE, 5, 0)).toBe(MAP_FAILED);
    expect(p.libc.errno).toBe(Errno.EBADF);
    const a = p.libc.mmap(0, 4096, RW, ANON, -1, 0);
    expect(a).toBeGreaterThan(0);
    expect(p.libc.errno).toBe(Errno.EBADF);
    expect(p.libc.munmap(a, 4096)).toBe(0);
  });

  it('munmap, mprotect and madvise return -1 with errno on failure, 0 on success', () => {
    const { p } = setup();
    const a = p.libc.mmap(0, 4096, RW, ANON, -1, 0);
    expect(p.libc.munmap(a + 1, 4096)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EINVAL);
    expect(p.libc.mprotect(a + 4096, 4096, PROT_READ)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.ENOMEM);
    expect(p.libc.madvise(a, 4096, 999)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EINVAL);
    expect(p.libc.mprotect(a, 4096, PROT_READ)).toBe(0);
    expect(p.libc.madvise(a, 4096, MADV_DONTNEED)).toBe(0);
  });

  it('brk returns 0, or -1 with ENOMEM when the kernel refuses', () => {
    const { p, P } = setup();
    const start = p.mm.startBrk;
    expect(p.libc.brk(start + 2 * P)).toBe(0);
    expect(p.mm.brk).toBe(start + 2 * P);
    expect(p.sys.mmap(start + 4 * P, P, RW, ANON | MAP_FIXED, -1, 0)).toBe(start + 4 * P);
    expect(p.libc.brk(start + 10 * P)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.ENOMEM);
    expect(p.mm.brk).toBe(start + 2 * P);
    // glibc's quirk: below the heap start the kernel keeps (and returns) the higher break,
    // which is not below the request, so brk "succeeds" without moving.
    expect(p.libc.brk(start - P)).toBe(0);
    expect(p.mm.brk).toBe(start + 2 * P);
  });

  it('sbrk returns the previous break, reading it with brk(0) on first use', () => {
    const { p, P } = setup();
    const start = p.mm.startBrk;
    expect(p.libc.sbrk(0)).toBe(start);
    expect(p.libc.sbrk(100)).toBe(start);
    expect(p.libc.sbrk(P)).toBe(start + 100);
    expect(p.libc.sbrk(0)).toBe(start + 100 + P);
    p.store32(start + 100 + P - 4, 9);
    expect(p.libc.sbrk(-P)).toBe(start + 100 + P);
    expect(p.mm.brk).toBe(start + 100);
    expect(p.libc.sbrk(-(2 ** 60))).toBe(-1); // below address 0
    expect(p.libc.errno).toBe(Errno.ENOMEM);
    expect(p.libc.sbrk(2 ** 63)).toBe(-1); // past the top of the address space
    expect(p.libc.errno).toBe(Errno.ENOMEM);
    expect(p.sys.mmap(start + 8 * P, P, RW, ANON | MAP_FIXED, -1, 0)).toBe(start + 8 * P);
    expect(p.libc.sbrk(16 * P)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.ENOMEM);
    expect(p.libc.sbrk(0)).toBe(start + 100);
  });

  it('each process has its own errno; a child inherits nothing of it', () => {
    const { p } = setup();
    p.libc.mmap(0, 0, RW, ANON, -1, 0);
    const c = p.fork();
    expect(p.libc.errno).toBe(Errno.EINVAL);
    expect(c.libc.errno).toBe(0);
  });
});

// --- processes that no longer run ----------------------------------------------------------------

describe('a process that has exited or was killed', () => {
  it('throws on every system call and libc call', () => {
    const { k, p } = setup();
    const q = k.spawn({ name: 'victim' });
    p.exit();
    q.release('killed');
    for (const proc of [p, q]) {
      const calls = [
        () => proc.sys.brk(0),
        () => proc.sys.mmap(0, 4096, RW, ANON, -1, 0),
        () => proc.sys.munmap(0x10000000, 4096),
        () => proc.sys.mprotect(0x10000000, 4096, PROT_READ),
        () => proc.sys.madvise(0x10000000, 4096, MADV_NORMAL),
        () => proc.sys.mremap(0x10000000, 4096, 4096, 0),
        () => proc.libc.sbrk(0),
        () => proc.libc.mmap(0, 4096, RW, ANON, -1, 0),
      ];
      for (const call of calls) expect(call).toThrow(KernelError);
    }
    expect(() => q.sys.mmap(0, 4096, RW, ANON, -1, 0)).toThrow(/killed/);
    expect(() => p.sys.mmap(0, 4096, RW, ANON, -1, 0)).toThrow(/exited/);
  });
});

// --- swap entries ------------------------------------------------------------------------------

describe('swapped-out pages (swap entries in PTEs)', () => {
  /** A fake swap layer that records what the system calls ask of it. */
  function withFakeSwap(k: Kernel) {
    // The swap invariants hold only for the kernel's own swap layer: check the VM's alone.
    machine = null;
    onTestFinished(() => checkVmInvariants(k.vm));
    const freed: SwapEntry[] = [];
    k.vm.swap = {
      totalSlots: 0,
      swapIn: () => {
        throw new Error('no swap-in expected');
      },
      duplicate: () => {},
      free: (entry) => {
        freed.push(entry);
      },
      shmemSwapIn: () => {
        throw new Error('no shmem swap-in expected');
      },
      shmemFree: () => {},
      readahead: () => false,
      inSwapCache: () => false,
      shmemInSwapCache: () => false,
    };
    return freed;
  }

  /** "Swaps out" the page at `va` by hand: drops the frame and leaves `entry` in its PTE. */
  function swapOut(k: Kernel, p: Process, va: number, offset: number): void {
    const pte = must(p.mm.lookupPte(va));
    p.mm.clearPte(pte.slot, va);
    k.vm.unmapPage(p.mm, pte.pfn, 'anon');
    const { lo, hi } = swapPte(k.arch, { type: 0, offset });
    k.vm.geo.write(pte.slot, lo, hi);
    p.mm.counters.swap++;
  }

  function entryAt(k: Kernel, p: Process, va: number): SwapEntry | null {
    const slot = p.mm.pteSlot(va, false);
    if (slot < 0) return null;
    const lo = k.vm.geo.readLo(slot);
    const hi = k.vm.geo.readHi(slot);
    return (lo | hi) === 0 || k.vm.geo.format.present(lo, hi)
      ? null
      : pteToSwapEntry(k.arch, lo, hi);
  }

  it('MADV_FREE drops a swapped-out page at once: its slot is freed and it reads back as zero', () => {
    const { k, p, P } = setup();
    const freed = withFakeSwap(k);
    const a = map(p, 2);
    p.store32(a, 1);
    p.store32(a + P, 2);
    swapOut(k, p, a, 7);
    expect(p.sys.madvise(a, 2 * P, MADV_FREE)).toBe(0);
    expect(freed).toEqual([{ type: 0, offset: 7 }]);
    expect(p.mm.counters.swap).toBe(0);
    expect(entryAt(k, p, a)).toBeNull();
    expect(p.load32(a)).toBe(0);
    expect(p.load32(a + P)).toBe(2);
  });

  it('mremap moves swap entries with the other PTEs; mprotect leaves them alone', () => {
    const { k, p, P } = setup();
    withFakeSwap(k);
    const a = map(p, 2);
    p.store32(a, 1);
    p.store32(a + P, 2);
    swapOut(k, p, a + P, 9);
    expect(p.sys.mprotect(a, 2 * P, PROT_READ)).toBe(0);
    expect(entryAt(k, p, a + P)).toEqual({ type: 0, offset: 9 });
    const n = p.sys.mremap(a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, 0x30000000);
    expect(n).toBe(0x30000000);
    expect(entryAt(k, p, n + P)).toEqual({ type: 0, offset: 9 });
    expect(entryAt(k, p, a + P)).toBeNull();
    expect(p.mm.counters.swap).toBe(1);
    expect(p.load32(n)).toBe(1);
    expect(p.sys.munmap(n, 2 * P)).toBe(0);
    expect(p.mm.counters.swap).toBe(0);
    // A swapped-out page counts as written: its VMA keeps VM_ACCOUNT when made read-only.
    const b = map(p, 1);
    p.store32(b, 3);
    swapOut(k, p, b, 10);
    expect(p.sys.mprotect(b, P, PROT_READ)).toBe(0);
    expect(must(p.mm.vmas.lookup(b)).flags).toBe(VM_READ | MAY | VM_ACCOUNT);
  });
});

// --- a model ------------------------------------------------------------------------------------

/** One page of the model: its protection, whether it is shared, and the 32-bit value at its start. */
interface ModelPage {
  prot: number;
  shared: boolean;
  value: number;
}

type Op =
  | { kind: 'mmap'; start: number; pages: number; prot: number; shared: boolean }
  | { kind: 'munmap'; start: number; pages: number }
  | { kind: 'mprotect'; start: number; pages: number; prot: number }
  | { kind: 'dontneed'; start: number; pages: number }
  | { kind: 'move'; start: number; pages: number; dest: number }
  | { kind: 'store'; page: number; value: number }
  | { kind: 'load'; page: number };

const WINDOW = 24;
const PROTS = [PROT_NONE, PROT_READ, RW, PROT_READ | PROT_EXEC];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('mmap' as const),
    start: fc.nat(WINDOW - 1),
    pages: fc.integer({ min: 1, max: 8 }),
    prot: fc.constantFrom(...PROTS),
    shared: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('munmap' as const),
    start: fc.nat(WINDOW - 1),
    pages: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('mprotect' as const),
    start: fc.nat(WINDOW - 1),
    pages: fc.integer({ min: 1, max: 8 }),
    prot: fc.constantFrom(...PROTS),
  }),
  fc.record({
    kind: fc.constant('dontneed' as const),
    start: fc.nat(WINDOW - 1),
    pages: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('move' as const),
    start: fc.nat(WINDOW - 1),
    pages: fc.integer({ min: 1, max: 6 }),
    dest: fc.nat(WINDOW - 1),
  }),
  fc.record({
    kind: fc.constant('store' as const),
    page: fc.nat(WINDOW - 1),
    value: fc.integer({ min: 1, max: 0xffff }),
  }),
  fc.record({ kind: fc.constant('load' as const), page: fc.nat(WINDOW - 1) }),
);

/** Runs `ops` against a process and a page-by-page model, comparing after each. */
function runModel(ops: readonly Op[]): void {
  const { k, p, P } = setup();
  const base = 0x20000000;
  const model = new Map<number, ModelPage>();
  const range = (start: number, pages: number) =>
    Array.from({ length: Math.min(pages, WINDOW - start) }, (_, i) => start + i);
  for (const op of ops) {
    switch (op.kind) {
      case 'mmap': {
        const pages = range(op.start, op.pages);
        const flags = (op.shared ? SHARED : ANON) | MAP_FIXED;
        const va = base + op.start * P;
        expect(p.sys.mmap(va, pages.length * P, op.prot, flags, -1, 0)).toBe(va);
        for (const i of pages) model.set(i, { prot: op.prot, shared: op.shared, value: 0 });
        break;
      }
      case 'munmap': {
        const pages = range(op.start, op.pages);
        expect(p.sys.munmap(base + op.start * P, pages.length * P)).toBe(0);
        for (const i of pages) model.delete(i);
        break;
      }
      case 'mprotect': {
        const pages = range(op.start, op.pages);
        const all = pages.every((i) => model.has(i));
        const r = p.sys.mprotect(base + op.start * P, pages.length * P, op.prot);
        expect(r).toBe(all ? 0 : -Errno.ENOMEM);
        if (all) for (const i of pages) must(model.get(i)).prot = op.prot;
        break;
      }
      case 'dontneed': {
        const pages = range(op.start, op.pages);
        const all = pages.every((i) => model.has(i));
        const r = p.sys.madvise(base + op.start * P, pages.length * P, MADV_DONTNEED);
        expect(r).toBe(all ? 0 : -Errno.ENOMEM);
        for (const i of pages) {
          const m = model.get(i);
          if (m !== undefined && !m.shared) m.value = 0;
        }
        break;
      }
      case 'move': {
        // mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of a same-size range.
        const n = Math.min(op.pages, WINDOW - op.start, WINDOW - op.dest);
        const src = base + op.start * P;
        const dst = base + op.dest * P;
        const overlap = op.start < op.dest + n && op.dest < op.start + n;
        const r = p.sys.mremap(src, n * P, n * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
        // check_mremap_params (the overlap) comes before any VMA is looked at.
        if (overlap) {
          expect(r).toBe(-Errno.EINVAL);
          break;
        }
        if (!model.has(op.start)) {
          expect(r).toBe(-Errno.EFAULT);
          break;
        }
        // Linux 6.17+ (remap_move): every VMA of the range moves, keeping its
        // distance from the start; the destination is unmapped only where a
        // source page lands, so gaps stay as they were at both ends.
        expect(r).toBe(dst);
        const moved = range(op.start, n).flatMap((i) => {
          const m = model.get(i);
          return m === undefined ? [] : [{ j: i - op.start, m }];
        });
        for (const { j } of moved) model.delete(op.start + j);
        for (const { j, m } of moved) model.set(op.dest + j, m);
        break;
      }
      case 'store': {
        const m = model.get(op.page);
        const va = base + op.page * P;
        if (m === undefined)
          expect(fault(() => p.store32(va, op.value)).siCode).toBe('SEGV_MAPERR');
        else if ((m.prot & PROT_WRITE) === 0)
          expect(fault(() => p.store32(va, op.value)).siCode).toBe('SEGV_ACCERR');
        else {
          p.store32(va, op.value);
          m.value = op.value;
        }
        break;
      }
      case 'load': {
        const m = model.get(op.page);
        const va = base + op.page * P;
        if (m === undefined) expect(fault(() => p.load32(va)).siCode).toBe('SEGV_MAPERR');
        else if (m.prot === PROT_NONE) expect(fault(() => p.load32(va)).siCode).toBe('SEGV_ACCERR');
        else expect(p.load32(va)).toBe(m.value);
        break;
      }
    }
    // The VMAs cover exactly the model's pages, with its protections, and no two could merge.
    for (let i = 0; i < WINDOW; i++) {
      const vma = p.mm.vmas.lookup(base + i * P);
      const m = model.get(i);
      expect(vma === undefined).toBe(m === undefined);
      if (vma !== undefined && m !== undefined) {
        expect(vma.flags & (VM_READ | VM_WRITE | VM_EXEC)).toBe(m.prot);
        expect((vma.flags & VM_SHARED) !== 0).toBe(m.shared);
      }
    }
    const all = p.mm.vmas.all();
    for (let i = 1; i < all.length; i++) {
      const a = must(all[i - 1]);
      const b = must(all[i]);
      const mergeable =
        a.end === b.start &&
        a.flags === b.flags &&
        a.name === b.name &&
        a.backing.shared === b.backing.shared &&
        a.backing.file === b.backing.file &&
        a.pgoff + a.size / P === b.pgoff;
      expect(mergeable).toBe(false);
    }
    k.checkInvariants();
  }
}

describe('against a page-by-page model', () => {
  it('mmap, munmap, mprotect, mremap, madvise(MADV_DONTNEED), loads and stores agree with the model', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => runModel(ops)),
      { numRuns: 150, seed: 20261125 },
    );
  });
});

// --- every architecture -------------------------------------------------------------------------

describe.each(ARCH_NAMES)('%s', (arch) => {
  it('maps, protects, advises and unmaps with the architecture’s page size and gives every frame back', () => {
    const { k, p, P } = setup(arch);
    const free = freeFrames(k);
    const tables = p.mm.counters.pgtables;
    const a = map(p, 8);
    for (let i = 0; i < 8; i++) p.store32(a + i * P, i + 1);
    p.load32(a + P); // cached
    expect(p.sys.mprotect(a + P, 2 * P, PROT_READ)).toBe(0);
    expect(fault(() => p.store32(a + P, 0)).siCode).toBe('SEGV_ACCERR');
    expect(p.load32(a + P)).toBe(2);
    expect(vmas(p, a, a + 8 * P)).toHaveLength(3);
    expect(p.sys.madvise(a + 3 * P, P, MADV_DONTNEED)).toBe(0);
    expect(p.load32(a + 3 * P)).toBe(0);
    const s = map(p, 1, RW, SHARED);
    p.store32(s, 77);
    const c = p.fork();
    c.store32(s + 4, 88);
    expect(p.load32(s + 4)).toBe(88);
    c.exit();
    expect(p.sys.munmap(a, 8 * P)).toBe(0);
    expect(p.sys.munmap(s, P)).toBe(0);
    expect(fault(() => p.load32(a + P)).siCode).toBe('SEGV_MAPERR');
    expect(freeFrames(k)).toBe(free - (p.mm.counters.pgtables - tables));
    k.checkInvariants();
  });
});
