/**
 * Tests of the storage half of the file system: SimDisk (block device) and
 * Vfs (namespace, inodes, block maps), including a model-based test against
 * a Map of byte arrays.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../src/kernel.js';
import { KernelBug, KernelError } from '../src/page/errors.js';
import { SimDisk } from '../src/vm/fs/disk.js';
import { FIRST_INO, HOLE, VFS_DEV, Vfs } from '../src/vm/fs/vfs.js';

const PS = 4096;

function fresh(blocks?: number): Vfs {
  return new Vfs(new SimDisk(PS, blocks === undefined ? {} : { blocks }));
}

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff || 1;
  return b;
}

function errno(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelError) return e.code;
    throw e;
  }
  throw new Error('expected a KernelError');
}

describe('SimDisk', () => {
  it('stores blocks sparsely and counts I/O', () => {
    const d = new SimDisk(PS);
    const buf = new Uint8Array(2 * PS).fill(7);
    d.readBlock(5, buf, PS);
    expect(buf.subarray(PS).every((b) => b === 0)).toBe(true);
    expect(buf[0]).toBe(7);
    expect(d.reads).toBe(1);
    expect(d.blocksUsed).toBe(0);
    d.writeBlock(5, buf, 0);
    expect(d.writes).toBe(1);
    expect(d.blocksUsed).toBe(1);
    const out = new Uint8Array(PS);
    d.readBlock(5, out, 0);
    expect(out.every((b) => b === 7)).toBe(true);
    d.discard(5);
    expect(d.blocksUsed).toBe(0);
  });

  it('rejects bad block numbers, buffers and sizes', () => {
    const d = new SimDisk(PS, { blocks: 4 });
    expect(() => d.readBlock(4, new Uint8Array(PS), 0)).toThrow(KernelBug);
    expect(() => d.readBlock(-1, new Uint8Array(PS), 0)).toThrow(KernelBug);
    expect(() => d.writeBlock(0, new Uint8Array(PS), 1)).toThrow(KernelBug);
    expect(() => new SimDisk(1000)).toThrow(KernelBug);
    expect(d.reads + d.writes).toBe(0);
  });
});

describe('Vfs', () => {
  it('round-trips files of various sizes, keeping data off simulated RAM', () => {
    const v = fresh();
    for (const n of [0, 1, PS - 1, PS, PS + 1, 3 * PS + 17]) {
      const data = bytes(n, n);
      v.writeFile(`/data/f${n}`, data);
      expect(v.readFile(`/data/f${n}`)).toEqual(data);
      expect(v.stat(`/data/f${n}`).size).toBe(n);
    }
    expect(v.list()).toEqual(
      ['/data/f0', '/data/f1', '/data/f4095', '/data/f4096', '/data/f4097', '/data/f12305'].sort(),
    );
    expect(v.exists('/data')).toBe(true);
    expect(v.exists('/')).toBe(true);
    expect(v.exists('/nope')).toBe(false);
    expect(v.exists('relative')).toBe(false);
  });

  it('numbers inodes from 2 and keeps the inode on replace', () => {
    const v = fresh();
    v.writeFile('/a', bytes(10));
    v.writeFile('/b', bytes(10));
    expect(v.stat('/a').ino).toBe(FIRST_INO);
    expect(FIRST_INO).toBe(2);
    expect(v.stat('/b').ino).toBe(3);
    v.writeFile('/a', bytes(3 * PS));
    v.writeFile('/a', bytes(5, 9));
    expect(v.stat('/a')).toEqual({ ino: 2, size: 5 });
    expect(v.readFile('/a')).toEqual(bytes(5, 9));
    expect(v.disk.blocksUsed).toBe(2);
    expect(VFS_DEV).toBe('08:01');
  });

  it('reads holes and pages past EOF as zeroes without I/O', () => {
    const v = fresh();
    const ino = v.create('/sparse');
    v.setSize(ino, 3 * PS);
    v.writePage(ino, 2, bytes(PS), 0);
    expect([...ino.blocks]).toEqual([[2, 0]]);
    expect(v.blockOf(ino, 0)).toBe(HOLE);
    expect(v.blockOf(ino, 2)).toBe(0);
    const reads = v.disk.reads;
    const page = new Uint8Array(PS).fill(9);
    v.readPage(ino, 0, page, 0);
    expect(page.every((b) => b === 0)).toBe(true);
    page.fill(9);
    v.readPage(ino, 7, page, 0);
    expect(page.every((b) => b === 0)).toBe(true);
    expect(v.disk.reads).toBe(reads);
    v.readPage(ino, 2, page, 0);
    expect(page).toEqual(bytes(PS));
    expect(v.disk.reads).toBe(reads + 1);
    const all = v.readFile('/sparse');
    expect(all.subarray(0, 2 * PS).every((b) => b === 0)).toBe(true);
    expect(v.disk.blocksUsed).toBe(1);
  });

  it('writes the part of the last page past EOF as zeroes and skips pages past EOF', () => {
    const v = fresh();
    const ino = v.create('/f');
    v.setSize(ino, 100);
    v.writePage(ino, 0, new Uint8Array(PS).fill(0xaa), 0);
    v.writePage(ino, 1, new Uint8Array(PS).fill(0xbb), 0);
    expect(v.disk.writes).toBe(1);
    v.setSize(ino, PS);
    const got = v.readFile('/f');
    expect(got.subarray(0, 100).every((b) => b === 0xaa)).toBe(true);
    expect(got.subarray(100).every((b) => b === 0)).toBe(true);
    expect(() => v.setSize(ino, 10)).toThrow(KernelBug);
  });

  it('truncate frees blocks and zeroes the tail on disk', () => {
    const v = fresh();
    v.writeFile('/t', new Uint8Array(3 * PS).fill(5));
    const ino = v.lookup('/t');
    if (ino === null) throw new Error('missing');
    expect(v.disk.blocksUsed).toBe(3);
    v.truncate(ino, PS + 10);
    expect(v.disk.blocksUsed).toBe(2);
    expect(v.blocksAllocated).toBe(2);
    v.truncate(ino, 2 * PS);
    const got = v.readFile('/t');
    expect(got.subarray(0, PS + 10).every((b) => b === 5)).toBe(true);
    expect(got.subarray(PS + 10).every((b) => b === 0)).toBe(true);
    v.truncate(ino, 0);
    expect(v.disk.blocksUsed).toBe(0);
    expect(ino.blocks.size).toBe(0);
    expect(errno(() => v.truncate(ino, -1))).toBe('EINVAL');
  });

  it('unlink removes the name and frees blocks after the last open reference', () => {
    const v = fresh();
    v.writeFile('/u', bytes(2 * PS));
    const ino = v.lookup('/u');
    if (ino === null) throw new Error('missing');
    v.iget(ino);
    v.unlink('/u');
    expect(v.exists('/u')).toBe(false);
    expect(ino.nlink).toBe(0);
    expect(v.disk.blocksUsed).toBe(2);
    const page = new Uint8Array(PS);
    v.readPage(ino, 1, page, 0);
    expect(page).toEqual(bytes(2 * PS).subarray(PS));
    v.iput(ino);
    expect(v.disk.blocksUsed).toBe(0);
    expect(() => v.readPage(ino, 0, page, 0)).toThrow(KernelBug);
    expect(errno(() => v.unlink('/u'))).toBe('ENOENT');
    v.writeFile('/u', bytes(1));
    expect(v.stat('/u').ino).not.toBe(ino.ino);
  });

  it('reports errno codes for bad paths and missing files', () => {
    const v = fresh();
    v.writeFile('/dir/file', bytes(1));
    for (const bad of ['rel', '', '/a//b', '/a/', '/a/./b', '/a/../b', '/.', '/a\0b']) {
      expect(errno(() => v.writeFile(bad, bytes(1)))).toBe('EINVAL');
      expect(errno(() => v.readFile(bad))).toBe('EINVAL');
    }
    expect(errno(() => v.readFile('/missing'))).toBe('ENOENT');
    expect(errno(() => v.stat('/dir/missing'))).toBe('ENOENT');
    expect(errno(() => v.readFile('/dir'))).toBe('EISDIR');
    expect(errno(() => v.writeFile('/', bytes(1)))).toBe('EISDIR');
    expect(errno(() => v.writeFile('/dir/file/x', bytes(1)))).toBe('ENOTDIR');
    expect(v.lookup('/nothing')).toBeNull();
    const e = (() => {
      try {
        v.readFile('/missing');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(KernelError);
    expect((e as KernelError).errno).toBe(2);
  });

  it('reports ENOSPC when the disk is full, leaving the old contents', () => {
    const v = fresh(2);
    v.writeFile('/a', bytes(PS));
    expect(errno(() => v.writeFile('/b', bytes(2 * PS)))).toBe('ENOSPC');
    expect(v.exists('/b')).toBe(false);
    v.writeFile('/a', bytes(2 * PS, 3));
    expect(v.readFile('/a')).toEqual(bytes(2 * PS, 3));
    expect(errno(() => v.writeFile('/a', bytes(3 * PS)))).toBe('ENOSPC');
    expect(v.readFile('/a')).toEqual(bytes(2 * PS, 3));
  });

  it('counts one disk I/O per page', () => {
    const v = fresh();
    v.writeFile('/io', bytes(3 * PS + 1));
    expect(v.disk.writes).toBe(4);
    v.readFile('/io');
    expect(v.disk.reads).toBe(4);
  });
});

// ---- model-based test ----

const MPS = 512;
const PATHS = ['/a', '/d/b', '/d/e/c'] as const;

interface Model {
  files: Map<string, Uint8Array>;
}
interface Real {
  vfs: Vfs;
}

function resize(b: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(b.subarray(0, Math.min(n, b.length)));
  return out;
}

function inodeOf(vfs: Vfs, path: string) {
  const ino = vfs.lookup(path);
  if (ino === null) throw new Error(`${path} missing in the real file system`);
  return ino;
}

function compare(m: Model, r: Real): void {
  expect(r.vfs.list()).toEqual([...m.files.keys()].sort());
  let blocks = 0;
  for (const [path, data] of m.files) {
    expect(r.vfs.readFile(path)).toEqual(data);
    blocks += inodeOf(r.vfs, path).blocks.size;
  }
  expect(r.vfs.blocksAllocated).toBe(blocks);
  expect(r.vfs.disk.blocksUsed).toBe(blocks);
}

const pathArb = fc.constantFrom(...PATHS);

class WriteFileCmd implements fc.Command<Model, Real> {
  constructor(
    readonly path: string,
    readonly data: Uint8Array,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.vfs.writeFile(this.path, this.data);
    m.files.set(this.path, this.data.slice());
    compare(m, r);
  }
  toString(): string {
    return `writeFile(${this.path}, ${this.data.length})`;
  }
}

class ReadFileCmd implements fc.Command<Model, Real> {
  constructor(readonly path: string) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const want = m.files.get(this.path);
    if (want === undefined) expect(errno(() => r.vfs.readFile(this.path))).toBe('ENOENT');
    else expect(r.vfs.readFile(this.path)).toEqual(want);
    compare(m, r);
  }
  toString(): string {
    return `readFile(${this.path})`;
  }
}

class TruncateCmd implements fc.Command<Model, Real> {
  constructor(
    readonly path: string,
    readonly size: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.files.has(this.path);
  }
  run(m: Model, r: Real): void {
    r.vfs.truncate(inodeOf(r.vfs, this.path), this.size);
    m.files.set(this.path, resize(m.files.get(this.path) ?? new Uint8Array(0), this.size));
    compare(m, r);
  }
  toString(): string {
    return `truncate(${this.path}, ${this.size})`;
  }
}

/** pwrite of a whole page: extend i_size first (as write(2) does), then write back. */
class WritePageCmd implements fc.Command<Model, Real> {
  constructor(
    readonly path: string,
    readonly index: number,
    readonly fill: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.files.has(this.path);
  }
  run(m: Model, r: Real): void {
    const ino = inodeOf(r.vfs, this.path);
    const end = (this.index + 1) * MPS;
    if (end > ino.size) r.vfs.setSize(ino, end);
    const page = new Uint8Array(MPS + 8).fill(this.fill);
    r.vfs.writePage(ino, this.index, page, 8);
    const old = m.files.get(this.path) ?? new Uint8Array(0);
    const next = resize(old, Math.max(old.length, end));
    next.fill(this.fill, this.index * MPS, end);
    m.files.set(this.path, next);
    compare(m, r);
  }
  toString(): string {
    return `writePage(${this.path}, ${this.index}, ${this.fill})`;
  }
}

