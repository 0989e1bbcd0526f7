/**
 * Model-based commands for kmem_caches: create (any valid geometry, with
 * or without a constructor), allocate, free (and free again, which must
 * be refused), shrink, destroy (refused while objects are live), and the
 * misuse a cache must refuse, changing nothing: a free to the wrong cache,
 * an interior pointer, a page that is no slab object, an invalid gfp
 * mask, invalid creation arguments, use of a destroyed cache.
 *
 * Each allocation is checked against the model: aligned to the cache's
 * alignment (itself at least what `calculateAlignment` gives), overlapping
 * no live object, zeroed for `__GFP_ZERO`, constructed for a ctor cache.
 * After every command, `checkSlab` compares everything.
 */
import fc from 'fast-check';
import { __GFP_NOWARN, __GFP_ZERO, GFP_KERNEL, type Gfp } from '../gfp/flags.js';
import { showAddress } from '../page/address.js';
import { calculateAlignment } from '../slab/slab-common.js';
import {
  expectRejected,
  isKernelBug,
  ModelMismatch,
  modelAssert,
  modelEqual,
} from './assertions.js';
import {
  type CacheGeometry,
  cacheGeometry,
  type InvalidCacheCreate,
  invalidCacheCreate,
} from './cache-geometry.js';
import { allocationGfp, invalidGfp } from './gfp-arbitraries.js';
import {
  checkSlab,
  expectNoOverlap,
  expectPattern,
  expectZero,
  freeObject,
  misalignment,
  recordObject,
  type SlabCacheModel,
  type SlabCommand,
  type SlabModel,
  type SlabObject,
  type SlabReal,
  slabPattern,
} from './slab-model.js';
import { kernelState } from './state-snapshot.js';

/** The most caches the commands keep alive at once. */
export const MAX_MODEL_CACHES = 4;

/** `kmemCacheCreate` with a geometry; checks the cache's name, size and alignment. */
export class CreateCacheCommand implements SlabCommand {
  constructor(
    /** What to create. */
    readonly geometry: CacheGeometry,
  ) {}
  /** At most {@link MAX_MODEL_CACHES} caches at once. */
  check(model: Readonly<SlabModel>): boolean {
    return model.caches.length < MAX_MODEL_CACHES;
  }
  /** Creates the cache, with a constructor that writes the constructed state. */
  run(model: SlabModel, real: SlabReal): void {
    const { k } = real;
    const g = this.geometry;
    const name = `model-${model.created++}`;
    const ctorSeed = g.ctor ? model.nextSeed++ : null;
    const holder: { c: SlabCacheModel | null } = { c: null };
    const ctor =
      ctorSeed === null
        ? undefined
        : (obj: number) => {
            const c = holder.c;
            if (c === null) return;
            c.ctorCalls++;
            if (model.live.some((o) => o.va === obj)) {
              c.ctorViolation ??= `the constructor ran on the live object ${showAddress(obj)}`;
              return;
            }
            k.write(obj, slabPattern(g.size, ctorSeed));
          };
    const cache = k.kmemCacheCreate(name, g.size, { align: g.align, flags: g.flags, ctor });
    const c: SlabCacheModel = { cache, geometry: g, ctorSeed, ctorCalls: 0, ctorViolation: null };
    holder.c = c;
    modelEqual(cache.name, name, 'the new cache name');
    modelEqual(cache.objectSize, g.size, `${name}: objectSize`);
    modelAssert(
      cache.size >= g.size,
      () => `${name}: size ${cache.size} is below objectSize ${g.size}`,
    );
    const required = calculateAlignment(g.flags, g.align, g.size);
    modelAssert(
      Number.isInteger(cache.align) &&
        (cache.align & (cache.align - 1)) === 0 &&
        cache.align >= required,
      () => `${name}: align ${cache.align} is not a power of two of at least ${required}`,
    );
    modelAssert(k.slab.caches.includes(cache), () => `${name} is not in k.slab.caches`);
    model.caches.push(c);
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    const g = this.geometry;
    return `create(${g.size}, align ${g.align}, flags 0x${g.flags.toString(16)}${g.ctor ? ', ctor' : ''})`;
  }
}

