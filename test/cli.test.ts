/**
 * The `mmsim` command line: run in-process through `main(argv, io)` (fast,
 * output collected), plus two runs of the real executable as a child
 * process for exit codes and for "no progress bar without a terminal".
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bufferedIo,
  type CliError,
  type MapOutput,
  main,
  type ProcOutput,
  plural,
  type Report,
} from '../src/cli/index.js';
import { Kernel } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const traces = join(root, 'examples', 'traces');
const packageVersion = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
).version;

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mmsim-cli-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs the CLI in-process. */
function run(...argv: string[]): { status: number; out: string; err: string } {
  const io = bufferedIo();
  const status = main(argv, io);
  return { status, out: io.out(), err: io.err() };
}

/** Runs the CLI in-process with `stdin` as standard input. */
function runWithStdin(
  stdin: string,
  ...argv: string[]
): { status: number; out: string; err: string } {
  const io = bufferedIo(stdin);
  const status = main(argv, io);
  return { status, out: io.out(), err: io.err() };
}

/** The one JSON error document a failing command prints under --json (nothing on stderr). */
function jsonError(r: { status: number; out: string; err: string }): CliError {
  expect(r.err).toBe('');
  expect(r.out.endsWith('\n')).toBe(true);
  expect(r.out.trimEnd().split('\n')).toHaveLength(1);
  const doc = JSON.parse(r.out) as { error: CliError };
  expect(Object.keys(doc)).toEqual(['error']);
  expect(doc.error.status).toBe(r.status);
  return doc.error;
}

