/**
 * mlock(2), mlock2(2), munlock(2), mlockall(2), munlockall(2) and
 * MAP_LOCKED, against Linux 6.18: every errno and its order (measured on
 * a real 6.18 kernel as root and without CAP_IPC_LOCK), VMA splits and
 * merges, the accounting Linux shows (VmLck, smaps Locked and `lo`/`lf`,
 * Mlocked, Unevictable, nr_mlock, the unevictable_pgs_* counters), per-page
 * mlock counts, fork, MCL_FUTURE, reclaim, and a model-based test of the
 * whole family. Checks ported in spirit from LTP (mlock01-04, mlock201-203,
 * mlockall01-03, munlock01-02) and tools/testing/selftests/mm
 * (mlock2-tests.c, mlock-random-test.c, on-fault-limit.c).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Errno,
  Kernel,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_LOCKED,
  MAP_PRIVATE,
  MAP_SHARED,
  MCL_CURRENT,
  MCL_FUTURE,
  MCL_ONFAULT,
  MLOCK_ONFAULT,
  O_RDWR,
  PG,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  type Process,
  RLIMIT_MEMLOCK,
  VM_LOCKED,
  VM_LOCKONFAULT,
  VM_WRITE,
} from '../src/index.js';
import { MREMAP_DONTUNMAP, MREMAP_MAYMOVE } from '../src/vm/syscalls/index.js';
import { expectSyscallRejected } from './helpers/kernel-errors.js';

const PS = 4096;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const SHARED = MAP_SHARED | MAP_ANONYMOUS;

let machine: Kernel | null = null;

afterEach(() => {
  machine?.checkInvariants();
  machine = null;
});

function boot(options: Parameters<typeof Kernel.boot>[0] = {}): Kernel {
  const k = Kernel.boot({ memory: '32M', ...options });
  machine = k;
  return k;
}

function setup(opts: { capIpcLock?: boolean } = {}): { k: Kernel; p: Process } {
  const k = boot();
  return { k, p: k.spawn({ name: 'locker', ...opts }) };
}

/** A `Field: value` of a /proc file, as a number (kB lines give kB). */
function field(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}:`) || l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name}`);
  return Number(/(\d+)/.exec(line.slice(name.length + 1))?.[1]);
}

const vmLck = (k: Kernel, p: Process): number => field(k.proc(`/proc/${p.pid}/status`), 'VmLck');
const meminfo = (k: Kernel, name: string): number => field(k.proc('/proc/meminfo'), name);

const EVENTS = ['culled', 'scanned', 'rescued', 'mlocked', 'munlocked', 'cleared', 'stranded'];

/** The unevictable_pgs_* counters, by their short names. */
function unevictable(k: Kernel): Record<string, number> {
  const text = k.proc('/proc/vmstat');
  return Object.fromEntries(EVENTS.map((e) => [e, field(text, `unevictable_pgs_${e}`)]));
}

/** How much each unevictable_pgs_* counter moved during `fn`. */
function delta(k: Kernel, fn: () => void): Record<string, number> {
  const before = unevictable(k);
  fn();
  const after = unevictable(k);
  const out: Record<string, number> = {};
  for (const e of EVENTS) if (after[e] !== before[e]) out[e] = (after[e] ?? 0) - (before[e] ?? 0);
  return out;
}

/** The smaps block of the VMA starting at `va`. */
function smapsOf(k: Kernel, p: Process, va: number): string {
  const blocks = k.proc(`/proc/${p.pid}/smaps`).split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
  const block = blocks.find((b) => Number.parseInt(b.split('-')[0] ?? '', 16) === va);
  if (block === undefined) throw new Error(`no VMA at ${va.toString(16)}`);
  return block;
}

function vmFlags(k: Kernel, p: Process, va: number): string[] {
  const line = smapsOf(k, p, va)
    .split('\n')
    .find((l) => l.startsWith('VmFlags:'));
  return (line ?? '').slice('VmFlags:'.length).trim().split(' ');
}

/** The VMA ranges of /proc/<pid>/maps within `[lo, hi)`. */
function ranges(k: Kernel, p: Process, lo: number, hi: number): [number, number][] {
  return k
    .proc(`/proc/${p.pid}/maps`)
    .trim()
    .split('\n')
    .map(
      (l) =>
        l
          .split(' ')[0]
          ?.split('-')
          .map((x) => Number.parseInt(x, 16)) as [number, number],
    )
    .filter(([s, e]) => s >= lo && e <= hi);
}

/** Everything a rejected call must leave as it was. */
function state(k: Kernel, p: Process): string {
  return [
    k.proc(`/proc/${p.pid}/maps`),
    k.proc(`/proc/${p.pid}/smaps`),
    k.proc(`/proc/${p.pid}/status`),
    k.proc('/proc/meminfo'),
    k.proc('/proc/vmstat'),
    k.dmesg(),
  ].join('\n--\n');
}

function expectRejected(k: Kernel, p: Process, call: () => number, errno: number): void {
  expectSyscallRejected(() => state(k, p), call, errno);
}

function setMemlock(p: Process, cur: number, max = cur): void {
  expect(p.libc.setrlimit(RLIMIT_MEMLOCK, { rlim_cur: cur, rlim_max: max })).toBe(0);
}

function map(p: Process, pages: number, prot = RW, flags = ANON): number {
  const va = p.sys.mmap(0, pages * PS, prot, flags, -1, 0);
  expect(va).toBeGreaterThan(0);
  return va;
}

function touch(p: Process, va: number, pages: number): void {
  for (let i = 0; i < pages; i++) p.store8(va + i * PS, 1);
}

