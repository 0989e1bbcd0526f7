/**
 * Tests of the page allocator's /proc renderers (src/buddy/proc):
 * `/proc/buddyinfo`, `/proc/pagetypeinfo` and `/proc/zoneinfo`.
 *
 * The expected lines are written out by hand from the format strings of
 * mm/vmstat.c (Linux mainline, commit 00c010e130e5, v6.16 merge window):
 * `frag_show_print`, `pagetypeinfo_show*` and `zoneinfo_show_print`. The
 * numbers are checked against the allocator's own state, and the files
 * against each other (buddyinfo = pagetypeinfo summed over migratetypes,
 * buddyinfo weighted by order = zoneinfo's `pages free`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BuddyAllocator } from '../src/buddy/buddy-allocator.js';
import { renderBuddyinfo } from '../src/buddy/proc/buddyinfo.js';
import { renderPagetypeinfo } from '../src/buddy/proc/pagetypeinfo.js';
import { renderZoneinfo } from '../src/buddy/proc/zoneinfo.js';
import { NR_ORDERS, type Zone } from '../src/buddy/zone.js';
import { GFP_KERNEL, GFP_USER } from '../src/gfp/flags.js';
import { MIGRATE_TYPES, MigrateType } from '../src/gfp/migratetype.js';
import type { ArchName } from '../src/page/arch.js';
import { PhysicalMemory } from '../src/page/physical-memory.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

const PAGE_SIZES: Readonly<Record<ArchName, number>> = {
  x86_64: 4096,
  i386: 4096,
  'arm64-4k': 4096,
  'arm64-16k': 16384,
  'arm64-64k': 65536,
};

function boot(arch: ArchName, bytes: number, cpus = 1): BuddyAllocator {
  return new BuddyAllocator(new PhysicalMemory(bytes, PAGE_SIZES[arch]), { arch, cpus });
}

function zone(buddy: BuddyAllocator, name: string): Zone {
  const z = buddy.zones.find((candidate) => candidate.name === name);
  if (z === undefined) throw new Error(`no zone ${name}`);
  return z;
}

/** Every int of allocator state the renderers read, to check they change nothing. */
function snapshot(buddy: BuddyAllocator): string {
  const parts: number[][] = [];
  for (const z of buddy.zones) {
    parts.push(Array.from(z.state));
    for (const p of z.pcp) parts.push(Array.from(p.ints));
  }
  parts.push(Array.from(buddy.pageblockMigratetype));
  return JSON.stringify(parts);
}

/** `/proc/buddyinfo` parsed back: zone name to free blocks per order. */
function parseBuddyinfo(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    // "Node %d, zone %8s " then eleven "%6lu ".
    const m = /^Node 0, zone ([ A-Za-z0-9]{8}) ((?:[ 0-9]{5}[0-9] ){11})$/.exec(line);
    expect(m, line).not.toBeNull();
    const name = (m?.[1] ?? '').trim();
    const counts = (m?.[2] ?? '').trim().split(/ +/).map(Number);
    out.set(name, counts);
  }
  return out;
}

/** The free-count table of `/proc/pagetypeinfo`: "zone/type" to counts per order. */
function parseFreeTable(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const m = /^Node {4}0, zone ([ A-Za-z0-9]{8}), type ([ A-Za-z]{12}) (.*)$/.exec(line);
    if (m === null) continue;
    const counts = (m[3] ?? '').trim().split(/ +/).map(Number);
    out.set(`${(m[1] ?? '').trim()}/${(m[2] ?? '').trim()}`, counts);
  }
  return out;
}

/** The block-count table of `/proc/pagetypeinfo`: zone to pageblocks per migratetype. */
function parseBlockTable(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const start = text.indexOf('\nNumber of blocks type ');
  for (const line of text.slice(start).split('\n')) {
    const m = /^Node 0, zone ([ A-Za-z0-9]{8}) ((?:[ 0-9]{11}[0-9] ){5})$/.exec(line);
    if (m === null) continue;
    out.set((m[1] ?? '').trim(), (m[2] ?? '').trim().split(/ +/).map(Number));
  }
  return out;
}

