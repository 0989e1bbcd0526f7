/**
 * Memory pressure on a small machine, twice. With swap, a process larger
 * than RAM runs: reclaim writes its coldest pages to swap and faults them
 * back in. Without swap nothing it holds can be reclaimed, so the OOM
 * killer picks the process with the largest footprint and kills it, and
 * dmesg says so in the kernel's words.
 *
 * Run it with `npx tsx examples/swap-and-oom.ts`.
 */
import {
  Kernel,
  KernelError,
  MAP_ANONYMOUS,
  MAP_NORESERVE,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
} from 'mmsim';

const MiB = 2 ** 20;
const vmstat = (k: Kernel, item: string): string | undefined =>
  k
    .proc('/proc/vmstat')
    .split('\n')
    .find((l) => l.startsWith(`${item} `));

// 1. 16 MiB of RAM and 32 MiB of swap: 24 MiB of anonymous memory fits.
const k = Kernel.boot({ memory: '16M', swap: { size: '32M' } });
const big = k.spawn({ name: 'big' });
const va = big.libc.mmap(0, 24 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
const pages = (24 * MiB) / k.PAGE_SIZE;
for (let i = 0; i < pages; i++) big.store32(va + i * k.PAGE_SIZE, i); // each first store faults
console.log(vmstat(k, 'pswpout')); // pages written to swap by reclaim (kswapd, direct reclaim)
let intact = true;
for (let i = 0; i < pages; i++) intact &&= big.load32(va + i * k.PAGE_SIZE) === i; // swap-ins
console.log(`every page reads back what was written: ${intact}`);
console.log(`${vmstat(k, 'pswpout')}, ${vmstat(k, 'pswpin')}`); // the read pass swapped too
console.log(k.proc('/proc/swaps'));
big.exit(); // frees its frames and its swap slots

// 2. The same machine without swap: a small process and a hog that never stops.
const k2 = Kernel.boot({ memory: '16M' });
const small = k2.spawn({ name: 'small' });
const mine = small.libc.mmap(0, MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
small.store32(mine, 42);
const hog = k2.spawn({ name: 'hog' });
// 64 MiB is more than RAM: the overcommit check refuses it unless MAP_NORESERVE says not to count it.
const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
const heap = hog.libc.mmap(0, 64 * MiB, PROT_READ | PROT_WRITE, flags, -1, 0);
try {
  for (let off = 0; ; off += k2.PAGE_SIZE) hog.store32(heap + off, 1);
} catch (e) {
  // The hog's own fault needed the memory; the OOM killer chose the hog itself.
  if (!(e instanceof KernelError)) throw e;
  console.log(`the hog's store failed: ${e.code} (${e.message})`);
}
console.log(`hog is ${hog.state}, small is ${small.state} and still reads ${small.load32(mine)}`);
console.log(
  k2
    .dmesg()
    .split('\n')
    .find((l) => l.includes('Out of memory: Killed process')),
);
console.log(vmstat(k2, 'oom_kill'));
small.exit();
k2.checkInvariants();
