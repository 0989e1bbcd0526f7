/**
 * Tests of the file I/O system calls (open, close, read, write, pread,
 * pwrite, lseek, ftruncate), the per-process file table and the page cache
 * under them, including a model-based test against a Uint8Array.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../src/kernel.js';
import { Errno } from '../src/page/errno.js';
import { KernelBug } from '../src/page/errors.js';
import { PG } from '../src/page/page-flags.js';
import { NR_OPEN } from '../src/vm/fs/file-table.js';
import { type PageCache, pageCacheOf } from '../src/vm/fs/page-cache.js';
import {
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  O_APPEND,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  PROT_READ,
  PROT_WRITE,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
} from '../src/vm/mman.js';
import type { Process } from '../src/vm/process.js';

const PS = 4096;

function setup(): { k: Kernel; p: Process; cache: PageCache; buf: number } {
  const k = Kernel.boot({ memory: '32M' });
  if (k.vm.vfs === null) k.vm.vfs = k.vfs; // until kernel.ts attaches it
  const p = k.spawn();
  const buf = p.sys.mmap(0, 16 * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  expect(buf).toBeGreaterThan(0);
  return { k, p, cache: pageCacheOf(k.vfs, k.buddy), buf };
}

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff || 1;
  return b;
}

/** Writes `data` with write(2) from the user buffer. */
function put(p: Process, fd: number, buf: number, data: Uint8Array): number {
  p.write(buf, data);
  return p.sys.write(fd, buf, data.length);
}

/** Reads up to `n` bytes with read(2) into the user buffer and returns them. */
function get(p: Process, fd: number, buf: number, n: number): Uint8Array {
  const got = p.sys.read(fd, buf, n);
  expect(got).toBeGreaterThanOrEqual(0);
  return p.read(buf, got);
}

describe('open and close', () => {
  it('hands out the lowest free descriptor from 3 (0..2 are stdin/out/err)', () => {
    const { p } = setup();
    expect(p.sys.open('/a', O_CREAT | O_RDWR)).toBe(3);
    expect(p.sys.open('/a', O_RDONLY)).toBe(4);
    expect(p.sys.open('/b', O_CREAT | O_WRONLY)).toBe(5);
    expect(p.sys.close(4)).toBe(0);
    expect(p.sys.open('/b', O_RDONLY)).toBe(4);
  });

  it('ENOENT without O_CREAT', () => {
    const { p } = setup();
    expect(p.sys.open('/missing', O_RDONLY)).toBe(-Errno.ENOENT);
  });

  it('EEXIST for O_CREAT|O_EXCL on an existing file', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/x', bytes(10));
    expect(p.sys.open('/x', O_CREAT | O_EXCL | O_RDWR)).toBe(-Errno.EEXIST);
    expect(p.sys.open('/y', O_CREAT | O_EXCL | O_RDWR)).toBe(3);
  });

  it('EINVAL for a bad path or access mode; EISDIR for a directory', () => {
    const { k, p } = setup();
    expect(p.sys.open('relative', O_CREAT | O_RDWR)).toBe(-Errno.EINVAL);
    expect(p.sys.open('/f', O_CREAT | 3)).toBe(-Errno.EINVAL);
    k.vfs.writeFile('/d/f', bytes(1));
    expect(p.sys.open('/d', O_RDONLY)).toBe(-Errno.EISDIR);
  });

  it('EMFILE past 1024 descriptors', () => {
    const { p } = setup();
    for (let fd = 3; fd < NR_OPEN; fd++) expect(p.sys.open('/f', O_CREAT | O_RDONLY)).toBe(fd);
    expect(p.sys.open('/f', O_RDONLY)).toBe(-Errno.EMFILE);
    expect(p.sys.close(100)).toBe(0);
    expect(p.sys.open('/f', O_RDONLY)).toBe(100);
  });

  it('EBADF for closing a descriptor that is not open', () => {
    const { p } = setup();
    expect(p.sys.close(3)).toBe(-Errno.EBADF);
    expect(p.sys.close(0)).toBe(-Errno.EBADF);
    const fd = p.sys.open('/f', O_CREAT | O_RDWR);
    expect(p.sys.close(fd)).toBe(0);
    expect(p.sys.close(fd)).toBe(-Errno.EBADF);
  });

  it('O_TRUNC empties a file opened for writing, not one opened read-only', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/t', bytes(5000));
    expect(p.sys.close(p.sys.open('/t', O_RDONLY | O_TRUNC))).toBe(0);
    expect(k.vfs.stat('/t').size).toBe(5000);
    expect(p.sys.close(p.sys.open('/t', O_WRONLY | O_TRUNC))).toBe(0);
    expect(k.vfs.stat('/t').size).toBe(0);
  });

  it('holds an inode reference while open; exit closes every descriptor', () => {
    const { k, p } = setup();
    const fd = p.sys.open('/f', O_CREAT | O_RDWR);
    const inode = k.vfs.lookup('/f');
    expect(inode?.opens).toBe(1);
    p.sys.open('/f', O_RDONLY);
    expect(inode?.opens).toBe(2);
    p.sys.close(fd);
    expect(inode?.opens).toBe(1);
    p.exit();
    expect(inode?.opens).toBe(0);
    k.checkInvariants();
  });

  it('fork shares open files and their position', () => {
    const { k, p, buf } = setup();
    const fd = p.sys.open('/f', O_CREAT | O_RDWR);
    expect(put(p, fd, buf, bytes(10))).toBe(10);
    const c = p.fork();
    expect(c.sys.lseek(fd, 0, SEEK_CUR)).toBe(10);
    expect(c.sys.lseek(fd, 3, SEEK_SET)).toBe(3);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(3);
    expect(k.vfs.lookup('/f')?.opens).toBe(1);
    c.exit();
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(3);
    p.exit();
    expect(k.vfs.lookup('/f')?.opens).toBe(0);
  });
});

