/**
 * `/proc/<pid>/smaps`: each VMA's maps line followed by its memory use,
 * gathered by walking the VMA's page tables.
 *
 * Follows `show_smap`, `__show_smap`, `smap_gather_stats`,
 * `smaps_pte_entry`, `smaps_account`, `smaps_page_accumulate` and
 * `show_smap_vma_flags` in fs/proc/task_mmu.c of Linux mainline in the
 * v6.16 cycle (the text is the same through v6.18). Every size line is `seq_put_decimal_ull_width(m, label,
 * bytes >> 10, 8)` followed by ` kB`, the label padded to 16 columns
 * (`Private_Hugetlb: ` is 17 and its number 7 wide, keeping the column):
 *
 * ```
 * 7ffffffdf000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]
 * Size:                128 kB
 * KernelPageSize:        4 kB
 * MMUPageSize:           4 kB
 * Rss:                   8 kB
 * Pss:                   6 kB
 * ...
 * THPeligible:           0
 * VmFlags: rd wr mr mw me gd ac
 * ```
 *
 * Per present PTE (`smaps_pte_entry` with `vm_normal_page`): the zero page
 * counts nowhere. Any other page adds a page to Rss; to Referenced if the
 * PTE is young or the page PG_referenced; to Anonymous if it is an anon
 * page (LazyFree too when it is neither swap-backed nor dirty). A page with
 * one reference is private and counts whole in Pss; otherwise its mapcount
 * decides: 2 or more is shared and adds `(PAGE_SIZE << 12) / mapcount` to
 * the fixed-point Pss, fewer is private. Dirty (PTE dirty or PG_dirty)
 * selects `*_Dirty` and adds to Pss_Dirty; a VM_LOCKED VMA adds to Locked.
 * A swap entry adds a page to Swap and `PAGE_SIZE / swapcount` to SwapPss,
 * the swap count being the number of PTEs holding that entry.
 *
 * mmsim has no KSM, no transparent or hugetlb huge pages and no protection
 * keys: KSM, AnonHugePages, ShmemPmdMapped, FilePmdMapped, Shared_Hugetlb
 * and Private_Hugetlb are 0, THPeligible is 0 (no VMA can be VM_HUGEPAGE,
 * as with THP in `madvise` mode), and the x86 `ProtectionKey` line, printed
 * only on CPUs with pkeys, is left out.
 */

import { PG } from '../../page/page-flags.js';
import { pageIsAnon } from '../page-kind.js';
import type { Process } from '../process.js';
import { isGuardPte, isSwapPte, PTE_ACCESSED, PTE_DIRTY } from '../pte.js';
import type { VmSystem } from '../vm-system.js';
import type { Vma } from '../vma.js';
import { VM_LOCKED } from '../vma.js';
import { renderMapsLine } from './maps.js';

/** `PSS_SHIFT`: Pss is summed in bytes << 12, so that shares of a page keep their fractions. */
const PSS_SHIFT = 12;
const PSS_UNIT = 2 ** PSS_SHIFT;

/** `struct mem_size_stats`, in bytes (Pss fields in bytes << PSS_SHIFT). */
export interface MemSizeStats {
  resident: number;
  sharedClean: number;
  sharedDirty: number;
  privateClean: number;
  privateDirty: number;
  referenced: number;
  anonymous: number;
  lazyfree: number;
  ksm: number;
  anonymousThp: number;
  shmemThp: number;
  fileThp: number;
  swap: number;
  sharedHugetlb: number;
  privateHugetlb: number;
  pss: number;
  pssDirty: number;
  pssLocked: number;
  swapPss: number;
}

function emptyStats(): MemSizeStats {
  return {
    resident: 0,
    sharedClean: 0,
    sharedDirty: 0,
    privateClean: 0,
    privateDirty: 0,
    referenced: 0,
    anonymous: 0,
    lazyfree: 0,
    ksm: 0,
    anonymousThp: 0,
    shmemThp: 0,
    fileThp: 0,
    swap: 0,
    sharedHugetlb: 0,
    privateHugetlb: 0,
    pss: 0,
    pssDirty: 0,
    pssLocked: 0,
    swapPss: 0,
  };
}

/**
 * Counts, over every live process, the PTEs holding each swap entry (what
 * `swp_swapcount` reports for an entry no swap cache page holds). Keyed by
 * the entry's two words.
 */