/** The lines of one zone's section of `/proc/zoneinfo`. */
function zoneSection(text: string, name: string): string[] {
  const sections = text.split(/(?=^Node 0, zone )/m);
  const header = `Node 0, zone ${name.padStart(8)}`;
  const section = sections.find((s) => s.startsWith(`${header}\n`));
  if (section === undefined) throw new Error(`no zoneinfo section for ${name}`);
  return section.slice(0, -1).split('\n');
}

/** A `"\n      %-12s %lu"` line's value in a zone's section. */
function stat(section: readonly string[], name: string): number {
  const line = section.find((l) => l.startsWith(`      ${name.padEnd(12)} `));
  if (line === undefined) throw new Error(`no ${name} line`);
  return Number(line.slice(6 + Math.max(12, name.length) + 1));
}

describe('/proc/buddyinfo', () => {
  it('prints "Node %d, zone %8s " and "%6lu " per order, exactly', () => {
    const buddy = boot('x86_64', 64 * MiB);
    const dma = zone(buddy, 'DMA');
    const dma32 = zone(buddy, 'DMA32');
    dma.nrFree.set([1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    dma32.nrFree.set([123456, 1234567, 0, 0, 0, 0, 0, 0, 0, 0, 999999]);
    expect(renderBuddyinfo(buddy)).toBe(
      'Node 0, zone      DMA      1      0      2      3      4      5      6      7      8      9     10 \n' +
        'Node 0, zone    DMA32 123456 1234567      0      0      0      0      0      0      0      0 999999 \n',
    );
  });

  it('lists only populated zones: x86_64 with 64 MiB has no Normal or Movable line', () => {
    const buddy = boot('x86_64', 64 * MiB);
    const info = parseBuddyinfo(renderBuddyinfo(buddy));
    expect([...info.keys()]).toEqual(['DMA', 'DMA32']);
    expect(buddy.zones.map((z) => z.name)).toEqual(['DMA', 'DMA32', 'Normal', 'Movable']);
  });

  it('matches the free lists: nr_free per order, and sum(nr_free << order) = NR_FREE_PAGES', () => {
    for (const [arch, bytes] of [
      ['x86_64', 64 * MiB],
      ['x86_64', 4.5 * GiB],
      ['i386', 1 * GiB],
      ['arm64-64k', 64 * MiB],
      ['arm64-16k', 256 * MiB],
    ] as const) {
      const buddy = boot(arch, bytes);
      const info = parseBuddyinfo(renderBuddyinfo(buddy));
      const populated = buddy.zones.filter((z) => z.present > 0);
      expect([...info.keys()]).toEqual(populated.map((z) => z.name));
      for (const z of populated) {
        const counts = info.get(z.name) ?? [];
        expect(counts).toEqual(Array.from(z.nrFree));
        const pages = counts.reduce((sum, n, order) => sum + n * 2 ** order, 0);
        expect(pages, `${arch} ${z.name}`).toBe(z.freePages);
        expect(z.freePages).toBeGreaterThan(0);
      }
    }
  });

  it('x86_64 with 4.5 GiB: DMA, DMA32 and Normal', () => {
    const buddy = boot('x86_64', 4.5 * GiB);
    const lines = renderBuddyinfo(buddy).split('\n');
    expect(lines.map((l) => l.slice(0, 22))).toEqual([
      'Node 0, zone      DMA ',
      'Node 0, zone    DMA32 ',
      'Node 0, zone   Normal ',
      '',
    ]);
  });

  it('i386 with 1 GiB: DMA, Normal and HighMem, not the empty Movable zone', () => {
    const buddy = boot('i386', 1 * GiB);
    expect(buddy.zones.map((z) => z.name)).toEqual(['DMA', 'Normal', 'HighMem', 'Movable']);
    const text = renderBuddyinfo(buddy);
    expect(text.split('\n').map((l) => l.slice(0, 22))).toEqual([
      'Node 0, zone      DMA ',
      'Node 0, zone   Normal ',
      'Node 0, zone  HighMem ',
      '',
    ]);
    // 128 MiB of HighMem is free in 4 MiB blocks.
    expect(text.split('\n')[2]).toBe(
      'Node 0, zone  HighMem      0      0      0      0      0      0      0      0      0      0     32 ',
    );
  });

  it('arm64-64k with 64 MiB: one DMA line (DMA32 and Normal are empty)', () => {
    const buddy = boot('arm64-64k', 64 * MiB);
    const info = parseBuddyinfo(renderBuddyinfo(buddy));
    expect([...info.keys()]).toEqual(['DMA']);
    expect(zone(buddy, 'DMA32').present).toBe(0);
  });

  it('changes after allocPages(GFP_KERNEL, 3) + drain and is restored by freePages + drain', () => {
    const buddy = boot('x86_64', 64 * MiB);
    const before = renderBuddyinfo(buddy);
    const pfn = buddy.allocPages(GFP_KERNEL, 3);
    expect(pfn).not.toBeNull();
    buddy.drainAllPages();
    const during = renderBuddyinfo(buddy);
    expect(during).not.toBe(before);
    const z = buddy.zoneOf(pfn as number);
    const pagesBefore = parseBuddyinfo(before).get(z.name) ?? [];
    const pagesDuring = parseBuddyinfo(during).get(z.name) ?? [];
    const total = (c: number[]) => c.reduce((s, n, o) => s + n * 2 ** o, 0);
    expect(total(pagesBefore) - total(pagesDuring)).toBe(8);
    buddy.freePages(pfn as number, 3);
    buddy.drainAllPages();
    expect(renderBuddyinfo(buddy)).toBe(before);
  });

  it('is a pure function of the state', () => {
    const buddy = boot('x86_64', 64 * MiB);
    buddy.allocPages(GFP_USER, 0);
    const state = snapshot(buddy);
    const first = renderBuddyinfo(buddy);
    expect(renderBuddyinfo(buddy)).toBe(first);
    expect(snapshot(buddy)).toBe(state);
  });
});

describe('/proc/pagetypeinfo', () => {
  const ORDERS_HEADER =
    'Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10 ';
  const BLOCKS_HEADER =
    'Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate ';

  it('prints the headers exactly', () => {
    const lines = renderPagetypeinfo(boot('x86_64', 64 * MiB)).split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'Page block order: 9',
      'Pages per block:  512',
      '',
      ORDERS_HEADER,
    ]);
    // Two zones of five types, a blank line, the block table.
    expect(lines[4 + 10]).toBe('');
    expect(lines[4 + 11]).toBe(BLOCKS_HEADER);
    expect(lines.length).toBe(4 + 10 + 2 + 2 + 1);
    expect(lines.at(-1)).toBe('');
  });

  it('prints "Node %4d, zone %8s, type %12s " rows and caps the walk at 100000', () => {
    const buddy = boot('x86_64', 64 * MiB);
    const dma = zone(buddy, 'DMA');
    dma.freeCounts.fill(0);
    const set = (order: number, mt: number, n: number) => {
      dma.freeCounts[order * MIGRATE_TYPES + mt] = n;
    };
    set(0, MigrateType.Unmovable, 5);
    set(10, MigrateType.Unmovable, 3);
    set(0, MigrateType.Movable, 99999);
    set(1, MigrateType.Movable, 100000);
    set(2, MigrateType.Movable, 250000);
    set(4, MigrateType.Reclaimable, 12);
    set(9, MigrateType.HighAtomic, 1);
    const lines = renderPagetypeinfo(buddy).split('\n');
    expect(lines.slice(4, 9)).toEqual([
      'Node    0, zone      DMA, type    Unmovable      5      0      0      0      0      0      0      0      0      0      3 ',
      'Node    0, zone      DMA, type      Movable  99999 >100000 >100000      0      0      0      0      0      0      0      0 ',
      'Node    0, zone      DMA, type  Reclaimable      0      0      0      0     12      0      0      0      0      0      0 ',
      'Node    0, zone      DMA, type   HighAtomic      0      0      0      0      0      0      0      0      0      1      0 ',
      'Node    0, zone      DMA, type      Isolate      0      0      0      0      0      0      0      0      0      0      0 ',
    ]);
  });

  it('prints the block table "Node %d, zone %8s " + "%12lu " exactly', () => {
    const buddy = boot('x86_64', 64 * MiB);
    // 16 MiB of DMA is 8 pageblocks of 2 MiB; 48 MiB of DMA32 is 24.
    const text = renderPagetypeinfo(buddy);
    expect(
      text.endsWith(
        `${BLOCKS_HEADER}\n` +
          'Node 0, zone      DMA            0            8            0            0            0 \n' +
          'Node 0, zone    DMA32            0           24            0            0            0 \n',
      ),
    ).toBe(true);
  });

  it('counts the pageblocks of each zone by migratetype', () => {
    const buddy = boot('x86_64', 64 * MiB);
    const dma32 = zone(buddy, 'DMA32');
    const first = dma32.startPfn >> buddy.pageblockOrder;
    buddy.pageblockMigratetype[first] = MigrateType.Unmovable;
    buddy.pageblockMigratetype[first + 1] = MigrateType.Reclaimable;
    buddy.pageblockMigratetype[first + 2] = MigrateType.HighAtomic;
    buddy.pageblockMigratetype[first + 3] = MigrateType.Isolate;
    const blocks = parseBlockTable(renderPagetypeinfo(buddy));
    expect(blocks.get('DMA')).toEqual([0, 8, 0, 0, 0]);
    expect(blocks.get('DMA32')).toEqual([1, 20, 1, 1, 1]);
  });

  it('agrees with buddyinfo and the zones on every architecture', () => {
    for (const [arch, bytes, order] of [
      ['x86_64', 64 * MiB, 9],
      ['x86_64', 4.5 * GiB, 9],
      ['i386', 1 * GiB, 10],
      ['arm64-64k', 64 * MiB, 10],
    ] as const) {
      const buddy = boot(arch, bytes);
      const text = renderPagetypeinfo(buddy);
      expect(text.split('\n').slice(0, 2)).toEqual([
        `Page block order: ${order}`,
        `Pages per block:  ${2 ** order}`,
      ]);
      const buddyinfo = parseBuddyinfo(renderBuddyinfo(buddy));
      const free = parseFreeTable(text);
      const blocks = parseBlockTable(text);
      const populated = buddy.zones.filter((z) => z.present > 0).map((z) => z.name);
      expect([...blocks.keys()]).toEqual(populated);
      expect(free.size).toBe(populated.length * MIGRATE_TYPES);
      for (const z of buddy.zones.filter((candidate) => candidate.present > 0)) {
        const perOrder = new Array<number>(NR_ORDERS).fill(0);
        for (const type of ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic', 'Isolate']) {
          const counts = free.get(`${z.name}/${type}`) ?? [];
          expect(counts.length).toBe(NR_ORDERS);
          counts.forEach((n, o) => {
            perOrder[o] = (perOrder[o] as number) + n;
          });
        }
        expect(perOrder).toEqual(buddyinfo.get(z.name));
        const pageblocks = Math.ceil(z.spanned / 2 ** buddy.pageblockOrder);
        const counted = (blocks.get(z.name) ?? []).reduce((s, n) => s + n, 0);
        expect(counted, `${arch} ${z.name}`).toBe(pageblocks);
      }
    }
  });

  it('shows the pageblock an unmovable allocation claimed; free lists are restored by free + drain', () => {
    const buddy = boot('x86_64', 64 * MiB);
    const before = renderPagetypeinfo(buddy);
    const pfn = buddy.allocPages(GFP_KERNEL, 3) as number;
    buddy.drainAllPages();
    const during = renderPagetypeinfo(buddy);
    expect(during).not.toBe(before);
    const z = buddy.zoneOf(pfn);
    expect((parseBlockTable(during).get(z.name) ?? [])[MigrateType.Unmovable]).toBeGreaterThan(0);
    buddy.freePages(pfn, 3);
    buddy.drainAllPages();
    // The claimed pageblocks stay Unmovable (as in Linux), but the free blocks per order are back.
    const after = parseFreeTable(renderPagetypeinfo(buddy));
    const sum = (table: Map<string, number[]>, name: string) => {
      const total = new Array<number>(NR_ORDERS).fill(0);
      for (const [key, counts] of table) {
        if (!key.startsWith(`${name}/`)) continue;
        counts.forEach((n, o) => {
          total[o] = (total[o] as number) + n;
        });
      }
      return total;
    };
    expect(sum(after, z.name)).toEqual(sum(parseFreeTable(before), z.name));
  });

  it('is a pure function of the state', () => {
    const buddy = boot('i386', 1 * GiB);
    const state = snapshot(buddy);
    expect(renderPagetypeinfo(buddy)).toBe(renderPagetypeinfo(buddy));
    expect(snapshot(buddy)).toBe(state);
  });
});

