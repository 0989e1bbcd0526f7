/**
 * Writes examples/traces/large.jsonl: a long, mixed workload for
 * `mmsim replay` (it takes several seconds, long enough for the progress
 * bar). Eight workers on a 48 MiB machine with 128 MiB of swap each keep a
 * 4 MiB pool and, round after round, map and unmap scratch memory, touch
 * and page out parts of the pool, fork children that write to it (copy on
 * write) and exit, grow their heaps, map files, and make the kernel
 * kmalloc and kmem_cache_alloc objects that are freed later.
 *
 * Deterministic: the choices come from a seeded generator, so running the
 * script again writes the same file. Usage: `npx tsx scripts/make-large-trace.ts [rounds]`.
 */
import { writeFileSync } from 'node:fs';
import { Prandom } from '../src/page/prandom.js';

const ROUNDS = Number(process.argv[2] ?? 14000);
const WORKERS = 8;
const PAGE = 4096;
const POOL = 4 << 20;
const OUT = new URL('../examples/traces/large.jsonl', import.meta.url);

const rand = new Prandom(42);
const lines: string[] = [
  '# A long mixed workload, written by scripts/make-large-trace.ts (edit the script, not this file).',
  '# Eight workers with 4 MiB pools churn scratch mappings, fork copy-on-write children, grow heaps,',
  '# map files and make the kernel allocate, on 48 MiB of RAM with 128 MiB of swap.',
];
const emit = (op: Record<string, unknown>) => lines.push(JSON.stringify(op));
const pick = <T>(items: readonly T[]): T => items[rand.below(items.length)] as T;

emit({ op: 'boot', memory: '48M', swap: '128M', seed: 42 });
const caches = [
  { name: 'task_struct', size: 1792 },
  { name: 'dentry', size: 192 },
  { name: 'buffer_head', size: 104 },
];
for (const c of caches)
  emit({ op: 'cache_create', name: c.name, size: c.size, flags: ['hwcache_align'] });

interface Scratch {
  readonly label: string;
  readonly len: number;
  readonly value: number;
}
const scratch: Scratch[][] = [];
for (let w = 0; w < WORKERS; w++) {
  emit({ op: 'spawn', as: `w${w}`, name: `worker${w}` });
  emit({ op: 'mmap', proc: `w${w}`, len: POOL, as: `w${w}.pool` });
  emit({ op: 'write', map: `w${w}.pool`, value: 'index' });
  scratch.push([]);
}

let n = 0;
const kmallocs: string[] = [];
const objects: { label: string }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const w = rand.below(WORKERS);
  const proc = `w${w}`;
  const pool = `w${w}.pool`;
  const mine = scratch[w] as Scratch[];
  const roll = rand.below(100);
  n++;
  if (roll < 25) {
    // A scratch mapping, written and checked; the oldest goes when there are too many.
    const len = (1 + rand.below(32)) * PAGE;
    const label = `${proc}.tmp${n}`;
    const value = rand.nextU32();
    emit({ op: 'mmap', proc, len, as: label });
    emit({ op: 'write', map: label, value });
    emit({ op: 'read', map: label, value });
    mine.push({ label, len, value });
    if (mine.length > 4) emit({ op: 'munmap', map: (mine.shift() as Scratch).label });
  } else if (roll < 40) {
    const pages = 1 + rand.below(64);
    const offset = rand.below(POOL / PAGE - pages) * PAGE;
    emit({ op: pick(['touch', 'touch', 'read']), map: pool, offset, len: pages * PAGE });
  } else if (roll < 45) {
    // A child writes an eighth of the pool (copy on write) and exits; the parent's data stays.
    const child = `${proc}.child${n}`;
    const offset = rand.below(8) * (POOL / 8);
    emit({ op: 'fork', proc, as: child });
    emit({ op: 'write', map: pool, proc: child, offset, len: POOL / 8, value: n });
    emit({ op: 'exit', proc: child });
    emit({ op: 'read', map: pool, offset, len: POOL / 8, value: 'index' });
  } else if (roll < 65) {
    const label = `k${n}`;
    emit({ op: 'kmalloc', size: 8 + rand.below(2 ** (3 + rand.below(10))), as: label });
    kmallocs.push(label);
    if (kmallocs.length > 300)
      emit({ op: 'kfree', obj: kmallocs.splice(rand.below(kmallocs.length), 1)[0] });
  } else if (roll < 85) {
    const label = `o${n}`;
    emit({ op: 'cache_alloc', cache: pick(caches).name, as: label });
    objects.push({ label });
    if (objects.length > 400) {
      emit({
        op: 'cache_free',
        obj: (objects.splice(rand.below(objects.length), 1)[0] as { label: string }).label,
      });
    }
  } else if (roll < 90) {
    const pages = 16 + rand.below(240);
    const offset = rand.below(POOL / PAGE - pages) * PAGE;
    emit({
      op: 'madvise',
      map: pool,
      offset,
      len: pages * PAGE,
      advice: pick(['pageout', 'cold', 'willneed']),
    });
  } else if (roll < 93) {
    const s = mine.at(-1);
    if (s !== undefined) {
      // DONTNEED drops private anonymous pages: they read back as zero.
      emit({ op: 'madvise', map: s.label, advice: 'dontneed' });
      emit({ op: 'read', map: s.label, value: 0 });
    }
  } else if (roll < 96) {
    const label = `${proc}.heap${n}`;
    emit({ op: 'brk', proc, incr: (1 + rand.below(8)) * PAGE, as: label });
    emit({ op: 'write', map: label, value: 'index' });
  } else {
    const path = `/srv/${proc}/file${n}`;
    const len = (1 + rand.below(16)) * PAGE;
    const label = `${proc}.file${n}`;
    emit({ op: 'write_file', path, size: len, text: `${path}\n` });
    emit({ op: 'mmap', proc, len, prot: 'r', file: path, as: label });
    emit({ op: 'read', map: label });
    emit({ op: 'munmap', map: label });
  }
  if (round % 1000 === 999) emit({ op: 'kswapd' });
}
for (let w = 0; w < WORKERS; w++) emit({ op: 'read', map: `w${w}.pool`, value: 'index' });
emit({ op: 'check' });

const text = `${lines.join('\n')}\n`;
writeFileSync(OUT, text);
console.log(`wrote ${OUT.pathname}: ${lines.length} lines, ${(text.length / 1024).toFixed(0)} KiB`);
