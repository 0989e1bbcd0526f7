/**
 * One behavioural suite for the kmem_cache interface and kmalloc, run
 * against every slab allocator: what the contract promises holds whichever
 * design serves it.
 */
import { describe, expect, it } from 'vitest';
import {
  __GFP_NOWARN,
  __GFP_ZERO,
  GFP_DMA,
  GFP_KERNEL,
  Kernel,
  KernelBug,
  type KmemCache,
  SLAB_HWCACHE_ALIGN,
  SLAB_KINDS,
  type SlabKind,
  ZERO_SIZE_PTR,
} from '../src/index.js';

const MiB = 2 ** 20;

function boot(slab: SlabKind, extra: Parameters<typeof Kernel.boot>[0] = {}): Kernel {
  return Kernel.boot({ slab, memory: '32M', ...extra });
}

/** Everything a rejected call must leave as it was. */
function snapshot(k: Kernel): string {
  return (
    k.proc('/proc/slabinfo') + k.proc('/proc/buddyinfo') + k.zones.map((z) => z.pcpPages).join(',')
  );
}

/** Frees, shrinks and drains until the page allocator holds what it held after boot. */
function releaseAll(k: Kernel, caches: KmemCache[] = []): void {
  for (const c of caches) c.destroy();
  for (const c of k.slab.caches) c.shrink();
  k.drainAllPages();
}

/** How far an address is past the last multiple of `align` (kernel addresses may be negative). */
function misalignment(va: number, align: number): number {
  return (((va % align) + align) % align) + 0;
}

function tag(k: Kernel, va: number, len: number, seed: number): void {
  k.write(
    va,
    Uint8Array.from({ length: len }, (_, i) => (seed * 31 + i) & 0xff),
  );
}

function hasTag(k: Kernel, va: number, len: number, seed: number): boolean {
  const bytes = k.read(va, len);
  return bytes.every((b, i) => b === ((seed * 31 + i) & 0xff));
}

const KINDS: readonly SlabKind[] = SLAB_KINDS.filter((kind) => {
  try {
    Kernel.boot({ slab: kind, memory: '2M' });
    return true;
  } catch {
    return false;
  }
});

