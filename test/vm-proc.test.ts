/**
 * /proc/<pid>/maps, /proc/<pid>/smaps and /proc/<pid>/status (src/vm/proc)
 * and the VM layer's invariant checker (src/vm/invariants.ts).
 *
 * The expected lines are written out by hand from the kernel's format code
 * (fs/proc/task_mmu.c `show_vma_header_prefix`, `show_map_vma`,
 * `__show_smap`, `show_smap`; fs/proc/array.c `proc_pid_status`; Linux
 * mainline in the v6.16 cycle): `%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu `
 * then, for a named VMA, spaces up to column 25 + 6 * sizeof(void *) - 1
 * and one more before the name. Numbers are checked against what the
 * processes did (pages touched, forked, copied on write).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GFP_KERNEL } from '../src/gfp/flags.js';
import { ARCH_NAMES, Kernel, KernelBug } from '../src/index.js';
import { PG } from '../src/page/page-flags.js';
import { checkVmInvariants } from '../src/vm/invariants.js';
import { renderMaps } from '../src/vm/proc/maps.js';
import { gatherSmapsStats, renderSmaps } from '../src/vm/proc/smaps.js';
import { renderStatus } from '../src/vm/proc/status.js';
import type { Process } from '../src/vm/process.js';
import { PTE_ACCESSED, PTE_USER, PTE_WRITE } from '../src/vm/pte.js';
import {
  SharedAnon,
  VM_MAYEXEC,
  VM_MAYREAD,
  VM_MAYSHARE,
  VM_MAYWRITE,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  Vma,
} from '../src/vm/vma.js';

const RW_PRIVATE = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
const RW_SHARED = RW_PRIVATE | VM_SHARED | VM_MAYSHARE;

/** Maps private anonymous memory by hand (mmap is not wired yet). */
function mapAnon(p: Process, start: number, pages: number, flags = RW_PRIVATE): Vma {
  const vma = new Vma(
    start,
    start + pages * p.vm.arch.pageSize,
    flags,
    start / p.vm.arch.pageSize,
    {
      file: null,
      shared: null,
    },
  );
  p.mm.vmas.insert(vma);
  p.mm.totalVm += pages;
  p.mm.updateHiwater();
  return vma;
}

/** Maps shared anonymous memory by hand, as `shmem_zero_setup` would: pgoff 0, one user. */
function mapShared(p: Process, start: number, pages: number, id: number): Vma {
  const shared = new SharedAnon(id, pages);
  shared.users = 1;
  const vma = new Vma(start, start + pages * p.vm.arch.pageSize, RW_SHARED, 0, {
    file: null,
    shared,
  });
  p.mm.vmas.insert(vma);
  p.mm.totalVm += pages;
  p.mm.updateHiwater();
  return vma;
}

/** The smaps block of the VMA starting at `start`, as field -> kB (and the header lines). */
function smapsOf(p: Process, start: number): { lines: string[]; kB: Map<string, number> } {
  const blocks = renderSmaps(p).split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
  const prefix = `${start.toString(16).padStart(8, '0')}-`;
  const block = blocks.find((b) => b.startsWith(prefix));
  if (block === undefined) throw new Error(`no smaps block at ${prefix}`);
  const lines = block.replace(/\n$/, '').split('\n');
  const kB = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const match = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (match !== null) kB.set(match[1] as string, Number(match[2]));
  }
  return { lines, kB };
}

function statusField(p: Process, field: string): string {
  const line = renderStatus(p)
    .split('\n')
    .find((l) => l.startsWith(`${field}:\t`));
  if (line === undefined) throw new Error(`no ${field} line`);
  return line.slice(field.length + 2);
}

function bugMessage(call: () => void): string {
  try {
    call();
  } catch (e) {
    if (e instanceof KernelBug) return e.message;
    throw e;
  }
  throw new Error('expected a KernelBug');
}

// --- maps --------------------------------------------------------------------

