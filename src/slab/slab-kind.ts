/**
 * The slab allocator implementations a kernel can boot with, as the
 * kernel's CONFIG_SLUB / CONFIG_SLAB / CONFIG_SLOB chose between them.
 * SLUB follows current Linux; SLAB follows mm/slab.c as it was until its
 * removal in 6.8, SLOB mm/slob.c until its removal in 6.4.
 */
export type SlabKind = 'slub' | 'slab' | 'slob';

/** Every slab allocator implementation, default first. */
export const SLAB_KINDS: readonly SlabKind[] = ['slub', 'slab', 'slob'];
