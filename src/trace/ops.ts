/**
 * The ops of a workload trace, as the parser hands them to the replayer:
 * every field checked and every default filled in, except a range's
 * length, which defaults to the rest of the mapping as it is when the op
 * runs. docs/trace-format.md is the user's manual of the same.
 */
import type { BootOptions } from '../boot-options.js';
import type { OpLocation } from './errors.js';

/** A trace's expectation of a call that can fail: `'ok'`, or the errno name it must fail with. */
export type Expect = 'ok' | string;

/** The value a `read` checks or a `write` stores: a 32-bit number, or each step's index. */
export type WordValue = number | 'index';

/** What every op has: where it is in the trace. */
export interface TraceOpBase {
  /** Where the op is in the trace (its line, and its place inside repeats). */
  readonly at: OpLocation;
}

/** What every range op has (`munmap`, `mprotect`, `touch`, ...): a range of a labelled mapping. */
export interface TraceRangeOp extends TraceOpBase {
  /** The mapping's label. */
  readonly map: string;
  /** The process whose address space is used (default: the one that made the mapping). */
  readonly proc: string | null;
  /** Bytes from the mapping's start. */
  readonly offset: number;
  /** Bytes, or null for the rest of the mapping. */
  readonly len: number | null;
}

/**
 * One op of a trace, told apart by `op`. Labels are the trace's names for
 * what ops make (`"as"`) and use; inside a `repeat` they may hold `{i}`,
 * resolved per iteration when the op runs. docs/trace-format.md describes
 * each op.
 */