/** Writes a trace into the temporary folder and returns its path. */
function trace(name: string, ...lines: string[]): string {
  const file = join(tmp, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A stream that passes for a terminal (enough of one for cli-progress), and what was drawn on it. */
function fakeTerminal(): { terminal: NodeJS.WritableStream; drawn: string[] } {
  const drawn: string[] = [];
  const terminal = Object.assign(
    {
      write: (chunk: string) => {
        drawn.push(chunk);
        return true;
      },
      on: () => terminal,
      once: () => terminal,
      removeListener: () => terminal,
      cursorTo: (_x: number, _y?: number, cb?: () => void) => {
        cb?.();
        return true;
      },
      clearLine: (_dir: number, cb?: () => void) => {
        cb?.();
        return true;
      },
      moveCursor: () => true,
    },
    { isTTY: true, columns: 100 },
  );
  return { terminal: terminal as unknown as NodeJS.WritableStream, drawn };
}

/** Expects a one-line error on stderr, nothing on stdout, and `status`. */
function expectError(
  r: { status: number; out: string; err: string },
  status: number,
  message: string | RegExp,
): void {
  expect(r.status).toBe(status);
  expect(r.out).toBe('');
  expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  if (typeof message === 'string') expect(r.err.trimEnd()).toBe(message);
  else expect(r.err).toMatch(message);
}

describe('mmsim demo', () => {
  let text = '';
  beforeAll(() => {
    const r = run('demo');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    text = r.out;
  });

  it('narrates every layer in headed sections with their /proc files', () => {
    expect(text.split('\n')[0]).toBe('mmsim demo: x86_64, 64 MiB RAM, SLUB, no swap, seed 0');
    for (const title of [
      '== 1. Boot',
      '== 2. A process grows its heap with brk',
      '== 3. Mapping a file',
      '== 4. Anonymous memory',
      '== 5. fork and copy on write',
      '== 6. Kernel caches: kmem_cache and kmalloc',
      '== 7. Memory pressure',
      '== 8. The OOM killer',
      '== Summary',
    ]) {
      expect(text).toContain(`\n${title}\n`);
    }
    for (const file of [
      '-- /proc/buddyinfo',
      '-- /proc/1/maps',
      '-- /proc/meminfo (excerpt)',
      '-- /proc/vmstat (excerpt)',
      '-- /proc/2/smaps (excerpt)',
      '-- /proc/slabinfo (excerpt)',
      '-- dmesg (excerpt)',
    ]) {
      expect(text).toContain(file);
    }
    expect(text).toMatch(/\[heap\]/);
    expect(text).toContain('/usr/share/dict/words');
    expect(text).toMatch(/^ {2}dentry +\d+/m);
    expect(text).toMatch(/Out of memory: Killed process 3 \(hog\)/);
    expect(text).toMatch(/^page faults +\d+ \(major 0\)$/m);
    expect(text).toMatch(/^OOM kills +1: hog \(pid 3\)$/m);
    expect(text).toMatch(
      /^fragmentation +.* below order 3 \(unusable free space index 0\.\d{3}\)$/m,
    );
  });

  it('swaps instead of killing with --swap, and reads the swapped pages back', () => {
    const r = run('demo', '--memory', '16M', '--swap', '16M', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.out) as Report;
    const titles = report.sections.map((s) => s.title);
    expect(titles).toContain('Reading swapped pages back');
    expect(titles).not.toContain('The OOM killer');
    expect(report.summary.swapOut).toBeGreaterThan(0);
    expect(report.summary.swapIn).toBeGreaterThan(0);
    expect(report.summary.majorFaults).toBe(report.summary.swapIn);
    expect(report.summary.oomKills).toBe(0);
    expect(report.machine).toMatchObject({ memory: 16 << 20, swap: 16 << 20, arch: 'x86_64' });
  });

  it('--json prints the same content as machine-readable JSON, and nothing else', () => {
    const r = run('demo', '--json', '--memory', '16M', '--slab', 'slab', '--arch', 'i386');
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    const report = JSON.parse(r.out) as Report;
    expect(report.command).toBe('demo');
    expect(report.machine).toMatchObject({ arch: 'i386', slab: 'slab', memory: 16 << 20, swap: 0 });
    expect(report.sections).toHaveLength(8);
    for (const section of report.sections) {
      expect(section.title).toBeTypeOf('string');
      expect(section.text.length).toBeGreaterThan(0);
      for (const p of section.proc) {
        expect(p.file).toMatch(/^(\/proc\/|dmesg$)/);
        expect(Array.isArray(p.lines)).toBe(true);
      }
    }
    const s = report.summary;
    for (const key of ['pageFaults', 'majorFaults', 'swapIn', 'swapOut', 'oomKills'] as const) {
      expect(s[key]).toBeTypeOf('number');
    }
    expect(s.oomKills).toBe(1);
    expect(s.kills).toEqual([{ pid: 3, name: 'hog' }]);
    expect(s.slab.kB).toBeGreaterThan(0);
    expect(s.slab.caches).toBeGreaterThan(2);
    expect(s.fragmentation.unusableIndex).toBeGreaterThanOrEqual(0);
    expect(s.fragmentation.unusableIndex).toBeLessThanOrEqual(1);
    expect(s.fragmentation.zones.map((z) => z.zone)).toEqual(['DMA']);
    expect(s.processes.map((p) => p.state)).toEqual(['running', 'running', 'killed']);
  });

  it('is deterministic: the same options give the same output, another seed other kmalloc sizes', () => {
    const a = run('demo', '--memory', '8M', '--seed', '7');
    const b = run('demo', '--memory', '8M', '--seed', '7');
    const c = run('demo', '--memory', '8M', '--seed', '8');
    expect(a.status).toBe(0);
    expect(a.out).toBe(b.out);
    expect(c.out).not.toBe(a.out);
    expect(run('demo', '--memory', '8M', '--json').out).toBe(
      run('demo', '--memory', '8M', '--json').out,
    );
  });

  it('--svg writes the memory map at the end', () => {
    const file = join(tmp, 'demo.svg');
    const r = run('demo', '--memory', '8M', '--svg', file);
    expect(r.status).toBe(0);
    expect(r.err).toBe(
      `mmsim: wrote ${file} (memory map, ${Buffer.byteLength(readFileSync(file, 'utf8'))} bytes)\n`,
    );
    const svg = readFileSync(file, 'utf8');
    expect(svg).toMatch(/<svg[\s>]/);
    expect(svg.trimEnd()).toMatch(/<\/svg>$/);
  });

  it('refuses RAM too small for its scenario', () => {
    expectError(
      run('demo', '--memory', '1M'),
      2,
      'mmsim: error: --memory: the demo needs at least 2M of RAM, got 1048576 bytes',
    );
  });
});

describe('mmsim replay', () => {
  const examples = ['basic', 'fork-cow', 'file-mmap', 'fragmentation', 'swap', 'oom'];

  it.each(examples)('replays examples/traces/%s.jsonl', (name) => {
    const r = run('replay', join(traces, `${name}.jsonl`), '--json');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.out) as Report;
    expect(report.command).toBe('replay');
    expect(report.replay?.ops).toBeGreaterThan(0);
    expect(report.summary.pageFaults).toBeTypeOf('number');
  });

  it('reports what each example shows', () => {
    const json = (name: string) =>
      JSON.parse(run('replay', join(traces, `${name}.jsonl`), '--json').out) as Report;
    const swap = json('swap');
    expect(swap.summary.swapOut).toBeGreaterThan(0);
    expect(swap.summary.swapIn).toBeGreaterThan(0);
    const oom = json('oom');
    expect(oom.summary.kills).toEqual([{ pid: 2, name: 'hog' }]);
    expect(oom.replay?.kills).toEqual([{ line: 9, label: 'hog', pid: 2, name: 'hog' }]);
    expect(oom.replay?.skipped).toBeGreaterThan(0);
    expect(oom.summary.processes.find((p) => p.name === 'editor')?.state).toBe('running');
    const frag = json('fragmentation');
    expect(frag.summary.fragmentation.unusableIndex).toBeGreaterThan(0.3);
    expect(frag.replay?.expectedFailures).toBe(1);
    expect(json('basic').replay?.expectedFailures).toBe(1);
  });

  it('prints a text report with the machine, the /proc files after the trace and the summary', () => {
    const file = join(traces, 'oom.jsonl');
    const r = run('replay', file);
    expect(r.status).toBe(0);
    expect(r.out).toContain('mmsim replay: x86_64, 16 MiB RAM, SLUB, no swap, seed 0\n');
    expect(r.out).toContain(
      `trace ${file}: 14 lines, 13 ops run, 5 skipped (process killed), 0 failed as expected`,
    );
    expect(r.out).toContain('== 1. After the trace');
    expect(r.out).toContain('  -- dmesg (excerpt)');
    expect(r.out).toContain('line 9: the OOM killer killed "hog" (pid 2, hog)');
    expect(r.out).toMatch(/^OOM kills +1: hog \(pid 2\)$/m);
  });

  it("lays the command line over the trace's boot op", () => {
    const r = run('replay', join(traces, 'oom.jsonl'), '--swap', '64M', '--json', '--seed', '3');
    const report = JSON.parse(r.out) as Report;
    expect(report.machine).toMatchObject({ memory: 16 << 20, swap: 64 << 20, seed: 3 });
    expect(report.summary.oomKills).toBe(0);
    expect(report.replay?.skipped).toBe(0);
  });

  it('replays the large example (a few seconds)', () => {
    const r = run('replay', join(traces, 'large.jsonl'), '--json');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.out) as Report;
    expect(report.replay?.ops).toBeGreaterThan(30_000);
    expect(report.summary.swapOut).toBeGreaterThan(0);
    expect(report.summary.processes.filter((p) => p.state === 'running')).toHaveLength(8);
    expect(readFileSync(join(traces, 'large.jsonl')).length).toBeLessThan(2 << 20);
  });

  it('draws a progress bar only on the terminal it is given', () => {
    const { terminal, drawn } = fakeTerminal();
    const io = { ...bufferedIo(), progressStream: terminal };
    const status = main(['replay', join(traces, 'fragmentation.jsonl')], io);
    expect(status).toBe(0);
    expect(drawn.join('')).toContain('replay [');
    expect(io.out()).not.toContain('replay [');
    expect(io.err()).toBe('');
  });

  describe('malformed traces: the line, the op and what was expected; exit 2', () => {
    const cases: [string, string[], string][] = [
      ['not JSON', ['{"op":"spawn","as":"a"}', '{"op":"spawn",'], '2: invalid JSON: '],
      [
        'not an object',
        ['[1,2]'],
        '1: expected a JSON object with an "op" field, got an array ([1,2])',
      ],
      ['no op', ['{"as":"a"}'], '1: missing "op" (expected one of boot, spawn, fork,'],
      ['unknown op', ['{"op":"mmapp"}'], '1: unknown op "mmapp" (expected one of boot, spawn,'],
      [
        'boot not first',
        ['{"op":"spawn","as":"a"}', '{"op":"boot"}'],
        '2: boot: must be the first op of the trace',
      ],
      [
        'bad boot option',
        ['{"op":"boot","memory":"banana"}'],
        `1: boot: memory: "banana" is not a size (expected e.g. '512K', '64M', '1G')`,
      ],
      [
        'unknown boot option',
        ['{"op":"boot","ram":"64M"}'],
        '1: boot: ram: unknown option (expected one of arch, memory,',
      ],
      [
        'negative len',
        ['{"op":"spawn","as":"a"}', '# a comment', '', '{"op":"mmap","proc":"a","len":-4}'],
        '4: mmap: "len" must be a positive integer, got -4',
      ],
      [
        'bad size string',
        ['{"op":"spawn","as":"a"}', '{"op":"mmap","proc":"a","len":"lots"}'],
        '2: mmap: "len" must be a positive integer or a size such as "64K", got "lots"',
      ],
      [
        'missing field',
        ['{"op":"spawn","as":"a"}', '{"op":"mmap","proc":"a"}'],
        '2: mmap: "len" is required (a number of bytes)',
      ],
      [
        'unknown field',
        ['{"op":"spawn","as":"a","nmae":"x"}'],
        '1: spawn: unknown field "nmae" (expected as, name)',
      ],
      [
        'bad prot',
        ['{"op":"spawn","as":"a"}', '{"op":"mmap","proc":"a","len":4096,"prot":"rwz"}'],
        '2: mmap: "prot" must be protection letters from "rwx"',
      ],
      [
        'unknown mmap flag',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":4096,"flags":["private","anon"]}',
        ],
        '2: mmap: "flags": unknown mmap flag "anon" (expected private, shared,',
      ],
      [
        'anonymous with a file',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":4096,"file":"/f","flags":["private","anonymous"]}',
        ],
        '2: mmap: "flags" has "anonymous" but "file" names a file to map',
      ],
      [
        'unknown gfp flag',
        ['{"op":"kmalloc","size":8,"gfp":"GFP_KERNAL"}'],
        '1: kmalloc: "gfp": unknown GFP flag "GFP_KERNAL"',
      ],
      [
        'invalid gfp combination',
        ['{"op":"kmalloc","size":8,"gfp":"__GFP_DMA|__GFP_HIGHMEM"}'],
        '1: kmalloc: "gfp": ',
      ],
      [
        'bad expect',
        ['{"op":"kmalloc","size":8,"expect":"ENOPE"}'],
        '1: kmalloc: "expect" must be "ok" or an errno name',
      ],
      [
        'as with an expected failure',
        ['{"op":"kmalloc","size":8,"expect":"ENOMEM","as":"x"}'],
        '1: kmalloc: "as" cannot be used with "expect": "ENOMEM"',
      ],
      [
        'bad advice',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":4096,"as":"m"}',
          '{"op":"madvise","map":"m","advice":"forget"}',
        ],
        '3: madvise: "advice" must be one of normal, random,',
      ],
      [
        'undefined label',
        ['{"op":"touch","map":"buf"}'],
        '1: touch: "map": no mapping "buf" is defined before this line',
      ],
      [
        'label of the wrong kind',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":4096,"as":"buf"}',
          '{"op":"exit","proc":"buf"}',
        ],
        '3: exit: "proc": "buf" is a mapping (line 2), not a process',
      ],
      [
        'process used after exit',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"exit","proc":"a"}',
          '{"op":"fork","proc":"a","as":"b"}',
        ],
        '3: fork: "proc": process "a" exited at line 2',
      ],
      [
        'double free',
        [
          '{"op":"kmalloc","size":8,"as":"x"}',
          '{"op":"kfree","obj":"x"}',
          '{"op":"kfree","obj":"x"}',
        ],
        '3: kfree: "obj": kmalloc object "x" was freed at line 2',
      ],
      [
        'mapping of an exited process',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":4096,"as":"m"}',
          '{"op":"exit","proc":"a"}',
          '{"op":"touch","map":"m"}',
        ],
        '4: touch: "map": mapping "m" belongs to process "a", which exited at line 3',
      ],
      [
        'range past the end',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":"8K","as":"m"}',
          '{"op":"read","map":"m","offset":4096,"len":8192}',
        ],
        '3: read: offset 4096 + len 8192 is past the end of mapping "m" (8192 bytes, line 2)',
      ],
      [
        'free on the second iteration',
        [
          '{"op":"kmalloc","size":8,"as":"x"}',
          '{"op":"repeat","times":2,"ops":[{"op":"kfree","obj":"x"}]}',
        ],
        '2: repeat.ops[0]: kfree: "obj": kmalloc object "x" was freed at line 2 (on the second iteration of the repeat at line 2)',
      ],
      [
        'nested repeat',
        [
          '{"op":"repeat","times":2,"ops":[{"op":"repeat","times":3,"ops":[{"op":"check"},{"op":"kmalloc"}]}]}',
        ],
        '1: repeat.ops[0].ops[1]: kmalloc: "size" is required',
      ],
      [
        'bad repeat',
        ['{"op":"repeat","times":0,"ops":[{"op":"check"}]}'],
        '1: repeat: "times" must be an integer from 1 to 1000000, got 0',
      ],
      [
        '{i} outside a repeat',
        ['{"op":"kmalloc","size":8,"as":"x{i}"}'],
        '1: kmalloc: "{i}" in a label stands for the iteration of the enclosing repeat',
      ],
      [
        '{i} label not made by that iteration',
        [
          '{"op":"repeat","times":3,"ops":[{"op":"kmalloc","size":8,"as":"x{i}"}]}',
          '{"op":"kfree","obj":"x3"}',
        ],
        '2: kfree: "obj": no kmalloc object "x3" is defined before this line',
      ],
      [
        'file without size or text',
        ['{"op":"write_file","path":"/f"}'],
        '1: write_file: "size" or "text" is required',
      ],
    ];

    it.each(cases)('%s', (_name, lines, message) => {
      const file = trace('bad.jsonl', ...lines);
      const r = run('replay', file);
      expect(r.status).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.err.startsWith(`${file}:${message}`)).toBe(true);
    });
  });

  describe('runtime failures: the line and what happened; exit 1', () => {
    const cases: [string, string[], string][] = [
      [
        'a write to a read-only mapping',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":4096,"prot":"r","as":"m"}',
          '{"op":"write","map":"m"}',
        ],
        '3: write: SIGSEGV (SEGV_ACCERR) at 0x',
      ],
      [
        'an access to an unmapped range',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":"8K","as":"m"}',
          '{"op":"munmap","map":"m","len":4096}',
          '{"op":"touch","map":"m"}',
        ],
        '4: touch: SIGSEGV (SEGV_MAPERR) at 0x',
      ],
      [
        'a call that fails unexpectedly',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":4096,"as":"m"}',
          '{"op":"munmap","map":"m"}',
          '{"op":"mprotect","map":"m","prot":"r"}',
        ],
        '4: mprotect: failed with ENOMEM (-12); if the trace means it to fail, add "expect": "ENOMEM"',
      ],
      [
        'a call that succeeds against its expect',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":4096,"as":"m"}',
          '{"op":"mprotect","map":"m","prot":"r","expect":"EINVAL"}',
        ],
        '3: mprotect: succeeded, but "expect" says it fails with EINVAL',
      ],
      [
        'a file that is not there',
        ['{"op":"spawn","as":"a"}', '{"op":"mmap","proc":"a","len":4096,"file":"/nope"}'],
        '2: mmap: open("/nope") failed with ENOENT (-2); if the trace means it to fail, add "expect": "ENOENT"',
      ],
      [
        'a read that finds another value',
        [
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":"8K","as":"m"}',
          '{"op":"write","map":"m","len":4096,"value":1}',
          '{"op":"read","map":"m","value":1}',
        ],
        '4: read: read 0x0 at offset 4096 of "m", expected 0x1',
      ],
      [
        'a kernel bug: destroying a cache with live objects',
        [
          '{"op":"cache_create","name":"c","size":64}',
          '{"op":"cache_alloc","cache":"c","as":"o"}',
          '{"op":"cache_destroy","cache":"c"}',
        ],
        '3: cache_destroy: ',
      ],
      [
        'an allocation that returns NULL',
        [
          '{"op":"boot","memory":"4M"}',
          '{"op":"alloc_pages","order":10,"gfp":"GFP_KERNEL|__GFP_NOWARN"}',
        ],
        '2: alloc_pages: returned NULL (ENOMEM); if the trace means it to fail, add "expect": "ENOMEM"',
      ],
    ];

    it.each(cases)('%s', (_name, lines, message) => {
      const file = trace('fails.jsonl', ...lines);
      const r = run('replay', file);
      expect(r.err.startsWith(`${file}:${message}`), r.err).toBe(true);
      expect(r.status).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    });
  });

  it('refuses a trace it cannot read', () => {
    expectError(
      run('replay', join(tmp, 'missing.jsonl')),
      2,
      /^mmsim: error: cannot read trace ".*missing\.jsonl": ENOENT/,
    );
  });

  it('replays a shipped example by its name when no such file exists', () => {
    const byName = run('replay', 'fork-cow', '--json');
    expect(byName.status).toBe(0);
    const report = JSON.parse(byName.out) as Report;
    expect(report.replay?.trace).toBe('fork-cow');
    const byFile = JSON.parse(
      run('replay', join(traces, 'fork-cow.jsonl'), '--json').out,
    ) as Report;
    expect(report.summary).toEqual(byFile.summary);
    expect(run('proc', 'vmstat', '--after', 'oom.jsonl').out).toMatch(/^oom_kill 1$/m);
    expectError(
      run('replay', 'no-such-example'),
      2,
      /^mmsim: error: cannot read trace "no-such-example": ENOENT.*; shipped examples: basic, file-mmap, fork-cow, .*oom, swap\n$/,
    );
  });

  it('takes labels with {i} from repeats, and skips the ops of a killed child too', () => {
    const file = trace(
      'many.jsonl',
      '{"op":"boot","memory":"8M"}',
      '{"op":"spawn","as":"p"}',
      '{"op":"repeat","times":5,"ops":[{"op":"fork","proc":"p","as":"c{i}"},{"op":"mmap","proc":"c{i}","len":"64K","as":"m{i}"},{"op":"write","map":"m{i}","value":"index"}]}',
      '{"op":"repeat","times":5,"ops":[{"op":"read","map":"m{i}","value":"index"},{"op":"exit","proc":"c{i}"}]}',
      '{"op":"repeat","times":2,"ops":[{"op":"mmap","proc":"p","len":"6M","as":"big"},{"op":"write","map":"big"}]}',
      '{"op":"fork","proc":"p","as":"late"}',
      '{"op":"touch","map":"big","proc":"late"}',
    );
    const report = JSON.parse(run('replay', file, '--json').out) as Report;
    expect(report.summary.processes.map((p) => p.state)).toEqual([
      'killed',
      'exited',
      'exited',
      'exited',
      'exited',
      'exited',
    ]);
    expect(report.replay).toMatchObject({
      ops: 30,
      skipped: 2,
      kills: [{ line: 5, label: 'p', pid: 1 }],
    });
  });
});

