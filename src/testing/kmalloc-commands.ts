/**
 * Model-based commands for kmalloc: `kmalloc`, `kzalloc` and `kcalloc`
 * of sizes from 0 to beyond `KMALLOC_MAX_SIZE`, `kfree` (and a second
 * `kfree`, which must be refused), `krealloc` to any size, and the misuse
 * kmalloc must refuse, changing nothing: an interior pointer, a page from
 * the page allocator, a user-space address, an invalid size or gfp mask.
 *
 * Each allocation is checked against the model: `kmalloc(0)` is
 * `ZERO_SIZE_PTR` (which `ksize` and `kfree` accept), a size above
 * `KMALLOC_MAX_SIZE` gives `null`, otherwise `ksize` is at least the size,
 * power-of-two sizes are naturally aligned (up to a page) and the rest to
 * 8 bytes, no live object overlaps its `ksize` bytes, and `__GFP_ZERO`
 * zeroes it. `krealloc` keeps the contents up to the smaller size and
 * leaves the old pointer dead when it moves.
 */
import fc from 'fast-check';
import { __GFP_NOWARN, __GFP_ZERO, GFP_DMA, GFP_KERNEL, type Gfp } from '../gfp/flags.js';
import { showAddress } from '../page/address.js';
import { ZERO_SIZE_PTR } from '../slab/kmalloc-sizes.js';
import { expectRejected, modelAssert, modelEqual } from './assertions.js';
import { allocationGfp, invalidGfp } from './gfp-arbitraries.js';
import { invalidKmallocSize, kmallocLimits, kmallocSize } from './kmalloc-arbitraries.js';
import {
  checkSlab,
  expectNoOverlap,
  expectPattern,
  expectZero,
  misalignment,
  recordObject,
  type SlabCommand,
  type SlabModel,
  type SlabObject,
  type SlabReal,
} from './slab-model.js';
import { kernelState } from './state-snapshot.js';

/** kmalloc's alignment guarantee for `size`: natural for powers of two (up to a page), else 8. */
export function kmallocAlignment(size: number, pageSize: number): number {
  return size > 0 && (size & (size - 1)) === 0 ? Math.min(size, pageSize) : 8;
}

/**
 * Checks a fresh kmalloc result for `size` bytes and records it.
 * `zeroed`: the caller asked for zeroed memory; `aligned`: the natural
 * alignment applies (not to krealloc in place, which keeps the pointer).
 */
function checkKmalloc(
  model: SlabModel,
  real: SlabReal,
  va: number | null,
  size: number,
  what: string,
  zeroed: boolean,
  aligned = true,
): void {
  const { k } = real;
  const { maxSize } = kmallocLimits(k.PAGE_SIZE);
  if (size === 0) {
    modelEqual(va, ZERO_SIZE_PTR, `${what}: the result`);
    modelEqual(k.ksize(ZERO_SIZE_PTR), 0, 'ksize(ZERO_SIZE_PTR)');
    return;
  }
  if (size > maxSize) {
    modelEqual(va, null, `${what} above KMALLOC_MAX_SIZE (${maxSize})`);
    return;
  }
  if (va === null) return; // out of memory is a result
  modelAssert(
    Number.isInteger(va) && va !== ZERO_SIZE_PTR,
    () => `${what} returned ${showAddress(va)}`,
  );
  const ksize = k.ksize(va);
  modelAssert(ksize >= size, () => `${what}: ksize ${ksize} is below the size asked for`);
  const align = aligned ? kmallocAlignment(size, k.PAGE_SIZE) : 8;
  modelEqual(misalignment(va, align), 0, `${what}: ${showAddress(va)} modulo ${align}`);
  expectNoOverlap(model, va, ksize, what);
  if (zeroed) expectZero(k, va, size, what);
  recordObject(model, real, va, size, ksize, null);
}

/** How a {@link KmallocCommand} allocates. */
export type KmallocVia = 'kmalloc' | 'kzalloc' | 'kcalloc';

/** `kmalloc`, `kzalloc` or `kcalloc(n, size / n)` of `size` bytes. */
export class KmallocCommand implements SlabCommand {
  constructor(
    /** Bytes. */
    readonly size: number,
    /** The mask (`__GFP_NOWARN` is added). */
    readonly gfp: Gfp,
    /** Which call. */
    readonly via: KmallocVia,
  ) {}
  /** Always runs. */
  check(): boolean {
    return true;
  }
  /** Allocates and checks. */
  run(model: SlabModel, real: SlabReal): void {
    const { k } = real;
    const gfp = this.gfp | __GFP_NOWARN;
    let va: number | null;
    let size = this.size;
    if (this.via === 'kcalloc') {
      // n elements of size / n bytes (n from 1 to 4): what kcalloc zeroes is n * (size / n).
      const n = 1 + (size % 4);
      const each = Math.floor(size / n);
      size = n * each;
      va = k.kcalloc(n, each, gfp);
    } else {
      va = this.via === 'kzalloc' ? k.kzalloc(size, gfp) : k.kmalloc(size, gfp);
    }
    const zeroed = this.via !== 'kmalloc' || (gfp & __GFP_ZERO) !== 0;
    checkKmalloc(model, real, va, size, `${this}`, zeroed);
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `${this.via}(${this.size}, 0x${this.gfp.toString(16)})`;
  }
}