describe('/proc/zoneinfo', () => {
  it('lists every zone, empty ones included, in zone_idx order', () => {
    const headers = (buddy: BuddyAllocator) =>
      renderZoneinfo(buddy)
        .split('\n')
        .filter((l) => l.startsWith('Node '));
    expect(headers(boot('x86_64', 64 * MiB))).toEqual([
      'Node 0, zone      DMA',
      'Node 0, zone    DMA32',
      'Node 0, zone   Normal',
      'Node 0, zone  Movable',
    ]);
    expect(headers(boot('i386', 1 * GiB))).toEqual([
      'Node 0, zone      DMA',
      'Node 0, zone   Normal',
      'Node 0, zone  HighMem',
      'Node 0, zone  Movable',
    ]);
    expect(headers(boot('arm64-64k', 64 * MiB))).toEqual([
      'Node 0, zone      DMA',
      'Node 0, zone    DMA32',
      'Node 0, zone   Normal',
      'Node 0, zone  Movable',
    ]);
  });

  it('prints an empty zone in the short form, ending after protection', () => {
    const text = renderZoneinfo(boot('x86_64', 64 * MiB));
    expect(zoneSection(text, 'Normal')).toEqual([
      'Node 0, zone   Normal',
      '  pages free     0',
      '        boost    0',
      '        min      0',
      '        low      0',
      '        high     0',
      '        promo    0',
      '        spanned  0',
      '        present  0',
      '        managed  0',
      '        cma      0',
      '        protection: (0, 0, 0, 0)',
    ]);
    // HighMem and Movable get a min of SWAP_CLUSTER_MAX even when empty.
    expect(
      text.endsWith(
        'Node 0, zone  Movable\n' +
          '  pages free     0\n' +
          '        boost    0\n' +
          '        min      32\n' +
          '        low      32\n' +
          '        high     32\n' +
          '        promo    32\n' +
          '        spanned  0\n' +
          '        present  0\n' +
          '        managed  0\n' +
          '        cma      0\n' +
          '        protection: (0, 0, 0, 0)\n',
      ),
    ).toBe(true);
  });

  it('prints a populated zone line by line as zoneinfo_show_print does', () => {
    const buddy = boot('x86_64', 64 * MiB, 2);
    const z = zone(buddy, 'DMA32');
    const [min, low, high, promo] = z.watermark;
    const pcp = (cpu: number) => Array.from((z.pcp[cpu] as { ints: Int32Array }).ints);
    const blocks = (() => {
      let pages = 0;
      for (let o = buddy.pageblockOrder; o < NR_ORDERS; o++) {
        for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
          if (mt !== MigrateType.Isolate)
            pages += (z.freeCounts[o * MIGRATE_TYPES + mt] as number) << o;
        }
      }
      return pages;
    })();
    const cpuLines = (cpu: number) => {
      const [count, pcpHigh, batch, highMin, highMax] = pcp(cpu);
      return [
        `    cpu: ${cpu}`,
        `              count:    ${count}`,
        `              high:     ${pcpHigh}`,
        `              batch:    ${batch}`,
        `              high_min: ${highMin}`,
        `              high_max: ${highMax}`,
        // calculate_normal_threshold: 2 * fls(2 cpus) * (1 + fls(46 MiB / 128 MiB)).
        '  vm stats threshold: 4',
      ];
    };
    expect(zoneSection(renderZoneinfo(buddy), 'DMA32')).toEqual([
      'Node 0, zone    DMA32',
      `  pages free     ${z.freePages}`,
      '        boost    0',
      `        min      ${min}`,
      `        low      ${low}`,
      `        high     ${high}`,
      `        promo    ${promo}`,
      '        spanned  12288',
      '        present  12288',
      `        managed  ${z.managed}`,
      '        cma      0',
      '        protection: (0, 0, 0, 0)',
      `      nr_free_pages ${z.freePages}`,
      `      nr_free_pages_blocks ${blocks}`,
      '      nr_zone_inactive_anon 0',
      '      nr_zone_active_anon 0',
      '      nr_zone_inactive_file 0',
      '      nr_zone_active_file 0',
      '      nr_zone_unevictable 0',
      '      nr_zone_write_pending 0',
      '      nr_mlock     0',
      '      nr_zspages   0',
      '      nr_free_cma  0',
      '      numa_hit     0',
      '      numa_miss    0',
      '      numa_foreign 0',
      '      numa_interleave 0',
      '      numa_local   0',
      '      numa_other   0',
      '  pagesets',
      ...cpuLines(0),
      ...cpuLines(1),
      '  node_unreclaimable:  0',
      '  start_pfn:           4096',
    ]);
    expect(min).toBeLessThan(low as number);
    expect(low).toBeLessThan(high as number);
  });

  it('prints the per-node stats once, in the first populated zone, in Linux order', () => {
    const buddy = boot('x86_64', 64 * MiB);
    buddy.events.count('nr_anon_pages', 7);
    buddy.events.count('nr_slab_unreclaimable', 3);
    buddy.events.count('nr_mlock_dma32', 5);
    const text = renderZoneinfo(buddy);
    expect(text.split('\n  per-node stats').length).toBe(2);
    const dma = zoneSection(text, 'DMA');
    expect(dma[1]).toBe('  per-node stats');
    expect(dma[2]).toBe('      nr_inactive_anon 0');
    expect(dma).toContain('      nr_anon_pages 7');
    expect(dma).toContain('      nr_slab_unreclaimable 3');
    expect(dma).toContain('      nr_mapped    0');
    const nodeItems = dma
      .slice(2, dma.indexOf('  pages free     4080'))
      .map((l) => l.trim().split(' ')[0]);
    expect(nodeItems[0]).toBe('nr_inactive_anon');
    expect(nodeItems.indexOf('nr_slab_reclaimable')).toBe(5);
    expect(nodeItems.indexOf('nr_anon_pages')).toBe(17);
    expect(nodeItems.at(-1)).toBe('nr_kernel_file_pages');
    expect(nodeItems).toContain('nr_swapcached');
    expect(nodeItems).not.toContain('numa_hit');
    // numa_* are zone lines, counting the zone's allocations as local hits.
    expect(zoneSection(text, 'DMA32')).toContain('      numa_local   0');
    // The per-zone counter is read under its zone-suffixed name.
    expect(stat(zoneSection(text, 'DMA32'), 'nr_mlock')).toBe(5);
    expect(stat(dma, 'nr_mlock')).toBe(0);
    // i386: the first populated zone is DMA too; with 1 GiB every zone but Movable is populated.
    const i386 = renderZoneinfo(boot('i386', 1 * GiB));
    expect(zoneSection(i386, 'DMA')[1]).toBe('  per-node stats');
    expect(zoneSection(i386, 'Normal')[1]).toMatch(/^ {2}pages free {5}\d+$/);
    expect(zoneSection(i386, 'HighMem')[1]).toMatch(/^ {2}pages free {5}\d+$/);
  });

  it('prints lowmem_reserve as protection, one entry per zone', () => {
    const buddy = boot('i386', 1 * GiB);
    const text = renderZoneinfo(buddy);
    for (const z of buddy.zones) {
      const line = zoneSection(text, z.name).find((l) => l.startsWith('        protection: '));
      expect(line).toBe(`        protection: (${z.lowmemReserve.join(', ')})`);
    }
    // DMA keeps back (Normal + HighMem managed) / 256 from a HighMem request.
    const normal = zone(buddy, 'Normal').managed;
    const highmem = zone(buddy, 'HighMem').managed;
    expect(zoneSection(text, 'DMA')).toContain(
      `        protection: (0, ${Math.floor(normal / 256)}, ${Math.floor((normal + highmem) / 256)}, ${Math.floor((normal + highmem) / 256)})`,
    );
  });

  it('computes the vm stats threshold as calculate_normal_threshold', () => {
    // The kernel's own table: 1 CPU, a 0.9-1 GB zone -> 8; 2 CPUs, 2-4 GB -> 24; 2 CPUs, <128M -> 4.
    const threshold = (text: string, name: string) =>
      zoneSection(text, name).find((l) => l.startsWith('  vm stats threshold: '));
    expect(threshold(renderZoneinfo(boot('i386', 1 * GiB, 1)), 'Normal')).toBe(
      '  vm stats threshold: 8',
    );
    const big = renderZoneinfo(boot('x86_64', 4.5 * GiB, 2));
    expect(threshold(big, 'DMA32')).toBe('  vm stats threshold: 24');
    expect(threshold(big, 'DMA')).toBe('  vm stats threshold: 4');
  });

  it('changes after allocPages(GFP_KERNEL, 3) + drain and is restored by freePages + drain', () => {
    const buddy = boot('x86_64', 64 * MiB);
    const before = renderZoneinfo(buddy);
    const pfn = buddy.allocPages(GFP_KERNEL, 3) as number;
    buddy.drainAllPages();
    const during = renderZoneinfo(buddy);
    expect(during).not.toBe(before);
    const name = buddy.zoneOf(pfn).name;
    const free = (text: string) => stat(zoneSection(text, name), 'nr_free_pages');
    expect(free(before) - free(during)).toBe(8);
    expect(zoneSection(during, name)[1]).toBe(`  pages free     ${free(during)}`);
    buddy.freePages(pfn, 3);
    buddy.drainAllPages();
    // Everything but the event counters (numa_hit and numa_local only grow) is back.
    const withoutEvents = (text: string) => text.replace(/\n {6}numa_(hit|local) +\d+/g, '');
    expect(withoutEvents(renderZoneinfo(buddy))).toBe(withoutEvents(before));
    expect(stat(zoneSection(renderZoneinfo(buddy), name), 'numa_hit')).toBe(8);
  });

  it('shows pages held on the per-CPU lists as pcp count, not as free pages', () => {
    const buddy = boot('x86_64', 64 * MiB);
    const pfn = buddy.allocPages(GFP_USER, 0) as number;
    buddy.freePages(pfn, 0);
    const z = buddy.zoneOf(pfn);
    const section = zoneSection(renderZoneinfo(buddy), z.name);
    expect(z.pcpPages).toBeGreaterThan(0);
    expect(section).toContain(`              count:    ${z.pcpPages}`);
    expect(stat(section, 'nr_free_pages')).toBe(z.freePages);
  });

  it('is a pure function of the state', () => {
    const buddy = boot('arm64-64k', 64 * MiB, 3);
    const state = snapshot(buddy);
    expect(renderZoneinfo(buddy)).toBe(renderZoneinfo(buddy));
    expect(snapshot(buddy)).toBe(state);
  });
});

