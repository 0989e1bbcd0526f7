/**
 * `/proc/vmstat`: every VM counter of the machine, one `name value` a line.
 *
 * Follows `vmstat_start`, `vmstat_show` and the `vmstat_text[]` table in
 * mm/vmstat.c of Linux 6.18. `vmstat_start` snapshots, in this order, the
 * zone stat items (summed over zones), the NUMA events, the node stat
 * items (summed over nodes, the THP counters in huge pages), the
 * system-wide items (`global_dirty_limits` and the mem_map page counts)
 * and the VM events (summed over CPUs); `vmstat_show` prints each as
 * `seq_puts(name)`, `seq_put_decimal_ull(" ", value)`, `'\n'`, and after
 * the last one the deprecated line `nr_unstable 0`.
 *
 * ```
 * nr_free_pages 2930559
 * nr_free_pages_blocks 2449408
 * ...
 * direct_map_level3_collapses 0
 * nr_unstable 0
 * ```
 *
 * Which items exist depends on the kernel configuration (CONFIG_NUMA,
 * CONFIG_ZSMALLOC, CONFIG_TRANSPARENT_HUGEPAGE, CONFIG_COMPACTION,
 * CONFIG_SWAP, CONFIG_ZSWAP, CONFIG_KSM, CONFIG_X86, ...) and on the zones
 * built in (`pgalloc_dma`, `pgalloc_dma32`, ..., one per zone).
 * {@link VMSTAT_ITEMS} is the list of a real Linux 6.18 x86_64 machine
 * (test/fixtures/linux-6.18/vmstat): zones DMA, DMA32, Normal, Movable and
 * Device, NUMA, THP, compaction, migration, hugetlb, balloon, swap, zswap
 * and KSM configured; no CMA (no `cma_alloc_*` events; `nr_free_cma`
 * is printed regardless), no CONFIG_DEBUG_TLBFLUSH, no
 * CONFIG_PER_VMA_LOCK_STATS, no CONFIG_DEBUG_STACK_USAGE. The renderer
 * prints that list whatever machine is simulated, so that tools written
 * for it find every name (an i386 kernel would add a HighMem column,
 * `pgalloc_high` and the like, which this list does not have).
 *
 * The renderer is pure: the caller says what each counter holds.
 */
import { NODE_STAT_ITEMS, NUMA_STAT_ITEMS, ZONE_STAT_ITEMS } from '../../buddy/proc/zoneinfo.js';
import { KernelBug } from '../../page/errors.js';

/**
 * The names Linux 6.18 prints in `/proc/vmstat` on x86_64, in its order,
 * the deprecated `nr_unstable` last.
 *
 * Counterpart: `vmstat_text[]` in mm/vmstat.c and the `nr_unstable` line
 * of `vmstat_show`, for the configuration described in the module comment.
 */
