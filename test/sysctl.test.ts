/**
 * Machine tunables: `k.sysctl`, `/proc/sys/vm/*` through `k.proc`,
 * `k.procRead` and `k.writeProc`, and processes opening them. Parsing and
 * ranges as this machine's Linux 6.18 handlers answered writes (measured
 * with write(2) on /proc/sys/vm), and each tunable's effect where mmsim
 * has the behaviour: overcommit (mode 0, 1 and 2, CommitLimit and
 * Committed_AS), max_map_count, mmap_min_addr, min_free_kbytes and
 * watermark_scale_factor (the zone watermarks of /proc/zoneinfo, computed
 * here independently with `__setup_per_zone_wmarks`'s formula),
 * swappiness (reclaim's anon/file split) and the OOM killer's switches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Errno,
  Kernel,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  PROT_READ,
  PROT_WRITE,
  VM_SYSCTLS,
} from '../src/index.js';
import { errnoOf } from './helpers/kernel-errors.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const MiB = 2 ** 20;

function boot(options: Parameters<typeof Kernel.boot>[0] = {}) {
  const k = Kernel.boot({ memory: '32M', ...options });
  return { k, P: k.PAGE_SIZE };
}

/** Everything a rejected write must leave as it was. */
function machineState(k: Kernel): string[] {
  const out = [
    k.dmesg(),
    k.proc('/proc/meminfo'),
    k.proc('/proc/vmstat'),
    k.proc('/proc/zoneinfo'),
    k.proc('/proc/buddyinfo'),
  ];
  for (const e of VM_SYSCTLS) out.push(k.proc(`/proc/sys/${e.procname}`));
  out.push(Buffer.from(k.memory.read(k.memMap.base, k.memMap.bytes)).toString('base64'));
  return out;
}

function meminfoKb(k: Kernel, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(k.proc('/proc/meminfo'));
  if (m === null) throw new Error(`no ${field}`);
  return Number(m[1]);
}

function vmstat(k: Kernel, name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(k.proc('/proc/vmstat'));
  return m === null ? 0 : Number(m[1]);
}

/** min, low, high of each zone as /proc/zoneinfo prints them. */
function zoneWatermarks(k: Kernel): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const block of k
    .proc('/proc/zoneinfo')
    .split(/^Node 0, zone\s+/m)
    .slice(1)) {
    const name = block.split('\n')[0]?.trim() as string;
    const get = (f: string) => Number(new RegExp(`^\\s+${f}\\s+(\\d+)$`, 'm').exec(block)?.[1]);
    out[name] = [get('min'), get('low'), get('high')];
  }
  return out;
}

/** `__setup_per_zone_wmarks`, written out again from mm/page_alloc.c. */
function expectedWatermarks(
  k: Kernel,
  minFreeKbytes: number,
  scale: number,
): Record<string, [number, number, number]> {
  const high = (name: string) => name === 'HighMem' || name === 'Movable';
  const pagesMin = Math.floor(minFreeKbytes / (k.PAGE_SIZE / 1024));
  let lowmem = 0;
  for (const z of k.zones) if (!high(z.name)) lowmem += z.managed;
  const out: Record<string, [number, number, number]> = {};
  for (const z of k.zones) {
    const tmp = Math.floor((pagesMin * z.managed) / lowmem);
    const min = high(z.name) ? Math.min(128, Math.max(32, Math.floor(z.managed / 1024))) : tmp;
    const gap = Math.max(Math.floor(tmp / 4), Math.floor((z.managed * scale) / 10000));
    out[z.name] = [min, min + gap, min + 2 * gap];
  }
  return out;
}