function swapCounts(vm: VmSystem): Map<string, number> {
  const counts = new Map<string, number>();
  const geo = vm.geo;
  for (const p of vm.processes.values()) {
    for (const vma of p.mm.vmas.all()) {
      p.mm.forEachPteSlot(vma.start, vma.end, (_va, slot) => {
        const lo = geo.readLo(slot);
        const hi = geo.readHi(slot);
        if (!isSwapPte(vm.arch, lo, hi)) return; // none, present, or a guard marker
        const key = `${lo}:${hi}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      });
    }
  }
  return counts;
}

/** `smaps_page_accumulate`. */
function accumulate(
  mss: MemSizeStats,
  size: number,
  pss: number,
  dirty: boolean,
  locked: boolean,
  priv: boolean,
): void {
  mss.pss += pss;
  if (locked) mss.pssLocked += pss;
  if (dirty) {
    mss.pssDirty += pss;
    if (priv) mss.privateDirty += size;
    else mss.sharedDirty += size;
  } else if (priv) mss.privateClean += size;
  else mss.sharedClean += size;
}

/**
 * `smap_gather_stats` for one VMA: walks its PTEs and sums what they map.
 * `swaps` is computed on first need (only a VMA holding swap entries needs it).
 */
export function gatherSmapsStats(
  process: Process,
  vma: Vma,
  swaps: { counts: Map<string, number> | null } = { counts: null },
): MemSizeStats {
  const vm = process.vm;
  const geo = vm.geo;
  const m = vm.buddy.memMap;
  const pageSize = vm.arch.pageSize;
  const locked = (vma.flags & VM_LOCKED) !== 0;
  const mss = emptyStats();
  process.mm.forEachPteSlot(vma.start, vma.end, (_va, slot) => {
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if ((lo | hi) === 0) return; // pte_none
    if (!geo.format.present(lo, hi)) {
      if (isGuardPte(vm.arch, lo, hi)) return; // a guard marker: nothing resident or swapped
      // A swap entry.
      swaps.counts ??= swapCounts(vm);
      const count = swaps.counts.get(`${lo}:${hi}`) ?? 1;
      mss.swap += pageSize;
      mss.swapPss += count >= 2 ? Math.floor((pageSize * PSS_UNIT) / count) : pageSize * PSS_UNIT;
      return;
    }
    const pfn = geo.format.pfn(lo, hi);
    if (pfn === vm.zeroPfn || pfn >= m.frames) return; // vm_normal_page: no struct page to count
    const flags = geo.format.flags(lo, hi);
    const young = (flags & PTE_ACCESSED) !== 0;
    const dirty = (flags & PTE_DIRTY) !== 0 || m.testFlag(pfn, PG.dirty);
    // smaps_account, for one small page.
    if (pageIsAnon(vm, vma, pfn)) {
      mss.anonymous += pageSize;
      if (!m.testFlag(pfn, PG.swapbacked) && !dirty) mss.lazyfree += pageSize;
    }
    mss.resident += pageSize;
    if (young || m.testFlag(pfn, PG.referenced)) mss.referenced += pageSize;
    if ((m.refcount[pfn] as number) === 1) {
      accumulate(mss, pageSize, pageSize * PSS_UNIT, dirty, locked, true);
      return;
    }
    const mapcount = m.mapcount[pfn] as number;
    const pss = mapcount >= 2 ? Math.floor((pageSize * PSS_UNIT) / mapcount) : pageSize * PSS_UNIT;
    accumulate(mss, pageSize, pss, dirty, locked, mapcount < 2);
  });
  return mss;
}

/** One size line: the label padded to 16 columns, the kB value to 8 (`SEQ_PUT_DEC`). */
function kB(label: string, bytes: number): string {
  return `${`${label}:`.padEnd(16)}${String(Math.floor(bytes / 1024)).padStart(8)} kB\n`;
}

/** `__show_smap` (not in rollup mode). */
export function renderSmapsStats(mss: MemSizeStats): string {
  return (
    kB('Rss', mss.resident) +
    kB('Pss', Math.floor(mss.pss / PSS_UNIT)) +
    kB('Pss_Dirty', Math.floor(mss.pssDirty / PSS_UNIT)) +
    kB('Shared_Clean', mss.sharedClean) +
    kB('Shared_Dirty', mss.sharedDirty) +
    kB('Private_Clean', mss.privateClean) +
    kB('Private_Dirty', mss.privateDirty) +
    kB('Referenced', mss.referenced) +
    kB('Anonymous', mss.anonymous) +
    kB('KSM', mss.ksm) +
    kB('LazyFree', mss.lazyfree) +
    kB('AnonHugePages', mss.anonymousThp) +
    kB('ShmemPmdMapped', mss.shmemThp) +
    kB('FilePmdMapped', mss.fileThp) +
    kB('Shared_Hugetlb', mss.sharedHugetlb) +
    `Private_Hugetlb: ${String(Math.floor(mss.privateHugetlb / 1024)).padStart(7)} kB\n` +
    kB('Swap', mss.swap) +
    kB('SwapPss', Math.floor(mss.swapPss / PSS_UNIT)) +
    kB('Locked', Math.floor(mss.pssLocked / PSS_UNIT))
  );
}

/**
 * The two-letter `VmFlags` mnemonics by bit (`show_smap_vma_flags`), for
 * the low 32 bits, where every flag mmsim can set lives. A set bit with no
 * mnemonic prints `??`, as in Linux. `sd` (VM_SOFTDIRTY) exists only where
 * CONFIG_MEM_SOFT_DIRTY can be set (x86_64).
 */
function mnemonics(softDirty: boolean): readonly string[] {
  return [
    'rd', // VM_READ
    'wr', // VM_WRITE
    'ex', // VM_EXEC
    'sh', // VM_SHARED
    'mr', // VM_MAYREAD
    'mw', // VM_MAYWRITE
    'me', // VM_MAYEXEC
    'ms', // VM_MAYSHARE
    'gd', // VM_GROWSDOWN
    'um', // VM_UFFD_MISSING
    'pf', // VM_PFNMAP
    'gu', // VM_MAYBE_GUARD (6.18.y)
    'uw', // VM_UFFD_WP
    'lo', // VM_LOCKED
    'io', // VM_IO
    'sr', // VM_SEQ_READ
    'rr', // VM_RAND_READ
    'dc', // VM_DONTCOPY
    'de', // VM_DONTEXPAND
    'lf', // VM_LOCKONFAULT
    'ac', // VM_ACCOUNT
    'nr', // VM_NORESERVE
    'ht', // VM_HUGETLB
    'sf', // VM_SYNC
    'ar', // VM_ARCH_1
    'wf', // VM_WIPEONFORK
    'dd', // VM_DONTDUMP
    softDirty ? 'sd' : '??', // VM_SOFTDIRTY
    'mm', // VM_MIXEDMAP
    'hg', // VM_HUGEPAGE
    'nh', // VM_NOHUGEPAGE
    'mg', // VM_MERGEABLE
  ];
}

/** `show_smap_vma_flags`: `VmFlags: ` and each set flag's mnemonic followed by a space. */
export function renderVmFlags(process: Process, flags: number): string {
  const names = mnemonics(process.vm.arch.name === 'x86_64');
  let out = 'VmFlags: ';
  for (let bit = 0; bit < 32; bit++) {
    if (((flags >>> bit) & 1) !== 0) out += `${names[bit] ?? '??'} `;
  }
  return `${out}\n`;
}

/** `show_smap` for one VMA. */
function renderSmap(
  process: Process,
  vma: Vma,
  swaps: { counts: Map<string, number> | null },
): string {
  const pageSize = process.vm.arch.pageSize;
  const mss = gatherSmapsStats(process, vma, swaps);
  return (
    renderMapsLine(process, vma) +
    kB('Size', vma.end - vma.start) +
    kB('KernelPageSize', pageSize) +
    kB('MMUPageSize', pageSize) +
    renderSmapsStats(mss) +
    `THPeligible:    ${String(0).padStart(8)}\n` +
    renderVmFlags(process, vma.flags)
  );
}

/**
 * Renders `/proc/<pid>/smaps` for `process`, exactly as Linux prints it.
 *
 * @param process - a live process; it and the page tables are only read.
 * @returns each VMA's maps line and memory use, in address order.
 *
 * @example
 * ```ts
 * const k = Kernel.boot({ memory: '32M' });
 * const p = k.spawn();
 * p.store32(p.mm.startStack - 4, 1);
 * renderSmaps(p); // ... '[stack]\nSize:                128 kB\n...Rss:                   4 kB\n'
 * ```
 */
export function renderSmaps(process: Process): string {
  const swaps: { counts: Map<string, number> | null } = { counts: null };
  let out = '';
  for (const vma of process.mm.vmas.all()) out += renderSmap(process, vma, swaps);
  return out;
}