describe('mmsim proc and mmsim map', () => {
  const basic = join(traces, 'basic.jsonl');

  it('prints a /proc file right after boot, after a trace, or after the demo', () => {
    const fresh = run('proc', '/proc/buddyinfo', '--fresh', '--memory', '16M');
    expect(fresh.status).toBe(0);
    expect(fresh.out).toBe(Kernel.boot({ memory: '16M' }).proc('/proc/buddyinfo'));
    const after = run('proc', 'meminfo', '--after', basic);
    expect(after.status).toBe(0);
    expect(after.out).toMatch(/^MemTotal: +31416 kB\n/);
    const maps = run('proc', '/proc/1/maps', '--after', basic);
    expect(maps.out).toContain('[heap]');
    const demo = run('proc', '/proc/3/status', '--memory', '8M', '--swap', '8M');
    expect(demo.out).toMatch(/^Name:\thog$/m);
    expect(run('proc', 'slabinfo', '--memory', '8M').out).toMatch(/^dentry /m);
  });

  it('names the live pids when the file does not exist', () => {
    expectError(
      run('proc', '/proc/9/maps', '--after', basic),
      2,
      'mmsim: error: no such file "/proc/9/maps" (live pids: 1)',
    );
    expectError(
      run('proc', '/proc/nothing', '--fresh'),
      2,
      'mmsim: error: no such file "/proc/nothing" (live pids: none)',
    );
  });

  it('writes the memory map, or one address space, as SVG', () => {
    const file = join(tmp, 'map.svg');
    const r = run('map', '--svg', file, '--after', basic);
    expect(r.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/<svg[\s>]/);
    const stdout = run('map', '--svg', '-', '--fresh', '--memory', '8M');
    expect(stdout.out).toMatch(/<svg[\s>]/);
    const space = run('map', '--svg', '-', '--pid', '1', '--after', basic);
    expect(space.status).toBe(0);
    expect(space.out).not.toBe(stdout.out);
    expect(space.out).toMatch(/<svg[\s>]/);
    expectError(
      run('map', '--svg', '-', '--pid', '7', '--fresh'),
      2,
      'mmsim: error: --pid: no live process 7 (live pids: none)',
    );
    expectError(
      run('map', '--fresh'),
      2,
      "mmsim: error: required option '--svg <file>' not specified",
    );
  });
});

