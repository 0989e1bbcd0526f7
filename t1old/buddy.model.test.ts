/**
 * Model-based test of the page allocator: random sequences of allocPages,
 * freePages (good and bad), drainAllPages and CPU switches, run against a
 * model that knows which blocks are allocated. After every command the
 * allocator agrees with the model and checkInvariants() holds; at the end,
 * freeing everything restores the boot free lists exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BuddyAllocator } from '../src/buddy/buddy-allocator.js';
import { checkBuddyInvariants } from '../src/buddy/invariants.js';
import {
  __GFP_COMP,
  __GFP_NOWARN,
  __GFP_ZERO,
  GFP_ATOMIC,
  GFP_DMA,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOWAIT,
  GFP_USER,
} from '../src/gfp/flags.js';
import type { ArchName } from '../src/page/arch.js';
import { KernelBug } from '../src/page/errors.js';
import { PhysicalMemory } from '../src/page/physical-memory.js';

const MiB = 2 ** 20;

interface Block {
  readonly pfn: number;
  readonly order: number;
  readonly tag: number;
}

interface Model {
  blocks: Block[];
  nextTag: number;
}

interface Real {
  readonly buddy: BuddyAllocator;
  readonly dmaEnd: number;
}

/** Free blocks per order of every zone: what /proc/buddyinfo shows. */
function freeBlocksByOrder(buddy: BuddyAllocator): string {
  return buddy.zones.map((z) => `${z.name}:${[...z.nrFree].join(',')}|${z.freePages}`).join(' ');
}

/** Every zone's free lists, by order and migratetype. */
function freeListSnapshot(buddy: BuddyAllocator): string {
  return buddy.zones
    .map((z) => `${z.name}:${[...z.freeCounts].join(',')}|${z.freePages}`)
    .join(' ');
}

/** The whole allocator state a rejected call must not change. */
function stateSnapshot(buddy: BuddyAllocator): string {
  const pcp = buddy.zones.map((z) => z.pcp.map((p) => [...p.ints].join(',')).join(';')).join(' ');
  const mm = buddy.memMap;
  return `${freeListSnapshot(buddy)} ${pcp} ${Buffer.from(buddy.memory.read(mm.base, mm.bytes)).toString('base64')}`;
}

function check(model: Model, real: Real): void {
  const { buddy } = real;
  checkBuddyInvariants(buddy);
  const pageSize = buddy.arch.pageSize;
  let allocated = 0;
  for (const b of model.blocks) {
    expect(buddy.allocatedOrder(b.pfn)).toBe(b.order);
    // Each block still holds the tag written when it was allocated: no other block overlaps it.
    expect(buddy.memory.load32(b.pfn * pageSize)).toBe(b.tag);
    expect(buddy.memory.load32((b.pfn + (1 << b.order)) * pageSize - 4)).toBe(b.tag);
    allocated += 1 << b.order;
  }
  const reserved = buddy.memblock.reservedBytes / pageSize;
  const pcp = buddy.zones.reduce((n, z) => n + z.pcpPages, 0);
  expect(buddy.nrFreePages() + pcp + allocated + reserved).toBe(buddy.memory.frames);
}

const GFPS = [
  GFP_KERNEL,
  GFP_ATOMIC,
  GFP_NOWAIT,
  GFP_DMA,
  GFP_USER,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL | __GFP_COMP,
  GFP_KERNEL | __GFP_ZERO,
];

class AllocCommand implements fc.Command<Model, Real> {
  constructor(
    readonly gfp: number,
    readonly order: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const pfn = real.buddy.allocPages(this.gfp | __GFP_NOWARN, this.order);
    if (pfn !== null) {
      expect(pfn % (1 << this.order)).toBe(0);
      if ((this.gfp & GFP_DMA) !== 0)
        expect(pfn + (1 << this.order)).toBeLessThanOrEqual(real.dmaEnd);
      for (const b of model.blocks) {
        const overlaps = pfn < b.pfn + (1 << b.order) && b.pfn < pfn + (1 << this.order);
        expect(overlaps).toBe(false);
      }
      if ((this.gfp & __GFP_ZERO) !== 0) {
        for (let i = 0; i < 1 << this.order; i++)
          expect(real.buddy.memory.isPageZero(pfn + i)).toBe(true);
      }
      const tag = model.nextTag++;
      const size = real.buddy.arch.pageSize;
      real.buddy.memory.store32(pfn * size, tag);
      real.buddy.memory.store32((pfn + (1 << this.order)) * size - 4, tag);
      model.blocks.push({ pfn, order: this.order, tag });
    }
    check(model, real);
  }
  toString(): string {
    return `alloc(0x${this.gfp.toString(16)}, ${this.order})`;
  }
}

class FreeCommand implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.blocks.length > 0;
  }
  run(model: Model, real: Real): void {
    const i = this.pick % model.blocks.length;
    const b = model.blocks[i] as Block;
    real.buddy.freePages(b.pfn, b.order);
    model.blocks.splice(i, 1);
    check(model, real);
  }
  toString(): string {
    return `free(#${this.pick})`;
  }
}

