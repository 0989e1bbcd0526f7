/**
 * GFP ("get free pages") flags: the bits every allocation entry point takes
 * to say where memory may come from and how hard the allocator may try.
 *
 * This file owns the numeric value of every flag mmsim understands and of
 * the composites built from them. It follows include/linux/gfp_types.h of
 * mainline Linux as stored in the reference index (gfp_types.h at commit
 * 594ce0b8a998, the ___GFP_*_BIT enum form, where GFP_NOWAIT already
 * includes __GFP_NOWARN; mmflags.h at commit 01c69ef56dfa; gfp.h at
 * commit 01152bd2e44d). The stored Makefile is an older snapshot
 * (4.20-rc2), so the release cannot be named from it; the header is a late
 * 6.x one (the bit enum dates from 6.10, GFP_NOWAIT gained __GFP_NOWARN
 * in 2025). The older, #define form of the header stored alongside gives
 * the same value for every bit. The layout is read as Linux
 * builds it without CONFIG_KASAN_HW_TAGS, CONFIG_LOCKDEP and
 * CONFIG_SLAB_OBJ_EXT, so the config-dependent bits (__GFP_SKIP_ZERO,
 * __GFP_SKIP_KASAN, __GFP_NOLOCKDEP, __GFP_NO_OBJ_EXT) are 0 and absent here.
 *
 * The flags are grouped as gfp_types.h groups them:
 *
 * - zone modifiers: which physical zone may satisfy the request;
 * - page mobility and placement hints: how the page will be used, which
 *   decides the pageblock it comes from;
 * - watermark modifiers: access to the emergency reserves;
 * - reclaim modifiers: what the allocator may do to free memory first;
 * - action modifiers: extra work done on the allocated page.
 *
 * Then come the composites ("useful GFP flag combinations"). Callers should
 * start from a composite (almost always {@link GFP_KERNEL}) and add or clear
 * single bits, as kernel code does.
 *
 * Not exported: bit 0x200 (unused in Linux), __GFP_ZEROTAGS (0x800000;
 * memory tags exist only with arm64 MTE, which mmsim does not model), and
 * the config-dependent bits above. Any of them in a gfp value is an unknown
 * bit: {@link GFP_VALID_MASK} is exactly the OR of the flags below.
 *
 * Counterpart: include/linux/gfp_types.h.
 */

/**
 * A set of GFP flags: an unsigned 32-bit integer (Linux's `gfp_t`), built
 * by OR-ing the constants of this module.
 */
export type Gfp = number;

// ---------------------------------------------------------------------------
// Zone modifiers (the low four bits; see gfpZone in zone.ts)
// ---------------------------------------------------------------------------

/**
 * Zone modifier: the memory must come from ZONE_DMA, the lowest zone
 * (below 16 MiB on x86). Only for devices that cannot address more; prefer
 * {@link GFP_DMA} as the spelling. Cannot be combined with
 * {@link __GFP_HIGHMEM} or {@link __GFP_DMA32}.
 */
export const __GFP_DMA: Gfp = 0x1;

/**
 * Zone modifier: the page may come from ZONE_HIGHMEM, memory the kernel
 * does not map permanently (i386 above 896 MiB). Use it for pages the
 * kernel never touches through the direct map, typically user pages
 * ({@link GFP_HIGHUSER}). On architectures without highmem it selects
 * ZONE_NORMAL.
 */
export const __GFP_HIGHMEM: Gfp = 0x2;

/**
 * Zone modifier: the memory must lie below 4 GiB (ZONE_DMA32), for devices
 * with 32-bit DMA addressing; prefer {@link GFP_DMA32} as the spelling.
 */
export const __GFP_DMA32: Gfp = 0x4;

/**
 * Zone modifier and mobility hint: the page can be migrated or reclaimed
 * later (user memory, page cache). Together with {@link __GFP_HIGHMEM} it
 * allows ZONE_MOVABLE; on its own it selects ZONE_NORMAL but still groups
 * the page with other movable pages to limit fragmentation.
 */
