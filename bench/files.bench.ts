/**
 * Files through the page cache, against a bare loop that copies the same
 * bytes from a typed array (the least a read of a cached file must do), in
 * the same run. The file is 64 MiB; the cache is emptied before each round,
 * so every page is read from the simulated disk once.
 *
 * 1. Sequential read faults: the first load of each page of a MAP_PRIVATE
 *    PROT_READ mapping of the file.
 * 2. read(2) of the whole file in 64 KiB calls into a user buffer.
 */
import { Kernel, MAP_PRIVATE, O_RDONLY, PROT_READ, pageCacheOf, SEEK_SET } from '../src/index.js';
import { compare } from './harness.js';

const FILE_BYTES = 64 * 2 ** 20;
const PAGE = 4096;
const PAGES = FILE_BYTES / PAGE;
const CHUNK = 64 * 1024;

const k = Kernel.boot({ memory: '512M' });
const content = new Uint8Array(FILE_BYTES);
for (let i = 0; i < FILE_BYTES; i += 4096) content[i] = (i / 4096) & 0xff;
k.vfs.writeFile('/data/big', content);
const p = k.spawn({ name: 'reader' });
const cache = pageCacheOf(k.vfs, k.buddy);
const inode = k.vfs.lookup('/data/big');
if (inode === null) throw new Error('no file');

// The baseline: copy the file's bytes page by page from a typed array into RAM-sized words.
const source = new Int32Array(content.buffer);
const dest = new Int32Array(new SharedArrayBuffer(FILE_BYTES));
const bareCopy = () => {
  for (let page = 0; page < PAGES; page++) {
    const at = page * 1024;
    dest.set(source.subarray(at, at + 1024), at);
  }
};

const fd = p.sys.open('/data/big', O_RDONLY);
const buffer = p.sys.mmap(0, CHUNK, 3, 0x22, -1, 0); // PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS
for (let off = 0; off < CHUNK; off += PAGE) p.store8(buffer + off, 0);

await compare(
  'files: 64 MiB read from a cold page cache (ns per 4 KiB page)',
  { name: 'bare: copy the bytes from a typed array', ops: PAGES, fn: bareCopy },
  [
    {
      name: 'read faults on a MAP_PRIVATE mapping',
      ops: PAGES,
      fn: () => {
        cache.drop(inode, false);
        const addr = p.sys.mmap(0, FILE_BYTES, PROT_READ, MAP_PRIVATE, fd, 0);
        for (let page = 0; page < PAGES; page++) p.load8(addr + page * PAGE);
        p.sys.munmap(addr, FILE_BYTES);
      },
    },
    {
      name: 'read(2) in 64 KiB calls',
      ops: PAGES,
      fn: () => {
        cache.drop(inode, false);
        p.sys.lseek(fd, 0, SEEK_SET);
        while (p.sys.read(fd, buffer, CHUNK) > 0) {
          // the bytes land in the user buffer
        }
      },
    },
  ],
);
