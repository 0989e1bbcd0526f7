/**
 * The colours every picture of src/viz uses for the same owner, so that a
 * reader learns them once: free memory in greens (the larger the free
 * block, the lighter: a machine with plenty of contiguous free memory looks
 * calm, fragmentation stands out in the dark and yellow-greens of orders
 * 0 to 3), slab caches in
 * oranges and yellows, large kmalloc dark brown, other kernel allocations
 * pink, page tables grey, anonymous memory and what backs it in blues
 * (shmem lighter, the swap cache cyan), the page cache purple, reserved
 * memory near black.
 */

/**
 * Free frames by the order of their block, 0..10: the larger the block,
 * the lighter. Orders 0 to 3 (where fragmentation shows) step in hue as
 * well as lightness, from a dark blue-green through green to a
 * yellow-green, so that each is told from its neighbours at a glance
 * (CIEDE2000 distance above 12 between any two of orders 0..4, against
 * about 4 before; orders 4..10 are paler greens about 3 apart, the
 * lightest still set off from the white background). Checked by
 * test/viz.test.ts.
 *
 * @example
 * ```ts
 * FREE_COLOURS[0]; // the darkest: single free pages, the most fragmented memory
 * FREE_COLOURS[10]; // the lightest green: a free block of MAX_ORDER
 * ```
 */
export const FREE_COLOURS: readonly string[] = Object.freeze([
  '#004633',
  '#196a2e',
  '#569027',
  '#96b43b',
  '#91ca86',
  '#a0d49a',
  '#aedcab',
  '#bce3ba',
  '#c8e8c7',
  '#d3edd4',
  '#def2df',
]);

/**
 * Slab caches with a colour of their own, largest first.
 *
 * @example
 * ```ts
 * SLAB_COLOURS[0]; // the colour of the cache holding the most frames
 * ```
 */
export const SLAB_COLOURS: readonly string[] = Object.freeze([
  '#f76707',
  '#fcc419',
  '#c2410c',
  '#ffa94d',
  '#e67700',
  '#ffe066',
  '#9c4f1d',
  '#ff922b',
  '#c99a5b',
  '#ffd8a8',
]);

/**
 * Colours of the other owners.
 *
 * @example
 * ```ts
 * OWNER_COLOURS.anon; // anonymous memory, in the memory map and the address space alike
 * ```
 */
export const OWNER_COLOURS = Object.freeze({
  /** Slab caches beyond those with their own colour. */
  slabOther: '#b79a7b',
  largeKmalloc: '#6b2d0c',
  kernel: '#e64980',
  pageTable: '#868e96',
  anon: '#1864ab',
  shmem: '#4dabf7',
  swapCache: '#15aabf',
  file: '#7048e8',
  reserved: '#343a40',
  /** Address space: pages neither resident nor swapped. */
  notPresent: '#e9ecef',
  /** Address space: pages whose PTE holds a swap entry. */
  swapped: '#15aabf',
});

/**
 * Ink for text and rules.
 *
 * @example
 * ```ts
 * text(24, 40, 'zone DMA', { fill: INK.text });
 * ```
 */
export const INK = Object.freeze({
  text: '#212529',
  muted: '#5c636a',
  rule: '#adb5bd',
  faint: '#dee2e6',
});
