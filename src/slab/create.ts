/**
 * Picks the slab allocator a kernel boots with (`slab=` in mmsim's boot
 * options, CONFIG_SLUB / CONFIG_SLAB / CONFIG_SLOB in Linux's history).
 * The built-in allocators are `SlabFactory`s like any allocator of your
 * own, which is what makes the compiler hold them to the `SlabLayer`
 * interface.
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { SlabAllocator } from './slab.js';
import type { SlabAllocatorBase, SlabAllocatorOptions } from './slab-common.js';
import type { SlabKind } from './slab-kind.js';
import type { SlabFactory } from './slab-layer.js';
import { SlobAllocator } from './slob.js';
import { SlubAllocator } from './slub.js';

/** The factory of each built-in slab allocator. */
export const SLAB_FACTORIES: Readonly<Record<SlabKind, SlabFactory<SlabAllocatorBase>>> = {
  slub: (buddy, options) => new SlubAllocator(buddy, options),
  slab: (buddy, options) => new SlabAllocator(buddy, options),
  slob: (buddy, options) => new SlobAllocator(buddy, options),
};

/** Builds the slab allocator of the given kind over a page allocator. */
export function createSlabAllocator(
  kind: SlabKind,
  buddy: BuddyAllocator,
  options: SlabAllocatorOptions,
): SlabAllocatorBase {
  return SLAB_FACTORIES[kind](buddy, options);
}
