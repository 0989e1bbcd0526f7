/**
 * Pictures of memory (`mmsim/viz`, also exported from `mmsim`), as SVG
 * documents (strings), for people who would rather look than read /proc:
 *
 * - {@link renderMemoryMap}: physical memory, a cell per frame (or per
 *   aligned block of frames), coloured by owner, zones marked;
 * - {@link renderAddressSpace}: a process's VMAs as bars, with resident,
 *   swapped and not-present pages;
 * - {@link renderBuddyInfo}: /proc/buddyinfo as a bar chart per zone.
 *
 * And what they are drawn from: {@link classifyFrames}, the owner of every
 * frame, read from the struct page array.
 *
 * Each function only reads the machine and returns the same bytes for the
 * same state. Every picture has a `viewBox` and no fixed `width` or
 * `height`, so it scales to the element that shows it; the free-block
 * colours of orders 0 to 3 differ in hue as well as lightness, so that
 * fragmentation is easy to read.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { Kernel } from 'mmsim';
 * import { renderAddressSpace, renderBuddyInfo, renderMemoryMap } from 'mmsim/viz';
 * const k = Kernel.boot({ memory: '64M' });
 * writeFileSync('memory-map.svg', renderMemoryMap(k));
 * writeFileSync('buddyinfo.svg', renderBuddyInfo(k));
 * writeFileSync('address-space.svg', renderAddressSpace(k.spawn()));
 * ```
 *
 * @module
 */
export { type AddressSpaceOptions, renderAddressSpace } from './address-space.js';
export { type BuddyInfoOptions, renderBuddyInfo } from './buddyinfo.js';
export { type MemoryMapOptions, renderMemoryMap } from './memory-map.js';
export {
  classifyFrames,
  compareOwnerKeys,
  countFrameOwners,
  type FrameOwners,
  framesPerCode,
  OWNER_KINDS,
  Owner,
  type OwnerKind,
  ownerKey,
  ownerKindOf,
} from './page-owner.js';
export { type VmaPages, vmaPages } from './vma-pages.js';
