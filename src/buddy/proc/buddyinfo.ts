/**
 * `/proc/buddyinfo`: free blocks per order in every populated zone.
 *
 * Follows `frag_show` / `frag_show_print` in mm/vmstat.c of Linux mainline
 * at commit 00c010e130e58301db2ea0cec1eadc931e1cb8cf (the mm merge of the
 * v6.16 merge window): per populated zone (`walk_zones_in_node` with the
 * `populated_zone` filter, which tests `present_pages`), the line
 * `"Node %d, zone %8s "`, then `"%6lu "` for `free_area[order].nr_free` of
 * each order 0..MAX_PAGE_ORDER, then a newline.
 *
 * ```
 * Node 0, zone      DMA      1      1      0      1      2      1      1      0      1      1      3
 * Node 0, zone    DMA32      3      4      3      3      3      2      3      4      3      3    436
 * ```
 */
import type { BuddyAllocator } from '../buddy-allocator.js';
import { NR_ORDERS } from '../zone.js';

/**
 * Renders `/proc/buddyinfo` for node 0, exactly as Linux prints it.
 *
 * Zones without present pages (the empty Movable zone, a DMA32 zone on a
 * small machine) are left out, as Linux leaves them out. The numbers are
 * the free blocks of each order on the buddy lists; frames on the per-CPU
 * lists are not in them, as in Linux.
 *
 * @param buddy - the page allocator to describe; it is only read.
 * @returns the file's text, one line per populated zone.
 *
 * @example
 * ```ts
 * const buddy = new BuddyAllocator(new PhysicalMemory(64 * 2 ** 20, 4096), { arch: 'x86_64' });
 * renderBuddyinfo(buddy).split('\n')[0]; // 'Node 0, zone      DMA      1      1 ...'
 * ```
 */
export function renderBuddyinfo(buddy: BuddyAllocator): string {
  let out = '';
  for (const zone of buddy.zones) {
    if (zone.present === 0) continue;
    out += `Node 0, zone ${zone.name.padStart(8)} `;
    for (let order = 0; order < NR_ORDERS; order++) {
      out += `${String(zone.nrFree[order] as number).padStart(6)} `;
    }
    out += '\n';
  }
  return out;
}