describe('reading tunables', () => {
  it('has Linux defaults, the same through k.sysctl (dots or slashes), k.proc and k.procRead', () => {
    const { k } = boot();
    const defaults: Record<string, number> = {
      'vm.overcommit_memory': 0,
      'vm.overcommit_ratio': 50,
      'vm.overcommit_kbytes': 0,
      'vm.swappiness': 60,
      'vm.watermark_scale_factor': 10,
      'vm.max_map_count': 65530,
      'vm.page-cluster': 3,
      'vm.mmap_min_addr': 65536,
      'vm.oom_dump_tasks': 1,
      'vm.oom_kill_allocating_task': 0,
    };
    for (const [name, value] of Object.entries(defaults)) {
      expect(k.sysctl(name)).toBe(value);
      expect(k.sysctl(name.replace('.', '/'))).toBe(value);
      const path = `/proc/sys/${name.replace('.', '/')}`;
      expect(k.proc(path)).toBe(`${value}\n`);
      expect(new TextDecoder().decode(k.procRead(path))).toBe(`${value}\n`);
    }
    // min_free_kbytes: sqrt(lowmem_kbytes * 16), at least 128.
    let lowmemKb = 0;
    for (const z of k.zones) lowmemKb += z.managed * 4;
    expect(k.sysctl('vm.min_free_kbytes')).toBe(
      Math.max(128, Math.floor(Math.sqrt(lowmemKb * 16))),
    );
    // The reserves: a 32nd of free memory at boot, at most 8 MiB and 128 MiB.
    expect(k.sysctl('vm.admin_reserve_kbytes')).toBeGreaterThan(0);
    expect(k.sysctl('vm.admin_reserve_kbytes')).toBeLessThanOrEqual(8192);
    expect(k.sysctl('vm.user_reserve_kbytes')).toBe(k.sysctl('vm.admin_reserve_kbytes'));
  });

  it('a machine under 16 MiB reads ahead 4 pages of swap (page-cluster 2)', () => {
    expect(Kernel.boot({ memory: '8M' }).sysctl('vm.page-cluster')).toBe(2);
  });

  it('a read past offset 0 of a sysctl file gives nothing, as proc_dointvec does', () => {
    const { k } = boot();
    expect(k.procRead('/proc/sys/vm/swappiness', 1).length).toBe(0);
    expect(Array.from(k.procRead('/proc/sys/vm/swappiness', 0, 2))).toEqual([54, 48]);
  });

  it('ENOENT for an unknown name, EINVAL for a name or value of the wrong type', () => {
    const { k } = boot();
    expect(errnoOf(() => k.sysctl('vm.nope'))).toBe('ENOENT');
    expect(errnoOf(() => k.sysctl('kernel.pid_max'))).toBe('ENOENT');
    expect(errnoOf(() => k.proc('/proc/sys/vm/nope'))).toBe('ENOENT');
    expect(errnoOf(() => k.sysctl(42 as unknown as string))).toBe('EINVAL');
    expect(errnoOf(() => k.sysctl('vm.swappiness', {} as unknown as number))).toBe('EINVAL');
    expect(errnoOf(() => k.sysctl('vm.swappiness', 1.5))).toBe('EINVAL');
    expect(errnoOf(() => k.sysctl('vm.swappiness', Number.NaN))).toBe('EINVAL');
    expect(errnoOf(() => k.sysctl('vm.swappiness', ''))).toBe('EINVAL');
    expect(errnoOf(() => k.proc('/proc/sys/vm'))).toBe('EISDIR');
  });
});

