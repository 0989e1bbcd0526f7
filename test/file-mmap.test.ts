/**
 * Tests of file-backed mmap through the page cache: shared and private
 * mappings, faults past EOF, msync, fork, /proc/<pid>/maps, the errors of
 * mmap/mprotect/msync, and that every frame comes back.
 */
import { describe, expect, it } from 'vitest';
import { Kernel } from '../src/kernel.js';
import { Errno } from '../src/page/errno.js';
import { SegmentationFault } from '../src/page/errors.js';
import { type PageCache, pageCacheOf } from '../src/vm/fs/page-cache.js';
import {
  MADV_DONTNEED,
  MADV_WILLNEED,
  MAP_ANONYMOUS,
  MAP_HUGETLB,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MS_ASYNC,
  MS_INVALIDATE,
  MS_SYNC,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  PROT_READ,
  PROT_WRITE,
} from '../src/vm/mman.js';
import { renderMaps } from '../src/vm/proc/maps.js';
import type { Process } from '../src/vm/process.js';

const PS = 4096;
const RW = PROT_READ | PROT_WRITE;

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff || 1;
  return b;
}

function setup(): { k: Kernel; p: Process; cache: PageCache; free0: number; pages0: number } {
  const k = Kernel.boot({ memory: '32M' });
  const cache = pageCacheOf(k.vfs, k.buddy);
  k.drainAllPages();
  const free0 = k.buddy.nrFreePages();
  const pages0 = cache.nrPages;
  const p = k.spawn();
  return { k, p, cache, free0, pages0 };
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

/** Every frame is back except the page cache's (which may stay cached). */
function expectAllFramesBack(k: Kernel, cache: PageCache, free0: number, pages0: number): void {
  k.drainAllPages();
  expect(k.buddy.nrFreePages() + (cache.nrPages - pages0)).toBe(free0);
}

describe('file-backed mmap', () => {
  it('reads a file through a private mapping (and MAP_POPULATE prefaults)', () => {
    const { k, p, cache, free0, pages0 } = setup();
    const data = bytes(3 * PS, 7);
    k.vfs.writeFile('/r', data);
    const fd = p.sys.open('/r', O_RDONLY);
    const va = p.sys.mmap(0, 3 * PS, PROT_READ, MAP_PRIVATE, fd, 0);
    expect(va).toBeGreaterThan(0);
    expect(p.read(va, 3 * PS)).toEqual(data);
    expect(p.mm.counters.file).toBe(3);
    expect(p.mm.counters.anon).toBe(0);
    // An offset maps from that page of the file.
    const va2 = p.sys.mmap(0, PS, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 2 * PS);
    expect(p.mm.counters.file).toBe(4);
    expect(p.read(va2, PS)).toEqual(data.subarray(2 * PS));
    k.checkInvariants();
    expect(p.sys.close(fd)).toBe(0);
    expect(p.read(va, 4)).toEqual(data.subarray(0, 4)); // the mapping keeps the file
    expect(p.sys.munmap(va, 3 * PS)).toBe(0);
    expect(p.sys.munmap(va2, PS)).toBe(0);
    k.checkInvariants();
    p.exit();
    k.checkInvariants();
    expect(k.vfs.lookup('/r')?.opens).toBe(0);
    expectAllFramesBack(k, cache, free0, pages0);
  });

  it('MAP_SHARED writes reach read() at once and the disk after msync', () => {
    const { k, p, cache, free0, pages0 } = setup();
    k.vfs.writeFile('/s', bytes(2 * PS, 3));
    const fd = p.sys.open('/s', O_RDWR);
    const va = p.sys.mmap(0, 2 * PS, RW, MAP_SHARED, fd, 0);
    expect(va).toBeGreaterThan(0);
    p.write(va + 10, [0xaa, 0xbb]);
    expect(p.mm.counters.file).toBe(1);
    expect(cache.nrDirty).toBe(1);
    const buf = p.sys.mmap(0, PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect(p.sys.pread(fd, buf, 4, 9)).toBe(4);
    expect([...p.read(buf, 4)]).toEqual([bytes(PS, 3)[9], 0xaa, 0xbb, bytes(PS, 3)[12]]);
    // Not on the disk yet, but readFile writes the dirty page back first.
    const inode = k.vfs.lookup('/s');
    expect(inode).not.toBeNull();
    const disk = new Uint8Array(PS);
    if (inode !== null) k.vfs.readPage(inode, 0, disk, 0);
    expect(disk[10]).toBe(bytes(PS, 3)[10]);
    expect(k.vfs.readFile('/s')[10]).toBe(0xaa);
    expect(cache.nrDirty).toBe(0);
    expect(p.sys.msync(va, 2 * PS, MS_SYNC)).toBe(0);
    expect(cache.nrDirty).toBe(0);
    expect([...k.vfs.readFile('/s').subarray(10, 12)]).toEqual([0xaa, 0xbb]);
    k.checkInvariants();
    // A write after msync dirties the page again (the PTE was write-protected).
    p.write(va + PS, [0x11]);
    p.write(va + 11, [0xcc]);
    expect(cache.nrDirty).toBe(2);
    expect(p.sys.msync(va, PS, MS_ASYNC | MS_INVALIDATE)).toBe(0);
    expect(k.vfs.readFile('/s')[11]).toBe(0xcc);
    expect(k.vfs.readFile('/s')[PS]).toBe(0x11);
    // write() shows through the mapping.
    p.write(buf, [0x5a]);
    expect(p.sys.pwrite(fd, buf, 1, 100)).toBe(1);
    expect(p.load8(va + 100)).toBe(0x5a);
    // munmap writes the last dirty data back.
    p.write(va + 200, [0x77]);
    expect(p.sys.close(fd)).toBe(0);
    expect(p.sys.munmap(va, 2 * PS)).toBe(0);
    expect(cache.nrDirty).toBe(0);
    expect(k.vfs.readFile('/s')[200]).toBe(0x77);
    expect(k.vfs.readFile('/s')[100]).toBe(0x5a);
    k.checkInvariants();
    p.exit();
    expectAllFramesBack(k, cache, free0, pages0);
  });

  it('exit writes back a shared mapping', () => {
    const { k, p, cache, free0, pages0 } = setup();
    k.vfs.writeFile('/e', bytes(PS));
    const fd = p.sys.open('/e', O_RDWR);
    const va = p.sys.mmap(0, PS, RW, MAP_SHARED, fd, 0);
    p.store32(va, 0x01020304);
    p.exit();
    k.checkInvariants();
    expect([...k.vfs.readFile('/e').subarray(0, 4)]).toEqual([4, 3, 2, 1]);
    expectAllFramesBack(k, cache, free0, pages0);
  });

  it('MAP_PRIVATE writes are copied and never reach the file', () => {
    const { k, p, cache, free0, pages0 } = setup();
    const data = bytes(2 * PS, 5);
    k.vfs.writeFile('/p', data);
    const fd = p.sys.open('/p', O_RDWR);
    const va = p.sys.mmap(0, 2 * PS, RW, MAP_PRIVATE, fd, 0);
    expect(p.load8(va)).toBe(data[0]);
    expect(p.mm.counters.file).toBe(1);
    p.store8(va, 0xee); // copy on write of a mapped cache page
    p.store8(va + PS, 0xdd); // write fault on an empty PTE
    expect(p.mm.counters.file).toBe(0);
    expect(p.mm.counters.anon).toBe(2);
    expect(cache.nrDirty).toBe(0);
    k.checkInvariants();
    const buf = p.sys.mmap(0, PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect(p.sys.pread(fd, buf, 1, 0)).toBe(1);
    expect(p.load8(buf)).toBe(data[0]);
    expect(p.sys.msync(va, 2 * PS, MS_SYNC)).toBe(0);
    expect(p.sys.munmap(va, 2 * PS)).toBe(0);
    expect(k.vfs.readFile('/p')).toEqual(data);
    expect(p.sys.close(fd)).toBe(0);
    k.checkInvariants();
    p.exit();
    expectAllFramesBack(k, cache, free0, pages0);
  });

  it('SIGBUS for a page wholly past EOF; the tail of the last page reads zero', () => {
    const { k, p, cache, free0, pages0 } = setup();
    k.vfs.writeFile('/t', bytes(PS + 100, 9));
    const fd = p.sys.open('/t', O_RDWR);
    const va = p.sys.mmap(0, 3 * PS, RW, MAP_SHARED, fd, 0);
    expect(p.load8(va + PS + 99)).toBe(bytes(PS + 100, 9)[PS + 99]);
    expect(p.load8(va + PS + 100)).toBe(0);
    expect(p.load32(va + 2 * PS - 4)).toBe(0);
    const f = fault(() => p.load8(va + 2 * PS));
    expect(f.signal).toBe('SIGBUS');
    expect(f.siCode).toBe('BUS_ADRERR');
    expect(f.address).toBe(va + 2 * PS);
    // Writes past EOF in the last page do not grow the file.
    p.store8(va + PS + 200, 0x42);
    expect(p.sys.msync(va, 3 * PS, MS_SYNC)).toBe(0);
    expect(k.vfs.stat('/t').size).toBe(PS + 100);
    const pf = fault(() => p.store8(va + 2 * PS + 1, 1));
    expect(pf.signal).toBe('SIGBUS');
    k.checkInvariants();
    p.sys.close(fd);
    p.exit();
    expectAllFramesBack(k, cache, free0, pages0);
  });

  it('mmap errors: EBADF, EACCES, EINVAL, EOPNOTSUPP; mprotect honours VM_MAYWRITE', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/x', bytes(PS));
    const ro = p.sys.open('/x', O_RDONLY);
    const wo = p.sys.open('/x', O_WRONLY);
    const rw = p.sys.open('/x', O_RDWR);
    expect(p.sys.mmap(0, PS, PROT_READ, MAP_SHARED, 99, 0)).toBe(-Errno.EBADF);
    expect(p.sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, -1, 0)).toBe(-Errno.EBADF);
    expect(p.sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, wo, 0)).toBe(-Errno.EACCES);
    expect(p.sys.mmap(0, PS, PROT_READ, MAP_SHARED, wo, 0)).toBe(-Errno.EACCES);
    expect(p.sys.mmap(0, PS, RW, MAP_SHARED, ro, 0)).toBe(-Errno.EACCES);
    expect(p.sys.mmap(0, PS, PROT_READ, MAP_SHARED, rw, 100)).toBe(-Errno.EINVAL);
    expect(p.sys.mmap(0, PS, PROT_READ, MAP_SHARED | MAP_PRIVATE | 0x4, rw, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.mmap(0, PS, PROT_READ, MAP_SHARED | MAP_HUGETLB, rw, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.mmap(0, PS, PROT_READ, MAP_SHARED_VALIDATE | 0x80000, rw, 0)).toBe(
      -Errno.EOPNOTSUPP,
    );
    expect(p.sys.mmap(0, PS, RW, MAP_SHARED_VALIDATE, rw, 0)).toBeGreaterThan(0);
    // A private writable mapping of a read-only file is fine (writes are copied).
    const priv = p.sys.mmap(0, PS, RW, MAP_PRIVATE, ro, 0);
    expect(priv).toBeGreaterThan(0);
    // A read-only shared mapping of a read-only file may never become writable.
    const shr = p.sys.mmap(0, PS, PROT_READ, MAP_SHARED, ro, 0);
    expect(shr).toBeGreaterThan(0);
    expect(p.sys.mprotect(shr, PS, RW)).toBe(-Errno.EACCES);
    // ... but of a file open O_RDWR it may.
    const shw = p.sys.mmap(0, PS, PROT_READ, MAP_SHARED, rw, 0);
    expect(p.sys.mprotect(shw, PS, RW)).toBe(0);
    p.store8(shw, 1);
    k.checkInvariants();
    p.exit();
    k.checkInvariants();
    expect(k.vfs.lookup('/x')?.opens).toBe(0);
  });

  it('msync errors: EINVAL, ENOMEM, EBUSY', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/m', bytes(2 * PS));
    const fd = p.sys.open('/m', O_RDWR);
    const va = p.sys.mmap(0, 2 * PS, RW, MAP_SHARED, fd, 0);
    expect(p.sys.msync(va + 1, PS, MS_SYNC)).toBe(-Errno.EINVAL);
    expect(p.sys.msync(va, PS, MS_SYNC | MS_ASYNC)).toBe(-Errno.EINVAL);
    expect(p.sys.msync(va, PS, 0x10)).toBe(-Errno.EINVAL);
    expect(p.sys.msync(va, 0, MS_SYNC)).toBe(0);
    expect(p.sys.msync(va, 2 * PS, 0)).toBe(0);
    // A hole: write the mapped part, then ENOMEM.
    expect(p.sys.munmap(va + PS, PS)).toBe(0);
    p.store8(va, 9);
    expect(p.sys.msync(va, 2 * PS, MS_SYNC)).toBe(-Errno.ENOMEM);
    expect(k.vfs.readFile('/m')[0]).toBe(9);
    expect(p.sys.msync(0x10000000, PS, MS_SYNC)).toBe(-Errno.ENOMEM);
    const locked = p.sys.mmap(0, PS, PROT_READ, MAP_PRIVATE | 0x2000, fd, 0);
    expect(p.sys.msync(locked, PS, MS_INVALIDATE)).toBe(-Errno.EBUSY);
    k.checkInvariants();
    p.exit();
  });

  it('fork shares MAP_SHARED file pages and copies MAP_PRIVATE ones on write', () => {
    const { k, p, cache, free0, pages0 } = setup();
    const data = bytes(2 * PS, 11);
    k.vfs.writeFile('/f', data);
    const fd = p.sys.open('/f', O_RDWR);
    const sh = p.sys.mmap(0, PS, RW, MAP_SHARED, fd, 0);
    const pr = p.sys.mmap(0, PS, RW, MAP_PRIVATE, fd, PS);
    p.store8(sh, 0x10);
    p.store8(pr, 0x20); // a private anonymous copy before fork
    const c = p.fork();
    k.checkInvariants();
    expect(c.load8(sh)).toBe(0x10);
    expect(c.load8(pr)).toBe(0x20);
    c.store8(sh + 1, 0x30);
    expect(p.load8(sh + 1)).toBe(0x30); // shared
    c.store8(pr + 1, 0x40);
    expect(p.load8(pr + 1)).toBe(data[PS + 1]); // copied on write
    p.store8(pr + 2, 0x50);
    expect(c.load8(pr + 2)).toBe(data[PS + 2]);
    k.checkInvariants();
    c.exit();
    k.checkInvariants();
    expect(k.vfs.readFile('/f')[1]).toBe(0x30);
    expect(k.vfs.readFile('/f')[PS + 1]).toBe(data[PS + 1]);
    expect(p.load8(sh + 1)).toBe(0x30);
    p.sys.close(fd);
    p.exit();
    k.checkInvariants();
    expect(k.vfs.readFile('/f')[0]).toBe(0x10);
    expect(k.vfs.lookup('/f')?.opens).toBe(0);
    expectAllFramesBack(k, cache, free0, pages0);
  });

  it('splits take inode references; an unlinked mapped file lives until the last unmap', () => {
    const { k, p, cache, free0, pages0 } = setup();
    k.vfs.writeFile('/u', bytes(4 * PS));
    const fd = p.sys.open('/u', O_RDWR);
    const va = p.sys.mmap(0, 4 * PS, RW, MAP_SHARED, fd, 0);
    const inode = k.vfs.lookup('/u');
    expect(inode?.opens).toBe(2);
    expect(p.sys.mprotect(va + PS, PS, PROT_READ)).toBe(0);
    expect(inode?.opens).toBe(4);
    expect(p.sys.mprotect(va + PS, PS, RW)).toBe(0);
    expect(inode?.opens).toBe(2);
    p.store8(va + 3 * PS, 1);
    p.sys.close(fd);
    k.vfs.unlink('/u');
    expect(p.load8(va + 3 * PS)).toBe(1);
    expect(p.sys.munmap(va, 2 * PS)).toBe(0);
    expect(inode?.opens).toBe(1);
    expect(p.sys.munmap(va + 2 * PS, 2 * PS)).toBe(0);
    expect(inode?.opens).toBe(0);
    expect(k.vfs.blocksAllocated).toBe(0);
    k.checkInvariants();
    p.exit();
    expectAllFramesBack(k, cache, free0, pages0);
  });

  it('/proc/<pid>/maps shows the path, device 08:01 and inode', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/data/lib.so', bytes(3 * PS));
    const ino = k.vfs.stat('/data/lib.so').ino;
    const fd = p.sys.open('/data/lib.so', O_RDWR);
    const sh = p.sys.mmap(0, 2 * PS, RW, MAP_SHARED, fd, PS);
    const pr = p.sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, fd, 0);
    const lines = renderMaps(p).split('\n');
    const row = (va: number) => lines.find((l) => l.startsWith(va.toString(16).padStart(8, '0')));
    expect(row(sh)).toMatch(
      new RegExp(`^[0-9a-f]+-[0-9a-f]+ rw-s 00001000 08:01 ${ino} +/data/lib.so$`),
    );
    expect(row(pr)).toMatch(
      new RegExp(`^[0-9a-f]+-[0-9a-f]+ r--p 00000000 08:01 ${ino} +/data/lib.so$`),
    );
    k.checkInvariants();
    p.exit();
  });
});

