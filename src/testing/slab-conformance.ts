/**
 * `checkSlabAllocatorConformance`: the property suite SLUB, SLAB and SLOB
 * pass, run on any slab allocator, built-in or your own. Each run boots a
 * small machine on the allocator (`Kernel.boot({ slab: factory })`, so the
 * whole kernel runs on it), drives it, and ends with "everything freed is
 * back". The properties:
 *
 * - `model`: random kmem_cache and kmalloc commands against the model
 *   (`kmemCacheCommands`, `kmallocCommands`): contents intact, no overlap,
 *   alignment, `ksize`, `__GFP_ZERO`, constructors, shrink and destroy,
 *   and misuse (double free, wrong cache, interior and foreign pointers,
 *   invalid arguments) refused with `KernelBug`, changing nothing;
 *   `k.checkInvariants()` after every command.
 * - `arguments`: any valid cache geometry is accepted and works; invalid
 *   creation arguments, gfp masks and kmalloc sizes are refused.
 * - `kmalloc`: sizes at and around every kmalloc class boundary, 0
 *   (`ZERO_SIZE_PTR`) and above `KMALLOC_MAX_SIZE` (`null`); `kfree(null)`
 *   and `kfree(ZERO_SIZE_PTR)` change nothing.
 * - `ctor`: every object of a ctor cache is handed out constructed, and an
 *   object freed and allocated again is not constructed again.
 * - `out-of-memory`: filling memory gives `null` (not an exception), and
 *   freeing everything gives every page back.
 */
import fc from 'fast-check';
import type { BootOptions } from '../boot-options.js';
import { __GFP_NOWARN, GFP_KERNEL } from '../gfp/flags.js';
import { showAddress } from '../page/address.js';
import { ZERO_SIZE_PTR } from '../slab/kmalloc-sizes.js';
import type { SlabKind } from '../slab/slab-kind.js';
import type { SlabFactory } from '../slab/slab-layer.js';
import { expectAllFreed } from './all-freed.js';
import { expectRejected, modelAssert, modelEqual } from './assertions.js';
import { cacheGeometry, invalidCacheCreate } from './cache-geometry.js';
import {
  type ConformanceOptions,
  type ConformanceReport,
  runSuite,
  type SuiteProperty,
  suiteProperty,
} from './conformance.js';
import { invalidGfp } from './gfp-arbitraries.js';
import { invalidKmallocSize, kmallocSize } from './kmalloc-arbitraries.js';
import { KmallocCommand, kmallocCommands } from './kmalloc-commands.js';
import {
  CacheAllocCommand,
  CacheFreeCommand,
  CreateCacheCommand,
  kmemCacheCommands,
} from './kmem-cache-commands.js';
import { bootSmall, type SmallMachine } from './machine.js';
import {
  checkSlab,
  newSlabModel,
  releaseSlabObjects,
  type SlabModel,
  type SlabReal,
} from './slab-model.js';
import { kernelState } from './state-snapshot.js';

/** The properties of the slab suite. */
export type SlabConformanceProperty = 'model' | 'arguments' | 'kmalloc' | 'ctor' | 'out-of-memory';

/** Options of {@link checkSlabAllocatorConformance}. */
export interface SlabConformanceOptions extends ConformanceOptions<SlabConformanceProperty> {
  /** The machine each run boots (default `{ memory: '8M' }`; `slab` is the allocator under test). */
  readonly machine?: Omit<BootOptions, 'slab'>;
}

/**
 * Runs the slab allocator suite (see the module comment) on `slab`: a
 * built-in allocator's name or a factory of your own. Returns what ran,
 * or throws a `ConformanceFailure` whose message holds fast-check's report
 * with the shrunk counterexample, the error it raised, and the options that
 * replay it.
 *
 * @throws ConformanceFailure for the first property that fails.
 * @throws KernelError if a machine cannot boot on the allocator (a bad factory).
 *
 * @example
 * ```ts
 * import { checkSlabAllocatorConformance } from 'mmsim/testing';
 *
 * checkSlabAllocatorConformance((buddy, options) => new MySlab(buddy, options));
 * // a failure throws, e.g.:
 * // ConformanceFailure: checkSlabAllocatorConformance(my-slab): model: Property failed after 3 tests
 * // { seed: 1234, path: "2:1:0", endOnFailure: true }
 * // Counterexample: [[create(24, align 0, flags 0x0),cacheAlloc(#0, x9, 0xcc0)] ...]
 * // Caused by: ModelMismatch: alloc from model-0 returned an object at ... overlapping ...
 * // Replay it with the options { seed: 1234, path: "2:1:0", replayPath: "A:B", only: ['model'] }
 * ```
 */
