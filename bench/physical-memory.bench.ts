/**
 * Page zeroing and copying through PhysicalMemory, against the same
 * operations done by hand on a bare Int32Array over the same kind of
 * SharedArrayBuffer (the fastest way DESIGN.md found to fill shared memory).
 * Target: ratio >= 0.9.
 */
import { PhysicalMemory } from '../src/page/index.js';
import { compare } from './harness.js';

const PAGE = 4096;
const WORDS = PAGE / 4;
const FRAMES = 4096; // 16 MiB: larger than the caches, as RAM is
const BATCH = 256;

const mem = new PhysicalMemory(FRAMES * PAGE);
const bare = new Int32Array(new SharedArrayBuffer(FRAMES * PAGE));
// Touch everything once so that neither side pays for first-touch commits.
for (let pfn = 0; pfn < FRAMES; pfn++) mem.zeroPage(pfn);
bare.fill(1);
bare.fill(0);

let cursor = 0;
function nextFrames(): number {
  cursor = (cursor + BATCH * 7) % FRAMES;
  return cursor;
}

await compare(
  'zero a 4 KiB page (clear_page)',
  {
    name: 'bare Int32Array.fill',
    ops: BATCH,
    fn: () => {
      const start = nextFrames();
      for (let i = 0; i < BATCH; i++) {
        const off = ((start + i) % FRAMES) * WORDS;
        bare.fill(0, off, off + WORDS);
      }
    },
  },
  [
    {
      name: 'PhysicalMemory.zeroPage',
      ops: BATCH,
      fn: () => {
        const start = nextFrames();
        for (let i = 0; i < BATCH; i++) mem.zeroPage((start + i) % FRAMES);
      },
    },
  ],
);

await compare(
  'copy a 4 KiB page (copy_page)',
  {
    name: 'bare Int32Array.copyWithin',
    ops: BATCH,
    fn: () => {
      const start = nextFrames();
      for (let i = 0; i < BATCH; i++) {
        const dst = ((start + i) % FRAMES) * WORDS;
        const src = ((start + i + FRAMES / 2) % FRAMES) * WORDS;
        bare.copyWithin(dst, src, src + WORDS);
      }
    },
  },
  [
    {
      name: 'PhysicalMemory.copyPage',
      ops: BATCH,
      fn: () => {
        const start = nextFrames();
        for (let i = 0; i < BATCH; i++)
          mem.copyPage((start + i) % FRAMES, (start + i + FRAMES / 2) % FRAMES);
      },
    },
  ],
);