describe('writing tunables: ranges', () => {
  // [name, lowest accepted, highest accepted] as each handler bounds it (int handlers stop at INT_MAX).
  const ranges: [string, number, number][] = [
    ['vm.overcommit_memory', 0, 2],
    ['vm.swappiness', 0, 200],
    ['vm.watermark_scale_factor', 1, 3000],
    ['vm.page-cluster', 0, 31],
    ['vm.max_map_count', 0, 2 ** 31 - 1],
    ['vm.oom_dump_tasks', -(2 ** 31), 2 ** 31 - 1],
    ['vm.oom_kill_allocating_task', -(2 ** 31), 2 ** 31 - 1],
    ['vm.overcommit_ratio', -(2 ** 31), 2 ** 31 - 1],
    ['vm.mmap_min_addr', 0, Number.MAX_SAFE_INTEGER],
    ['vm.overcommit_kbytes', 0, Number.MAX_SAFE_INTEGER],
    ['vm.admin_reserve_kbytes', 0, Number.MAX_SAFE_INTEGER],
    ['vm.user_reserve_kbytes', 0, Number.MAX_SAFE_INTEGER],
  ];
  for (const [name, lo, hi] of ranges) {
    it(`${name}: ${lo}..${hi}`, () => {
      const { k } = boot();
      const before = machineState(k);
      expect(errnoOf(() => k.sysctl(name, lo - 1))).toBe('EINVAL');
      expect(errnoOf(() => k.sysctl(name, hi + 1))).toBe('EINVAL');
      expect(machineState(k)).toEqual(before);
      expect(k.sysctl(name, lo)).toBe(lo);
      expect(k.sysctl(name, hi)).toBe(hi);
      expect(k.proc(`/proc/sys/${name.replace('.', '/')}`)).toBe(`${hi}\n`);
    });
  }

  it('vm.min_free_kbytes: 0..INT_MAX', () => {
    const { k } = boot();
    expect(errnoOf(() => k.sysctl('vm.min_free_kbytes', -1))).toBe('EINVAL');
    expect(errnoOf(() => k.sysctl('vm.min_free_kbytes', 2 ** 31))).toBe('EINVAL');
    expect(k.sysctl('vm.min_free_kbytes', 0)).toBe(0);
  });

  it('a rejected write changes nothing: /proc, dmesg and the struct page array', () => {
    const { k } = boot({ swap: { size: '8M' } });
    const p = k.spawn();
    p.store8(p.sys.mmap(0, 4096, RW, ANON, -1, 0), 1);
    const before = machineState(k);
    for (const [name, text] of [
      ['vm/swappiness', '201'],
      ['vm/min_free_kbytes', '-1'],
      ['vm/watermark_scale_factor', '0'],
      ['vm/overcommit_memory', '3'],
      ['vm/overcommit_kbytes', '-1'],
      ['vm/overcommit_ratio', '12abc'],
      ['vm/max_map_count', '0x'],
    ] as const) {
      expect(errnoOf(() => k.writeProc(`/proc/sys/${name}`, text))).toBe('EINVAL');
    }
    expect(machineState(k)).toEqual(before);
  });
});

describe('writing tunables: the text, as the kernel parses it (measured on 6.18)', () => {
  const cases: [string, number | 'EINVAL', number?][] = [
    // [text, value or errno, characters consumed]
    ['0x3c', 60, 4],
    ['074', 60, 3],
    [' 60', 60, 3],
    ['60\n', 60, 3],
    ['60\t', 60, 3],
    ['60 70', 60, 3],
    ['60\n70', 60, 3],
    [' \n 60\n', 60, 6],
    ['6 0', 6, 2],
    ['-0', 0, 2],
    ['60abc', 'EINVAL'],
    ['+60', 'EINVAL'],
    ['\n', 'EINVAL'],
    ['201', 'EINVAL'],
    ['-1', 'EINVAL'],
    ['99999999999', 'EINVAL'],
    ['0x', 'EINVAL'],
    ['abc', 'EINVAL'],
    ['--60', 'EINVAL'],
    ['60.0', 'EINVAL'],
    ['60\r', 'EINVAL'],
    ['000000000000000000060', 'EINVAL'], // 21 characters: proc_get_long refuses
    ['00000000000000000060', 48, 20], // 20: octal 060
  ];
  for (const [text, want, consumed] of cases) {
    it(`swappiness ${JSON.stringify(text)} -> ${want}`, () => {
      const { k } = boot();
      k.sysctl('vm.swappiness', 100);
      if (want === 'EINVAL') {
        expect(errnoOf(() => k.writeProc('/proc/sys/vm/swappiness', text))).toBe('EINVAL');
        expect(k.sysctl('vm.swappiness')).toBe(100);
      } else {
        expect(k.writeProc('/proc/sys/vm/swappiness', text)).toBe(consumed);
        expect(k.sysctl('vm.swappiness')).toBe(want);
      }
    });
  }

  it('an empty write changes nothing and succeeds', () => {
    const { k } = boot();
    expect(k.writeProc('/proc/sys/vm/swappiness', '')).toBe(0);
    expect(k.sysctl('vm.swappiness')).toBe(60);
  });

  it('unsigned long tunables: no sign, and the rest of the text is left (mmap_min_addr "4096 8192" takes 5)', () => {
    const { k } = boot();
    expect(k.writeProc('/proc/sys/vm/mmap_min_addr', '4096 8192')).toBe(5);
    expect(k.sysctl('vm.mmap_min_addr')).toBe(4096);
    expect(errnoOf(() => k.writeProc('/proc/sys/vm/mmap_min_addr', '-4096'))).toBe('EINVAL');
    expect(errnoOf(() => k.writeProc('/proc/sys/vm/user_reserve_kbytes', '-0'))).toBe('EINVAL');
  });

  it('writing overcommit_ratio clears overcommit_kbytes, and writing overcommit_kbytes (even 0) clears the ratio', () => {
    const { k } = boot();
    k.sysctl('vm.overcommit_kbytes', 1000);
    expect(k.sysctl('vm.overcommit_ratio')).toBe(0);
    k.sysctl('vm.overcommit_ratio', 40);
    expect(k.sysctl('vm.overcommit_kbytes')).toBe(0);
    k.sysctl('vm.overcommit_kbytes', 0);
    expect(k.sysctl('vm.overcommit_ratio')).toBe(0);
    // A negative ratio is accepted (proc_dointvec has no bounds).
    expect(k.sysctl('vm.overcommit_ratio', -3)).toBe(-3);
  });

  it("a process may read /proc/sys/vm files but not open them for writing (they are root's)", () => {
    const { k } = boot();
    const p = k.spawn();
    const buf = p.sys.mmap(0, 4096, RW, ANON, -1, 0);
    expect(p.sys.open('/proc/sys/vm/swappiness', O_WRONLY)).toBe(-Errno.EACCES);
    expect(p.sys.open('/proc/sys/vm/swappiness', O_RDWR)).toBe(-Errno.EACCES);
    const fd = p.sys.open('/proc/sys/vm/swappiness', O_RDONLY);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(p.sys.read(fd, buf, 100)).toBe(3);
    expect(new TextDecoder().decode(p.read(buf, 3))).toBe('60\n');
    expect(p.sys.read(fd, buf, 100)).toBe(0);
    expect(p.sys.pread(fd, buf, 100, 1)).toBe(0);
    expect(p.sys.write(fd, buf, 2)).toBe(-Errno.EBADF);
    expect(p.sys.close(fd)).toBe(0);
  });
});