describe('read and write', () => {
  it('reads back what write wrote, across pages, and moves the position', () => {
    const { k, p, buf, cache } = setup();
    const fd = p.sys.open('/data', O_CREAT | O_RDWR);
    const data = bytes(3 * PS + 123);
    expect(put(p, fd, buf, data)).toBe(data.length);
    expect(k.vfs.stat('/data').size).toBe(data.length);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(data.length);
    expect(p.sys.lseek(fd, 0, SEEK_SET)).toBe(0);
    p.write(buf, new Uint8Array(data.length));
    expect(get(p, fd, buf, 16 * PS)).toEqual(data);
    expect(cache.pagesOf(k.vfs.lookup('/data') ?? fail())).toBe(4);
    expect(cache.nrDirty).toBe(4);
    k.checkInvariants();
  });

  it('is readable through k.vfs after writeback, which clears PG_dirty and counts pgpgout', () => {
    const { k, p, buf, cache } = setup();
    const fd = p.sys.open('/w', O_CREAT | O_WRONLY);
    const data = bytes(PS + 7, 3);
    expect(put(p, fd, buf, data)).toBe(data.length);
    const inode = k.vfs.lookup('/w') ?? fail();
    const disk = new Uint8Array(PS);
    k.vfs.readPage(inode, 0, disk, 0);
    expect(disk).toEqual(new Uint8Array(PS)); // not yet on disk (a hole)
    const before = k.buddy.events.get('pgpgout');
    expect(cache.writeback(inode)).toBe(2);
    expect(k.buddy.events.get('pgpgout') - before).toBe(2 * (PS / 1024));
    expect(cache.nrDirty).toBe(0);
    expect(k.vfs.readFile('/w')).toEqual(data);
    const pfn = cache.lookup(inode, 0) ?? fail();
    expect(k.buddy.memMap.testFlag(pfn, PG.dirty)).toBe(false);
    expect(cache.writeback(inode)).toBe(0);
  });

  it('reads a file written through k.vfs, counting pgpgin, into frames marked as page cache', () => {
    const { k, p, buf, cache } = setup();
    const data = bytes(2 * PS, 9);
    k.vfs.writeFile('/r', data);
    const before = k.buddy.events.get('pgpgin');
    const pagesBefore = cache.nrPages;
    const fd = p.sys.open('/r', O_RDONLY);
    expect(get(p, fd, buf, 2 * PS)).toEqual(data);
    expect(k.buddy.events.get('pgpgin') - before).toBe(2 * (PS / 1024));
    expect(cache.nrPages - pagesBefore).toBe(2);
    const inode = k.vfs.lookup('/r') ?? fail();
    const m = k.buddy.memMap;
    for (const index of [0, 1]) {
      const pfn = cache.lookup(inode, index) ?? fail();
      expect(m.testFlag(pfn, PG.uptodate)).toBe(true);
      expect(m.testFlag(pfn, PG.dirty)).toBe(false);
      expect(m.mapping[pfn]).toBe(inode.ino);
      expect(m.index[pfn]).toBe(index);
      expect(m.pageRefcount(pfn)).toBe(1);
      expect(m.pageMapcount(pfn)).toBe(0);
    }
    // A second read hits the cache: no disk I/O.
    const reads = k.vfs.disk.reads;
    expect(p.sys.pread(fd, buf, 2 * PS, 0)).toBe(2 * PS);
    expect(k.vfs.disk.reads).toBe(reads);
    k.checkInvariants();
  });

  it('returns 0 at and after end of file, and a short count at the end', () => {
    const { k, p, buf } = setup();
    k.vfs.writeFile('/s', bytes(100));
    const fd = p.sys.open('/s', O_RDONLY);
    expect(p.sys.read(fd, buf, 60)).toBe(60);
    expect(p.sys.read(fd, buf, 60)).toBe(40);
    expect(p.sys.read(fd, buf, 60)).toBe(0);
    expect(p.sys.lseek(fd, 1000, SEEK_SET)).toBe(1000);
    expect(p.sys.read(fd, buf, 60)).toBe(0);
    expect(p.sys.read(fd, buf, 0)).toBe(0);
  });

  it('EBADF: read on O_WRONLY, write on O_RDONLY, and on a closed descriptor', () => {
    const { p, buf } = setup();
    const w = p.sys.open('/f', O_CREAT | O_WRONLY);
    const r = p.sys.open('/f', O_RDONLY);
    expect(p.sys.read(w, buf, 1)).toBe(-Errno.EBADF);
    expect(p.sys.write(r, buf, 1)).toBe(-Errno.EBADF);
    expect(p.sys.pread(w, buf, 1, 0)).toBe(-Errno.EBADF);
    expect(p.sys.pwrite(r, buf, 1, 0)).toBe(-Errno.EBADF);
    expect(p.sys.read(9, buf, 1)).toBe(-Errno.EBADF);
    expect(p.sys.write(9, buf, 1)).toBe(-Errno.EBADF);
  });

  it('O_APPEND writes at the end of the file', () => {
    const { k, p, buf, cache } = setup();
    k.vfs.writeFile('/log', bytes(10, 1));
    const fd = p.sys.open('/log', O_WRONLY | O_APPEND);
    expect(put(p, fd, buf, bytes(5, 2))).toBe(5);
    expect(p.sys.lseek(fd, 0, SEEK_SET)).toBe(0);
    expect(put(p, fd, buf, bytes(5, 3))).toBe(5);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(20);
    cache.writeback(k.vfs.lookup('/log') ?? fail());
    const expected = new Uint8Array(20);
    expected.set(bytes(10, 1));
    expected.set(bytes(5, 2), 10);
    expected.set(bytes(5, 3), 15);
    expect(k.vfs.readFile('/log')).toEqual(expected);
  });

  it('a write past the end leaves a hole that reads as zeroes', () => {
    const { k, p, buf } = setup();
    const fd = p.sys.open('/h', O_CREAT | O_RDWR);
    expect(p.sys.lseek(fd, 2 * PS + 10, SEEK_SET)).toBe(2 * PS + 10);
    expect(put(p, fd, buf, bytes(4))).toBe(4);
    expect(k.vfs.stat('/h').size).toBe(2 * PS + 14);
    p.write(buf, bytes(2 * PS + 14, 77));
    expect(p.sys.pread(fd, buf, 3 * PS, 0)).toBe(2 * PS + 14);
    const expected = new Uint8Array(2 * PS + 14);
    expected.set(bytes(4), 2 * PS + 10);
    expect(p.read(buf, 2 * PS + 14)).toEqual(expected);
  });

  it('EFAULT for an unmapped buffer, a kernel address, or read into read-only memory', () => {
    const { k, p, buf } = setup();
    k.vfs.writeFile('/f', bytes(100));
    const fd = p.sys.open('/f', O_RDWR);
    expect(p.sys.read(fd, 0, 10)).toBe(-Errno.EFAULT);
    expect(p.sys.write(fd, 0, 10)).toBe(-Errno.EFAULT);
    expect(p.sys.read(fd, p.mm.taskSize + PS, 10)).toBe(-Errno.EFAULT);
    expect(p.sys.pwrite(fd, p.mm.taskSize + PS, 10, 0)).toBe(-Errno.EFAULT);
    const ro = p.sys.mmap(0, PS, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect(p.sys.read(fd, ro, 10)).toBe(-Errno.EFAULT);
    expect(p.sys.pread(fd, ro, 10, 0)).toBe(-Errno.EFAULT);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(0);
    // Writing from read-only memory is fine (it reads zeroes).
    expect(p.sys.pwrite(fd, ro, 10, 0)).toBe(10);
    expect(buf).toBeGreaterThan(0);
    k.checkInvariants();
  });

  it('a buffer that runs into unmapped memory gives a short count', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/f', bytes(3 * PS));
    const one = p.sys.mmap(0, 2 * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect(p.sys.munmap(one + PS, PS)).toBe(0);
    const fd = p.sys.open('/f', O_RDWR);
    expect(p.sys.read(fd, one + PS - 100, 1000)).toBe(100);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(100);
    expect(p.read(one + PS - 100, 100)).toEqual(bytes(100));
    expect(p.sys.pwrite(fd, one + PS - 50, 1000, 5 * PS)).toBe(50);
    expect(k.vfs.stat('/f').size).toBe(5 * PS + 50);
  });

  it('EFAULT for a negative count (access_ok fails first, as on Linux 6.18), EINVAL for a negative offset', () => {
    const { p, buf } = setup();
    const fd = p.sys.open('/f', O_CREAT | O_RDWR);
    expect(p.sys.read(fd, buf, -1)).toBe(-Errno.EFAULT);
    expect(p.sys.write(fd, buf, -1)).toBe(-Errno.EFAULT);
    expect(p.sys.pread(fd, buf, 1, -1)).toBe(-Errno.EINVAL);
    expect(p.sys.pwrite(fd, buf, 1, -1)).toBe(-Errno.EINVAL);
  });
});

describe('pread and pwrite', () => {
  it('read and write at an offset without moving the position', () => {
    const { p, buf } = setup();
    const fd = p.sys.open('/p', O_CREAT | O_RDWR);
    p.write(buf, bytes(PS, 5));
    expect(p.sys.pwrite(fd, buf, PS, PS - 10)).toBe(PS);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(0);
    expect(p.sys.pread(fd, buf + PS, 20, PS - 10)).toBe(20);
    expect(p.read(buf + PS, 20)).toEqual(bytes(20, 5));
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(0);
    expect(p.sys.pread(fd, buf, 10, 0)).toBe(10);
    expect(p.read(buf, 10)).toEqual(new Uint8Array(10));
  });

  it('pwrite on an O_APPEND file writes at the end, as Linux does', () => {
    const { k, p, buf } = setup();
    k.vfs.writeFile('/a', bytes(10));
    const fd = p.sys.open('/a', O_RDWR | O_APPEND);
    p.write(buf, bytes(3, 8));
    expect(p.sys.pwrite(fd, buf, 3, 0)).toBe(3);
    expect(k.vfs.stat('/a').size).toBe(13);
    expect(p.sys.pread(fd, buf + 100, 3, 10)).toBe(3);
    expect(p.read(buf + 100, 3)).toEqual(bytes(3, 8));
  });
});

describe('lseek', () => {
  it('SEEK_SET, SEEK_CUR and SEEK_END', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/l', bytes(100));
    const fd = p.sys.open('/l', O_RDONLY);
    expect(p.sys.lseek(fd, 10, SEEK_SET)).toBe(10);
    expect(p.sys.lseek(fd, 5, SEEK_CUR)).toBe(15);
    expect(p.sys.lseek(fd, -5, SEEK_CUR)).toBe(10);
    expect(p.sys.lseek(fd, -1, SEEK_END)).toBe(99);
    expect(p.sys.lseek(fd, 50, SEEK_END)).toBe(150);
  });

  it('EINVAL for a negative result or a bad whence; EBADF for a bad descriptor', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/l', bytes(100));
    const fd = p.sys.open('/l', O_RDONLY);
    expect(p.sys.lseek(fd, 20, SEEK_SET)).toBe(20);
    expect(p.sys.lseek(fd, -1, SEEK_SET)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, -21, SEEK_CUR)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, -101, SEEK_END)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, 0, 7)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(20);
    expect(p.sys.lseek(42, 0, SEEK_SET)).toBe(-Errno.EBADF);
  });
});

