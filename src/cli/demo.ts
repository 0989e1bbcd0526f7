/**
 * `mmsim demo`: a narrated run through every layer of one machine.
 *
 * 1. Boot: the buddy lists and meminfo of a fresh machine.
 * 2. A process grows its heap with brk and writes it (demand-zero faults).
 * 3. It maps a file (`k.vfs.writeFile`, then open + mmap) and reads it
 *    (page cache).
 * 4. It maps anonymous memory and writes it.
 * 5. It forks; the child writes part of the shared memory (copy on write).
 * 6. Kernel caches are created and churned with kmem_cache and kmalloc.
 * 7. A hog grows past RAM: reclaim drops the page cache and, with swap,
 *    swaps anonymous memory out; without swap (or with too little) the
 *    OOM killer ends it.
 * 8. With swap, the hog reads back what was swapped (swap-in, major
 *    faults); after an OOM kill, dmesg tells what happened.
 *
 * Nothing is torn down at the end, so `mmsim proc` and `mmsim map` can
 * show the machine the demo leaves behind. The run is deterministic: the
 * sizes follow from the boot options, the random sizes from `seed`.
 */
import type { BootOptions } from '../boot-options.js';
import { GFP_KERNEL } from '../gfp/flags.js';
import type { Kernel } from '../kernel.js';
import { formatAddress } from '../page/address.js';
import { errnoName } from '../page/errno.js';
import { KernelError } from '../page/errors.js';
import { Prandom } from '../page/prandom.js';
import type { KmemCache } from '../slab/kmem-cache.js';
import { SLAB_HWCACHE_ALIGN, SLAB_RECLAIM_ACCOUNT } from '../slab/slab-flags.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, O_RDONLY, PROT_READ, PROT_WRITE } from '../vm/mman.js';
import type { Process } from '../vm/process.js';
import { bootKernel } from './boot-flags.js';
import { RuntimeFailure } from './errors.js';
import { plural } from './plural.js';
import {
  dmesgLines,
  procFile,
  procKeys,
  procLines,
  procValue,
  slabinfoRows,
  smapsOf,
} from './proc-excerpt.js';
import { NO_PROGRESS, type Progress } from './progress.js';
import { machineOf, type Report, type Section } from './report.js';
import { formatKiB, summarize } from './summary.js';

/** What the demo leaves: the machine, its report, and the processes it made. */
export interface DemoResult {
  readonly kernel: Kernel;
  readonly report: Report;
  readonly processes: readonly Process[];
}

/** The file the demo maps. */
export const DEMO_FILE = '/usr/share/dict/words';

/** `len` bytes of deterministic text: numbered lines. */
function textOf(len: number): Uint8Array {
  const words = ['page', 'frame', 'zone', 'slab', 'fault', 'swap', 'buddy', 'order'];
  const out = new Uint8Array(len);
  let at = 0;
  for (let n = 0; at < len; n++) {
    const line = `${String(n).padStart(6, '0')} ${words[n % words.length]} ${words[(n * 5) % words.length]}\n`;
    for (let i = 0; i < line.length && at < len; i++) out[at++] = line.charCodeAt(i);
  }
  return out;
}

function check(result: number, what: string): number {
  if (result < 0) {
    throw new RuntimeFailure(
      `demo: ${what} failed with ${errnoName(result) ?? `errno ${-result}`}`,
    );
  }
  return result;
}

/**
 * Runs the demo on a machine booted with `options` and returns its report.
 * `progress` shows the memory-pressure step (the long one).
 *
 * @throws UsageError for boot options the kernel refuses.
 */
