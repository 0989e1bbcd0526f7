/**
 * The testing kit (`mmsim/testing`) tested on its own: its arbitraries
 * generate what they promise (valid values the library accepts, invalid
 * ones it refuses), its checks fail when they should (with messages that
 * say what is wrong), its replay helpers replay, and its conformance
 * suites catch allocators with planted bugs, reporting the shrunk
 * counterexample with its seed and path. Booting a machine on an
 * allocator of one's own (`Kernel.boot({ slab: factory })`) is checked
 * here too: the whole kernel runs through the `SlabLayer` interface, and
 * a bad factory is refused at boot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  __GFP_NOWARN,
  __GFP_ZERO,
  BuddyAllocator,
  checkGfp,
  GFP_KERNEL,
  type Gfp,
  Kernel,
  KernelBug,
  KernelError,
  type KmemCache,
  type KmemCacheOptions,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  type PageFrameAllocator,
  PROT_READ,
  PROT_WRITE,
  SLAB_FACTORIES,
  SLAB_KINDS,
  type SlabAllocatorBase,
  type SlabLayer,
  slabLayerProblem,
  type VirtAddr,
} from '../src/index.js';
import {
  addressSpaceOps,
  afterEachCommand,
  bootSmall,
  ConformanceFailure,
  cacheGeometry,
  checkPageAllocatorConformance,
  checkProperty,
  checkSlabAllocatorConformance,
  expectAllFreed,
  expectRejected,
  invalidCacheCreate,
  invalidGfp,
  invalidKmallocSize,
  invalidOrder,
  isValidGfp,
  kernelState,
  kmallocLimits,
  kmallocSize,
  ModelMismatch,
  NotAllFreed,
  order,
  PropertyFailure,
  replayFromDetails,
  replayFromReport,
  replayParameters,
  validGfp,
  withInvariants,
} from '../src/testing/index.js';

describe('arbitraries', () => {
  it('validGfp gives masks checkGfp accepts; invalidGfp masks every entry point refuses', () => {
    fc.assert(
      fc.property(validGfp(), (gfp) => {
        checkGfp('test', gfp);
      }),
      { numRuns: 300 },
    );
    const { k } = bootSmall({ memory: '4M' });
    const cache = k.kmemCacheCreate('g', 64);
    fc.assert(
      fc.property(invalidGfp(), (gfp) => {
        expect(() => checkGfp('test', gfp)).toThrow(KernelBug);
        const state = () => kernelState(k);
        expectRejected(() => k.allocPages(gfp, 0), state, 'allocPages');
        expectRejected(() => k.kmalloc(32, gfp), state, 'kmalloc');
        expectRejected(() => cache.alloc(gfp), state, 'cache.alloc');
      }),
      { numRuns: 200 },
    );
  });

  it('order gives orders allocPages takes; invalidOrder orders it refuses', () => {
    const { k } = bootSmall({ memory: '8M' });
    fc.assert(
      fc.property(order(), (o) => {
        expect(o).toBeGreaterThanOrEqual(0);
        expect(o).toBeLessThanOrEqual(k.MAX_ORDER);
        const pfn = k.allocPages(GFP_KERNEL | __GFP_NOWARN, o);
        if (pfn !== null) k.freePages(pfn, o);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(invalidOrder(), (o) => {
        expectRejected(
          () => k.allocPages(GFP_KERNEL, o),
          () => kernelState(k),
          `order ${o}`,
        );
      }),
      { numRuns: 100 },
    );
  });

  it('kmallocSize covers 0, every class boundary and both limits', () => {
    const { maxCacheSize, maxSize } = kmallocLimits(4096);
    expect(maxCacheSize).toBe(8192);
    expect(maxSize).toBe(4 * 2 ** 20);
    const seen = new Set(fc.sample(kmallocSize(), { numRuns: 5000, seed: 1 }));
    for (const size of [0, 7, 8, 9, 95, 96, 97, 191, 192, 193, 8191, 8192, 8193])
      expect(seen.has(size), `size ${size}`).toBe(true);
    expect([...seen].some((s) => s > maxCacheSize && s <= maxSize)).toBe(true);
    expect([...seen].some((s) => s > maxSize)).toBe(true);
    const capped = fc.sample(kmallocSize({ maxLarge: 70_000, tooLarge: false }), 2000);
    expect(capped.every((s) => s >= 0 && s <= 70_000)).toBe(true);
    const { k } = bootSmall({ memory: '4M' });
    fc.assert(
      fc.property(invalidKmallocSize(), (size) => {
        expectRejected(
          () => k.kmalloc(size, GFP_KERNEL),
          () => kernelState(k),
          `kmalloc(${size})`,
        );
      }),
      { numRuns: 100 },
    );
  });

  it.each(SLAB_KINDS)(
    '%s accepts every cacheGeometry and refuses every invalidCacheCreate',
    (kind) => {
      const { k } = bootSmall({ slab: kind, memory: '8M' });
      fc.assert(
        fc.property(cacheGeometry(), (g) => {
          const c = k.kmemCacheCreate('g', g.size, {
            align: g.align,
            flags: g.flags,
            ...(g.ctor ? { ctor: () => {} } : {}),
          });
          expect(c.objectSize).toBe(g.size);
          c.destroy();
        }),
        { numRuns: 100 },
      );
      fc.assert(
        fc.property(invalidCacheCreate(), ({ name, size, options, broken }) => {
          expectRejected(
            () => k.kmemCacheCreate(name as string, size as number, options as never),
            () => kernelState(k),
            broken,
          );
        }),
        { numRuns: 200 },
      );
    },
  );

  it('addressSpaceOps generates every operation', () => {
    const ops = fc.sample(addressSpaceOps({ maxLength: 40 }), { numRuns: 50, seed: 3 }).flat();
    const names = new Set(ops.map((op) => op.op));
    expect([...names].sort()).toEqual(
      ['brk', 'exit', 'fork', 'load', 'madvise', 'mmap', 'mprotect', 'munmap', 'store'].sort(),
    );
    const noForks = fc.sample(addressSpaceOps({ weights: { fork: 0, exit: 0 } }), 50).flat();
    expect(noForks.some((op) => op.op === 'fork' || op.op === 'exit')).toBe(false);
  });
});

describe('checks', () => {
  it('expectRejected fails for a call that returns, throws something else, or changes state', () => {
    const { k } = bootSmall({ memory: '4M' });
    const state = () => kernelState(k);
    expect(() => expectRejected(() => 1, state, 'a call')).toThrow(
      /a call should throw KernelBug, but returned 1/,
    );
    expect(() =>
      expectRejected(
        () => {
          throw new RangeError('no');
        },
        state,
        'a call',
      ),
    ).toThrow(/but threw RangeError: no/);
    expect(() =>
      expectRejected(
        () => {
          k.kmalloc(64, GFP_KERNEL);
          throw new KernelBug('late');
        },
        state,
        'a call',
      ),
    ).toThrow(/threw KernelBug but changed state, line \d+:\n- .*\n\+ /);
    expectRejected(() => k.kfree(0x1000), state, 'kfree of a user address');
  });

  it('expectAllFreed passes once everything is released, and names what leaks', () => {
    const { k, baseline } = bootSmall({ memory: '8M' });
    const c = k.kmemCacheCreate('mine', 200);
    const obj = c.alloc(GFP_KERNEL) as number;
    const p = k.spawn({ name: 'leaky' });
    const va = p.sys.mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p.store32(va, 1);
    c.free(obj);
    expectAllFreed(k, baseline, { destroy: [c] }); // exits the process too
    expect(p.state).toBe('exited');

    const leak = k.kmalloc(100, GFP_KERNEL);
    expect(leak).not.toBeNull();
    let error: unknown;
    try {
      expectAllFreed(k, baseline);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotAllFreed);
    const message = (error as Error).message;
    expect(message).toMatch(/free pages, \d+ after boot \(1 missing\)/);
    expect(message).toMatch(/\/proc\/buddyinfo \(- after boot, \+ now\), line \d+:\n- Node 0/);
    expect(message).toContain('cache kmalloc-128: 1 objects allocated, 0 after boot');
    k.kfree(leak);
    expectAllFreed(k, baseline);
  });

  it('withInvariants runs checkInvariants after every command', () => {
    let runs = 0;
    let checks = 0;
    const { k } = bootSmall({ memory: '4M' });
    const real = { k: { checkInvariants: () => checks++ } as unknown as Kernel };
    const cmd: fc.Command<object, typeof real> = {
      check: () => true,
      run: () => {
        runs++;
      },
      toString: () => 'cmd',
    };
    const [arb] = withInvariants([fc.constant(cmd)]);
    const wrapped = fc.sample(arb as fc.Arbitrary<fc.Command<object, typeof real>>, 1)[0];
    wrapped?.run({}, real);
    wrapped?.run({}, real);
    expect([runs, checks, wrapped?.toString()]).toEqual([2, 2, 'cmd']);
    const [other] = afterEachCommand([fc.constant(cmd)], () => {
      throw new ModelMismatch('disagrees');
    });
    const failing = fc.sample(other as fc.Arbitrary<fc.Command<object, typeof real>>, 1)[0];
    expect(() => failing?.run({}, real)).toThrow('disagrees');
    k.checkInvariants();
  });
});

describe('replay', () => {
  /** A property over commands that fails once three pushes have run. */
  class Push implements fc.Command<{ n: number }, object> {
    check(): boolean {
      return true;
    }
    run(model: { n: number }): void {
      if (++model.n >= 3) throw new ModelMismatch(`${model.n} pushes`);
    }
    toString(): string {
      return 'push';
    }
  }
  const property = (replayPath?: string) =>
    fc.property(
      fc.nat(),
      fc.commands([fc.constant(new Push())], replayPath === undefined ? {} : { replayPath }),
      (_n, cmds) => {
        fc.modelRun(() => ({ model: { n: 0 }, real: {} }), cmds);
      },
    );

  it('checkProperty reports seed, path and replayPath; replayFromReport reads them back', () => {
    let failure: unknown;
    try {
      checkProperty('pushes', property(), { seed: 7 });
    } catch (e) {
      failure = e;
    }
    expect(failure).toBeInstanceOf(PropertyFailure);
    const message = (failure as PropertyFailure).message;
    expect(message).toMatch(/^pushes: Property failed after \d+ tests\n\{ seed: 7, path: "[\d:]+"/);
    expect(message).toContain('Counterexample: [0,push,push,push /*replayPath=');
    expect(message).toContain('Caused by: ModelMismatch: 3 pushes');
    const replay = replayFromReport(message);
    expect(replay).toEqual((failure as PropertyFailure).replay);
    expect(replay.seed).toBe(7);
    expect(replay.replayPath).toMatch(/^\w+/);
    // One run, the counterexample itself.
    const again = fc.check(property(replay.replayPath), replayParameters(replay));
    expect(again.failed).toBe(true);
    expect(again.numRuns).toBe(1);
    const commandsOf = <T>(details: fc.RunDetails<T>) =>
      fc.stringify(details.counterexample).replace(/ \/\*replayPath=.*\*\//, '');
    expect(commandsOf(again)).toBe(commandsOf(fc.check(property(), { seed: 7 })));
    expect(replayFromDetails(again)?.seed).toBe(7);
    expect(replayFromDetails(fc.check(fc.property(fc.nat(), () => true)))).toBeNull();
    expect(() => replayFromReport('no seed here')).toThrow(/no \{ seed, path \}/);
  });

  it('a passing property returns its run details', () => {
    expect(
      checkProperty(
        'fine',
        fc.property(fc.nat(), (n) => n >= 0),
        { numRuns: 10 },
      ).numRuns,
    ).toBe(10);
  });
});