describe('/proc/<pid>/maps', () => {
  it('prints a fresh x86_64 process as Linux does: the program on text and data, [stack] padded to column 73', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn({ name: 'demo' });
    const lines = renderMaps(p).split('\n');
    expect(lines).toEqual([
      // The program image is named by the program's path (vm/layout.ts programPath), as
      // Linux names an ELF's segments by the executable's path; no file backs it, so the
      // offset, device and inode stay zero.
      `00400000-00401000 r-xp 00000000 00:00 0 ${' '.repeat(32)} /usr/bin/demo`,
      `00401000-00402000 rw-p 00000000 00:00 0 ${' '.repeat(32)} /usr/bin/demo`,
      // 48 characters of header (inode and its space included), 24 spaces of
      // seq_pad up to column 72, one more space, then the name.
      `7ffffffdf000-7ffffffff000 rw-p 00000000 00:00 0 ${' '.repeat(24)} [stack]`,
      '',
    ]);
    expect(lines[0]?.indexOf('/usr/bin/demo')).toBe(73);
    expect(lines[2]?.indexOf('[stack]')).toBe(73);
  });

  it('names the program image by an absolute name as given, and escapes a newline in it', () => {
    const k = Kernel.boot({ memory: '32M' });
    expect(renderMaps(k.spawn({ name: '/sbin/init' })).split('\n')[0]).toBe(
      `00400000-00401000 r-xp 00000000 00:00 0 ${' '.repeat(32)} /sbin/init`,
    );
    expect(renderMaps(k.spawn({ name: 'a\nb' })).split('\n')[1]).toBe(
      `00401000-00402000 rw-p 00000000 00:00 0 ${' '.repeat(32)} /usr/bin/a\\012b`,
    );
  });

  it('names the brk heap only while it is not empty (strict vma_is_initial_heap)', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    const heap = mapAnon(p, p.mm.startBrk, 3);
    p.mm.brk = p.mm.startBrk + 3 * 4096 - 100;
    expect(renderMaps(p).split('\n')[2]).toBe(
      `00402000-00405000 rw-p 00000000 00:00 0 ${' '.repeat(32)} [heap]`,
    );
    p.mm.brk = p.mm.startBrk;
    expect(renderMaps(p).split('\n')[2]).toBe('00402000-00405000 rw-p 00000000 00:00 0 ');
    expect(heap.start).toBe(0x402000);
  });

  it('prints shared anonymous memory as /dev/zero (deleted) on 00:01 with its inode', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    mapShared(p, 0x10000000, 2, 4711);
    mapAnon(p, 0x20000000, 1, VM_READ | VM_MAYREAD);
    const lines = renderMaps(p).split('\n');
    expect(lines[2]).toBe(
      `10000000-10002000 rw-s 00000000 00:01 4711 ${' '.repeat(29)} /dev/zero (deleted)`,
    );
    expect(lines[3]).toBe('20000000-20001000 r--p 00000000 00:00 0 ');
  });

  it('pads to column 49 on i386 (4-byte pointers)', () => {
    const k = Kernel.boot({ arch: 'i386', memory: '32M' });
    const lines = renderMaps(k.spawn()).split('\n');
    expect(lines).toEqual([
      `08048000-08049000 r-xp 00000000 00:00 0 ${' '.repeat(8)} /usr/bin/init`,
      `08049000-0804a000 rw-p 00000000 00:00 0 ${' '.repeat(8)} /usr/bin/init`,
      `bffe0000-c0000000 rw-p 00000000 00:00 0 ${' '.repeat(8)} [stack]`,
      '',
    ]);
    expect(lines[2]?.indexOf('[stack]')).toBe(49);
  });

  it('prints arm64 64K-page layouts with the page size in every range', () => {
    const k = Kernel.boot({ arch: 'arm64-64k', memory: '64M' });
    expect(renderMaps(k.spawn()).split('\n')).toEqual([
      `00400000-00410000 r-xp 00000000 00:00 0 ${' '.repeat(32)} /usr/bin/init`,
      `00410000-00420000 rw-p 00000000 00:00 0 ${' '.repeat(32)} /usr/bin/init`,
      `7ffffffe0000-800000000000 rw-p 00000000 00:00 0 ${' '.repeat(24)} [stack]`,
      '',
    ]);
  });
});