describe('usage', () => {
  it('has --help for the program and each command, and --version', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.out).toContain('Usage: mmsim [options] [command]');
    for (const command of ['demo', 'replay', 'proc', 'map']) {
      const r = run(command, '--help');
      expect(r.status).toBe(0);
      expect(r.out).toContain(`Usage: mmsim ${command}`);
      expect(run('help', command).out).toBe(r.out);
    }
    expect(run('demo', '--help').out).toContain('--swap <size>');
    expect(run('--version').out).toBe(`${packageVersion}\n`);
  });

  it.each([
    [
      ['demo', '--memory', 'banana'],
      `mmsim: error: option '-m, --memory <size>' argument 'banana' is invalid. "banana" is not a size (expected e.g. '512K', '64M', '1G')`,
    ],
    [
      ['demo', '--arch', 'vax'],
      "mmsim: error: option '-a, --arch <name>' argument 'vax' is invalid. Allowed choices are x86_64, i386, arm64-4k, arm64-16k, arm64-64k.",
    ],
    [
      ['demo', '--slab', 'slib'],
      "mmsim: error: option '--slab <allocator>' argument 'slib' is invalid. Allowed choices are slub, slab, slob.",
    ],
    [
      ['demo', '--seed', '-1'],
      "mmsim: error: option '--seed <n>' argument '-1' is invalid. expected an integer from 0 to 4294967295",
    ],
    [
      ['demo', '--memory', '100G'],
      'mmsim: error: --memory: 107374182400 bytes is outside 1048576..68719476736 for x86_64',
    ],
    [
      ['demo', '--swap', '1K'],
      'mmsim: error: --swap: 1024 is smaller than two pages (a header and a slot)',
    ],
    [['demo', '--jsn'], "mmsim: error: unknown option '--jsn' (did you mean --json?)"],
    [
      ['demo', 'extra'],
      "mmsim: error: too many arguments for 'demo'. Expected 0 arguments but got 1.",
    ],
    [['frob'], "mmsim: error: unknown command 'frob' (did you mean proc?)"],
    [['replay'], "mmsim: error: missing required argument 'file'"],
    [
      ['proc', 'meminfo', '--fresh', '--after', 'x'],
      "mmsim: error: option '--after <trace>' cannot be used with option '--fresh'",
    ],
    [
      ['map', '--svg', '-', '--pid', 'one'],
      "mmsim: error: option '--pid <n>' argument 'one' is invalid. expected a process id",
    ],
  ])('%j: one line on stderr, exit 2', (argv, message) => {
    expectError(run(...argv), 2, message);
  });

  it('shows the help on stderr and exits 2 without a command', () => {
    const r = run();
    expect(r.status).toBe(2);
    expect(r.err).toContain('Usage: mmsim');
  });
});

