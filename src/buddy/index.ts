/**
 * `mmsim/buddy`: early boot memory, zones and the buddy page allocator.
 *
 * @packageDocumentation
 */
export { Memblock, type MemblockRegion } from './memblock.js';