// --- smaps -------------------------------------------------------------------

describe('/proc/<pid>/smaps', () => {
  it('prints every field in show_smap order and width', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    const text = renderSmaps(p).split('\n').slice(0, 26);
    expect(text).toEqual([
      `00400000-00401000 r-xp 00000000 00:00 0 ${' '.repeat(32)} /usr/bin/init`,
      'Size:                  4 kB',
      'KernelPageSize:        4 kB',
      'MMUPageSize:           4 kB',
      'Rss:                   0 kB',
      'Pss:                   0 kB',
      'Pss_Dirty:             0 kB',
      'Shared_Clean:          0 kB',
      'Shared_Dirty:          0 kB',
      'Private_Clean:         0 kB',
      'Private_Dirty:         0 kB',
      'Referenced:            0 kB',
      'Anonymous:             0 kB',
      'KSM:                   0 kB',
      'LazyFree:              0 kB',
      'AnonHugePages:         0 kB',
      'ShmemPmdMapped:        0 kB',
      'FilePmdMapped:         0 kB',
      'Shared_Hugetlb:        0 kB',
      'Private_Hugetlb:       0 kB',
      'Swap:                  0 kB',
      'SwapPss:               0 kB',
      'Locked:                0 kB',
      'THPeligible:           0',
      'VmFlags: rd ex mr mw me ',
      `00401000-00402000 rw-p 00000000 00:00 0 ${' '.repeat(32)} /usr/bin/init`,
    ]);
    const stack = smapsOf(p, p.mm.vmas.all()[2]?.start ?? 0);
    expect(stack.lines[1]).toBe('Size:                128 kB');
    expect(stack.lines.at(-1)).toBe('VmFlags: rd wr mr mw me gd ac ');
  });

  it('counts touched pages, not the zero page, and splits them on fork and copy on write', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    const top = p.mm.startStack - 4;
    const stackStart = p.mm.vmas.all()[2]?.start ?? 0;
    p.store32(top, 1);
    p.store32(top - 4096, 2);
    expect(p.load32(top - 2 * 4096)).toBe(0); // the zero page: counted nowhere
    let s = smapsOf(p, stackStart).kB;
    expect(s.get('Rss')).toBe(8);
    expect(s.get('Pss')).toBe(8);
    expect(s.get('Private_Dirty')).toBe(8);
    expect(s.get('Anonymous')).toBe(8);
    expect(s.get('Referenced')).toBe(8);
    expect(s.get('Shared_Clean')).toBe(0);

    const c = p.fork();
    for (const q of [p, c]) {
      s = smapsOf(q, stackStart).kB;
      expect(s.get('Rss')).toBe(8);
      expect(s.get('Pss')).toBe(4); // two pages, each mapped twice
      expect((s.get('Shared_Clean') ?? 0) + (s.get('Shared_Dirty') ?? 0)).toBe(8);
      expect((s.get('Private_Clean') ?? 0) + (s.get('Private_Dirty') ?? 0)).toBe(0);
      expect(s.get('Anonymous')).toBe(8);
    }

    p.store32(top, 3); // parent copies the top page
    s = smapsOf(p, stackStart).kB;
    expect(s.get('Rss')).toBe(8);
    expect(s.get('Pss')).toBe(6);
    expect(s.get('Private_Dirty')).toBe(4);
    expect((s.get('Shared_Clean') ?? 0) + (s.get('Shared_Dirty') ?? 0)).toBe(4);
    s = smapsOf(c, stackStart).kB;
    expect(s.get('Rss')).toBe(8);
    expect(s.get('Pss')).toBe(6); // the old top page is the child's alone now
    expect((s.get('Private_Clean') ?? 0) + (s.get('Private_Dirty') ?? 0)).toBe(4);
    expect(c.load32(top)).toBe(1);
    checkVmInvariants(k.vm);
  });

  it('counts shared anonymous memory as shared, not anonymous, with VmFlags sh and ms', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    mapShared(p, 0x10000000, 2, 7);
    p.store32(0x10000000, 1);
    const c = p.fork();
    expect(c.load32(0x10000000)).toBe(1); // page 0: mapped by both
    p.store32(0x10001000, 2); // page 1: created after the fork, the parent's alone
    const s = smapsOf(p, 0x10000000);
    expect(s.kB.get('Rss')).toBe(8);
    expect(s.kB.get('Pss')).toBe(6);
    expect((s.kB.get('Shared_Clean') ?? 0) + (s.kB.get('Shared_Dirty') ?? 0)).toBe(4);
    expect((s.kB.get('Private_Clean') ?? 0) + (s.kB.get('Private_Dirty') ?? 0)).toBe(4);
    expect(s.kB.get('Anonymous')).toBe(0);
    expect(s.lines.at(-1)).toBe('VmFlags: rd wr sh mr mw me ms ');
    expect(smapsOf(c, 0x10000000).kB.get('Pss')).toBe(2);
    expect(statusField(p, 'RssShmem')).toBe('       8 kB');
    expect(statusField(p, 'RssAnon')).toBe('       0 kB');
    checkVmInvariants(k.vm);
  });

  it('reports LazyFree for a clean anon page that is not swap-backed (MADV_FREE)', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    const va = p.mm.startStack - 4;
    p.store32(va, 1);
    const pte = p.mm.lookupPte(va);
    if (pte === null) throw new Error('no PTE');
    p.mm.setPte(pte.slot, va, pte.pfn, PTE_USER | PTE_ACCESSED); // clean, read-only
    k.memMap.clearFlag(pte.pfn, PG.swapbacked);
    const s = smapsOf(p, p.mm.vmas.all()[2]?.start ?? 0).kB;
    expect(s.get('LazyFree')).toBe(4);
    expect(s.get('Private_Clean')).toBe(4);
  });
});