describe('ftruncate', () => {
  it('shrinks (freeing cached pages, zeroing the tail) and grows with a hole', () => {
    const { k, p, buf, cache } = setup();
    const fd = p.sys.open('/t', O_CREAT | O_RDWR);
    expect(put(p, fd, buf, bytes(3 * PS))).toBe(3 * PS);
    const inode = k.vfs.lookup('/t') ?? fail();
    expect(cache.pagesOf(inode)).toBe(3);
    const last = cache.lookup(inode, 2) ?? fail();
    expect(p.sys.ftruncate(fd, PS + 10)).toBe(0);
    expect(cache.pagesOf(inode)).toBe(2);
    expect(cache.lookup(inode, 2)).toBeNull();
    expect(k.buddy.allocatedOrder(last)).toBeLessThan(0);
    expect(k.vfs.stat('/t').size).toBe(PS + 10);
    expect(p.sys.ftruncate(fd, 2 * PS)).toBe(0);
    p.write(buf, bytes(2 * PS, 99));
    expect(p.sys.pread(fd, buf, 2 * PS, 0)).toBe(2 * PS);
    const expected = new Uint8Array(2 * PS);
    expected.set(bytes(PS + 10));
    expect(p.read(buf, 2 * PS)).toEqual(expected);
    cache.writeback(inode);
    expect(k.vfs.readFile('/t')).toEqual(expected);
    k.checkInvariants();
  });

  it('EINVAL for a negative length', () => {
    const { p } = setup();
    const fd = p.sys.open('/t', O_CREAT | O_RDWR);
    expect(p.sys.ftruncate(fd, -1)).toBe(-Errno.EINVAL);
  });

  it('EINVAL for a file not open for writing; EBADF for a bad descriptor', () => {
    const { p } = setup();
    const fd = p.sys.open('/t', O_CREAT | O_RDONLY);
    expect(p.sys.ftruncate(fd, 0)).toBe(-Errno.EINVAL);
    expect(p.sys.ftruncate(77, 0)).toBe(-Errno.EBADF);
  });
});

