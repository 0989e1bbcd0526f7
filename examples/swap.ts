/**
 * The README's memory-pressure example: a process twice the size of RAM
 * swaps, reads its data back, and a replacement policy runs over a trace.
 */
import { Kernel, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, simulatePolicy } from 'mmsim';

const k = Kernel.boot({ memory: '16M', swap: { size: '64M' } });
const p = k.spawn({ name: 'big' });
const va = p.libc.mmap(0, 32 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
for (let i = 0; i < 8192; i++) p.store32(va + i * 4096, i); // twice the RAM: pages go to swap
console.log(p.load32(va + 4096));                            // 1, read back from swap
console.log(k.proc('/proc/swaps'));                          // the swap area and how much is used
console.log(simulatePolicy('opt', [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5], 3)); // { hits: 5, misses: 7 }
p.exit();
