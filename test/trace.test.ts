/**
 * `mmsim/trace` as a library: parseTrace, validateTrace and replayTrace,
 * their errors with line numbers, the options of a replay, and that the
 * CLI runs the same code (its JSON report carries the library's counts).
 * The trace format's own cases (every op, every message) are in
 * cli.test.ts, which goes through the same parser and replayer.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bufferedIo, main, type Report } from '../src/cli/index.js';
import * as root from '../src/index.js';
import { Kernel, KernelError, SegmentationFault } from '../src/index.js';
import {
  DEFAULT_TRACE_NAME,
  NO_PROGRESS,
  parseTrace,
  type ReplayProgress,
  replayTrace,
  TraceReplayError,
  TraceSyntaxError,
  validateTrace,
} from '../src/trace/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const traces = join(here, '..', 'examples', 'traces');

const lines = (...ls: string[]) => `${ls.join('\n')}\n`;

/** What `f` throws (fails the test if it returns). */
function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

const SMALL = lines(
  '# a comment',
  '{"op":"boot","memory":"16M"}',
  '{"op":"spawn","as":"app","name":"app"}',
  '',
  '{"op":"mmap","proc":"app","len":"64K","as":"buf"}',
  '{"op":"repeat","times":3,"ops":[{"op":"write","map":"buf","value":"index"},{"op":"read","map":"buf","value":"index"}]}',
);