describe('--json on every command', () => {
  const basic = join(traces, 'basic.jsonl');

  it('proc --json prints the file as lines, with the machine', () => {
    const r = run('proc', 'buddyinfo', '--fresh', '--memory', '16M', '--json');
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out) as ProcOutput;
    expect(doc.command).toBe('proc');
    expect(doc.file).toBe('/proc/buddyinfo');
    expect(doc.machine).toMatchObject({ arch: 'x86_64', memory: 16 << 20 });
    expect(`${doc.lines.join('\n')}\n`).toBe(
      Kernel.boot({ memory: '16M' }).proc('/proc/buddyinfo'),
    );
  });

  it('map --json lists the file it wrote instead of announcing it', () => {
    const file = join(tmp, 'json-map.svg');
    const r = run('map', '--svg', file, '--after', basic, '--pid', '1', '--json');
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out) as MapOutput;
    expect(doc).toMatchObject({ command: 'map', pid: 1 });
    expect(doc.wrote).toEqual([
      { file, what: 'address space of pid 1', bytes: readFileSync(file).length },
    ]);
  });

  it('demo and replay --json --svg list the picture in the report', () => {
    const file = join(tmp, 'json-replay.svg');
    const r = run('replay', basic, '--json', '--svg', file);
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    const report = JSON.parse(r.out) as Report;
    expect(report.wrote).toEqual([{ file, what: 'memory map', bytes: readFileSync(file).length }]);
    // Without --svg there is no "wrote" key at all.
    expect(Object.keys(JSON.parse(run('replay', basic, '--json').out) as Report)).not.toContain(
      'wrote',
    );
  });

  it('refuses --svg - with --json: both would write standard output', () => {
    for (const argv of [
      ['map', '--svg', '-', '--fresh', '--json'],
      ['replay', basic, '--svg', '-', '--json'],
      ['demo', '--svg', '-', '--json'],
    ]) {
      const error = jsonError(run(...argv));
      expect(error).toMatchObject({ code: 'usage', status: 2 });
      expect(error.message).toMatch(/^--svg -: with --json, standard output carries the JSON/);
    }
  });
});

