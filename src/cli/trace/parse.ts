/**
 * Parsing a workload trace: JSON lines in, checked ops out, or a
 * `TraceSyntaxError` naming the line, the op and what was expected.
 *
 * Two passes, both before anything runs:
 *
 * 1. Each line on its own (`parseOp`): JSON, a known op, known fields of
 *    the right types, defaults filled in. A field helper (`Fields`)
 *    records which fields the op reads, so an unknown field is reported
 *    with the list of fields the op takes.
 * 2. Labels across lines (`LabelChecker`): every label an op uses was
 *    defined by an earlier op, is of the right kind (a process, a
 *    mapping, ...), and is still alive (not exited, freed or destroyed);
 *    ranges lie inside their mapping. A `repeat` body is checked twice,
 *    so that what one iteration leaves behind is checked against the next.
 *
 * What only running can tell (a system call's result, the OOM killer) is
 * the replayer's business.
 */
import { type BootOptions, parseBootOptions } from '../../boot-options.js';
import * as gfpFlags from '../../gfp/flags.js';
import { checkGfp } from '../../gfp/zone.js';
import { Errno } from '../../page/errno.js';
import { KernelBug, KernelError } from '../../page/errors.js';
import * as slabFlags from '../../slab/slab-flags.js';
import * as mman from '../../vm/mman.js';
import { MADV_POPULATE_READ, MADV_POPULATE_WRITE } from '../../vm/syscalls/madvise.js';
import { type OpLocation, TraceSyntaxError } from '../errors.js';
import type { Expect, OpName, Trace, TraceOp, WordValue } from './ops.js';

/** The most iterations one `repeat` may have. */
export const MAX_REPEAT = 1_000_000;
/** The most ops a whole trace may run (repeats expanded). */
export const MAX_TRACE_OPS = 100_000_000;

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

const MAP_FLAG_NAMES: Readonly<Record<string, number>> = {
  private: mman.MAP_PRIVATE,
  shared: mman.MAP_SHARED,
  shared_validate: mman.MAP_SHARED_VALIDATE,
  anonymous: mman.MAP_ANONYMOUS,
  populate: mman.MAP_POPULATE,
  noreserve: mman.MAP_NORESERVE,
  locked: mman.MAP_LOCKED,
  growsdown: mman.MAP_GROWSDOWN,
  stack: mman.MAP_STACK,
  nonblock: mman.MAP_NONBLOCK,
};

const ADVICE_NAMES: Readonly<Record<string, number>> = {
  normal: mman.MADV_NORMAL,
  random: mman.MADV_RANDOM,
  sequential: mman.MADV_SEQUENTIAL,
  willneed: mman.MADV_WILLNEED,
  dontneed: mman.MADV_DONTNEED,
  free: mman.MADV_FREE,
  remove: mman.MADV_REMOVE,
  dontfork: mman.MADV_DONTFORK,
  dofork: mman.MADV_DOFORK,
  cold: mman.MADV_COLD,
  pageout: mman.MADV_PAGEOUT,
  populate_read: MADV_POPULATE_READ,
  populate_write: MADV_POPULATE_WRITE,
};

const MSYNC_FLAG_NAMES: Readonly<Record<string, number>> = {
  sync: mman.MS_SYNC,
  async: mman.MS_ASYNC,
  invalidate: mman.MS_INVALIDATE,
};

const CACHE_FLAG_NAMES: Readonly<Record<string, number>> = {
  hwcache_align: slabFlags.SLAB_HWCACHE_ALIGN,
  poison: slabFlags.SLAB_POISON,
  red_zone: slabFlags.SLAB_RED_ZONE,
  store_user: slabFlags.SLAB_STORE_USER,
  reclaim_account: slabFlags.SLAB_RECLAIM_ACCOUNT,
  account: slabFlags.SLAB_ACCOUNT,
  cache_dma: slabFlags.SLAB_CACHE_DMA,
  cache_dma32: slabFlags.SLAB_CACHE_DMA32,
  panic: slabFlags.SLAB_PANIC,
};

/** GFP flag and composite names (`GFP_KERNEL`, `__GFP_ZERO`, ...), masks left out. */
const GFP_NAMES: ReadonlyMap<string, number> = new Map(
  Object.entries(gfpFlags).filter(
    (e): e is [string, number] =>
      typeof e[1] === 'number' && /^(__)?GFP_/.test(e[0]) && !e[0].endsWith('_MASK'),
  ),
);