export function checkSlabAllocatorConformance(
  slab: SlabKind | SlabFactory,
  options: SlabConformanceOptions = {},
): ConformanceReport {
  const machine: BootOptions = { ...options.machine, slab };
  const boot = (extra: BootOptions = {}): SmallMachine => bootSmall({ ...machine, ...extra });
  const first = boot();
  const pageSize = first.k.PAGE_SIZE;
  const maxCommands = options.maxCommands ?? 40;

  const properties: SuiteProperty<SlabConformanceProperty>[] = [
    suiteProperty('model', 40, (replayPath) => {
      const commands = [...kmemCacheCommands({ pageSize }), ...kmallocCommands({ pageSize })];
      const constraints = {
        maxCommands,
        size: 'max' as const,
        ...(replayPath === undefined ? {} : { replayPath }),
      };
      return fc.property(fc.commands(commands, constraints), (cmds) => {
        const { k, baseline } = boot();
        const model = newSlabModel();
        fc.modelRun(() => ({ model, real: { k } }), cmds);
        releaseSlabObjects(model, { k });
        expectAllFreed(k, baseline);
      });
    }),
    suiteProperty('arguments', 20, () =>
      fc.property(
        cacheGeometry({ pageSize }),
        fc.integer({ min: 1, max: 20 }),
        invalidCacheCreate({ pageSize }),
        invalidGfp(),
        invalidKmallocSize(),
        (geometry, count, bad, gfp, size) => {
          const { k, baseline } = boot();
          const model = newSlabModel();
          const real: SlabReal = { k };
          new CreateCacheCommand(geometry).run(model, real);
          new CacheAllocCommand(0, count, GFP_KERNEL).run(model, real);
          const cache = (model.caches[0] as SlabModel['caches'][number]).cache;
          const state = () => kernelState(k);
          expectRejected(
            () => k.kmemCacheCreate(bad.name as string, bad.size as number, bad.options as never),
            state,
            `kmemCacheCreate with ${bad.broken}`,
          );
          expectRejected(() => k.kmemCacheAlloc(cache, gfp), state, `alloc with gfp ${gfp}`);
          expectRejected(() => k.kmalloc(64, gfp), state, `kmalloc(64, ${gfp})`);
          expectRejected(() => k.kmalloc(size, GFP_KERNEL), state, `kmalloc(${size})`);
          checkSlab(model, real);
          releaseSlabObjects(model, real);
          expectAllFreed(k, baseline);
        },
      ),
    ),
    suiteProperty('kmalloc', 20, () =>
      fc.property(
        fc.array(fc.tuple(kmallocSize({ pageSize, maxLarge: 70_000 }), fc.boolean()), {
          minLength: 1,
          maxLength: 25,
        }),
        (requests) => {
          const { k, baseline } = boot();
          const model = newSlabModel();
          const real: SlabReal = { k };
          const before = kernelState(k);
          k.kfree(null);
          k.kfree(ZERO_SIZE_PTR);
          modelEqual(kernelState(k), before, 'state after kfree(null) and kfree(ZERO_SIZE_PTR)');
          for (const [size, zero] of requests) {
            new KmallocCommand(size, GFP_KERNEL, zero ? 'kzalloc' : 'kmalloc').run(model, real);
          }
          releaseSlabObjects(model, real);
          expectAllFreed(k, baseline);
        },
      ),
    ),
    suiteProperty('ctor', 15, () =>
      fc.property(
        cacheGeometry({ pageSize }).map((g) => ({ ...g, ctor: true })),
        fc.integer({ min: 1, max: 30 }),
        fc.nat(),
        (geometry, count, pick) => {
          const { k, baseline } = boot();
          const model = newSlabModel();
          const real: SlabReal = { k };
          new CreateCacheCommand(geometry).run(model, real);
          const c = model.caches[0] as SlabModel['caches'][number];
          new CacheAllocCommand(0, count, GFP_KERNEL).run(model, real);
          const live = model.live.length;
          modelAssert(
            c.ctorCalls >= live,
            () => `${live} objects handed out, the constructor ran ${c.ctorCalls} times`,
          );
          if (live > 0) {
            new CacheFreeCommand(pick).run(model, real);
            const calls = c.ctorCalls;
            new CacheAllocCommand(0, 1, GFP_KERNEL).run(model, real);
            modelEqual(
              c.ctorCalls,
              calls,
              'constructor runs when an object is allocated again after a free',
            );
          }
          releaseSlabObjects(model, real);
          expectAllFreed(k, baseline);
        },
      ),
    ),
    suiteProperty('out-of-memory', 3, () =>
      fc.property(
        fc.integer({ min: 128, max: 4096 }),
        fc.integer({ min: 128, max: 3000 }),
        (objectSize, kmallocBytes) => {
          const { k, baseline } = boot({ memory: '4M' });
          const cache = k.kmemCacheCreate('fill', objectSize);
          const objects = new Set<number>();
          const buffers = new Set<number>();
          const gfp = GFP_KERNEL | __GFP_NOWARN;
          for (let i = 0; i < 1_000_000; i++) {
            const va = k.kmemCacheAlloc(cache, gfp);
            if (va === null) break;
            modelAssert(!objects.has(va), () => `${showAddress(va)} was handed out twice`);
            objects.add(va);
          }
          for (let i = 0; i < 1_000_000; i++) {
            const va = k.kmalloc(kmallocBytes, gfp);
            if (va === null) break;
            modelAssert(!buffers.has(va), () => `kmalloc returned ${showAddress(va)} twice`);
            buffers.add(va);
          }
          modelAssert(objects.size > 0, 'not one object could be allocated');
          k.checkInvariants();
          for (const va of objects) k.kmemCacheFree(cache, va);
          for (const va of buffers) k.kfree(va);
          expectAllFreed(k, baseline, { destroy: [cache] });
        },
      ),
    ),
  ];
  return runSuite('checkSlabAllocatorConformance', first.k.slab.kind, properties, options);
}
