/**
 * Bringing up node 0 (mm/mm_init.c, mm/memblock.c): which zones exist,
 * which zone each gfp mask starts from, handing free memory to the buddy
 * lists at the end of boot, and the boot messages Linux prints about it.
 */
import { gfpZone } from '../gfp/zone.js';
import { type Arch, type ZoneName, zoneSpans } from '../page/arch.js';
import { type KernelLog, LogLevel } from '../page/kernel-log.js';
import { STRUCT_PAGE_SIZE } from '../page/mem-map.js';
import { type FreeAreaContext, freeOneBlock, pageblockMigratetype } from './free-area.js';
import type { Memblock } from './memblock.js';
import { MAX_ORDER, type Zone } from './zone.js';

/** The zones Linux configures on an architecture, with the empty Movable zone every kernel has. */
export function configuredZones(
  arch: Arch,
  memorySize: number,
): { name: ZoneName; startPfn: number; endPfn: number }[] {
  const spans = zoneSpans(arch, memorySize);
  const end = Math.floor(memorySize / arch.pageSize);
  return [...spans, { name: 'Movable', startPfn: end, endPfn: end }];
}

/**
 * `gfp_zone` resolved for these zones: the highest usable zone index for
 * each combination of the four zone bits, -1 where the combination is
 * illegal. A zone the architecture does not configure resolves to
 * ZONE_NORMAL, as OPT_ZONE_DMA32 and OPT_ZONE_HIGHMEM do.
 */
export function buildZoneTable(zones: readonly Zone[]): Int8Array {
  const table = new Int8Array(16).fill(-1);
  const indexOf = (name: ZoneName): number => zones.findIndex((z) => z.name === name);
  for (let bits = 0; bits < 16; bits++) {
    let name: ZoneName;
    try {
      name = gfpZone(bits);
    } catch {
      continue;
    }
    const idx = indexOf(name);
    table[bits] = idx >= 0 ? idx : indexOf('Normal');
  }
  return table;
}

/**
 * The zone of every run of `2 ** shift` frames, `shift` being the largest
 * run (at most a pageblock) that no zone boundary splits. Linux keeps the
 * zone in page->flags; a table per run costs far less memory.
 */
export function buildZoneLookup(
  zones: readonly Zone[],
  pageblockOrder: number,
  frames: number,
): { shift: number; table: Uint8Array } {
  let shift = pageblockOrder;
  while (shift > 0 && zones.some((z) => z.startPfn % 2 ** shift !== 0)) shift--;
  const table = new Uint8Array(Math.ceil(frames / 2 ** shift));
  for (const zone of zones) {
    table.fill(zone.index, zone.startPfn >>> shift, Math.ceil(zone.endPfn / 2 ** shift));
  }
  return { shift, table };
}

/**
 * `memblock_free_all`: every frame not reserved goes to its zone's buddy
 * lists, in the largest naturally aligned blocks (`__free_pages_memory`),
 * each counted as managed.
 */
export function freeAllBootMemory(
  ctx: FreeAreaContext,
  zones: readonly Zone[],
  memblock: Memblock,
  pageSize: number,
): void {
  for (const zone of zones) {
    let start = zone.startPfn;
    const end = zone.endPfn;
    for (const r of memblock.reserved) {
      const rs = r.base / pageSize;
      const re = rs + r.size / pageSize;
      if (re <= start || rs >= end) continue;
      if (rs > start) freeBootRange(ctx, zone, start, rs);
      start = Math.max(start, re);
    }
    if (start < end) freeBootRange(ctx, zone, start, end);
  }
}

function freeBootRange(ctx: FreeAreaContext, zone: Zone, start: number, end: number): void {
  let pfn = start;
  while (pfn < end) {
    let order = pfn === 0 ? MAX_ORDER : Math.min(MAX_ORDER, 31 - Math.clz32(pfn & -pfn));
    while (pfn + (1 << order) > end) order--;
    zone.managed += 1 << order;
    freeOneBlock(ctx, zone, pfn, order, pageblockMigratetype(ctx, pfn), true);
    pfn += 1 << order;
  }
}

function hex16(x: number): string {
  return `0x${x.toString(16).padStart(16, '0')}`;
}

/** The boot messages about memory: zone ranges, zonelists and the "Memory:" line. */
export function printBootLog(
  log: KernelLog,
  arch: Arch,
  zones: readonly Zone[],
  memblock: Memblock,
  frames: number,
  freePages: number,
): void {
  for (const region of memblock.reserved) {
    const last = region.base + region.size - 1;
    log.printk(
      LogLevel.INFO,
      `memblock_reserve: [${hex16(region.base)}-${hex16(last)}] ${region.owner}`,
    );
  }
  const memMapBytes = frames * STRUCT_PAGE_SIZE;
  log.printk(LogLevel.INFO, `mem_map: ${frames} struct pages, ${Math.ceil(memMapBytes / 1024)}K`);
  log.printk(LogLevel.INFO, 'Zone ranges:');
  for (const zone of zones) {
    const range =
      zone.spanned > 0
        ? `[mem ${hex16(zone.startPfn * arch.pageSize)}-${hex16(zone.endPfn * arch.pageSize - 1)}]`
        : 'empty';
    log.printk(LogLevel.INFO, `  ${zone.name.padEnd(8)} ${range}`);
  }
  const total = zones.reduce((n, z) => n + z.managed, 0);
  log.printk(LogLevel.INFO, `Built 1 zonelists, mobility grouping on.  Total pages: ${total}`);
  const kib = arch.pageSize / 1024;
  log.printk(
    LogLevel.INFO,
    `Memory: ${freePages * kib}K/${frames * kib}K available (${(frames - total) * kib}K reserved)`,
  );
}