describe('truncate of a mapped file', () => {
  it('unmaps the pages past the new end: they raise SIGBUS, the rest stays', () => {
    const { k, p, cache, free0, pages0 } = setup();
    const data = bytes(3 * PS, 2);
    k.vfs.writeFile('/tr', data);
    const fd = p.sys.open('/tr', O_RDWR);
    const sh = p.sys.mmap(0, 3 * PS, RW, MAP_SHARED, fd, 0);
    const pr = p.sys.mmap(0, 3 * PS, RW, MAP_PRIVATE, fd, 0);
    for (let i = 0; i < 3; i++) {
      p.load8(sh + i * PS);
      p.store8(pr + i * PS, 0x99);
    }
    const c = p.fork();
    expect(p.sys.ftruncate(fd, PS + 10)).toBe(0);
    k.checkInvariants();
    expect(fault(() => p.load8(sh + 2 * PS)).signal).toBe('SIGBUS');
    expect(fault(() => c.load8(pr + 2 * PS)).signal).toBe('SIGBUS');
    expect(p.load8(sh + PS + 9)).toBe(data[PS + 9]);
    expect(p.load8(sh + PS + 10)).toBe(0);
    expect(p.load8(pr + PS)).toBe(0x99); // a private copy inside the file stays
    k.checkInvariants();
    c.exit();
    p.sys.close(fd);
    p.exit();
    k.checkInvariants();
    expectAllFramesBack(k, cache, free0, pages0);
  });
});