describe('mlock errnos', () => {
  it('EINVAL: mlock2 flags other than MLOCK_ONFAULT, checked before EPERM', () => {
    const { k, p } = setup();
    const va = map(p, 2);
    expectRejected(k, p, () => p.sys.mlock2(va, PS, 2), Errno.EINVAL);
    expectRejected(k, p, () => p.sys.mlock2(va, PS, -1), Errno.EINVAL);
    setMemlock(p, 0);
    expectRejected(k, p, () => p.sys.mlock2(va, PS, 2), Errno.EINVAL);
    expectRejected(k, p, () => p.sys.mlock2(va, PS, MLOCK_ONFAULT), Errno.EPERM);
  });

  it('EPERM: RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK, before any range check (mlock02, mlock202)', () => {
    const { k, p } = setup();
    const va = map(p, 2);
    setMemlock(p, 0);
    expectRejected(k, p, () => p.sys.mlock(va, PS), Errno.EPERM);
    expectRejected(k, p, () => p.sys.mlock(0x1000, PS), Errno.EPERM);
    expectRejected(k, p, () => p.sys.mlock(va, 0), Errno.EPERM);
    expectRejected(k, p, () => p.sys.mlockall(MCL_CURRENT), Errno.EPERM);
    expectRejected(k, p, () => p.sys.mlockall(MCL_FUTURE), Errno.EPERM);
    expectRejected(k, p, () => p.sys.mmap(0, PS, RW, ANON | MAP_LOCKED, -1, 0), Errno.EPERM);
    // Unlocking needs no permission.
    expect(p.sys.munlock(va, PS)).toBe(0);
    expect(p.sys.munlockall()).toBe(0);
    expect(p.libc.mlock(va, PS)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EPERM);
  });

  it('CAP_IPC_LOCK ignores RLIMIT_MEMLOCK, even 0, and is inherited across fork', () => {
    const { k, p } = setup({ capIpcLock: true });
    setMemlock(p, 0);
    const va = map(p, 4);
    expect(p.sys.mlock(va, 4 * PS)).toBe(0);
    expect(vmLck(k, p)).toBe(16);
    expect(p.sys.mlockall(MCL_CURRENT | MCL_FUTURE)).toBe(0);
    const child = p.fork();
    expect(child.capIpcLock).toBe(true);
    expect(child.sys.mlock(map(child, 2), 2 * PS)).toBe(0);
    child.exit();
    expect(p.sys.munlockall()).toBe(0);
  });

  it('ENOMEM: an unmapped start, or a gap in the range, changes nothing (mlock02, munlock02)', () => {
    const { k, p } = setup();
    const va = map(p, 8);
    expect(p.sys.munmap(va + 4 * PS, PS)).toBe(0);
    expectRejected(k, p, () => p.sys.mlock(va, 8 * PS), Errno.ENOMEM);
    expectRejected(k, p, () => p.sys.mlock(va + 4 * PS, 2 * PS), Errno.ENOMEM);
    expectRejected(k, p, () => p.sys.mlock2(va, 8 * PS, MLOCK_ONFAULT), Errno.ENOMEM);
    expectRejected(k, p, () => p.sys.mlock(0x1000, PS), Errno.ENOMEM);
    expectRejected(k, p, () => p.sys.mlock(-0x778000000000, PS), Errno.ENOMEM); // a kernel address
    expect(p.sys.mlock(va, 4 * PS)).toBe(0);
    expectRejected(k, p, () => p.sys.munlock(va, 8 * PS), Errno.ENOMEM);
    expectRejected(k, p, () => p.sys.munlock(0x1000, PS), Errno.ENOMEM);
    expect(vmLck(k, p)).toBe(16);
  });

  it('a length that wraps: -1 rounds up to nothing (0); -PAGE_SIZE is past the limit, or EINVAL with CAP_IPC_LOCK', () => {
    const { k, p } = setup();
    const va = map(p, 2);
    expect(p.sys.mlock(va, -1)).toBe(0);
    expect(p.sys.munlock(va, -1)).toBe(0);
    expect(vmLck(k, p)).toBe(0);
    // Unsigned arithmetic: -1 + 100 wraps to 99, one page (measured: VmLck 4 kB); -100 + 100 to 0.
    expect(p.sys.mlock(va + 100, -1)).toBe(0);
    expect(vmLck(k, p)).toBe(4);
    expect(p.sys.munlockall()).toBe(0);
    expect(p.sys.mlock(va + 100, -100)).toBe(0);
    expect(vmLck(k, p)).toBe(0);
    expectRejected(k, p, () => p.sys.mlock(va, -PS), Errno.ENOMEM);
    const q = k.spawn({ capIpcLock: true });
    const vq = map(q, 2);
    expectRejected(k, q, () => q.sys.mlock(vq, -PS), Errno.EINVAL);
    expect(p.sys.mlock(0, 0)).toBe(0);
    expect(p.sys.mlock(va, Number.NaN)).toBe(-Errno.EINVAL);
    expect(p.sys.mlock(va + 0.5, PS)).toBe(-Errno.EINVAL);
  });

  it('ENOMEM: past RLIMIT_MEMLOCK; pages of the range already locked count once (mlock-random-test)', () => {
    const { k, p } = setup();
    const va = map(p, 6);
    setMemlock(p, 2 * PS);
    expectRejected(k, p, () => p.sys.mlock(va, 3 * PS), Errno.ENOMEM);
    expect(p.sys.mlock(va, 2 * PS)).toBe(0);
    expect(p.sys.mlock(va, 2 * PS)).toBe(0); // already locked: nothing new
    expect(p.sys.mlock(va + 1, PS)).toBe(0); // unaligned: widened to the first page
    expectRejected(k, p, () => p.sys.mlock(va, 3 * PS), Errno.ENOMEM);
    expectRejected(k, p, () => p.sys.mlock(va + PS, 2 * PS), Errno.ENOMEM);
    expectRejected(k, p, () => p.sys.mlock2(va + 3 * PS, PS, MLOCK_ONFAULT), Errno.ENOMEM);
    expect(vmLck(k, p)).toBe(8);
  });

  it('mlock-random-test: random ranges within the limit succeed, beyond it fail with VmLck unchanged', () => {
    const { k, p } = setup();
    const limit = 32 * PS;
    setMemlock(p, limit);
    const within = map(p, 16);
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 16 * PS - 1 }),
        fc.integer({ min: 0, max: 16 * PS - 1 }),
        (onfault, a, b) => {
          const [lo, hi] = a < b ? [a, b] : [b, a];
          const r = onfault
            ? p.sys.mlock2(within + lo, hi - lo, MLOCK_ONFAULT)
            : p.sys.mlock(within + lo, hi - lo);
          expect(r).toBe(0);
          expect(vmLck(k, p)).toBeLessThanOrEqual(16 * 4);
        },
      ),
      { numRuns: 30 },
    );
    expect(p.sys.munlock(within, 16 * PS)).toBe(0);
    const big = map(p, 48);
    const old = vmLck(k, p);
    fc.assert(
      fc.property(fc.integer({ min: 32 * PS + 1, max: 48 * PS }), fc.nat(), (len, off) => {
        const start = off % (48 * PS - len + 1);
        expect(p.sys.mlock(big + start, len)).toBe(-Errno.ENOMEM);
        expect(p.sys.mlock2(big + start, len, MLOCK_ONFAULT)).toBe(-Errno.ENOMEM);
      }),
      { numRuns: 30 },
    );
    expect(vmLck(k, p)).toBe(old);
  });

  it('mlockall: EINVAL for 0, unknown bits and MCL_ONFAULT alone; ENOMEM when MCL_CURRENT and VmSize is past the limit (mlockall02-03)', () => {
    const { k, p } = setup();
    for (const bad of [0, MCL_ONFAULT, 8, -1, 0.5]) {
      expectRejected(k, p, () => p.sys.mlockall(bad), Errno.EINVAL);
    }
    setMemlock(p, 8 * PS); // VmSize is 34 pages
    expectRejected(k, p, () => p.sys.mlockall(MCL_CURRENT), Errno.ENOMEM);
    expectRejected(k, p, () => p.sys.mlockall(MCL_CURRENT | MCL_FUTURE), Errno.ENOMEM);
    expect(p.sys.mlockall(MCL_FUTURE)).toBe(0);
    expect(p.sys.munlockall()).toBe(0);
    expect(p.libc.mlockall(0)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EINVAL);
  });

  it('MAP_LOCKED: EPERM with a limit of 0 comes after EINVAL (length 0, alignment) and EEXIST, before the mapping type', () => {
    const { k, p } = setup();
    const va = map(p, 1);
    setMemlock(p, 0);
    expectRejected(k, p, () => p.sys.mmap(0, 0, RW, ANON | MAP_LOCKED, -1, 0), Errno.EINVAL);
    expectRejected(
      k,
      p,
      () => p.sys.mmap(va + 1, PS, RW, ANON | MAP_LOCKED | MAP_FIXED, -1, 0),
      Errno.EINVAL,
    );
    expectRejected(
      k,
      p,
      () => p.sys.mmap(va, PS, RW, ANON | MAP_LOCKED | MAP_FIXED_NOREPLACE, -1, 0),
      Errno.EEXIST,
    );
    expectRejected(
      k,
      p,
      () => p.sys.mmap(0, PS, RW, MAP_ANONYMOUS | MAP_LOCKED, -1, 0),
      Errno.EPERM,
    );
    expect(p.libc.mmap(0, PS, RW, ANON | MAP_LOCKED, -1, 0)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EPERM);
  });

  it('EAGAIN: MAP_LOCKED, and any mapping after MCL_FUTURE, past RLIMIT_MEMLOCK (on-fault-limit)', () => {
    const { k, p } = setup();
    setMemlock(p, 2 * PS);
    expectRejected(k, p, () => p.sys.mmap(0, 3 * PS, RW, ANON | MAP_LOCKED, -1, 0), Errno.EAGAIN);
    expect(p.sys.mlockall(MCL_FUTURE | MCL_ONFAULT)).toBe(0);
    expectRejected(k, p, () => p.sys.mmap(0, 3 * PS, RW, ANON, -1, 0), Errno.EAGAIN);
    const va = map(p, 2);
    expect(vmFlags(k, p, va)).toContain('lf');
    expectRejected(k, p, () => p.sys.mmap(0, PS, RW, ANON, -1, 0), Errno.EAGAIN);
    // brk is refused the same way (the break does not move).
    const brk = p.sys.brk(0);
    expect(p.sys.brk(brk + PS)).toBe(brk);
    expect(p.libc.sbrk(PS)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.ENOMEM);
  });

  it('a PROT_NONE range is locked, then fails to fault in: ENOMEM with the lock kept (measured on 6.18)', () => {
    const { k, p } = setup();
    const va = map(p, 4);
    expect(p.sys.mprotect(va, PS, PROT_NONE)).toBe(0);
    expect(p.sys.mlock(va, 4 * PS)).toBe(-Errno.ENOMEM);
    expect(vmLck(k, p)).toBe(16);
    expect(vmFlags(k, p, va)).toContain('lo');
    expect(vmFlags(k, p, va)).not.toContain('rd');
    // Population stopped at the PROT_NONE page: the writable pages after it are not resident.
    expect(field(smapsOf(k, p, va + PS), 'Rss')).toBe(0);
    expect(p.sys.munlock(va, 4 * PS)).toBe(0);
    // MLOCK_ONFAULT populates nothing, so it succeeds; so does mlockall, which ignores the error.
    expect(p.sys.mlock2(va, 4 * PS, MLOCK_ONFAULT)).toBe(0);
    expect(p.sys.munlock(va, 4 * PS)).toBe(0);
    expect(p.sys.mlockall(MCL_CURRENT)).toBe(0);
    expect(field(smapsOf(k, p, va + PS), 'Rss')).toBe(12);
    // MAP_LOCKED PROT_NONE maps, locked (populate errors are ignored).
    const none = p.sys.mmap(0, PS, PROT_NONE, ANON | MAP_LOCKED, -1, 0);
    expect(none).toBeGreaterThan(0);
    expect(vmFlags(k, p, none)).toContain('lo');
  });
});

