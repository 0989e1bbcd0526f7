/**
 * Model-based test of the page allocator, on the testing kit
 * (`mmsim/testing`): random sequences of allocPages, freePages (good and
 * bad), invalid allocations, drainAllPages and CPU switches, run against
 * the kit's model of allocated blocks (`pageAllocatorCommands` over a
 * `buddySubject`). After every command the allocator agrees with the
 * model, every block is allocated with its order, the frame counts add up
 * and checkInvariants() holds; at the end, freeing everything restores the
 * boot free lists exactly. The kit's conformance suite for page-frame
 * allocators runs on `BuddyAllocator` too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BuddyAllocator } from '../src/buddy/buddy-allocator.js';
import type { ArchName } from '../src/page/arch.js';
import { PhysicalMemory } from '../src/page/physical-memory.js';
import {
  buddySubject,
  checkPageAllocatorConformance,
  newPageAllocatorModel,
  pageAllocatorCommands,
  releasePageBlocks,
} from '../src/testing/index.js';

const MiB = 2 ** 20;

/** Free blocks per order of every zone: what /proc/buddyinfo shows. */
function freeBlocksByOrder(buddy: BuddyAllocator): string {
  return buddy.zones.map((z) => `${z.name}:${[...z.nrFree].join(',')}|${z.freePages}`).join(' ');
}

const MACHINES: { arch: ArchName; memory: number; pageSize: number; cpus: number }[] = [
  { arch: 'x86_64', memory: 24 * MiB, pageSize: 4096, cpus: 2 },
  { arch: 'arm64-64k', memory: 64 * MiB, pageSize: 65536, cpus: 1 },
  { arch: 'i386', memory: 8 * MiB, pageSize: 4096, cpus: 1 },
];

describe('page allocator against a model of allocated blocks', () => {
  for (const machine of MACHINES) {
    it(`${machine.arch}, ${machine.memory / MiB} MiB, ${machine.cpus} CPU(s)`, () => {
      fc.assert(
        fc.property(fc.commands(pageAllocatorCommands(), { maxCommands: 100 }), (cmds) => {
          const buddy = new BuddyAllocator(new PhysicalMemory(machine.memory, machine.pageSize), {
            arch: machine.arch,
            cpus: machine.cpus,
          });
          const boot = freeBlocksByOrder(buddy);
          const subject = buddySubject(buddy);
          const model = newPageAllocatorModel();
          fc.modelRun(() => ({ model, real: subject }), cmds);
          // Everything freed and drained: every frame is free again...
          releasePageBlocks(model, subject);
          // ...and the boot free lists come back exactly. Pageblocks may have changed
          // migratetype on the way (fallback steals them), so the lists per type may
          // differ; the blocks per order may not.
          expect(freeBlocksByOrder(buddy)).toBe(boot);
        }),
        { numRuns: 100 },
      );
    });
  }
});

describe('the page-frame allocator conformance suite', () => {
  it.each([
    ['x86_64', '16M', 2],
    ['i386', '8M', 1],
  ] as const)('passes on BuddyAllocator (%s, %s, %i CPUs)', (arch, memory, cpus) => {
    const report = checkPageAllocatorConformance((ram, setup) => new BuddyAllocator(ram, setup), {
      arch,
      memory,
      cpus,
      numRuns: 15,
    });
    expect(report.subject).toBe('BuddyAllocator');
    expect(report.properties.map((p) => p.name)).toEqual(['model', 'exhaustion']);
  });
});
