/**
 * Boot a machine and look inside it: the boot log (`dmesg`), the zones
 * and their watermarks, what early boot reserved (memblock), and the /proc
 * files that summarise free memory. Then boot a 32-bit machine with more
 * RAM than its direct map covers, to see a HighMem zone appear.
 *
 * Run it with `npx tsx examples/boot-and-inspect.ts`.
 */
import { Kernel } from 'mmsim';

// Every option is optional; these are the defaults except `cpus` and `seed`.
const k = Kernel.boot({ arch: 'x86_64', memory: '64M', slab: 'slub', cpus: 2, seed: 1 });
console.log(`${k.arch.name}: ${k.memory.frames} frames of ${k.PAGE_SIZE} bytes`);

// The boot log, as start_kernel and mm_core_init print it on a real machine.
console.log(k.dmesg());

// Zones: DMA below 16 MiB, DMA32 below 4 GiB, Normal above (empty here).
// Watermarks are in pages: below `low` kswapd wakes, below `min` only
// __GFP_HIGH (GFP_ATOMIC) requests may allocate.
for (const z of k.zones) {
  console.log(
    `zone ${z.name.padEnd(7)} pfn ${z.startPfn}+${z.spanned}, managed ${z.managed}, ` +
      `min ${z.min} low ${z.low} high ${z.high}, free ${z.freePages}`,
  );
}

// What early boot took before the buddy allocator existed (memblock_reserve).
for (const r of k.memblock.reserved) console.log(`reserved ${r.owner}: ${r.size / 1024} KiB`);

// Free blocks per order (0..10) per zone: boot freed memory in the largest
// aligned blocks, so most of it sits at order 10 (4 MiB blocks).
console.log(k.proc('/proc/buddyinfo'));
console.log(k.proc('/proc/meminfo').split('\n').slice(0, 3).join('\n'));

// i386 maps only the first 896 MiB into the kernel (lowmem); the rest of a
// 1 GiB machine is HighMem, which the kernel reaches through kmap().
const pc = Kernel.boot({ arch: 'i386', memory: '1G' });
console.log(pc.zones.map((z) => `${z.name} ${z.managed}`).join(', '));
console.log(pc.proc('/proc/buddyinfo'));
pc.checkInvariants(); // nothing is wrong with a freshly booted machine