// --- bring your own allocator ----------------------------------------------------------------

type SlabBug =
  | 'none'
  | 'double-kfree-ignored'
  | 'ksize-short'
  | 'kmalloc-0-null'
  | 'large-kfree-leaks'
  | 'wrong-cache-accepted'
  | 'zero-ignored'
  | 'ctor-every-alloc';

/**
 * A slab allocator "of one's own": SLUB behind the `SlabLayer` interface
 * alone (the kernel sees nothing else), with one bug planted on request.
 */
class UserSlab implements SlabLayer {
  readonly kind: string;
  private readonly wrappers = new Map<KmemCache, KmemCache>();
  constructor(
    private readonly inner: SlabAllocatorBase,
    private readonly bug: SlabBug,
  ) {
    this.kind = `user-${bug}`;
  }
  get caches(): readonly KmemCache[] {
    return this.inner.caches.map((c) => this.wrappers.get(c) ?? c);
  }
  kmemCacheCreate(name: string, size: number, options?: KmemCacheOptions): KmemCache {
    const cache = this.inner.kmemCacheCreate(name, size, options);
    if (!['wrong-cache-accepted', 'zero-ignored', 'ctor-every-alloc'].includes(this.bug))
      return cache;
    const inner = this.inner;
    const bug = this.bug;
    const wrapper: KmemCache = {
      name: cache.name,
      objectSize: cache.objectSize,
      size: cache.size,
      align: cache.align,
      flags: cache.flags,
      alloc: (gfp: Gfp) => {
        const obj = cache.alloc(
          bug === 'zero-ignored' && isValidGfp(gfp) ? gfp & ~__GFP_ZERO : gfp,
        );
        if (bug === 'ctor-every-alloc' && obj !== null) options?.ctor?.(obj);
        return obj;
      },
      // kfree finds the right cache: a free to the wrong one goes unnoticed.
      free: (obj: number) => (bug === 'wrong-cache-accepted' ? inner.kfree(obj) : cache.free(obj)),
      shrink: () => cache.shrink(),
      destroy: () => {
        cache.destroy();
        this.wrappers.delete(cache);
      },
      slabinfo: () => cache.slabinfo(),
    };
    this.wrappers.set(cache, wrapper);
    return wrapper;
  }
  hasCache(cache: unknown): boolean {
    for (const [inner, wrapper] of this.wrappers) {
      if (wrapper === cache) return this.inner.hasCache(inner);
    }
    return this.inner.hasCache(cache);
  }
  kmalloc(size: number, gfp: Gfp): VirtAddr | null {
    if (this.bug === 'kmalloc-0-null' && size === 0) return null;
    return this.inner.kmalloc(size, gfp);
  }
  kfree(ptr: number | null): void {
    if (this.bug === 'double-kfree-ignored') {
      try {
        this.inner.kfree(ptr);
      } catch {}
      return;
    }
    if (this.bug === 'large-kfree-leaks' && ptr !== null && ptr !== 0 && ptr !== 16) {
      if (this.inner.ksize(ptr) > 8192) return;
    }
    this.inner.kfree(ptr);
  }
  ksize(ptr: number): number {
    const n = this.inner.ksize(ptr);
    return this.bug === 'ksize-short' && n > 0 ? n - 1 : n;
  }
  checkInvariants(): void {
    this.inner.checkInvariants();
  }
}

