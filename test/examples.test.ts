/**
 * Every example program runs and prints what its comments say it shows, so
 * that none can rot. Each file of examples/ (except readme.ts and swap.ts,
 * which test/readme.test.ts runs against the README) is imported in-process
 * with console.log captured, and its output is checked line by line.
 * A new example without expectations here fails the suite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');
/** Run by test/readme.test.ts, which also checks the README shows them verbatim. */
const README_EXAMPLES = new Set(['readme.ts', 'swap.ts']);

/** Imports examples/<name>.ts and returns what it printed with console.log, one string per call. */
async function run(name: string): Promise<string[]> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(`../examples/${name}.ts`);
    return log.mock.calls.map((args) => format(...args));
  } finally {
    log.mockRestore();
  }
}

/** The one printed line matching `pattern` (fails if there is none). */
function line(out: readonly string[], pattern: RegExp): RegExpExecArray {
  for (const l of out.flatMap((o) => o.split('\n'))) {
    const m = pattern.exec(l);
    if (m !== null) return m;
  }
  return expect.fail(`no printed line matches ${pattern}:\n${out.join('\n')}`);
}

const EXPECTATIONS: Record<string, (out: string[]) => void> = {
  'boot-and-inspect.ts': (out) => {
    expect(out[0]).toBe('x86_64: 16384 frames of 4096 bytes');
    line(out, /^\[\s*0\.000000\] Linux version 6\.18\.0-mmsim \(x86_64\)/);
    line(out, /Built 1 zonelists, mobility grouping on/);
    const dma32 = line(
      out,
      /^zone DMA32 {3}pfn 4096\+12288, managed (\d+), min (\d+) low (\d+) high (\d+)/,
    );
    const [managed, min, low, high] = dma32.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    expect(managed).toBeGreaterThan(11000);
    expect(min).toBeLessThan(low);
    expect(low).toBeLessThan(high);
    line(out, /^reserved mem_map: 512 KiB$/);
    line(out, /^Node 0, zone\s+DMA32(\s+\d+){11}\s*$/);
    line(out, /^MemTotal:\s+\d+ kB$/);
    line(out, /^DMA \d+, Normal \d+, HighMem 32768, Movable 0$/);
    line(out, /^Node 0, zone\s+HighMem(\s+0){10}\s+32\s*$/);
  },
  'kmem-cache-struct.ts': (out) => {
    expect(out[0]).toBe('cache point: object 24 bytes, slot 32, align 32');
    const perSlab = Number(line(out, /^point\s+\d+\s+(\d+)\s+32\s+(\d+)\s+\d+ : tunables/)[1]);
    expect(perSlab).toBe(4096 / 32);
    // The constructor ran once per object of the one slab, not once per allocation.
    expect(out).toContain(`after 3 allocations the constructor has run ${perSlab} times`);
    expect(out).toContain('point-1: id 1 at (10, 20), magic ok: true');
    expect(out).toContain('point-3: id 3 at (30, 60), magic ok: true');
    expect(out).toContain(`reused: true, magic still set: true, constructor runs: ${perSlab}`);
  },
  'map-file.ts': (out) => {
    line(out, /^[0-9a-f]+-[0-9a-f]+ rw-s 00000000 08:01 \d+\s+\/etc\/motd$/);
    expect(out).toContain('read through the mapping: "hello from the disk"');
    expect(out.indexOf('Dirty:                 4 kB')).toBeLessThan(out.indexOf('msync -> 0'));
    expect(out).toContain('on disk before msync: "hello from the disk"');
    expect(out).toContain('msync -> 0');
    expect(out).toContain('on disk after msync:  "hello from RAM disk"');
    expect(out.at(-2)).toBe('Dirty:                 0 kB');
    expect(out.at(-1)).toBe('the file now reads "hello from RAM disk\\n"');
  },
  'os-toy.ts': (out) => {
    expect(out).toContain('crasher (pid 3) ends after 1 ticks');
    // The child wrote its copy before the parent read its own page again.
    expect(out.indexOf('parent still reads 42 after the child wrote')).toBeLessThan(
      out.indexOf('child reads 7'),
    );
    expect(out).toContain('child reads 7');
    expect(out).toContain('worker (pid 2) ends after 17 ticks'); // 16 faults and the last step
    line(out, /^parent \(pid 4\) ends after \d+ ticks$/); // the child keeps its parent's name
    line(out, /^\[\s*\d+\.\d+\] crasher\[3\]: segfault at 0 \(SEGV_MAPERR\)$/);
    expect(out.at(-1)).toBe('every frame is back: true');
  },
  'swap-and-oom.ts': (out) => {
    expect(Number(line(out, /^pswpout (\d+)$/)[1])).toBeGreaterThan(0);
    expect(out).toContain('every page reads back what was written: true');
    const [, outs, ins] = line(out, /^pswpout (\d+), pswpin (\d+)$/);
    expect(Number(ins)).toBeGreaterThan(0);
    expect(Number(outs)).toBeGreaterThanOrEqual(Number(ins));
    line(out, /^Filename\t+Type\t+Size\t+Used\t+Priority$/);
    line(out, /^the hog's store failed: ENOMEM \(.*killed by the OOM killer\)$/);
    expect(out).toContain('hog is killed, small is running and still reads 42');
    line(
      out,
      /Out of memory: Killed process \d+ \(hog\) total-vm:\d+kB, anon-rss:[1-9]\d*kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:\d+kB oom_score_adj:0$/,
    );
    expect(out.at(-1)).toBe('oom_kill 1');
  },
  'allocator-property.ts': (out) => {
    expect(out[0]).toBe('Chunks: passed 40 runs');
    line(out, /^buggy Chunks fails on \[\d+,\[.*\]\]: Error: Property failed by returning false$/);
    line(out, /^replay \{ seed: 42, path: "[\d:]+" \}: failed true$/);
  },
  'page-pool-model.ts': (out) => {
    expect(out[0]).toBe('PagePool: passed 50 runs');
    line(out, /^leaky PagePool: Property failed after \d+ tests$/);
    expect(out).toContain('Counterexample: [get /*replayPath="BAD:F"*/]');
    line(
      out,
      /^Caused by: NotAllFreed: expectAllFreed: the machine does not hold what it held after boot: \d+ free pages, \d+ after boot \(1 missing\)$/,
    );
    line(
      out,
      /^replay \{ seed: 42, path: "[\d:]+", replayPath: "BAD:F" \}: failed true after 1 run$/,
    );
  },
  'own-slab-allocator.ts': (out) => {
    expect(out[0]).toBe('booted on toy: kmalloc(100) has ksize 128');
    expect(out[1]).toBe('ToySlab passes: model, arguments, kmalloc, ctor, out-of-memory');
    // The planted bug, caught and shrunk to a cache and one allocation too many for a slab.
    line(out, /^checkSlabAllocatorConformance\(toy\): model: Property failed after \d+ tests$/);
    line(out, /^\{ seed: 42, path: "[\d:]+", endOnFailure: true \}$/);
    line(
      out,
      /^Counterexample: \[create\(\d+, [^)]*\),cacheAlloc\(#0, x\d+, 0x[0-9a-f]+\) \/\*replayPath="[^"]+"\*\/\]$/,
    );
    line(
      out,
      /^Caused by: ModelMismatch: alloc from model-0 returned an object at 0xffff[0-9a-f]+ overlapping the live one at 0xffff[0-9a-f]+ \(\d+ bytes\)$/,
    );
    line(
      out,
      /^Replay it with the options \{ seed: 42, path: "[\d:]+", replayPath: "[^"]+", only: \['model'\] \}$/,
    );
  },
};

describe('examples', () => {
  const files = readdirSync(examples)
    .filter((f) => f.endsWith('.ts') && !README_EXAMPLES.has(f))
    .sort();

  it('each example has expectations here and a header comment saying what it shows', () => {
    expect(files).toEqual(Object.keys(EXPECTATIONS).sort());
    for (const f of files)
      expect(readFileSync(join(examples, f), 'utf8')).toMatch(/^\/\*\*\n \* \S/);
  });

  for (const file of files) {
    it(`${file} runs and prints what it shows`, async () => {
      const check = EXPECTATIONS[file];
      if (check === undefined) return expect.fail(`no expectations for examples/${file}`);
      check(await run(file.replace(/\.ts$/, '')));
    });
  }
});
