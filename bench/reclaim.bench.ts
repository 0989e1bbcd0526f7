/**
 * Reclaim and swap throughput: one process writes then reads back
 * anonymous memory twice the size of RAM, on machines from 64 MiB to
 * 1 GiB with enough swap. The baseline, measured in the same run on the
 * same machine size, touches half of RAM the same way, so nothing is
 * reclaimed: the ratio is what memory pressure costs per page touched.
 *
 * Each case runs once (a 1 GiB machine writes and reads 2 GiB), after one
 * unreported warm-up run, timed with `performance.now()`; figures are
 * nanoseconds per page touched (one write pass plus one read pass count as
 * two touches per page).
 */
import {
  Kernel,
  MAP_ANONYMOUS,
  MAP_NORESERVE,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
} from '../src/index.js';

const MiB = 2 ** 20;

interface Run {
  readonly nsPerTouch: number;
  readonly pswpout: number;
  readonly pswpin: number;
  readonly majfault: number;
}

function vmstat(k: Kernel, name: string): number {
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.proc('/proc/vmstat'))?.[1] ?? 0);
}

/** Boots `memory` bytes with `swap` bytes of swap and touches `bytes` of anonymous memory twice. */
function run(memory: number, swap: number, bytes: number): Run {
  const k = Kernel.boot({ memory, swap: { size: swap } });
  const p = k.spawn({ name: 'toucher' });
  const page = k.PAGE_SIZE;
  const pages = bytes / page;
  const va = p.sys.mmap(
    0,
    bytes,
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
    -1,
    0,
  );
  if (va < 0) throw new Error(`mmap of ${bytes} bytes failed: ${va}`);
  const t0 = performance.now();
  for (let i = 0; i < pages; i++) p.store32(va + i * page, i);
  for (let i = 0; i < pages; i++) {
    if (p.load32(va + i * page) !== i) throw new Error(`page ${i} lost its data`);
  }
  const ns = (performance.now() - t0) * 1e6;
  const result = {
    nsPerTouch: ns / (2 * pages),
    pswpout: vmstat(k, 'pswpout'),
    pswpin: vmstat(k, 'pswpin'),
    majfault: vmstat(k, 'pgmajfault'),
  };
  p.exit();
  return result;
}

console.log(
  '\nanonymous memory twice the size of RAM, written then read back (ns per page touched)',
);
console.log(
  `  ${'machine'.padEnd(10)}${'no pressure'.padStart(14)}${'2x RAM'.padStart(12)}${'ratio'.padStart(8)}${'pswpout'.padStart(10)}${'pswpin'.padStart(10)}${'M touches/s'.padStart(13)}`,
);
// A first run, not reported, so that the JIT has compiled the fault, reclaim and swap paths.
run(32 * MiB, 96 * MiB, 64 * MiB);
for (const memory of [64 * MiB, 256 * MiB, 1024 * MiB]) {
  const base = run(memory, 3 * memory, memory / 2);
  const pressed = run(memory, 3 * memory, 2 * memory);
  console.log(
    `  ${`${memory / MiB} MiB`.padEnd(10)}${base.nsPerTouch.toFixed(0).padStart(14)}${pressed.nsPerTouch.toFixed(0).padStart(12)}${(base.nsPerTouch / pressed.nsPerTouch).toFixed(2).padStart(8)}${String(pressed.pswpout).padStart(10)}${String(pressed.pswpin).padStart(10)}${(1e3 / pressed.nsPerTouch).toFixed(2).padStart(13)}`,
  );
}