// --- status ------------------------------------------------------------------

describe('/proc/<pid>/status', () => {
  it('prints the lines of proc_pid_status in order, with task_mem numbers', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn({ name: 'demo' });
    p.store32(p.mm.startStack - 4, 1);
    p.store32(p.mm.startStack - 4 - 4096, 1);
    const text = renderStatus(p);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.replace(/\n$/, '').split('\n');
    expect(lines.map((l) => l.slice(0, l.indexOf(':')))).toEqual([
      'Name',
      'Umask',
      'State',
      'Tgid',
      'Ngid',
      'Pid',
      'PPid',
      'TracerPid',
      'Uid',
      'Gid',
      'FDSize',
      'Groups',
      'NStgid',
      'NSpid',
      'NSpgid',
      'NSsid',
      'Kthread',
      'VmPeak',
      'VmSize',
      'VmLck',
      'VmPin',
      'VmHWM',
      'VmRSS',
      'RssAnon',
      'RssFile',
      'RssShmem',
      'VmData',
      'VmStk',
      'VmExe',
      'VmLib',
      'VmPTE',
      'VmSwap',
      'HugetlbPages',
      'CoreDumping',
      'THP_enabled',
      'untag_mask',
      'Threads',
      'SigQ',
      'SigPnd',
      'ShdPnd',
      'SigBlk',
      'SigIgn',
      'SigCgt',
      'CapInh',
      'CapPrm',
      'CapEff',
      'CapBnd',
      'CapAmb',
      'NoNewPrivs',
      'Seccomp',
      'Seccomp_filters',
      'Speculation_Store_Bypass',
      'SpeculationIndirectBranch',
      'Cpus_allowed',
      'Cpus_allowed_list',
      'Mems_allowed',
      'Mems_allowed_list',
      'voluntary_ctxt_switches',
      'nonvoluntary_ctxt_switches',
    ]);
    expect(lines.slice(0, 17)).toEqual([
      'Name:\tdemo',
      'Umask:\t0022',
      'State:\tR (running)',
      `Tgid:\t${p.pid}`,
      'Ngid:\t0',
      `Pid:\t${p.pid}`,
      'PPid:\t0',
      'TracerPid:\t0',
      'Uid:\t0\t0\t0\t0',
      'Gid:\t0\t0\t0\t0',
      'FDSize:\t64',
      'Groups:\t ',
      `NStgid:\t${p.pid}`,
      `NSpid:\t${p.pid}`,
      `NSpgid:\t${p.pid}`,
      `NSsid:\t${p.pid}`,
      'Kthread:\t0',
    ]);
    // text 1 page, data 1 page, stack 32 pages; two stack pages touched;
    // tables: PUD, PMD and PTE for the stack (the PGD is not counted).
    expect(lines.slice(17, 33)).toEqual([
      'VmPeak:\t     136 kB',
      'VmSize:\t     136 kB',
      'VmLck:\t       0 kB',
      'VmPin:\t       0 kB',
      'VmHWM:\t       8 kB',
      'VmRSS:\t       8 kB',
      'RssAnon:\t       8 kB',
      'RssFile:\t       0 kB',
      'RssShmem:\t       0 kB',
      'VmData:\t       4 kB',
      'VmStk:\t     128 kB',
      'VmExe:\t       4 kB',
      'VmLib:\t       0 kB',
      'VmPTE:\t      12 kB',
      'VmSwap:\t       0 kB',
      'HugetlbPages:\t       0 kB',
    ]);
    expect(lines.slice(33, 36)).toEqual([
      'CoreDumping:\t0',
      'THP_enabled:\t1',
      'untag_mask:\t0xffffffffffffffff',
    ]);
    expect(lines[37]).toMatch(/^SigQ:\t0\/\d+$/);
    expect(lines[38]).toBe('SigPnd:\t0000000000000000');
    expect(lines[44]).toBe('CapPrm:\t000001ffffffffff');
    expect(lines[53]).toBe('Cpus_allowed:\t1');
    expect(lines[55]).toMatch(/^Mems_allowed:\t(00000000,){31}00000001$/);
  });

  it('tracks RSS through fork, copy on write and exit, and names the parent', () => {
    const k = Kernel.boot({ memory: '32M', cpus: 4 });
    const p = k.spawn({ name: 'a-very-long-process-name' });
    expect(statusField(p, 'Name')).toBe('a-very-long-pro');
    expect(statusField(p, 'Cpus_allowed')).toBe('f');
    expect(statusField(p, 'Cpus_allowed_list')).toBe('0-3');
    const base = p.mm.startStack - 4;
    for (let i = 0; i < 4; i++) p.store32(base - i * 4096, i);
    const c = p.fork();
    expect(statusField(c, 'PPid')).toBe(String(p.pid));
    expect(statusField(c, 'NSsid')).toBe(String(p.pid));
    expect(statusField(c, 'VmRSS')).toBe('      16 kB');
    c.store32(base, 9);
    expect(statusField(c, 'RssAnon')).toBe('      16 kB');
    expect(statusField(p, 'RssAnon')).toBe('      16 kB');
    p.exit();
    expect(statusField(c, 'NSsid')).toBe(String(c.pid));
    checkVmInvariants(k.vm);
  });

  it('counts VmData, VmStk, VmExe and VmLck by vm_stat_account rules', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    mapAnon(p, 0x10000000, 5); // private writable: data
    mapShared(p, 0x20000000, 3, 1); // shared: neither data nor stack
    mapAnon(p, 0x30000000, 2, VM_READ | VM_MAYREAD | 0x4 /* VM_EXEC */); // a library's text
    mapAnon(p, 0x40000000, 1, RW_PRIVATE | 0x2000 /* VM_LOCKED */);
    expect(statusField(p, 'VmData')).toBe('      28 kB'); // data page + 5 + 1
    expect(statusField(p, 'VmStk')).toBe('     128 kB');
    expect(statusField(p, 'VmExe')).toBe('       4 kB');
    expect(statusField(p, 'VmLib')).toBe('       8 kB');
    expect(statusField(p, 'VmLck')).toBe('       4 kB');
    expect(statusField(p, 'VmSize')).toBe(
      `${String((1 + 1 + 32 + 5 + 3 + 2 + 1) * 4).padStart(8)} kB`,
    );
  });

  it('prints 32-bit values on i386', () => {
    const k = Kernel.boot({ arch: 'i386', memory: '32M' });
    const p = k.spawn();
    expect(statusField(p, 'untag_mask')).toBe('0xffffffff');
    expect(statusField(p, 'FDSize')).toBe('32');
    expect(statusField(p, 'Mems_allowed')).toBe('1');
    expect(renderStatus(p)).not.toContain('x86_Thread_features');
  });
});

