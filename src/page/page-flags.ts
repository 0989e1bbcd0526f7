/**
 * Page flags and page types, as include/linux/page-flags.h names them.
 *
 * `flags` of a struct page holds the PG_* bits below in its low 24 bits and
 * a page type in its top byte. Linux keeps the page type in a word that
 * overlays `_mapcount` (`PageBuddy`, `PageTable`); mmsim keeps it in the
 * flags word instead, so that mapcount stays a plain count.
 *
 * `PG_tail` is mmsim's: Linux marks a tail page by setting bit 0 of
 * `compound_head`; mmsim sets this flag and stores the head's pfn in the
 * tail's `next` link, which is where `compound_head` lives in Linux.
 */

/** PG_* bit numbers. */
export const PG = {
  /** Page is locked (I/O in progress, or being migrated). */
  locked: 0,
  /** Recently referenced (second chance for the LRU). */
  referenced: 1,
  /** Contents are valid (read from disk, or zeroed). */
  uptodate: 2,
  /** Contents differ from the backing store. */
  dirty: 3,
  /** Page is on an LRU list. */
  lru: 4,
  /** Page is on an active LRU list. */
  active: 5,
  /** Page holds slab objects. */
  slab: 6,
  /** Page is reserved: never handed to the page allocator. */
  reserved: 7,
  /** `private` holds filesystem or swap data. */
  private: 8,
  /** Page is being written back. */
  writeback: 9,
  /** First page of a compound page. */
  head: 10,
  /** Anonymous or shmem page backed by swap. */
  swapbacked: 11,
  /** Page may not be reclaimed (mlocked, ramfs). */
  unevictable: 12,
  /** Page is in the swap cache. */
  swapcache: 13,
  /** Page is a tail page of a compound page (mmsim's marker, see above). */
  tail: 14,
  /**
   * First frame of a block the page allocator handed out (mmsim's marker,
   * as page_owner's PAGE_EXT_OWNER_ALLOCATED): the block's order is kept
   * in bits 16..19 (`ALLOC_ORDER_SHIFT`), so that `freePages` can check
   * the order it is given.
   */
  allocated: 15,
  /**
   * An anonymous page (mmsim's marker for `PAGE_MAPPING_ANON`, the low bit
   * Linux sets in `page->mapping`): `mapping` then names the page's
   * anon_vma. It stays set when MADV_FREE clears PG_swapbacked.
   */
  anon: 20,
  /** Page is mlocked (`PG_mlocked`): mapped by a VM_LOCKED VMA. */
  mlocked: 21,
} as const;

/** Shift of the allocation order kept in the flags word of an allocated block's first frame. */
export const ALLOC_ORDER_SHIFT = 16;
/** Mask of that allocation order (after shifting). */
export const ALLOC_ORDER_MASK = 0xf;

/** Name of a page flag. */
export type PageFlagName = keyof typeof PG;

/** Bits of the flags word that hold PG_* flags. */
export const PAGE_FLAGS_MASK = 0x00ffffff;
/** Shift of the page-type byte in the flags word. */
export const PAGE_TYPE_SHIFT = 24;

/**
 * Page types (`enum pagetype`): what a page that is neither mapped nor
 * simply allocated is being used for. A page has at most one type.
 */
export const PageType = {
  /** No type: an ordinary allocated or reserved page. */
  none: 0,
  /** Head of a free block in the buddy allocator (`PageBuddy`). */
  buddy: 1,
  /** A page-table page (`PageTable`). */
  table: 2,
  /** A guard page of the buddy allocator's debug mode (`PageGuard`). */
  guard: 3,
  /** A page on a per-CPU free list (`PagePcp`; in Linux a plain allocated page). */
  pcp: 4,
  /** The first page of a kmalloc too large for the kmalloc caches (`PageLargeKmalloc`). */
  largeKmalloc: 5,
} as const;

/** A page type number. */
export type PageTypeValue = (typeof PageType)[keyof typeof PageType];

/** Names of page flags as /proc/kpageflags and dump_page print them. */
export const PAGE_FLAG_NAMES: readonly PageFlagName[] = Object.keys(PG) as PageFlagName[];
