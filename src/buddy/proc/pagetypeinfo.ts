/**
 * `/proc/pagetypeinfo`: free blocks per order and migratetype, and
 * pageblocks per migratetype, in every populated zone.
 *
 * Follows `pagetypeinfo_show`, `pagetypeinfo_showfree`,
 * `pagetypeinfo_showfree_print`, `pagetypeinfo_showblockcount` and
 * `pagetypeinfo_showblockcount_print` in mm/vmstat.c of Linux mainline at
 * commit 00c010e130e58301db2ea0cec1eadc931e1cb8cf (the mm merge of the
 * v6.16 merge window):
 *
 * ```
 * Page block order: 9
 * Pages per block:  512
 *
 * Free pages count per migrate type at order       0      1 ...     10
 * Node    0, zone      DMA, type    Unmovable      0      0 ...      0
 * ...
 *
 * Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate
 * Node 0, zone      DMA            1            7            0            0            0
 * ```
 *
 * (every number is followed by one space, so each table line ends in a
 * space). Details kept from Linux:
 *
 * - The free-list walk is capped: a list of 100000 blocks or more prints
 *   `>100000` (`"%s%6lu "` with `">"` on overflow).
 * - Pageblocks are counted from the zone's first frame in steps of
 *   `pageblock_nr_pages`, each by the migratetype of the block holding
 *   that frame.
 * - Only zones with present pages are shown (`walk_zones_in_node` with the
 *   `populated_zone` filter).
 * - The "Number of mixed blocks" table needs CONFIG_PAGE_OWNER, which
 *   mmsim does not model, so it is not printed.
 * - The migratetypes are those of a kernel without CONFIG_CMA and with
 *   CONFIG_MEMORY_ISOLATION (`MIGRATETYPE_NAMES`).
 */
import { MIGRATE_TYPES, MIGRATETYPE_NAMES } from '../../gfp/migratetype.js';
import type { BuddyAllocator } from '../buddy-allocator.js';
import { NR_ORDERS } from '../zone.js';

/** The free-list walk stops here (`pagetypeinfo_showfree_print`). */
const FREECOUNT_CAP = 100000;

/**
 * Renders `/proc/pagetypeinfo` for node 0, exactly as Linux prints it.
 *
 * The free counts are the lengths of the buddy free lists (blocks, not
 * frames) of each zone, order and migratetype; the block counts are the
 * pageblocks of each migratetype (`get_pageblock_migratetype`). Frames on
 * the per-CPU lists are not in the free counts, as in Linux.
 *
 * @param buddy - the page allocator to describe; it is only read.
 * @returns the file's text.
 *
 * @example
 * ```ts
 * const buddy = new BuddyAllocator(new PhysicalMemory(64 * 2 ** 20, 4096), { arch: 'x86_64' });
 * renderPagetypeinfo(buddy).split('\n')[0]; // 'Page block order: 9'
 * ```
 */
export function renderPagetypeinfo(buddy: BuddyAllocator): string {
  const pageblockOrder = buddy.pageblockOrder;
  const pageblockPages = 2 ** pageblockOrder;
  const zones = buddy.zones.filter((zone) => zone.present > 0);
  let out = `Page block order: ${pageblockOrder}\n`;
  out += `Pages per block:  ${pageblockPages}\n`;
  out += '\n';

  // pagetypeinfo_showfree
  out += `${'Free pages count per migrate type at order'.padEnd(43)} `;
  for (let order = 0; order < NR_ORDERS; order++) out += `${String(order).padStart(6)} `;
  out += '\n';
  for (const zone of zones) {
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
      const type = (MIGRATETYPE_NAMES[mt] as string).padStart(12);
      out += `Node ${'0'.padStart(4)}, zone ${zone.name.padStart(8)}, type ${type} `;
      for (let order = 0; order < NR_ORDERS; order++) {
        const length = zone.freeCounts[order * MIGRATE_TYPES + mt] as number;
        const overflow = length >= FREECOUNT_CAP;
        const count = overflow ? FREECOUNT_CAP : length;
        out += `${overflow ? '>' : ''}${String(count).padStart(6)} `;
      }
      out += '\n';
    }
  }

  // pagetypeinfo_showblockcount
  out += `\n${'Number of blocks type '.padEnd(23)}`;
  for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
    out += `${(MIGRATETYPE_NAMES[mt] as string).padStart(12)} `;
  }
  out += '\n';
  for (const zone of zones) {
    const count = new Array<number>(MIGRATE_TYPES).fill(0);
    for (let pfn = zone.startPfn; pfn < zone.endPfn; pfn += pageblockPages) {
      const mt = buddy.pageblockMigratetype[pfn >>> pageblockOrder] as number;
      if (mt < MIGRATE_TYPES) count[mt] = (count[mt] as number) + 1;
    }
    out += `Node 0, zone ${zone.name.padStart(8)} `;
    for (const n of count) out += `${String(n).padStart(12)} `;
    out += '\n';
  }
  return out;
}