describe('file mappings: advice, smaps and close', () => {
  it('MADV_WILLNEED reads a file range ahead into the page cache without mapping it', () => {
    const { k, p, cache } = setup();
    k.vfs.writeFile('/ra', bytes(8 * PS));
    const fd = p.sys.open('/ra', O_RDONLY);
    const addr = p.sys.mmap(0, 8 * PS, PROT_READ, MAP_PRIVATE, fd, 0);
    const before = cache.nrPages;
    expect(p.sys.madvise(addr, 8 * PS, MADV_WILLNEED)).toBe(0);
    expect(cache.nrPages - before).toBe(8);
    expect(p.mm.lookupPte(addr)).toBeNull();
    const reads = k.vfs.disk.reads;
    expect(p.load8(addr + 5 * PS)).toBe(bytes(8 * PS)[5 * PS]);
    expect(k.vfs.disk.reads).toBe(reads); // served from the cache
    k.checkInvariants();
  });

  it('MADV_DONTNEED on a private file mapping drops the private copy and refills from the file', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/dn', bytes(2 * PS, 3));
    const fd = p.sys.open('/dn', O_RDONLY);
    const addr = p.sys.mmap(0, 2 * PS, RW, MAP_PRIVATE, fd, 0);
    p.store8(addr + 10, 0x99);
    expect(p.load8(addr + 10)).toBe(0x99);
    expect(p.sys.madvise(addr, PS, MADV_DONTNEED)).toBe(0);
    expect(p.load8(addr + 10)).toBe(bytes(2 * PS, 3)[10]);
    expect(k.vfs.readFile('/dn')[10]).toBe(bytes(2 * PS, 3)[10]);
    k.checkInvariants();
  });

  it('keeps a mapping valid after close()', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/cl', bytes(PS, 5));
    const fd = p.sys.open('/cl', O_RDWR);
    const addr = p.sys.mmap(0, PS, RW, MAP_SHARED, fd, 0);
    expect(p.sys.close(fd)).toBe(0);
    expect(p.load8(addr + 1)).toBe(bytes(PS, 5)[1]);
    p.store8(addr + 1, 0x42);
    expect(k.vfs.readFile('/cl')[1]).toBe(0x42);
    k.checkInvariants();
  });

  it('counts file pages in smaps as Shared or Private, Clean or Dirty', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/sm', bytes(4 * PS));
    const fd = p.sys.open('/sm', O_RDWR);
    const shared = p.sys.mmap(0, 2 * PS, RW, MAP_SHARED, fd, 0);
    p.load8(shared); // clean
    p.store8(shared + PS, 1); // dirty
    const child = p.fork();
    child.load8(shared);
    const field = (text: string, start: number, name: string) => {
      const block = text.split('\n');
      const at = block.findIndex((l) => l.startsWith(start.toString(16).padStart(8, '0')));
      const line = block.slice(at).find((l) => l.startsWith(`${name}:`)) ?? '';
      return Number(/(\d+) kB/.exec(line)?.[1]);
    };
    const smaps = k.proc(`/proc/${p.pid}/smaps`);
    expect(field(smaps, shared, 'Rss')).toBe(8);
    expect(field(smaps, shared, 'Shared_Clean')).toBe(4); // mapped by both processes
    expect(field(smaps, shared, 'Private_Dirty')).toBe(4); // the parent alone maps the written page
    expect(field(smaps, shared, 'Anonymous')).toBe(0);
    k.checkInvariants();
  });
});
