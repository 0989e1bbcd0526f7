/**
 * The pure /proc/meminfo and /proc/vmstat renderers (src/vm/proc/meminfo.ts,
 * src/vm/proc/vmstat.ts) and the MemAvailable arithmetic.
 *
 * The renderers are fed the numbers of the files read on a real Linux 6.18
 * x86_64 machine (test/fixtures/linux-6.18) and must give those files back
 * byte for byte. The layout of the optional lines follows
 * `meminfo_proc_show` (fs/proc/meminfo.c), `hugetlb_report_meminfo`
 * (mm/hugetlb.c) and x86's `arch_report_meminfo`; `si_mem_available`
 * (mm/show_mem.c) and `calculate_totalreserve_pages` (mm/page_alloc.c) are
 * checked on cases worked out by hand.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KernelBug } from '../src/page/errors.js';
import {
  type MeminfoValues,
  renderMeminfo,
  siMemAvailable,
  totalReservePages,
} from '../src/vm/proc/meminfo.js';
import { renderVmstat, VMSTAT_ITEMS } from '../src/vm/proc/vmstat.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'linux-6.18');
const real = (name: string) => readFileSync(join(fixtures, name), 'utf8');

/** /proc/meminfo labels (without the colon) and the fields that hold them. */
const FIELD_OF: Readonly<Record<string, keyof MeminfoValues>> = {
  MemTotal: 'memTotal',
  MemFree: 'memFree',
  MemAvailable: 'memAvailable',
  Buffers: 'buffers',
  Cached: 'cached',
  SwapCached: 'swapCached',
  Active: 'active',
  Inactive: 'inactive',
  'Active(anon)': 'activeAnon',
  'Inactive(anon)': 'inactiveAnon',
  'Active(file)': 'activeFile',
  'Inactive(file)': 'inactiveFile',
  Unevictable: 'unevictable',
  Mlocked: 'mlocked',
  HighTotal: 'highTotal',
  HighFree: 'highFree',
  LowTotal: 'lowTotal',
  LowFree: 'lowFree',
  SwapTotal: 'swapTotal',
  SwapFree: 'swapFree',
  Zswap: 'zswap',
  Zswapped: 'zswapped',
  Dirty: 'dirty',
  Writeback: 'writeback',
  AnonPages: 'anonPages',
  Mapped: 'mapped',
  Shmem: 'shmem',
  KReclaimable: 'kReclaimable',
  Slab: 'slab',
  SReclaimable: 'sReclaimable',
  SUnreclaim: 'sUnreclaim',
  KernelStack: 'kernelStack',
  PageTables: 'pageTables',
  SecPageTables: 'secPageTables',
  NFS_Unstable: 'nfsUnstable',
  Bounce: 'bounce',
  WritebackTmp: 'writebackTmp',
  CommitLimit: 'commitLimit',
  Committed_AS: 'committedAs',
  VmallocTotal: 'vmallocTotal',
  VmallocUsed: 'vmallocUsed',
  VmallocChunk: 'vmallocChunk',
  Percpu: 'percpu',
  AnonHugePages: 'anonHugePages',
  ShmemHugePages: 'shmemHugePages',
  ShmemPmdMapped: 'shmemPmdMapped',
  FileHugePages: 'fileHugePages',
  FilePmdMapped: 'filePmdMapped',
  Balloon: 'balloon',
  HugePages_Total: 'hugePagesTotal',
  HugePages_Free: 'hugePagesFree',
  HugePages_Rsvd: 'hugePagesRsvd',
  HugePages_Surp: 'hugePagesSurp',
  Hugepagesize: 'hugepagesize',
  Hugetlb: 'hugetlb',
  DirectMap4k: 'directMap4k',
  DirectMap2M: 'directMap2M',
  DirectMap4M: 'directMap4M',
  DirectMap1G: 'directMap1G',
};

/** The numbers of a /proc/meminfo text, by field. */
function parseMeminfo(text: string): MeminfoValues {
  const values: Partial<Record<keyof MeminfoValues, number>> = {};
  for (const line of text.trimEnd().split('\n')) {
    const m = /^([^:]+):\s+(\d+)( kB)?$/.exec(line);
    if (m === null) throw new Error(`unparsable meminfo line: ${line}`);
    const field = FIELD_OF[m[1] as string];
    if (field === undefined) throw new Error(`unknown meminfo label: ${m[1]}`);
    values[field] = Number(m[2]);
  }
  return values as MeminfoValues;
}