describe('parseTrace', () => {
  it('returns the boot options and checked ops, with defaults filled in', () => {
    const t = parseTrace(SMALL, 'small.jsonl');
    expect(t.file).toBe('small.jsonl');
    expect(t.lines).toBe(6);
    expect(t.boot).toEqual({ memory: '16M' });
    expect(t.bootLine).toBe(2);
    expect(t.ops.map((op) => [op.op, op.at.line])).toEqual([
      ['spawn', 3],
      ['mmap', 5],
      ['repeat', 6],
    ]);
    expect(t.opCount).toBe(2 + 3 * 2);
    const mmap = t.ops[1];
    expect(mmap?.op === 'mmap' && [mmap.len, mmap.expect, mmap.file]).toEqual([65536, 'ok', null]);
    expect(parseTrace('{"op":"check"}').file).toBe(DEFAULT_TRACE_NAME);
  });

  it('throws a TraceSyntaxError naming the line, the op and what was wrong', () => {
    let error: unknown;
    try {
      parseTrace(
        lines('{"op":"spawn","as":"a"}', '{"op":"repeat","times":2,"ops":[{"op":"kmalloc"}]}'),
        'x.jsonl',
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TraceSyntaxError);
    const e = error as TraceSyntaxError;
    expect(e.line).toBe(2);
    expect(e.at).toEqual({ file: 'x.jsonl', line: 2, path: 'repeat.ops[0]' });
    expect(e.op).toBe('kmalloc');
    expect(e.detail).toBe('"size" is required (a number of bytes)');
    expect(e.message).toBe(
      'x.jsonl:2: repeat.ops[0]: kmalloc: "size" is required (a number of bytes)',
    );
    expect(() => parseTrace('{', 'y')).toThrow(/^y:1: invalid JSON: /);
  });

  it('rejects arguments that are not strings with a TypeError', () => {
    expect(() => parseTrace(42 as unknown as string)).toThrow(TypeError);
    expect(() => parseTrace('', 7 as unknown as string)).toThrow(
      /parseTrace: name must be a string/,
    );
  });
});

describe('validateTrace', () => {
  it('returns the trace when it is valid', () => {
    const v = validateTrace(SMALL, 'small.jsonl');
    expect(v.valid).toBe(true);
    expect(v.errors).toEqual([]);
    expect(v.trace).toEqual(parseTrace(SMALL, 'small.jsonl'));
  });

  it('collects every bad line, in order, without stopping at the first', () => {
    const v = validateTrace(
      lines(
        '{"op":"spawn","as":"a"}',
        '{"op":"mmapp"}',
        'not json',
        '{"op":"mmap","proc":"a","len":4096,"as":"m"}',
        '{"op":"kfree"}',
        '{"op":"boot"}',
      ),
      'bad.jsonl',
    );
    expect(v.valid).toBe(false);
    expect(v.trace).toBeNull();
    expect(v.errors.map((e) => [e.line, e.op])).toEqual([
      [2, null],
      [3, null],
      [5, 'kfree'],
      [6, 'boot'],
    ]);
    for (const e of v.errors) expect(e).toBeInstanceOf(TraceSyntaxError);
    // The first one is what parseTrace throws.
    expect(() => parseTrace('{"op":"spawn","as":"a"}\n{"op":"mmapp"}', 'bad.jsonl')).toThrow(
      v.errors[0]?.message as string,
    );
  });

  it('checks labels once every line is valid on its own, and reports the first label problem', () => {
    const v = validateTrace(
      lines('{"op":"touch","map":"nowhere"}', '{"op":"kfree","obj":"gone"}'),
      'labels.jsonl',
    );
    expect(v.errors.map((e) => e.message)).toEqual([
      'labels.jsonl:1: touch: "map": no mapping "nowhere" is defined before this line',
    ]);
  });

  it('stops at maxErrors, which must be a positive integer', () => {
    const text = lines('x', 'y', 'z');
    expect(validateTrace(text).errors).toHaveLength(3);
    expect(validateTrace(text, 't', { maxErrors: 2 }).errors.map((e) => e.line)).toEqual([1, 2]);
    expect(() => validateTrace(text, 't', { maxErrors: 0 })).toThrow(RangeError);
    expect(() => validateTrace(text, 't', { maxErrors: 1.5 })).toThrow(RangeError);
  });
});

describe('replayTrace', () => {
  it('boots the machine the trace asks for and runs every op', () => {
    const { kernel, processes, stats, caches } = replayTrace(parseTrace(SMALL, 'small.jsonl'));
    expect(kernel.config.memory).toBe(16 << 20);
    expect(processes.map((p) => [p.pid, p.name, p.state])).toEqual([[1, 'app', 'running']]);
    expect(stats).toEqual({
      trace: 'small.jsonl',
      lines: 6,
      ops: 8,
      skipped: 0,
      expectedFailures: 0,
      kills: [],
    });
    expect(caches).toEqual([]);
    expect(kernel.proc('/proc/1/status')).toMatch(/^VmRSS:\s+6\d kB$/m);
  });

  it('takes the text itself, and lays options.boot over the boot op', () => {
    const { kernel } = replayTrace(SMALL, { boot: { memory: '32M', swap: { size: '8M' } } });
    expect(kernel.config.memory).toBe(32 << 20);
    expect(kernel.config.swap).toMatchObject({ size: 8 << 20 });
    expect(() => replayTrace('{"op":"nope"}')).toThrow(TraceSyntaxError);
  });

  it('replays on a machine it is given, leaving what was there alone', () => {
    const k = Kernel.boot({ memory: '8M' });
    const before = k.spawn({ name: 'resident' });
    const result = replayTrace(parseTrace(SMALL), { kernel: k });
    expect(result.kernel).toBe(k);
    expect(k.config.memory).toBe(8 << 20); // the trace's boot op is not used
    expect(result.processes.map((p) => p.pid)).toEqual([2]);
    expect(before.state).toBe('running');
    k.checkInvariants();
  });

  it('reports progress: start with the op count, a tick per op, stop', () => {
    const calls: string[] = [];
    let ticks = 0;
    const progress: ReplayProgress = {
      start: (label, total, unit) => calls.push(`start ${label} ${total} ${unit}`),
      tick: (n = 1) => {
        ticks += n;
      },
      stop: () => calls.push('stop'),
    };
    replayTrace(parseTrace(SMALL), { progress });
    expect(calls).toEqual(['start replay 8 ops', 'stop']);
    expect(ticks).toBe(8);
    // stop comes even when the replay fails.
    calls.length = 0;
    expect(() =>
      replayTrace(
        lines(
          '{"op":"spawn","as":"a"}',
          '{"op":"mmap","proc":"a","len":4096,"prot":"r","as":"m"}',
          '{"op":"write","map":"m"}',
        ),
        { progress },
      ),
    ).toThrow(TraceReplayError);
    expect(calls).toEqual(['start replay 3 ops', 'stop']);
    expect(() => replayTrace(SMALL, { progress: NO_PROGRESS })).not.toThrow();
  });

  it('throws a TraceReplayError naming the failing op, its line and the cause', () => {
    const text = lines(
      '{"op":"spawn","as":"a"}',
      '{"op":"mmap","proc":"a","len":"8K","as":"m"}',
      '{"op":"repeat","times":2,"ops":[{"op":"munmap","map":"m","len":4096},{"op":"touch","map":"m"}]}',
    );
    let error: unknown;
    try {
      replayTrace(parseTrace(text, 'f.jsonl'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TraceReplayError);
    const e = error as TraceReplayError;
    expect(e.at).toEqual({ file: 'f.jsonl', line: 3, path: 'repeat.ops[1]' });
    expect(e.line).toBe(3);
    expect(e.op).toBe('touch');
    expect(e.detail).toMatch(/^SIGSEGV \(SEGV_MAPERR\) at 0x[0-9a-f]+ in process "a" \(pid 1\)$/);
    expect(e.message).toBe(`f.jsonl:3: repeat.ops[1]: touch: ${e.detail}`);
    expect(e.cause).toBeInstanceOf(SegmentationFault);
    // An expect mismatch has no cause: nothing threw.
    const mismatch = caught(() =>
      replayTrace('{"op":"alloc_pages","order":10,"gfp":"GFP_KERNEL|__GFP_NOWARN"}', {
        boot: { memory: '4M' },
      }),
    );
    expect(mismatch).toBeInstanceOf(TraceReplayError);
    expect((mismatch as TraceReplayError).cause).toBeUndefined();
    expect((mismatch as TraceReplayError).detail).toMatch(/^returned NULL \(ENOMEM\)/);
  });

  it('records OOM kills and skips the ops of the killed process', () => {
    const { stats, processes } = replayTrace(readFileSync(join(traces, 'oom.jsonl'), 'utf8'));
    expect(stats.kills).toEqual([{ line: 9, label: 'hog', pid: 2, name: 'hog' }]);
    expect(stats.skipped).toBeGreaterThan(0);
    expect(processes.find((p) => p.name === 'hog')?.state).toBe('killed');
  });

  it('refuses options of the wrong shape, and boot options the kernel refuses', () => {
    const t = parseTrace('{"op":"check"}');
    expect(() => replayTrace(t, null as unknown as object)).toThrow(TypeError);
    expect(() => replayTrace(t, { kernal: 1 } as unknown as object)).toThrow(
      /unknown option "kernal"/,
    );
    expect(() => replayTrace(t, { kernel: {} as Kernel })).toThrow(
      /options\.kernel must be a Kernel/,
    );
    expect(() => replayTrace(t, { progress: { tick() {} } as unknown as ReplayProgress })).toThrow(
      /options\.progress must have start, tick and stop/,
    );
    expect(() => replayTrace({ ops: 1 } as unknown as string)).toThrow(TypeError);
    expect(() => replayTrace(t, { boot: { memory: 'banana' } })).toThrow(KernelError);
  });
});

describe('the CLI runs the same code', () => {
  it.each(['basic', 'fork-cow', 'file-mmap', 'fragmentation', 'swap', 'oom'])(
    '%s: the report carries the library replay stats',
    (name) => {
      const file = join(traces, `${name}.jsonl`);
      const io = bufferedIo();
      expect(main(['replay', file, '--json'], io)).toBe(0);
      const report = JSON.parse(io.out()) as Report;
      const lib = replayTrace(parseTrace(readFileSync(file, 'utf8'), file));
      expect(report.replay).toEqual(lib.stats);
      expect(report.summary.pageFaults).toBe(
        Number(/^pgfault (\d+)$/m.exec(lib.kernel.proc('/proc/vmstat'))?.[1]),
      );
    },
  );
});

describe('the entry', () => {
  it('is exported from the root too, next to the renamed policy simulator', () => {
    expect(root.parseTrace).toBe(parseTrace);
    expect(root.replayTrace).toBe(replayTrace);
    expect(root.validateTrace).toBe(validateTrace);
    expect(root.simulateTrace).toBeTypeOf('function');
    expect(root.simulateTrace(new root.LruPolicy(), [1, 2, 3, 1, 4, 1], 3)).toEqual({
      hits: 2,
      misses: 4,
    });
  });

  it('reads no files, draws on no terminal: no node: module, commander or CLI code among its static imports', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const stack = [resolve(here, '..', 'src', 'trace', 'index.ts')];
    while (stack.length > 0) {
      const file = stack.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/^(?:import|export)\s[^'";]*?from\s+'([^']+)'/gm)) {
        const spec = m[1] as string;
        if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else bare.add(spec);
      }
      // Only the kernel loads node:fs, lazily, for a swap file on the host; never this folder.
      if (file.includes(join('src', 'trace'))) expect(source).not.toMatch(/\bimport\(|\brequire\(/);
    }
    expect(seen.size).toBeGreaterThan(20);
    expect([...bare]).toEqual([]);
    expect([...seen].filter((f) => f.includes(`${join('src', 'cli')}`))).toEqual([]);
  });
});