describe.each(KINDS)('%s', (kind) => {
  describe('kmem_cache', () => {
    it('hands out distinct, aligned objects whose contents stay intact until freed', () => {
      const k = boot(kind);
      const c = k.kmemCacheCreate('thing', 100, { align: 32 });
      expect(c.name).toBe('thing');
      expect(c.objectSize).toBe(100);
      const objs: number[] = [];
      for (let i = 0; i < 300; i++) {
        const obj = c.alloc(GFP_KERNEL);
        expect(obj).not.toBeNull();
        objs.push(obj as number);
        expect(misalignment(obj as number, 32)).toBe(0);
        tag(k, obj as number, 100, i);
      }
      expect(new Set(objs).size).toBe(objs.length);
      objs.forEach((obj, i) => {
        expect(hasTag(k, obj, 100, i)).toBe(true);
      });
      k.checkInvariants();
      for (const obj of objs) c.free(obj);
      k.checkInvariants();
    });

    it('aligns SLAB_HWCACHE_ALIGN objects to a cache line, or half of one for small objects', () => {
      const k = boot(kind);
      const big = k.kmemCacheCreate('big', 100, { flags: SLAB_HWCACHE_ALIGN });
      const small = k.kmemCacheCreate('small', 20, { flags: SLAB_HWCACHE_ALIGN });
      expect(big.align).toBe(64);
      expect(small.align).toBe(32);
      for (let i = 0; i < 10; i++) {
        expect(misalignment(big.alloc(GFP_KERNEL) as number, 64)).toBe(0);
        expect(misalignment(small.alloc(GFP_KERNEL) as number, 32)).toBe(0);
      }
      expect(k.kmemCacheCreate('min', 3).align).toBe(8);
    });

    it('runs the constructor when objects are populated, not when they are reused', () => {
      const k = boot(kind);
      let calls = 0;
      const c = k.kmemCacheCreate('ctor', 64, {
        ctor: (obj) => {
          calls++;
          k.store32(obj, 0xc0ffee);
        },
      });
      const first = c.alloc(GFP_KERNEL) as number;
      expect(calls).toBeGreaterThan(0);
      expect(k.load32(first)).toBe(0xc0ffee);
      const after = calls;
      c.free(first);
      const again = c.alloc(GFP_KERNEL) as number;
      expect(calls).toBe(after);
      expect(k.load32(again)).toBe(0xc0ffee);
    });

    it('zeroes objects for __GFP_ZERO', () => {
      const k = boot(kind);
      const c = k.kmemCacheCreate('z', 200);
      const a = c.alloc(GFP_KERNEL) as number;
      k.write(a, new Uint8Array(200).fill(0xee));
      c.free(a);
      for (let i = 0; i < 50; i++) {
        const obj = c.alloc(GFP_KERNEL | __GFP_ZERO) as number;
        expect(k.read(obj, 200).every((b) => b === 0)).toBe(true);
      }
    });

    it('allows duplicate names', () => {
      const k = boot(kind);
      const a = k.kmemCacheCreate('dup', 64);
      const b = k.kmemCacheCreate('dup', 64);
      expect(a).not.toBe(b);
      const obj = a.alloc(GFP_KERNEL) as number;
      expect(() => b.free(obj)).toThrow(KernelBug);
      a.free(obj);
    });

    it('refuses to destroy a cache with live objects and stays usable', () => {
      const k = boot(kind);
      const c = k.kmemCacheCreate('busy', 48);
      const obj = c.alloc(GFP_KERNEL) as number;
      expect(() => c.destroy()).toThrow(KernelBug);
      expect(k.dmesg()).toContain('kmem_cache_destroy busy: Slab cache still has objects');
      const other = c.alloc(GFP_KERNEL);
      expect(other).not.toBeNull();
      c.free(obj);
      c.free(other as number);
      c.destroy();
      expect(k.proc('/proc/slabinfo')).not.toMatch(/^busy /m);
      expect(() => c.alloc(GFP_KERNEL)).toThrow(KernelBug);
    });

    it('gives every page back once everything is freed, shrunk and drained', () => {
      const k = boot(kind);
      const before = k.proc('/proc/buddyinfo');
      const c = k.kmemCacheCreate('churn', 300);
      const objs = Array.from({ length: 500 }, () => c.alloc(GFP_KERNEL) as number);
      const ks = Array.from(
        { length: 500 },
        (_, i) => k.kmalloc(1 + ((i * 37) % 3000), GFP_KERNEL) as number,
      );
      for (const obj of objs) c.free(obj);
      for (const p of ks) k.kfree(p);
      expect(c.shrink()).toBeGreaterThanOrEqual(0);
      releaseAll(k, [c]);
      k.checkInvariants();
      expect(k.proc('/proc/buddyinfo')).toBe(before);
    });

    it.each([
      ['size 0', 'c', 0, {}],
      ['size -1', 'c', -1, {}],
      ['size 1.5', 'c', 1.5, {}],
      ['size NaN', 'c', Number.NaN, {}],
      ['size beyond KMALLOC_MAX_SIZE', 'c', 64 * MiB, {}],
      ['align 3', 'c', 64, { align: 3 }],
      ['align 24', 'c', 64, { align: 24 }],
      ['unknown flag bits', 'c', 64, { flags: 0x1 }],
      ['an empty name', '', 64, {}],
      ['a ctor that is not a function', 'c', 64, { ctor: 42 }],
    ])('rejects %s with KernelBug', (_label, name, size, options) => {
      const k = boot(kind);
      const before = snapshot(k);
      expect(() => k.kmemCacheCreate(name as string, size as number, options as never)).toThrow(
        KernelBug,
      );
      expect(snapshot(k)).toBe(before);
    });
  });

  describe('kmalloc', () => {
    it('kmalloc(0) is ZERO_SIZE_PTR, which kfree and ksize accept; kfree(null) does nothing', () => {
      const k = boot(kind);
      expect(k.kmalloc(0, GFP_KERNEL)).toBe(ZERO_SIZE_PTR);
      expect(ZERO_SIZE_PTR).toBe(16);
      expect(k.ksize(ZERO_SIZE_PTR)).toBe(0);
      const before = snapshot(k);
      k.kfree(ZERO_SIZE_PTR);
      k.kfree(null);
      expect(snapshot(k)).toBe(before);
    });

    it('ksize is at least the size asked for, and kmalloc caches round up as Linux does', () => {
      const k = boot(kind);
      for (let size = 1; size <= 9000; size += 13) {
        const p = k.kmalloc(size, GFP_KERNEL) as number;
        expect(k.ksize(p)).toBeGreaterThanOrEqual(size);
        k.kfree(p);
      }
      if (kind !== 'slob') {
        expect(k.ksize(k.kmalloc(65, GFP_KERNEL) as number)).toBe(96);
        expect(k.ksize(k.kmalloc(100, GFP_KERNEL) as number)).toBe(128);
        expect(k.ksize(k.kmalloc(129, GFP_KERNEL) as number)).toBe(192);
      }
    });

    it('aligns power-of-two sizes naturally', () => {
      const k = boot(kind);
      for (const size of [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]) {
        for (let i = 0; i < 5; i++)
          expect(misalignment(k.kmalloc(size, GFP_KERNEL) as number, size)).toBe(0);
      }
    });

    it('serves large requests from the page allocator', () => {
      const k = boot(kind);
      const p = k.kmalloc(100_000, GFP_KERNEL) as number;
      expect(k.ksize(p)).toBe(131072);
      tag(k, p, 100_000, 7);
      expect(hasTag(k, p, 100_000, 7)).toBe(true);
      k.kfree(p);
      expect(k.kmalloc(64 * MiB, GFP_KERNEL | __GFP_NOWARN)).toBeNull();
    });

    it('kzalloc and kcalloc zero; kcalloc returns null on overflow', () => {
      const k = boot(kind);
      const dirty = k.kmalloc(256, GFP_KERNEL) as number;
      k.write(dirty, new Uint8Array(256).fill(0x77));
      k.kfree(dirty);
      const z = k.kzalloc(256, GFP_KERNEL) as number;
      expect(k.read(z, 256).every((b) => b === 0)).toBe(true);
      const arr = k.kcalloc(10, 24, GFP_KERNEL) as number;
      expect(k.read(arr, 240).every((b) => b === 0)).toBe(true);
      expect(k.kcalloc(2 ** 40, 2 ** 30, GFP_KERNEL)).toBeNull();
    });

    it('krealloc grows in place when ksize allows and moves contents otherwise', () => {
      const k = boot(kind);
      const p = k.kmalloc(70, GFP_KERNEL) as number;
      tag(k, p, 70, 3);
      const room = k.ksize(p);
      const same = k.krealloc(p, room, GFP_KERNEL);
      expect(same).toBe(p);
      const moved = k.krealloc(p, 5000, GFP_KERNEL) as number;
      expect(moved).not.toBe(p);
      expect(hasTag(k, moved, 70, 3)).toBe(true);
      expect(() => k.kfree(p)).toThrow(KernelBug);
      expect(k.krealloc(moved, 0, GFP_KERNEL)).toBe(ZERO_SIZE_PTR);
      const fresh = k.krealloc(null, 40, GFP_KERNEL);
      expect(fresh).not.toBeNull();
    });

    it('takes GFP_DMA allocations from ZONE_DMA', () => {
      const k = boot(kind);
      for (let i = 0; i < 20; i++) {
        const p = k.kmalloc(200, GFP_DMA) as number;
        expect(k.virtToPhys(p)).toBeLessThan(16 * MiB);
      }
    });

    it('returns null, leaking nothing, when the page allocator runs dry', () => {
      const k = boot(kind, { memory: '4M' });
      const before = k.proc('/proc/buddyinfo');
      const held: number[] = [];
      for (;;) {
        const p = k.kmalloc(2000, GFP_KERNEL | __GFP_NOWARN);
        if (p === null) break;
        held.push(p);
      }
      expect(held.length).toBeGreaterThan(10);
      for (const p of held) k.kfree(p);
      releaseAll(k);
      k.checkInvariants();
      expect(k.proc('/proc/buddyinfo')).toBe(before);
    });

    it('fails as failslab and fail_page_alloc tell it to', () => {
      const k = boot(kind, { failslab: { probability: 100, times: 2 } });
      const c = k.kmemCacheCreate('fi', 64);
      expect(c.alloc(GFP_KERNEL)).toBeNull();
      expect(k.kmalloc(32, GFP_KERNEL)).toBeNull();
      expect(c.alloc(GFP_KERNEL)).not.toBeNull();
      expect(k.dmesg()).toContain('FAULT_INJECTION: forcing a failure.');
      const pages = boot(kind, { failPageAlloc: { probability: 100, times: -1 } });
      expect(pages.kmalloc(100, GFP_KERNEL | __GFP_NOWARN)).toBeNull();
    });
  });

  describe('misuse is caught, reported and changes nothing', () => {
    function setup() {
      const k = boot(kind);
      const a = k.kmemCacheCreate('alpha', 64);
      const b = k.kmemCacheCreate('beta', 64);
      const obj = a.alloc(GFP_KERNEL) as number;
      const other = a.alloc(GFP_KERNEL) as number;
      const p = k.kmalloc(100, GFP_KERNEL) as number;
      return { k, a, b, obj, other, p };
    }

    it('a double free', () => {
      const { k, a, obj } = setup();
      a.free(obj);
      const before = snapshot(k);
      expect(() => a.free(obj)).toThrow(KernelBug);
      expect(snapshot(k)).toBe(before);
      expect(k.dmesg()).toMatch(/BUG alpha .*Object already free/);
      k.checkInvariants();
    });

    it('a kfree twice', () => {
      const { k, p } = setup();
      k.kfree(p);
      const before = snapshot(k);
      expect(() => k.kfree(p)).toThrow(KernelBug);
      expect(snapshot(k)).toBe(before);
      k.checkInvariants();
    });

    it('a free to the wrong cache', () => {
      const { k, b, obj } = setup();
      const before = snapshot(k);
      expect(() => b.free(obj)).toThrow(KernelBug);
      expect(snapshot(k)).toBe(before);
      expect(k.dmesg()).toMatch(/BUG beta/);
      k.checkInvariants();
    });

    it('an interior pointer', () => {
      const { k, a, obj, p } = setup();
      const before = snapshot(k);
      expect(() => a.free(obj + 8)).toThrow(KernelBug);
      expect(() => k.kfree(p + 8)).toThrow(KernelBug);
      expect(snapshot(k)).toBe(before);
      k.checkInvariants();
    });

    it('a pointer never returned: a page from the page allocator, and a non-kernel address', () => {
      const { k, a } = setup();
      const pfn = k.allocPages(GFP_KERNEL, 0) as number;
      const va = k.pageAddress(pfn) as number;
      const before = snapshot(k);
      expect(() => k.kfree(va)).toThrow(KernelBug);
      expect(() => a.free(va)).toThrow(KernelBug);
      expect(() => k.kfree(0x1000)).toThrow(KernelBug);
      expect(() => k.kfree(1.5)).toThrow(KernelBug);
      expect(snapshot(k)).toBe(before);
      k.checkInvariants();
    });
  });

  it('renders /proc/slabinfo version 2.1 with every cache, newest first', () => {
    const k = boot(kind);
    const c = k.kmemCacheCreate('my_cache', 200);
    for (let i = 0; i < 10; i++) c.alloc(GFP_KERNEL);
    const lines = k.proc('/proc/slabinfo').split('\n');
    expect(lines[0]).toBe('slabinfo - version: 2.1');
    expect(lines[1]).toBe(
      '# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>',
    );
    expect(lines[2]).toMatch(
      /^my_cache\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+ : tunables\s+\d+\s+\d+\s+\d+ : slabdata\s+\d+\s+\d+\s+\d+$/,
    );
    const fields = (lines[2] as string).split(/\s+/);
    expect(Number(fields[1])).toBeGreaterThanOrEqual(10);
    expect(Number(fields[3])).toBe(c.size);
  });
});