describe('mlock accounting', () => {
  it('VmLck, smaps Locked and lo, Mlocked, Unevictable and nr_mlock (mlock01, mlock201)', () => {
    const { k, p } = setup();
    const va = map(p, 4);
    touch(p, va, 4);
    const d = delta(k, () => expect(p.sys.mlock(va, 4 * PS)).toBe(0));
    expect(d).toEqual({ culled: 4, mlocked: 4 });
    expect(vmLck(k, p)).toBe(16);
    expect(field(smapsOf(k, p, va), 'Locked')).toBe(16);
    expect(vmFlags(k, p, va)).toEqual(['rd', 'wr', 'mr', 'mw', 'me', 'lo', 'ac']);
    expect(meminfo(k, 'Mlocked')).toBe(16);
    expect(meminfo(k, 'Unevictable')).toBe(16);
    expect(field(k.proc('/proc/vmstat'), 'nr_mlock')).toBe(4);
    expect(field(k.proc('/proc/vmstat'), 'nr_unevictable')).toBe(4);
    const zoneinfo = k.proc('/proc/zoneinfo');
    const perZone = [...zoneinfo.matchAll(/^\s+nr_mlock\s+(\d+)$/gm)].map((m) => Number(m[1]));
    expect(perZone.reduce((a, b) => a + b, 0)).toBe(4);
    // Locking again changes nothing; unlocking gives every page back.
    expect(delta(k, () => expect(p.sys.mlock(va, 4 * PS)).toBe(0))).toEqual({});
    expect(delta(k, () => expect(p.sys.munlock(va, 4 * PS)).toBe(0))).toEqual({
      rescued: 4,
      munlocked: 4,
    });
    expect(delta(k, () => expect(p.sys.munlock(va, 4 * PS)).toBe(0))).toEqual({});
    expect(vmLck(k, p)).toBe(0);
    expect(meminfo(k, 'Mlocked')).toBe(0);
    expect(meminfo(k, 'Unevictable')).toBe(0);
    expect(vmFlags(k, p, va)).not.toContain('lo');
  });

  it('mlock faults the range in: writable pages get frames, each mlocked at creation', () => {
    const { k, p } = setup();
    const va = map(p, 3);
    expect(delta(k, () => expect(p.sys.mlock(va, 3 * PS)).toBe(0))).toEqual({
      culled: 3,
      mlocked: 3,
    });
    expect(field(smapsOf(k, p, va), 'Rss')).toBe(12);
    // A read-only private mapping maps the zero page, which is never mlocked:
    // VmLck counts it, Mlocked and Locked do not. (The measured 6.18 machine
    // maps no zero page on read faults; mmsim follows the kernel's default.)
    const ro = map(p, 2, PROT_READ);
    expect(delta(k, () => expect(p.sys.mlock(ro, 2 * PS)).toBe(0))).toEqual({});
    expect(vmLck(k, p)).toBe(20);
    expect(field(smapsOf(k, p, ro), 'Locked')).toBe(0);
    expect(meminfo(k, 'Mlocked')).toBe(12);
  });

  it('munmap, exit and COW of locked pages munlock them first (munlocked, rescued)', () => {
    const { k, p } = setup();
    const va = p.sys.mmap(0, 10 * PS, RW, ANON | MAP_LOCKED, -1, 0);
    expect(delta(k, () => expect(p.sys.munmap(va, 10 * PS)).toBe(0))).toEqual({
      rescued: 10,
      munlocked: 10,
    });
    const w = p.sys.mmap(0, 4 * PS, RW, ANON | MAP_LOCKED, -1, 0);
    const child = p.fork();
    expect(vmLck(k, child)).toBe(0);
    // The parent's write copies each page: the copy is new and locked, the original munlocked.
    expect(delta(k, () => touch(p, w, 4))).toEqual({
      culled: 4,
      rescued: 4,
      mlocked: 4,
      munlocked: 4,
    });
    child.exit();
    const c2 = k.spawn();
    c2.sys.mmap(0, 8 * PS, RW, ANON | MAP_LOCKED, -1, 0);
    expect(delta(k, () => c2.exit())).toEqual({ rescued: 8, munlocked: 8 });
    expect(meminfo(k, 'Mlocked')).toBe(16);
    expect(unevictable(k).cleared).toBe(0);
  });

  it('MLOCK_ONFAULT locks pages as they fault, and the present ones at once (mlock2-tests, mlock203)', () => {
    const { k, p } = setup();
    const va = map(p, 10);
    expect(delta(k, () => expect(p.sys.mlock2(va, 10 * PS, MLOCK_ONFAULT)).toBe(0))).toEqual({});
    expect(vmFlags(k, p, va)).toEqual(['rd', 'wr', 'mr', 'mw', 'me', 'lo', 'lf', 'ac']);
    expect(field(smapsOf(k, p, va), 'Rss')).toBe(0);
    expect(vmLck(k, p)).toBe(40);
    expect(delta(k, () => touch(p, va, 5))).toEqual({ culled: 5, mlocked: 5 });
    expect(field(smapsOf(k, p, va), 'Locked')).toBe(20);
    // From lock-on-fault to a plain lock: no page is mlocked twice, and the rest fault in.
    expect(delta(k, () => expect(p.sys.mlock(va, 10 * PS)).toBe(0))).toEqual({
      culled: 5,
      mlocked: 5,
    });
    expect(vmFlags(k, p, va)).not.toContain('lf');
    expect(p.sys.munlock(va, 10 * PS)).toBe(0);
    // The present pages of a VMA are locked at once by mlock2(MLOCK_ONFAULT).
    const q = map(p, 2);
    touch(p, q, 1);
    expect(delta(k, () => expect(p.sys.mlock2(q, 2 * PS, MLOCK_ONFAULT)).toBe(0))).toEqual({
      culled: 1,
      mlocked: 1,
    });
    expect(field(smapsOf(k, p, q), 'Rss')).toBe(4);
  });

  it('a page mapped by two locked VMAs stays mlocked until both unlock (shared file pages)', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/f', new Uint8Array(4 * PS));
    const fd = p.sys.open('/f', O_RDWR);
    const a = p.sys.mmap(0, 4 * PS, RW, MAP_SHARED, fd, 0);
    const b = p.sys.mmap(0, 4 * PS, RW, MAP_SHARED, fd, 0);
    touch(p, a, 4);
    touch(p, b, 4);
    expect(delta(k, () => expect(p.sys.mlock(a, 4 * PS)).toBe(0))).toEqual({
      culled: 4,
      mlocked: 4,
    });
    expect(delta(k, () => expect(p.sys.mlock(b, 4 * PS)).toBe(0))).toEqual({});
    expect(delta(k, () => expect(p.sys.munlock(a, 4 * PS)).toBe(0))).toEqual({});
    expect(meminfo(k, 'Mlocked')).toBe(16);
    expect(delta(k, () => expect(p.sys.munlock(b, 4 * PS)).toBe(0))).toEqual({
      rescued: 4,
      munlocked: 4,
    });
    // munmap of one of two locked mappings keeps the pages locked.
    expect(p.sys.mlock(a, 4 * PS)).toBe(0);
    expect(p.sys.mlock(b, 4 * PS)).toBe(0);
    expect(delta(k, () => expect(p.sys.munmap(a, 4 * PS)).toBe(0))).toEqual({});
    expect(delta(k, () => expect(p.sys.munmap(b, 4 * PS)).toBe(0))).toEqual({
      rescued: 4,
      munlocked: 4,
    });
  });

  it('shared anonymous memory locked in parent and child stays locked until both let go', () => {
    const { k, p } = setup();
    const va = p.sys.mmap(0, 2 * PS, RW, SHARED, -1, 0);
    touch(p, va, 2);
    const child = p.fork(); // locks are not inherited: the child maps the pages unlocked
    expect(p.sys.mlock(va, 2 * PS)).toBe(0);
    expect(delta(k, () => expect(child.sys.mlock(va, 2 * PS)).toBe(0))).toEqual({});
    expect(delta(k, () => expect(p.sys.munlock(va, 2 * PS)).toBe(0))).toEqual({});
    expect(meminfo(k, 'Mlocked')).toBe(8);
    expect(delta(k, () => child.exit())).toEqual({ rescued: 2, munlocked: 2 });
    expect(meminfo(k, 'Mlocked')).toBe(0);
  });

  it('partial munlock splits the VMA, a full one merges it back (mlock2-tests test_vma_management)', () => {
    const { k, p } = setup();
    const va = map(p, 3);
    const span: [number, number] = [va, va + 3 * PS];
    expect(p.sys.mlock2(va, 3 * PS, MLOCK_ONFAULT)).toBe(0);
    expect(ranges(k, p, ...span)).toEqual([span]);
    expect(p.sys.munlock(va + PS, PS)).toBe(0);
    expect(ranges(k, p, ...span)).toEqual([
      [va, va + PS],
      [va + PS, va + 2 * PS],
      [va + 2 * PS, va + 3 * PS],
    ]);
    expect(vmLck(k, p)).toBe(8);
    expect(p.sys.munlock(va, 3 * PS)).toBe(0);
    expect(ranges(k, p, ...span)).toEqual([span]);
    // mlockall(MCL_CURRENT | MCL_ONFAULT | MCL_FUTURE), then the same (test_mlockall).
    expect(p.sys.mlockall(MCL_CURRENT | MCL_ONFAULT | MCL_FUTURE)).toBe(0);
    expect(p.sys.munlock(va + PS, PS)).toBe(0);
    expect(ranges(k, p, ...span)).toHaveLength(3);
    expect(p.sys.munlock(va, 3 * PS)).toBe(0);
    expect(ranges(k, p, ...span)).toEqual([span]);
    expect(p.sys.munlockall()).toBe(0);
  });

  it('mlockall(MCL_CURRENT) locks and populates every VMA; munlockall undoes it (mlock2-tests test_munlockall0/1)', () => {
    const { k, p } = setup();
    const va = map(p, 2);
    expect(p.sys.mlockall(MCL_CURRENT)).toBe(0);
    expect(field(smapsOf(k, p, va), 'Rss')).toBe(field(smapsOf(k, p, va), 'Size'));
    const status = k.proc(`/proc/${p.pid}/status`);
    expect(field(status, 'VmLck')).toBe(field(status, 'VmSize'));
    expect(p.sys.munlockall()).toBe(0);
    expect(vmLck(k, p)).toBe(0);
    expect(meminfo(k, 'Mlocked')).toBe(0);
    expect(p.sys.munmap(va, 2 * PS)).toBe(0);
    // MCL_CURRENT | MCL_ONFAULT: locked, not populated.
    const q = map(p, 2);
    expect(p.sys.mlockall(MCL_CURRENT | MCL_ONFAULT)).toBe(0);
    expect(vmFlags(k, p, q)).toContain('lf');
    expect(field(smapsOf(k, p, q), 'Rss')).toBe(0);
    p.store8(q, 1);
    expect(field(smapsOf(k, p, q), 'Locked')).toBe(4);
    expect(p.sys.munlockall()).toBe(0);
    expect(vmFlags(k, p, q)).not.toContain('lo');
  });

  it('MCL_FUTURE locks later mmap and brk memory (populated unless MCL_ONFAULT); munlockall and fork drop it (mlockall01)', () => {
    const { k, p } = setup();
    expect(p.sys.mlockall(MCL_FUTURE)).toBe(0);
    const va = map(p, 2);
    expect(vmFlags(k, p, va)).toContain('lo');
    expect(field(smapsOf(k, p, va), 'Locked')).toBe(8);
    const brk = p.sys.brk(0);
    expect(p.sys.brk(brk + 2 * PS)).toBe(brk + 2 * PS);
    expect(field(smapsOf(k, p, brk), 'Locked')).toBe(8);
    const child = p.fork();
    expect(vmLck(k, child)).toBe(0);
    const cva = map(child, 1);
    expect(vmFlags(k, child, cva)).not.toContain('lo');
    child.exit();
    // mlockall(MCL_CURRENT) without MCL_FUTURE cancels it.
    expect(p.sys.mlockall(MCL_CURRENT)).toBe(0);
    expect(vmFlags(k, p, map(p, 1))).not.toContain('lo');
    expect(p.sys.mlockall(MCL_FUTURE | MCL_ONFAULT)).toBe(0);
    const lazy = map(p, 3);
    expect(vmFlags(k, p, lazy)).toEqual(['rd', 'wr', 'mr', 'mw', 'me', 'lo', 'lf', 'ac']);
    expect(field(smapsOf(k, p, lazy), 'Rss')).toBe(0);
    expect(p.sys.munlockall()).toBe(0);
    expect(vmFlags(k, p, map(p, 1))).not.toContain('lo');
  });

  it('mremap of a locked mapping: growth is locked and populated, within RLIMIT_MEMLOCK (EAGAIN past it)', () => {
    const { k, p } = setup();
    const va = p.sys.mmap(0, 2 * PS, RW, ANON | MAP_LOCKED, -1, 0);
    const moved = p.sys.mremap(va, 2 * PS, 6 * PS, MREMAP_MAYMOVE);
    expect(moved).toBeGreaterThan(0);
    expect(vmLck(k, p)).toBe(24);
    expect(meminfo(k, 'Mlocked')).toBe(24);
    setMemlock(p, 7 * PS);
    expectRejected(k, p, () => p.sys.mremap(moved, 6 * PS, 8 * PS, MREMAP_MAYMOVE), Errno.EAGAIN);
  });

  it('MREMAP_DONTUNMAP: the old VMA loses its lock, while VmLck keeps counting it (measured on 6.18)', () => {
    const { k, p } = setup();
    const va = p.sys.mmap(0, 4 * PS, RW, ANON | MAP_LOCKED, -1, 0);
    const moved = p.sys.mremap(va, 4 * PS, 4 * PS, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
    expect(moved).toBeGreaterThan(0);
    expect(vmFlags(k, p, va)).not.toContain('lo');
    expect(vmFlags(k, p, moved)).toContain('lo');
    expect(vmLck(k, p)).toBe(32);
    expect(meminfo(k, 'Mlocked')).toBe(16);
    expect(p.sys.munmap(va, 4 * PS)).toBe(0);
    expect(vmLck(k, p)).toBe(32);
    expect(p.sys.munmap(moved, 4 * PS)).toBe(0);
    expect(vmLck(k, p)).toBe(16);
  });

  it('mprotect making a locked private mapping writable breaks COW now, unless it locks on fault', () => {
    const { k, p } = setup();
    const va = map(p, 2, PROT_READ);
    expect(p.sys.mlock(va, 2 * PS)).toBe(0);
    expect(meminfo(k, 'Mlocked')).toBe(0); // the zero page
    expect(p.sys.mprotect(va, 2 * PS, RW)).toBe(0);
    expect(meminfo(k, 'Mlocked')).toBe(8);
    const lazy = map(p, 2, PROT_READ);
    expect(p.sys.mlock2(lazy, 2 * PS, MLOCK_ONFAULT)).toBe(0);
    expect(p.sys.mprotect(lazy, 2 * PS, RW)).toBe(0);
    expect(meminfo(k, 'Mlocked')).toBe(8);
  });

  it('a locked stack grows with its new pages mlocked', () => {
    const { k, p } = setup();
    expect(p.sys.mlockall(MCL_CURRENT)).toBe(0);
    const before = vmLck(k, p);
    const stack = p.mm.vmas.all().find((v) => v.name === '[stack]');
    if (stack === undefined) throw new Error('no stack');
    const start = stack.start;
    p.store8(start - 2 * PS, 1);
    expect(vmLck(k, p)).toBe(before + 8);
    expect(p.vm.buddy.memMap.testFlag(p.mm.lookupPte(start - 2 * PS)?.pfn ?? 0, PG.mlocked)).toBe(
      true,
    );
  });

  it('mlock and munlock of every VMA leave /proc/<pid>/maps as it was (mlock03)', () => {
    const { k, p } = setup();
    map(p, 3);
    map(p, 2, PROT_READ);
    const before = k.proc(`/proc/${p.pid}/maps`);
    for (const [start, end] of ranges(k, p, 0, 2 ** 47)) {
      expect(p.sys.mlock(start, end - start)).toBe(0);
      expect(p.sys.munlock(start, end - start)).toBe(0);
    }
    expect(k.proc(`/proc/${p.pid}/maps`)).toBe(before);
    expect(vmLck(k, p)).toBe(0);
    expect(meminfo(k, 'Mlocked')).toBe(0);
  });

  it('reclaim never takes mlocked pages, and never needs to cull them', () => {
    const k = boot({ memory: '16M', swap: { size: '32M' } });
    const p = k.spawn();
    const locked = map(p, 64);
    expect(p.sys.mlock(locked, 64 * PS)).toBe(0);
    for (let i = 0; i < 64; i++) p.store32(locked + i * PS, i);
    const before = unevictable(k);
    const hog = map(p, 5120);
    for (let i = 0; i < 5120; i++) p.store8(hog + i * PS, 1); // 20 MiB through a 16 MiB machine
    expect(Number(field(k.proc('/proc/vmstat'), 'pswpout'))).toBeGreaterThan(0);
    for (let i = 0; i < 64; i++) {
      expect(p.mm.lookupPte(locked + i * PS)).not.toBeNull();
      expect(p.load32(locked + i * PS)).toBe(i);
    }
    expect(unevictable(k).culled).toBe(before.culled);
    expect(meminfo(k, 'Mlocked')).toBe(256);
  });

  it('checkInvariants catches an mlock count that disagrees with the locked mappings', () => {
    const { k, p } = setup();
    const va = map(p, 1);
    expect(p.sys.mlock(va, PS)).toBe(0);
    const pfn = p.mm.lookupPte(va)?.pfn as number;
    const m = k.buddy.memMap;
    m.prev[pfn] = 2;
    expect(() => k.checkInvariants()).toThrow(/mlock count 2, but 1 locked PTEs map it/);
    m.prev[pfn] = 1;
    m.clearFlag(pfn, PG.mlocked);
    expect(() => k.checkInvariants()).toThrow(/not PG_mlocked/);
    m.setFlag(pfn, PG.mlocked);
    k.checkInvariants();
  });

  it('works alike on i386 and arm64-64k (page sizes and struct widths differ)', () => {
    for (const arch of ['i386', 'arm64-64k'] as const) {
      const k = boot({ arch });
      const p = k.spawn();
      const page = k.PAGE_SIZE;
      const va = p.sys.mmap(0, 4 * page, RW, ANON, -1, 0);
      expect(p.sys.mlock(va + 1, page - 1)).toBe(0);
      expect(vmLck(k, p)).toBe(page / 1024);
      expect(meminfo(k, 'Mlocked')).toBe(page / 1024);
      expect(p.sys.munlockall()).toBe(0);
      expect(meminfo(k, 'Mlocked')).toBe(0);
      k.checkInvariants();
    }
  });
});