export const VMSTAT_ITEMS: readonly string[] = Object.freeze([
  // enum zone_stat_item, enum numa_stat_item (CONFIG_NUMA) and enum
  // node_stat_item: the same names /proc/zoneinfo prints.
  ...ZONE_STAT_ITEMS,
  ...NUMA_STAT_ITEMS,
  ...NODE_STAT_ITEMS,
  // enum vm_stat_item: system-wide values (dirty thresholds, mem_map pages).
  'nr_dirty_threshold',
  'nr_dirty_background_threshold',
  'nr_memmap_pages',
  'nr_memmap_boot_pages',
  // enum vm_event_item (CONFIG_VM_EVENT_COUNTERS): event counts, the zone-suffixed ones from TEXTS_FOR_ZONES.
  'pgpgin',
  'pgpgout',
  'pswpin',
  'pswpout',
  'pgalloc_dma',
  'pgalloc_dma32',
  'pgalloc_normal',
  'pgalloc_movable',
  'pgalloc_device',
  'allocstall_dma',
  'allocstall_dma32',
  'allocstall_normal',
  'allocstall_movable',
  'allocstall_device',
  'pgskip_dma',
  'pgskip_dma32',
  'pgskip_normal',
  'pgskip_movable',
  'pgskip_device',
  'pgfree',
  'pgactivate',
  'pgdeactivate',
  'pglazyfree',
  'pgfault',
  'pgmajfault',
  'pglazyfreed',
  'pgrefill',
  'pgreuse',
  'pgsteal_kswapd',
  'pgsteal_direct',
  'pgsteal_khugepaged',
  'pgsteal_proactive',
  'pgscan_kswapd',
  'pgscan_direct',
  'pgscan_khugepaged',
  'pgscan_proactive',
  'pgscan_direct_throttle',
  'pgscan_anon',
  'pgscan_file',
  'pgsteal_anon',
  'pgsteal_file',
  'zone_reclaim_success',
  'zone_reclaim_failed',
  'pginodesteal',
  'slabs_scanned',
  'kswapd_inodesteal',
  'kswapd_low_wmark_hit_quickly',
  'kswapd_high_wmark_hit_quickly',
  'pageoutrun',
  'pgrotated',
  'drop_pagecache',
  'drop_slab',
  'oom_kill',
  'numa_pte_updates',
  'numa_huge_pte_updates',
  'numa_hint_faults',
  'numa_hint_faults_local',
  'numa_pages_migrated',
  'pgmigrate_success',
  'pgmigrate_fail',
  'thp_migration_success',
  'thp_migration_fail',
  'thp_migration_split',
  'compact_migrate_scanned',
  'compact_free_scanned',
  'compact_isolated',
  'compact_stall',
  'compact_fail',
  'compact_success',
  'compact_daemon_wake',
  'compact_daemon_migrate_scanned',
  'compact_daemon_free_scanned',
  'htlb_buddy_alloc_success',
  'htlb_buddy_alloc_fail',
  'unevictable_pgs_culled',
  'unevictable_pgs_scanned',
  'unevictable_pgs_rescued',
  'unevictable_pgs_mlocked',
  'unevictable_pgs_munlocked',
  'unevictable_pgs_cleared',
  'unevictable_pgs_stranded',
  'thp_fault_alloc',
  'thp_fault_fallback',
  'thp_fault_fallback_charge',
  'thp_collapse_alloc',
  'thp_collapse_alloc_failed',
  'thp_file_alloc',
  'thp_file_fallback',
  'thp_file_fallback_charge',
  'thp_file_mapped',
  'thp_split_page',
  'thp_split_page_failed',
  'thp_deferred_split_page',
  'thp_underused_split_page',
  'thp_split_pmd',
  'thp_scan_exceed_none_pte',
  'thp_scan_exceed_swap_pte',
  'thp_scan_exceed_share_pte',
  'thp_split_pud',
  'thp_zero_page_alloc',
  'thp_zero_page_alloc_failed',
  'thp_swpout',
  'thp_swpout_fallback',
  'balloon_inflate',
  'balloon_deflate',
  'balloon_migrate',
  'swap_ra',
  'swap_ra_hit',
  'swpin_zero',
  'swpout_zero',
  'ksm_swpin_copy',
  'cow_ksm',
  'zswpin',
  'zswpout',
  'zswpwb',
  'direct_map_level2_splits',
  'direct_map_level3_splits',
  'direct_map_level2_collapses',
  'direct_map_level3_collapses',
  // The deprecated counter vmstat_show prints after the last item.
  'nr_unstable',
]);

/** Printed after the last item by `vmstat_show`, always as 0. */
const DEPRECATED_ITEM = 'nr_unstable';

/**
 * Renders `/proc/vmstat`, byte for byte as Linux 6.18 prints it: for each
 * name of {@link VMSTAT_ITEMS}, in order, the name, a space, the value in
 * decimal and a newline.
 *
 * `value` is asked for every item except `nr_unstable`, which Linux prints
 * as a constant 0 (the counter it reported was removed in 5.8; the line
 * stays so that parsers do not break).
 *
 * Counterpart: `vmstat_start`, `vmstat_next` and `vmstat_show` in
 * mm/vmstat.c (Linux 6.18).
 *
 * @param value - the value of a counter by its /proc/vmstat name: pages for
 *   the `nr_*` page counts (huge pages for the `*_hugepages`/`*_pmdmapped`
 *   THP counts, as Linux divides them by HPAGE_PMD_NR), events for the
 *   rest, KiB for `pgpgin`/`pgpgout`.
 * @returns the file's text.
 * @throws KernelBug naming the item when `value` returns a negative,
 *   fractional or non-finite number (every counter is an `unsigned long`).
 *
 * @example
 * ```ts
 * renderVmstat((name) => (name === 'pgfault' ? 42 : 0)).includes('\npgfault 42\n'); // true
 * ```
 */
export function renderVmstat(value: (name: string) => number): string {
  let out = '';
  for (const name of VMSTAT_ITEMS) {
    if (name === DEPRECATED_ITEM) {
      out += `${name} 0\n`;
      continue;
    }
    const n = value(name);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new KernelBug(
        `renderVmstat: ${name} is ${n}, expected a non-negative integer (an unsigned long counter)`,
      );
    }
    out += `${name} ${n}\n`;
  }
  return out;
}
