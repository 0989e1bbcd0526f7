/**
 * Renders the pictures of docs/images from a demo machine:
 *
 *   npx tsx scripts/render-pictures.ts [--out docs/images] [--png DIR] [--width PX]
 *
 * It boots a 32 MiB x86_64 machine with 16 MiB of swap, runs a small
 * workload that leaves frames with every owner the memory map knows (slab
 * caches, large kmalloc, other kernel pages, page tables, anonymous, shmem,
 * file cache, swap cache, free blocks of many orders, reserved), and writes
 * memory-map.svg, address-space.svg (the demo process) and buddyinfo.svg.
 * With `--png DIR` it also renders each to PNG in DIR with
 * `@resvg/resvg-js` (a devDependency), to look at the result.
 *
 * Everything is deterministic: the same script gives the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GFP_KERNEL,
  Kernel,
  MADV_PAGEOUT,
  MADV_WILLNEED,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  O_RDONLY,
  PROT_READ,
  PROT_WRITE,
} from '../src/index.js';
import { renderAddressSpace, renderBuddyInfo, renderMemoryMap } from '../src/viz/index.js';

const args = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
const outDir = option('--out') ?? 'docs/images';
const pngDir = option('--png');
const widthArg = option('--width');
const sizing = widthArg === undefined ? {} : { width: Number(widthArg) };

const RW = PROT_READ | PROT_WRITE;
const k = Kernel.boot({ memory: '32M', swap: { size: '16M' }, seed: 1 });
const PS = k.PAGE_SIZE;

// Kernel objects: a few slab caches of different sizes, kmalloc of several
// size classes, a large kmalloc and some pages the kernel keeps for itself.
const caches: [string, number, number][] = [
  ['dentry', 192, 900],
  ['inode_cache', 600, 260],
  ['task_struct', 1600, 40],
  ['vm_area_struct', 176, 400],
  ['buffer_head', 104, 600],
];
for (const [name, size, count] of caches) {
  const cache = k.kmemCacheCreate(name, size);
  for (let i = 0; i < count; i++) k.kmemCacheAlloc(cache, GFP_KERNEL);
}
for (const [size, count] of [
  [32, 300],
  [64, 400],
  [256, 120],
  [1024, 60],
  [4096, 12],
]) {
  for (let i = 0; i < (count as number); i++) k.kmalloc(size as number, GFP_KERNEL);
}
k.kmalloc(64 * 1024, GFP_KERNEL);
k.kmalloc(20 * 1024, GFP_KERNEL);
for (let i = 0; i < 6; i++) k.allocPages(GFP_KERNEL, 2);

// Fragmentation: take many single pages and give three of every four back,
// so that the free lists hold blocks of orders 0 and 1 between pages in use.
const singles: number[] = [];
for (let i = 0; i < 800; i++) {
  const pfn = k.allocPages(GFP_KERNEL, 0);
  if (pfn !== null) singles.push(pfn);
}
k.drainAllPages();
for (const pfn of singles) {
  if (pfn % 4 !== 0) k.freePages(pfn, 0);
}
k.drainAllPages();

// A process with a heap, an anonymous mapping (partly swapped out, partly
// back in the swap cache), shared anonymous memory and a mapped file.
const p = k.spawn({ name: 'demo' });
const heapStart = p.sys.brk(0);
p.sys.brk(heapStart + 48 * PS);
for (let i = 0; i < 40; i++) p.store32(heapStart + i * PS, i);

const anonPages = 512;
const anon = p.sys.mmap(0, anonPages * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
for (let i = 0; i < 320; i++) p.store32(anon + i * PS, 0x1000 + i);
p.sys.madvise(anon + 200 * PS, 100 * PS, MADV_PAGEOUT);
p.sys.madvise(anon + 260 * PS, 40 * PS, MADV_WILLNEED);

const shm = p.sys.mmap(0, 128 * PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
for (let i = 0; i < 96; i++) p.store32(shm + i * PS, i);

const file = new Uint8Array(300 * PS);
for (let i = 0; i < file.length; i += 97) file[i] = i & 0xff;
k.vfs.writeFile('/usr/lib/libdemo.so', file);
const fd = p.sys.open('/usr/lib/libdemo.so', O_RDONLY);
const lib = p.sys.mmap(0, file.length, PROT_READ, MAP_PRIVATE, fd, 0);
for (let i = 0; i < 300; i += 2) p.load8(lib + i * PS);

const tiny = p.sys.mmap(0, PS, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
p.load8(tiny);

// A second process, for its page tables and a little memory of its own.
const q = k.spawn({ name: 'worker' });
const qa = q.sys.mmap(0, 64 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
for (let i = 0; i < 64; i++) q.store32(qa + i * PS, i);

k.checkInvariants();

const pictures: [string, string][] = [
  ['memory-map.svg', renderMemoryMap(k, sizing)],
  ['address-space.svg', renderAddressSpace(p, sizing)],
  ['buddyinfo.svg', renderBuddyInfo(k, sizing)],
];
mkdirSync(outDir, { recursive: true });
for (const [name, svg] of pictures) {
  writeFileSync(join(outDir, name), svg);
  console.log(`${join(outDir, name)}  ${Buffer.byteLength(svg)} bytes`);
}

if (pngDir !== undefined) {
  const { Resvg } = await import('@resvg/resvg-js');
  mkdirSync(pngDir, { recursive: true });
  for (const [name, svg] of pictures) {
    const png = new Resvg(svg, {
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    })
      .render()
      .asPng();
    const path = join(pngDir, name.replace(/\.svg$/, '.png'));
    writeFileSync(path, png);
    console.log(`${path}  ${png.length} bytes`);
  }
}