describe('PageCache', () => {
  it('drop writes back and frees every frame; an unlinked file is dropped at last close', () => {
    const { k, p, buf, cache } = setup();
    const pages0 = cache.nrPages;
    const fd = p.sys.open('/d', O_CREAT | O_RDWR);
    expect(put(p, fd, buf, bytes(2 * PS, 4))).toBe(2 * PS);
    const inode = k.vfs.lookup('/d') ?? fail();
    cache.drop(inode);
    expect(cache.pagesOf(inode)).toBe(0);
    expect(k.vfs.readFile('/d')).toEqual(bytes(2 * PS, 4));
    expect(p.sys.lseek(fd, 0, SEEK_SET)).toBe(0);
    expect(get(p, fd, buf, 1)).toEqual(bytes(2 * PS, 4).subarray(0, 1));
    expect(put(p, fd, buf, bytes(PS))).toBe(PS);
    k.vfs.unlink('/d');
    const pfns = [0, 1].map((i) => cache.lookup(inode, i) ?? fail());
    expect(p.sys.close(fd)).toBe(0);
    for (const pfn of pfns) expect(k.buddy.allocatedOrder(pfn)).toBeLessThan(0);
    expect(cache.pagesOf(inode)).toBe(0);
    expect(k.vfs.blocksAllocated).toBe(0);
    expect(cache.nrPages).toBe(pages0);
    expect(cache.nrDirty).toBe(0);
    k.checkInvariants();
  });

  it('rejects misuse with KernelBug', () => {
    const { k, cache } = setup();
    k.vfs.writeFile('/m', bytes(10));
    const inode = k.vfs.lookup('/m') ?? fail();
    expect(() => cache.findOrCreate(inode, -1)).toThrow(KernelBug);
    expect(() => cache.findOrCreate(inode, 0.5)).toThrow(KernelBug);
    expect(() => cache.markDirty(inode, 0)).toThrow(KernelBug);
    expect(() => cache.truncate(inode, -1)).toThrow(KernelBug);
    expect(() => pageCacheOf(k.vfs, Kernel.boot({ memory: '16M' }).buddy)).toThrow(KernelBug);
    k.vfs.unlink('/m');
    expect(() => cache.findOrCreate(inode, 0)).toThrow(KernelBug);
  });

  it('findOrCreate gives ENOMEM and leaves no trace when memory is out', () => {
    const { k, p, cache } = setup();
    // Nothing to reclaim, and nobody the OOM killer may take.
    p.oomScoreAdj = -1000;
    k.vfs.writeFile('/n', bytes(10));
    const inode = k.vfs.lookup('/n') ?? fail();
    const held: number[] = [];
    for (;;) {
      const pfn = k.buddy.allocPages(0, 0);
      if (pfn === null) break;
      held.push(pfn);
    }
    expect(() => cache.findOrCreate(inode, 0)).toThrow(/ENOMEM/);
    expect(cache.pagesOf(inode)).toBe(0);
    for (const pfn of held) k.buddy.freePages(pfn, 0);
    k.checkInvariants();
  });
});