export const __GFP_MOVABLE: Gfp = 0x8;

/**
 * The four zone-modifier bits. `gfp & GFP_ZONEMASK` indexes the zone
 * table (see `gfpZone`).
 */
export const GFP_ZONEMASK: Gfp = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE;

// ---------------------------------------------------------------------------
// Page mobility and placement hints
// ---------------------------------------------------------------------------

/**
 * Mobility hint: the page cannot move but can be freed on demand, such as
 * slab pages of a cache created with `SLAB_RECLAIM_ACCOUNT` whose objects a
 * shrinker can drop. Such pages share pageblocks so that freeing them
 * leaves whole blocks free. Never combine with {@link __GFP_MOVABLE}.
 */
export const __GFP_RECLAIMABLE: Gfp = 0x10;

/**
 * The two mobility bits. `(gfp & GFP_MOVABLE_MASK) >> 3` is the page's
 * migratetype (see `gfpMigratetype`).
 */
export const GFP_MOVABLE_MASK: Gfp = __GFP_RECLAIMABLE | __GFP_MOVABLE;

/**
 * Placement hint: the caller is going to dirty the page (a page-cache
 * write). Linux uses it to spread dirty pages across zones so that no one
 * zone fills with pages waiting for writeback.
 */
export const __GFP_WRITE: Gfp = 0x1000;

/**
 * Placement hint: enforce the cpuset's memory policy strictly. Part of
 * {@link GFP_USER}: memory allocated on behalf of a task stays within the
 * nodes that task may use.
 */
export const __GFP_HARDWALL: Gfp = 0x100000;

/**
 * Placement hint: take the memory from the requested NUMA node only, with
 * no fallback to other nodes and no policy applied. Use it when the caller
 * would rather fail than get remote memory.
 */
export const __GFP_THISNODE: Gfp = 0x200000;

/**
 * Placement hint: charge the allocation to the current task's memory
 * cgroup (kmemcg). Use it for kernel memory that a user can make the kernel
 * allocate in bulk; {@link GFP_KERNEL_ACCOUNT} is the usual spelling.
 */
export const __GFP_ACCOUNT: Gfp = 0x400000;

// ---------------------------------------------------------------------------
// Watermark modifiers: access to emergency reserves
// ---------------------------------------------------------------------------

/**
 * Watermark modifier: the caller is high priority and the system needs the
 * request to succeed to make progress, so the allocator may dip below the
 * `min` watermark into part of the reserve. Part of {@link GFP_ATOMIC}.
 */
export const __GFP_HIGH: Gfp = 0x20;

/**
 * Watermark modifier: ignore the watermarks and use all free memory. Only
 * for code that will free more memory very soon because of this
 * allocation (an exiting task, swap-out); anything else risks leaving the
 * system with no reserve at all. Overridden by {@link __GFP_NOMEMALLOC}.
 */
export const __GFP_MEMALLOC: Gfp = 0x20000;

/**
 * Watermark modifier: never touch the emergency reserves, even when the
 * task would otherwise be allowed to (it is in reclaim, or is an OOM
 * victim). Takes precedence over {@link __GFP_MEMALLOC}.
 */
export const __GFP_NOMEMALLOC: Gfp = 0x80000;

// ---------------------------------------------------------------------------
// Reclaim modifiers (meaningful only for requests that may sleep)
// ---------------------------------------------------------------------------

/**
 * Reclaim modifier: reclaim may start physical I/O (write pages to swap or
 * to their files). Clear it where the caller is itself on the I/O path,
 * to avoid recursing into the block layer ({@link GFP_NOIO}).
 */
export const __GFP_IO: Gfp = 0x40;

/**
 * Reclaim modifier: reclaim may call into file systems. Clear it where the
 * caller holds file-system locks that reclaim might need
 * ({@link GFP_NOFS}).
 */
export const __GFP_FS: Gfp = 0x80;

/**
 * Reclaim modifier: the caller may sleep and reclaim memory itself (direct
 * reclaim, compaction, the OOM killer) before the request fails. This is
 * the bit that makes an allocation "blocking" (see `gfpAllowsBlocking`).
 * Clear it when a cheap fallback exists.
 */