/** Picks a live kmalloc object. */
function pickKmalloc(model: SlabModel, pick: number): SlabObject | undefined {
  const objects = model.live.filter((o) => o.cache === null);
  return objects.length === 0 ? undefined : objects[pick % objects.length];
}

/** `kfree` of a live kmalloc object, then a second `kfree`, which must be refused. */
export class KfreeCommand implements SlabCommand {
  constructor(
    /** Which object (modulo how many kmalloc objects are live). */
    readonly pick: number,
  ) {}
  /** Needs a live kmalloc object. */
  check(model: Readonly<SlabModel>): boolean {
    return model.live.some((o) => o.cache === null);
  }
  /** Frees twice. */
  run(model: SlabModel, real: SlabReal): void {
    const o = pickKmalloc(model, this.pick) as SlabObject;
    model.live.splice(model.live.indexOf(o), 1);
    real.k.kfree(o.va);
    expectRejected(
      () => real.k.kfree(o.va),
      () => kernelState(real.k),
      `a second kfree of ${showAddress(o.va)}`,
    );
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `kfree(#${this.pick})`;
  }
}

/** `krealloc` of a live kmalloc object to `size` bytes. */
export class KreallocCommand implements SlabCommand {
  constructor(
    /** Which object. */
    readonly pick: number,
    /** The new size. */
    readonly size: number,
  ) {}
  /** Needs a live kmalloc object. */
  check(model: Readonly<SlabModel>): boolean {
    return model.live.some((o) => o.cache === null);
  }
  /** Resizes and checks what was kept. */
  run(model: SlabModel, real: SlabReal): void {
    const { k } = real;
    const o = pickKmalloc(model, this.pick) as SlabObject;
    const result = k.krealloc(o.va, this.size, GFP_KERNEL | __GFP_NOWARN);
    const what = `krealloc(${showAddress(o.va)}, ${this.size})`;
    if (this.size === 0) {
      modelEqual(result, ZERO_SIZE_PTR, what);
      model.live.splice(model.live.indexOf(o), 1);
      expectRejected(
        () => k.kfree(o.va),
        () => kernelState(k),
        `kfree after ${what}`,
      );
    } else if (result !== null) {
      model.live.splice(model.live.indexOf(o), 1);
      const kept = Math.min(o.len, this.size);
      expectPattern(k, result, kept, o.seed, `${what}: the contents kept`);
      if (result !== o.va) {
        expectRejected(
          () => k.kfree(o.va),
          () => kernelState(k),
          `kfree of the old pointer after ${what} moved it`,
        );
      }
      checkKmalloc(model, real, result, this.size, what, false, result !== o.va);
    } else {
      const { maxSize } = kmallocLimits(k.PAGE_SIZE);
      modelAssert(this.size > o.len || this.size > maxSize, () => `${what} failed without growing`);
    }
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `krealloc(#${this.pick}, ${this.size})`;
  }
}

/** Misuse of kmalloc, which must be refused with `KernelBug`, changing nothing. */
export type KmallocMisuse =
  | {
      /** `kfree` and `ksize` of a pointer inside a live object. */
      readonly kind: 'interior';
      /** Which live object. */
      readonly pick: number;
      /** How far inside (modulo the object size). */
      readonly offset: number;
    }
  | {
      /** `kfree` of a page of the page allocator. */
      readonly kind: 'foreign-page';
    }
  | {
      /** `kfree` of a user-space address. */
      readonly kind: 'user-address';
      /** The address. */
      readonly address: number;
    }
  | {
      /** `kmalloc` of an invalid size. */
      readonly kind: 'invalid-size';
      /** The size. */
      readonly size: number;
    }
  | {
      /** `kmalloc` with an invalid gfp mask. */
      readonly kind: 'invalid-gfp';
      /** The mask. */
      readonly gfp: number;
    };

