/**
 * Every TypeScript code block of the guides (docs/*.md) and of README.md
 * runs, so what the documentation shows is true code.
 *
 * How blocks are found and run:
 * - A block is a fence opened by a line that is exactly "```ts" (or
 *   "```typescript"). Its code is run, importing 'mmsim' and 'mmsim/...'
 *   as a user does (vitest.config.ts resolves them to src/).
 * - A block whose first code line is an `import` starts a program; a
 *   block that does not continues the previous program of the same file,
 *   as a reader runs a guide's blocks one after another.
 * - A block that is not meant to run (a fragment, a signature, an
 *   excerpt of a larger file) is marked on its fence: "```ts no-run". It
 *   is still shown as TypeScript; nothing else opts a block out.
 * - A program is written to a temporary .ts file and imported, with
 *   console.log silenced; a failure names the Markdown file and the line
 *   of the block (and of the code line, when the stack says it).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A fenced code block: where it starts in its Markdown file, and its code. */
interface Block {
  /** 1-based line of the block's first code line. */
  readonly line: number;
  readonly code: readonly string[];
  readonly run: boolean;
}

/** A run of blocks executed together as one module. */
interface Program {
  readonly file: string;
  readonly blocks: Block[];
}

const FENCE = /^```(ts|typescript)(?:\s+(.*))?$/;

function blocksOf(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (open === null) continue;
    const info = (open[2] ?? '').trim();
    if (info !== '' && info !== 'no-run') {
      throw new Error(`line ${i + 1}: unknown code block marker "${info}" (only "no-run")`);
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end), run: info === '' });
    i = end;
  }
  return blocks;
}

function startsProgram(block: Block): boolean {
  const first = block.code.find((l) => l.trim() !== '' && !l.trim().startsWith('//'));
  return first?.startsWith('import ') ?? false;
}

function programsOf(file: string): Program[] {
  const programs: Program[] = [];
  for (const block of blocksOf(readFileSync(join(root, file), 'utf8'))) {
    if (!block.run) continue;
    const last = programs.at(-1);
    if (last === undefined || startsProgram(block)) programs.push({ file, blocks: [block] });
    else last.blocks.push(block);
  }
  return programs;
}

const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const programs = files.flatMap(programsOf);
const tmp = mkdtempSync(join(tmpdir(), 'mmsim-docs-blocks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The Markdown line of line `n` (1-based) of a program's module. */
function markdownLine(program: Program, n: number): number | undefined {
  let at = 1;
  for (const block of program.blocks) {
    if (n < at + block.code.length) return block.line + (n - at);
    at += block.code.length;
  }
  return undefined;
}

describe('docs code blocks', () => {
  it('finds the blocks', () => {
    expect(programs.length).toBeGreaterThan(10);
  });

  it.each(programs.map((p, i) => [`${p.file}:${p.blocks[0]?.line}`, p, i] as const))(
    '%s runs',
    async (_name, program, i) => {
      const dir = join(tmp, String(i));
      mkdirSync(dir);
      const path = join(dir, 'block.ts');
      writeFileSync(path, `${program.blocks.flatMap((b) => b.code).join('\n')}\n`);
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await import(/* @vite-ignore */ pathToFileURL(path).href);
      } catch (e) {
        const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
        const at = /block\.ts:(\d+)/.exec(stack);
        const line = at === null ? undefined : markdownLine(program, Number(at[1]));
        const where = `${program.file}:${line ?? program.blocks[0]?.line}`;
        throw new Error(`${where}: the code block fails: ${stack}`);
      } finally {
        log.mockRestore();
      }
    },
  );
});
