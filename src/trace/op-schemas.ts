/**
 * The schema of each op but `boot`: which fields it takes, their kinds and
 * defaults, and the rules between fields (`"as"` cannot name the result of
 * a call expected to fail; `mmap` with a file is not anonymous; ...).
 *
 * `parseOp` turns one JSON value (a line, or an element of a `repeat`'s
 * `ops`) into a checked `TraceOp`: it checks the value is an object with a
 * known `op`, hands the fields to that op's parser in `PARSERS`, and
 * rejects fields the parser did not read. A `repeat` is parsed here too,
 * its body op by op, each located by its path (`repeat.ops[2]`). Checks
 * that span lines (labels defined, alive, of the right kind) are the label
 * checker's (`label-check.ts`).
 */
import * as mman from '../vm/mman.js';
import { type OpLocation, TraceSyntaxError } from './errors.js';
import { Fields, show } from './fields.js';
import { ADVICE_NAMES, CACHE_FLAG_NAMES, MAP_FLAG_NAMES, MSYNC_FLAG_NAMES } from './flag-names.js';
import { isTemplate, labelsOf } from './labels.js';
import type { Expect, OpName, TraceOp } from './ops.js';

/** The most iterations one `repeat` may have. */
export const MAX_REPEAT = 1_000_000;

/** Every op, in the order the manual lists them. */
export const OP_NAMES: readonly (OpName | 'boot')[] = [
  'boot',
  'spawn',
  'fork',
  'exit',
  'oom_score_adj',
  'write_file',
  'mmap',
  'munmap',
  'mprotect',
  'madvise',
  'msync',
  'brk',
  'touch',
  'read',
  'write',
  'kmalloc',
  'kfree',
  'alloc_pages',
  'free_pages',
  'cache_create',
  'cache_alloc',
  'cache_free',
  'cache_shrink',
  'cache_destroy',
  'kswapd',
  'drain_pages',
  'check',
  'repeat',
];

/** `as` with an `expect` of failure: there would be nothing to name. */
function resultLabel(f: Fields, expect: Expect): string | null {
  const as = f.optionalLabel('as');
  if (as !== null && expect !== 'ok') {
    f.fail(
      `"as" cannot be used with "expect": "${expect}" (the call is expected to fail, so there is nothing to name)`,
    );
  }
  return as;
}

/** The fields every range op has. */
function range(f: Fields) {
  return {
    map: f.label('map'),
    proc: f.optionalLabel('proc'),
    offset: f.bytes('offset', { min: 0, fallback: 0 }),
    len: f.has('len') ? f.bytes('len', { min: 1 }) : null,
  };
}

function stride(f: Fields): number {
  return f.has('stride') ? f.bytes('stride', { min: 1 }) : 0;
}

type Parser = (f: Fields, at: OpLocation) => TraceOp;

