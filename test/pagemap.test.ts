/**
 * /proc/<pid>/pagemap (the bits as fs/proc/task_mmu.c of Linux 6.18 sets
 * them, and as this machine's 6.18 kernel showed them to a C program: a
 * guard page reads exactly 0x440000000000009f), its decoder and
 * `readPagemap`; /proc files opened by processes (pagemap read by position
 * as tools/testing/selftests/mm/vm_util.c does, text files, permissions,
 * /proc/self); and /proc/<pid>/oom_score and oom_score_adj, whose write
 * validation was measured on 6.18 by an unprivileged process.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePagemapEntry,
  Errno,
  Kernel,
  KernelError,
  MADV_DONTNEED,
  MADV_GUARD_INSTALL,
  MADV_PAGEOUT,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  type PagemapEntry,
  PM_FILE,
  PM_GUARD_REGION,
  PM_MMAP_EXCLUSIVE,
  PM_PFRAME_MASK,
  PM_PRESENT,
  PM_SWAP,
  PROC_READ_MAX,
  PROT_READ,
  PROT_WRITE,
  type Process,
  pteToSwapEntry,
  READ_PAGEMAP_MAX_PAGES,
  readPagemap,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
} from '../src/index.js';
import { errnoOf } from './helpers/kernel-errors.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function boot(swap = false) {
  const k = Kernel.boot({ memory: '32M', ...(swap ? { swap: { size: '16M' } } : {}) });
  const p = k.spawn({ name: 'pm' });
  return { k, p, P: k.PAGE_SIZE };
}

/** The raw entry of `va` as root reads it. */
function raw(k: Kernel, p: Process, va: number): bigint {
  const bytes = k.procRead(`/proc/${p.pid}/pagemap`, (va / k.PAGE_SIZE) * 8, 8);
  return new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
}

function entry(k: Kernel, p: Process, va: number): PagemapEntry {
  return decodePagemapEntry(raw(k, p, va));
}

function pfnOf(p: Process, va: number): number {
  const pte = p.mm.lookupPte(va);
  if (pte === null) throw new Error('not present');
  return pte.pfn;
}

/** A buffer of user memory, resident. */
function userBuffer(p: Process, bytes: number): number {
  const va = p.sys.mmap(0, bytes, RW, ANON, -1, 0);
  for (let i = 0; i < bytes; i += p.vm.arch.pageSize) p.store8(va + i, 0);
  return va;
}

