/**
 * Model-based test of each slab allocator, on the testing kit
 * (`mmsim/testing`): random cache creation (any valid geometry, with and
 * without constructors), object allocation and freeing, kmalloc, kzalloc,
 * kcalloc, krealloc and kfree of random sizes, shrinking and destroying,
 * and misuse that must be refused (double frees, frees to the wrong cache,
 * interior and foreign pointers, invalid arguments), against the kit's
 * model of the live objects and the pattern written into each. After
 * every command the contents agree and checkInvariants() holds; at the
 * end, everything released gives the page allocator back exactly what it
 * had after boot.
 *
 * Then the kit's conformance suite (`checkSlabAllocatorConformance`), the
 * one an allocator of your own is held to, runs on SLUB, SLAB and SLOB.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kernel, SLAB_KINDS, type SlabKind } from '../src/index.js';
import {
  bootSmall,
  checkSlabAllocatorConformance,
  expectAllFreed,
  kmallocCommands,
  kmemCacheCommands,
  newSlabModel,
  releaseSlabObjects,
} from '../src/testing/index.js';

const KINDS: readonly SlabKind[] = SLAB_KINDS.filter((kind) => {
  try {
    Kernel.boot({ slab: kind, memory: '2M' });
    return true;
  } catch {
    return false;
  }
});

const commands = [...kmemCacheCommands(), ...kmallocCommands()];

describe.each(KINDS)('%s against a model of live objects', (kind) => {
  it('agrees after every command and gives every page back at the end', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        const { k, baseline } = bootSmall({ slab: kind, memory: '8M' });
        const model = newSlabModel();
        fc.modelRun(() => ({ model, real: { k } }), cmds);
        releaseSlabObjects(model, { k });
        expectAllFreed(k, baseline);
      }),
      { numRuns: 60 },
    );
  });

  it('passes the slab allocator conformance suite', () => {
    const report = checkSlabAllocatorConformance(kind, {
      only: ['arguments', 'kmalloc', 'ctor', 'out-of-memory'],
    });
    expect(report.subject).toBe(kind);
    expect(report.properties.map((p) => p.name)).toEqual([
      'arguments',
      'kmalloc',
      'ctor',
      'out-of-memory',
    ]);
  });
});