const userSlab = (bug: SlabBug) => (buddy: BuddyAllocator, options: object) =>
  new UserSlab(SLAB_FACTORIES.slub(buddy, options), bug);

describe('Kernel.boot({ slab: factory })', () => {
  it('runs the whole machine on an allocator known only through SlabLayer', () => {
    const k = Kernel.boot({ memory: '16M', slab: userSlab('none') });
    expect(k.slab.kind).toBe('user-none');
    expect(k.config.slab).toBe('custom');
    const c = k.kmemCacheCreate('mine', 48);
    const obj = k.kmemCacheAlloc(c, GFP_KERNEL) as number;
    const p = k.spawn({ name: 'on-user-slab' });
    const va = p.sys.mmap(0, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (let i = 0; i < 64; i++) p.store32(va + i * 4096, i);
    expect(p.fork().load32(va + 5 * 4096)).toBe(5);
    expect(k.krealloc(k.kzalloc(10, GFP_KERNEL), 300, GFP_KERNEL)).not.toBeNull();
    expect(k.proc('/proc/slabinfo')).toMatch(/^mine /m);
    expect(k.proc('/proc/meminfo')).toMatch(/^Slab:\s+\d+ kB$/m);
    k.checkInvariants();
    k.kmemCacheFree(c, obj);
    // A cache of another machine is refused by the kernel's check (hasCache).
    const other = Kernel.boot({ memory: '4M' }).kmemCacheCreate('other', 48);
    expect(() => k.kmemCacheAlloc(other, GFP_KERNEL)).toThrow(KernelBug);
  });

  it('refuses a bad factory or a bad result at boot, saying what is wrong', () => {
    const boot = (slab: unknown) => () => Kernel.boot({ slab: slab as never, memory: '4M' });
    expect(boot('slub2')).toThrow(KernelError);
    expect(boot('slub2')).toThrow(
      /slab: "slub2" is not one of slub, slab, slob or a factory function/,
    );
    expect(boot(42)).toThrow(/slab: 42 is not one of/);
    expect(boot(() => null)).toThrow(
      /EINVAL: Kernel.boot: slab: the factory did not return a slab allocator \(SlabLayer\): it is null, not an object/,
    );
    expect(boot(() => ({ kind: 'x', caches: [] }))).toThrow(
      /it has no kmemCacheCreate, hasCache, kmalloc, kfree, ksize, checkInvariants methods/,
    );
    expect(
      boot(() => {
        throw new RangeError('no memory for my tables');
      }),
    ).toThrow(/slab: the factory threw RangeError: no memory for my tables/);
  });

  it('slabLayerProblem accepts the built-in allocators', () => {
    for (const kind of SLAB_KINDS) {
      const k = Kernel.boot({ slab: kind, memory: '4M' });
      expect(slabLayerProblem(k.slab)).toBeNull();
      const again = Kernel.boot({ slab: SLAB_FACTORIES[kind], memory: '4M' });
      expect(again.slab.kind).toBe(kind);
    }
  });
});

/** Runs a conformance function expecting it to fail; returns the failure. */
function failureOf(run: () => unknown): ConformanceFailure {
  try {
    run();
  } catch (e) {
    if (e instanceof ConformanceFailure) return e;
    throw e;
  }
  return expect.fail('the conformance suite passed');
}

describe('checkSlabAllocatorConformance', () => {
  it('passes on an allocator that is SLUB behind the interface', () => {
    const report = checkSlabAllocatorConformance(userSlab('none'), { numRuns: 5, seed: 1 });
    expect(report.subject).toBe('user-none');
    expect(report.properties.map((p) => [p.name, p.numRuns])).toEqual([
      ['model', 5],
      ['arguments', 5],
      ['kmalloc', 5],
      ['ctor', 5],
      ['out-of-memory', 5],
    ]);
  });

  it.each([
    ['double-kfree-ignored', /kfree.* should throw KernelBug, but returned/],
    ['ksize-short', /ksize \d+ is below the size asked for/],
    ['kmalloc-0-null', /the result is null, expected 16/],
    [
      'large-kfree-leaks',
      // A kfree that does nothing also lets a second kfree pass, which the model checks first.
      /NotAllFreed: expectAllFreed: the machine does not hold|a second kfree of 0x[0-9a-f]+ should throw KernelBug/,
    ],
    ['wrong-cache-accepted', /free of a model-\d+ object to model-\d+ should throw KernelBug/],
    ['zero-ignored', /with __GFP_ZERO: byte \d+ is \d+, not zero/],
    [
      'ctor-every-alloc',
      /constructor runs when an object is allocated again after a free is \d+, expected \d+/,
    ],
  ] as const)('catches a planted bug: %s', (bug, cause) => {
    const failure = failureOf(() =>
      checkSlabAllocatorConformance(userSlab(bug), {
        only: ['model', 'kmalloc', 'ctor'],
        seed: 42,
      }),
    );
    expect(failure.message).toMatch(
      /^checkSlabAllocatorConformance\(user-[a-z0-9-]+\): (model|kmalloc|ctor): Property failed after \d+ tests\n\{ seed: 42, path: "[\d:]+"/,
    );
    expect(failure.message).toMatch(/\nCounterexample: /);
    expect(failure.message).toMatch(cause);
    expect(failure.message).toMatch(
      /\nReplay it with the options \{ seed: 42, path: "[\d:]+"(, replayPath: "[^"]+")?, only: \['(model|kmalloc|ctor)'\] \}$/,
    );
    // The options in the message replay the counterexample: it fails on the first run.
    const replayed = failureOf(() =>
      checkSlabAllocatorConformance(userSlab(bug), {
        only: [failure.property as 'model' | 'kmalloc' | 'ctor'],
        ...failure.replay,
      }),
    );
    expect(replayed.message).toMatch(/Property failed after 1 tests/);
    const commands = (message: string) =>
      message
        .split('\nCounterexample: ')[1]
        ?.split('\n')[0]
        ?.replace(/ \/\*replayPath=.*\*\//, '');
    expect(commands(replayed.message)).toBe(commands(failure.message));
  });
});

// --- a page-frame allocator of one's own ----------------------------------------------------

type PageBug = 'none' | 'double-free-ignored' | 'zero-ignored' | 'high-order-free-leaks';

/** The buddy allocator behind `PageFrameAllocator` alone, with one bug planted on request. */
function userFrames(bug: PageBug) {
  return (
    memory: ConstructorParameters<typeof BuddyAllocator>[0],
    setup: { arch: never; cpus: number },
  ) => {
    const buddy = new BuddyAllocator(memory, setup);
    const frames: PageFrameAllocator = {
      memory,
      allocPages: (gfp, o) =>
        buddy.allocPages(bug === 'zero-ignored' && isValidGfp(gfp) ? gfp & ~__GFP_ZERO : gfp, o),
      freePages: (pfn, o) => {
        if (bug === 'high-order-free-leaks' && o > 2) return;
        if (bug === 'double-free-ignored') {
          try {
            buddy.freePages(pfn, o);
          } catch {}
          return;
        }
        buddy.freePages(pfn, o);
      },
      nrFreePages: () => buddy.nrFreePages(),
      drainAllPages: () => buddy.drainAllPages(),
      checkInvariants: () => buddy.checkInvariants(),
    };
    return frames;
  };
}

describe('checkPageAllocatorConformance', () => {
  it('passes on the buddy allocator behind the interface', () => {
    const report = checkPageAllocatorConformance(userFrames('none') as never, { numRuns: 10 });
    expect(report.properties.map((p) => p.name)).toEqual(['model', 'exhaustion']);
  });

  it.each([
    ['double-free-ignored', /freePages\(.*\) should throw KernelBug, but returned undefined/],
    ['zero-ignored', /frame \d+ is not zeroed/],
    [
      'high-order-free-leaks',
      /free frames|free \+ allocated frames|frames free after freeing everything/,
    ],
  ] as const)('catches a planted bug: %s', (bug, cause) => {
    const failure = failureOf(() =>
      checkPageAllocatorConformance(userFrames(bug) as never, { seed: 42, memory: '8M' }),
    );
    expect(failure.message).toMatch(
      /^checkPageAllocatorConformance\(page allocator\): (model|exhaustion): Property failed/,
    );
    expect(failure.message).toMatch(/\{ seed: 42, path: "[\d:]+"/);
    expect(failure.message).toMatch(cause);
  });
});