// --- model-based test ---------------------------------------------------------------

/** Where the model's mappings live: 16 pages at a fixed place. */
const ARENA = 0x10000000;
const ARENA_PAGES = 16;
/** RLIMIT_MEMLOCK of the model's processes, in pages. */
const LIMIT_PAGES = 48;
const LOCKED = VM_LOCKED;
const ONFAULT = VM_LOCKED | VM_LOCKONFAULT;

/** A physical page as the model sees it. */
interface Frame {
  refs: number;
}

interface SharedObject {
  readonly frames: (Frame | null)[];
}

/** One page of one VMA of one process. */
interface Slot {
  lock: number;
  readonly writable: boolean;
  readonly shared: { readonly obj: SharedObject; readonly index: number } | null;
  frame: Frame | null;
}

interface ModelProc {
  readonly real: Process;
  /** Every page of every VMA, by address. */
  readonly slots: Map<number, Slot>;
  defFlags: number;
}

interface MlockModel {
  procs: ModelProc[];
}

function release(slot: Slot): void {
  if (slot.frame !== null) slot.frame.refs--;
  slot.frame = null;
}

/** A write to a slot: a private page gets its own frame (copy on write); a shared one the object's. */
function writeSlot(slot: Slot): void {
  if (slot.shared !== null) {
    readSlot(slot);
    return;
  }
  if (slot.frame !== null && slot.frame.refs === 1) return;
  release(slot);
  slot.frame = { refs: 1 };
}