/** `count` allocations from one cache. */
export class CacheAllocCommand implements SlabCommand {
  constructor(
    /** Which cache (modulo how many). */
    readonly pick: number,
    /** How many objects. */
    readonly count: number,
    /** The mask (`__GFP_NOWARN` is added; `__GFP_ZERO` is dropped for ctor caches). */
    readonly gfp: Gfp,
    /** Add `__GFP_ZERO` (not for ctor caches, whose objects come constructed). */
    readonly zero = false,
  ) {}
  /** Needs a cache. */
  check(model: Readonly<SlabModel>): boolean {
    return model.caches.length > 0;
  }
  /** Allocates and checks each object. */
  run(model: SlabModel, real: SlabReal): void {
    const { k } = real;
    const c = model.caches[this.pick % model.caches.length] as SlabCacheModel;
    const { cache } = c;
    const wanted = this.zero ? this.gfp | __GFP_ZERO : this.gfp;
    const gfp = (c.ctorSeed === null ? wanted : wanted & ~__GFP_ZERO) | __GFP_NOWARN;
    for (let i = 0; i < this.count; i++) {
      const va = k.kmemCacheAlloc(cache, gfp);
      if (va === null) break; // out of memory is a result
      const what = `alloc from ${cache.name}`;
      modelAssert(Number.isInteger(va), () => `${what} returned ${showAddress(va)}`);
      modelEqual(
        misalignment(va, cache.align),
        0,
        `${what}: ${showAddress(va)} modulo align ${cache.align}`,
      );
      expectNoOverlap(model, va, cache.objectSize, what);
      if (c.ctorSeed !== null)
        expectPattern(k, va, cache.objectSize, c.ctorSeed, `${what}: constructed state`);
      else if ((gfp & __GFP_ZERO) !== 0)
        expectZero(k, va, cache.objectSize, `${what} with __GFP_ZERO`);
      recordObject(model, real, va, cache.objectSize, cache.objectSize, c);
    }
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `cacheAlloc(#${this.pick}, x${this.count}, 0x${this.gfp.toString(16)}${this.zero ? ', zero' : ''})`;
  }
}

/** Frees a live cache object, then frees it again, which must be refused. */
export class CacheFreeCommand implements SlabCommand {
  constructor(
    /** Which object (modulo how many cache objects are live). */
    readonly pick: number,
  ) {}
  /** Needs a live cache object. */
  check(model: Readonly<SlabModel>): boolean {
    return model.live.some((o) => o.cache !== null);
  }
  /** Frees twice. */
  run(model: SlabModel, real: SlabReal): void {
    const objects = model.live.filter((o) => o.cache !== null);
    const o = objects[this.pick % objects.length] as SlabObject;
    model.live.splice(model.live.indexOf(o), 1);
    freeObject(real, o);
    const cache = (o.cache as SlabCacheModel).cache;
    expectRejected(
      () => real.k.kmemCacheFree(cache, o.va),
      () => kernelState(real.k),
      `a second free of ${showAddress(o.va)} to ${cache.name}`,
    );
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `cacheFree(#${this.pick})`;
  }
}

/** `kmem_cache_shrink` of one cache. */
export class ShrinkCommand implements SlabCommand {
  constructor(
    /** Which cache. */
    readonly pick: number,
  ) {}
  /** Needs a cache. */
  check(model: Readonly<SlabModel>): boolean {
    return model.caches.length > 0;
  }
  /** Shrinks; the result must be a count of pages. */
  run(model: SlabModel, real: SlabReal): void {
    const { cache } = model.caches[this.pick % model.caches.length] as SlabCacheModel;
    const pages = cache.shrink();
    modelAssert(
      Number.isInteger(pages) && pages >= 0,
      () => `${cache.name}.shrink() returned ${pages}`,
    );
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `shrink(#${this.pick})`;
  }
}

/** Shrinks every cache of the machine (kmalloc caches included). */
export class ShrinkAllCommand implements SlabCommand {
  /** Always runs. */
  check(): boolean {
    return true;
  }
  /** Shrinks them all. */
  run(model: SlabModel, real: SlabReal): void {
    for (const cache of real.k.slab.caches) cache.shrink();
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return 'shrinkAll';
  }
}

