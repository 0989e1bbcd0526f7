/**
 * The README's example is true: it is examples/readme.ts verbatim (with the
 * package name for the source path), and it runs.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

it('shows examples/readme.ts and runs it', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const shown = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const source = readFileSync(join(root, 'examples', 'readme.ts'), 'utf8');
  const body = source
    .replace(/^\/\*\*[\s\S]*?\*\/\n/, '')
    .replace("from '../src/index.js';", "from 'mmsim';");
  expect(shown).toBe(body);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await import('../examples/readme.js');
  const calls = log.mock.calls;
  const printed = calls.map((args) => args.join(' ')).join('\n');
  log.mockRestore();
  expect(printed).toContain('x86_64 4096 16384');
  expect(printed).toContain('GFP_KERNEL|__GFP_ZERO');
  expect(printed).toContain('[stack]');
  // /proc/buddyinfo differs while frames are in use, and is exactly as after boot at the end.
  expect(calls.filter((args) => typeof args[0] === 'boolean')).toEqual([[true], [true]]);
  expect(calls.at(-1)).toEqual([true]);
});

it('shows examples/swap.ts as the memory-pressure example and runs it', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const shown = /## Memory pressure\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const source = readFileSync(join(root, 'examples', 'swap.ts'), 'utf8');
  const body = source
    .replace(/^\/\*\*[\s\S]*?\*\/\n/, '')
    .replace("from '../src/index.js';", "from 'mmsim';");
  expect(shown).toBe(body);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await import('../examples/swap.js');
  const calls = log.mock.calls.map((args) => args[0] as unknown);
  log.mockRestore();
  expect(calls[0]).toBe(1);
  expect(String(calls[1])).toMatch(/^Filename\t+Type[\s\S]*partition\t\d+\t+[1-9]\d*\t/);
  expect(calls[2]).toEqual({ hits: 5, misses: 7 });
});