describe('errors under --json: one JSON document on stdout, the same exit status', () => {
  it('a malformed trace: trace-syntax, exit 2, with the file, line and op', () => {
    const file = trace(
      'json-bad.jsonl',
      '{"op":"spawn","as":"a"}',
      '{"op":"mmap","proc":"a","len":-4}',
    );
    const text = run('replay', file);
    const r = run('replay', file, '--json');
    expect(r.status).toBe(2);
    expect(jsonError(r)).toEqual({
      code: 'trace-syntax',
      message: `${file}:2: mmap: "len" must be a positive integer, got -4`,
      status: 2,
      file,
      line: 2,
      op: 'mmap',
    });
    expect(text.err).toBe(`${jsonError(r).message}\n`);
  });

  it('inside a repeat: the path too', () => {
    const file = trace('json-repeat.jsonl', '{"op":"repeat","times":2,"ops":[{"op":"kmalloc"}]}');
    expect(jsonError(run('replay', file, '--json'))).toMatchObject({
      code: 'trace-syntax',
      line: 1,
      path: 'repeat.ops[0]',
      op: 'kmalloc',
    });
  });

  it('a failing op: trace-failed, exit 1, with its line', () => {
    const file = trace(
      'json-fails.jsonl',
      '{"op":"spawn","as":"a"}',
      '{"op":"mmap","proc":"a","len":4096,"prot":"r","as":"m"}',
      '{"op":"write","map":"m"}',
    );
    const r = run('replay', file, '--json');
    expect(r.status).toBe(1);
    const error = jsonError(r);
    expect(error).toMatchObject({ code: 'trace-failed', status: 1, file, line: 3, op: 'write' });
    expect(error.message).toMatch(/:3: write: SIGSEGV \(SEGV_ACCERR\) at 0x/);
    // proc and map run traces too, and report the same way.
    expect(jsonError(run('proc', 'meminfo', '--after', file, '--json'))).toMatchObject({
      code: 'trace-failed',
      line: 3,
    });
  });

  it.each([
    [
      ['demo', '--json', '--memory', 'banana'],
      /^option '-m, --memory <size>' argument 'banana' is invalid/,
    ],
    [['demo', '--json', '--jsn'], /^unknown option '--jsn' \(did you mean --json\?\)$/],
    [['replay', '--json'], /^missing required argument 'file'$/],
    [['proc', '/proc/nothing', '--fresh', '--json'], /^no such file "\/proc\/nothing"/],
    [['demo', '--memory', '1M', '--json'], /^--memory: the demo needs at least 2M/],
    [
      ['replay', '/nonexistent/t.jsonl', '--json'],
      /^cannot read trace "\/nonexistent\/t\.jsonl": ENOENT/,
    ],
  ])('%j: a usage error, exit 2', (argv, message) => {
    const r = run(...argv);
    expect(r.status).toBe(2);
    const error = jsonError(r);
    expect(['usage', 'read-failed']).toContain(error.code);
    expect(error.message).toMatch(message);
    expect(error.line).toBeUndefined();
  });

  it('an unwritable output: write-failed, exit 1', () => {
    const r = run('map', '--svg', join(tmp, 'no-such-dir', 'x.svg'), '--fresh', '--json');
    expect(r.status).toBe(1);
    expect(jsonError(r)).toMatchObject({ code: 'write-failed', status: 1 });
  });

  it('--help and --version stay text, exit 0', () => {
    expect(run('demo', '--help', '--json')).toMatchObject({ status: 0, err: '' });
    expect(run('demo', '--help', '--json').out).toContain('Usage: mmsim demo');
  });
});