export const __GFP_DIRECT_RECLAIM: Gfp = 0x400;

/**
 * Reclaim modifier: when a zone falls below its `low` watermark, wake
 * kswapd to reclaim in the background until `high` is reached. Clear it
 * only when the request is opportunistic and background reclaim would cost
 * more than the allocation gains (transparent huge pages).
 */
export const __GFP_KSWAPD_RECLAIM: Gfp = 0x800;

/**
 * Both reclaim bits, {@link __GFP_DIRECT_RECLAIM} and
 * {@link __GFP_KSWAPD_RECLAIM}: shorthand to allow or forbid all reclaim.
 * Numerically equal to {@link GFP_NOIO}.
 */
export const __GFP_RECLAIM: Gfp = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;

/**
 * Reclaim modifier: try harder than the default for large (costly)
 * requests, retrying reclaim and compaction while they make progress, but
 * do not invoke the OOM killer; the request may still fail, and the caller
 * must cope.
 */
export const __GFP_RETRY_MAYFAIL: Gfp = 0x4000;

/**
 * Reclaim modifier: the allocation must not fail; the allocator retries
 * forever. Use only when the caller truly has no way to handle failure,
 * and never for large orders. With it, allocation entry points never
 * return null.
 */
export const __GFP_NOFAIL: Gfp = 0x8000;

/**
 * Reclaim modifier: make one light attempt at direct reclaim and give up
 * early, without the OOM killer. For callers whose failure path is cheap
 * (a smaller buffer, a retry later).
 */
export const __GFP_NORETRY: Gfp = 0x10000;

// ---------------------------------------------------------------------------
// Action modifiers
// ---------------------------------------------------------------------------

/**
 * Action modifier: zero the memory before returning it.
 */
export const __GFP_ZERO: Gfp = 0x100;

/**
 * Action modifier: do not log a warning (with `%pGg` flags and a stack)
 * when the allocation fails. For callers that expect failure and handle it.
 */
export const __GFP_NOWARN: Gfp = 0x2000;

/**
 * Action modifier: for orders above 0, set up the block as a compound page
 * (a head page and tail pages that know their head), as slab and huge
 * pages need.
 */
export const __GFP_COMP: Gfp = 0x40000;

/**
 * Every GFP bit mmsim knows: the OR of all the single flags above. A gfp
 * value with any other bit set is rejected (`checkGfp`). Equal to Linux's
 * `__GFP_BITS_MASK` in the configuration described above, minus
 * __GFP_ZEROTAGS and the unused bit 0x200.
 */
export const GFP_VALID_MASK: Gfp =
  __GFP_DMA |
  __GFP_HIGHMEM |
  __GFP_DMA32 |
  __GFP_MOVABLE |
  __GFP_RECLAIMABLE |
  __GFP_HIGH |
  __GFP_IO |
  __GFP_FS |
  __GFP_ZERO |
  __GFP_DIRECT_RECLAIM |
  __GFP_KSWAPD_RECLAIM |
  __GFP_WRITE |
  __GFP_NOWARN |
  __GFP_RETRY_MAYFAIL |
  __GFP_NOFAIL |
  __GFP_NORETRY |
  __GFP_MEMALLOC |
  __GFP_COMP |
  __GFP_NOMEMALLOC |
  __GFP_HARDWALL |
  __GFP_THISNODE |
  __GFP_ACCOUNT;

// ---------------------------------------------------------------------------
// Useful GFP flag combinations
// ---------------------------------------------------------------------------

/**
 * For callers that cannot sleep (interrupt handlers, code under a spinlock)
 * but need the allocation to succeed: no direct reclaim, kswapd is woken,
 * and a lower watermark gives access to part of the reserve.
 * `__GFP_HIGH | __GFP_KSWAPD_RECLAIM`.
 */
export const GFP_ATOMIC: Gfp = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;

