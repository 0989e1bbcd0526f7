/**
 * getrlimit(2), setrlimit(2), prlimit64(2) and their C library wrappers,
 * against Linux 6.18 (kernel/sys.c; errnos and their order measured on a
 * real 6.18 kernel as root and as an unprivileged user): the defaults of
 * init, `struct rlimit` in user memory on 64- and 32-bit machines,
 * RLIM_INFINITY exactly, the rules for raising and lowering limits,
 * inheritance across fork, and the enforcement of RLIMIT_AS, RLIMIT_DATA
 * and RLIMIT_STACK by mmap, mremap, mprotect, brk and stack growth.
 * Checks ported in spirit from LTP (getrlimit01-03, setrlimit01-05,
 * prlimit01).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  Errno,
  Kernel,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_GROWSDOWN,
  MAP_PRIVATE,
  MAP_SHARED,
  maxThreads,
  PROT_READ,
  PROT_WRITE,
  type Process,
  RLIM_INFINITY,
  RLIM_NLIMITS,
  RLIMIT_AS,
  RLIMIT_CORE,
  RLIMIT_CPU,
  RLIMIT_DATA,
  RLIMIT_FSIZE,
  RLIMIT_LOCKS,
  RLIMIT_MEMLOCK,
  RLIMIT_MSGQUEUE,
  RLIMIT_NICE,
  RLIMIT_NOFILE,
  RLIMIT_NPROC,
  RLIMIT_RSS,
  RLIMIT_RTPRIO,
  RLIMIT_RTTIME,
  RLIMIT_SIGPENDING,
  RLIMIT_STACK,
  SegmentationFault,
} from '../src/index.js';
import { MREMAP_MAYMOVE } from '../src/vm/syscalls/index.js';
import { expectSyscallRejected } from './helpers/kernel-errors.js';

const PS = 4096;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const INF = 0xffff_ffff_ffff_ffffn;
const INF32 = 0xffff_ffffn;

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

function setup(options: Parameters<Kernel['spawn']>[0] = {}): {
  k: Kernel;
  p: Process;
  buf: number;
} {
  const k = boot();
  const p = k.spawn({ name: 'limits', ...options });
  const buf = p.sys.mmap(0, 2 * PS, RW, ANON, -1, 0);
  return { k, p, buf };
}

/** Two little-endian u64s (or u32s) from user memory. */
function readPair(p: Process, va: number, width: 8 | 4 = 8): [bigint, bigint] {
  const view = new DataView(p.read(va, 2 * width).buffer);
  return width === 8
    ? [view.getBigUint64(0, true), view.getBigUint64(8, true)]
    : [BigInt(view.getUint32(0, true)), BigInt(view.getUint32(4, true))];
}

function writePair(p: Process, va: number, cur: bigint, max: bigint, width: 8 | 4 = 8): void {
  const out = new Uint8Array(2 * width);
  const view = new DataView(out.buffer);
  if (width === 8) {
    view.setBigUint64(0, cur, true);
    view.setBigUint64(8, max, true);
  } else {
    view.setUint32(0, Number(cur), true);
    view.setUint32(4, Number(max), true);
  }
  p.write(va, out);
}

