/**
 * `npm run demo`: boots a machine with the default configuration and shows
 * what it is made of, then exercises the page allocator. It grows with
 * each layer of the library.
 */
import {
  __GFP_COMP,
  formatGfp,
  GFP_ATOMIC,
  GFP_DMA,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  Kernel,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  type SegmentationFault,
  SLAB_HWCACHE_ALIGN,
  STRUCT_PAGE_SIZE,
} from '../src/index.js';

const k = Kernel.boot();
const KiB = 1024;
const MiB = 1024 * KiB;

function section(title: string): void {
  console.log(`\n== ${title}`);
}

section('Machine');
console.log(
  `architecture     ${k.arch.name} (${k.arch.levels}-level page tables, ${k.arch.vaBits}-bit virtual addresses)`,
);
console.log(`page size        ${k.PAGE_SIZE} bytes (PAGE_SHIFT ${k.PAGE_SHIFT})`);
console.log(
  `memory           ${k.memory.size / MiB} MiB in ${k.memory.buffers.length} SharedArrayBuffer, ${k.memory.frames} frames`,
);
console.log(`struct page      ${STRUCT_PAGE_SIZE} bytes each, ${k.memMap.bytes / KiB} KiB in all`);

section('Zones and watermarks (pages)');
console.log(
  `${'zone'.padEnd(8)} ${'spanned'.padStart(8)} ${'managed'.padStart(8)} ${'min'.padStart(6)} ${'low'.padStart(6)} ${'high'.padStart(6)}`,
);
for (const zone of k.zones) {
  console.log(
    `${zone.name.padEnd(8)} ${String(zone.spanned).padStart(8)} ${String(zone.managed).padStart(8)} ` +
      `${String(zone.min).padStart(6)} ${String(zone.low).padStart(6)} ${String(zone.high).padStart(6)}`,
  );
}
console.log(`min_free_kbytes  ${k.buddy.minFreeKbytes}`);

section('Early reservations (memblock)');
for (const r of k.memblock.reserved) {
  console.log(
    `${r.owner.padEnd(16)} ${(r.size / KiB).toString().padStart(8)} KiB at 0x${r.base.toString(16)}`,
  );
}

section('/proc/buddyinfo after boot');
process.stdout.write(k.proc('/proc/buddyinfo'));

section('Allocating');
const held: [number, number][] = [];
for (const [gfp, order, count] of [
  [GFP_KERNEL, 0, 100],
  [GFP_KERNEL | __GFP_COMP, 3, 20],
  [GFP_DMA, 2, 10],
  [GFP_HIGHUSER_MOVABLE, 0, 200],
  [GFP_ATOMIC, 5, 4],
] as const) {
  const pfns: number[] = [];
  for (let i = 0; i < count; i++) {
    const pfn = k.allocPages(gfp, order);
    if (pfn !== null) {
      pfns.push(pfn);
      held.push([pfn, order]);
    }
  }
  const zones = [...new Set(pfns.map((pfn) => k.buddy.zoneOf(pfn).name))].join(', ');
  console.log(`${formatGfp(gfp).padEnd(26)} order ${order}: ${pfns.length} blocks from ${zones}`);
}
process.stdout.write(k.proc('/proc/buddyinfo'));

section('Freeing everything and draining the per-CPU lists');
for (const [pfn, order] of held) k.freePages(pfn, order);
k.drainAllPages();
k.checkInvariants();
process.stdout.write(k.proc('/proc/buddyinfo'));
console.log('checkInvariants: all hold');

section(`Slab (${k.slab.kind.toUpperCase()}): a cache and kmalloc`);
const tasks = k.kmemCacheCreate('task_struct', 1800, { flags: SLAB_HWCACHE_ALIGN });
const objs = Array.from({ length: 40 }, () => tasks.alloc(GFP_KERNEL));
const bufs = Array.from({ length: 300 }, (_, i) => k.kmalloc(8 + ((i * 97) % 3000), GFP_KERNEL));
console.log(
  `task_struct: object size ${tasks.objectSize}, slot size ${tasks.size}, align ${tasks.align}`,
);
console.log(`ksize(kmalloc(65)) = ${k.ksize(k.kmalloc(65, GFP_KERNEL) as number)}`);
const slabinfo = k.proc('/proc/slabinfo').split('\n');
process.stdout.write(`${slabinfo.slice(0, 2).join('\n')}\n`);
// The caches in use: task_struct and the kmalloc caches that hold objects.
for (const line of slabinfo.slice(2)) {
  const [name = '', active = '0'] = line.split(/\s+/);
  if (Number(active) > 0 && (name === 'task_struct' || name.startsWith('kmalloc-')))
    console.log(line);
}
for (const obj of objs) if (obj !== null) tasks.free(obj);
for (const buf of bufs) k.kfree(buf);
try {
  k.kfree(bufs[0] ?? null);
} catch (e) {
  console.log(`a second kfree is refused: ${(e as Error).message}`);
}

section('Processes: brk, mmap, fork and copy on write');
const init = k.spawn({ name: 'demo' });
const heapStart = init.libc.sbrk(0);
init.libc.sbrk(3 * k.PAGE_SIZE);
init.store32(heapStart, 0x1234);
const region = init.libc.mmap(
  0,
  16 * k.PAGE_SIZE,
  PROT_READ | PROT_WRITE,
  MAP_PRIVATE | MAP_ANONYMOUS,
  -1,
  0,
);
for (let i = 0; i < 8; i++) init.store32(region + i * k.PAGE_SIZE, i);
const sharedArea = init.libc.mmap(
  0,
  k.PAGE_SIZE,
  PROT_READ | PROT_WRITE,
  MAP_SHARED | MAP_ANONYMOUS,
  -1,
  0,
);
init.store32(sharedArea, 1);
const child = init.fork();
child.store32(region, 99); // copy on write: the parent keeps 0
child.store32(sharedArea, 2); // shared: the parent sees 2
console.log(
  `parent reads ${init.load32(region)} at the private page, child ${child.load32(region)}`,
);
console.log(`parent reads ${init.load32(sharedArea)} at the shared page the child wrote`);
try {
  init.load32(k.pageAddress(100) as number);
} catch (e) {
  console.log(
    `a user load of a kernel address: ${(e as Error).name} ${(e as SegmentationFault).siCode}`,
  );
}
console.log(`\n/proc/${init.pid}/maps`);
process.stdout.write(k.proc(`/proc/${init.pid}/maps`));
console.log(`\n/proc/${child.pid}/status (memory lines)`);
for (const line of k.proc(`/proc/${child.pid}/status`).split('\n'))
  if (/^(Vm|Rss)/.test(line)) console.log(line);
child.exit();
init.exit();
k.checkInvariants();
console.log(`pgfault ${k.events.get('pgfault')}; both processes exited, checkInvariants: all hold`);

section('/proc/pagetypeinfo: pageblocks that unmovable allocations claimed stay Unmovable');
process.stdout.write(k.proc('/proc/pagetypeinfo'));

section('dmesg');
process.stdout.write(k.dmesg());