const fixtureMeminfo = real('meminfo');
const x86 = parseMeminfo(fixtureMeminfo);

/** The same machine as an i386 HIGHMEM kernel without PAE would print it. */
function i386Values(): MeminfoValues {
  const v: MeminfoValues = {
    ...x86,
    highTotal: 2_000_000,
    highFree: 1_500_000,
    lowTotal: x86.memTotal - 2_000_000,
    lowFree: x86.memFree - 1_500_000,
    directMap4k: 8192,
    directMap4M: 905_216,
  };
  delete v.directMap2M;
  delete v.directMap1G;
  return v;
}

const labels = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => l.split(':')[0]);

describe('renderMeminfo', () => {
  it('gives back the 6.18 x86_64 fixture byte for byte from its own numbers', () => {
    expect(renderMeminfo(x86)).toBe(fixtureMeminfo);
  });

  it('pads labels to 16 and numbers to 8, and lets wider numbers push the unit right', () => {
    const out = renderMeminfo({ ...x86, memTotal: 123_456_789, memFree: 12_345_678, buffers: 0 });
    const lines = out.split('\n');
    expect(lines[0]).toBe('MemTotal:       123456789 kB');
    expect(lines[1]).toBe('MemFree:        12345678 kB');
    expect(lines[3]).toBe('Buffers:               0 kB');
    // VmallocTotal on x86_64 is 11 digits: three past the column.
    expect(out).toContain('\nVmallocTotal:   34359738367 kB\n');
  });

  it('prints the HugePages counts as "   %5lu" after the label, with no unit', () => {
    const out = renderMeminfo({
      ...x86,
      hugePagesTotal: 512,
      hugePagesFree: 123_456,
      hugePagesRsvd: 0,
      hugePagesSurp: 7,
      hugetlb: 1_048_576,
    });
    expect(out).toContain(
      '\nHugePages_Total:     512\n' +
        'HugePages_Free:    123456\n' +
        'HugePages_Rsvd:        0\n' +
        'HugePages_Surp:        7\n' +
        'Hugepagesize:       2048 kB\n' +
        'Hugetlb:         1048576 kB\n',
    );
  });

  it('puts the HIGHMEM lines after Mlocked and before SwapTotal, and DirectMap4M on i386', () => {
    const v = i386Values();
    const out = renderMeminfo(v);
    const ls = labels(out);
    const at = ls.indexOf('Mlocked');
    expect(ls.slice(at, at + 6)).toEqual([
      'Mlocked',
      'HighTotal',
      'HighFree',
      'LowTotal',
      'LowFree',
      'SwapTotal',
    ]);
    expect(out).toContain(
      '\nHighTotal:       2000000 kB\nHighFree:        1500000 kB\n' +
        `LowTotal:       ${String(v.lowTotal).padStart(8)} kB\n`,
    );
    expect(out.endsWith('\nDirectMap4k:        8192 kB\nDirectMap4M:      905216 kB\n')).toBe(true);
    // Without the four lines, it is the x86_64 layout with 4 MiB direct-map pages and no 1 GiB ones.
    expect(ls.filter((l) => !/^(High|Low)(Total|Free)$/.test(l ?? ''))).toEqual(
      labels(fixtureMeminfo)
        .filter((l) => l !== 'DirectMap1G')
        .map((l) => (l === 'DirectMap2M' ? 'DirectMap4M' : l)),
    );
  });

  it('leaves out the hugetlb lines when none is given and the DirectMap lines when none is', () => {
    const v: MeminfoValues = { ...x86 };
    for (const f of [
      'hugePagesTotal',
      'hugePagesFree',
      'hugePagesRsvd',
      'hugePagesSurp',
      'hugepagesize',
      'hugetlb',
      'directMap4k',
      'directMap2M',
      'directMap1G',
    ] as const) {
      delete v[f];
    }
    const out = renderMeminfo(v);
    expect(out.endsWith('\nBalloon:               0 kB\n')).toBe(true);
    expect(out).not.toMatch(/Huge[Pp]ages_|Hugetlb|DirectMap/);
    expect(labels(out)).toEqual(labels(fixtureMeminfo).slice(0, labels(out).length));
  });

  it('prints DirectMap1G only when given', () => {
    const v: MeminfoValues = { ...x86 };
    delete v.directMap1G;
    const out = renderMeminfo(v);
    expect(out).not.toContain('DirectMap1G');
    expect(out.endsWith('\nDirectMap2M:     2066432 kB\n')).toBe(true);
  });

  it('rejects values Linux could not print, naming the field', () => {
    expect(() => renderMeminfo({ ...x86, cached: -1 })).toThrow(KernelBug);
    expect(() => renderMeminfo({ ...x86, cached: -1 })).toThrow(/renderMeminfo: cached is -1/);
    expect(() => renderMeminfo({ ...x86, dirty: 1.5 })).toThrow(/dirty is 1.5/);
    expect(() => renderMeminfo({ ...x86, shmem: Number.NaN })).toThrow(/shmem is NaN/);
    expect(() => renderMeminfo({ ...x86, hugePagesFree: -2 })).toThrow(/huge pages/);
    expect(() => renderMeminfo({ ...x86, directMap1G: 2 ** 60 })).toThrow(/directMap1G/);
  });

  it('rejects a group given in part', () => {
    expect(() => renderMeminfo({ ...x86, highTotal: 1 })).toThrow(
      /highTotal given without highFree, lowTotal, lowFree/,
    );
    const noHugetlb: MeminfoValues = { ...x86 };
    delete noHugetlb.hugetlb;
    expect(() => renderMeminfo(noHugetlb)).toThrow(/without hugetlb/);
  });

  it('rejects DirectMap sets x86 never prints', () => {
    expect(() => renderMeminfo({ ...x86, directMap4M: 4096 })).toThrow(KernelBug);
    const no4k: MeminfoValues = { ...x86 };
    delete no4k.directMap4k;
    expect(() => renderMeminfo(no4k)).toThrow(/directMap4k/);
    const noLarge: MeminfoValues = { ...x86 };
    delete noLarge.directMap2M;
    expect(() => renderMeminfo(noLarge)).toThrow(/exactly one of directMap2M/);
  });
});