describe('k.vfs coherence with the page cache', () => {
  it('readFile sees write() data without an explicit writeback, and writes it back', () => {
    const { k, p, buf, cache } = setup();
    const fd = p.sys.open('/c', O_CREAT | O_RDWR);
    const data = bytes(PS + 30, 5);
    expect(put(p, fd, buf, data)).toBe(data.length);
    expect(cache.nrDirty).toBe(2);
    expect(k.vfs.readFile('/c')).toEqual(data);
    expect(cache.nrDirty).toBe(0);
    expect(cache.nrPages).toBeGreaterThanOrEqual(2); // written back, still cached
    k.checkInvariants();
  });

  it('readFile sees stores through a MAP_SHARED mapping, also after an earlier readFile', () => {
    const { k, p } = setup();
    k.vfs.writeFile('/m', bytes(PS, 2));
    const fd = p.sys.open('/m', O_RDWR);
    const va = p.sys.mmap(0, PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    expect(va).toBeGreaterThan(0);
    p.store8(va + 5, 0xee);
    expect(k.vfs.readFile('/m')[5]).toBe(0xee);
    p.store8(va + 6, 0xdd); // the PTE was write-protected, so this dirties the page again
    expect(k.vfs.readFile('/m')[6]).toBe(0xdd);
    k.checkInvariants();
  });

  it('read() sees the contents k.vfs.writeFile replaced, and a mapping refaults them', () => {
    const { k, p, buf, cache } = setup();
    k.vfs.writeFile('/r', bytes(2 * PS, 1));
    const fd = p.sys.open('/r', O_RDWR);
    expect(get(p, fd, buf, 2 * PS)).toEqual(bytes(2 * PS, 1));
    expect(put(p, fd, buf, bytes(10, 8))).toBe(10); // a dirty page, dropped by writeFile
    const va = p.sys.mmap(0, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    expect(p.load8(va + PS)).toBe(bytes(2 * PS, 1)[PS]);
    const inode = k.vfs.lookup('/r') ?? fail();
    k.vfs.writeFile('/r', bytes(PS + 3, 7));
    expect(cache.nrDirty).toBe(0);
    k.checkInvariants();
    expect(p.sys.pread(fd, buf, 2 * PS, 0)).toBe(PS + 3);
    expect(p.read(buf, PS + 3)).toEqual(bytes(PS + 3, 7));
    expect(p.load8(va + PS + 2)).toBe(bytes(PS + 3, 7)[PS + 2]);
    expect(p.load8(va)).toBe(bytes(PS + 3, 7)[0]);
    k.vfs.writeFile('/r', bytes(5, 4));
    expect(() => p.load8(va + PS)).toThrow(/SIGBUS|bus/i);
    expect(p.load8(va + 4)).toBe(bytes(5, 4)[4]);
    expect(cache.pagesOf(inode)).toBe(1);
    k.vfs.truncate(inode, 2);
    expect(p.load8(va + 4)).toBe(0);
    expect(k.vfs.readFile('/r')).toEqual(bytes(5, 4).subarray(0, 2));
    k.checkInvariants();
  });

  it('unlink of a file that is not open frees its cached frames and blocks', () => {
    const { k, p, buf, cache } = setup();
    const pages0 = cache.nrPages;
    const fd = p.sys.open('/u', O_CREAT | O_RDWR);
    expect(put(p, fd, buf, bytes(3 * PS, 6))).toBe(3 * PS);
    expect(p.sys.close(fd)).toBe(0);
    const inode = k.vfs.lookup('/u') ?? fail();
    const pfns = [0, 1, 2].map((i) => cache.lookup(inode, i) ?? fail());
    expect(k.vfs.readFile('/u')).toEqual(bytes(3 * PS, 6)); // allocates blocks
    expect(k.vfs.blocksAllocated).toBe(3);
    k.vfs.unlink('/u');
    for (const pfn of pfns) expect(k.buddy.allocatedOrder(pfn)).toBeLessThan(0);
    expect(cache.pagesOf(inode)).toBe(0);
    expect(cache.nrPages).toBe(pages0);
    expect(cache.nrDirty).toBe(0);
    expect(k.vfs.blocksAllocated).toBe(0);
    k.checkInvariants();
  });

  it('unlink of a dirty cached file that is not open frees it without writeback', () => {
    const { k, p, buf, cache } = setup();
    const fd = p.sys.open('/v', O_CREAT | O_RDWR);
    expect(put(p, fd, buf, bytes(PS, 6))).toBe(PS);
    expect(p.sys.close(fd)).toBe(0);
    const writes = k.vfs.disk.writes;
    k.vfs.unlink('/v');
    expect(k.vfs.disk.writes).toBe(writes);
    expect(cache.nrDirty).toBe(0);
    expect(cache.nrPages).toBe(0);
    k.checkInvariants();
  });
});

describe('model', () => {
  it('random writes and reads of one file agree with a Uint8Array', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        off: fc.nat(5 * PS),
        len: fc.nat(2 * PS),
        seed: fc.nat(255),
      }),
      fc.record({ kind: fc.constant('read' as const), off: fc.nat(6 * PS), len: fc.nat(3 * PS) }),
      fc.record({ kind: fc.constant('truncate' as const), len: fc.nat(6 * PS) }),
      fc.record({ kind: fc.constant('writeback' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const { k, p, buf, cache } = setup();
        const fd = p.sys.open('/model', O_CREAT | O_RDWR);
        const inode = k.vfs.lookup('/model') ?? fail();
        let model = new Uint8Array(0);
        for (const o of ops) {
          if (o.kind === 'write') {
            const data = bytes(o.len, o.seed);
            p.write(buf, data);
            expect(p.sys.pwrite(fd, buf, o.len, o.off)).toBe(o.len);
            if (o.len > 0) {
              const next = new Uint8Array(Math.max(model.length, o.off + o.len));
              next.set(model);
              next.set(data, o.off);
              model = next;
            }
          } else if (o.kind === 'read') {
            const want = model.subarray(Math.min(o.off, model.length), o.off + o.len);
            expect(p.sys.pread(fd, buf, o.len, o.off)).toBe(want.length);
            expect(p.read(buf, want.length)).toEqual(want);
          } else if (o.kind === 'truncate') {
            expect(p.sys.ftruncate(fd, o.len)).toBe(0);
            const next = new Uint8Array(o.len);
            next.set(model.subarray(0, o.len));
            model = next;
          } else {
            cache.writeback(inode);
            expect(k.vfs.readFile('/model')).toEqual(model);
          }
          expect(k.vfs.stat('/model').size).toBe(model.length);
        }
        cache.writeback(inode);
        expect(k.vfs.readFile('/model')).toEqual(model);
        k.checkInvariants();
      }),
      { numRuns: 40 },
    );
  });
});

function fail(): never {
  throw new Error('unexpected null');
}