/** One {@link KmallocMisuse}. */
export class KmallocMisuseCommand implements SlabCommand {
  constructor(
    /** What to do wrong. */
    readonly misuse: KmallocMisuse,
  ) {}
  /** Always runs. */
  check(): boolean {
    return true;
  }
  /** Makes the bad call. */
  run(model: SlabModel, real: SlabReal): void {
    const { k } = real;
    const m = this.misuse;
    const state = () => kernelState(k);
    switch (m.kind) {
      case 'interior': {
        const o = pickKmalloc(model, m.pick);
        if (o === undefined) return;
        const offset = 1 + (m.offset % Math.max(1, o.len - 1));
        expectRejected(
          () => k.kfree(o.va + offset),
          state,
          `kfree of ${showAddress(o.va)}+${offset}`,
        );
        expectRejected(
          () => k.ksize(o.va + offset),
          state,
          `ksize of ${showAddress(o.va)}+${offset}`,
        );
        break;
      }
      case 'foreign-page': {
        const pfn = k.allocPages(GFP_KERNEL | __GFP_NOWARN, 0);
        if (pfn === null) return;
        const va = k.pageAddress(pfn) as number;
        try {
          expectRejected(() => k.kfree(va), state, 'kfree of a page from the page allocator');
        } finally {
          k.freePages(pfn, 0);
        }
        break;
      }
      case 'user-address':
        expectRejected(() => k.kfree(m.address), state, `kfree(${m.address})`);
        break;
      case 'invalid-size':
        expectRejected(() => k.kmalloc(m.size, GFP_KERNEL), state, `kmalloc(${m.size})`);
        break;
      case 'invalid-gfp':
        expectRejected(() => k.kmalloc(64, m.gfp), state, `kmalloc(64, ${m.gfp})`);
        break;
    }
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    const m = this.misuse;
    switch (m.kind) {
      case 'interior':
        return `misuse(interior kfree #${m.pick}+${m.offset})`;
      case 'foreign-page':
        return 'misuse(kfree of a page)';
      case 'user-address':
        return `misuse(kfree(${m.address}))`;
      case 'invalid-size':
        return `misuse(kmalloc(${m.size}))`;
      case 'invalid-gfp':
        return `misuse(kmalloc(64, ${m.gfp}))`;
    }
  }
}

/** Options of {@link kmallocCommands}. */
export interface KmallocCommandOptions {
  /** Sizes (default {@link kmallocSize} with large sizes up to 70000 bytes). */
  readonly sizes?: fc.Arbitrary<number>;
  /** Masks (default: {@link allocationGfp} without zone modifiers, and `GFP_DMA`). */
  readonly gfp?: fc.Arbitrary<Gfp>;
  /** Include misuse commands (default true). */
  readonly misuse?: boolean;
  /** The machine's page size (default 4096). */
  readonly pageSize?: number;
}

/**
 * The kmalloc commands, for `fc.commands` (alone or with
 * `kmemCacheCommands`, which shares the model).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.commands(kmallocCommands(), { maxCommands: 60 }), (cmds) => {
 *   const { k, baseline } = bootSmall();
 *   const model = newSlabModel();
 *   fc.modelRun(() => ({ model, real: { k } }), cmds);
 *   releaseSlabObjects(model, { k });
 *   expectAllFreed(k, baseline);
 * }));
 * ```
 */
export function kmallocCommands(options: KmallocCommandOptions = {}): fc.Arbitrary<SlabCommand>[] {
  const pageSize = options.pageSize ?? 4096;
  const sizes = options.sizes ?? kmallocSize({ pageSize, maxLarge: 70_000 });
  const gfp = options.gfp ?? fc.oneof(allocationGfp({ zones: false }), fc.constant(GFP_DMA));
  const commands: fc.Arbitrary<SlabCommand>[] = [
    fc
      .tuple(sizes, gfp, fc.constantFrom<KmallocVia>('kmalloc', 'kmalloc', 'kzalloc', 'kcalloc'))
      .map(([size, g, via]) => new KmallocCommand(size, g, via)),
    fc.nat().map((pick) => new KfreeCommand(pick)),
    fc.nat().map((pick) => new KfreeCommand(pick)),
    fc.tuple(fc.nat(), sizes).map(([pick, size]) => new KreallocCommand(pick, size)),
  ];
  if (options.misuse !== false) {
    const misuse: fc.Arbitrary<KmallocMisuse> = fc.oneof(
      fc.record({ kind: fc.constant('interior' as const), pick: fc.nat(), offset: fc.nat() }),
      fc.record({ kind: fc.constant('foreign-page' as const) }),
      fc.record({
        kind: fc.constant('user-address' as const),
        address: fc.constantFrom(0x1000, 0x400000, 0x7fff0000),
      }),
      fc.record({ kind: fc.constant('invalid-size' as const), size: invalidKmallocSize() }),
      fc.record({ kind: fc.constant('invalid-gfp' as const), gfp: invalidGfp() }),
    );
    commands.push(misuse.map((m) => new KmallocMisuseCommand(m)));
  }
  return commands;
}
