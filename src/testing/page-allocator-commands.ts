/**
 * Model-based commands for a page allocator: allocations of any order
 * and mask, frees, frees the allocator must refuse (twice, with the wrong
 * order, inside a block, of a frame never allocated, of nonsense values),
 * allocations it must refuse (invalid masks and orders), draining the
 * per-CPU lists and switching CPUs, against a model of the allocated
 * blocks and the tag written into each.
 *
 * After every command: `checkInvariants()` holds; every block is in RAM,
 * aligned to its order, overlaps no other, and still holds its tag in its
 * first and last words (so nothing else was handed the same frames);
 * `GFP_DMA` blocks lie in ZONE_DMA and `__GFP_ZERO` blocks were zeroed;
 * a refused call changed nothing; free plus allocated frames never exceed
 * what was free at the start, and after a drain they add up to it exactly.
 */
import fc from 'fast-check';
import { __GFP_DMA, __GFP_NOWARN, __GFP_ZERO, type Gfp } from '../gfp/flags.js';
import { expectRejected, modelAssert, modelEqual } from './assertions.js';
import { allocationGfp, invalidGfp } from './gfp-arbitraries.js';
import { invalidOrder, order } from './order-arbitraries.js';
import type { PageAllocatorSubject, PageBlock } from './page-subject.js';

/** The model: the blocks the test holds. */
export interface PageAllocatorModel {
  /** Allocated blocks, oldest first. */
  readonly blocks: PageBlock[];
  /** The next tag to write. */
  nextTag: number;
}

/** A fresh model, holding nothing. */
export function newPageAllocatorModel(): PageAllocatorModel {
  return { blocks: [], nextTag: 1 };
}

/** A command of the page allocator command set. */
export type PageAllocatorCommand = fc.Command<PageAllocatorModel, PageAllocatorSubject>;

/**
 * Compares the allocator with the model (see the module comment); the
 * check every command runs after itself.
 *
 * @throws ModelMismatch (or KernelBug from `checkInvariants`) on any disagreement.
 */
export function checkPageAllocator(model: PageAllocatorModel, subject: PageAllocatorSubject): void {
  const { allocator } = subject;
  allocator.checkInvariants();
  const { memory } = allocator;
  let allocated = 0;
  for (const b of model.blocks) {
    // Each block still holds its tag: no other block overlaps it.
    modelEqual(memory.load32(b.pfn * memory.pageSize), b.tag, `tag at the start of block ${b.pfn}`);
    modelEqual(
      memory.load32((b.pfn + 2 ** b.order) * memory.pageSize - 4),
      b.tag,
      `tag at the end of block ${b.pfn}`,
    );
    allocated += 2 ** b.order;
  }
  const free = allocator.nrFreePages();
  modelAssert(
    free + allocated <= subject.initialFree,
    () =>
      `${free} free + ${allocated} allocated frames exceed the ${subject.initialFree} free at the start`,
  );
  subject.check(model.blocks);
}

/** `allocPages(gfp | __GFP_NOWARN, order)`: a block, checked and tagged, or `null`. */
export class AllocPagesCommand implements PageAllocatorCommand {
  constructor(
    /** The mask (`__GFP_NOWARN` is added). */
    readonly gfp: Gfp,
    /** The order. */
    readonly order: number,
  ) {}
  /** Always runs. */
  check(): boolean {
    return true;
  }
  /** Allocates, checks the block and records it. */
  run(model: PageAllocatorModel, subject: PageAllocatorSubject): void {
    const { allocator } = subject;
    const { memory } = allocator;
    const n = 2 ** this.order;
    const pfn = allocator.allocPages(this.gfp | __GFP_NOWARN, this.order);
    if (pfn !== null) {
      modelAssert(
        Number.isInteger(pfn) && pfn >= 0 && pfn + n <= memory.frames,
        () => `${this} returned pfn ${pfn}, outside RAM`,
      );
      modelEqual(pfn % n, 0, `${this}: pfn ${pfn} modulo ${n}`);
      if ((this.gfp & __GFP_DMA) !== 0 && subject.dmaEndPfn > 0) {
        modelAssert(
          pfn + n <= subject.dmaEndPfn,
          () => `${this} returned pfn ${pfn}, outside ZONE_DMA`,
        );
      }
      for (const b of model.blocks) {
        modelAssert(
          !(pfn < b.pfn + 2 ** b.order && b.pfn < pfn + n),
          () =>
            `${this} returned pfn ${pfn}, overlapping the block at pfn ${b.pfn} (order ${b.order})`,
        );
      }
      if ((this.gfp & __GFP_ZERO) !== 0) {
        for (let i = 0; i < n; i++)
          modelAssert(memory.isPageZero(pfn + i), () => `${this}: frame ${pfn + i} is not zeroed`);
      }
      const tag = model.nextTag++;
      memory.store32(pfn * memory.pageSize, tag);
      memory.store32((pfn + n) * memory.pageSize - 4, tag);
      model.blocks.push({ pfn, order: this.order, tag });
    }
    checkPageAllocator(model, subject);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `allocPages(0x${this.gfp.toString(16)}, ${this.order})`;
  }
}