describe('siMemAvailable', () => {
  const base = {
    free: 0,
    totalReservePages: 0,
    wmarkLow: 0,
    activeFile: 0,
    inactiveFile: 0,
    sReclaimable: 0,
    kernelMiscReclaimable: 0,
  };

  it('keeps the low watermark of a large page cache and half of a small slab', () => {
    // 1000 - 100 = 900; pagecache 401: min(200, 50) = 50 stays, 351 counted;
    // reclaimable 33: min(16, 50) = 16 stays (C rounds 33 / 2 down), 17 counted.
    const input = {
      free: 1000,
      totalReservePages: 100,
      wmarkLow: 50,
      activeFile: 300,
      inactiveFile: 101,
      sReclaimable: 30,
      kernelMiscReclaimable: 3,
    };
    expect(siMemAvailable(input)).toBe(900 + 351 + 17);
  });

  it('keeps half of a page cache smaller than twice the watermark', () => {
    // pagecache 9: min(4, 100) = 4 stays, 5 counted.
    expect(siMemAvailable({ ...base, free: 10, wmarkLow: 100, activeFile: 9 })).toBe(15);
  });

  it('keeps the watermark of a large reclaimable slab', () => {
    // reclaimable 1000: min(500, 64) = 64 stays.
    expect(
      siMemAvailable({ ...base, wmarkLow: 64, sReclaimable: 900, kernelMiscReclaimable: 100 }),
    ).toBe(936);
  });

  it('counts everything when the watermark is 0', () => {
    expect(
      siMemAvailable({ ...base, free: 10, activeFile: 4, inactiveFile: 3, sReclaimable: 5 }),
    ).toBe(22);
  });

  it('never goes below 0 when the reserve exceeds what is free', () => {
    expect(siMemAvailable({ ...base, free: 10, totalReservePages: 500 })).toBe(0);
    // The cache counts against the deficit before the clamp.
    expect(
      siMemAvailable({ ...base, free: 10, totalReservePages: 500, activeFile: 400, wmarkLow: 1 }),
    ).toBe(0);
    expect(
      siMemAvailable({ ...base, free: 10, totalReservePages: 500, activeFile: 600, wmarkLow: 1 }),
    ).toBe(109);
  });

  it('rejects a counter that is not a page count', () => {
    expect(() => siMemAvailable({ ...base, free: -1 })).toThrow(KernelBug);
    expect(() => siMemAvailable({ ...base, wmarkLow: 0.5 })).toThrow(/siMemAvailable: wmarkLow/);
  });
});