class ReadPageCmd implements fc.Command<Model, Real> {
  constructor(
    readonly path: string,
    readonly index: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.files.has(this.path);
  }
  run(m: Model, r: Real): void {
    const page = new Uint8Array(MPS + 3).fill(0xee);
    r.vfs.readPage(inodeOf(r.vfs, this.path), this.index, page, 3);
    const want = resize(
      (m.files.get(this.path) ?? new Uint8Array(0)).subarray(this.index * MPS),
      MPS,
    );
    expect(page.subarray(3)).toEqual(want);
    expect(page.subarray(0, 3).every((b) => b === 0xee)).toBe(true);
    compare(m, r);
  }
  toString(): string {
    return `readPage(${this.path}, ${this.index})`;
  }
}

class UnlinkCmd implements fc.Command<Model, Real> {
  constructor(readonly path: string) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    if (m.files.has(this.path)) r.vfs.unlink(this.path);
    else expect(errno(() => r.vfs.unlink(this.path))).toBe('ENOENT');
    m.files.delete(this.path);
    compare(m, r);
  }
  toString(): string {
    return `unlink(${this.path})`;
  }
}

describe('Vfs model', () => {
  it('behaves like a Map of byte arrays', () => {
    const sizeArb = fc.integer({ min: 0, max: 5 * MPS });
    const commands = [
      fc
        .tuple(pathArb, sizeArb, fc.integer({ min: 1, max: 255 }))
        .map(([p, n, seed]) => new WriteFileCmd(p, bytes(n, seed))),
      pathArb.map((p) => new ReadFileCmd(p)),
      fc.tuple(pathArb, sizeArb).map(([p, n]) => new TruncateCmd(p, n)),
      fc
        .tuple(pathArb, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 255 }))
        .map(([p, i, f]) => new WritePageCmd(p, i, f)),
      fc.tuple(pathArb, fc.integer({ min: 0, max: 6 })).map(([p, i]) => new ReadPageCmd(p, i)),
      pathArb.map((p) => new UnlinkCmd(p)),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        fc.modelRun(
          () => ({ model: { files: new Map() }, real: { vfs: new Vfs(new SimDisk(MPS)) } }),
          cmds,
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('k.vfs', () => {
  it('keeps files on the disk, outside simulated RAM', () => {
    const k = Kernel.boot({ memory: '8M' });
    const free = k.buddy.nrFreePages();
    k.vfs.writeFile('/etc/motd', new TextEncoder().encode('hello'));
    expect(new TextDecoder().decode(k.vfs.readFile('/etc/motd'))).toBe('hello');
    expect(k.buddy.nrFreePages()).toBe(free);
    expect(k.vfs.disk.writes).toBeGreaterThan(0);
    expect(() => k.vfs.readFile('/nope')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