/** `freePages` of a block the model holds (the `pick`-th, modulo how many). */
export class FreePagesCommand implements PageAllocatorCommand {
  constructor(
    /** Which block. */
    readonly pick: number,
  ) {}
  /** Needs a block. */
  check(model: Readonly<PageAllocatorModel>): boolean {
    return model.blocks.length > 0;
  }
  /** Frees it. */
  run(model: PageAllocatorModel, subject: PageAllocatorSubject): void {
    const [b] = model.blocks.splice(this.pick % model.blocks.length, 1);
    if (b !== undefined) subject.allocator.freePages(b.pfn, b.order);
    checkPageAllocator(model, subject);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `freePages(#${this.pick})`;
  }
}

/** The ways {@link BadFreeCommand} frees wrongly. */
export type BadFreeKind =
  | 'twice'
  | 'order+1'
  | 'order-1'
  | 'interior'
  | 'random'
  | 'bad-order'
  | 'bad-pfn';

/** A free the allocator must refuse, changing nothing. */
export class BadFreeCommand implements PageAllocatorCommand {
  constructor(
    /** How it is wrong. */
    readonly kind: BadFreeKind,
    /** Which block it starts from. */
    readonly pick: number,
    /** A number for the random pfn, the bad order or the bad pfn. */
    readonly value: number,
  ) {}
  /** Always runs (it does nothing when there is no block to misuse). */
  check(): boolean {
    return true;
  }
  /** Makes the bad call and expects `KernelBug` and no change. */
  run(model: PageAllocatorModel, subject: PageAllocatorSubject): void {
    const { allocator } = subject;
    const frames = allocator.memory.frames;
    const b = model.blocks.length > 0 ? model.blocks[this.pick % model.blocks.length] : undefined;
    let pfn: number;
    let ord: number;
    switch (this.kind) {
      case 'twice': {
        if (b === undefined) return;
        model.blocks.splice(model.blocks.indexOf(b), 1);
        allocator.freePages(b.pfn, b.order);
        checkPageAllocator(model, subject);
        pfn = b.pfn;
        ord = b.order;
        break;
      }
      case 'order+1':
      case 'order-1':
        if (b === undefined) return;
        pfn = b.pfn;
        ord = b.order + (this.kind === 'order+1' ? 1 : -1);
        break;
      case 'interior':
        if (b === undefined || b.order === 0) return;
        pfn = b.pfn + 1 + (this.value % (2 ** b.order - 1));
        ord = 0;
        break;
      case 'random':
        if (!subject.exclusive) return;
        pfn = Math.abs(this.value) % frames;
        ord = 0;
        if (model.blocks.some((x) => x.pfn === pfn && x.order === 0)) return;
        break;
      case 'bad-order':
        if (b === undefined) return;
        pfn = b.pfn;
        ord = [-1, 11, 64, 1.5, Number.NaN][Math.abs(this.value) % 5] as number;
        break;
      case 'bad-pfn':
        pfn = [-1, frames, frames + 4096, 0.5, Number.NaN][Math.abs(this.value) % 5] as number;
        ord = 0;
        break;
    }
    expectRejected(
      () => allocator.freePages(pfn, ord),
      () => subject.state(),
      `freePages(${pfn}, ${ord}) (${this.kind})`,
    );
    checkPageAllocator(model, subject);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `badFree(${this.kind}, #${this.pick}, ${this.value})`;
  }
}