/**
 * The default for kernel-internal allocations: may sleep, reclaim, start
 * I/O and call into file systems; memory comes from ZONE_NORMAL or below,
 * so it is always directly mapped. `__GFP_RECLAIM | __GFP_IO | __GFP_FS`.
 */
export const GFP_KERNEL: Gfp = __GFP_RECLAIM | __GFP_IO | __GFP_FS;

/**
 * {@link GFP_KERNEL}, charged to the current memory cgroup. Use it for
 * kernel objects whose number a user controls.
 */
export const GFP_KERNEL_ACCOUNT: Gfp = GFP_KERNEL | __GFP_ACCOUNT;

/**
 * For allocations that must not stall in direct reclaim, start I/O or call
 * file systems, and that can live with failure, which is likely even for
 * small requests: kswapd is woken, the failure is not logged. Unlike
 * {@link GFP_ATOMIC} it gets no access to the reserve.
 * `__GFP_KSWAPD_RECLAIM | __GFP_NOWARN`.
 */
export const GFP_NOWAIT: Gfp = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN;

/**
 * May sleep and reclaim, but reclaim must not start physical I/O (for
 * callers on the block I/O path). Linux prefers a scoped
 * `memalloc_noio_save()` over this flag. Equal to `__GFP_RECLAIM`.
 */
export const GFP_NOIO: Gfp = __GFP_RECLAIM;

/**
 * May sleep, reclaim and start I/O, but must not call into file systems
 * (for callers holding file-system locks). Linux prefers a scoped
 * `memalloc_nofs_save()`. `__GFP_RECLAIM | __GFP_IO`.
 */
export const GFP_NOFS: Gfp = __GFP_RECLAIM | __GFP_IO;

/**
 * For user-space memory that the kernel or a device must still reach
 * directly (buffers mapped to user space that hardware DMAs into); cpuset
 * limits apply. {@link GFP_KERNEL} plus {@link __GFP_HARDWALL}.
 */
export const GFP_USER: Gfp = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;

/**
 * Memory from ZONE_DMA (below 16 MiB on x86). Historical; avoid unless a
 * device really has that addressing limit. Equal to {@link __GFP_DMA}:
 * combine it with a base composite (`GFP_KERNEL | GFP_DMA`).
 */
export const GFP_DMA: Gfp = __GFP_DMA;

/**
 * Memory below 4 GiB for 32-bit DMA devices. Equal to {@link __GFP_DMA32};
 * combine it with a base composite. (In Linux, kmalloc has no DMA32 caches,
 * so this is for the page allocator.)
 */
export const GFP_DMA32: Gfp = __GFP_DMA32;

/**
 * For user pages the kernel need not map but that cannot move once in use
 * (a device mapping data straight into user space); may come from
 * highmem. {@link GFP_USER} plus {@link __GFP_HIGHMEM}.
 */
export const GFP_HIGHUSER: Gfp = GFP_USER | __GFP_HIGHMEM;

/**
 * For ordinary user memory: anonymous and page-cache pages on the LRU
 * lists, which reclaim or migration can move; the kernel maps them only
 * when it must (kmap). May come from ZONE_MOVABLE.
 * {@link GFP_HIGHUSER} plus {@link __GFP_MOVABLE} (Linux also ORs in
 * __GFP_SKIP_KASAN, which is 0 here).
 */
export const GFP_HIGHUSER_MOVABLE: Gfp = GFP_HIGHUSER | __GFP_MOVABLE;

/**
 * Transparent huge page allocation at fault time: a compound, movable
 * allocation that fails fast without any reclaim or compaction, without
 * reserves and without a warning, because falling back to small pages is
 * cheap. `(GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC |
 * __GFP_NOWARN) & ~__GFP_RECLAIM`.
 */
export const GFP_TRANSHUGE_LIGHT: Gfp =
  (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM;

/**
 * Transparent huge page allocation by khugepaged: like
 * {@link GFP_TRANSHUGE_LIGHT} but allowed to direct-reclaim and compact
 * (kswapd is still not woken).
 */
export const GFP_TRANSHUGE: Gfp = GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM;