describe('overcommit', () => {
  it('mode 0 refuses a charge larger than RAM and swap; mode 1 never refuses', () => {
    const { k } = boot({ swap: { size: '8M' } });
    const p = k.spawn();
    expect(p.sys.mmap(0, 64 * MiB, RW, ANON, -1, 0)).toBe(-Errno.ENOMEM);
    k.sysctl('vm.overcommit_memory', 1);
    expect(p.sys.mmap(0, 64 * MiB, RW, ANON, -1, 0)).toBeGreaterThan(0);
    expect(p.sys.mmap(0, 64 * MiB, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0)).toBeGreaterThan(0);
  });

  it('mode 2: CommitLimit is swap + RAM * ratio / 100 and Committed_AS counts what is charged', () => {
    const { k, P } = boot({ swap: { size: '8M' } });
    const ramKb = k.zones.reduce((n, z) => n + z.managed, 0) * (P / 1024);
    const swapKb = meminfoKb(k, 'SwapTotal');
    expect(meminfoKb(k, 'CommitLimit')).toBe(Math.floor((ramKb / 4) * 0.5) * 4 + swapKb);
    k.sysctl('vm.overcommit_ratio', 80);
    expect(meminfoKb(k, 'CommitLimit')).toBe(Math.floor(((ramKb / 4) * 80) / 100) * 4 + swapKb);
    k.sysctl('vm.overcommit_kbytes', 10240);
    expect(meminfoKb(k, 'CommitLimit')).toBe(10240 + swapKb);
    const p = k.spawn();
    const committed = meminfoKb(k, 'Committed_AS');
    expect(p.sys.mmap(0, 4 * MiB, RW, ANON, -1, 0)).toBeGreaterThan(0);
    expect(meminfoKb(k, 'Committed_AS')).toBe(committed + 4096);
    // Shared anonymous memory is charged whole, read-only too.
    expect(p.sys.mmap(0, MiB, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0)).toBeGreaterThan(0);
    expect(meminfoKb(k, 'Committed_AS')).toBe(committed + 5120);
  });

  it('a negative overcommit_ratio wraps CommitLimit as unsigned long arithmetic does (this machine showed 737869762947147876 kB for -5), and mode 2 then allows large charges', () => {
    const { k, P } = boot({ swap: { size: '8M' } });
    const kib = BigInt(P / 1024);
    const ramPages = BigInt(k.zones.reduce((n, z) => n + z.managed, 0));
    const swapPages = BigInt(meminfoKb(k, 'SwapTotal')) / kib;
    k.sysctl('vm.overcommit_ratio', -5);
    // vm_commit_limit: (unsigned long)totalram * (int)ratio / 100 + swap; show_val_kb shifts it.
    const pages = BigInt.asUintN(64, ramPages * -5n) / 100n + swapPages;
    const line = /^CommitLimit:\s+(\d+) kB$/m.exec(k.proc('/proc/meminfo'));
    expect(line?.[1]).toBe(BigInt.asUintN(64, pages * kib).toString());
    // __vm_enough_memory reads the wrapped limit as a (positive) long: far more than RAM fits.
    k.sysctl('vm.overcommit_memory', 2);
    const p = k.spawn();
    expect(p.sys.mmap(0, 1024 * MiB, RW, ANON, -1, 0)).toBeGreaterThan(0);
    k.checkInvariants();
  });

  it('mode 2 refuses what would pass CommitLimit less the reserves, where mode 0 allows it', () => {
    const { k, P } = boot({ swap: { size: '8M' } });
    const p = k.spawn();
    k.sysctl('vm.overcommit_memory', 2);
    const limitKb = meminfoKb(k, 'CommitLimit');
    const committedKb = meminfoKb(k, 'Committed_AS');
    const adminKb = k.sysctl('vm.admin_reserve_kbytes');
    const userKb = Math.min(k.sysctl('vm.user_reserve_kbytes'), Math.floor(p.mm.totalVm / 32) * 4);
    // committed + pages < allowed: the largest charge that passes is allowed - committed - 1 pages.
    const allowedPages = Math.floor(limitKb / 4) - Math.floor(adminKb / 4) - userKb / 4;
    const room = allowedPages - committedKb / 4 - 1;
    expect(p.sys.mmap(0, (room + 1) * P, RW, ANON, -1, 0)).toBe(-Errno.ENOMEM);
    const before = machineState(k);
    // MAP_NORESERVE does not escape strict accounting.
    expect(p.sys.mmap(0, (room + 1) * P, RW, ANON | MAP_NORESERVE, -1, 0)).toBe(-Errno.ENOMEM);
    expect(p.sys.mmap(0, (room + 1) * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0)).toBe(
      -Errno.ENOMEM,
    );
    expect(machineState(k)).toEqual(before);
    const va = p.sys.mmap(0, room * P, RW, ANON, -1, 0);
    expect(va).toBeGreaterThan(0);
    expect(meminfoKb(k, 'Committed_AS')).toBe(committedKb + room * 4);
    // Read-only private memory is not charged.
    expect(p.sys.mmap(0, 64 * MiB, PROT_READ, ANON, -1, 0)).toBeGreaterThan(0);
    expect(meminfoKb(k, 'Committed_AS')).toBe(committedKb + room * 4);
    // Now nothing more: a page of brk, a writable mprotect, a fork.
    expect(p.sys.mmap(0, P, RW, ANON, -1, 0)).toBe(-Errno.ENOMEM);
    const brk = p.sys.brk(0);
    expect(p.sys.brk(brk + P)).toBe(brk);
    const ro = p.sys.mmap(0, P, PROT_READ, ANON, -1, 0);
    expect(p.sys.mprotect(ro, P, RW)).toBe(-Errno.ENOMEM);
    expect(errnoOf(() => p.fork())).toBe('ENOMEM');
    // In mode 0 the same requests pass.
    k.sysctl('vm.overcommit_memory', 0);
    expect(p.sys.mmap(0, P, RW, ANON, -1, 0)).toBeGreaterThan(0);
    expect(p.fork().pid).toBeGreaterThan(p.pid);
    k.checkInvariants();
  });
});

