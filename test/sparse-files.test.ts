/**
 * Sparse files and file-size limits: a file costs the blocks written, never
 * what its size implies; holes read as zeros; sizes and offsets past the
 * file system's `s_maxbytes` are EFBIG or EINVAL as Linux 6.18 answers on
 * ext4 (checked on the real kernel: see the comments), never a host
 * RangeError; the page straddling end of file is zeroed past EOF when it is
 * written back, as ext4 does.
 */
import { describe, expect, it } from 'vitest';
import {
  type ArchName,
  Errno,
  ext4MaxBytes,
  HOLE,
  Kernel,
  KernelError,
  MADV_PAGEOUT,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  MS_SYNC,
  O_CREAT,
  O_RDONLY,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  type Process,
  READ_FILE_MAX,
  SEEK_CUR,
  SEEK_DATA,
  SEEK_END,
  SEEK_HOLE,
  SEEK_SET,
  SimDisk,
  Vfs,
} from '../src/index.js';
import { errnoOf } from './helpers/kernel-errors.js';

const RW = PROT_READ | PROT_WRITE;
const TIB = 2 ** 40;

function setup(arch: ArchName = 'x86_64') {
  const k = Kernel.boot({ arch, memory: '32M', swap: { size: '2M' } });
  const p = k.spawn();
  const P = k.PAGE_SIZE;
  const buf = p.sys.mmap(0, 4 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  expect(buf).toBeGreaterThan(0);
  p.write(buf, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  const fd = p.sys.open('/sparse', O_CREAT | O_RDWR);
  expect(fd).toBeGreaterThanOrEqual(3);
  return { k, p, P, buf, fd, max: k.vfs.maxBytes };
}

/** What a rejected call must leave as it was. */
function state(k: Kernel, p: Process): string {
  const m = k.buddy.memMap;
  return [
    k.proc(`/proc/${p.pid}/smaps`),
    k.proc('/proc/meminfo'),
    k.dmesg(),
    JSON.stringify(k.vfs.list().map((f) => k.vfs.stat(f))),
    String(k.vfs.blocksAllocated),
    Buffer.from(m.refcount.buffer, m.refcount.byteOffset, m.refcount.byteLength).toString('base64'),
    Buffer.from(m.flags.buffer, m.flags.byteOffset, m.flags.byteLength).toString('base64'),
  ].join('\n');
}

describe('a pwrite at 1 TiB', () => {
  it('costs one block after writeback, reads back, and readFile refuses it clearly', () => {
    const { k, p, buf, fd, P } = setup();
    expect(p.sys.pwrite(fd, buf, 3, TIB)).toBe(3);
    expect(k.vfs.stat('/sparse').size).toBe(TIB + 3);
    expect(k.vfs.blocksAllocated).toBe(0); // delayed: the page is dirty in the cache
    const err = (() => {
      try {
        k.vfs.readFile('/sparse');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).code).toBe('EFBIG');
    expect((err as KernelError).message).toContain(String(TIB + 3));
    expect(k.vfs.blocksAllocated).toBe(0); // refused before the writeback
    expect([...k.vfs.readRange('/sparse', TIB - 2, 10)]).toEqual([0, 0, 1, 2, 3]);
    expect(k.vfs.blocksAllocated).toBe(1); // readRange wrote the dirty page back
    expect(k.vfs.disk.blocksUsed).toBe(1);
    const ino = k.vfs.lookup('/sparse');
    if (ino === null) throw new Error('missing');
    expect([...ino.blocks.keys()]).toEqual([TIB / P]);
    expect(k.vfs.blockOf(ino, 0)).toBe(HOLE);
    // A hole reads as zeros through read(2) too.
    expect(p.sys.pread(fd, buf + P, 8, 12345)).toBe(8);
    expect([...p.read(buf + P, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(p.sys.pread(fd, buf + P, 8, TIB)).toBe(3);
    expect([...p.read(buf + P, 3)]).toEqual([1, 2, 3]);
    k.checkInvariants();
  });

  it('msync of a shared mapping there writes one block', () => {
    const { k, p, fd, P } = setup();
    expect(p.sys.ftruncate(fd, TIB + P)).toBe(0);
    const m = p.sys.mmap(0, P, RW, MAP_SHARED, fd, TIB);
    expect(m).toBeGreaterThan(0);
    p.store32(m + 8, 0xdeadbeef);
    expect(p.sys.msync(m, P, MS_SYNC)).toBe(0);
    expect(k.vfs.blocksAllocated).toBe(1);
    expect(p.sys.munmap(m, P)).toBe(0);
    expect([...k.vfs.readRange('/sparse', TIB + 8, 4)]).toEqual([0xef, 0xbe, 0xad, 0xde]);
    k.checkInvariants();
  });

  it('reclaim (MADV_PAGEOUT) writes the dirty page back and drops it; it reads back', () => {
    const { k, p, fd, P } = setup();
    expect(p.sys.ftruncate(fd, TIB + P)).toBe(0);
    const m = p.sys.mmap(0, P, RW, MAP_SHARED, fd, TIB);
    p.store8(m, 42);
    const cached = k.proc('/proc/meminfo');
    expect(p.sys.madvise(m, P, MADV_PAGEOUT)).toBe(0);
    expect(k.vfs.blocksAllocated).toBe(1);
    expect(k.proc('/proc/meminfo')).not.toBe(cached);
    expect(p.load8(m)).toBe(42);
    k.checkInvariants();
  });

  it('truncating it away, or unlinking it after the last close, frees the blocks at once', () => {
    const { k, p, buf, fd } = setup();
    expect(p.sys.pwrite(fd, buf, 3, TIB)).toBe(3);
    expect(p.sys.pwrite(fd, buf, 3, 2 * TIB)).toBe(3);
    k.vfs.readRange('/sparse', 0, 1); // write back
    expect(k.vfs.blocksAllocated).toBe(2);
    expect(p.sys.ftruncate(fd, TIB + 1)).toBe(0);
    expect(k.vfs.blocksAllocated).toBe(1);
    k.vfs.unlink('/sparse');
    expect(k.vfs.blocksAllocated).toBe(1); // still open
    expect(p.sys.close(fd)).toBe(0);
    expect(k.vfs.blocksAllocated).toBe(0);
    k.checkInvariants();
  });
});

describe('s_maxbytes', () => {
  it('is ext4’s (2^32 - 1 blocks) on 64-bit, capped by MAX_LFS_FILESIZE on 32-bit', () => {
    expect(setup('x86_64').max).toBe(2 ** 44 - 4096);
    expect(setup('i386').max).toBe(2 ** 43 - 1);
    expect(setup('arm64-16k').max).toBe((2 ** 32 - 1) * 16384);
    expect(setup('arm64-64k').max).toBe((2 ** 32 - 1) * 65536);
    expect(ext4MaxBytes(4096, true)).toBe(17592186040320);
    expect(Number.isSafeInteger(ext4MaxBytes(65536, true))).toBe(true);
  });

  it('pwrite: EFBIG at the limit, a short write across it, 0 for 0 bytes anywhere', () => {
    const { k, p, buf, fd, max } = setup();
    // As ext4 on Linux 6.18: pwrite(fd, b, 10, maxb) = EFBIG; at maxb - 2: 2.
    const before = state(k, p);
    expect(p.sys.pwrite(fd, buf, 10, max)).toBe(-Errno.EFBIG);
    expect(p.sys.pwrite(fd, buf, 10, 2 ** 62)).toBe(-Errno.EFBIG);
    expect(p.sys.pwrite(fd, buf, 1, 2 ** 63 - 4096)).toBe(-Errno.EFBIG);
    // The checks come before the buffer is touched: EFBIG, not EFAULT.
    expect(p.sys.pwrite(fd, 8, 10, max + 10)).toBe(-Errno.EFBIG);
    expect(state(k, p)).toBe(before);
    expect(p.sys.pwrite(fd, buf, 0, 2 ** 60)).toBe(0);
    expect(p.sys.pwrite(fd, buf, 10, max - 2)).toBe(2);
    expect(k.vfs.stat('/sparse').size).toBe(max);
    k.checkInvariants();
  });

  it('pwrite and pread: EINVAL for a negative offset (before EBADF) or one whose end passes LLONG_MAX', () => {
    const { k, p, buf, fd } = setup();
    const before = state(k, p);
    for (const call of [
      () => p.sys.pwrite(fd, buf, 1, -1),
      () => p.sys.pwrite(99, buf, 10, -5), // EINVAL, not EBADF
      () => p.sys.pread(99, buf, 10, -5),
      () => p.sys.pread(fd, buf, 10, -(2 ** 63)),
      () => p.sys.pwrite(fd, buf, 4096, 2 ** 63 - 4096), // pos + count wraps
      () => p.sys.pread(fd, buf, 4096, 2 ** 63 - 4096),
      () => p.sys.pwrite(fd, buf, 1, 0.5),
      () => p.sys.pread(fd, buf, 1, Number.NaN),
      () => p.sys.pwrite(fd, buf, 1, 2 ** 64), // no register holds it
    ])
      expect(call()).toBe(-Errno.EINVAL);
    expect(p.sys.pread(99, buf, 10, 0)).toBe(-Errno.EBADF);
    // access_ok comes before rw_verify_area: a buffer past user space is EFAULT.
    // (2^63 - 1024 is the largest loff_t a double holds exactly below 2^63.)
    expect(p.sys.pwrite(fd, -4096, 2048, 2 ** 63 - 1024)).toBe(-Errno.EFAULT);
    expect(p.sys.pwrite(fd, buf, 2048, 2 ** 63 - 1024)).toBe(-Errno.EINVAL);
    expect(p.sys.pwrite(fd, buf, 1023, 2 ** 63 - 1024)).toBe(-Errno.EFBIG); // ends at LLONG_MAX
    expect(p.sys.read(fd, buf, -1)).toBe(-Errno.EFAULT); // (size_t)-1
    expect(p.sys.write(fd, buf, 2 ** 63)).toBe(-Errno.EFAULT);
    expect(state(k, p)).toBe(before);
  });

  it('pread: nothing at or past the limit (0), and nothing past end of file', () => {
    const { p, buf, fd, max } = setup();
    expect(p.sys.pread(fd, buf, 10, max)).toBe(0);
    expect(p.sys.pread(fd, buf, 10, 2 ** 62)).toBe(0);
    expect(p.sys.pread(fd, buf, 0, 2 ** 63 - 1024)).toBe(0);
    expect(p.sys.ftruncate(fd, max)).toBe(0);
    expect(p.sys.pread(fd, buf, 10, max - 4)).toBe(4);
  });

  it('write(2) at a position near the limit: a short write, then EFBIG', () => {
    const { p, buf, fd, max } = setup();
    expect(p.sys.lseek(fd, max - 1, SEEK_SET)).toBe(max - 1);
    expect(p.sys.write(fd, buf, 10)).toBe(1);
    expect(p.sys.write(fd, buf, 10)).toBe(-Errno.EFBIG);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(max);
  });

  it('lseek: EINVAL below 0 or past the limit; SEEK_CUR 0 reports the position', () => {
    const { p, fd, max } = setup();
    expect(p.sys.lseek(fd, max, SEEK_SET)).toBe(max);
    expect(p.sys.lseek(fd, max + 1, SEEK_SET)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, -1, SEEK_SET)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, 2 ** 63 - 1, SEEK_CUR)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, -(2 ** 63), SEEK_CUR)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(max);
    expect(p.sys.lseek(fd, 1, SEEK_END)).toBe(1); // size 0
    expect(p.sys.ftruncate(fd, max)).toBe(0);
    expect(p.sys.lseek(fd, 1, SEEK_END)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, 0, 5)).toBe(-Errno.EINVAL);
    expect(p.sys.lseek(fd, 2 ** 64, SEEK_SET)).toBe(-Errno.EINVAL);
  });

  it('ftruncate: EINVAL for a negative length before EBADF; EFBIG past the limit; growing is free', () => {
    const { k, p, fd, max } = setup();
    const before = state(k, p);
    expect(p.sys.ftruncate(-1, -1)).toBe(-Errno.EINVAL);
    expect(p.sys.ftruncate(99, 10)).toBe(-Errno.EBADF);
    expect(p.sys.ftruncate(fd, -1)).toBe(-Errno.EINVAL);
    expect(p.sys.ftruncate(fd, max + 1)).toBe(-Errno.EFBIG);
    expect(p.sys.ftruncate(fd, 2 ** 63)).toBe(-Errno.EINVAL); // negative as loff_t
    const ro = p.sys.open('/sparse', O_RDONLY);
    expect(p.sys.ftruncate(ro, max + 1)).toBe(-Errno.EINVAL); // not writable comes first
    expect(p.sys.close(ro)).toBe(0);
    expect(state(k, p)).toBe(before);
    expect(p.sys.ftruncate(fd, max)).toBe(0);
    expect(k.vfs.stat('/sparse').size).toBe(max);
    expect(k.vfs.blocksAllocated).toBe(0);
  });

  it('the Vfs refuses sizes past the limit with KernelError EFBIG, and bad ones with EINVAL', () => {
    const v = new Vfs(new SimDisk(4096), { maxBytes: 10 * 4096 });
    const ino = v.create('/f');
    expect(errnoOf(() => v.truncate(ino, 10 * 4096 + 1))).toBe('EFBIG');
    expect(errnoOf(() => v.setSize(ino, 2 ** 60))).toBe('EFBIG');
    expect(errnoOf(() => v.truncate(ino, -1))).toBe('EINVAL');
    expect(errnoOf(() => v.setSize(ino, 1.5))).toBe('EINVAL');
    expect(errnoOf(() => v.writeFile('/g', new Uint8Array(10 * 4096 + 1)))).toBe('EFBIG');
    expect(v.exists('/g')).toBe(false);
    v.truncate(ino, 10 * 4096);
    expect(errnoOf(() => v.readRange('/f', -1, 1))).toBe('EINVAL');
    expect(errnoOf(() => v.readRange('/f', 0, READ_FILE_MAX + 1))).toBe('EFBIG');
    expect(v.readRange('/f', 10 * 4096 - 2, 100).length).toBe(2);
    expect(v.readRange('/f', 2 ** 50, 100).length).toBe(0);
    expect(() => new Vfs(new SimDisk(4096), { maxBytes: 2 ** 45 })).toThrow(/maxBytes/);
  });

  it('readFile refuses a file past INT_MAX bytes (EFBIG) and reads one just below the limit’s size class', () => {
    const { k, p, fd } = setup();
    expect(p.sys.ftruncate(fd, READ_FILE_MAX + 1)).toBe(0);
    expect(errnoOf(() => k.vfs.readFile('/sparse'))).toBe('EFBIG');
    expect(p.sys.ftruncate(fd, 5)).toBe(0);
    expect([...k.vfs.readFile('/sparse')]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('SEEK_DATA and SEEK_HOLE', () => {
  it('find written pages and holes as ext4 does; ENXIO at or past end of file', () => {
    const { k, p, buf, fd, P } = setup();
    expect(p.sys.ftruncate(fd, 10 * P)).toBe(0);
    expect(p.sys.pwrite(fd, buf, 10, 0)).toBe(10);
    expect(p.sys.pwrite(fd, buf, 10, 5 * P + 7)).toBe(10);
    k.vfs.readRange('/sparse', 0, 1); // fsync: the pages get blocks
    // The answers of Linux 6.18 on ext4 for the same file.
    expect(p.sys.lseek(fd, 0, SEEK_DATA)).toBe(0);
    expect(p.sys.lseek(fd, 0, SEEK_HOLE)).toBe(P);
    expect(p.sys.lseek(fd, 100, SEEK_HOLE)).toBe(P);
    expect(p.sys.lseek(fd, P, SEEK_DATA)).toBe(5 * P);
    expect(p.sys.lseek(fd, 5 * P + 100, SEEK_DATA)).toBe(5 * P + 100);
    expect(p.sys.lseek(fd, 5 * P, SEEK_HOLE)).toBe(6 * P);
    expect(p.sys.lseek(fd, 6 * P, SEEK_DATA)).toBe(-Errno.ENXIO);
    expect(p.sys.lseek(fd, 10 * P - 1, SEEK_HOLE)).toBe(10 * P - 1);
    expect(p.sys.lseek(fd, 10 * P, SEEK_HOLE)).toBe(-Errno.ENXIO);
    expect(p.sys.lseek(fd, -1, SEEK_DATA)).toBe(-Errno.ENXIO);
    // A page written but not yet written back is data too (delayed allocation).
    expect(p.sys.pwrite(fd, buf, 1, 8 * P)).toBe(1);
    expect(p.sys.lseek(fd, 6 * P, SEEK_DATA)).toBe(8 * P);
    expect(p.sys.lseek(fd, 8 * P, SEEK_HOLE)).toBe(9 * P);
    expect(p.sys.lseek(fd, 0, SEEK_CUR)).toBe(9 * P);
  });
});

describe('writeback of the page that straddles end of file', () => {
  it('zeroes the cached page past EOF: a byte stored there through a mapping reads 0 after msync', () => {
    const { k, p, P } = setup();
    k.vfs.writeFile('/eof', new Uint8Array(10).fill(0x66));
    const fd = p.sys.open('/eof', O_RDWR);
    const m = p.sys.mmap(0, P, RW, MAP_SHARED, fd, 0);
    p.store8(m + 200, 0x5a);
    expect(p.load8(m + 200)).toBe(0x5a); // still in the cache, past EOF
    expect(p.sys.msync(m, P, MS_SYNC)).toBe(0);
    expect(p.load8(m + 200)).toBe(0);
    expect(p.load8(m + 5)).toBe(0x66);
    p.store8(m + 300, 0x59);
    k.vfs.readFile('/eof'); // writes back as fsync does
    expect(p.load8(m + 300)).toBe(0);
    expect(k.vfs.readFile('/eof')).toEqual(new Uint8Array(10).fill(0x66));
    k.checkInvariants();
  });

  it('leaves a page wholly inside the file alone', () => {
    const { k, p, P } = setup();
    k.vfs.writeFile('/in', new Uint8Array(2 * P).fill(1));
    const fd = p.sys.open('/in', O_RDWR);
    const m = p.sys.mmap(0, 2 * P, RW, MAP_SHARED, fd, 0);
    p.store8(m + P - 1, 9);
    expect(p.sys.msync(m, 2 * P, MS_SYNC)).toBe(0);
    expect(p.load8(m + P - 1)).toBe(9);
  });
});
