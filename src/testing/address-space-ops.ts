/**
 * Arbitraries of address-space operations: plain data describing one
 * memory system call or access of one of a few processes (`mmap`,
 * `munmap`, `mprotect`, `madvise(MADV_DONTNEED)`, `brk`, a load or a
 * store, `fork`, `exit`). Ranges are given relative to what is mapped
 * (`pick` chooses a mapped page, modulo how many there are), so that most
 * operations hit memory the process has. `processMemoryCommands` turns them
 * into model-based commands; a test of your own may interpret them
 * directly (`fc.array(addressSpaceOp())`).
 */
import fc from 'fast-check';
import { PROT_NONE, PROT_READ, PROT_WRITE } from '../vm/mman.js';

/**
 * One operation on a process's memory. `proc` picks the process and
 * `pick` a mapped page (each modulo how many there are).
 */
export type AddressSpaceOp =
  | {
      /** `mmap` of anonymous memory. */
      readonly op: 'mmap';
      /** Which process. */
      readonly proc: number;
      /** Pages to map. */
      readonly pages: number;
      /** Protection (`PROT_*`). */
      readonly prot: number;
      /** `MAP_SHARED` rather than `MAP_PRIVATE`. */
      readonly shared: boolean;
    }
  | {
      /** `munmap` from a mapped page (stopping before the brk heap). */
      readonly op: 'munmap';
      /** Which process. */
      readonly proc: number;
      /** Which mapped page it starts at. */
      readonly pick: number;
      /** Pages to unmap. */
      readonly pages: number;
    }
  | {
      /** `mprotect` from a mapped page. */
      readonly op: 'mprotect';
      /** Which process. */
      readonly proc: number;
      /** Which mapped page it starts at. */
      readonly pick: number;
      /** Pages to change. */
      readonly pages: number;
      /** The new protection. */
      readonly prot: number;
    }
  | {
      /** `madvise(MADV_DONTNEED)` of one mapped page. */
      readonly op: 'madvise';
      /** Which process. */
      readonly proc: number;
      /** Which mapped page. */
      readonly pick: number;
    }
  | {
      /** `brk`, moving the break by `delta` pages. */
      readonly op: 'brk';
      /** Which process. */
      readonly proc: number;
      /** Pages to grow (or, negative, to shrink) the heap by. */
      readonly delta: number;
    }
  | {
      /** A one-byte load. */
      readonly op: 'load';
      /** Which process. */
      readonly proc: number;
      /** Which mapped page. */
      readonly pick: number;
      /** The offset in the page. */
      readonly offset: number;
      /** Load far from anything mapped instead (a `SIGSEGV`). */
      readonly stray: boolean;
    }
  | {
      /** A one-byte store. */
      readonly op: 'store';
      /** Which process. */
      readonly proc: number;
      /** Which mapped page. */
      readonly pick: number;
      /** The offset in the page. */
      readonly offset: number;
      /** The byte stored. */
      readonly value: number;
      /** Store far from anything mapped instead (a `SIGSEGV`). */
      readonly stray: boolean;
    }
  | {
      /** `fork` (copy on write). */
      readonly op: 'fork';
      /** Which process. */
      readonly proc: number;
    }
  | {
      /** `exit` (never of the last process). */
      readonly op: 'exit';
      /** Which process. */
      readonly proc: number;
    };

/** The name of an {@link AddressSpaceOp}. */
export type AddressSpaceOpName = AddressSpaceOp['op'];

/** Options of {@link addressSpaceOp}. */
export interface AddressSpaceOpOptions {
  /** Offsets within a page go up to `pageSize - 1` (default 4096). */
  readonly pageSize?: number;
  /** The largest mapping, in pages (default 6). */
  readonly maxPages?: number;
  /** Relative weights of the operations (default: stores twice as likely as the rest). */
  readonly weights?: Partial<Readonly<Record<AddressSpaceOpName, number>>>;
}

const DEFAULT_WEIGHTS: Readonly<Record<AddressSpaceOpName, number>> = {
  mmap: 1,
  munmap: 1,
  mprotect: 1,
  madvise: 1,
  brk: 1,
  load: 1,
  store: 2,
  fork: 1,
  exit: 1,
};

/** The protections operations use: read-write, read-only and none. */
export const OP_PROTECTIONS: readonly number[] = [PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE];

/**
 * One address-space operation.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.array(addressSpaceOp(), { maxLength: 30 }), (ops) => {
 *   for (const op of ops) apply(op); // your interpretation
 * }));
 * ```
 */
export function addressSpaceOp(options: AddressSpaceOpOptions = {}): fc.Arbitrary<AddressSpaceOp> {
  const pageSize = options.pageSize ?? 4096;
  const maxPages = options.maxPages ?? 6;
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const proc = fc.nat({ max: 7 });
  const prot = fc.constantFrom(...OP_PROTECTIONS);
  const offset = fc.nat({ max: pageSize - 1 });
  const byOp: Record<AddressSpaceOpName, fc.Arbitrary<AddressSpaceOp>> = {
    mmap: fc.record({
      op: fc.constant('mmap' as const),
      proc,
      pages: fc.integer({ min: 1, max: maxPages }),
      prot,
      shared: fc.boolean(),
    }),
    munmap: fc.record({
      op: fc.constant('munmap' as const),
      proc,
      pick: fc.nat(),
      pages: fc.integer({ min: 1, max: Math.max(1, maxPages - 2) }),
    }),
    mprotect: fc.record({
      op: fc.constant('mprotect' as const),
      proc,
      pick: fc.nat(),
      pages: fc.integer({ min: 1, max: Math.max(1, maxPages - 3) }),
      prot,
    }),
    madvise: fc.record({ op: fc.constant('madvise' as const), proc, pick: fc.nat() }),
    brk: fc.record({
      op: fc.constant('brk' as const),
      proc,
      delta: fc.integer({ min: -3, max: 4 }),
    }),
    load: fc.record({
      op: fc.constant('load' as const),
      proc,
      pick: fc.nat(),
      offset,
      stray: fc.boolean(),
    }),
    store: fc.record({
      op: fc.constant('store' as const),
      proc,
      pick: fc.nat(),
      offset,
      value: fc.nat({ max: 255 }),
      stray: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
    }),
    fork: fc.record({ op: fc.constant('fork' as const), proc }),
    exit: fc.record({ op: fc.constant('exit' as const), proc }),
  };
  const weighted = (Object.keys(byOp) as AddressSpaceOpName[])
    .filter((name) => weights[name] > 0)
    .map((name) => ({ weight: weights[name], arbitrary: byOp[name] }));
  return fc.oneof(...weighted);
}

/**
 * A sequence of address-space operations.
 *
 * @example
 * ```ts
 * fc.sample(addressSpaceOps({ maxLength: 3 }), 1); // e.g. [[{ op: 'mmap', proc: 0, ... }, ...]]
 * ```
 */
export function addressSpaceOps(
  options: AddressSpaceOpOptions & { readonly maxLength?: number } = {},
): fc.Arbitrary<AddressSpaceOp[]> {
  return fc.array(addressSpaceOp(options), { maxLength: options.maxLength ?? 40 });
}
