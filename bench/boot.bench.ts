/**
 * Boot time and host memory of a machine, each size in a fresh process.
 * Baseline: allocating the same amount of bare SharedArrayBuffer.
 * Targets: 16 GiB boots in under a second and costs at most 32 bytes of
 * host memory per frame until RAM is touched.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const child = join(dirname(fileURLToPath(import.meta.url)), 'child', 'boot-once.ts');

function run(memory: string, mode: string): { ms: number; rssBytes: number; frames: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', child, memory, mode], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

console.log('\nboot: time and resident-memory growth (fresh process per row)');
console.log(
  `  ${'memory'.padEnd(8)}${'boot ms'.padStart(10)}${'bare ms'.padStart(10)}${'host B/frame'.padStart(14)}${'bare B/frame'.padStart(14)}`,
);
for (const memory of ['64M', '1G', '16G']) {
  const k = run(memory, 'kernel');
  const b = run(memory, 'bare');
  console.log(
    `  ${memory.padEnd(8)}${k.ms.toFixed(1).padStart(10)}${b.ms.toFixed(1).padStart(10)}` +
      `${(k.rssBytes / k.frames).toFixed(2).padStart(14)}${(b.rssBytes / b.frames).toFixed(2).padStart(14)}`,
  );
}
