/**
 * mincore(2) against mm/mincore.c of Linux 6.18 and what this machine's
 * 6.18 kernel does (measured with a C program): each errno in the order
 * sys_mincore checks them, a hole after a mapped range filling the bytes
 * of the mapped part before ENOMEM, a vec that faults half way written up
 * to the fault, residency of anonymous, swapped, file, shmem and guard
 * pages; and a model-based test against a simple model of residency.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Errno,
  Kernel,
  MADV_DONTNEED,
  MADV_GUARD_INSTALL,
  MADV_PAGEOUT,
  MADV_WILLNEED,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  O_RDONLY,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  type Process,
} from '../src/index.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function boot(swap = false) {
  const k = Kernel.boot({ memory: '32M', ...(swap ? { swap: { size: '16M' } } : {}) });
  const p = k.spawn({ name: 'mc' });
  const P = k.PAGE_SIZE;
  const vec = p.sys.mmap(0, P, RW, ANON, -1, 0);
  p.store8(vec, 0); // resident, so writing the vector faults nothing later
  return { k, p, P, vec };
}

function residency(p: Process, vec: number, addr: number, pages: number): number[] {
  const r = p.sys.mincore(addr, pages * p.vm.arch.pageSize, vec);
  if (r !== 0) throw new Error(`mincore: ${r}`);
  return Array.from(p.read(vec, pages));
}

/** Everything a rejected call must leave as it was. */
function machineState(k: Kernel): string[] {
  const out = [
    k.dmesg(),
    k.proc('/proc/meminfo'),
    k.proc('/proc/vmstat'),
    k.proc('/proc/buddyinfo'),
    k.proc('/proc/zoneinfo'),
  ];
  for (const pid of k.processes.keys()) {
    for (const f of ['maps', 'smaps', 'status']) out.push(k.proc(`/proc/${pid}/${f}`));
  }
  out.push(Buffer.from(k.memory.read(k.memMap.base, k.memMap.bytes)).toString('base64'));
  return out;
}