describe('slub_debug', () => {
  const DEBUG_KINDS = KINDS.filter((kind) => kind !== 'slob');

  it.each(DEBUG_KINDS)(
    '%s: poison shows in free objects and catches a write after free',
    (kind) => {
      const k = boot(kind, { slubDebug: 'FZP,victim' });
      const c = k.kmemCacheCreate('victim', 64);
      const obj = c.alloc(GFP_KERNEL) as number;
      c.free(obj);
      const bytes = k.read(obj, 64);
      expect(bytes.subarray(0, 63).every((b) => b === 0x6b)).toBe(true);
      expect(bytes[63]).toBe(0xa5);
      k.store8(obj + 10, 0x00); // use after free
      const objs = Array.from({ length: 200 }, () => c.alloc(GFP_KERNEL));
      expect(objs).not.toContain(null);
      expect(k.dmesg()).toMatch(/BUG victim .*Poison overwritten/);
      expect(k.dmesg()).toMatch(/FIX victim: Restoring Poison/);
    },
  );

  it.each(DEBUG_KINDS)('%s: red zones catch a write past the end', (kind) => {
    const k = boot(kind, { slubDebug: 'Z' });
    const c = k.kmemCacheCreate('rz', 60);
    const obj = c.alloc(GFP_KERNEL) as number;
    k.store8(obj + 60, 0x41); // one byte past the end
    c.free(obj);
    expect(k.dmesg()).toMatch(/BUG rz .*Right Redzone overwritten/);
    k.checkInvariants();
  });
});

describe.each(KINDS)('%s: invalid gfp masks', (kind) => {
  it.each([
    ['__GFP_DMA|__GFP_HIGHMEM', 0x3],
    ['an unknown bit', 0x1000000],
    ['__GFP_MOVABLE|__GFP_RECLAIMABLE', 0x18],
    ['a negative number', -1],
  ])('kmem_cache_alloc refuses %s and changes nothing', (_label, gfp) => {
    const k = boot(kind);
    const c = k.kmemCacheCreate('g', 64);
    const before = snapshot(k);
    expect(() => c.alloc(gfp)).toThrow(KernelBug);
    expect(() => k.kmalloc(64, gfp)).toThrow(KernelBug);
    expect(snapshot(k)).toBe(before);
  });
});