/** A JSON value, shown in a message. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array (${JSON.stringify(value)})`;
  if (value !== null && typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

function sizeText(bytes: number): string {
  return `${bytes} bytes`;
}

/**
 * Reads one op's fields and fails, naming the op and the field, on any
 * bad one; `done` rejects fields the op never read.
 */
class Fields {
  private readonly read = new Set<string>();

  constructor(
    private readonly raw: Readonly<Record<string, unknown>>,
    readonly at: OpLocation,
    readonly op: string,
  ) {}

  fail(detail: string): never {
    throw new TraceSyntaxError(this.at, this.op, detail);
  }

  has(name: string): boolean {
    this.read.add(name);
    return this.raw[name] !== undefined;
  }

  get(name: string): unknown {
    this.read.add(name);
    return this.raw[name];
  }

  private required(name: string, what: string): unknown {
    const v = this.get(name);
    if (v === undefined) this.fail(`"${name}" is required (${what})`);
    return v;
  }

  /** A label: a non-empty string. */
  label(name: string): string {
    const v = this.required(name, 'a label');
    if (typeof v !== 'string' || v === '')
      this.fail(`"${name}" must be a label (a non-empty string), got ${show(v)}`);
    return v;
  }

  optionalLabel(name: string): string | null {
    return this.has(name) ? this.label(name) : null;
  }

  string(name: string, fallback?: string): string {
    const v = fallback === undefined ? this.required(name, 'a string') : this.get(name);
    if (v === undefined) return fallback as string;
    if (typeof v !== 'string') this.fail(`"${name}" must be a string, got ${show(v)}`);
    return v;
  }

