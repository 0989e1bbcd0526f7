/**
 * The ops of a workload trace, as the parser hands them to the replayer:
 * every field checked and every default filled in, except a range's
 * length, which defaults to the rest of the mapping as it is when the op
 * runs. docs/trace-format.md is the user's manual of the same.
 */
import type { BootOptions } from '../../boot-options.js';
import type { OpLocation } from '../errors.js';

/** A trace's expectation of a call that can fail: `'ok'`, or the errno name it must fail with. */
export type Expect = 'ok' | string;

/** The value a `read` checks or a `write` stores: a 32-bit number, or each step's index. */
export type WordValue = number | 'index';

interface Base {
  /** Where the op is in the file. */
  readonly at: OpLocation;
}

/** A range of a labelled mapping. */
interface RangeOp extends Base {
  /** The mapping's label. */
  readonly map: string;
  /** The process whose address space is used (default: the one that made the mapping). */
  readonly proc: string | null;
  /** Bytes from the mapping's start. */
  readonly offset: number;
  /** Bytes, or null for the rest of the mapping. */
  readonly len: number | null;
}

/** One op of a trace. */
export type TraceOp =
  | (Base & { readonly op: 'spawn'; readonly as: string; readonly name: string })
  | (Base & {
      readonly op: 'fork';
      readonly proc: string;
      readonly as: string;
      readonly expect: Expect;
    })
  | (Base & { readonly op: 'exit'; readonly proc: string })
  | (Base & { readonly op: 'oom_score_adj'; readonly proc: string; readonly value: number })
  | (Base & {
      readonly op: 'write_file';
      readonly path: string;
      readonly size: number;
      readonly text: string;
    })
  | (Base & {
      readonly op: 'mmap';
      readonly proc: string;
      readonly as: string | null;
      readonly len: number;
      readonly prot: number;
      readonly flags: number;
      readonly file: string | null;
      readonly fileOffset: number;
      readonly expect: Expect;
    })
  | (RangeOp & { readonly op: 'munmap'; readonly expect: Expect })
  | (RangeOp & { readonly op: 'mprotect'; readonly prot: number; readonly expect: Expect })
  | (RangeOp & { readonly op: 'madvise'; readonly advice: number; readonly expect: Expect })
  | (RangeOp & { readonly op: 'msync'; readonly flags: number; readonly expect: Expect })
  | (Base & {
      readonly op: 'brk';
      readonly proc: string;
      readonly incr: number;
      readonly as: string | null;
      readonly expect: Expect;
    })
  | (RangeOp & { readonly op: 'touch'; readonly stride: number })
  | (RangeOp & { readonly op: 'read'; readonly stride: number; readonly value: WordValue | null })
  | (RangeOp & { readonly op: 'write'; readonly stride: number; readonly value: WordValue })
  | (Base & {
      readonly op: 'kmalloc';
      readonly size: number;
      readonly gfp: number;
      readonly as: string | null;
      readonly expect: Expect;
    })
  | (Base & { readonly op: 'kfree'; readonly obj: string })
  | (Base & {
      readonly op: 'alloc_pages';
      readonly order: number;
      readonly gfp: number;
      readonly as: string | null;
      readonly expect: Expect;
    })
  | (Base & { readonly op: 'free_pages'; readonly obj: string })
  | (Base & {
      readonly op: 'cache_create';
      readonly name: string;
      readonly size: number;
      readonly align: number | null;
      readonly flags: number;
      readonly as: string;
    })
  | (Base & {
      readonly op: 'cache_alloc';
      readonly cache: string;
      readonly gfp: number;
      readonly as: string | null;
      readonly expect: Expect;
    })
  | (Base & { readonly op: 'cache_free'; readonly obj: string })
  | (Base & { readonly op: 'cache_shrink'; readonly cache: string })
  | (Base & { readonly op: 'cache_destroy'; readonly cache: string })
  | (Base & { readonly op: 'kswapd' })
  | (Base & { readonly op: 'drain_pages' })
  | (Base & { readonly op: 'check' })
  | (Base & { readonly op: 'repeat'; readonly times: number; readonly ops: readonly TraceOp[] });

/** The name of an op. */
export type OpName = TraceOp['op'];

/** A parsed trace. */
export interface Trace {
  /** The file as named on the command line. */
  readonly file: string;
  /** Lines in the file. */
  readonly lines: number;
  /** The `boot` op's options (empty without one), and its line. */
  readonly boot: BootOptions;
  readonly bootLine: number | null;
  /** The ops after `boot`, in order. */
  readonly ops: readonly TraceOp[];
  /** Ops a replay runs: repeat bodies counted once per iteration, repeats themselves not. */
  readonly opCount: number;
}
