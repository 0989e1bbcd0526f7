/**
 * Picks the slab allocator a kernel boots with (`slab=` in mmsim's boot
 * options, CONFIG_SLUB / CONFIG_SLAB / CONFIG_SLOB in Linux's history).
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { SlabAllocator } from './slab.js';
import type { SlabAllocatorBase, SlabAllocatorOptions } from './slab-common.js';
import type { SlabKind } from './slab-kind.js';
import { SlobAllocator } from './slob.js';
import { SlubAllocator } from './slub.js';

/** Builds the slab allocator of the given kind over a page allocator. */
export function createSlabAllocator(
  kind: SlabKind,
  buddy: BuddyAllocator,
  options: SlabAllocatorOptions,
): SlabAllocatorBase {
  switch (kind) {
    case 'slub':
      return new SlubAllocator(buddy, options);
    case 'slab':
      return new SlabAllocator(buddy, options);
    case 'slob':
      return new SlobAllocator(buddy, options);
  }
}