/** A read fault: a shared page maps (and creates) the object's frame; a private one maps the zero page. */
function readSlot(slot: Slot): void {
  if (slot.frame !== null || slot.shared === null) return;
  const { obj, index } = slot.shared;
  let f = obj.frames[index] ?? null;
  if (f === null) {
    f = { refs: 0 };
    obj.frames[index] = f;
  }
  f.refs++;
  slot.frame = f;
}

/** `populate_vma_page_range` for one slot. */
function populate(slot: Slot): void {
  if ((slot.lock & VM_LOCKONFAULT) !== 0) return;
  if (slot.writable && slot.shared === null) writeSlot(slot);
  else readSlot(slot);
}

function lockedPages(proc: ModelProc): number {
  let n = 0;
  for (const s of proc.slots.values()) if (s.lock !== 0) n++;
  return n;
}

function arenaVa(i: number): number {
  return ARENA + i * PS;
}

/** The slots of a fresh process: text (read-only), data and a 32-page stack. */
function initialSlots(p: Process): Map<number, Slot> {
  const slots = new Map<number, Slot>();
  for (const vma of p.mm.vmas.all()) {
    for (let va = vma.start; va < vma.end; va += PS) {
      slots.set(va, { lock: 0, writable: (vma.flags & VM_WRITE) !== 0, shared: null, frame: null });
    }
  }
  return slots;
}

