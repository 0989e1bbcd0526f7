/**
 * The README's example, kept here so that the test suite runs it
 * (test/readme.test.ts checks that the README shows exactly this code).
 */
import { Kernel, GFP_KERNEL, GFP_DMA, __GFP_ZERO, formatGfp,
         MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from 'mmsim';

const k = Kernel.boot({ arch: 'x86_64', memory: '64M' });
console.log(k.arch.name, k.PAGE_SIZE, k.memory.frames);   // x86_64 4096 16384
const atBoot = k.proc('/proc/buddyinfo');                 // free blocks per order per zone

const pfn = k.allocPages(GFP_KERNEL | __GFP_ZERO, 2);      // 4 zeroed, contiguous frames
const dma = k.allocPages(GFP_DMA, 0);                      // a frame below 16 MiB
console.log(pfn, dma, formatGfp(GFP_KERNEL | __GFP_ZERO)); // ... GFP_KERNEL|__GFP_ZERO
console.log(k.proc('/proc/buddyinfo') !== atBoot);         // true: 5 frames are in use

const cache = k.kmemCacheCreate('task_struct', 1024);      // a SLUB cache (or slab: 'slab' | 'slob')
const task = cache.alloc(GFP_KERNEL);                      // a kernel virtual address
const kbuf = k.kmalloc(100, GFP_KERNEL);                   // from kmalloc-128
console.log(k.proc('/proc/slabinfo'));

if (task !== null) cache.free(task);
cache.destroy();                                           // kmem_cache_destroy: its slabs go back
k.kfree(kbuf);
if (pfn !== null) k.freePages(pfn, 2);
if (dma !== null) k.freePages(dma, 0);
const p = k.spawn({ name: 'demo' });                      // a process: text, data, heap, [stack]
const buf = p.libc.mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
p.store32(buf, 42);                                        // a page fault maps a zeroed frame
const child = p.fork();                                    // copy on write
child.store32(buf, 7);                                     // the child gets its own copy; p still reads 42
console.log(k.proc(`/proc/${p.pid}/maps`));
child.exit(); p.exit();

for (const c of k.slab.caches) c.shrink();                 // empty slabs (kmalloc-128's) go back
k.drainAllPages();                                         // per-CPU lists back to the buddy lists
k.checkInvariants();                                       // throws KernelBug if anything is off
console.log(k.proc('/proc/buddyinfo') === atBoot);         // true: exactly as after boot