// --- regressions: VM core behaviour visible in /proc ------------------------------

describe('VM core accounting as Linux keeps it', () => {
  it('fork keeps the dirty bit of write-protected PTEs (copy_present_pte)', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    p.store32(p.mm.startStack - 4, 1);
    p.fork();
    // Linux: the page stays dirty in both PTEs, so smaps says Shared_Dirty.
    expect(smapsOf(p, p.mm.vmas.all()[2]?.start ?? 0).kB.get('Shared_Dirty')).toBe(4);
  });

  it('copy on write does not raise VmHWM (wp_page_copy leaves MM_ANONPAGES as it was)', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    for (let i = 0; i < 4; i++) p.store32(p.mm.startStack - 4 - i * 4096, i);
    const c = p.fork();
    c.store32(p.mm.startStack - 4, 9);
    // RSS never exceeded 4 pages in the child.
    expect(statusField(c, 'VmHWM')).toBe('      16 kB');
  });

  it('fork leaves the PTEs of shared mappings to be faulted in (vma_needs_copy)', () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    mapShared(p, 0x10000000, 1, 1);
    p.store32(0x10000000, 1);
    const c = p.fork();
    // Linux copies no PTEs of a VMA without an anon_vma: the child has none yet.
    expect(statusField(c, 'RssShmem')).toBe('       0 kB');
  });
});

