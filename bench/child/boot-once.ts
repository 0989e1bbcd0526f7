/**
 * Boots one machine in a fresh process and prints, as JSON, the boot time
 * and how much the process's resident memory grew, next to the same
 * figures for the baseline: allocating bare SharedArrayBuffers of the same
 * size. Run by boot.bench.ts.
 */
import { Kernel, parseSize } from '../../src/index.js';

const memory = process.argv[2] ?? '64M';
const mode = process.argv[3] ?? 'kernel';
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
let frames: number;
if (mode === 'kernel') {
  const k = Kernel.boot({ memory });
  frames = k.memory.frames;
} else {
  const k = Kernel.boot({ memory: '1M' }); // load the same code, then measure bare buffers
  const bytes = parseSize(memory, 'memory');
  const t = performance.now();
  const buffers = [];
  for (let b = 0; b < bytes; b += 2 ** 32)
    buffers.push(new Int32Array(new SharedArrayBuffer(Math.min(2 ** 32, bytes - b))));
  frames = bytes / k.PAGE_SIZE;
  console.log(
    JSON.stringify({
      ms: performance.now() - t,
      rssBytes: process.memoryUsage().rss - rss0,
      frames,
    }),
  );
  process.exit(0);
}
console.log(
  JSON.stringify({
    ms: performance.now() - t0,
    rssBytes: process.memoryUsage().rss - rss0,
    frames,
  }),
);