export function runDemo(options: BootOptions, progress: Progress = NO_PROGRESS): DemoResult {
  const k = bootKernel(options);
  const P = k.PAGE_SIZE;
  const mem = k.config.memory;
  const swap = k.config.swap === false ? 0 : k.config.swap.size;
  const pages = (bytes: number) => Math.max(1, Math.floor(bytes / P));
  const vmstat = (key: string) => procValue(k, '/proc/vmstat', key);
  const hex = (va: number) => formatAddress(va);
  const sections: Section[] = [];
  const processes: Process[] = [];

  // 1. Boot.
  const zones = k.zones.filter((z) => z.managed > 0);
  sections.push({
    title: 'Boot',
    text: [
      `${k.arch.name}: ${P}-byte pages, ${k.arch.levels}-level page tables, ${k.arch.vaBits}-bit virtual addresses.`,
      `${formatKiB(mem / 1024)} of RAM in ${k.memory.frames} frames; zones ${zones.map((z) => `${z.name} (${z.managed} pages)`).join(', ')}.`,
      'Free memory sits on the buddy lists in blocks of 2^order pages (orders 0..10):',
      'a fresh machine has nearly all of it in the largest blocks.',
    ],
    proc: [
      procFile(k, '/proc/buddyinfo'),
      procKeys(k, '/proc/meminfo', ['MemTotal', 'MemFree', 'MemAvailable', 'SwapTotal']),
    ],
  });

  // 2. brk.
  const shell = k.spawn({ name: 'shell' });
  processes.push(shell);
  const heapPages = 64;
  const brk0 = shell.libc.sbrk(0);
  check(shell.libc.sbrk(heapPages * P), 'sbrk');
  const brk1 = shell.libc.sbrk(0);
  let faults = vmstat('pgfault');
  for (let i = 0; i < heapPages; i++) shell.store32(brk0 + i * P, i);
  const heapFaults = vmstat('pgfault') - faults;
  sections.push({
    title: 'A process grows its heap with brk',
    text: [
      `"shell" (pid ${shell.pid}) called sbrk(${heapPages * P}): the break moved from ${hex(brk0)} to ${hex(brk1)}.`,
      'That only grew the [heap] VMA; no frame was allocated.',
      `Writing one word to each of its ${plural(heapPages, 'page')} took ${plural(heapFaults, 'page fault')}: each mapped a fresh zeroed frame (demand zero).`,
    ],
    proc: [procFile(k, `/proc/${shell.pid}/maps`), procKeys(k, '/proc/vmstat', ['pgfault'])],
  });

  // 3. A file mapping.
  const filePages = Math.min(256, Math.max(4, pages(mem / 64)));
  k.vfs.writeFile(DEMO_FILE, textOf(filePages * P));
  const fd = check(shell.sys.open(DEMO_FILE, O_RDONLY), `open(${DEMO_FILE})`);
  const fileVa = check(shell.sys.mmap(0, filePages * P, PROT_READ, MAP_PRIVATE, fd, 0), 'mmap');
  shell.sys.close(fd);
  faults = vmstat('pgfault');
  for (let i = 0; i < filePages; i++) shell.load8(fileVa + i * P);
  const fileFaults = vmstat('pgfault') - faults;
  let firstLine = '';
  for (let at = fileVa; firstLine.length < 40; at++) {
    const c = shell.load8(at);
    if (c === 0x0a) break;
    firstLine += String.fromCharCode(c);
  }
  sections.push({
    title: 'Mapping a file',
    text: [
      `${DEMO_FILE} (${formatKiB((filePages * P) / 1024)}) was written to the simulated disk, outside RAM.`,
      `open() and mmap(PROT_READ, MAP_PRIVATE) put a VMA over it at ${hex(fileVa)}; nothing was read yet.`,
      `Reading a byte of each of its ${plural(filePages, 'page')} took ${plural(fileFaults, 'fault')}, each reading a page into the page cache`,
      `(Cached and Mapped below). Its first line, read through the mapping: "${firstLine}".`,
    ],
    proc: [
      procLines(k, `/proc/${shell.pid}/maps`, (l) => l.endsWith(DEMO_FILE)),
      procKeys(k, '/proc/meminfo', ['Cached', 'Mapped', 'Active(file)', 'Inactive(file)']),
    ],
  });

  // 4. Anonymous memory.
  const anonPages = Math.max(8, pages(mem / 8));
  const anon = check(
    shell.sys.mmap(0, anonPages * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
    'mmap',
  );
  faults = vmstat('pgfault');
  for (let i = 0; i < anonPages; i++) shell.store32(anon + i * P, i);
  const anonFaults = vmstat('pgfault') - faults;
  const anonStart = anon.toString(16).padStart(8, '0');
  sections.push({
    title: 'Anonymous memory',
    text: [
      `mmap(NULL, ${anonPages * P}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS) = ${hex(anon)}.`,
      `Writing each of its ${plural(anonPages, 'page')}: ${plural(anonFaults, 'demand-zero fault')}, and page tables to map them (VmPTE).`,
    ],
    proc: [
      procLines(k, `/proc/${shell.pid}/maps`, (l) => l.startsWith(`${anonStart}-`)),
      procKeys(k, `/proc/${shell.pid}/status`, ['VmSize', 'VmRSS', 'RssAnon', 'RssFile', 'VmPTE']),
      procKeys(k, '/proc/meminfo', ['MemFree', 'AnonPages', 'PageTables']),
    ],
  });

  // 5. fork and copy on write.
  const child = shell.fork();
  processes.push(child);
  const cowPages = Math.max(1, Math.floor(anonPages / 4));
  faults = vmstat('pgfault');
  for (let i = 0; i < cowPages; i++) child.store32(anon + i * P, 1_000_000 + i);
  const cowFaults = vmstat('pgfault') - faults;
  const smapsKeys = ['Rss', 'Pss', 'Shared_Dirty', 'Private_Dirty', 'Anonymous'];
  sections.push({
    title: 'fork and copy on write',
    text: [
      `fork() made pid ${child.pid}: it copied the page tables, not the pages, and write-protected both sides.`,
      `The child wrote to ${cowPages} of the ${plural(anonPages, 'page')}: ${plural(cowFaults, 'fault')}, each copying one page.`,
      `At ${hex(anon)} the parent still reads ${shell.load32(anon)}, the child ${child.load32(anon)};`,
      'the pages nobody wrote are still shared (Shared_Dirty), and Pss splits them between the two.',
    ],
    proc: [smapsOf(k, shell.pid, anon, smapsKeys), smapsOf(k, child.pid, anon, smapsKeys)],
  });

  // 6. Kernel caches.
  const rand = new Prandom((k.config.seed ^ 0x5eed) >>> 0);
  const tasks = k.kmemCacheCreate('task_struct', 1792, { flags: SLAB_HWCACHE_ALIGN });
  const dentries = k.kmemCacheCreate('dentry', 192, { flags: SLAB_RECLAIM_ACCOUNT });
  const alloc = (c: KmemCache) => {
    const obj = k.kmemCacheAlloc(c, GFP_KERNEL);
    if (obj === null) throw new RuntimeFailure(`demo: kmem_cache_alloc(${c.name}) returned NULL`);
    return obj;
  };
  const taskObjs = Array.from({ length: 64 }, () => alloc(tasks));
  const dentryObjs = Array.from({ length: 2048 }, () => alloc(dentries));
  const buffers: number[] = [];
  let [smallest, largest] = [Number.POSITIVE_INFINITY, 0];
  for (let i = 0; i < 1024; i++) {
    const size = 8 + rand.below(2 ** (3 + rand.below(9)));
    const buf = k.kmalloc(size, GFP_KERNEL);
    if (buf === null) throw new RuntimeFailure(`demo: kmalloc(${size}) returned NULL`);
    buffers.push(buf);
    smallest = Math.min(smallest, size);
    largest = Math.max(largest, size);
  }
  // Churn: free every other one of the first half of the dentries and all of the last
  // quarter, a third of the buffers and some tasks, then allocate dentries again.
  for (let i = 0; i < dentryObjs.length; i++) {
    if (i < 1024 ? i % 2 === 0 : i >= 1536) k.kmemCacheFree(dentries, dentryObjs[i] as number);
  }
  for (let i = 0; i < buffers.length; i += 3) k.kfree(buffers[i] as number);
  for (let i = 0; i < 256; i++) alloc(dentries);
  for (let i = 0; i < 16; i++) k.kmemCacheFree(tasks, taskObjs[i] as number);
  const shrunk = dentries.shrink();
  sections.push({
    title: 'Kernel caches: kmem_cache and kmalloc',
    text: [
      `Two caches: task_struct (${tasks.objectSize} bytes, SLAB_HWCACHE_ALIGN) and dentry (${dentries.objectSize} bytes, SLAB_RECLAIM_ACCOUNT),`,
      `on ${k.slab.kind.toUpperCase()}. 64 tasks, 2048 dentries and 1024 kmalloc buffers of ${smallest}..${largest} bytes were allocated;`,
      'then every other one of the first 1024 dentries, the last 512, a third of the buffers and 16 tasks were freed,',
      'and 256 dentries allocated again: they filled holes in partly used slabs first.',
      'A slab goes back to the page allocator only when all of it is free, so active_objs stays below num_objs;',
      `slabs that emptied went back as they emptied, and kmem_cache_shrink(dentry) released ${plural(shrunk, 'more page', 'more pages')}.`,
    ],
    proc: [
      slabinfoRows(k, ['task_struct', 'dentry'], true),
      procKeys(k, '/proc/meminfo', ['Slab', 'SReclaimable', 'SUnreclaim']),
      procFile(k, '/proc/buddyinfo'),
    ],
  });

  // 7. Memory pressure.
  const hog = k.spawn({ name: 'hog' });
  processes.push(hog);
  const targetPages = pages(swap > 0 ? mem + Math.min(swap / 2, mem) : mem * 1.5);
  const chunkPages = Math.max(1, pages(mem / 4));
  const chunks: number[] = [];
  let written = 0;
  let mmapError: string | null = null;
  const cachedBefore = procValue(k, '/proc/meminfo', 'Cached');
  progress.start('memory pressure', targetPages, 'pages');
  try {
    while (written < targetPages && hog.state === 'running') {
      const n = Math.min(chunkPages, targetPages - written);
      const va = hog.sys.mmap(0, n * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (va < 0) {
        mmapError = `mmap of ${formatKiB((n * P) / 1024)} failed with ${errnoName(va) ?? `errno ${-va}`}`;
        break;
      }
      chunks.push(va);
      for (let i = 0; i < n; i++) {
        hog.store32(va + i * P, written);
        written++;
        progress.tick();
      }
    }
  } catch (e) {
    // The hog's own fault found no memory, and the OOM killer chose it.
    if (!(e instanceof KernelError && hog.state === 'killed')) throw e;
  } finally {
    progress.stop();
  }
  const killed = hog.state === 'killed';
  sections.push({
    title: 'Memory pressure',
    text: [
      `"hog" (pid ${hog.pid}) set out to write ${formatKiB((targetPages * P) / 1024)}, ${(targetPages / k.memory.frames).toFixed(2)} times RAM,`,
      `in mmaps of ${formatKiB((chunkPages * P) / 1024)}, and wrote ${plural(written, 'page')}${killed ? ' before it was killed' : ''}${mmapError === null ? '' : ` (${mmapError})`}.`,
      'Below the low watermark kswapd woke, and allocations that found too little reclaimed directly:',
      `first the clean page cache (Cached went from ${cachedBefore} kB to ${procValue(k, '/proc/meminfo', 'Cached')} kB), then,`,
      swap > 0
        ? 'with swap, the least recently used anonymous pages, written out to swap (pswpout).'
        : 'with no swap, nothing: anonymous memory has nowhere to go.',
    ],
    proc: [
      ...(swap > 0 ? [procFile(k, '/proc/swaps')] : []),
      procKeys(k, '/proc/vmstat', [
        'pswpin',
        'pswpout',
        'pgscan_kswapd',
        'pgscan_direct',
        'pgsteal_kswapd',
        'pgsteal_direct',
        'oom_kill',
      ]),
      procKeys(k, '/proc/meminfo', [
        'MemFree',
        'Cached',
        'AnonPages',
        'SwapTotal',
        'SwapFree',
        'SwapCached',
      ]),
    ],
  });

  // 8. Swap-in, or the OOM killer.
  if (killed) {
    sections.push({
      title: 'The OOM killer',
      text: [
        'Reclaim found nothing more to free, so the OOM killer chose the process whose death frees the most',
        `(resident pages + swap entries + page tables): hog, pid ${hog.pid}. Its memory went back at once,`,
        'the allocation was retried, and any later use of the process fails.',
      ],
      proc: [
        dmesgLines(k, /invoked oom-killer|oom-kill:|Out of memory|oom_reaper/),
        procKeys(k, '/proc/vmstat', ['pgfault', 'oom_kill']),
        procKeys(k, '/proc/meminfo', ['MemFree', 'MemAvailable']),
      ],
    });
  } else if (swap > 0) {
    const readPages = Math.min(written, Math.max(1, Math.floor(written / 8)));
    const [swapIn, major] = [vmstat('pswpin'), vmstat('pgmajfault')];
    let bad = 0;
    let index = 0;
    for (const va of chunks) {
      for (let i = 0; i < chunkPages && index < readPages; i++, index++) {
        if (hog.load32(va + i * P) !== index) bad++;
      }
    }
    sections.push({
      title: 'Reading swapped pages back',
      text: [
        `hog read back the first ${plural(readPages, 'page')} it wrote, the oldest and so the first swapped out:`,
        `${plural(vmstat('pswpin') - swapIn, 'page')} came in from swap (${plural(vmstat('pgmajfault') - major, 'major fault')}), and ${bad === 0 ? 'every value read was the value written' : `${plural(bad, 'value')} differed from what was written`}.`,
      ],
      proc: [
        procKeys(k, '/proc/vmstat', ['pswpin', 'pswpout', 'pgmajfault']),
        procKeys(k, `/proc/${hog.pid}/status`, ['VmRSS', 'RssAnon', 'VmSwap']),
      ],
    });
    if (bad !== 0)
      throw new RuntimeFailure(`demo: ${plural(bad, 'page')} read back from swap were wrong`);
  }

  try {
    k.checkInvariants();
  } catch (e) {
    throw new RuntimeFailure(`demo: ${(e as Error).message}`);
  }
  const report: Report = {
    command: 'demo',
    machine: machineOf(k),
    sections,
    summary: summarize(k, processes),
  };
  return { kernel: k, report, processes };
}