// --- invariants ----------------------------------------------------------------

/** A small workload: stack and anonymous pages, a shared mapping, fork, COW, exit. */
function workload(k: Kernel): Process[] {
  const page = k.PAGE_SIZE;
  const p = k.spawn({ name: 'work' });
  mapAnon(p, 0x10000000, 4);
  mapShared(p, 0x20000000, 2, 3);
  for (let i = 0; i < 4; i++) p.store32(0x10000000 + i * page, i);
  p.store32(0x20000000, 5);
  p.store32(p.mm.startStack - 4, 6);
  expect(p.load32(0x10000000 + 3 * page + 8)).toBe(0);
  const c = p.fork();
  c.store32(0x10000000, 7);
  c.store32(0x20000000 + page, 8);
  const g = c.fork();
  expect(g.load32(0x20000000 + page)).toBe(8);
  p.store32(p.mm.startStack - 4, 9);
  return [p, c, g];
}

describe.each(ARCH_NAMES)('checkVmInvariants on %s', (arch) => {
  it('passes on healthy address spaces through fork, copy on write and exit', () => {
    const k = Kernel.boot({ arch, memory: '32M' });
    const [p, c, g] = workload(k);
    checkVmInvariants(k.vm);
    k.checkInvariants();
    c?.exit();
    checkVmInvariants(k.vm);
    p?.exit();
    g?.exit();
    checkVmInvariants(k.vm);
    k.checkInvariants();
  });

  it('Pss over every process adds up to the frames mapped, and Rss to the RSS counters', () => {
    const k = Kernel.boot({ arch, memory: '32M' });
    const procs = workload(k);
    const frames = new Set<number>();
    let pssFixed = 0;
    let mappings = 0;
    for (const q of procs) {
      let rss = 0;
      let anon = 0;
      for (const vma of q.mm.vmas.all()) {
        const s = gatherSmapsStats(q, vma);
        pssFixed += s.pss;
        rss += s.resident;
        anon += s.anonymous;
        q.mm.forEachPteSlot(vma.start, vma.end, (va) => {
          const pte = q.mm.lookupPte(va);
          if (pte !== null && pte.pfn !== k.vm.zeroPfn) {
            frames.add(pte.pfn);
            mappings++;
          }
        });
      }
      expect(rss).toBe(q.mm.rss * k.PAGE_SIZE);
      expect(anon).toBe(q.mm.counters.anon * k.PAGE_SIZE);
    }
    const exact = frames.size * k.PAGE_SIZE * 4096;
    expect(Math.abs(pssFixed - exact)).toBeLessThanOrEqual(mappings);
  });
});