describe('the three files together', () => {
  it('stay consistent through random allocations and frees', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ order: fc.integer({ min: 0, max: 6 }), free: fc.boolean() }), {
          maxLength: 40,
        }),
        (steps) => {
          const buddy = boot('x86_64', 64 * MiB);
          const held: [number, number][] = [];
          for (const step of steps) {
            if (step.free && held.length > 0) {
              const [pfn, order] = held.pop() as [number, number];
              buddy.freePages(pfn, order);
            } else {
              const pfn = buddy.allocPages(GFP_KERNEL, step.order);
              if (pfn !== null) held.push([pfn, step.order]);
            }
          }
          const buddyinfo = parseBuddyinfo(renderBuddyinfo(buddy));
          const free = parseFreeTable(renderPagetypeinfo(buddy));
          const zoneinfo = renderZoneinfo(buddy);
          for (const z of buddy.zones.filter((candidate) => candidate.present > 0)) {
            const counts = buddyinfo.get(z.name) ?? [];
            const pages = counts.reduce((s, n, o) => s + n * 2 ** o, 0);
            expect(pages).toBe(stat(zoneSection(zoneinfo, z.name), 'nr_free_pages'));
            const perOrder = new Array<number>(NR_ORDERS).fill(0);
            for (const [key, row] of free) {
              if (!key.startsWith(`${z.name}/`)) continue;
              row.forEach((n, o) => {
                perOrder[o] = (perOrder[o] as number) + n;
              });
            }
            expect(perOrder).toEqual(counts);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
