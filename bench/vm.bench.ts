/**
 * Virtual memory, each figure against a baseline in the same run:
 *
 * 1. Demand-zero faults: a user store to each page of a fresh anonymous
 *    mapping, against a bare loop that pops a frame from a free list, zeroes
 *    it through an Int32Array and writes an entry into a table. Target 0.5.
 *    Also the rate, next to the real kernel's minor-fault rate on this
 *    machine (bench/c/minor-faults.c, when a C compiler is present).
 * 2. `load32` on resident pages (TLB hits), against a plain Int32Array read
 *    at the same offsets. Target 0.2.
 * 3. mmap + touch + munmap cycles per second, and the cost of a fault with
 *    1, 100 and 10,000 VMAs in the address space (must not grow linearly).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../src/index.js';
import { compare } from './harness.js';

const PAGE = 4096;
const MAP_PAGES = 4096; // 16 MiB per round

// --- 1. demand-zero faults ---------------------------------------------------
const k = Kernel.boot({ memory: '256M' });
const p = k.spawn({ name: 'bench' });

function mapFresh(pages: number): number {
  const addr = p.sys.mmap(
    0,
    pages * PAGE,
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS,
    -1,
    0,
  );
  if (addr < 0) throw new Error(`mmap failed: ${addr}`);
  return addr;
}

const bareRam = new Int32Array(new SharedArrayBuffer(MAP_PAGES * PAGE));
const bareNext = new Int32Array(MAP_PAGES);
const bareTable = new Float64Array(MAP_PAGES);
bareRam.fill(1);

await compare(
  'demand-zero fault: first store to each page of a fresh anonymous mapping',
  {
    name: 'bare: pop frame, zero it, write entry',
    ops: MAP_PAGES,
    fn: () => {
      for (let i = 0; i < MAP_PAGES; i++) bareNext[i] = i + 1;
      let head = 0;
      for (let i = 0; i < MAP_PAGES; i++) {
        const frame = head;
        head = bareNext[frame] as number;
        bareRam.fill(0, frame * 1024, frame * 1024 + 1024);
        bareTable[i] = frame * PAGE + 0x67;
        bareRam[frame * 1024] = 1;
      }
    },
  },
  [
    {
      name: 'mmsim: p.store32 on a fresh mmap',
      ops: MAP_PAGES,
      fn: () => {
        const addr = mapFresh(MAP_PAGES);
        for (let i = 0; i < MAP_PAGES; i++) p.store32(addr + i * PAGE, 1);
        p.sys.munmap(addr, MAP_PAGES * PAGE);
      },
    },
  ],
);

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'c', 'minor-faults.c');
let nativeRate = 0;
try {
  const out = join(mkdtempSync(join(tmpdir(), 'mmsim-')), 'minor-faults');
  execFileSync('cc', ['-O2', '-o', out, source]);
  if (existsSync(out))
    nativeRate = Number(execFileSync(out, ['65536'], { encoding: 'utf8' }).trim());
} catch {
  nativeRate = 0;
}
{
  const t0 = performance.now();
  const rounds = 10;
  for (let r = 0; r < rounds; r++) {
    const addr = mapFresh(MAP_PAGES);
    for (let i = 0; i < MAP_PAGES; i++) p.store32(addr + i * PAGE, 1);
    p.sys.munmap(addr, MAP_PAGES * PAGE);
  }
  const rate = (rounds * MAP_PAGES) / ((performance.now() - t0) / 1000);
  console.log(
    `  mmsim demand-zero faults: ${(rate / 1e6).toFixed(3)} M/s (with mmap and munmap of each 16 MiB round)`,
  );
  console.log(
    nativeRate > 0
      ? `  real kernel on this machine: ${(nativeRate / 1e6).toFixed(3)} M/s (ratio ${(rate / nativeRate).toFixed(2)})`
      : '  real kernel: no C compiler here, not measured',
  );
}

// --- 2. TLB hits --------------------------------------------------------------
{
  const pages = 64;
  const addr = mapFresh(pages);
  for (let i = 0; i < pages; i++) p.store32(addr + i * PAGE, i);
  const plain = new Int32Array(pages * 1024);
  const N = 4096;
  const offsets = Int32Array.from({ length: N }, (_, i) => ((i * 7919) % (pages * 1024)) & ~0);
  let sink = 0;
  await compare(
    'load32 of resident memory (TLB hits), 64 pages',
    {
      name: 'plain Int32Array read',
      ops: N,
      fn: () => {
        for (let i = 0; i < N; i++) sink += plain[offsets[i] as number] as number;
      },
    },
    [
      {
        name: 'p.load32',
        ops: N,
        fn: () => {
          for (let i = 0; i < N; i++) sink += p.load32(addr + (offsets[i] as number) * 4);
        },
      },
    ],
  );
  if (sink === 0.5) console.log(sink);
}

// --- 3. mmap cycles and fault cost by VMA count -------------------------------
{
  const cycles = 200;
  const t0 = performance.now();
  for (let i = 0; i < cycles; i++) {
    const addr = mapFresh(16);
    for (let j = 0; j < 16; j++) p.store32(addr + j * PAGE, j);
    p.sys.munmap(addr, 16 * PAGE);
  }
  console.log(
    `\nmmap(64 KiB) + touch 16 pages + munmap: ${(cycles / ((performance.now() - t0) / 1000)).toFixed(0)} cycles/s`,
  );
}

function faultCost(vmas: number): () => void {
  const kk = Kernel.boot({ memory: '512M' });
  const q = kk.spawn();
  // Alternate protections so that neighbouring VMAs cannot merge.
  for (let i = 0; i < vmas; i++) {
    const prot = i % 2 === 0 ? PROT_READ | PROT_WRITE : PROT_READ;
    q.sys.mmap(0, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  let addr = 0;
  let next = 0;
  const pages = 1024;
  return () => {
    if (next === 0) {
      if (addr !== 0) q.sys.munmap(addr, pages * PAGE);
      addr = q.sys.mmap(
        0,
        pages * PAGE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
      );
    }
    for (let i = 0; i < 64; i++) q.store32(addr + (next + i) * PAGE, 1);
    next = (next + 64) % pages;
  };
}

await compare(
  'fault cost with 1, 100 and 10,000 VMAs (ns per fault)',
  { name: '1 VMA', ops: 64, fn: faultCost(1) },
  [
    { name: '100 VMAs', ops: 64, fn: faultCost(100) },
    { name: '10,000 VMAs', ops: 64, fn: faultCost(10000) },
  ],
);