  integer(name: string, min: number, max: number, fallback?: number): number {
    const v =
      fallback === undefined
        ? this.required(name, `an integer from ${min} to ${max}`)
        : this.get(name);
    if (v === undefined) return fallback as number;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(`"${name}" must be an integer from ${min} to ${max}, got ${show(v)}`);
    }
    return v;
  }

  /**
   * A byte count: an integer, or a size string ("64K", "4M"). `min` 1
   * makes it positive; `signed` allows a negative value ("-64K").
   */
  bytes(name: string, options: { min: 0 | 1; signed?: boolean; fallback?: number }): number {
    const { min, signed = false, fallback } = options;
    const v = fallback === undefined ? this.required(name, 'a number of bytes') : this.get(name);
    if (v === undefined) return fallback as number;
    const kind = signed
      ? 'an integer'
      : min === 1
        ? 'a positive integer'
        : 'a non-negative integer';
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || (!signed && v < min) || (signed && v === 0)) {
        this.fail(`"${name}" must be ${signed ? 'a non-zero integer' : kind}, got ${show(v)}`);
      }
      return v;
    }
    if (typeof v === 'string') {
      const m = /^\s*(-?)\s*(0x[0-9a-f]+|\d+)\s*([kmgt]?)(i?b)?\s*$/i.exec(v);
      if (m !== null && (signed || m[1] === '')) {
        const shift = { '': 0, k: 10, m: 20, g: 30, t: 40 }[(m[3] ?? '').toLowerCase()] ?? 0;
        const n = Number(m[2]) * 2 ** shift * (m[1] === '-' ? -1 : 1);
        if (Number.isSafeInteger(n) && (signed ? n !== 0 : n >= min)) return n;
      }
    }
    this.fail(
      `"${name}" must be ${signed ? 'a non-zero integer' : kind} or a size such as "64K", got ${show(v)}`,
    );
  }

  /** `"rw"`, `"r-x"`, `"none"`, or PROT_* bits as a number. */
  prot(name: string, fallback: number): number {
    const v = this.get(name);
    if (v === undefined) return fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 7) return v;
    if (typeof v === 'string') {
      if (v === 'none' || v === '---') return mman.PROT_NONE;
      let prot = 0;
      let ok = v.length > 0;
      for (const c of v) {
        const bit =
          c === 'r'
            ? mman.PROT_READ
            : c === 'w'
              ? mman.PROT_WRITE
              : c === 'x'
                ? mman.PROT_EXEC
                : c === '-'
                  ? 0
                  : -1;
        if (bit < 0 || (bit !== 0 && (prot & bit) !== 0)) ok = false;
        else prot |= bit;
      }
      if (ok) return prot;
    }
    this.fail(
      `"${name}" must be protection letters from "rwx" (e.g. "rw", "r-x", "none") or a number 0..7, got ${show(v)}`,
    );
  }

  /** A list of names from `table` OR-ed together, or a number; `what` names the bits in messages. */
  flagList(
    name: string,
    table: Readonly<Record<string, number>>,
    fallback: readonly string[],
    what: string,
  ): { bits: number; names: readonly string[] | null } {
    let v = this.get(name);
    if (v === undefined) v = fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { bits: v, names: null };
    if (typeof v === 'string') v = [v];
    const expected = Object.keys(table).join(', ');
    if (!Array.isArray(v))
      this.fail(`"${name}" must be a list of ${what} (${expected}) or a number, got ${show(v)}`);
    let bits = 0;
    for (const item of v) {
      const key =
        typeof item === 'string' ? item.toLowerCase().replace(/^(slab_|map_|ms_)/, '') : '';
      const bit = Object.hasOwn(table, key) ? table[key] : undefined;
      if (bit === undefined)
        this.fail(`"${name}": unknown ${what} ${show(item)} (expected ${expected})`);
      bits |= bit;
    }
    return {
      bits,
      names: v.map((x) =>
        String(x)
          .toLowerCase()
          .replace(/^(slab_|map_|ms_)/, ''),
      ),
    };
  }

  /** A GFP mask: `"GFP_KERNEL|__GFP_ZERO"` or a number. */
  gfp(name: string): number {
    const v = this.get(name) ?? 'GFP_KERNEL';
    let gfp = Number.NaN;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) gfp = v;
    if (typeof v === 'string') {
      gfp = 0;
      for (const part of v.split('|')) {
        const bits = GFP_NAMES.get(part.trim());
        if (bits === undefined)
          this.fail(
            `"${name}": unknown GFP flag ${JSON.stringify(part.trim())} (expected names such as GFP_KERNEL, GFP_ATOMIC, __GFP_ZERO, joined with "|")`,
          );
        gfp |= bits;
      }
    }
    if (Number.isNaN(gfp))
      this.fail(
        `"${name}" must be GFP flags such as "GFP_KERNEL|__GFP_ZERO" or a number, got ${show(v)}`,
      );
    try {
      checkGfp(this.op, gfp);
    } catch (e) {
      if (e instanceof KernelBug) this.fail(`"${name}": ${e.message.replace(`${this.op}: `, '')}`);
      throw e;
    }
    return gfp;
  }

  /** `"ok"` (the default) or an errno name the call must fail with. */
  expect(): Expect {
    const v = this.get('expect');
    if (v === undefined || v === 'ok') return 'ok';
    if (typeof v === 'string' && Object.hasOwn(Errno, v)) return v;
    this.fail(
      `"expect" must be "ok" or an errno name such as "ENOMEM" or "EINVAL", got ${show(v)}`,
    );
  }

  /** A 32-bit word, or `"index"`. */
  word(name: string): WordValue | null {
    const v = this.get(name);
    if (v === undefined) return null;
    if (v === 'index') return 'index';
    if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32)
      return v >>> 0;
    this.fail(`"${name}" must be a 32-bit integer or "index", got ${show(v)}`);
  }

  /** Rejects fields the op did not read. */
  done(): void {
    for (const key of Object.keys(this.raw)) {
      if (key === 'op' || this.read.has(key)) continue;
      const known = [...this.read];
      this.fail(
        `unknown field ${JSON.stringify(key)} (${known.length === 0 ? 'it takes no fields' : `expected ${known.join(', ')}`})`,
      );
    }
  }
}

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
function parseOp(value: unknown, at: OpLocation): TraceOp {
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

/** The `boot` op's options, checked by the kernel's own validation. */
function parseBoot(raw: Record<string, unknown>, at: OpLocation): BootOptions {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'op') continue;
    // "swap": "64M" is short for "swap": { "size": "64M" }.
    options[key] =
      key === 'swap' && (typeof value === 'string' || typeof value === 'number')
        ? { size: value }
        : value;
  }
  try {
    parseBootOptions(options as BootOptions);
  } catch (e) {
    if (e instanceof KernelError)
      throw new TraceSyntaxError(at, 'boot', e.message.replace(/^(E[A-Z]+: )?Kernel\.boot: /, ''));
    throw e;
  }
  return options as BootOptions;
}

/** Whether a label uses the iteration placeholder `{i}`. */
function isTemplate(label: string): boolean {
  return label.includes('{i}');
}