function state(k: Kernel, p: Process): string {
  const limits = Array.from({ length: RLIM_NLIMITS }, (_, r) => p.libc.getrlimit(r));
  return [
    JSON.stringify(limits),
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

function field(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}:`));
  return Number(/(\d+)/.exec(line?.slice(name.length + 1) ?? '')?.[1]);
}

function managedPages(k: Kernel): number {
  return k.buddy.zones.reduce((n, z) => n + z.managed, 0);
}

describe('defaults and the struct in user memory', () => {
  it('every resource starts at init task values (getrlimit01)', () => {
    const { k, p, buf } = setup();
    const threads = BigInt(Math.floor(maxThreads(k.arch, managedPages(k)) / 2));
    const want: Record<number, [bigint, bigint]> = {
      [RLIMIT_CPU]: [INF, INF],
      [RLIMIT_FSIZE]: [INF, INF],
      [RLIMIT_DATA]: [INF, INF],
      [RLIMIT_STACK]: [8n * 2n ** 20n, INF],
      [RLIMIT_CORE]: [0n, INF],
      [RLIMIT_RSS]: [INF, INF],
      [RLIMIT_NPROC]: [threads, threads],
      [RLIMIT_NOFILE]: [1024n, 4096n],
      [RLIMIT_MEMLOCK]: [8n * 2n ** 20n, 8n * 2n ** 20n],
      [RLIMIT_AS]: [INF, INF],
      [RLIMIT_LOCKS]: [INF, INF],
      [RLIMIT_SIGPENDING]: [threads, threads],
      [RLIMIT_MSGQUEUE]: [819200n, 819200n],
      [RLIMIT_NICE]: [0n, 0n],
      [RLIMIT_RTPRIO]: [0n, 0n],
      [RLIMIT_RTTIME]: [INF, INF],
    };
    for (let r = 0; r < RLIM_NLIMITS; r++) {
      expect(p.sys.getrlimit(r, buf)).toBe(0);
      expect(readPair(p, buf)).toEqual(want[r]);
      expect(p.sys.prlimit64(0, r, 0, buf + 16)).toBe(0);
      expect(readPair(p, buf + 16)).toEqual(want[r]);
      const lib = p.libc.getrlimit(r);
      const [cur, max] = want[r] as [bigint, bigint];
      expect(lib).toEqual({
        rlim_cur: cur === INF ? RLIM_INFINITY : Number(cur),
        rlim_max: max === INF ? RLIM_INFINITY : Number(max),
      });
    }
    expect(k.proc(`/proc/${p.pid}/status`)).toContain(`SigQ:\t0/${threads}\n`);
  });

  it('RLIM_INFINITY is the all-ones u64 both ways; finite values near 2^64 stay exact in memory', () => {
    const { p, buf } = setup();
    expect(RLIM_INFINITY).toBe(2 ** 64 - 1);
    writePair(p, buf, INF - 1n, INF);
    expect(p.sys.setrlimit(RLIMIT_CORE, buf)).toBe(0);
    expect(p.sys.getrlimit(RLIMIT_CORE, buf + 16)).toBe(0);
    expect(readPair(p, buf + 16)).toEqual([INF - 1n, INF]);
    const lib = p.libc.getrlimit(RLIMIT_CORE);
    expect(lib).toEqual({ rlim_cur: 2 ** 64 - 2048, rlim_max: RLIM_INFINITY });
    expect(p.libc.setrlimit(RLIMIT_CORE, { rlim_cur: 5, rlim_max: Number.POSITIVE_INFINITY })).toBe(
      0,
    );
    expect(p.sys.prlimit64(0, RLIMIT_CORE, 0, buf)).toBe(0);
    expect(readPair(p, buf)).toEqual([5n, INF]);
    expect(
      p.libc.setrlimit(RLIMIT_CORE, { rlim_cur: RLIM_INFINITY, rlim_max: RLIM_INFINITY }),
    ).toBe(0);
    expect(p.sys.getrlimit(RLIMIT_CORE, buf)).toBe(0);
    expect(readPair(p, buf)).toEqual([INF, INF]);
  });

  it('i386: struct rlimit is two u32s (infinity 0xffffffff); prlimit64 values from 2^32 - 1 up are infinity (getrlimit03)', () => {
    const k = boot({ arch: 'i386' });
    const p = k.spawn();
    const buf = p.sys.mmap(0, PS, RW, ANON, -1, 0);
    for (let r = 0; r < RLIM_NLIMITS; r++) {
      // ugetrlimit and prlimit64 agree, with infinity in the width of each.
      expect(p.sys.getrlimit(r, buf)).toBe(0);
      expect(p.sys.prlimit64(0, r, 0, buf + 64)).toBe(0);
      const [cur64, max64] = readPair(p, buf + 64);
      const narrow = (v: bigint) => (v === INF ? INF32 : v);
      expect(readPair(p, buf, 4)).toEqual([narrow(cur64), narrow(max64)]);
    }
    expect(p.sys.getrlimit(RLIMIT_STACK, buf)).toBe(0);
    expect(readPair(p, buf, 4)).toEqual([8n * 2n ** 20n, INF32]);
    writePair(p, buf, 2n ** 33n, INF - 5n);
    expect(p.sys.prlimit64(0, RLIMIT_CORE, buf, 0)).toBe(0);
    expect(p.sys.prlimit64(0, RLIMIT_CORE, 0, buf + 16)).toBe(0);
    expect(readPair(p, buf + 16)).toEqual([INF, INF]);
    writePair(p, buf, 7n, INF32, 4);
    expect(p.sys.setrlimit(RLIMIT_CORE, buf)).toBe(0);
    expect(p.libc.getrlimit(RLIMIT_CORE)).toEqual({ rlim_cur: 7, rlim_max: RLIM_INFINITY });
    expect(p.libc.setrlimit(RLIMIT_CORE, { rlim_cur: 2 ** 40, rlim_max: RLIM_INFINITY })).toBe(0);
    expect(p.libc.getrlimit(RLIMIT_CORE)).toEqual({
      rlim_cur: RLIM_INFINITY,
      rlim_max: RLIM_INFINITY,
    });
  });
});

describe('/proc/<pid>/limits', () => {
  it('prints every limit as proc_pid_limits does (format of a real 6.18 file)', () => {
    const { k, p } = setup();
    expect(p.libc.setrlimit(RLIMIT_CORE, { rlim_cur: 4096, rlim_max: RLIM_INFINITY })).toBe(0);
    const threads = Math.floor(maxThreads(k.arch, managedPages(k)) / 2);
    const row = (name: string, cur: string, max: string, unit: string | null) =>
      `${name.padEnd(25)} ${cur.padEnd(20)} ${max.padEnd(20)} ${unit === null ? '' : unit.padEnd(10)}`;
    expect(k.proc(`/proc/${p.pid}/limits`).split('\n')).toEqual([
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max cpu time              unlimited            unlimited            seconds   ',
      'Max file size             unlimited            unlimited            bytes     ',
      'Max data size             unlimited            unlimited            bytes     ',
      'Max stack size            8388608              unlimited            bytes     ',
      'Max core file size        4096                 unlimited            bytes     ',
      'Max resident set          unlimited            unlimited            bytes     ',
      row('Max processes', `${threads}`, `${threads}`, 'processes'),
      'Max open files            1024                 4096                 files     ',
      'Max locked memory         8388608              8388608              bytes     ',
      'Max address space         unlimited            unlimited            bytes     ',
      'Max file locks            unlimited            unlimited            locks     ',
      row('Max pending signals', `${threads}`, `${threads}`, 'signals'),
      'Max msgqueue size         819200               819200               bytes     ',
      'Max nice priority         0                    0                    ',
      'Max realtime priority     0                    0                    ',
      'Max realtime timeout      unlimited            unlimited            us        ',
      '',
    ]);
  });
});

describe('errnos', () => {
  it('getrlimit: EINVAL for the resource first, then EFAULT (getrlimit02)', () => {
    const { k, p, buf } = setup();
    expectRejected(k, p, () => p.sys.getrlimit(RLIM_NLIMITS, buf), Errno.EINVAL);
    expectRejected(k, p, () => p.sys.getrlimit(-1, -1), Errno.EINVAL);
    expectRejected(k, p, () => p.sys.getrlimit(RLIMIT_AS, 0), Errno.EFAULT);
    expectRejected(k, p, () => p.sys.getrlimit(RLIMIT_AS, -1), Errno.EFAULT);
    expectRejected(k, p, () => p.sys.getrlimit(RLIMIT_AS, 0x1000), Errno.EFAULT);
    const ro = p.sys.mmap(0, PS, PROT_READ, ANON, -1, 0);
    expectRejected(k, p, () => p.sys.getrlimit(RLIMIT_AS, ro), Errno.EFAULT);
    // A struct running into an unmapped page: nothing written (Linux may write its first half).
    expect(p.sys.munmap(buf + PS, PS)).toBe(0);
    writePair(p, buf + PS - 8, 0n, 0n, 4);
    expectRejected(k, p, () => p.sys.getrlimit(RLIMIT_AS, buf + PS - 8), Errno.EFAULT);
    expect(readPair(p, buf + PS - 8, 4)).toEqual([0n, 0n]);
    expect(p.libc.getrlimit(16)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EINVAL);
    expect(p.libc.getrlimit(-1)).toBe(-1);
  });

  it('setrlimit: EFAULT before EINVAL; soft above hard is EINVAL (setrlimit02, setrlimit05)', () => {
    const { k, p, buf } = setup();
    expectRejected(k, p, () => p.sys.setrlimit(RLIM_NLIMITS, -1), Errno.EFAULT);
    expectRejected(k, p, () => p.sys.setrlimit(RLIMIT_NOFILE, -1), Errno.EFAULT);
    expectRejected(k, p, () => p.sys.setrlimit(RLIMIT_NOFILE, 0), Errno.EFAULT);
    writePair(p, buf, 10n, 5n);
    expectRejected(k, p, () => p.sys.setrlimit(RLIMIT_CORE, buf), Errno.EINVAL);
    expectRejected(k, p, () => p.sys.setrlimit(RLIM_NLIMITS, buf), Errno.EINVAL);
    expectRejected(k, p, () => p.sys.setrlimit(-1, buf), Errno.EINVAL);
    // A read-only struct may be read.
    const ro = p.sys.mmap(0, PS, PROT_READ, ANON, -1, 0);
    expect(p.sys.setrlimit(RLIMIT_CORE, ro)).toBe(0);
    expect(p.libc.getrlimit(RLIMIT_CORE)).toEqual({ rlim_cur: 0, rlim_max: 0 });
  });

  it('raising a hard limit needs CAP_SYS_RESOURCE; lowering is always allowed (setrlimit02)', () => {
    const { k, p, buf } = setup();
    writePair(p, buf, 1024n, 4097n);
    expectRejected(k, p, () => p.sys.setrlimit(RLIMIT_NOFILE, buf), Errno.EPERM);
    writePair(p, buf, 512n, 2048n);
    expect(p.sys.setrlimit(RLIMIT_NOFILE, buf)).toBe(0);
    writePair(p, buf, 2048n, 2048n); // the soft limit up to the hard one
    expect(p.sys.setrlimit(RLIMIT_NOFILE, buf)).toBe(0);
    writePair(p, buf, 2048n, 4096n); // the hard limit back up: no
    expectRejected(k, p, () => p.sys.setrlimit(RLIMIT_NOFILE, buf), Errno.EPERM);
    expect(p.libc.setrlimit(RLIMIT_NOFILE, { rlim_cur: 1, rlim_max: 4096 })).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EPERM);
    const q = k.spawn({ capSysResource: true });
    expect(
      q.libc.setrlimit(RLIMIT_MEMLOCK, { rlim_cur: RLIM_INFINITY, rlim_max: RLIM_INFINITY }),
    ).toBe(0);
    expect(q.fork().capSysResource).toBe(true);
  });

  it('RLIMIT_NOFILE may not pass fs.nr_open, even with privilege; soft above hard is reported first (setrlimit03)', () => {
    const k = boot();
    const q = k.spawn({ capSysResource: true });
    const buf = q.sys.mmap(0, PS, RW, ANON, -1, 0);
    writePair(q, buf, 1024n, 2n ** 20n + 1n);
    expectRejected(k, q, () => q.sys.setrlimit(RLIMIT_NOFILE, buf), Errno.EPERM);
    writePair(q, buf, 2n ** 21n, 2n ** 20n + 1n);
    expectRejected(k, q, () => q.sys.setrlimit(RLIMIT_NOFILE, buf), Errno.EINVAL);
    writePair(q, buf, 1024n, 2n ** 20n);
    expect(q.sys.setrlimit(RLIMIT_NOFILE, buf)).toBe(0);
  });

  it('prlimit64: EFAULT for the new struct, then ESRCH, then EINVAL; 0 pointers skip (prlimit01)', () => {
    const { k, p, buf } = setup();
    expectRejected(k, p, () => p.sys.prlimit64(99999, 0, 0, 0), Errno.ESRCH);
    expectRejected(k, p, () => p.sys.prlimit64(99999, 0, -1, 0), Errno.EFAULT);
    expectRejected(k, p, () => p.sys.prlimit64(99999, RLIM_NLIMITS, 0, 0), Errno.ESRCH);
    expectRejected(k, p, () => p.sys.prlimit64(-1, 0, 0, 0), Errno.ESRCH);
    expectRejected(k, p, () => p.sys.prlimit64(0, RLIM_NLIMITS, 0, 0), Errno.EINVAL);
    expectRejected(k, p, () => p.sys.prlimit64(0, RLIM_NLIMITS, 0, -1), Errno.EINVAL);
    expect(p.sys.prlimit64(0, 0, 0, 0)).toBe(0);
    // Set and read back in one call; getrlimit agrees.
    writePair(p, buf, 100n, 200n);
    expect(p.sys.prlimit64(p.pid, RLIMIT_CORE, buf, buf + 16)).toBe(0);
    expect(readPair(p, buf + 16)).toEqual([0n, INF]);
    expect(p.libc.getrlimit(RLIMIT_CORE)).toEqual({ rlim_cur: 100, rlim_max: 200 });
    writePair(p, buf, 100n, 300n);
    expectRejected(k, p, () => p.sys.prlimit64(0, RLIMIT_CORE, buf, buf + 16), Errno.EPERM);
    // A bad old-limit pointer: Linux sets the limit and then fails; mmsim checks it first.
    writePair(p, buf, 1n, 2n);
    expectRejected(k, p, () => p.sys.prlimit64(0, RLIMIT_CORE, buf, -1), Errno.EFAULT);
    // Another process's limits.
    const other = k.spawn({ name: 'other' });
    expect(p.sys.prlimit64(other.pid, RLIMIT_CORE, buf, buf + 16)).toBe(0);
    expect(readPair(p, buf + 16)).toEqual([0n, INF]);
    expect(other.libc.getrlimit(RLIMIT_CORE)).toEqual({ rlim_cur: 1, rlim_max: 2 });
    expect(p.libc.prlimit(other.pid, RLIMIT_CORE, { rlim_cur: 0, rlim_max: 0 })).toEqual({
      rlim_cur: 1,
      rlim_max: 2,
    });
    other.exit();
    expect(p.libc.prlimit(other.pid, RLIMIT_CORE)).toBe(-1);
    expect(p.libc.errno).toBe(Errno.ESRCH);
  });

  it('libc: values no rlim_t holds are EINVAL, a missing struct EFAULT, and nothing changes', () => {
    const { k, p } = setup();
    const before = state(k, p);
    for (const bad of [-1, 0.5, Number.NaN, '5', 5n, null, 2 ** 65, undefined]) {
      expect(p.libc.setrlimit(RLIMIT_CORE, { rlim_cur: 0, rlim_max: bad } as never)).toBe(-1);
      expect(p.libc.errno).toBe(Errno.EINVAL);
    }
    for (const bad of [null, undefined, 5, 'x']) {
      expect(p.libc.setrlimit(RLIMIT_CORE, bad as never)).toBe(-1);
      expect(p.libc.errno).toBe(Errno.EFAULT);
    }
    expect(p.libc.setrlimit(RLIM_NLIMITS, { rlim_cur: 0, rlim_max: 0 })).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EINVAL);
    expect(p.libc.setrlimit(RLIMIT_CORE, { rlim_cur: 2, rlim_max: 1 })).toBe(-1);
    expect(p.libc.errno).toBe(Errno.EINVAL);
    expect(p.libc.getrlimit(0.5)).toBe(-1);
    expect(p.libc.getrlimit('1' as never)).toBe(-1);
    expect(state(k, p)).toBe(before);
  });
});

describe('inheritance', () => {
  it('fork copies the limits; later changes stay in their process', () => {
    const { p } = setup();
    expect(p.libc.setrlimit(RLIMIT_MEMLOCK, { rlim_cur: PS, rlim_max: 2 * PS })).toBe(0);
    const child = p.fork();
    expect(child.libc.getrlimit(RLIMIT_MEMLOCK)).toEqual({ rlim_cur: PS, rlim_max: 2 * PS });
    expect(child.libc.setrlimit(RLIMIT_MEMLOCK, { rlim_cur: 0, rlim_max: 0 })).toBe(0);
    expect(p.libc.getrlimit(RLIMIT_MEMLOCK)).toEqual({ rlim_cur: PS, rlim_max: 2 * PS });
    const va = child.sys.mmap(0, PS, RW, ANON, -1, 0);
    expect(child.sys.mlock(va, PS)).toBe(-Errno.EPERM);
  });
});

describe('enforcement', () => {
  it('RLIMIT_AS: mmap, mremap, brk and stack growth stop at it; MAP_FIXED counts what it replaces', () => {
    const { k, p } = setup();
    const size = field(k.proc(`/proc/${p.pid}/status`), 'VmSize') * 1024;
    expect(p.libc.setrlimit(RLIMIT_AS, { rlim_cur: size + 8 * PS, rlim_max: RLIM_INFINITY })).toBe(
      0,
    );
    const va = p.sys.mmap(0, 4 * PS, RW, ANON, -1, 0);
    expect(va).toBeGreaterThan(0);
    expectRejected(k, p, () => p.sys.mmap(0, 5 * PS, PROT_READ, ANON, -1, 0), Errno.ENOMEM);
    expect(p.sys.mmap(va, 4 * PS, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(va); // replaces: no growth
    expectRejected(k, p, () => p.sys.mremap(va, 4 * PS, 9 * PS, MREMAP_MAYMOVE), Errno.ENOMEM);
    expect(p.sys.mremap(va, 4 * PS, 8 * PS, MREMAP_MAYMOVE)).toBeGreaterThan(0);
    const brk = p.sys.brk(0);
    expect(p.sys.brk(brk + PS)).toBe(brk);
    const stack = p.mm.vmas.all().find((v) => v.name === '[stack]');
    const below = (stack?.start ?? 0) - PS;
    expect(() => p.store8(below, 1)).toThrow(SegmentationFault);
    expect(p.libc.setrlimit(RLIMIT_AS, { rlim_cur: RLIM_INFINITY, rlim_max: RLIM_INFINITY })).toBe(
      0,
    );
    p.store8(below, 1);
    expect(p.sys.brk(brk + PS)).toBe(brk + PS);
  });

  it('RLIMIT_DATA: brk and private writable mappings, with the warning Linux logs once', () => {
    const { k, p } = setup({ name: 'datahog' });
    const status = () => k.proc(`/proc/${p.pid}/status`);
    const data = field(status(), 'VmData'); // the data page and the setup's 2-page buffer
    expect(data).toBe(12);
    expect(p.libc.setrlimit(RLIMIT_DATA, { rlim_cur: 6 * PS, rlim_max: RLIM_INFINITY })).toBe(0);
    const brk = p.sys.brk(0);
    expect(p.sys.brk(brk + 2 * PS)).toBe(brk + 2 * PS); // data_vm 5 pages
    expect(p.sys.mmap(0, PS, RW, ANON, -1, 0)).toBeGreaterThan(0); // 6 pages
    const log = k.dmesg();
    expect(p.sys.mmap(0, PS, RW, ANON, -1, 0)).toBe(-Errno.ENOMEM);
    expect(k.dmesg().slice(log.length)).toMatch(
      new RegExp(
        `mmap: datahog \\(${p.pid}\\): VmData 28672 exceed data ulimit 24576\\. Update limits or use boot option ignore_rlimit_data\\.\\n?$`,
      ),
    );
    // Once per boot: later refusals change nothing, the log included.
    expectRejected(k, p, () => p.sys.mmap(0, PS, RW, ANON, -1, 0), Errno.ENOMEM);
    const before = state(k, p);
    expect(p.sys.brk(brk + 3 * PS)).toBe(brk + 2 * PS);
    expect(state(k, p)).toBe(before);
    // Not data: read-only, shared, and growing-down mappings.
    expect(p.sys.mmap(0, PS, PROT_READ, ANON, -1, 0)).toBeGreaterThan(0);
    expect(p.sys.mmap(0, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0)).toBeGreaterThan(0);
    const ro = p.sys.mmap(0, PS, PROT_READ, ANON, -1, 0);
    expect(p.sys.mmap(0, PS, RW, ANON | MAP_GROWSDOWN, -1, 0)).toBeGreaterThan(0);
    // mprotect turning memory into data is refused the same way.
    expectRejected(k, p, () => p.sys.mprotect(ro, PS, RW), Errno.ENOMEM);
    // brk's own check (check_data_rlimit): the heap plus the data segment, even to shrink.
    expect(p.libc.setrlimit(RLIMIT_DATA, { rlim_cur: PS, rlim_max: RLIM_INFINITY })).toBe(0);
    expect(p.sys.brk(brk + PS)).toBe(brk + 2 * PS); // 1 heap page + 1 data page: refused
    expect(p.sys.brk(brk)).toBe(brk); // 0 heap pages + 1 data page: allowed
  });

  it('RLIMIT_DATA of 0 with a larger hard limit is let through (Valgrind); 0 / 0 is not', () => {
    const { p } = setup();
    expect(p.libc.setrlimit(RLIMIT_DATA, { rlim_cur: 0, rlim_max: RLIM_INFINITY })).toBe(0);
    expect(p.sys.mmap(0, PS, RW, ANON, -1, 0)).toBeGreaterThan(0);
    expect(p.libc.setrlimit(RLIMIT_DATA, { rlim_cur: 0, rlim_max: 0 })).toBe(0);
    expect(p.sys.mmap(0, PS, RW, ANON, -1, 0)).toBe(-Errno.ENOMEM);
  });

  it('RLIMIT_STACK: the stack grows up to the soft limit, then SIGSEGV', () => {
    const { p } = setup();
    const stack = p.mm.vmas.all().find((v) => v.name === '[stack]');
    if (stack === undefined) throw new Error('no stack');
    const top = stack.end;
    expect(p.libc.setrlimit(RLIMIT_STACK, { rlim_cur: 256 * 1024, rlim_max: RLIM_INFINITY })).toBe(
      0,
    );
    p.store8(top - 256 * 1024, 1); // exactly 256 KiB
    const e = (() => {
      try {
        p.store8(top - 256 * 1024 - 1, 1);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(SegmentationFault);
    expect((e as SegmentationFault).siCode).toBe('SEGV_MAPERR');
    expect(
      p.libc.setrlimit(RLIMIT_STACK, { rlim_cur: RLIM_INFINITY, rlim_max: RLIM_INFINITY }),
    ).toBe(0);
    p.store8(top - 256 * 1024 - 1, 1);
  });

  it('RLIMIT_MEMLOCK set through setrlimit governs mlock (and 0 forbids it)', () => {
    const { p, buf } = setup();
    writePair(p, buf, 0n, 0n);
    expect(p.sys.setrlimit(RLIMIT_MEMLOCK, buf)).toBe(0);
    expect(p.sys.mlock(buf, PS)).toBe(-Errno.EPERM);
  });
});