describe('the other tunables take effect', () => {
  it('vm.max_map_count: mmap is refused once the map count is above it', () => {
    const { k, P } = boot();
    const p = k.spawn();
    const count = p.mm.vmas.count;
    k.sysctl('vm.max_map_count', count - 1);
    expect(p.sys.mmap(0, P, PROT_READ, ANON, -1, 0)).toBe(-Errno.ENOMEM);
    k.sysctl('vm.max_map_count', count + 1);
    expect(p.sys.mmap(0, P, PROT_READ, ANON, -1, 0)).toBeGreaterThan(0);
    const va = p.sys.mmap(0, P, RW, ANON, -1, 0);
    expect(va).toBeGreaterThan(0);
    expect(p.mm.vmas.count).toBe(count + 2);
    expect(p.sys.mmap(0, P, PROT_READ | 4, ANON, -1, 0)).toBe(-Errno.ENOMEM);
  });

  it('vm.mmap_min_addr: MAP_FIXED below it is EPERM, a hint below it is raised to it', () => {
    const { k, P } = boot();
    const p = k.spawn();
    k.sysctl('vm.mmap_min_addr', 0x200000);
    expect(p.sys.mmap(0x100000, P, RW, ANON | MAP_FIXED, -1, 0)).toBe(-Errno.EPERM);
    expect(p.sys.mmap(0x100000, P, RW, ANON, -1, 0)).toBe(0x200000);
    k.sysctl('vm.mmap_min_addr', P);
    expect(p.sys.mmap(0x100000, P, RW, ANON | MAP_FIXED, -1, 0)).toBe(0x100000);
  });

  it('vm.min_free_kbytes and vm.watermark_scale_factor recompute every zone watermark as Linux does', () => {
    for (const options of [{}, { arch: 'i386' as const, memory: '1G' }, { memory: '256M' }]) {
      const { k } = boot(options);
      const boot0 = k.proc('/proc/zoneinfo');
      const minFree = k.sysctl('vm.min_free_kbytes');
      expect(zoneWatermarks(k)).toEqual(expectedWatermarks(k, minFree, 10));
      for (const [mf, scale] of [
        [4096, 10],
        [4096, 3000],
        [0, 1],
        [100000, 200],
      ] as const) {
        k.sysctl('vm.min_free_kbytes', mf);
        k.sysctl('vm.watermark_scale_factor', scale);
        expect(zoneWatermarks(k)).toEqual(expectedWatermarks(k, mf, scale));
      }
      k.sysctl('vm.min_free_kbytes', minFree);
      k.sysctl('vm.watermark_scale_factor', 10);
      expect(k.proc('/proc/zoneinfo')).toBe(boot0);
      k.checkInvariants();
    }
  });

  it('a higher min_free_kbytes makes the same allocation wake kswapd sooner', () => {
    const { k, P } = boot({ swap: { size: '16M' } });
    k.sysctl('vm.min_free_kbytes', 8192);
    const p = k.spawn();
    const va = p.sys.mmap(0, 24 * MiB, RW, ANON, -1, 0);
    for (let i = 0; i < (24 * MiB) / P; i++) p.store8(va + i * P, 1);
    const highMark = k.zones.reduce((n, z) => n + z.high, 0);
    // kswapd ran and kept free memory near the (raised) high watermarks.
    expect(vmstat(k, 'pageoutrun')).toBeGreaterThan(0);
    expect(k.buddy.nrFreePages()).toBeGreaterThan(highMark / 2);
  });

  it('vm.swappiness: 0 scans no anonymous page while there is page cache, 200 scans no file page', () => {
    const results: Record<number, [number, number]> = {};
    for (const swappiness of [0, 200]) {
      const { k, P } = boot({ swap: { size: '32M' } });
      k.sysctl('vm.swappiness', swappiness);
      const p = k.spawn();
      k.vfs.writeFile('/f', new Uint8Array(2048 * P));
      const fd = p.sys.open('/f', O_RDONLY);
      const f = p.sys.mmap(0, 2048 * P, PROT_READ, MAP_PRIVATE, fd, 0);
      for (let i = 0; i < 2048; i++) p.load8(f + i * P);
      const a = p.sys.mmap(0, 6000 * P, RW, ANON, -1, 0);
      for (let i = 0; i < 6000; i++) p.store8(a + i * P, 1);
      results[swappiness] = [vmstat(k, 'pgscan_anon'), vmstat(k, 'pgscan_file')];
      k.checkInvariants();
    }
    expect(results[0]?.[0]).toBe(0);
    expect(results[0]?.[1]).toBeGreaterThan(0);
    expect(results[200]?.[0]).toBeGreaterThan(0);
    expect(results[200]?.[1]).toBe(0);
  });

  it('vm.oom_dump_tasks 0 leaves the task list out of the OOM report', () => {
    for (const dump of [1, 0]) {
      const { k, P } = boot();
      k.sysctl('vm.oom_dump_tasks', dump);
      const p = k.spawn({ name: 'hog' });
      const va = p.sys.mmap(0, 30 * MiB, RW, ANON, -1, 0);
      expect(() => {
        for (let i = 0; i < (30 * MiB) / P; i++) p.store8(va + i * P, 1);
      }).toThrow();
      expect(k.dmesg()).toContain('Out of memory: Killed process');
      expect(k.dmesg().includes('Tasks state (memory values in pages):')).toBe(dump === 1);
    }
  });

  it('vm.oom_kill_allocating_task kills the task that asked, not the largest', () => {
    const { k, P } = boot();
    const big = k.spawn({ name: 'big' });
    const bva = big.sys.mmap(0, 16 * MiB, RW, ANON, -1, 0);
    for (let i = 0; i < (16 * MiB) / P; i++) big.store8(bva + i * P, 1);
    k.sysctl('vm.oom_kill_allocating_task', 1);
    const small = k.spawn({ name: 'small' });
    const sva = small.sys.mmap(0, 16 * MiB, RW, ANON, -1, 0);
    expect(() => {
      for (let i = 0; i < (16 * MiB) / P; i++) small.store8(sva + i * P, 1);
    }).toThrow();
    expect(small.state).toBe('killed');
    expect(big.state).toBe('running');
    expect(k.dmesg()).toMatch(
      /Out of memory \(oom_kill_allocating_task\): Killed process \d+ \(small\)/,
    );
    k.checkInvariants();
  });
});