describe('totalReservePages', () => {
  it('adds per zone the largest lowmem reserve and the high watermark, capped at managed', () => {
    const zones = [
      // DMA: 8000 + 17 is more than the zone has; capped at 3840.
      { high: 17, lowmemReserve: [0, 2000, 8000, 8000], managed: 3840 },
      // DMA32: 6000 + 500.
      { high: 500, lowmemReserve: [0, 0, 6000, 6000], managed: 400_000 },
      // Normal: nothing above it to reserve for.
      { high: 1000, lowmemReserve: [0, 0, 0, 0], managed: 1_000_000 },
      // Movable, empty.
      { high: 0, lowmemReserve: [0, 0, 0, 0], managed: 0 },
    ];
    expect(totalReservePages(zones)).toBe(3840 + 6500 + 1000);
  });

  it('is 0 for no zones, and treats an empty reserve array as all zeros', () => {
    expect(totalReservePages([])).toBe(0);
    expect(totalReservePages([{ high: 12, lowmemReserve: [], managed: 100 }])).toBe(12);
  });

  it('rejects a bad value, naming the zone', () => {
    expect(() => totalReservePages([{ high: 1, lowmemReserve: [0, -3], managed: 10 }])).toThrow(
      /totalReservePages: zones\[0\]\.lowmemReserve\[1\] is -3/,
    );
    expect(() => totalReservePages([{ high: 1.5, lowmemReserve: [], managed: 10 }])).toThrow(
      KernelBug,
    );
  });
});

describe('renderVmstat', () => {
  const fixtureVmstat = real('vmstat');
  const fixtureValues = new Map(
    fixtureVmstat
      .trimEnd()
      .split('\n')
      .map((l) => {
        const [name, value] = l.split(' ');
        return [name as string, Number(value)] as const;
      }),
  );

  it('lists the fixture’s items in the fixture’s order', () => {
    expect(VMSTAT_ITEMS).toEqual([...fixtureValues.keys()]);
    expect(new Set(VMSTAT_ITEMS).size).toBe(VMSTAT_ITEMS.length);
  });

  it('gives back the 6.18 x86_64 fixture byte for byte from its own numbers', () => {
    const value = (name: string) => {
      const n = fixtureValues.get(name);
      if (n === undefined) throw new Error(`no fixture value for ${name}`);
      return n;
    };
    expect(renderVmstat(value)).toBe(fixtureVmstat);
  });

  it('has the counters mmsim keeps', () => {
    for (const name of [
      'nr_free_pages',
      'pgalloc_normal',
      'pgfree',
      'pgfault',
      'pgmajfault',
      'pswpin',
      'pswpout',
      'pgscan_kswapd',
      'pgscan_direct',
      'pgsteal_kswapd',
      'pgsteal_direct',
      'allocstall_normal',
      'oom_kill',
    ]) {
      expect(VMSTAT_ITEMS).toContain(name);
    }
  });

  it('prints the deprecated nr_unstable as 0 without asking for it', () => {
    const asked: string[] = [];
    const out = renderVmstat((name) => {
      asked.push(name);
      return 7;
    });
    expect(asked).not.toContain('nr_unstable');
    expect(asked).toHaveLength(VMSTAT_ITEMS.length - 1);
    expect(out.endsWith('\ndirect_map_level3_collapses 7\nnr_unstable 0\n')).toBe(true);
    expect(out.startsWith('nr_free_pages 7\n')).toBe(true);
  });

  it('rejects a negative, fractional or non-finite value, naming the item', () => {
    const bad = (target: string, n: number) => () =>
      renderVmstat((name) => (name === target ? n : 0));
    expect(bad('pgfault', -1)).toThrow(KernelBug);
    expect(bad('pgfault', -1)).toThrow(/renderVmstat: pgfault is -1/);
    expect(bad('nr_mapped', 2.5)).toThrow(/nr_mapped is 2.5/);
    expect(bad('oom_kill', Number.POSITIVE_INFINITY)).toThrow(/oom_kill is Infinity/);
    expect(bad('pswpin', Number.NaN)).toThrow(/pswpin is NaN/);
  });
});