/** `label` with `{i}` replaced by `iteration` (unchanged outside a repeat). */
export function resolveLabel(label: string, iteration: number | undefined): string {
  return iteration === undefined || !isTemplate(label)
    ? label
    : label.replaceAll('{i}', String(iteration));
}

/** The labels an op names (what it defines and what it uses); none for a repeat. */
export function labelsOf(op: TraceOp): string[] {
  const labels: string[] = [];
  for (const key of ['as', 'proc', 'map', 'obj', 'cache'] as const) {
    const v = (op as unknown as Record<string, unknown>)[key];
    if (typeof v === 'string' && v !== '') labels.push(v);
  }
  if (op.op === 'spawn') labels.push(op.name);
  return labels;
}

type LabelKind = 'process' | 'mapping' | 'kmalloc' | 'object' | 'pages' | 'cache';

const KIND_NAMES: Readonly<Record<LabelKind, string>> = {
  process: 'a process',
  mapping: 'a mapping',
  kmalloc: 'a kmalloc object',
  object: 'a cache object',
  pages: 'a page block',
  cache: 'a cache',
};

interface LabelInfo {
  readonly kind: LabelKind;
  readonly line: number;
  /** Why and where it can no longer be used. */
  dead: string | null;
  /** A mapping's length in bytes. */
  readonly len?: number;
  /** A mapping's process. */
  readonly owner?: LabelInfo;
  readonly ownerLabel?: string;
}

/** The second pass: labels defined before use, of the right kind, alive; ranges inside mappings. */
class LabelChecker {
  private readonly labels = new Map<string, LabelInfo>();
  /** Set while checking a repeat body's later iterations, for messages. */
  private iteration = '';
  /** The iteration of each enclosing repeat, innermost last. */
  private readonly iterations: number[] = [];

  /** `label` with `{i}` replaced by the innermost repeat's iteration. */
  private resolve(label: string): string {
    return resolveLabel(label, this.iterations.at(-1));
  }

  private fail(op: TraceOp, detail: string): never {
    throw new TraceSyntaxError(op.at, op.op, `${detail}${this.iteration}`);
  }

  private use(op: TraceOp, field: string, template: string, kind: LabelKind): LabelInfo {
    const label = this.resolve(template);
    const info = this.labels.get(label);
    if (info === undefined)
      this.fail(
        op,
        `"${field}": no ${KIND_NAMES[kind].replace(/^an? /, '')} "${label}" is defined before this line`,
      );
    if (info.kind !== kind)
      this.fail(
        op,
        `"${field}": "${label}" is ${KIND_NAMES[info.kind]} (line ${info.line}), not ${KIND_NAMES[kind]}`,
      );
    if (info.dead !== null)
      this.fail(op, `"${field}": ${KIND_NAMES[kind].replace(/^an? /, '')} "${label}" ${info.dead}`);
    return info;
  }

  private define(label: string | null, info: LabelInfo): void {
    if (label !== null && label !== '') this.labels.set(this.resolve(label), info);
  }

  private checkRange(
    op: TraceOp & { map: string; proc: string | null; offset: number; len: number | null },
  ): void {
    const m = this.use(op, 'map', op.map, 'mapping');
    if (op.proc !== null) this.use(op, 'proc', op.proc, 'process');
    else if (m.owner !== undefined && m.owner.dead !== null) {
      this.fail(
        op,
        `"map": mapping "${this.resolve(op.map)}" belongs to process "${m.ownerLabel}", which ${m.owner.dead}; name a process that shares it in "proc"`,
      );
    }
    const len = m.len ?? 0;
    if (op.offset >= len)
      this.fail(
        op,
        `"offset" ${op.offset} is not inside mapping "${this.resolve(op.map)}" (${sizeText(len)}, line ${m.line})`,
      );
    if (op.len !== null && op.offset + op.len > len) {
      this.fail(
        op,
        `offset ${op.offset} + len ${op.len} is past the end of mapping "${this.resolve(op.map)}" (${sizeText(len)}, line ${m.line})`,
      );
    }
  }