describe('pagemap entries', () => {
  it('anonymous memory: 0 untouched, present + exclusive with its frame once written', () => {
    const { k, p, P } = boot();
    const va = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    expect(raw(k, p, va)).toBe(0n);
    p.store8(va, 1);
    const e = entry(k, p, va);
    expect(e).toMatchObject({
      present: true,
      exclusive: true,
      fileOrShared: false,
      swapped: false,
    });
    expect(e.pfn).toBe(pfnOf(p, va));
    expect(raw(k, p, va)).toBe(PM_PRESENT | PM_MMAP_EXCLUSIVE | BigInt(pfnOf(p, va)));
    expect(raw(k, p, va + P)).toBe(0n);
    // Below every mapping, and between mappings.
    expect(raw(k, p, 0)).toBe(0n);
    expect(raw(k, p, P * 16)).toBe(0n);
  });

  it('a read of untouched anonymous memory maps the zero page: present, its frame, not exclusive', () => {
    const { k, p, P } = boot();
    const va = p.sys.mmap(0, P, RW, ANON, -1, 0);
    p.load8(va);
    expect(raw(k, p, va)).toBe(PM_PRESENT | BigInt(k.vm.zeroPfn));
  });

  it('fork shares the page (not exclusive in either); copy on write makes each exclusive again', () => {
    const { k, p, P } = boot();
    const va = p.sys.mmap(0, P, RW, ANON, -1, 0);
    p.store8(va, 1);
    const child = p.fork();
    const shared = entry(k, p, va);
    expect(shared).toMatchObject({ present: true, exclusive: false });
    expect(entry(k, child, va)).toEqual(shared);
    child.store8(va, 2);
    expect(entry(k, child, va)).toMatchObject({ present: true, exclusive: true });
    expect(entry(k, child, va).pfn).not.toBe(shared.pfn);
    expect(entry(k, p, va)).toMatchObject({ present: true, exclusive: true, pfn: shared.pfn });
  });

  it('file pages and shared anonymous pages have bit 61; a private copy of a file page does not', () => {
    const { k, p, P } = boot();
    k.vfs.writeFile('/f', new Uint8Array(2 * P).fill(1));
    const fd = p.sys.open('/f', O_RDWR);
    const priv = p.sys.mmap(0, 2 * P, RW, MAP_PRIVATE, fd, 0);
    p.load8(priv);
    expect(entry(k, p, priv)).toMatchObject({ present: true, fileOrShared: true, exclusive: true });
    const shared = p.sys.mmap(0, 2 * P, RW, MAP_SHARED, fd, 0);
    p.load8(shared);
    // Two mappings of one page cache page: neither is exclusive.
    expect(entry(k, p, priv)).toMatchObject({ fileOrShared: true, exclusive: false });
    expect(entry(k, p, shared)).toMatchObject({ fileOrShared: true, exclusive: false });
    expect(entry(k, p, priv).pfn).toBe(entry(k, p, shared).pfn);
    p.store8(priv + P, 3); // copy on write of page 1
    expect(entry(k, p, priv + P)).toMatchObject({
      present: true,
      fileOrShared: false,
      exclusive: true,
    });
    const shm = p.sys.mmap(0, P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    p.store8(shm, 1);
    expect(raw(k, p, shm)).toBe(PM_PRESENT | PM_FILE | PM_MMAP_EXCLUSIVE | BigInt(pfnOf(p, shm)));
  });

  it('a swapped-out page: bit 62 with the swap type and offset of its PTE', () => {
    const { k, p, P } = boot(true);
    const va = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    p.store8(va, 1);
    p.store8(va + P, 2);
    expect(p.sys.madvise(va, 2 * P, MADV_PAGEOUT)).toBe(0);
    for (const at of [va, va + P]) {
      const slot = p.mm.pteSlot(at, false);
      const swap = pteToSwapEntry(k.arch, p.vm.geo.readLo(slot), p.vm.geo.readHi(slot));
      const e = entry(k, p, at);
      expect(e).toMatchObject({
        present: false,
        swapped: true,
        fileOrShared: false,
        exclusive: false,
      });
      expect(e.swapType).toBe(swap.type);
      expect(e.swapOffset).toBe(swap.offset);
      expect(raw(k, p, at)).toBe(PM_SWAP | BigInt(swap.type) | (BigInt(swap.offset) << 5n));
    }
    expect(p.load8(va + P)).toBe(2);
    expect(entry(k, p, va + P)).toMatchObject({ present: true, swapped: false });
  });

  it('a guard region reads 0x440000000000009f, as on Linux 6.18 (marker type 31, PTE_MARKER_GUARD 4)', () => {
    const { k, p, P } = boot();
    const va = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    expect(p.sys.madvise(va, P, MADV_GUARD_INSTALL)).toBe(0);
    expect(raw(k, p, va)).toBe(0x440000000000009fn);
    expect(entry(k, p, va)).toMatchObject({
      guard: true,
      swapped: true,
      present: false,
      swapType: 31,
      swapOffset: 4,
    });
    expect(raw(k, p, va + P)).toBe(0n);
    expect(raw(k, p, va) & PM_GUARD_REGION).not.toBe(0n);
  });

  it('every architecture: the entry of each touched page names its frame', () => {
    for (const arch of ['x86_64', 'i386', 'arm64-4k', 'arm64-16k', 'arm64-64k'] as const) {
      const k = Kernel.boot({ arch, memory: '32M' });
      const p = k.spawn();
      const P = k.PAGE_SIZE;
      const va = p.sys.mmap(0, 3 * P, RW, ANON, -1, 0);
      p.store8(va + P, 1);
      const entries = readPagemap(k, p.pid, va, va + 3 * P);
      expect(entries.map((e) => e.present)).toEqual([false, true, false]);
      expect(entries[1]?.pfn).toBe(pfnOf(p, va + P));
    }
  });
});

describe('k.proc of pagemap: the non-zero entries as text', () => {
  it('lists exactly the pages whose binary entry is not zero, each with that entry', () => {
    const { k, p, P } = boot(true);
    const va = p.sys.mmap(0, 8 * P, RW, ANON, -1, 0);
    p.store8(va, 1);
    p.store8(va + 3 * P, 1);
    p.load8(va + 5 * P); // the zero page: present
    expect(p.sys.madvise(va + 3 * P, P, 21 /* MADV_PAGEOUT */)).toBe(0);
    const text = k.proc(`/proc/${p.pid}/pagemap`);
    const lines = new Map(
      text
        .trimEnd()
        .split('\n')
        .map((line) => {
          expect(line).toMatch(/^[0-9a-f]{16} [0-9a-f]{16}$/);
          const [addr, value] = line.split(' ') as [string, string];
          return [Number.parseInt(addr, 16), BigInt(`0x${value}`)] as const;
        }),
    );
    for (let i = 0; i < 8; i++) {
      const at = va + i * P;
      const binary = raw(k, p, at);
      expect(lines.get(at) ?? 0n).toBe(binary);
      expect(binary !== 0n).toBe([0, 3, 5].includes(i));
    }
    expect(decodePagemapEntry(lines.get(va) as bigint).present).toBe(true);
    expect(decodePagemapEntry(lines.get(va + 3 * P) as bigint).swapped).toBe(true);
    // Every listed page lies in a VMA, in address order.
    const addrs = [...lines.keys()];
    expect(addrs).toEqual([...addrs].sort((a, b) => a - b));
    for (const a of addrs) expect(p.mm.vmas.findVma(a)?.start).toBeLessThanOrEqual(a);
  });

  it('is empty for a process that touched nothing, whatever the size of its mappings', () => {
    const { k, p, P } = boot();
    p.sys.mmap(0, 4096 * P, RW, ANON | 0x4000 /* MAP_NORESERVE */, -1, 0);
    expect(k.proc(`/proc/${p.pid}/pagemap`)).toBe('');
  });
});

describe('reading pagemap by position (k.procRead)', () => {
  it('ends at the last page below TASK_SIZE', () => {
    const { k, p, P } = boot();
    const entries = k.arch.taskSize / P;
    const path = `/proc/${p.pid}/pagemap`;
    expect(k.procRead(path, (entries - 1) * 8, 8).length).toBe(8);
    expect(k.procRead(path, (entries - 1) * 8, 64).length).toBe(8);
    expect(k.procRead(path, entries * 8, 8).length).toBe(0);
    expect(k.procRead(path, 2 ** 52, 8).length).toBe(0);
  });

  it('reads at most PROC_READ_MAX bytes at once (a short read), never allocating the whole file', () => {
    const { k, p } = boot();
    const bytes = k.procRead(`/proc/${p.pid}/pagemap`, 0, 2 ** 40);
    expect(bytes.length).toBe(PROC_READ_MAX);
  });

  it('EINVAL: an offset or length not in whole entries, or no length', () => {
    const { k, p } = boot();
    const path = `/proc/${p.pid}/pagemap`;
    expect(errnoOf(() => k.procRead(path, 3, 8))).toBe('EINVAL');
    expect(errnoOf(() => k.procRead(path, 8, 5))).toBe('EINVAL');
    expect(errnoOf(() => k.procRead(path))).toBe('EINVAL');
    expect(errnoOf(() => k.procRead(path, -8, 8))).toBe('EINVAL');
    expect(errnoOf(() => k.procRead(path, 0, Number.NaN))).toBe('EINVAL');
    expect(k.procRead(path, 8, 0).length).toBe(0);
  });

  it('ENOENT for a process that exited, and for /proc/self outside a system call', () => {
    const { k, p } = boot();
    const q = k.spawn();
    q.exit();
    expect(errnoOf(() => k.procRead(`/proc/${q.pid}/pagemap`, 0, 8))).toBe('ENOENT');
    expect(errnoOf(() => k.procRead('/proc/self/pagemap', 0, 8))).toBe('ENOENT');
    expect(errnoOf(() => k.proc('/proc/self/maps'))).toBe('ENOENT');
    expect(errnoOf(() => readPagemap(k, q.pid, 0, 4096))).toBe('ENOENT');
    expect(k.proc(`/proc/${p.pid}/maps`)).toContain('[stack]');
  });

  it('readPagemap checks its arguments', () => {
    const { k, p, P } = boot();
    expect(readPagemap(k, p.pid, P, P)).toEqual([]);
    expect(readPagemap(k, p.pid, P + 1, P + 2)).toHaveLength(1);
    expect(errnoOf(() => readPagemap(k, p.pid, 2 * P, P))).toBe('EINVAL');
    expect(errnoOf(() => readPagemap(k, p.pid, -P, P))).toBe('EINVAL');
    expect(errnoOf(() => readPagemap(k, Number.NaN, 0, P))).toBe('EINVAL');
    expect(errnoOf(() => readPagemap(k, p.pid, 0, (READ_PAGEMAP_MAX_PAGES + 1) * P))).toBe(
      'EINVAL',
    );
    const top = k.arch.taskSize;
    expect(readPagemap(k, p.pid, top - P, top + 4 * P)).toHaveLength(1);
  });
});

describe('decodePagemapEntry', () => {
  it('decodes each bit', () => {
    expect(decodePagemapEntry(0n)).toEqual({
      raw: 0n,
      present: false,
      swapped: false,
      fileOrShared: false,
      exclusive: false,
      softDirty: false,
      uffdWp: false,
      guard: false,
    });
    const e = decodePagemapEntry((1n << 63n) | (1n << 61n) | (1n << 57n) | (1n << 55n) | 0x1234n);
    expect(e).toMatchObject({ present: true, fileOrShared: true, uffdWp: true, softDirty: true });
    expect(e.pfn).toBe(0x1234);
    expect(e.swapType).toBeUndefined();
    const s = decodePagemapEntry((1n << 62n) | (77n << 5n) | 3n);
    expect(s).toMatchObject({ swapped: true, swapType: 3, swapOffset: 77 });
    expect(s.pfn).toBeUndefined();
    expect(decodePagemapEntry(PM_PFRAME_MASK | PM_PRESENT).pfn).toBe(2 ** 55 - 1);
  });

  it('refuses what is not a 64-bit entry', () => {
    expect(errnoOf(() => decodePagemapEntry(-1n))).toBe('EINVAL');
    expect(errnoOf(() => decodePagemapEntry(1n << 64n))).toBe('EINVAL');
    expect(errnoOf(() => decodePagemapEntry(5 as unknown as bigint))).toBe('EINVAL');
  });
});

describe('/proc files opened by processes', () => {
  it('/proc/self/pagemap with pread at (va / PAGE_SIZE) * 8, as the mm selftests read it; frames hidden', () => {
    const { k, p, P } = boot(true);
    const buf = userBuffer(p, P);
    const va = p.sys.mmap(0, 4 * P, RW, ANON, -1, 0);
    p.store8(va, 1);
    p.store8(va + P, 1);
    expect(p.sys.madvise(va + P, P, MADV_PAGEOUT)).toBe(0);
    const fd = p.sys.open('/proc/self/pagemap', O_RDONLY);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(p.sys.pread(fd, buf, 32, (va / P) * 8)).toBe(32);
    const view = new DataView(p.read(buf, 32).buffer);
    for (let i = 0; i < 4; i++) {
      const root = raw(k, p, va + i * P);
      // Without CAP_SYS_ADMIN: the flags, not the frame or swap entry.
      expect(view.getBigUint64(i * 8, true)).toBe(root & ~PM_PFRAME_MASK);
    }
    expect(view.getBigUint64(0, true) & PM_PRESENT).toBe(PM_PRESENT);
    expect(view.getBigUint64(8, true) & PM_SWAP).toBe(PM_SWAP);
  });

  it('read(2) moves the position one entry at a time; lseek as mem_lseek does', () => {
    const { k, p, P } = boot();
    const buf = userBuffer(p, P);
    const va = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    p.store8(va + P, 1);
    const fd = p.sys.open(`/proc/${p.pid}/pagemap`, O_RDONLY);
    expect(p.sys.lseek(fd, (va / P) * 8, SEEK_SET)).toBe((va / P) * 8);
    expect(p.sys.read(fd, buf, 8)).toBe(8);
    expect(p.sys.read(fd, buf + 8, 8)).toBe(8);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe((va / P) * 8 + 16);
    const v = new DataView(p.read(buf, 16).buffer);
    expect(v.getBigUint64(0, true)).toBe(0n);
    expect(v.getBigUint64(8, true)).toBe((raw(k, p, va + P) & ~PM_PFRAME_MASK) as bigint);
    expect(p.sys.lseek(fd, 0, SEEK_END)).toBe(-Errno.EINVAL);
    // mem_lseek stores any position and returns it: -100 reads as -errno 100, as glibc sees it.
    expect(p.sys.lseek(fd, -100, SEEK_SET)).toBe(-100);
    expect(p.sys.read(fd, buf, 8)).toBe(-Errno.EINVAL);
  });

  it('read errors: alignment, buffer, end of file, write, mmap', () => {
    const { k, p, P } = boot();
    const buf = userBuffer(p, P);
    const fd = p.sys.open('/proc/self/pagemap', O_RDONLY);
    expect(p.sys.pread(fd, buf, 8, 3)).toBe(-Errno.EINVAL);
    expect(p.sys.pread(fd, buf, 5, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.pread(fd, buf, 0, 0)).toBe(0);
    expect(p.sys.pread(fd, 8, 8, 0)).toBe(-Errno.EFAULT);
    expect(p.sys.pread(fd, -0x800000000000, 8, 0)).toBe(-Errno.EFAULT);
    expect(p.sys.pread(fd, buf, 8, -8)).toBe(-Errno.EINVAL);
    const end = (k.arch.taskSize / P) * 8;
    expect(p.sys.pread(fd, buf, 16, end - 8)).toBe(8);
    expect(p.sys.pread(fd, buf, 8, end)).toBe(0);
    expect(p.sys.write(fd, buf, 8)).toBe(-Errno.EBADF);
    expect(p.sys.mmap(0, P, PROT_READ, MAP_PRIVATE, fd, 0)).toBe(-Errno.ENODEV);
    expect(p.sys.ftruncate(fd, 0)).toBe(-Errno.EINVAL);
    // A buffer that faults part way: EFAULT, as pagemap_read's copy_to_user failing.
    const half = p.sys.mmap(0, 2 * P, RW, ANON, -1, 0);
    expect(p.sys.munmap(half + P, P)).toBe(0);
    expect(p.sys.pread(fd, half + P - 8, 16, 0)).toBe(-Errno.EFAULT);
  });

  it('permissions: pagemap is 0400, text files 0444, oom_score_adj 0644, slabinfo and pagetypeinfo root only', () => {
    const { p } = boot();
    expect(p.sys.open('/proc/self/pagemap', O_RDWR)).toBe(-Errno.EACCES);
    expect(p.sys.open('/proc/self/pagemap', O_RDONLY | O_TRUNC)).toBe(-Errno.EACCES);
    expect(p.sys.open('/proc/self/maps', O_WRONLY)).toBe(-Errno.EACCES);
    expect(p.sys.open('/proc/meminfo', O_WRONLY)).toBe(-Errno.EACCES);
    expect(p.sys.open('/proc/self/oom_score', O_WRONLY)).toBe(-Errno.EACCES);
    expect(p.sys.open('/proc/slabinfo', O_RDONLY)).toBe(-Errno.EACCES);
    expect(p.sys.open('/proc/pagetypeinfo', O_RDONLY)).toBe(-Errno.EACCES);
    expect(p.sys.open('/proc/self/oom_score_adj', O_RDWR)).toBeGreaterThanOrEqual(3);
    expect(p.sys.open('/proc/nope', O_RDONLY)).toBe(-Errno.ENOENT);
    expect(p.sys.open('/proc/nope', O_RDWR | O_CREAT)).toBe(-Errno.ENOENT);
    expect(p.sys.open('/proc/self/pagemap', O_RDONLY | O_CREAT | O_EXCL)).toBe(-Errno.EEXIST);
    expect(p.sys.open('/proc/self/maps/', O_RDONLY)).toBe(-Errno.ENOTDIR);
    expect(p.sys.open(`/proc/0${p.pid}/maps`, O_RDONLY)).toBe(-Errno.ENOENT);
    expect(p.sys.open('/proc/99999/maps', O_RDONLY)).toBe(-Errno.ENOENT);
    expect(p.sys.open('/proc/self/maps', 3)).toBe(-Errno.EINVAL);
  });

  it('directories open read-only and read as EISDIR', () => {
    const { k, p, P } = boot();
    const buf = userBuffer(p, P);
    for (const dir of ['/proc', '/proc/self', `/proc/${p.pid}`, '/proc/sys/vm', '/proc/self/']) {
      const fd = p.sys.open(dir, O_RDONLY);
      expect(fd).toBeGreaterThanOrEqual(3);
      expect(p.sys.read(fd, buf, 10)).toBe(-Errno.EISDIR);
      expect(p.sys.close(fd)).toBe(0);
      expect(p.sys.open(dir, O_WRONLY)).toBe(-Errno.EISDIR);
    }
    expect(errnoOf(() => k.proc('/proc/self'))).toBe('ENOENT');
    expect(errnoOf(() => k.proc(`/proc/${p.pid}`))).toBe('EISDIR');
  });

  it('text files read as k.proc renders them, in pieces, with seq_file lseek', () => {
    const { k, p, P } = boot();
    const buf = userBuffer(p, 4 * P);
    const fd = p.sys.open('/proc/self/maps', O_RDONLY);
    const want = k.proc(`/proc/${p.pid}/maps`);
    expect(p.sys.read(fd, buf, 10)).toBe(10);
    const rest = p.sys.read(fd, buf + 10, 4 * P - 10);
    expect(rest).toBe(want.length - 10);
    expect(new TextDecoder().decode(p.read(buf, want.length))).toBe(want);
    expect(p.sys.read(fd, buf, 10)).toBe(0);
    expect(p.sys.lseek(fd, 5, SEEK_SET)).toBe(5);
    expect(p.sys.lseek(fd, 5, SEEK_CUR)).toBe(10);
    expect(p.sys.lseek(fd, 0, SEEK_END)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, -1, SEEK_SET)).toBe(-Errno.EINVAL);
    expect(p.sys.pread(fd, buf, 4, 0)).toBe(4);
    expect(new TextDecoder().decode(p.read(buf, 4))).toBe(want.slice(0, 4));
    const m = p.sys.open('/proc/meminfo', O_RDONLY);
    const n = p.sys.read(m, buf, 4 * P);
    expect(new TextDecoder().decode(p.read(buf, n))).toBe(k.proc('/proc/meminfo'));
  });

  it('/proc/self is the calling process, in a child too; descriptors are inherited across fork', () => {
    const { k, p, P } = boot();
    const buf = userBuffer(p, 4 * P);
    const fd = p.sys.open('/proc/self/status', O_RDONLY);
    const child = p.fork();
    const cfd = child.sys.open('/proc/self/status', O_RDONLY);
    const n = child.sys.read(cfd, buf, 4 * P);
    expect(new TextDecoder().decode(child.read(buf, n))).toBe(k.proc(`/proc/${child.pid}/status`));
    // The inherited descriptor still names the parent.
    const m = child.sys.pread(fd, buf, 4 * P, 0);
    expect(new TextDecoder().decode(child.read(buf, m))).toBe(k.proc(`/proc/${p.pid}/status`));
  });

  it('a file of a process that exits: text reads are ESRCH, pagemap reads give nothing', () => {
    const { k, p, P } = boot();
    const q = k.spawn({ name: 'gone' });
    const buf = userBuffer(p, P);
    const status = p.sys.open(`/proc/${q.pid}/status`, O_RDONLY);
    const pagemap = p.sys.open(`/proc/${q.pid}/pagemap`, O_RDONLY);
    const score = p.sys.open(`/proc/${q.pid}/oom_score`, O_RDONLY);
    const adj = p.sys.open(`/proc/${q.pid}/oom_score_adj`, O_RDWR);
    q.exit();
    expect(p.sys.read(status, buf, 100)).toBe(-Errno.ESRCH);
    expect(p.sys.read(score, buf, 100)).toBe(-Errno.ESRCH);
    p.write(buf, new TextEncoder().encode('5'));
    expect(p.sys.write(adj, buf, 1)).toBe(-Errno.ESRCH);
    expect(p.sys.pread(pagemap, buf, 8, 0)).toBe(0);
    expect(p.sys.open(`/proc/${q.pid}/status`, O_RDONLY)).toBe(-Errno.ENOENT);
  });
});

describe('oom_score and oom_score_adj', () => {
  /** proc_oom_score, computed here from the counters. */
  function expectedScore(k: Kernel, p: Process): number {
    const total = k.zones.reduce((n, z) => n + z.managed, 0) + (k.swap?.area.total ?? 0);
    if (p.oomScoreAdj === -1000) return 0;
    const c = p.mm.counters;
    const badness = p.mm.rss + c.swap + c.pgtables + p.oomScoreAdj * Math.floor(total / 1000);
    return Math.trunc(((1000 + Math.trunc((badness * 1000) / total)) * 2) / 3);
  }

  it('oom_score scales the badness to 0..2000 as proc_oom_score does, and grows with the process', () => {
    const { k, p, P } = boot(true);
    expect(k.proc(`/proc/${p.pid}/oom_score`)).toBe(`${expectedScore(k, p)}\n`);
    expect(expectedScore(k, p)).toBe(666);
    const va = p.sys.mmap(0, 4096 * P, RW, ANON, -1, 0);
    for (let i = 0; i < 4096; i++) p.store8(va + i * P, 1);
    const score = Number(k.proc(`/proc/${p.pid}/oom_score`));
    expect(score).toBe(expectedScore(k, p));
    expect(score).toBeGreaterThan(666);
    for (const adj of ['-1000', '-999', '-1', '1', '500', '1000']) {
      k.writeProc(`/proc/${p.pid}/oom_score_adj`, adj);
      expect(k.proc(`/proc/${p.pid}/oom_score`)).toBe(`${expectedScore(k, p)}\n`);
    }
    expect(k.proc(`/proc/${p.pid}/oom_score_adj`)).toBe('1000\n');
    k.writeProc(`/proc/${p.pid}/oom_score_adj`, '-1000');
    expect(k.proc(`/proc/${p.pid}/oom_score`)).toBe('0\n');
  });

  // [written, errno or value, count returned]: an unprivileged process writing its own file (measured).
  const writes: [string, number | string][] = [
    ['100', 100],
    ['-1', 'EACCES'],
    ['0', 0],
    ['-0', 0],
    ['1001', 'EINVAL'],
    ['-1001', 'EINVAL'],
    ['500\n', 500],
    [' 200 ', 200],
    ['0x10', 16],
    ['010', 8],
    ['12abc', 'EINVAL'],
    ['99999999999', 'ERANGE'],
    ['1000000000000000', 'ERANGE'], // only 12 bytes are read: 100000000000
    ['', 'EINVAL'],
    ['\n', 'EINVAL'],
    ['+5', 5],
    ['5 6', 'EINVAL'],
    ['-1000', 'EACCES'],
  ];
  for (const [text, want] of writes) {
    it(`a process writing ${JSON.stringify(text)} to its oom_score_adj: ${want}`, () => {
      const { k, p, P } = boot();
      const buf = userBuffer(p, P);
      p.oomScoreAdj = 7;
      const fd = p.sys.open('/proc/self/oom_score_adj', O_WRONLY);
      p.write(buf, new TextEncoder().encode(text));
      const r = p.sys.write(fd, buf, text.length);
      if (typeof want === 'string') {
        expect(r).toBe(-Errno[want as 'EINVAL']);
        expect(k.proc(`/proc/${p.pid}/oom_score_adj`)).toBe('7\n');
      } else {
        expect(r).toBe(text.length);
        expect(k.proc(`/proc/${p.pid}/oom_score_adj`)).toBe(`${want}\n`);
      }
    });
  }

  it('root (k.writeProc) may go below the minimum and moves it; the process may not go below it', () => {
    const { k, p, P } = boot();
    const path = `/proc/${p.pid}/oom_score_adj`;
    expect(k.writeProc(path, '-500\n')).toBe(5);
    expect(p.oomScoreAdjMin).toBe(-500);
    const buf = userBuffer(p, P);
    const fd = p.sys.open('/proc/self/oom_score_adj', O_RDWR);
    const put = (s: string) => {
      p.write(buf, new TextEncoder().encode(s));
      return p.sys.pwrite(fd, buf, s.length, 0);
    };
    expect(put('300')).toBe(3);
    expect(put('-500')).toBe(4);
    expect(put('-501')).toBe(-Errno.EACCES);
    expect(k.proc(path)).toBe('-500\n');
    // The minimum and the value are inherited.
    const child = p.fork();
    expect(child.oomScoreAdj).toBe(-500);
    expect(child.oomScoreAdjMin).toBe(-500);
    expect(p.sys.pread(fd, buf, 10, 0)).toBe(5);
    expect(new TextDecoder().decode(p.read(buf, 5))).toBe('-500\n');
    expect(errnoOf(() => k.writeProc(path, '1001'))).toBe('EINVAL');
    expect(errnoOf(() => k.writeProc(path, 'x'))).toBe('EINVAL');
    expect(errnoOf(() => k.writeProc(`/proc/${p.pid}/oom_score`, '1'))).toBe('EACCES');
    expect(errnoOf(() => k.writeProc('/proc/meminfo', '1'))).toBe('EACCES');
    expect(errnoOf(() => k.writeProc('/proc/nope', '1'))).toBe('ENOENT');
    expect(errnoOf(() => k.writeProc(path, 5 as unknown as string))).toBe('EINVAL');
  });

  it('a process with CAP_SYS_RESOURCE may lower its own value, which sets its minimum', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn({ capSysResource: true });
    const buf = userBuffer(p, k.PAGE_SIZE);
    const fd = p.sys.open('/proc/self/oom_score_adj', O_WRONLY);
    p.write(buf, new TextEncoder().encode('-800'));
    expect(p.sys.write(fd, buf, 4)).toBe(4);
    expect(p.oomScoreAdj).toBe(-800);
    expect(p.oomScoreAdjMin).toBe(-800);
  });

  it('a value written through /proc steers the OOM killer: -1000 is never chosen', () => {
    const k = Kernel.boot({ memory: '32M' });
    const P = k.PAGE_SIZE;
    const big = k.spawn({ name: 'big' });
    k.writeProc(`/proc/${big.pid}/oom_score_adj`, '-1000');
    const va = big.sys.mmap(0, 16 * 2 ** 20, RW, ANON, -1, 0);
    for (let i = 0; i < (16 * 2 ** 20) / P; i++) big.store8(va + i * P, 1);
    const small = k.spawn({ name: 'small' });
    const sva = small.sys.mmap(0, 16 * 2 ** 20, RW, ANON, -1, 0);
    expect(() => {
      for (let i = 0; i < (16 * 2 ** 20) / P; i++) small.store8(sva + i * P, 1);
    }).toThrow();
    expect(big.state).toBe('running');
    expect(small.state).toBe('killed');
  });

  it('a rejected write changes nothing', () => {
    const { k, p } = boot();
    const before = [k.proc(`/proc/${p.pid}/oom_score_adj`), k.dmesg(), p.oomScoreAdjMin];
    for (const t of ['1001', 'abc', '', '0x', '-99999999999']) {
      expect(() => k.writeProc(`/proc/${p.pid}/oom_score_adj`, t)).toThrow(KernelError);
    }
    expect([k.proc(`/proc/${p.pid}/oom_score_adj`), k.dmesg(), p.oomScoreAdjMin]).toEqual(before);
  });
});