/** A free the allocator must refuse: twice, misaligned, wrong order, inside a block. */
class BadFreeCommand implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly kind: 'double' | 'order+1' | 'order-1' | 'interior' | 'random',
    readonly randomPfn: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const { buddy } = real;
    let pfn = this.randomPfn % buddy.memory.frames;
    let order = 0;
    const b = model.blocks.length > 0 ? model.blocks[this.pick % model.blocks.length] : undefined;
    if (b !== undefined && this.kind !== 'random') {
      pfn = b.pfn;
      order = b.order;
      if (this.kind === 'order+1') order = b.order + 1;
      if (this.kind === 'order-1') order = b.order - 1;
      if (this.kind === 'interior') {
        if (b.order === 0) return;
        pfn = b.pfn + 1;
      }
      if (this.kind === 'double') return; // covered below, after a real free
    }
    // A random pfn is legal only if it starts an allocated block of order 0.
    if (model.blocks.some((x) => x.pfn === pfn && x.order === order)) return;
    const before = stateSnapshot(buddy);
    expect(() => buddy.freePages(pfn, order)).toThrow(KernelBug);
    expect(stateSnapshot(buddy)).toBe(before);
  }
  toString(): string {
    return `badFree(${this.kind}, #${this.pick}, ${this.randomPfn})`;
  }
}

class DoubleFreeCommand implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.blocks.length > 0;
  }
  run(model: Model, real: Real): void {
    const i = this.pick % model.blocks.length;
    const b = model.blocks[i] as Block;
    real.buddy.freePages(b.pfn, b.order);
    model.blocks.splice(i, 1);
    const before = stateSnapshot(real.buddy);
    expect(() => real.buddy.freePages(b.pfn, b.order)).toThrow(KernelBug);
    expect(stateSnapshot(real.buddy)).toBe(before);
    check(model, real);
  }
  toString(): string {
    return `doubleFree(#${this.pick})`;
  }
}

class DrainCommand implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    real.buddy.drainAllPages();
    for (const z of real.buddy.zones) expect(z.pcpPages).toBe(0);
    check(model, real);
  }
  toString(): string {
    return 'drain';
  }
}

class CpuCommand implements fc.Command<Model, Real> {
  constructor(readonly cpu: number) {}
  check(): boolean {
    return true;
  }
  run(_model: Model, real: Real): void {
    real.buddy.cpu = this.cpu % real.buddy.cpus;
  }
  toString(): string {
    return `cpu(${this.cpu})`;
  }
}

const commands = [
  fc
    .tuple(
      fc.constantFrom(...GFPS),
      fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) },
        fc.integer({ min: 0, max: 10 }),
      ),
    )
    .map(([gfp, order]) => new AllocCommand(gfp, order)),
  fc.nat().map((pick) => new FreeCommand(pick)),
  fc.nat().map((pick) => new FreeCommand(pick)),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom('double', 'order+1', 'order-1', 'interior', 'random') as fc.Arbitrary<
        BadFreeCommand['kind']
      >,
      fc.nat(),
    )
    .map(([pick, kind, pfn]) => new BadFreeCommand(pick, kind, pfn)),
  fc.nat().map((pick) => new DoubleFreeCommand(pick)),
  fc.constant(new DrainCommand()),
  fc.nat().map((cpu) => new CpuCommand(cpu)),
];

const MACHINES: { arch: ArchName; memory: number; pageSize: number; cpus: number }[] = [
  { arch: 'x86_64', memory: 24 * MiB, pageSize: 4096, cpus: 2 },
  { arch: 'arm64-64k', memory: 64 * MiB, pageSize: 65536, cpus: 1 },
  { arch: 'i386', memory: 8 * MiB, pageSize: 4096, cpus: 1 },
];

describe('page allocator against a model of allocated blocks', () => {
  for (const machine of MACHINES) {
    it(`${machine.arch}, ${machine.memory / MiB} MiB, ${machine.cpus} CPU(s)`, () => {
      fc.assert(
        fc.property(fc.commands(commands, { maxCommands: 100 }), (cmds) => {
          const buddy = new BuddyAllocator(new PhysicalMemory(machine.memory, machine.pageSize), {
            arch: machine.arch,
            cpus: machine.cpus,
          });
          const dma = buddy.zones.find((z) => z.name === 'DMA');
          const real: Real = { buddy, dmaEnd: dma ? dma.endPfn : 0 };
          const boot = freeBlocksByOrder(buddy);
          const model: Model = { blocks: [], nextTag: 1 };
          fc.modelRun(() => ({ model, real }), cmds);
          // Everything freed and drained: the boot free lists come back exactly.
          for (const b of model.blocks) buddy.freePages(b.pfn, b.order);
          buddy.drainAllPages();
          checkBuddyInvariants(buddy);
          // Pageblocks may have changed migratetype on the way (fallback steals
          // them), so the lists per type may differ; the blocks per order may not.
          expect(freeBlocksByOrder(buddy)).toBe(boot);
        }),
        { numRuns: 100 },
      );
    });
  }
});