describe('tunables against a model', () => {
  it('every write of any value to any tunable is taken or refused as the ranges say, and reads agree', () => {
    const spec: Record<string, [number, number]> = {
      'vm/overcommit_memory': [0, 2],
      'vm/overcommit_ratio': [-(2 ** 31), 2 ** 31 - 1],
      'vm/overcommit_kbytes': [0, Number.MAX_SAFE_INTEGER],
      'vm/swappiness': [0, 200],
      'vm/min_free_kbytes': [0, 2 ** 31 - 1],
      'vm/watermark_scale_factor': [1, 3000],
      'vm/max_map_count': [0, 2 ** 31 - 1],
      'vm/page-cluster': [0, 31],
      'vm/mmap_min_addr': [0, Number.MAX_SAFE_INTEGER],
      'vm/admin_reserve_kbytes': [0, Number.MAX_SAFE_INTEGER],
      'vm/user_reserve_kbytes': [0, Number.MAX_SAFE_INTEGER],
      'vm/oom_dump_tasks': [-(2 ** 31), 2 ** 31 - 1],
      'vm/oom_kill_allocating_task': [-(2 ** 31), 2 ** 31 - 1],
    };
    const names = Object.keys(spec);
    expect(VM_SYSCTLS.map((e) => e.procname).sort()).toEqual([...names].sort());
    const value = fc.oneof(
      fc.integer({ min: -5, max: 3005 }),
      fc.integer({ min: -(2 ** 32), max: 2 ** 32 }),
      fc.constantFrom(0, 1, 2, 200, 201, 3000, 3001, 31, 32, 2 ** 31 - 1, 2 ** 31),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...names), value, fc.boolean()), { maxLength: 30 }),
        (writes) => {
          const { k } = boot();
          const model = new Map(names.map((n) => [n, k.sysctl(n)]));
          for (const [name, v, asText] of writes) {
            const [lo, hi] = spec[name] as [number, number];
            const ok = v >= lo && v <= hi;
            const write = () =>
              asText ? k.writeProc(`/proc/sys/${name}`, `${v}\n`) : k.sysctl(name, v);
            if (ok) {
              write();
              model.set(name, v);
              if (name === 'vm/overcommit_ratio') model.set('vm/overcommit_kbytes', 0);
              if (name === 'vm/overcommit_kbytes') model.set('vm/overcommit_ratio', 0);
            } else {
              expect(errnoOf(write)).toBe('EINVAL');
            }
            for (const n of names) expect(k.sysctl(n)).toBe(model.get(n));
            expect(zoneWatermarks(k)).toEqual(
              expectedWatermarks(
                k,
                model.get('vm/min_free_kbytes') as number,
                model.get('vm/watermark_scale_factor') as number,
              ),
            );
          }
          k.checkInvariants();
        },
      ),
      { numRuns: 30 },
    );
  });
});
