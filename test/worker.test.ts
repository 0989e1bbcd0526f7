/**
 * A real `worker_threads` Worker attaches to the same simulated RAM
 * (`PhysicalMemory.attach`) and sees, and makes, the same writes: RAM is a
 * `SharedArrayBuffer`, not a copy.
 *
 * Node cannot start a Worker on a `.ts` file inside vitest, so the Worker
 * runs test/fixtures/worker-bootstrap.mjs, which registers tsx and imports
 * test/fixtures/ram-worker.ts.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../src/page/index.js';
import { patternValue, replyValue } from './fixtures/ram-patterns.js';

const MiB = 2 ** 20;
const bootstrap = fileURLToPath(new URL('./fixtures/worker-bootstrap.mjs', import.meta.url));
const workerModule = new URL('./fixtures/ram-worker.ts', import.meta.url).href;

type Reply =
  | { size: number; frames: number; sameBuffer: boolean; mismatches: number }
  | { flag: number; seen: number };

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.terminate();
  worker = undefined;
});

/** The next message from the worker, or its error. */
function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      w.off('error', onError);
      resolve(m);
    };
    const onError = (e: Error) => {
      w.off('message', onMessage);
      reject(e);
    };
    w.once('message', onMessage);
    w.once('error', onError);
  });
}

describe('a Worker attached to the same RAM', () => {
  it('reads what the main thread wrote and writes what the main thread reads', async () => {
    const memory = new PhysicalMemory(4 * MiB);
    const words = 1024;
    const patternBase = 0x10000;
    const replyBase = 0x200000;
    const zeroPfn = 0x300; // frame at 3 MiB
    const flagAddr = 0x3ff000;

    for (let i = 0; i < words; i++) memory.store32(patternBase + i * 4, patternValue(i));
    // Fill the frame the worker will zero, so that zeroing is observable.
    for (let off = 0; off < memory.pageSize; off += 4) {
      memory.store32(zeroPfn * memory.pageSize + off, 0xdeadbeef);
    }
    expect(memory.isPageZero(zeroPfn)).toBe(false);
    expect(memory.load32(replyBase)).toBe(0);

    worker = new Worker(bootstrap, {
      workerData: {
        module: workerModule,
        job: {
          buffers: memory.buffers,
          pageSize: memory.pageSize,
          patternBase,
          words,
          replyBase,
          zeroPfn,
          flagAddr,
        },
      },
    });
    const first = await nextMessage<Reply>(worker);
    expect(first).toEqual({ size: 4 * MiB, frames: 1024, sameBuffer: true, mismatches: 0 });

    // The worker's stores landed in this thread's buffer.
    for (let i = 0; i < words; i++) {
      const got = memory.load32(replyBase + i * 4);
      if (got !== replyValue(i)) expect(got).toBe(replyValue(i));
    }
    expect(memory.isPageZero(zeroPfn)).toBe(true);
    expect(memory.isPageZero(zeroPfn - 1)).toBe(true); // untouched
    expect(memory.load32(patternBase)).toBe(patternValue(0)); // the pattern is intact

    // The flag the worker set with Atomics.store is visible here.
    const flags = new Int32Array(memory.buffer);
    expect(Atomics.load(flags, flagAddr / 4)).toBe(1);

    // Second round: store a word, bump the flag, wake the worker blocked in Atomics.wait.
    const second = nextMessage<Reply>(worker);
    memory.store32(flagAddr + 4, 0xcafef00d);
    Atomics.store(flags, flagAddr / 4, 2);
    Atomics.notify(flags, flagAddr / 4);
    expect(await second).toEqual({ flag: 2, seen: 0xcafef00d });
  });

  it('attach rejects what is not shared RAM', () => {
    expect(() => PhysicalMemory.attach([])).toThrow(/SharedArrayBuffer/);
    expect(() =>
      PhysicalMemory.attach([new ArrayBuffer(MiB) as unknown as SharedArrayBuffer]),
    ).toThrow(/SharedArrayBuffer/);
  });
});
