/**
 * `Kernel.kmallocCacheName`: which kmalloc-N cache served an object, on
 * each of the three built-in slab allocators (SLOB has no kmalloc caches,
 * so its small kmalloc blocks name none).
 */
import { describe, expect, it } from 'vitest';
import { GFP_KERNEL, Kernel, KernelBug, ZERO_SIZE_PTR } from '../src/index.js';

describe.each(['slub', 'slab', 'slob'] as const)('kmallocCacheName on %s', (slab) => {
  const boot = () => Kernel.boot({ memory: '16M', slab });

  it('names the kmalloc cache that served a small allocation', () => {
    const k = boot();
    const a = k.kmalloc(65, GFP_KERNEL);
    const b = k.kmalloc(100, GFP_KERNEL);
    if (a === null || b === null) throw new Error('kmalloc failed');
    if (slab === 'slob') {
      expect(k.kmallocCacheName(a)).toBeNull();
      expect(k.kmallocCacheName(b)).toBeNull();
    } else {
      expect(k.kmallocCacheName(a)).toBe('kmalloc-96');
      expect(k.kmallocCacheName(b)).toBe('kmalloc-128');
      expect(k.ksize(b)).toBe(128);
    }
    k.kfree(a);
    k.kfree(b);
  });

  it('returns null for ZERO_SIZE_PTR and for a large kmalloc', () => {
    const k = boot();
    expect(k.kmalloc(0, GFP_KERNEL)).toBe(ZERO_SIZE_PTR);
    expect(k.kmallocCacheName(ZERO_SIZE_PTR)).toBeNull();
    const big = k.kmalloc(4 * k.PAGE_SIZE, GFP_KERNEL);
    if (big === null) throw new Error('kmalloc failed');
    expect(k.kmallocCacheName(big)).toBeNull();
    k.kfree(big);
  });

  it('names the cache of a kmem_cache object, as ksize accepts it', () => {
    const k = boot();
    const cache = k.kmemCacheCreate('my_obj', 40);
    const obj = cache.alloc(GFP_KERNEL);
    if (obj === null) throw new Error('alloc failed');
    expect(k.kmallocCacheName(obj)).toBe('my_obj');
    cache.free(obj);
  });

  it('throws KernelBug for a pointer kmalloc never returned, as ksize does', () => {
    const k = boot();
    const p = k.kmalloc(100, GFP_KERNEL);
    if (p === null) throw new Error('kmalloc failed');
    expect(() => k.kmallocCacheName(p + 8)).toThrow(KernelBug);
    expect(() => k.ksize(p + 8)).toThrow(KernelBug);
    k.kfree(p);
    expect(() => k.kmallocCacheName(p)).toThrow(KernelBug);
    expect(() => k.kmallocCacheName(0x1234)).toThrow(KernelBug);
    k.checkInvariants();
  });
});