export type TraceOp =
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'spawn';
      /** The new process's label. */
      readonly as: string;
      /** Its name (`comm`); the label when the trace gives none. */
      readonly name: string;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'fork';
      /** The parent's label. */
      readonly proc: string;
      /** The child's label (`''` when a fork expected to fail names none). */
      readonly as: string;
      /** `'ok'`, or the errno the fork must fail with. */
      readonly expect: Expect;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'exit';
      /** The label of the process that exits. */
      readonly proc: string;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'oom_score_adj';
      /** The process's label. */
      readonly proc: string;
      /** The new `oom_score_adj`, -1000..1000. */
      readonly value: number;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'write_file';
      /** The file's absolute path in the machine's file system. */
      readonly path: string;
      /** Its length in bytes. */
      readonly size: number;
      /** The text the file repeats until it is `size` bytes long. */
      readonly text: string;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'mmap';
      /** The label of the process that maps. */
      readonly proc: string;
      /** The mapping's label, or null for none. */
      readonly as: string | null;
      /** Bytes to map. */
      readonly len: number;
      /** `PROT_*` bits. */
      readonly prot: number;
      /** `MAP_*` bits (`MAP_ANONYMOUS` is added when `file` is null). */
      readonly flags: number;
      /** The path of the file to map, or null for anonymous memory. */
      readonly file: string | null;
      /** Offset in the file, in bytes. */
      readonly fileOffset: number;
      /** `'ok'`, or the errno the mmap (or the open of `file`) must fail with. */
      readonly expect: Expect;
    })
  | (TraceRangeOp & {
      /** The op's name. */
      readonly op: 'munmap';
      /** `'ok'`, or the errno munmap must fail with. */
      readonly expect: Expect;
    })
  | (TraceRangeOp & {
      /** The op's name. */
      readonly op: 'mprotect';
      /** The new `PROT_*` bits. */
      readonly prot: number;
      /** `'ok'`, or the errno mprotect must fail with. */
      readonly expect: Expect;
    })
  | (TraceRangeOp & {
      /** The op's name. */
      readonly op: 'madvise';
      /** The `MADV_*` advice. */
      readonly advice: number;
      /** `'ok'`, or the errno madvise must fail with. */
      readonly expect: Expect;
    })
  | (TraceRangeOp & {
      /** The op's name. */
      readonly op: 'msync';
      /** `MS_*` bits. */
      readonly flags: number;
      /** `'ok'`, or the errno msync must fail with. */
      readonly expect: Expect;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'brk';
      /** The label of the process whose break moves. */
      readonly proc: string;
      /** Bytes to move the break by (negative: shrink). */
      readonly incr: number;
      /** A label for the new part of the heap (a mapping), or null. */
      readonly as: string | null;
      /** `'ok'`, or the errno brk must fail with (`ENOMEM` when the break does not move). */
      readonly expect: Expect;
    })
  | (TraceRangeOp & {
      /** The op's name. */
      readonly op: 'touch';
      /** Bytes between accesses; 0 for one a page. */
      readonly stride: number;
    })
  | (TraceRangeOp & {
      /** The op's name. */
      readonly op: 'read';
      /** Bytes between 32-bit reads; 0 for one a page. */
      readonly stride: number;
      /** The word each read must find, or null to check nothing. */
      readonly value: WordValue | null;
    })
  | (TraceRangeOp & {
      /** The op's name. */
      readonly op: 'write';
      /** Bytes between 32-bit writes; 0 for one a page. */
      readonly stride: number;
      /** The word each write stores. */
      readonly value: WordValue;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'kmalloc';
      /** Bytes to allocate. */
      readonly size: number;
      /** The GFP mask. */
      readonly gfp: number;
      /** The object's label, or null. */
      readonly as: string | null;
      /** `'ok'`, or `'ENOMEM'` when the allocation must return NULL. */
      readonly expect: Expect;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'kfree';
      /** The label of the kmalloc object to free. */
      readonly obj: string;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'alloc_pages';
      /** The block's order, 0..10. */
      readonly order: number;
      /** The GFP mask. */
      readonly gfp: number;
      /** The block's label, or null. */
      readonly as: string | null;
      /** `'ok'`, or `'ENOMEM'` when the allocation must fail. */
      readonly expect: Expect;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'free_pages';
      /** The label of the page block to free. */
      readonly obj: string;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'cache_create';
      /** The cache's name, as /proc/slabinfo shows it. */
      readonly name: string;
      /** Object size in bytes. */
      readonly size: number;
      /** Alignment in bytes (a power of two), or null for the default. */
      readonly align: number | null;
      /** `SLAB_*` bits. */
      readonly flags: number;
      /** The cache's label (its name when the trace gives none). */
      readonly as: string;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'cache_alloc';
      /** The cache's label. */
      readonly cache: string;
      /** The GFP mask. */
      readonly gfp: number;
      /** The object's label, or null. */
      readonly as: string | null;
      /** `'ok'`, or `'ENOMEM'` when the allocation must return NULL. */
      readonly expect: Expect;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'cache_free';
      /** The label of the cache object to free. */
      readonly obj: string;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'cache_shrink';
      /** The cache's label. */
      readonly cache: string;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'cache_destroy';
      /** The cache's label. */
      readonly cache: string;
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'kswapd';
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'drain_pages';
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'check';
    })
  | (TraceOpBase & {
      /** The op's name. */
      readonly op: 'repeat';
      /** Iterations, 1..`MAX_REPEAT`. */
      readonly times: number;
      /** The body, run once per iteration. */
      readonly ops: readonly TraceOp[];
    });

/** The name of an op. */
export type OpName = TraceOp['op'];

/** A parsed trace. */
export interface Trace {
  /** The trace's name, as given to `parseTrace` (a file name, `<stdin>`, ...). */
  readonly file: string;
  /** Lines in the trace, blank lines and comments included. */
  readonly lines: number;
  /** The `boot` op's options (empty without one). */
  readonly boot: BootOptions;
  /** The `boot` op's line, or null without one. */
  readonly bootLine: number | null;
  /** The ops after `boot`, in order. */
  readonly ops: readonly TraceOp[];
  /** Ops a replay runs: repeat bodies counted once per iteration, repeats themselves not. */
  readonly opCount: number;
}