function compareModel(k: Kernel, model: MlockModel): void {
  k.checkInvariants();
  const frames = new Set<Frame>();
  for (const proc of model.procs) {
    expect(vmLck(k, proc.real)).toBe(lockedPages(proc) * 4);
    for (const [va, slot] of proc.slots) {
      if (slot.lock !== 0 && slot.frame !== null) frames.add(slot.frame);
      if (va < ARENA || va >= arenaVa(ARENA_PAGES)) continue;
      const vma = proc.real.mm.vmas.lookup(va);
      expect(vma).toBeDefined();
      expect((vma?.flags ?? 0) & (VM_LOCKED | VM_LOCKONFAULT)).toBe(slot.lock);
    }
    for (let i = 0; i < ARENA_PAGES; i++) {
      if (!proc.slots.has(arenaVa(i))) expect(proc.real.mm.vmas.lookup(arenaVa(i))).toBeUndefined();
    }
  }
  expect(meminfo(k, 'Mlocked')).toBe(frames.size * 4);
  expect(meminfo(k, 'Unevictable')).toBe(frames.size * 4);
}

type Cmd = fc.Command<MlockModel, Kernel>;

/** A process of the model, by a pick. */
function procOf(model: MlockModel, pick: number): ModelProc {
  return model.procs[pick % model.procs.length] as ModelProc;
}

