/**
 * Model-based test of each slab allocator: random cache creation, object
 * allocation and freeing, kmalloc/kfree of random sizes, shrinking and
 * destroying, against a model of the live objects and the tag written into
 * each. After every command the contents agree and checkInvariants()
 * holds; at the end, everything released gives the page allocator back
 * exactly what it had after boot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  __GFP_NOWARN,
  GFP_ATOMIC,
  GFP_DMA,
  GFP_KERNEL,
  Kernel,
  KernelBug,
  type KmemCache,
  SLAB_HWCACHE_ALIGN,
  SLAB_KINDS,
  SLAB_RECLAIM_ACCOUNT,
  type SlabKind,
} from '../src/index.js';

interface Live {
  readonly va: number;
  readonly len: number;
  readonly seed: number;
  /** The cache it came from, or null for kmalloc. */
  readonly cache: KmemCache | null;
}

interface Model {
  caches: KmemCache[];
  live: Live[];
  seed: number;
}

interface Real {
  readonly k: Kernel;
}

function pattern(len: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => (seed * 131 + i * 7) & 0xff);
}

function check(model: Model, real: Real): void {
  for (const o of model.live) {
    const want = pattern(o.len, o.seed);
    const got = real.k.read(o.va, o.len);
    if (!got.every((b, i) => b === want[i])) expect(Array.from(got)).toEqual(Array.from(want));
  }
  real.k.checkInvariants();
}

function record(
  model: Model,
  real: Real,
  va: number | null,
  len: number,
  cache: KmemCache | null,
): void {
  // kmalloc(0) hands out ZERO_SIZE_PTR, which holds no bytes to tag or free.
  if (va === null || len === 0) return;
  for (const o of model.live) expect(va < o.va + o.len && o.va < va + len).toBe(false);
  const seed = model.seed++;
  real.k.write(va, pattern(len, seed));
  model.live.push({ va, len, seed, cache });
}

class CreateCache implements fc.Command<Model, Real> {
  constructor(
    readonly size: number,
    readonly align: number,
    readonly flags: number,
    readonly withCtor: boolean,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.caches.length < 4;
  }
  run(model: Model, real: Real): void {
    const ctor = this.withCtor ? (obj: number) => real.k.store8(obj, 0x5c) : undefined;
    model.caches.push(
      real.k.kmemCacheCreate(`c${model.caches.length}`, this.size, {
        align: this.align,
        flags: this.flags,
        ctor,
      }),
    );
    check(model, real);
  }
  toString(): string {
    return `create(${this.size}, align ${this.align}, 0x${this.flags.toString(16)}${this.withCtor ? ', ctor' : ''})`;
  }
}

class CacheAlloc implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly count: number,
    readonly gfp: number,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.caches.length > 0;
  }
  run(model: Model, real: Real): void {
    const cache = model.caches[this.pick % model.caches.length] as KmemCache;
    for (let i = 0; i < this.count; i++)
      record(model, real, cache.alloc(this.gfp | __GFP_NOWARN), cache.objectSize, cache);
    check(model, real);
  }
  toString(): string {
    return `cacheAlloc(#${this.pick}, x${this.count}, 0x${this.gfp.toString(16)})`;
  }
}

class Kmalloc implements fc.Command<Model, Real> {
  constructor(
    readonly size: number,
    readonly gfp: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const va = real.k.kmalloc(this.size, this.gfp | __GFP_NOWARN);
    if (va !== null) expect(real.k.ksize(va)).toBeGreaterThanOrEqual(this.size);
    record(model, real, va, this.size, null);
    check(model, real);
  }
  toString(): string {
    return `kmalloc(${this.size}, 0x${this.gfp.toString(16)})`;
  }
}

class Free implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.live.length > 0;
  }
  run(model: Model, real: Real): void {
    const i = this.pick % model.live.length;
    const o = model.live[i] as Live;
    if (o.cache === null) real.k.kfree(o.va);
    else o.cache.free(o.va);
    model.live.splice(i, 1);
    // A second free of the same pointer is refused and changes nothing.
    const before = real.k.proc('/proc/slabinfo') + real.k.proc('/proc/buddyinfo');
    expect(() => (o.cache === null ? real.k.kfree(o.va) : o.cache.free(o.va))).toThrow(KernelBug);
    expect(real.k.proc('/proc/slabinfo') + real.k.proc('/proc/buddyinfo')).toBe(before);
    check(model, real);
  }
  toString(): string {
    return `free(#${this.pick})`;
  }
}

class Shrink implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.caches.length > 0;
  }
  run(model: Model, real: Real): void {
    expect(
      (model.caches[this.pick % model.caches.length] as KmemCache).shrink(),
    ).toBeGreaterThanOrEqual(0);
    check(model, real);
  }
  toString(): string {
    return `shrink(#${this.pick})`;
  }
}

class Destroy implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.caches.length > 0;
  }
  run(model: Model, real: Real): void {
    const i = this.pick % model.caches.length;
    const cache = model.caches[i] as KmemCache;
    if (model.live.some((o) => o.cache === cache)) {
      expect(() => cache.destroy()).toThrow(KernelBug);
    } else {
      cache.destroy();
      model.caches.splice(i, 1);
    }
    check(model, real);
  }
  toString(): string {
    return `destroy(#${this.pick})`;
  }
}

const commands = [
  fc
    .tuple(
      fc.integer({ min: 1, max: 2048 }),
      fc.constantFrom(0, 8, 16, 64, 256),
      fc.constantFrom(0, SLAB_HWCACHE_ALIGN, SLAB_RECLAIM_ACCOUNT),
      fc.boolean(),
    )
    .map(([size, align, flags, ctor]) => new CreateCache(size, align, flags, ctor)),
  fc
    .tuple(fc.nat(), fc.integer({ min: 1, max: 40 }), fc.constantFrom(GFP_KERNEL, GFP_ATOMIC))
    .map(([pick, count, gfp]) => new CacheAlloc(pick, count, gfp)),
  fc
    .tuple(
      fc.oneof(
        fc.integer({ min: 0, max: 256 }),
        fc.integer({ min: 1, max: 9000 }),
        fc.integer({ min: 9000, max: 70000 }),
      ),
      fc.constantFrom(GFP_KERNEL, GFP_ATOMIC, GFP_DMA),
    )
    .map(([size, gfp]) => new Kmalloc(size, gfp)),
  fc.nat().map((pick) => new Free(pick)),
  fc.nat().map((pick) => new Free(pick)),
  fc.nat().map((pick) => new Free(pick)),
  fc.nat().map((pick) => new Shrink(pick)),
  fc.nat().map((pick) => new Destroy(pick)),
];

const KINDS: readonly SlabKind[] = SLAB_KINDS.filter((kind) => {
  try {
    Kernel.boot({ slab: kind, memory: '2M' });
    return true;
  } catch {
    return false;
  }
});

describe.each(KINDS)('%s against a model of live objects', (kind) => {
  it('agrees after every command and gives every page back at the end', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        const k = Kernel.boot({ slab: kind, memory: '8M' });
        const boot = k.proc('/proc/buddyinfo');
        const model: Model = { caches: [], live: [], seed: 1 };
        fc.modelRun(() => ({ model, real: { k } }), cmds);
        for (const o of model.live) {
          if (o.cache === null) k.kfree(o.va);
          else o.cache.free(o.va);
        }
        for (const c of model.caches) c.destroy();
        for (const c of k.slab.caches) c.shrink();
        k.drainAllPages();
        k.checkInvariants();
        expect(k.proc('/proc/buddyinfo')).toBe(boot);
      }),
      { numRuns: 60 },
    );
  });
});