  check(op: TraceOp): void {
    const line = op.at.line;
    switch (op.op) {
      case 'spawn':
        this.define(op.as, { kind: 'process', line, dead: null });
        return;
      case 'fork':
        this.use(op, 'proc', op.proc, 'process');
        this.define(op.as, { kind: 'process', line, dead: null });
        return;
      case 'exit':
        this.use(op, 'proc', op.proc, 'process').dead = `exited at line ${line}`;
        return;
      case 'oom_score_adj':
        this.use(op, 'proc', op.proc, 'process');
        return;
      case 'mmap':
      case 'brk': {
        const owner = this.use(op, 'proc', op.proc, 'process');
        const len = op.op === 'mmap' ? op.len : op.incr;
        if (op.op === 'brk' && op.as !== null && op.incr < 0)
          this.fail(op, '"as" names the new part of the heap, so "incr" must be positive');
        this.define(op.as, {
          kind: 'mapping',
          line,
          dead: null,
          len,
          owner,
          ownerLabel: this.resolve(op.proc),
        });
        return;
      }
      case 'munmap':
      case 'mprotect':
      case 'madvise':
      case 'msync':
      case 'touch':
      case 'read':
      case 'write':
        this.checkRange(op);
        return;
      case 'kmalloc':
        this.define(op.as, { kind: 'kmalloc', line, dead: null });
        return;
      case 'alloc_pages':
        this.define(op.as, { kind: 'pages', line, dead: null });
        return;
      case 'kfree':
        this.use(op, 'obj', op.obj, 'kmalloc').dead = `was freed at line ${line}`;
        return;
      case 'free_pages':
        this.use(op, 'obj', op.obj, 'pages').dead = `was freed at line ${line}`;
        return;
      case 'cache_create':
        this.define(op.as, { kind: 'cache', line, dead: null });
        return;
      case 'cache_alloc':
        this.use(op, 'cache', op.cache, 'cache');
        this.define(op.as, { kind: 'object', line, dead: null });
        return;
      case 'cache_free':
        this.use(op, 'obj', op.obj, 'object').dead = `was freed at line ${line}`;
        return;
      case 'cache_shrink':
        this.use(op, 'cache', op.cache, 'cache');
        return;
      case 'cache_destroy':
        this.use(op, 'cache', op.cache, 'cache').dead = `was destroyed at line ${line}`;
        return;
      case 'repeat': {
        // A body whose labels use {i} is checked iteration by iteration (each defines its own
        // labels); any other body twice, which shows what one iteration leaves the next.
        const templated = op.ops.some((inner) => labelsOf(inner).some(isTemplate));
        const passes = templated ? op.times : Math.min(op.times, 2);
        const outer = this.iteration;
        for (let i = 0; i < passes; i++) {
          if (i > 0) {
            this.iteration = templated
              ? ` (on iteration ${i} of the repeat at line ${line})`
              : ` (on the second iteration of the repeat at line ${line})`;
          }
          this.iterations.push(i);
          for (const inner of op.ops) this.check(inner);
          this.iterations.pop();
        }
        this.iteration = outer;
        return;
      }
      case 'write_file':
      case 'kswapd':
      case 'drain_pages':
      case 'check':
        return;
    }
  }
}

function countOps(ops: readonly TraceOp[]): number {
  let n = 0;
  for (const op of ops) n += op.op === 'repeat' ? op.times * countOps(op.ops) : 1;
  return n;
}

/**
 * Parses a trace. Blank lines and lines starting with `#` are ignored.
 *
 * @param text - the file's contents
 * @param file - its name, for messages (`file:line: op: ...`)
 * @throws TraceSyntaxError for the first problem found
 */
export function parseTrace(text: string, file: string): Trace {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const ops: TraceOp[] = [];
  let boot: BootOptions = {};
  let bootLine: number | null = null;
  let first = true;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at: OpLocation = { file, line: i + 1, path: '' };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new TraceSyntaxError(at, null, `invalid JSON: ${(e as Error).message}`);
    }
    const isBoot =
      value !== null && typeof value === 'object' && (value as { op?: unknown }).op === 'boot';
    if (isBoot && first) {
      boot = parseBoot(value as Record<string, unknown>, at);
      bootLine = i + 1;
    } else {
      ops.push(parseOp(value, at));
    }
    first = false;
  });
  const checker = new LabelChecker();
  for (const op of ops) checker.check(op);
  const opCount = countOps(ops);
  if (opCount > MAX_TRACE_OPS) {
    throw new TraceSyntaxError(
      { file, line: lines.length, path: '' },
      null,
      `the trace runs ${opCount} ops, more than the ${MAX_TRACE_OPS} allowed`,
    );
  }
  return { file, lines: lines.length, boot, bootLine, ops, opCount };
}