function arenaRange(i: number, n: number): number[] {
  const out: number[] = [];
  for (let j = i; j < Math.min(ARENA_PAGES, i + n); j++) out.push(arenaVa(j));
  return out;
}

class MmapCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly i: number,
    readonly n: number,
    readonly shared: boolean,
  ) {}
  check = () => true;
  run(model: MlockModel, k: Kernel): void {
    const proc = procOf(model, this.pick);
    const vas = arenaRange(this.i, this.n);
    const flags = (this.shared ? SHARED : ANON) | MAP_FIXED;
    const r = proc.real.sys.mmap(arenaVa(this.i), vas.length * PS, RW, flags, -1, 0);
    const lock = proc.defFlags;
    if (lock !== 0 && lockedPages(proc) + vas.length > LIMIT_PAGES) {
      expect(r).toBe(-Errno.EAGAIN);
    } else {
      expect(r).toBe(arenaVa(this.i));
      const obj: SharedObject = { frames: [] };
      vas.forEach((va, index) => {
        const old = proc.slots.get(va);
        if (old !== undefined) release(old);
        const slot: Slot = {
          lock,
          writable: true,
          shared: this.shared ? { obj, index } : null,
          frame: null,
        };
        proc.slots.set(va, slot);
        if (lock !== 0) populate(slot);
      });
    }
    compareModel(k, model);
  }
  toString = () => `mmap(p${this.pick}, ${this.i}+${this.n}${this.shared ? ', shared' : ''})`;
}

class MunmapCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly i: number,
    readonly n: number,
  ) {}
  check = () => true;
  run(model: MlockModel, k: Kernel): void {
    const proc = procOf(model, this.pick);
    const vas = arenaRange(this.i, this.n);
    expect(proc.real.sys.munmap(arenaVa(this.i), vas.length * PS)).toBe(0);
    for (const va of vas) {
      const slot = proc.slots.get(va);
      if (slot !== undefined) release(slot);
      proc.slots.delete(va);
    }
    compareModel(k, model);
  }
  toString = () => `munmap(p${this.pick}, ${this.i}+${this.n})`;
}

class MlockCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly i: number,
    readonly n: number,
    readonly lock: number,
  ) {}
  check = () => true;
  run(model: MlockModel, k: Kernel): void {
    const proc = procOf(model, this.pick);
    const vas = arenaRange(this.i, this.n);
    const p = proc.real;
    const len = vas.length * PS;
    const r =
      this.lock === 0
        ? p.sys.munlock(arenaVa(this.i), len)
        : this.lock === ONFAULT
          ? p.sys.mlock2(arenaVa(this.i), len, MLOCK_ONFAULT)
          : p.sys.mlock(arenaVa(this.i), len);
    const already = vas.filter((va) => (proc.slots.get(va)?.lock ?? 0) !== 0).length;
    const overLimit = this.lock !== 0 && lockedPages(proc) + vas.length - already > LIMIT_PAGES;
    const hole = vas.some((va) => !proc.slots.has(va));
    if (vas.length > 0 && (overLimit || hole)) {
      expect(r).toBe(-Errno.ENOMEM);
    } else {
      expect(r).toBe(0);
      for (const va of vas) {
        const slot = proc.slots.get(va) as Slot;
        slot.lock = this.lock;
      }
      if (this.lock !== 0) for (const va of vas) populate(proc.slots.get(va) as Slot);
    }
    compareModel(k, model);
  }
  toString = () =>
    `${this.lock === 0 ? 'munlock' : this.lock === ONFAULT ? 'mlock2' : 'mlock'}(p${this.pick}, ${this.i}+${this.n})`;
}

class MlockallCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly flags: number,
  ) {}
  check = () => true;
  run(model: MlockModel, k: Kernel): void {
    const proc = procOf(model, this.pick);
    const p = proc.real;
    const r = this.flags === 0 ? p.sys.munlockall() : p.sys.mlockall(this.flags);
    if ((this.flags & MCL_CURRENT) !== 0 && proc.slots.size > LIMIT_PAGES) {
      expect(r).toBe(-Errno.ENOMEM);
      compareModel(k, model);
      return;
    }
    expect(r).toBe(0);
    const onfault = (this.flags & MCL_ONFAULT) !== 0;
    proc.defFlags = (this.flags & MCL_FUTURE) !== 0 ? (onfault ? ONFAULT : LOCKED) : 0;
    if ((this.flags & MCL_CURRENT) !== 0 || this.flags === 0) {
      const lock = this.flags === 0 ? 0 : onfault ? ONFAULT : LOCKED;
      for (const slot of proc.slots.values()) slot.lock = lock;
      if (lock !== 0) for (const slot of proc.slots.values()) populate(slot);
    }
    compareModel(k, model);
  }
  toString = () =>
    this.flags === 0 ? `munlockall(p${this.pick})` : `mlockall(p${this.pick}, ${this.flags})`;
}

class TouchCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly i: number,
  ) {}
  check = () => true;
  run(model: MlockModel, k: Kernel): void {
    const proc = procOf(model, this.pick);
    const va = arenaVa(this.i);
    const slot = proc.slots.get(va);
    if (slot === undefined) {
      expect(() => proc.real.store8(va, 1)).toThrow();
    } else {
      proc.real.store8(va, 1);
      writeSlot(slot);
    }
    compareModel(k, model);
  }
  toString = () => `touch(p${this.pick}, ${this.i})`;
}

class ForkCmd implements Cmd {
  constructor(readonly pick: number) {}
  check = (model: Readonly<MlockModel>) => model.procs.length < 3;
  run(model: MlockModel, k: Kernel): void {
    const proc = procOf(model, this.pick);
    const child = proc.real.fork();
    const slots = new Map<number, Slot>();
    for (const [va, s] of proc.slots) {
      // Private pages are shared copy-on-write; a shared mapping's pages are faulted in again.
      const frame = s.shared === null ? s.frame : null;
      if (frame !== null) frame.refs++;
      slots.set(va, { lock: 0, writable: s.writable, shared: s.shared, frame });
    }
    model.procs.push({ real: child, slots, defFlags: 0 });
    compareModel(k, model);
  }
  toString = () => `fork(p${this.pick})`;
}

class ExitCmd implements Cmd {
  constructor(readonly pick: number) {}
  check = (model: Readonly<MlockModel>) => model.procs.length > 1;
  run(model: MlockModel, k: Kernel): void {
    const index = 1 + (this.pick % (model.procs.length - 1));
    const proc = model.procs[index] as ModelProc;
    proc.real.exit();
    for (const slot of proc.slots.values()) release(slot);
    model.procs.splice(index, 1);
    compareModel(k, model);
  }
  toString = () => `exit(${this.pick})`;
}

describe('the mlock family against a model of which pages are locked', () => {
  const pick = fc.nat(5);
  const page = fc.nat(ARENA_PAGES - 1);
  const count = fc.integer({ min: 1, max: 6 });
  const mlock = fc
    .tuple(pick, page, count, fc.constantFrom(0, LOCKED, ONFAULT))
    .map(([a, b, c, d]) => new MlockCmd(a, b, c, d));
  const commands = [
    fc.tuple(pick, page, count, fc.boolean()).map(([a, b, c, d]) => new MmapCmd(a, b, c, d)),
    fc.tuple(pick, page, count).map(([a, b, c]) => new MunmapCmd(a, b, c)),
    mlock,
    mlock,
    mlock,
    fc
      .tuple(
        pick,
        fc.constantFrom(
          0,
          MCL_CURRENT,
          MCL_FUTURE,
          MCL_CURRENT | MCL_FUTURE,
          MCL_CURRENT | MCL_ONFAULT,
          MCL_FUTURE | MCL_ONFAULT,
        ),
      )
      .map(([a, b]) => new MlockallCmd(a, b)),
    fc.tuple(pick, page).map(([a, b]) => new TouchCmd(a, b)),
    pick.map((a) => new ForkCmd(a)),
    pick.map((a) => new ExitCmd(a)),
  ];

  it('keeps VmLck, Mlocked, Unevictable and the VMAs lock flags as the model says', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 30, size: 'max' }), (cmds) => {
        const k = Kernel.boot({ memory: '8M' });
        const p = k.spawn({ name: 'model' });
        expect(
          p.libc.setrlimit(RLIMIT_MEMLOCK, {
            rlim_cur: LIMIT_PAGES * PS,
            rlim_max: LIMIT_PAGES * PS,
          }),
        ).toBe(0);
        const model: MlockModel = { procs: [{ real: p, slots: initialSlots(p), defFlags: 0 }] };
        // Start from shared memory in parent and child, where pages have two mappers.
        new MmapCmd(0, 0, ARENA_PAGES, true).run(model, k);
        new TouchCmd(0, 3).run(model, k);
        new ForkCmd(0).run(model, k);
        fc.modelRun(() => ({ model, real: k }), cmds);
        for (const proc of model.procs) proc.real.exit();
        k.checkInvariants();
        expect(meminfo(k, 'Mlocked')).toBe(0);
      }),
      { numRuns: 20 },
    );
  });
});
