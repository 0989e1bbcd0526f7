/**
 * The second pass over a parsed trace: every label an op uses was
 * defined by an earlier op, is of the right kind (a process, a mapping,
 * a kmalloc object, a cache object, a page block, a cache), and is still
 * alive (not exited, freed or destroyed); a range lies inside its
 * mapping, and a mapping used without `proc` still has its process.
 *
 * `LabelChecker` walks the ops in order with a table from each resolved
 * label to what defined it (`LabelInfo`); an op that ends a label's life
 * marks it dead with the line and the reason, for later messages. A
 * `repeat` body is walked again for later iterations: once per iteration
 * when its labels use `{i}` (each iteration defines its own), otherwise
 * twice, so what one iteration leaves behind is checked against the next.
 * Errors are `TraceSyntaxError`s, suffixed with the iteration when it is
 * not the first.
 */
import { TraceSyntaxError } from './errors.js';
import { isTemplate, labelsOf, resolveLabel } from './labels.js';
import type { TraceOp } from './ops.js';

function sizeText(bytes: number): string {
  return `${bytes} bytes`;
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
export class LabelChecker {
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
