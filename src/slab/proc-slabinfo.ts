/**
 * /proc/slabinfo, version 2.1 (mm/slab_common.c: `print_slabinfo_header`,
 * `cache_show`): one line per cache, newest cache first, in the kernel's
 * column widths.
 */
import type { KmemCache } from './kmem-cache.js';

/** Renders /proc/slabinfo for these caches (newest first, as `slab_caches` holds them). */
export function renderSlabinfo(caches: readonly KmemCache[]): string {
  let out = 'slabinfo - version: 2.1\n';
  out +=
    '# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>' +
    ' : tunables <limit> <batchcount> <sharedfactor>' +
    ' : slabdata <active_slabs> <num_slabs> <sharedavail>\n';
  for (const cache of caches) {
    const s = cache.slabinfo();
    out +=
      `${cache.name.padEnd(17)} ${pad(s.activeObjs, 6)} ${pad(s.numObjs, 6)} ${pad(cache.size, 6)} ` +
      `${pad(s.objsPerSlab, 4)} ${pad(2 ** s.cacheOrder, 4)}` +
      ` : tunables ${pad(s.limit, 4)} ${pad(s.batchcount, 4)} ${pad(s.shared, 4)}` +
      ` : slabdata ${pad(s.activeSlabs, 6)} ${pad(s.numSlabs, 6)} ${pad(s.sharedAvail, 6)}\n`;
  }
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width);
}