describe('checkVmInvariants catches corruption', () => {
  const boot = () => {
    const k = Kernel.boot({ memory: '32M' });
    const p = k.spawn();
    const va = p.mm.startStack - 4;
    p.store32(va, 1);
    return { k, p, va };
  };

  it('a mapcount that disagrees with the page tables', () => {
    const { k, p, va } = boot();
    const pfn = p.mm.lookupPte(va)?.pfn ?? -1;
    k.memMap.mapcount[pfn] = 2;
    expect(bugMessage(() => checkVmInvariants(k.vm))).toBe(
      `checkInvariants: pfn ${pfn} has mapcount 2 but 1 PTEs map it`,
    );
  });

  it('a copy-on-write PTE made writable by hand', () => {
    const { k, p, va } = boot();
    p.fork();
    const pte = p.mm.lookupPte(va);
    if (pte === null) throw new Error('no PTE');
    p.mm.setPte(pte.slot, va, pte.pfn, pte.flags | PTE_WRITE);
    expect(bugMessage(() => checkVmInvariants(k.vm))).toMatch(
      /^checkInvariants: PTE for 0x7fffffffe000 of process 1 is writable in a private VMA, but pfn \d+ is mapped 2 times \(copy on write broken\)$/,
    );
  });

  it('a PTE left pointing at a freed frame', () => {
    const { k, p } = boot();
    const pfn = k.allocPages(GFP_KERNEL, 0);
    if (pfn === null) throw new Error('no memory');
    k.freePages(pfn, 0);
    const va = p.mm.startStack - 64 * 1024;
    const slot = p.mm.pteSlot(va, true);
    p.mm.setPte(slot, va, pfn, PTE_USER | PTE_ACCESSED);
    expect(bugMessage(() => checkVmInvariants(k.vm))).toMatch(
      new RegExp(`maps pfn ${pfn}, which is free`),
    );
  });

  it('a PTE outside every VMA', () => {
    const { k, p, va } = boot();
    const pfn = p.mm.lookupPte(va)?.pfn ?? -1;
    const stray = 0x10000000;
    p.mm.setPte(p.mm.pteSlot(stray, true), stray, pfn, PTE_USER | PTE_ACCESSED);
    expect(bugMessage(() => checkVmInvariants(k.vm))).toMatch(
      /PTE for 0x10000000 of process \d+ \(init\) lies outside every VMA/,
    );
  });

  it('RSS and page-table counters that drifted', () => {
    const { k, p } = boot();
    p.mm.counters.anon++;
    expect(bugMessage(() => checkVmInvariants(k.vm))).toMatch(/counts 2 anon pages .* hold 1/);
    p.mm.counters.anon--;
    p.mm.counters.pgtables++;
    expect(bugMessage(() => checkVmInvariants(k.vm))).toMatch(/counts 5 page tables but 4/);
  });

  it('overlapping VMAs and a wrong total_vm', () => {
    const { k, p } = boot();
    mapAnon(p, 0x10000000, 2);
    mapAnon(p, 0x10001000, 2);
    expect(bugMessage(() => checkVmInvariants(k.vm))).toMatch(/overlaps/);
    const q = k.spawn();
    q.mm.totalVm++;
    p.exit();
    expect(bugMessage(() => checkVmInvariants(k.vm))).toMatch(/total_vm 35 but its VMAs cover 34/);
  });

  it('the zero page mapped writable', () => {
    const { k, p } = boot();
    const va = p.mm.startStack - 8 * 4096;
    expect(p.load32(va)).toBe(0);
    const pte = p.mm.lookupPte(va);
    if (pte === null) throw new Error('no PTE');
    p.mm.setPte(pte.slot, va, pte.pfn, pte.flags | PTE_WRITE);
    expect(bugMessage(() => checkVmInvariants(k.vm))).toMatch(/maps the zero page writable/);
  });

  it('a shared object whose user count disagrees with its VMAs', () => {
    const { k, p } = boot();
    const vma = mapShared(p, 0x20000000, 1, 9);
    p.store32(0x20000000, 1);
    const shared = vma.backing.shared;
    if (shared === null) throw new Error('not shared');
    shared.users = 2;
    expect(bugMessage(() => checkVmInvariants(k.vm))).toBe(
      'checkInvariants: shared anonymous object 9 has 2 users but 1 VMAs map it',
    );
  });

  it('a TLB entry that grants more than its PTE', () => {
    const { k, p, va } = boot();
    p.store32(va, 2); // cached writable and dirty
    const pte = p.mm.lookupPte(va);
    if (pte === null) throw new Error('no PTE');
    // Write-protect behind the TLB's back (no flush).
    const fmt = k.vm.geo.format;
    const flags = pte.flags & ~PTE_WRITE;
    k.vm.geo.write(pte.slot, fmt.lo(pte.pfn, flags, true), fmt.hi(pte.pfn, flags, true));
    expect(bugMessage(() => checkVmInvariants(k.vm))).toMatch(
      /TLB of cpu 0 caches 0x7fffffffe000 for ASID \d+ as writable/,
    );
  });
});

describe('invariants under random workloads', () => {
  it('hold after any sequence of touches, forks and exits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ARCH_NAMES),
        fc.array(
          fc.record({
            op: fc.constantFrom('store', 'load', 'fork', 'exit'),
            who: fc.nat(7),
            page: fc.nat(15),
          }),
          { maxLength: 40 },
        ),
        (arch, ops) => {
          const k = Kernel.boot({ arch, memory: '32M' });
          const first = k.spawn();
          mapAnon(first, 0x10000000, 16);
          const live: Process[] = [first];
          for (const { op, who, page } of ops) {
            const p = live[who % live.length];
            if (p === undefined) break;
            const va = 0x10000000 + page * k.PAGE_SIZE;
            if (op === 'store') p.store32(va, page + 1);
            else if (op === 'load') p.load32(va);
            else if (op === 'fork' && live.length < 6) live.push(p.fork());
            else if (op === 'exit' && live.length > 1) {
              p.exit();
              live.splice(live.indexOf(p), 1);
            }
            checkVmInvariants(k.vm);
          }
          for (const p of live) p.exit();
          checkVmInvariants(k.vm);
          k.checkInvariants();
        },
      ),
      { numRuns: 25 },
    );
  });
});
