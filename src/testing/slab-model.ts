/**
 * The model the kmem_cache and kmalloc commands share: the caches created,
 * the live objects (from a cache or from kmalloc) with the seed of the
 * pattern written into each, and, for caches with a constructor, the
 * pattern of their constructed state.
 *
 * Objects are tagged with a pattern over their whole length and checked
 * after every command, so that an object handed out twice, overlapping
 * another, or scribbled on by the allocator shows at once. (Objects over
 * a page are checked at their ends and at every page boundary, which keeps
 * large kmallocs affordable.)
 *
 * A cache's constructor writes the constructed pattern over the whole
 * object and counts its calls; as Linux requires, the model restores the
 * constructed state before freeing an object, so every object the cache
 * hands out must read as constructed, and the allocator may keep nothing
 * inside a constructed object.
 */
import type fc from 'fast-check';
import type { Kernel } from '../kernel.js';
import { showAddress } from '../page/address.js';
import type { KmemCache } from '../slab/kmem-cache.js';
import { ModelMismatch, modelAssert } from './assertions.js';
import type { CacheGeometry } from './cache-geometry.js';

/** A cache the model created. */
export interface SlabCacheModel {
  /** The cache. */
  readonly cache: KmemCache;
  /** What it was created with. */
  readonly geometry: CacheGeometry;
  /** Seed of the constructed-state pattern, or `null` without a constructor. */
  readonly ctorSeed: number | null;
  /** How many times its constructor ran. */
  ctorCalls: number;
  /** A rule the constructor saw broken (it runs inside the allocator, so it records rather than throws). */
  ctorViolation: string | null;
}

/** A live object. */
export interface SlabObject {
  /** Its address. */
  readonly va: number;
  /** Bytes tagged (the object size, or the size kmalloc was asked for). */
  readonly len: number;
  /** Bytes no other object may overlap (the object size, or `ksize`). */
  readonly span: number;
  /** Seed of the pattern written into it. */
  readonly seed: number;
  /** The cache it came from, or `null` for kmalloc. */
  readonly cache: SlabCacheModel | null;
}

/** The model of the slab commands. */
export interface SlabModel {
  /** Live caches the model created, oldest first. */
  readonly caches: SlabCacheModel[];
  /** Caches destroyed, most recent last (a few are kept, to check they refuse use). */
  readonly destroyed: KmemCache[];
  /** Live objects. */
  readonly live: SlabObject[];
  /** The next pattern seed. */
  nextSeed: number;
  /** Caches created so far (for names). */
  created: number;
}

/** The system under test: a booted machine (`k.slab` is the allocator). */
export interface SlabReal {
  /** The machine. */
  readonly k: Kernel;
}

/** A command of the kmem_cache and kmalloc command sets. */
export type SlabCommand = fc.Command<SlabModel, SlabReal>;

/** A fresh, empty model. */
export function newSlabModel(): SlabModel {
  return { caches: [], destroyed: [], live: [], nextSeed: 1, created: 0 };
}

/** The byte at offset `i` of the pattern with `seed`. */
function patternByte(seed: number, i: number): number {
  return (seed * 131 + i * 7) & 0xff;
}

/** The pattern with `seed`, `len` bytes long. */
export function slabPattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = patternByte(seed, i);
  return out;
}

/** Where a pattern is checked: the whole object up to a page, else its ends and page boundaries. */
function checkedRanges(len: number, pageSize: number): [number, number][] {
  if (len <= pageSize) return [[0, len]];
  const ranges: [number, number][] = [
    [0, 256],
    [len - 256, len],
  ];
  for (let at = pageSize - 8; at + 16 <= len; at += pageSize) ranges.push([at, at + 16]);
  return ranges;
}

/**
 * Throws `ModelMismatch` unless the `len` bytes at `va` hold the pattern
 * with `seed` (see the module comment for large objects).
 */
export function expectPattern(
  k: Kernel,
  va: number,
  len: number,
  seed: number,
  what: string,
): void {
  for (const [from, to] of checkedRanges(len, k.PAGE_SIZE)) {
    const got = k.read(va + from, to - from);
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== patternByte(seed, from + i)) {
        throw new ModelMismatch(
          `${what}: byte ${from + i} of the object at ${showAddress(va)} is ${got[i]}, expected ${patternByte(seed, from + i)}`,
        );
      }
    }
  }
}

/** Throws `ModelMismatch` unless `len` bytes at `va` are zero. */
export function expectZero(k: Kernel, va: number, len: number, what: string): void {
  for (const [from, to] of checkedRanges(len, k.PAGE_SIZE)) {
    const got = k.read(va + from, to - from);
    const at = got.findIndex((b) => b !== 0);
    modelAssert(at < 0, () => `${what}: byte ${from + at} is ${got[at]}, not zero`);
  }
}

/** How far `va` is past the last multiple of `align` (kernel addresses may be negative). */
export function misalignment(va: number, align: number): number {
  return ((va % align) + align) % align;
}

/** Throws `ModelMismatch` if `[va, va + span)` overlaps a live object. */
export function expectNoOverlap(model: SlabModel, va: number, span: number, what: string): void {
  for (const o of model.live) {
    modelAssert(
      !(va < o.va + o.span && o.va < va + span),
      () =>
        `${what} returned an object at ${showAddress(va)} overlapping the live one at ${showAddress(o.va)} (${o.span} bytes)`,
    );
  }
}

/** Records a new live object and writes its pattern. */
export function recordObject(
  model: SlabModel,
  real: SlabReal,
  va: number,
  len: number,
  span: number,
  cache: SlabCacheModel | null,
): SlabObject {
  const o: SlabObject = { va, len, span, seed: model.nextSeed++, cache };
  real.k.write(va, slabPattern(len, o.seed));
  model.live.push(o);
  return o;
}

/**
 * Compares the machine with the model: every live object holds its
 * pattern, every cache the model created is live with at least its live
 * objects counted, no constructor saw a rule broken, and (unless
 * `invariants` is false) `k.checkInvariants()` holds.
 *
 * @throws ModelMismatch (or KernelBug from `checkInvariants`) on any disagreement.
 */
export function checkSlab(model: SlabModel, real: SlabReal, invariants = true): void {
  const { k } = real;
  for (const o of model.live) expectPattern(k, o.va, o.len, o.seed, 'a live object');
  for (const c of model.caches) {
    modelAssert(c.ctorViolation === null, () => `${c.cache.name}: ${c.ctorViolation}`);
    modelAssert(k.slab.hasCache(c.cache), () => `cache ${c.cache.name} is not live`);
    const n = model.live.filter((o) => o.cache === c).length;
    const active = c.cache.slabinfo().activeObjs;
    modelAssert(
      active >= n,
      () => `${c.cache.name}: slabinfo counts ${active} active objects, ${n} are live`,
    );
  }
  if (invariants) k.checkInvariants();
}

/** Frees one live object (restoring the constructed state first for a ctor cache). */
export function freeObject(real: SlabReal, o: SlabObject): void {
  const c = o.cache;
  if (c === null) {
    real.k.kfree(o.va);
    return;
  }
  if (c.ctorSeed !== null) real.k.write(o.va, slabPattern(c.cache.objectSize, c.ctorSeed));
  real.k.kmemCacheFree(c.cache, o.va);
}

/**
 * Frees every live object and destroys every cache the model created;
 * then `expectAllFreed` can check that the page allocator has everything
 * back.
 */
export function releaseSlabObjects(model: SlabModel, real: SlabReal): void {
  for (const o of model.live.splice(0)) freeObject(real, o);
  for (const c of model.caches.splice(0)) real.k.kmemCacheDestroy(c.cache);
}