/** An allocation with an invalid mask or order, which must be refused. */
export class BadAllocCommand implements PageAllocatorCommand {
  constructor(
    /** The mask. */
    readonly gfp: number,
    /** The order. */
    readonly order: number,
  ) {}
  /** Always runs. */
  check(): boolean {
    return true;
  }
  /** Expects `KernelBug` and no change. */
  run(model: PageAllocatorModel, subject: PageAllocatorSubject): void {
    expectRejected(
      () => subject.allocator.allocPages(this.gfp, this.order),
      () => subject.state(),
      `${this}`,
    );
    checkPageAllocator(model, subject);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `allocPages(${this.gfp}, ${this.order}) (invalid)`;
  }
}

/** `drainAllPages`: afterwards free plus allocated frames are exactly what was free at the start. */
export class DrainCommand implements PageAllocatorCommand {
  /** Always runs. */
  check(): boolean {
    return true;
  }
  /** Drains and checks the count. */
  run(model: PageAllocatorModel, subject: PageAllocatorSubject): void {
    subject.allocator.drainAllPages();
    const allocated = model.blocks.reduce((n, b) => n + 2 ** b.order, 0);
    modelEqual(
      subject.allocator.nrFreePages() + allocated,
      subject.initialFree,
      'free + allocated frames after drainAllPages',
    );
    checkPageAllocator(model, subject);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return 'drain';
  }
}

/** Switches to another CPU (modulo the CPUs there are). */
export class CpuCommand implements PageAllocatorCommand {
  constructor(
    /** The CPU. */
    readonly cpu: number,
  ) {}
  /** Always runs. */
  check(): boolean {
    return true;
  }
  /** Switches. */
  run(_model: PageAllocatorModel, subject: PageAllocatorSubject): void {
    subject.setCpu(this.cpu % subject.cpus);
  }
  /** How it reads in a counterexample. */
  toString(): string {
    return `cpu(${this.cpu})`;
  }
}

/** Options of {@link pageAllocatorCommands}. */
export interface PageAllocatorCommandOptions {
  /** Masks to allocate with (default {@link allocationGfp}). */
  readonly gfp?: fc.Arbitrary<Gfp>;
  /** The largest order (default MAX_ORDER). */
  readonly maxOrder?: number;
  /** Include refused calls (bad frees, invalid masks and orders; default true). */
  readonly misuse?: boolean;
}

/**
 * The commands, for `fc.commands`.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.commands(pageAllocatorCommands(), { maxCommands: 100 }), (cmds) => {
 *   const subject = buddySubject(new BuddyAllocator(new PhysicalMemory(16 * 2 ** 20)));
 *   const model = newPageAllocatorModel();
 *   fc.modelRun(() => ({ model, real: subject }), cmds);
 *   releasePageBlocks(model, subject);
 * }));
 * ```
 */
export function pageAllocatorCommands(
  options: PageAllocatorCommandOptions = {},
): fc.Arbitrary<PageAllocatorCommand>[] {
  const gfp = options.gfp ?? allocationGfp();
  const orders = order(options.maxOrder === undefined ? {} : { max: options.maxOrder });
  const commands: fc.Arbitrary<PageAllocatorCommand>[] = [
    fc.tuple(gfp, orders).map(([g, o]) => new AllocPagesCommand(g, o)),
    fc.nat().map((pick) => new FreePagesCommand(pick)),
    fc.nat().map((pick) => new FreePagesCommand(pick)),
    fc.constant(new DrainCommand()),
    fc.nat().map((cpu) => new CpuCommand(cpu)),
  ];
  if (options.misuse !== false) {
    commands.push(
      fc
        .tuple(
          fc.constantFrom<BadFreeKind>(
            'twice',
            'order+1',
            'order-1',
            'interior',
            'random',
            'bad-order',
            'bad-pfn',
          ),
          fc.nat(),
          fc.nat(),
        )
        .map(([kind, pick, value]) => new BadFreeCommand(kind, pick, value)),
      fc
        .oneof(fc.tuple(invalidGfp(), orders), fc.tuple(gfp, invalidOrder()))
        .map(([g, o]) => new BadAllocCommand(g, o)),
    );
  }
  return commands;
}

/**
 * Frees every block the model holds and drains; then the allocator must
 * hold exactly what it held at the start, and its invariants hold.
 *
 * @throws ModelMismatch if frames are missing.
 */
export function releasePageBlocks(model: PageAllocatorModel, subject: PageAllocatorSubject): void {
  for (const b of model.blocks.splice(0)) subject.allocator.freePages(b.pfn, b.order);
  subject.allocator.drainAllPages();
  subject.allocator.checkInvariants();
  modelEqual(
    subject.allocator.nrFreePages(),
    subject.initialFree,
    'free frames once everything is freed',
  );
}
