/**
 * Runs the benchmarks: `npm run bench` runs all of them, `npm run bench --
 * physical` only those whose file name contains "physical".
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

console.log(`node ${process.version}, ${process.arch}`);
for (const file of files) {
  console.log(`\n== ${file}`);
  await import(join(here, file));
}