describe('output files', () => {
  const basic = join(traces, 'basic.jsonl');

  it('announces every file written in one wording, on stderr', () => {
    const svg = join(tmp, 'wrote.svg');
    const size = () => readFileSync(svg).length;
    const map = run('map', '--svg', svg, '--fresh', '--memory', '8M');
    expect(map).toMatchObject({ status: 0, out: '' });
    expect(map.err).toBe(`mmsim: wrote ${svg} (memory map, ${size()} bytes)\n`);
    const space = run('map', '--svg', svg, '--after', basic, '--pid', '1');
    expect(space.err).toBe(`mmsim: wrote ${svg} (address space of pid 1, ${size()} bytes)\n`);
    const replay = run('replay', basic, '--svg', svg);
    expect(replay.err).toBe(`mmsim: wrote ${svg} (memory map, ${size()} bytes)\n`);
    // Standard output is not a file: nothing to announce. After a report, the SVG follows it.
    expect(run('map', '--svg', '-', '--fresh', '--memory', '8M').err).toBe('');
    const both = run('replay', basic, '--svg', '-');
    expect(both.err).toBe('');
    expect(both.out).toMatch(/^mmsim replay: [\s\S]*== Summary[\s\S]*\n<svg [\s\S]*<\/svg>\n$/);
    expect(run('replay', basic, '--svg', '-', '-q').out).toMatch(/^<svg /);
  });

  it('exits 1, not 2, when the output cannot be written, and prints no report', () => {
    const dir = join(tmp, 'missing-dir');
    for (const argv of [
      ['map', '--svg', join(dir, 'a.svg'), '--fresh'],
      ['replay', basic, '--svg', join(dir, 'b.svg')],
      ['map', '--svg', tmp, '--fresh'],
    ]) {
      const r = run(...argv);
      expect(r.status, argv.join(' ')).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^mmsim: error: cannot write ".*": E(NOENT|ISDIR)/);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

describe('a trace on standard input', () => {
  const text = readFileSync(join(traces, 'basic.jsonl'), 'utf8');

  it('replay - reads it, and names it <stdin>', () => {
    const r = runWithStdin(text, 'replay', '-', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.out) as Report;
    const fromFile = JSON.parse(run('replay', join(traces, 'basic.jsonl'), '--json').out) as Report;
    expect(report.replay?.trace).toBe('<stdin>');
    expect(report.summary).toEqual(fromFile.summary);
    expect(runWithStdin(text, 'replay', '-').out).toContain('trace <stdin>: ');
  });

  it('proc and map --after - read it too', () => {
    expect(runWithStdin(text, 'proc', '/proc/1/maps', '--after', '-').out).toBe(
      run('proc', '/proc/1/maps', '--after', join(traces, 'basic.jsonl')).out,
    );
    expect(runWithStdin(text, 'map', '--svg', '-', '--after', '-').out).toMatch(/^<svg /);
  });

  it('errors name <stdin> and the line', () => {
    const r = runWithStdin('{"op":"spawn","as":"a"}\n{"op":"nope"}\n', 'replay', '-');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/^<stdin>:2: unknown op "nope"/);
  });

  it('without a standard input to read, says so', () => {
    expectError(
      run('replay', '-'),
      2,
      /^mmsim: error: a trace named "-" is read from standard input/,
    );
  });
});

describe('--quiet', () => {
  const basic = join(traces, 'basic.jsonl');

  it('prints no report and no "wrote" message, only the exit status says it worked', () => {
    const svg = join(tmp, 'quiet.svg');
    for (const argv of [
      ['replay', basic, '--quiet', '--svg', svg],
      ['replay', basic, '-q', '--json'],
      ['demo', '--memory', '8M', '-q', '--svg', svg],
      ['map', '--svg', svg, '--fresh', '--quiet'],
      ['map', '--svg', svg, '--fresh', '--quiet', '--json'],
    ]) {
      expect(run(...argv), argv.join(' ')).toEqual({ status: 0, out: '', err: '' });
    }
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg /);
  });

  it('still prints what was asked for on standard output, and errors', () => {
    expect(run('proc', 'meminfo', '--fresh', '-q').out).toMatch(/^MemTotal:/);
    expect(run('map', '--svg', '-', '--fresh', '-q').out).toMatch(/^<svg /);
    const bad = trace('quiet-bad.jsonl', '{"op":"kfree","obj":"x"}');
    const r = run('replay', bad, '--quiet');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/quiet-bad\.jsonl:1: kfree: "obj": no kmalloc object "x"/);
  });

  it('draws no progress bar on a terminal', () => {
    const { terminal, drawn } = fakeTerminal();
    const io = { ...bufferedIo(), progressStream: terminal };
    expect(main(['replay', join(traces, 'fragmentation.jsonl'), '--quiet'], io)).toBe(0);
    expect(drawn).toEqual([]);
    expect(io.out() + io.err()).toBe('');
  });
});

describe('plurals', () => {
  it('says "1 process", "1 op" and "1 line"', () => {
    const file = trace('one.jsonl', '{"op":"spawn","as":"a"}');
    const r = run('replay', file);
    expect(r.out).toContain(`trace ${file}: 1 line, 1 op run, 0 skipped`);
    expect(r.out).toContain('1 op run on 1 process; the machine');
    expect(r.out).toMatch(/^processes +1 \(1 running, 0 exited, 0 killed\)$/m);
    const two = trace('two.jsonl', '{"op":"spawn","as":"a"}', '{"op":"fork","proc":"a","as":"b"}');
    expect(run('replay', two).out).toContain('2 ops run on 2 processes; the machine');
  });

  it('counts slab caches and objects in the singular too', () => {
    expect(plural(1, 'cache')).toBe('1 cache');
    expect(plural(0, 'object')).toBe('0 objects');
    expect(plural(1, 'process', 'processes')).toBe('1 process');
    expect(plural(3, 'process', 'processes')).toBe('3 processes');
    const r = run('replay', join(traces, 'basic.jsonl'));
    expect(r.out).toMatch(/^slab +.* in \d+ caches, \d+ of \d+ objects active/m);
  });
});

describe('the executable', () => {
  // The source through tsx, so the test never runs a stale build; dist/cli.js is the same
  // module bundled (npm run build), checked by hand and by `npm pack`.
  const command = ['--import', 'tsx', join(root, 'src', 'cli', 'bin.ts')];
  const exec = promisify(execFile);
  const spawnCli = async (...argv: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [...command, ...argv], { cwd: root });
      return { status: 0, out: stdout, err: stderr };
    } catch (e) {
      const failed = e as { code: number; stdout: string; stderr: string };
      return { status: failed.code, out: failed.stdout, err: failed.stderr };
    }
  };

  it('replays a trace through pipes with no progress bar, and exits with the status', async () => {
    const [ok, usage, failure] = await Promise.all([
      spawnCli('replay', join('examples', 'traces', 'fragmentation.jsonl')),
      spawnCli('demo', '--memory', 'banana'),
      spawnCli(
        'replay',
        trace(
          'spawned-fails.jsonl',
          '{"op":"spawn","as":"a"}',
          '{"op":"exit","proc":"a"}',
          '{"op":"spawn","as":"b"}',
          '{"op":"mmap","proc":"b","len":4096,"prot":"r","as":"m"}',
          '{"op":"write","map":"m"}',
        ),
      ),
    ]);
    expect(ok.status).toBe(0);
    expect(ok.err).toBe('');
    expect(ok.out).toContain('== Summary');
    expect(ok.out + ok.err).not.toContain(String.fromCharCode(27));
    expect(ok.err).not.toContain('replay [');
    expect(usage.status).toBe(2);
    expect(usage.err).toMatch(
      /^mmsim: error: option '-m, --memory <size>' argument 'banana' is invalid/,
    );
    expect(failure.status).toBe(1);
    expect(failure.err).toMatch(/spawned-fails\.jsonl:5: write: SIGSEGV \(SEGV_ACCERR\)/);
  });

  it('reads a trace named - from its standard input, and prints JSON errors on stdout', async () => {
    const input = readFileSync(join(traces, 'basic.jsonl'));
    const ok = spawnSync(process.execPath, [...command, 'replay', '-', '--json'], {
      cwd: root,
      input,
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect((JSON.parse(ok.stdout) as Report).replay?.trace).toBe('<stdin>');
    const bad = spawnSync(process.execPath, [...command, 'replay', '-', '--json'], {
      cwd: root,
      input: '{"op":"nope"}\n',
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('');
    expect(JSON.parse(bad.stdout)).toMatchObject({
      error: { code: 'trace-syntax', file: '<stdin>', line: 1, status: 2 },
    });
  });

  it('ends quietly when its output pipe closes early', async () => {
    const { stdout, stderr } = await exec(
      'sh',
      [
        '-c',
        `"${process.execPath}" ${command.map((c) => `"${c}"`).join(' ')} demo --memory 8M | head -n 3`,
      ],
      { cwd: root },
    );
    expect(stdout.split('\n')[0]).toBe('mmsim demo: x86_64, 8 MiB RAM, SLUB, no swap, seed 0');
    expect(stderr).toBe('');
  });
});
