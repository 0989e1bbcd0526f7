/**
 * `mmsim/slab`: the kmem_cache interface, its SLUB, SLAB and SLOB
 * implementations, and kmalloc.
 *
 * @packageDocumentation
 */
export { SLAB_KINDS, type SlabKind } from './slab-kind.js';
