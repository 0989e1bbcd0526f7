/**
 * `checkPageAllocatorConformance`: the property suite the buddy allocator
 * passes, run on any `PageFrameAllocator`. Each run builds the allocator
 * over fresh RAM with the factory. The properties:
 *
 * - `model`: random allocations, frees, drains and CPU switches against a
 *   model of the allocated blocks (`pageAllocatorCommands`): blocks in
 *   RAM, aligned, disjoint, keeping their contents, zeroed for
 *   `__GFP_ZERO`; misuse (frees twice, with the wrong order, inside a
 *   block, of frames never allocated, of nonsense values; invalid masks
 *   and orders) refused with `KernelBug`; `checkInvariants()` after every
 *   command; everything freed is back.
 * - `exhaustion`: allocating blocks of one order until `null` gives
 *   disjoint, aligned blocks (never an exception), and freeing them all
 *   gives every frame back.
 *
 * A kernel cannot boot on such an allocator (see page-frame-allocator.ts
 * for why): this suite is for page-frame allocators used on their own.
 */
import fc from 'fast-check';
import { parseSize } from '../boot-options.js';
import type { PageFrameAllocatorFactory } from '../buddy/page-frame-allocator.js';
import { __GFP_NOWARN } from '../gfp/flags.js';
import { type ArchName, getArch } from '../page/arch.js';
import { PhysicalMemory } from '../page/physical-memory.js';
import { modelAssert } from './assertions.js';
import {
  type ConformanceOptions,
  type ConformanceReport,
  runSuite,
  type SuiteProperty,
  suiteProperty,
} from './conformance.js';
import { allocationGfp } from './gfp-arbitraries.js';
import { order } from './order-arbitraries.js';
import {
  newPageAllocatorModel,
  pageAllocatorCommands,
  releasePageBlocks,
} from './page-allocator-commands.js';
import { type PageAllocatorSubject, pageFrameSubject } from './page-subject.js';

/** The properties of the page allocator suite. */
export type PageAllocatorConformanceProperty = 'model' | 'exhaustion';

/** Options of {@link checkPageAllocatorConformance}. */
export interface PageAllocatorConformanceOptions
  extends ConformanceOptions<PageAllocatorConformanceProperty> {
  /** The architecture whose page size the RAM has (default `'x86_64'`). */
  readonly arch?: ArchName;
  /** Bytes of RAM, or a size such as `'16M'` (default 16 MiB). */
  readonly memory?: number | string;
  /** CPUs the factory is told about (default 1). */
  readonly cpus?: number;
  /** The allocator's name in reports (default: its class's name). */
  readonly name?: string;
}

/**
 * Runs the page allocator suite (see the module comment) on allocators
 * `factory` builds. Returns what ran, or throws a `ConformanceFailure` with
 * fast-check's report (the shrunk counterexample, seed and path) and the
 * options that replay it.
 *
 * @throws ConformanceFailure for the first property that fails.
 *
 * @example
 * ```ts
 * import { BuddyAllocator } from 'mmsim';
 * import { checkPageAllocatorConformance } from 'mmsim/testing';
 *
 * checkPageAllocatorConformance((memory, setup) => new BuddyAllocator(memory, setup));
 * ```
 */
export function checkPageAllocatorConformance(
  factory: PageFrameAllocatorFactory,
  options: PageAllocatorConformanceOptions = {},
): ConformanceReport {
  const arch = options.arch ?? 'x86_64';
  const { pageSize } = getArch(arch);
  const bytes = Math.floor(parseSize(options.memory ?? '16M', 'memory') / pageSize) * pageSize;
  const setup = { arch, cpus: options.cpus ?? 1 };
  const build = (): PageAllocatorSubject =>
    pageFrameSubject(factory(new PhysicalMemory(bytes, pageSize), setup));
  // A class's name, unless a bundler renamed it (`_class2`) or it is a plain object.
  const className = build().allocator.constructor.name;
  const name =
    options.name ?? (/^(_?class\d*|Object|)$/.test(className) ? 'page allocator' : className);
  const maxCommands = options.maxCommands ?? 60;

  const properties: SuiteProperty<PageAllocatorConformanceProperty>[] = [
    suiteProperty('model', 40, (replayPath) => {
      const constraints = {
        maxCommands,
        size: 'max' as const,
        ...(replayPath === undefined ? {} : { replayPath }),
      };
      return fc.property(fc.commands(pageAllocatorCommands(), constraints), (cmds) => {
        const subject = build();
        const model = newPageAllocatorModel();
        fc.modelRun(() => ({ model, real: subject }), cmds);
        releasePageBlocks(model, subject);
      });
    }),
    suiteProperty('exhaustion', 8, () =>
      fc.property(order({ max: 4 }), allocationGfp(), (o, gfp) => {
        const { allocator, initialFree } = build();
        const { frames } = allocator.memory;
        const n = 2 ** o;
        const owned = new Uint8Array(frames);
        const blocks: number[] = [];
        for (;;) {
          const pfn = allocator.allocPages(gfp | __GFP_NOWARN, o);
          if (pfn === null) break;
          modelAssert(
            Number.isInteger(pfn) && pfn >= 0 && pfn + n <= frames && pfn % n === 0,
            () => `allocPages(${gfp}, ${o}) returned pfn ${pfn}`,
          );
          for (let i = pfn; i < pfn + n; i++) {
            modelAssert(owned[i] === 0, () => `frame ${i} was handed out twice`);
            owned[i] = 1;
          }
          blocks.push(pfn);
          modelAssert(blocks.length * n <= initialFree, 'more frames allocated than were free');
        }
        allocator.checkInvariants();
        for (const pfn of blocks) allocator.freePages(pfn, o);
        allocator.drainAllPages();
        allocator.checkInvariants();
        modelAssert(
          allocator.nrFreePages() === initialFree,
          () =>
            `${allocator.nrFreePages()} frames free after freeing everything, ${initialFree} at the start`,
        );
      }),
    ),
  ];
  return runSuite('checkPageAllocatorConformance', name, properties, options);
}