/** `kmem_cache_destroy`: refused while the cache has live objects, then the cache is gone. */
export class DestroyCommand implements SlabCommand {
  constructor(
    /** Which cache. */
    readonly pick: number,
  ) {}
  /** Needs a cache. */
  check(model: Readonly<SlabModel>): boolean {
    return model.caches.length > 0;
  }
  /** Destroys, or expects the refusal. */
  run(model: SlabModel, real: SlabReal): void {
    const { k } = real;
    const i = this.pick % model.caches.length;
    const c = model.caches[i] as SlabCacheModel;
    if (model.live.some((o) => o.cache === c)) {
      // Linux logs the refusal; the cache must stay exactly as it was.
      expectRejected(
        () => k.kmemCacheDestroy(c.cache),
        () => kernelState(k),
        `destroy of ${c.cache.name} with live objects`,
      );
      modelAssert(
        k.slab.hasCache(c.cache),
        () => `${c.cache.name} is gone after a refused destroy`,
      );
    } else {
      k.kmemCacheDestroy(c.cache);
      model.caches.splice(i, 1);
      modelAssert(!k.slab.hasCache(c.cache), () => `${c.cache.name} is still live after destroy`);
      modelAssert(
        !k.slab.caches.includes(c.cache),
        () => `${c.cache.name} is still listed after destroy`,
      );
      model.destroyed.push(c.cache);
      if (model.destroyed.length > 4) model.destroyed.shift();
    }
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `destroy(#${this.pick})`;
  }
}

/** Misuse of a kmem_cache, which must be refused with `KernelBug`, changing nothing. */
export type CacheMisuse =
  | {
      /** Free a live object to another cache. */
      readonly kind: 'wrong-cache';
      /** Which live object. */
      readonly pick: number;
      /** Which other cache. */
      readonly other: number;
    }
  | {
      /** Free a pointer inside a live object. */
      readonly kind: 'interior';
      /** Which live object. */
      readonly pick: number;
      /** How far inside (modulo the object size). */
      readonly offset: number;
    }
  | {
      /** Free a page of the page allocator to a cache. */
      readonly kind: 'foreign-page';
      /** Which cache. */
      readonly pick: number;
    }
  | {
      /** Allocate with an invalid gfp mask. */
      readonly kind: 'invalid-gfp';
      /** Which cache. */
      readonly pick: number;
      /** The mask. */
      readonly gfp: number;
    }
  | {
      /** Create a cache with invalid arguments. */
      readonly kind: 'invalid-create';
      /** The arguments. */
      readonly create: InvalidCacheCreate;
    }
  | {
      /** Allocate from a destroyed cache. */
      readonly kind: 'after-destroy';
      /** Which destroyed cache. */
      readonly pick: number;
    };

/** One {@link CacheMisuse}. */
export class CacheMisuseCommand implements SlabCommand {
  constructor(
    /** What to do wrong. */
    readonly misuse: CacheMisuse,
  ) {}
  /** Always runs (it does nothing when there is nothing to misuse). */
  check(): boolean {
    return true;
  }
  /** Makes the bad call. */
  run(model: SlabModel, real: SlabReal): void {
    const { k } = real;
    const m = this.misuse;
    const state = () => kernelState(k);
    const objects = model.live.filter((o) => o.cache !== null);
    switch (m.kind) {
      case 'wrong-cache': {
        const o = objects[m.pick % Math.max(1, objects.length)];
        const others = model.caches.filter((c) => c !== o?.cache);
        const other = others[m.other % Math.max(1, others.length)];
        if (o === undefined || other === undefined) return;
        expectRejected(
          () => k.kmemCacheFree(other.cache, o.va),
          state,
          `free of a ${o.cache?.cache.name} object to ${other.cache.name}`,
        );
        break;
      }
      case 'interior': {
        const o = objects[m.pick % Math.max(1, objects.length)];
        if (o === undefined || o.cache === null) return;
        const cache = o.cache.cache;
        const offset = 1 + (m.offset % Math.max(1, cache.objectSize - 1));
        expectRejected(
          () => k.kmemCacheFree(cache, o.va + offset),
          state,
          `free of ${showAddress(o.va)}+${offset} to ${cache.name}`,
        );
        break;
      }
      case 'foreign-page': {
        const c = model.caches[m.pick % Math.max(1, model.caches.length)];
        if (c === undefined) return;
        const pfn = k.allocPages(GFP_KERNEL | __GFP_NOWARN, 0);
        if (pfn === null) return;
        const va = k.pageAddress(pfn) as number;
        try {
          expectRejected(
            () => k.kmemCacheFree(c.cache, va),
            state,
            `free of a page-allocator page to ${c.cache.name}`,
          );
        } finally {
          k.freePages(pfn, 0);
        }
        break;
      }
      case 'invalid-gfp': {
        const c = model.caches[m.pick % Math.max(1, model.caches.length)];
        if (c === undefined) return;
        expectRejected(
          () => k.kmemCacheAlloc(c.cache, m.gfp),
          state,
          `alloc from ${c.cache.name} with gfp ${m.gfp}`,
        );
        break;
      }
      case 'invalid-create': {
        const { name, size, options, broken } = m.create;
        expectRejected(
          () => k.kmemCacheCreate(name as string, size as number, options as never),
          state,
          `kmemCacheCreate with ${broken}`,
        );
        break;
      }
      case 'after-destroy': {
        const cache = model.destroyed[m.pick % Math.max(1, model.destroyed.length)];
        if (cache === undefined) return;
        // Straight to the cache, not through the kernel: the allocator itself must refuse.
        let threw: unknown = null;
        try {
          cache.alloc(GFP_KERNEL);
        } catch (e) {
          threw = e;
        }
        if (!isKernelBug(threw)) {
          throw new ModelMismatch(
            `alloc from the destroyed cache ${cache.name} did not throw KernelBug`,
          );
        }
        break;
      }
    }
    checkSlab(model, real);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    const m = this.misuse;
    switch (m.kind) {
      case 'invalid-create':
        return `misuse(invalid-create: ${m.create.broken})`;
      case 'invalid-gfp':
        return `misuse(invalid-gfp #${m.pick}: ${m.gfp})`;
      default:
        return `misuse(${m.kind}, #${m.pick})`;
    }
  }
}