describe('pagemap against a model', () => {
  it('every entry of a region follows touches, DONTNEED, PAGEOUT and guards; a process reads the same flags', () => {
    const pages = 6;
    type Op = { kind: 'read' | 'write' | 'dontneed' | 'pageout' | 'guard'; page: number };
    const op = fc.record({
      kind: fc.constantFrom('read', 'write', 'dontneed', 'pageout', 'guard'),
      page: fc.integer({ min: 0, max: pages - 1 }),
    }) as fc.Arbitrary<Op>;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
        const { k, p, P } = boot(true);
        const buf = userBuffer(p, P);
        const va = p.sys.mmap(0, pages * P, RW, ANON, -1, 0);
        const fd = p.sys.open('/proc/self/pagemap', O_RDONLY);
        // Model per page: none, zero (the zero page), anon, swap, guard.
        const state: string[] = new Array(pages).fill('none');
        for (const o of ops) {
          const at = va + o.page * P;
          const s = state[o.page] as string;
          if (o.kind === 'read' || o.kind === 'write') {
            if (s === 'guard') {
              expect(() => (o.kind === 'read' ? p.load8(at) : p.store8(at, 1))).toThrow();
            } else {
              if (o.kind === 'read') p.load8(at);
              else p.store8(at, 1);
              if (o.kind === 'write' || s === 'swap') state[o.page] = 'anon';
              else if (s === 'none') state[o.page] = 'zero';
            }
          } else if (o.kind === 'dontneed') {
            expect(p.sys.madvise(at, P, MADV_DONTNEED)).toBe(0);
            if (s !== 'guard') state[o.page] = 'none';
          } else if (o.kind === 'pageout') {
            expect(p.sys.madvise(at, P, MADV_PAGEOUT)).toBe(0);
            if (s === 'anon') state[o.page] = 'swap';
          } else {
            expect(p.sys.madvise(at, P, MADV_GUARD_INSTALL)).toBe(0);
            state[o.page] = 'guard';
          }
          const entries = readPagemap(k, p.pid, va, va + pages * P);
          expect(p.sys.pread(fd, buf, pages * 8, (va / P) * 8)).toBe(pages * 8);
          const mine = new DataView(p.read(buf, pages * 8).buffer);
          entries.forEach((e, i) => {
            const want = state[i] as string;
            expect({
              present: e.present,
              swapped: e.swapped,
              guard: e.guard,
              exclusive: e.exclusive,
              fileOrShared: e.fileOrShared,
            }).toEqual({
              present: want === 'zero' || want === 'anon',
              swapped: want === 'swap' || want === 'guard',
              guard: want === 'guard',
              exclusive: want === 'anon',
              fileOrShared: false,
            });
            if (want === 'zero') expect(e.pfn).toBe(k.vm.zeroPfn);
            expect(mine.getBigUint64(i * 8, true)).toBe(e.raw & ~PM_PFRAME_MASK);
          });
          k.checkInvariants();
        }
      }),
      { numRuns: 25 },
    );
  });
});
