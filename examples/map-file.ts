/**
 * A process maps a file with MAP_SHARED: loads fault pages in from the
 * page cache, stores dirty them, and msync(MS_SYNC) writes them back to the
 * disk, where the file's contents live. /proc shows the mapping and the
 * dirty page on the way.
 *
 * Run it with `npx tsx examples/map-file.ts`.
 */
import { Kernel, MAP_SHARED, MS_SYNC, O_RDWR, PROT_READ, PROT_WRITE } from 'mmsim';

const k = Kernel.boot({ memory: '16M' });
const text = new TextEncoder();
const show = (bytes: Uint8Array): string => JSON.stringify(new TextDecoder().decode(bytes));

// Files live on a simulated disk, outside RAM: nothing is cached yet.
k.vfs.writeFile('/etc/motd', text.encode('hello from the disk\n'));
const p = k.spawn({ name: 'editor' });
const fd = p.sys.open('/etc/motd', O_RDWR); // MAP_SHARED + PROT_WRITE needs O_RDWR
const va = p.sys.mmap(0, k.PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
console.log(`fd ${fd}, mapped at 0x${va.toString(16)}`);
console.log(
  k
    .proc(`/proc/${p.pid}/maps`)
    .split('\n')
    .find((l) => l.includes('/etc/motd')),
);

// The first load faults (filemap_fault): the page is read from disk into the page cache.
console.log(`read through the mapping: ${show(p.read(va, 19))}`);

// A store to a MAP_SHARED page writes the page cache page itself and marks it dirty.
p.write(va + 11, text.encode('RAM '));
const dirty = (): string | undefined =>
  k
    .proc('/proc/meminfo')
    .split('\n')
    .find((l) => l.startsWith('Dirty:'));
console.log(dirty());

// The disk still has the old bytes: look at block 0 of the file directly.
const inode = k.vfs.lookup('/etc/motd');
const onDisk = new Uint8Array(k.PAGE_SIZE);
if (inode !== null) k.vfs.readPage(inode, 0, onDisk, 0);
console.log(`on disk before msync: ${show(onDisk.subarray(0, 19))}`);

// msync writes the file's dirty pages back and write-protects them again.
console.log(`msync -> ${p.sys.msync(va, k.PAGE_SIZE, MS_SYNC)}`);
if (inode !== null) k.vfs.readPage(inode, 0, onDisk, 0);
console.log(`on disk after msync:  ${show(onDisk.subarray(0, 19))}`);
console.log(dirty());

p.sys.munmap(va, k.PAGE_SIZE);
p.sys.close(fd);
p.exit();
console.log(`the file now reads ${show(k.vfs.readFile('/etc/motd'))}`);
k.checkInvariants();