/** Options of {@link kmemCacheCommands}. */
export interface KmemCacheCommandOptions {
  /** Cache geometries (default {@link cacheGeometry}). */
  readonly geometry?: fc.Arbitrary<CacheGeometry>;
  /** Masks to allocate with (default: {@link allocationGfp} without zone modifiers). */
  readonly gfp?: fc.Arbitrary<Gfp>;
  /** The most objects one command allocates (default 40). */
  readonly maxCount?: number;
  /** Include misuse commands (default true). */
  readonly misuse?: boolean;
  /** The machine's page size (default 4096). */
  readonly pageSize?: number;
}

/**
 * The kmem_cache commands, for `fc.commands` (alone or with
 * `kmallocCommands`, which shares the model).
 *
 * @example
 * ```ts
 * const commands = [...kmemCacheCommands(), ...kmallocCommands()];
 * fc.assert(fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
 *   const { k, baseline } = bootSmall({ slab: 'slob' });
 *   const model = newSlabModel();
 *   fc.modelRun(() => ({ model, real: { k } }), cmds);
 *   releaseSlabObjects(model, { k });
 *   expectAllFreed(k, baseline);
 * }));
 * ```
 */
export function kmemCacheCommands(
  options: KmemCacheCommandOptions = {},
): fc.Arbitrary<SlabCommand>[] {
  const pageSize = options.pageSize ?? 4096;
  const geometry = options.geometry ?? cacheGeometry({ pageSize });
  const gfp = options.gfp ?? allocationGfp({ zones: false });
  const commands: fc.Arbitrary<SlabCommand>[] = [
    geometry.map((g) => new CreateCacheCommand(g)),
    fc
      .tuple(fc.nat(), fc.integer({ min: 1, max: options.maxCount ?? 40 }), gfp, fc.boolean())
      .map(([pick, count, g, zero]) => new CacheAllocCommand(pick, count, g, zero)),
    fc.nat().map((pick) => new CacheFreeCommand(pick)),
    fc.nat().map((pick) => new CacheFreeCommand(pick)),
    fc.nat().map((pick) => new ShrinkCommand(pick)),
    fc.nat().map((pick) => new DestroyCommand(pick)),
  ];
  if (options.misuse !== false) {
    const misuse: fc.Arbitrary<CacheMisuse> = fc.oneof(
      fc.record({ kind: fc.constant('wrong-cache' as const), pick: fc.nat(), other: fc.nat() }),
      fc.record({ kind: fc.constant('interior' as const), pick: fc.nat(), offset: fc.nat() }),
      fc.record({ kind: fc.constant('foreign-page' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('invalid-gfp' as const), pick: fc.nat(), gfp: invalidGfp() }),
      fc.record({
        kind: fc.constant('invalid-create' as const),
        create: invalidCacheCreate({ pageSize }),
      }),
      fc.record({ kind: fc.constant('after-destroy' as const), pick: fc.nat() }),
    );
    commands.push(misuse.map((m) => new CacheMisuseCommand(m)));
  }
  return commands;
}