describe('mincore residency', () => {
  it('anonymous pages: 0 untouched, 1 once written or read (the zero page), 0 after MADV_DONTNEED', () => {
    const { p, P, vec } = boot();
    const va = p.sys.mmap(0, 4 * P, RW, ANON, -1, 0);
    expect(residency(p, vec, va, 4)).toEqual([0, 0, 0, 0]);
    p.store8(va, 1);
    p.load8(va + 2 * P);
    expect(residency(p, vec, va, 4)).toEqual([1, 0, 1, 0]);
    expect(p.sys.madvise(va, P, MADV_DONTNEED)).toBe(0);
    expect(residency(p, vec, va, 4)).toEqual([0, 0, 1, 0]);
  });

  it('a swapped-out page is 0, 1 again while MADV_WILLNEED holds it in the swap cache, 1 after the fault', () => {
    const { p, P, vec } = boot(true);
    const va = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    p.store8(va, 7);
    p.store8(va + P, 8);
    expect(p.sys.madvise(va, 2 * P, MADV_PAGEOUT)).toBe(0);
    expect(residency(p, vec, va, 2)).toEqual([0, 0]);
    expect(p.sys.madvise(va, P, MADV_WILLNEED)).toBe(0);
    expect(residency(p, vec, va, 2)).toEqual([1, 0]);
    expect(p.load8(va + P)).toBe(8);
    expect(residency(p, vec, va, 2)).toEqual([1, 1]);
  });

  it('a file mapping reports the page cache, pages this process never touched included', () => {
    const { k, p, P, vec } = boot();
    k.vfs.writeFile('/data', new Uint8Array(4 * P).fill(1));
    const fd = p.sys.open('/data', O_RDONLY);
    // read(2) of page 2 puts it in the page cache; nothing maps it.
    expect(p.sys.pread(fd, vec + 16, 1, 2 * P)).toBe(1);
    const va = p.sys.mmap(0, 4 * P, PROT_READ, MAP_PRIVATE, fd, 0);
    expect(residency(p, vec, va, 4)).toEqual([0, 0, 1, 0]);
    p.load8(va);
    expect(residency(p, vec, va, 4)).toEqual([1, 0, 1, 0]);
    // Another process's mapping sees the same cache.
    const q = k.spawn({ name: 'other' });
    const qvec = q.sys.mmap(0, P, RW, ANON, -1, 0);
    const qfd = q.sys.open('/data', O_RDONLY);
    const qva = q.sys.mmap(0, 4 * P, PROT_READ, MAP_PRIVATE, qfd, 0);
    expect(residency(q, qvec, qva, 4)).toEqual([1, 0, 1, 0]);
  });

  it('a page of a file mapping past the end of the file is 0', () => {
    const { k, p, P, vec } = boot();
    k.vfs.writeFile('/short', new Uint8Array(P).fill(1));
    const fd = p.sys.open('/short', O_RDWR);
    const va = p.sys.mmap(0, 3 * P, PROT_READ, MAP_SHARED, fd, 0);
    p.load8(va);
    expect(residency(p, vec, va, 3)).toEqual([1, 0, 0]);
  });

  it('shared anonymous memory reports its object: pages another process faulted are resident here', () => {
    const { p, P, vec } = boot(true);
    const va = p.sys.mmap(0, 3 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    const child = p.fork();
    child.store8(va + P, 1);
    // The parent never touched page 1: no PTE here, but the object holds the page.
    expect(residency(p, vec, va, 3)).toEqual([0, 1, 0]);
    expect(p.sys.madvise(va, 3 * P, MADV_PAGEOUT)).toBe(0);
    expect(child.sys.madvise(va, 3 * P, MADV_PAGEOUT)).toBe(0);
    expect(residency(p, vec, va, 3)).toEqual([0, 0, 0]);
    expect(child.load8(va + P)).toBe(1);
    expect(residency(p, vec, va, 3)).toEqual([0, 1, 0]);
  });

  it('a guard region reads as not resident (a PTE marker is treated as no PTE)', () => {
    const { p, P, vec } = boot();
    const va = p.sys.mmap(0, 3 * P, RW, ANON, -1, 0);
    p.store8(va, 1);
    p.store8(va + P, 1);
    expect(p.sys.madvise(va + P, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(residency(p, vec, va, 3)).toEqual([1, 0, 0]);
  });

  it('a length that is not a multiple of the page size covers the last partial page', () => {
    const { p, P, vec } = boot();
    const va = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    p.store8(va + P, 1);
    p.store8(vec + 1, 0xee);
    expect(p.sys.mincore(va, P + 1, vec)).toBe(0);
    expect(Array.from(p.read(vec, 3))).toEqual([0, 1, 0]);
  });

  it('writes one byte per page across VMAs, and more than a page of bytes (several steps)', () => {
    const { p, P } = boot();
    const pages = P + 3; // more entries than one kernel buffer page holds
    const va = p.sys.mmap(0, pages * P, PROT_READ, ANON, -1, 0);
    for (const i of [0, 1, P - 1, P, P + 2]) p.load8(va + i * P);
    const vec = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    expect(p.sys.mincore(va, pages * P, vec)).toBe(0);
    const bytes = p.read(vec, pages);
    const ones = [...bytes.keys()].filter((i) => bytes[i] === 1);
    expect(ones).toEqual([0, 1, P - 1, P, P + 2]);
  });
});

describe('mincore errors, in the order Linux checks them', () => {
  it('EINVAL: addr not page aligned, before any other check', () => {
    const { p, P, vec } = boot();
    const va = p.sys.mmap(0, P, RW, ANON, -1, 0);
    expect(p.sys.mincore(va + 1, P, vec)).toBe(-Errno.EINVAL);
    expect(p.sys.mincore(va + 1, P, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.mincore(va + 1, -P, 0)).toBe(-Errno.EINVAL);
  });

  it('EINVAL: arguments no register holds', () => {
    const { p, P, vec } = boot();
    const va = p.sys.mmap(0, P, RW, ANON, -1, 0);
    expect(p.sys.mincore(Number.NaN, P, vec)).toBe(-Errno.EINVAL);
    expect(p.sys.mincore(va, 0.5, vec)).toBe(-Errno.EINVAL);
    // A vector no register holds is a bad pointer (hostile-input rules): EFAULT.
    expect(p.sys.mincore(va, P, Number.POSITIVE_INFINITY)).toBe(-Errno.EFAULT);
  });

  it('ENOMEM: a range outside user space (access_ok), before the vector is checked', () => {
    const { k, p, P, vec } = boot();
    const va = p.sys.mmap(0, P, RW, ANON, -1, 0);
    expect(p.sys.mincore(va, -P, vec)).toBe(-Errno.ENOMEM); // len wraps
    expect(p.sys.mincore(va, k.arch.taskSize, 0)).toBe(-Errno.ENOMEM);
    expect(p.sys.mincore(-0x800000000000, P, vec)).toBe(-Errno.ENOMEM); // a kernel address
    expect(p.sys.mincore(k.arch.taskSize - P, 2 * P, vec)).toBe(-Errno.ENOMEM);
  });

  it('EFAULT: a vector outside user space, before any VMA is looked at', () => {
    const { k, p, P } = boot();
    expect(p.sys.mincore(0x10000, P, -0x800000000000)).toBe(-Errno.EFAULT);
    expect(p.sys.mincore(0x10000, P, k.arch.taskSize)).toBe(-Errno.EFAULT);
  });

  it('ENOMEM: the first page unmapped; checked before the vector is written, so a NULL vector is ENOMEM', () => {
    const { p, P, vec } = boot();
    expect(p.sys.mincore(0x10000, P, vec)).toBe(-Errno.ENOMEM);
    expect(p.sys.mincore(0x10000, P, 8)).toBe(-Errno.ENOMEM);
  });

  it('ENOMEM at a hole, after writing the bytes of the mapped pages before it (measured on 6.18)', () => {
    const { p, P, vec } = boot();
    const va = p.sys.mmap(0, 8 * P, RW, ANON, -1, 0);
    expect(p.sys.munmap(va + 4 * P, P)).toBe(0);
    p.store8(va, 1);
    p.store8(va + 5 * P, 1);
    p.write(vec, new Uint8Array(8).fill(0xee));
    expect(p.sys.mincore(va, 8 * P, vec)).toBe(-Errno.ENOMEM);
    expect(Array.from(p.read(vec, 8))).toEqual([1, 0, 0, 0, 0xee, 0xee, 0xee, 0xee]);
  });

  it('EFAULT: a vector that faults (NULL, read-only), or part way, written up to the fault', () => {
    const { p, P } = boot();
    const va = p.sys.mmap(0, 4 * P, RW, ANON, -1, 0);
    p.store8(va, 1);
    expect(p.sys.mincore(va, P, 0)).toBe(-Errno.EFAULT);
    const ro = p.sys.mmap(0, P, PROT_READ, ANON, -1, 0);
    expect(p.sys.mincore(va, P, ro)).toBe(-Errno.EFAULT);
    const v = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    expect(p.sys.munmap(v + P, P)).toBe(0);
    expect(p.sys.mincore(va, 4 * P, v + P - 2)).toBe(-Errno.EFAULT);
    expect(Array.from(p.read(v + P - 2, 2))).toEqual([1, 0]);
  });

  it('a length of 0 succeeds whatever the range and vector', () => {
    const { p, P } = boot();
    const va = p.sys.mmap(0, P, RW, ANON, -1, 0);
    expect(p.sys.mincore(va, 0, 0)).toBe(0);
    expect(p.sys.mincore(0x10000, 0, 8)).toBe(0);
  });

  it('libc.mincore returns -1 and sets errno', () => {
    const { p, P, vec } = boot();
    const va = p.sys.mmap(0, P, RW, ANON, -1, 0);
    expect(p.libc.mincore(va + 1, P, vec)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EINVAL);
    expect(p.libc.mincore(0x10000, P, vec)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.ENOMEM);
    expect(p.libc.mincore(va, P, vec)).toBe(0);
  });

  it('a rejected call leaves /proc, dmesg and the struct page array as they were', () => {
    const { k, p, P, vec } = boot();
    const va = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    p.store8(va, 1);
    const before = machineState(k);
    for (const [addr, len, v] of [
      [va + 1, P, vec],
      [va, -P, vec],
      [va, P, -P],
      [0x10000, P, vec],
      [Number.NaN, P, vec],
    ] as const) {
      expect(p.sys.mincore(addr, len, v)).toBeLessThan(0);
    }
    expect(machineState(k)).toEqual(before);
    k.checkInvariants();
  });
});

describe('mincore against a model', () => {
  it('reports exactly the pages the model says are resident, through touches, DONTNEED and PAGEOUT', () => {
    const pages = 6;
    type Op =
      | { kind: 'touch'; page: number; write: boolean }
      | { kind: 'dontneed'; page: number }
      | { kind: 'pageout'; page: number }
      | { kind: 'willneed'; page: number };
    const page = fc.integer({ min: 0, max: pages - 1 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('touch' as const), page, write: fc.boolean() }),
      fc.record({ kind: fc.constant('dontneed' as const), page }),
      fc.record({ kind: fc.constant('pageout' as const), page }),
      fc.record({ kind: fc.constant('willneed' as const), page }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const { k, p, P, vec } = boot(true);
        const va = p.sys.mmap(0, pages * P, RW, ANON, -1, 0);
        // Model per page: none, zero (read: the zero page), anon (written), swap, swapcache.
        const state: string[] = new Array(pages).fill('none');
        for (const o of ops) {
          const at = va + o.page * P;
          const s = state[o.page] as string;
          if (o.kind === 'touch') {
            if (o.write) p.store8(at, 1);
            else p.load8(at);
            if (o.write || s === 'swap' || s === 'swapcache') state[o.page] = 'anon';
            else if (s === 'none') state[o.page] = 'zero';
          } else if (o.kind === 'dontneed') {
            expect(p.sys.madvise(at, P, MADV_DONTNEED)).toBe(0);
            state[o.page] = 'none';
          } else if (o.kind === 'pageout') {
            expect(p.sys.madvise(at, P, MADV_PAGEOUT)).toBe(0);
            if (s === 'anon') state[o.page] = 'swap'; // the zero page is never paged out
          } else {
            expect(p.sys.madvise(at, P, MADV_WILLNEED)).toBe(0);
            if (s === 'swap') state[o.page] = 'swapcache';
          }
          const expected = state.map((x) => (x === 'none' || x === 'swap' ? 0 : 1));
          expect(residency(p, vec, va, pages)).toEqual(expected);
          k.checkInvariants();
        }
      }),
      { numRuns: 25 },
    );
  });
});