const PARSERS: Readonly<Record<Exclude<OpName, 'repeat'>, Parser>> = {
  spawn: (f, at) => {
    const as = f.label('as');
    return { op: 'spawn', at, as, name: f.string('name', as) };
  },
  fork: (f, at) => {
    const expect = f.expect();
    const as = expect === 'ok' ? f.label('as') : resultLabel(f, expect);
    return { op: 'fork', at, proc: f.label('proc'), as: as ?? '', expect };
  },
  exit: (f, at) => ({ op: 'exit', at, proc: f.label('proc') }),
  oom_score_adj: (f, at) => ({
    op: 'oom_score_adj',
    at,
    proc: f.label('proc'),
    value: f.integer('value', -1000, 1000),
  }),
  write_file: (f, at) => {
    const path = f.string('path');
    if (!path.startsWith('/') || path.endsWith('/'))
      f.fail(`"path" must be an absolute file path such as "/data/file", got ${show(path)}`);
    const text = f.string('text', '');
    const size = f.has('size') ? f.bytes('size', { min: 0 }) : text.length;
    if (!f.has('size') && !f.has('text'))
      f.fail('"size" or "text" is required (the file\'s length or its contents)');
    return { op: 'write_file', at, path, size, text: text === '' ? 'mmsim trace file\n' : text };
  },
  mmap: (f, at) => {
    const file = f.has('file') ? f.string('file') : null;
    const flags = f.flagList(
      'flags',
      MAP_FLAG_NAMES,
      file === null ? ['private', 'anonymous'] : ['private'],
      'mmap flag',
    );
    if (flags.names !== null) {
      if (file !== null && flags.names.includes('anonymous'))
        f.fail('"flags" has "anonymous" but "file" names a file to map');
      if (file === null && !flags.names.includes('anonymous'))
        f.fail('"flags" needs "anonymous" when no "file" is given');
    }
    const expect = f.expect();
    return {
      op: 'mmap',
      at,
      proc: f.label('proc'),
      as: resultLabel(f, expect),
      len: f.bytes('len', { min: 1 }),
      prot: f.prot('prot', mman.PROT_READ | mman.PROT_WRITE),
      flags: flags.bits,
      file,
      fileOffset: f.bytes('file_offset', { min: 0, fallback: 0 }),
      expect,
    };
  },
  munmap: (f, at) => ({ op: 'munmap', at, ...range(f), expect: f.expect() }),
  mprotect: (f, at) => {
    if (!f.has('prot')) f.fail('"prot" is required (protection letters such as "r" or "rw")');
    return { op: 'mprotect', at, ...range(f), prot: f.prot('prot', 0), expect: f.expect() };
  },
  madvise: (f, at) => {
    const v = f.get('advice');
    if (v === undefined)
      f.fail(`"advice" is required (one of ${Object.keys(ADVICE_NAMES).join(', ')})`);
    let advice = -1;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) advice = v;
    else if (
      typeof v === 'string' &&
      Object.hasOwn(ADVICE_NAMES, v.toLowerCase().replace(/^madv_/, ''))
    ) {
      advice = ADVICE_NAMES[v.toLowerCase().replace(/^madv_/, '')] as number;
    } else {
      f.fail(
        `"advice" must be one of ${Object.keys(ADVICE_NAMES).join(', ')} or a number, got ${show(v)}`,
      );
    }
    return { op: 'madvise', at, ...range(f), advice, expect: f.expect() };
  },
  msync: (f, at) => ({
    op: 'msync',
    at,
    ...range(f),
    flags: f.flagList('flags', MSYNC_FLAG_NAMES, ['sync'], 'msync flag').bits,
    expect: f.expect(),
  }),
  brk: (f, at) => {
    const expect = f.expect();
    return {
      op: 'brk',
      at,
      proc: f.label('proc'),
      incr: f.bytes('incr', { min: 1, signed: true }),
      as: resultLabel(f, expect),
      expect,
    };
  },
  touch: (f, at) => ({ op: 'touch', at, ...range(f), stride: stride(f) }),
  read: (f, at) => ({ op: 'read', at, ...range(f), stride: stride(f), value: f.word('value') }),
  write: (f, at) => ({
    op: 'write',
    at,
    ...range(f),
    stride: stride(f),
    value: f.word('value') ?? 0,
  }),
  kmalloc: (f, at) => {
    const expect = f.expect();
    return {
      op: 'kmalloc',
      at,
      size: f.bytes('size', { min: 0 }),
      gfp: f.gfp('gfp'),
      as: resultLabel(f, expect),
      expect,
    };
  },
  kfree: (f, at) => ({ op: 'kfree', at, obj: f.label('obj') }),
  alloc_pages: (f, at) => {
    const expect = f.expect();
    return {
      op: 'alloc_pages',
      at,
      order: f.integer('order', 0, 10, 0),
      gfp: f.gfp('gfp'),
      as: resultLabel(f, expect),
      expect,
    };
  },
  free_pages: (f, at) => ({ op: 'free_pages', at, obj: f.label('obj') }),
  cache_create: (f, at) => {
    const name = f.string('name');
    if (name === '' || /\s/.test(name))
      f.fail(`"name" must be a cache name without spaces, got ${show(name)}`);
    const align = f.has('align') ? f.integer('align', 1, 4096) : null;
    if (align !== null && (align & (align - 1)) !== 0)
      f.fail(`"align" must be a power of two, got ${align}`);
    return {
      op: 'cache_create',
      at,
      name,
      size: f.bytes('size', { min: 1 }),
      align,
      flags: f.flagList('flags', CACHE_FLAG_NAMES, [], 'cache flag').bits,
      as: f.optionalLabel('as') ?? name,
    };
  },
  cache_alloc: (f, at) => {
    const expect = f.expect();
    return {
      op: 'cache_alloc',
      at,
      cache: f.label('cache'),
      gfp: f.gfp('gfp'),
      as: resultLabel(f, expect),
      expect,
    };
  },
  cache_free: (f, at) => ({ op: 'cache_free', at, obj: f.label('obj') }),
  cache_shrink: (f, at) => ({ op: 'cache_shrink', at, cache: f.label('cache') }),
  cache_destroy: (f, at) => ({ op: 'cache_destroy', at, cache: f.label('cache') }),
  kswapd: (_f, at) => ({ op: 'kswapd', at }),
  drain_pages: (_f, at) => ({ op: 'drain_pages', at }),
  check: (_f, at) => ({ op: 'check', at }),
};

/** One op from its JSON value (a line, or an element of a repeat's `ops`). */
export function parseOp(value: unknown, at: OpLocation): TraceOp {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TraceSyntaxError(
      at,
      null,
      `expected a JSON object with an "op" field, got ${show(value)}`,
    );
  }
  const raw = value as Record<string, unknown>;
  const name = raw.op;
  const expected = `expected one of ${OP_NAMES.join(', ')}`;
  if (name === undefined) throw new TraceSyntaxError(at, null, `missing "op" (${expected})`);
  if (typeof name !== 'string' || !(OP_NAMES as readonly string[]).includes(name)) {
    throw new TraceSyntaxError(at, null, `unknown op ${show(name)} (${expected})`);
  }
  const f = new Fields(raw, at, name);
  if (name === 'boot') f.fail('must be the first op of the trace');
  if (name === 'repeat') {
    const times = f.integer('times', 1, MAX_REPEAT);
    const body = f.get('ops');
    if (!Array.isArray(body) || body.length === 0) {
      f.fail(`"ops" must be a non-empty array of ops, got ${show(body)}`);
    }
    f.done();
    const prefix = at.path === '' ? 'repeat' : at.path;
    const ops = (body as unknown[]).map((item, i) =>
      parseOp(item, { ...at, path: `${prefix}.ops[${i}]` }),
    );
    return { op: 'repeat', at, times, ops };
  }
  const op = PARSERS[name as Exclude<OpName, 'repeat'>](f, at);
  f.done();
  if (at.path === '' && labelsOf(op).some(isTemplate)) {
    f.fail(
      '"{i}" in a label stands for the iteration of the enclosing repeat, but this op is not in one',
    );
  }
  return op;
}
