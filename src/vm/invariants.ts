/**
 * `checkVmInvariants`: everything the VM layer promises about user
 * address spaces, checked from scratch against the page tables in RAM. It
 * walks every table of every live process and every frame's struct page,
 * so it costs O(tables × entries + frames): for tests and debugging.
 *
 * Per address space:
 * - VMAs are page aligned, non-empty, inside `[0, TASK_SIZE)`, sorted and
 *   disjoint; `total_vm` is the sum of their pages; a VMA backed by a
 *   `SharedAnon` is VM_SHARED and starts inside the object's offsets (it
 *   may reach past the end, as mremap lets it).
 * - The PGD's kernel entries are the kernel's; every table below is an
 *   allocated PageTable frame reached from one place only; there are
 *   `counters.pgtables` tables, the PGD included; a table entry is either
 *   empty or present.
 * - Every non-empty PTE lies inside a VMA. The zero page is mapped only
 *   read-only in private anonymous VMAs. Any other present PTE maps an
 *   allocated, in-use frame that is not a page table, buddy or slab page,
 *   and is writable only if its VMA is; a PTE of a shared anonymous VMA
 *   maps the object's frame for that offset; a file page (not an
 *   anonymous copy) of a file VMA is the page cache's page for that file
 *   index.
 * - `counters.anon`, `.file`, `.shmem` count the present PTEs of each kind
 *   (the zero page aside) and `counters.swap` the swap entries. A guard
 *   marker counts in none of them and lies only in a VM_MAYBE_GUARD VMA.
 *
 * Across the machine:
 * - A `SharedAnon` object has as many users as VMAs map it, holds frames
 *   only at offsets inside it, each allocated and held by no other object.
 * - Each frame's mapcount is the number of PTEs mapping it (the zero page
 *   aside, which Linux does not count either), and its refcount is at
 *   least the mapcount, plus one if a `SharedAnon` object or the page
 *   cache holds it.
 * - Copy on write: no PTE of a private VMA is writable while its page is
 *   mapped more than once.
 * - TLBs: every cached user translation belongs to a live address space
 *   and agrees with its PTE (same frame; write permission only for a PTE
 *   that is writable and dirty).
 * - Memory locks (mlock-invariants.ts): each frame is PG_mlocked, on the
 *   unevictable list with that mlock count, exactly as many times as
 *   locked PTEs map it; NR_MLOCK agrees.
 */
import { MAX_ORDER } from '../buddy/zone.js';
import { KernelBug } from '../page/errors.js';
import { PageType, PG } from '../page/page-flags.js';
import type { AddressSpace } from './address-space.js';
import { fileMappingOf } from './fs/file-mapping.js';
import { pageCacheOf } from './fs/page-cache.js';
import { checkMlockInvariants } from './mlock-invariants.js';
import { pageRssKind } from './page-kind.js';
import { isBlock } from './page-table.js';
import type { Process } from './process.js';
import { isGuardPte, PTE_DIRTY, PTE_WRITE } from './pte.js';
import { TLB_GLOBAL, TLB_WRITE } from './tlb.js';
import type { RssKind, VmSystem } from './vm-system.js';
import { type SharedAnon, VM_MAYBE_GUARD, VM_SHARED, VM_WRITE, type Vma } from './vma.js';

function bug(message: string): never {
  throw new KernelBug(`checkInvariants: ${message}`);
}

/** `0x...` of a user address, for messages. */
function addr(va: number): string {
  return va < 0 ? `-0x${(-va).toString(16)}` : `0x${va.toString(16)}`;
}

/** Whether `pfn` lies inside a block the page allocator handed out (and not freed). */
function inAllocatedBlock(vm: VmSystem, pfn: number): boolean {
  const buddy = vm.buddy;
  for (let order = 0; order <= MAX_ORDER; order++) {
    const head = pfn - (pfn % 2 ** order);
    const allocated = buddy.allocatedOrder(head);
    if (allocated >= 0 && pfn < head + 2 ** allocated) return true;
  }
  return false;
}

/** A writable PTE of a private VMA, checked for copy on write once every PTE is counted. */
interface PrivateWritable {
  readonly pid: number;
  readonly va: number;
  readonly pfn: number;
}

/** What the walk of all address spaces gathers. */
interface Census {
  /** PTEs mapping each frame, the zero page aside. */
  readonly mapped: Map<number, number>;
  /** Every table frame below a PGD, to catch one reached twice. */
  readonly tables: Set<number>;
  /** VMAs mapping each shared anonymous object. */
  readonly sharedVmas: Map<SharedAnon, number>;
  /** Mapped frames the page cache holds a reference on. */
  readonly cached: Set<number>;
  readonly privateWritable: PrivateWritable[];
}

/** VMAs of one address space: shape and order, `total_vm`, shared-object bounds. */
function checkVmas(process: Process, census: Census): void {
  const mm = process.mm;
  const pageSize = process.vm.arch.pageSize;
  const who = `process ${process.pid} (${process.name})`;
  let prevEnd = 0;
  let pages = 0;
  for (const vma of mm.vmas.all()) {
    const range = `VMA ${addr(vma.start)}-${addr(vma.end)} of ${who}`;
    if (
      !Number.isInteger(vma.start / pageSize) ||
      !Number.isInteger(vma.end / pageSize) ||
      !Number.isInteger(vma.pgoff)
    )
      bug(`${range} is not page aligned (pgoff ${vma.pgoff})`);
    if (vma.start >= vma.end) bug(`${range} is empty or inverted`);
    if (vma.start < 0 || vma.end > mm.taskSize)
      bug(`${range} leaves user space [0, ${addr(mm.taskSize)})`);
    if (vma.start < prevEnd) bug(`${range} overlaps or precedes the VMA before it`);
    prevEnd = vma.end;
    pages += (vma.end - vma.start) / pageSize;
    const shared = vma.backing.shared;
    if (shared !== null) {
      if ((vma.flags & VM_SHARED) === 0)
        bug(`${range} maps shared anonymous memory without VM_SHARED`);
      // The VMA may reach past the object's end (mremap grows it; access there is SIGBUS).
      if (vma.pgoff < 0)
        bug(`${range} maps shared anonymous object ${shared.id} from page ${vma.pgoff}`);
      census.sharedVmas.set(shared, (census.sharedVmas.get(shared) ?? 0) + 1);
    }
  }
  if (pages !== mm.totalVm)
    bug(`${who} has total_vm ${mm.totalVm} but its VMAs cover ${pages} pages`);
}

/** Checks one present leaf that is not the zero page; returns its RSS kind. */
function checkMappedFrame(
  vm: VmSystem,
  where: string,
  vma: Vma,
  va: number,
  pfn: number,
  flags: number,
  census: Census,
): RssKind {
  const m = vm.buddy.memMap;
  if (!inAllocatedBlock(vm, pfn) || (m.refcount[pfn] as number) < 1)
    bug(`${where} maps pfn ${pfn}, which is free (refcount ${m.refcount[pfn]})`);
  const type = m.pageType(pfn);
  if (type !== PageType.none || m.testFlag(pfn, PG.slab))
    bug(
      `${where} maps pfn ${pfn}, which is a kernel page (page type ${type}, flags ${m.flags[pfn]})`,
    );
  if ((flags & PTE_WRITE) !== 0 && (vma.flags & VM_WRITE) === 0)
    bug(`${where} is writable in a VMA without VM_WRITE`);
  if (!m.testFlag(pfn, PG.lru)) bug(`${where} maps pfn ${pfn}, which is on no LRU list`);
  const shared = vma.backing.shared;
  if (shared !== null) {
    const offset = vma.pgoff + (va - vma.start) / vm.arch.pageSize;
    const expected = shared.pages.get(offset);
    if (expected !== pfn)
      bug(
        `${where} maps pfn ${pfn}, but shared anonymous object ${shared.id} holds ${expected ?? 'no frame'} at offset ${offset}`,
      );
  }
  const kind = pageRssKind(vm, vma, pfn);
  const file = fileMappingOf(vma);
  if (file !== null && kind === 'file') {
    const index = vma.pgoff + (va - vma.start) / vm.arch.pageSize;
    const cached = pageCacheOf(file.vfs, vm.buddy).lookup(file.inode, index);
    if (cached !== pfn)
      bug(
        `${where} maps pfn ${pfn}, but the page cache holds ${cached ?? 'no frame'} for page ${index} of inode ${file.inode.ino}`,
      );
    census.cached.add(pfn);
  }
  return kind;
}

/**
 * Walks the user part of one address space's page tables: tables, leaves,
 * and the counters that must agree with them.
 */
function walkAddressSpace(process: Process, census: Census): void {
  const vm = process.vm;
  const mm: AddressSpace = process.mm;
  const geo = vm.geo;
  const fmt = geo.format;
  const m = vm.buddy.memMap;
  const who = `process ${process.pid} (${process.name})`;
  const kernel = new Map(vm.kernelTop.map((e) => [e.index, e]));
  const addressBits = vm.arch.is64Bit ? 48 : 32;
  const counts = { anon: 0, file: 0, shmem: 0, swap: 0, tables: 1 };

  const leaf = (uva: number, lo: number, hi: number): void => {
    const va = vm.arch.is64Bit && uva >= 2 ** 47 ? uva - 2 ** addressBits : uva;
    const vma = mm.vmas.lookup(va);
    const where = `PTE for ${addr(va)} of ${who}`;
    if (vma === undefined) bug(`${where} lies outside every VMA`);
    if (!fmt.present(lo, hi)) {
      if (isGuardPte(vm.arch, lo, hi)) {
        // A guard marker counts nowhere; only a VMA marked as maybe holding guards has one.
        if ((vma.flags & VM_MAYBE_GUARD) === 0)
          bug(`${where} is a guard marker in a VMA without VM_MAYBE_GUARD`);
        return;
      }
      counts.swap++;
      return;
    }
    const pfn = fmt.pfn(lo, hi);
    const flags = fmt.flags(lo, hi);
    if (pfn >= m.frames) bug(`${where} maps pfn ${pfn}, beyond mem_map (${m.frames} frames)`);
    if (pfn === vm.zeroPfn) {
      if ((flags & PTE_WRITE) !== 0) bug(`${where} maps the zero page writable`);
      if (vma.backing.file !== null || vma.backing.shared !== null)
        bug(`${where} maps the zero page in a VMA that is not private anonymous memory`);
      return;
    }
    counts[checkMappedFrame(vm, where, vma, va, pfn, flags, census)]++;
    census.mapped.set(pfn, (census.mapped.get(pfn) ?? 0) + 1);
    if ((flags & PTE_WRITE) !== 0 && (vma.flags & VM_SHARED) === 0)
      census.privateWritable.push({ pid: process.pid, va, pfn });
  };

  const walk = (table: number, level: number, base: number): void => {
    const entries = geo.entries[level] as number;
    const span = 2 ** (geo.shifts[level] as number);
    const last = level === geo.levels - 1;
    for (let i = 0; i < entries; i++) {
      const slot = geo.slot(table, i);
      const lo = geo.readLo(slot);
      const hi = geo.readHi(slot);
      if (level === 0) {
        const k = kernel.get(i);
        if (k !== undefined) {
          if (lo !== k.lo || hi !== k.hi)
            bug(`PGD entry ${i} of ${who} differs from the kernel's mapping`);
          continue;
        }
      }
      if ((lo | hi) === 0) continue;
      const va = base + i * span;
      if (last) {
        leaf(va, lo, hi);
        continue;
      }
      if (!fmt.present(lo, hi))
        bug(
          `level ${level} entry ${i} of ${who} (table pfn ${table}) is neither empty nor present`,
        );
      if (isBlock(geo, lo)) continue; // a huge leaf: mmsim maps none in user space
      const child = fmt.pfn(lo, hi);
      const what = `level ${level + 1} table for ${addr(va)} of ${who}`;
      if (child >= m.frames) bug(`${what} is pfn ${child}, beyond mem_map`);
      if (!inAllocatedBlock(vm, child)) bug(`${what} is pfn ${child}, which is free`);
      if (m.pageType(child) !== PageType.table)
        bug(`${what} is pfn ${child}, which is not marked PageTable (type ${m.pageType(child)})`);
      if (census.tables.has(child)) bug(`${what} is pfn ${child}, which another entry also uses`);
      census.tables.add(child);
      counts.tables++;
      walk(child, level + 1, va);
    }
  };

  const pgd = mm.pgd;
  if (!inAllocatedBlock(vm, pgd) || m.pageType(pgd) !== PageType.table)
    bug(`PGD of ${who} (pfn ${pgd}) is not an allocated PageTable frame`);
  if (census.tables.has(pgd)) bug(`PGD of ${who} (pfn ${pgd}) is also used as another table`);
  census.tables.add(pgd);
  walk(pgd, 0, 0);

  const c = mm.counters;
  for (const kind of ['anon', 'file', 'shmem', 'swap'] as const) {
    if (c[kind] !== counts[kind])
      bug(`${who} counts ${c[kind]} ${kind} pages but its page tables hold ${counts[kind]}`);
  }
  if (c.pgtables !== counts.tables)
    bug(`${who} counts ${c.pgtables} page tables but ${counts.tables} are reachable from its PGD`);
}

/** Shared anonymous objects: users, offsets, frames. Returns the references the objects hold per frame. */
function checkSharedObjects(vm: VmSystem, census: Census): Map<number, number> {
  const held = new Map<number, number>();
  for (const [shared, vmas] of census.sharedVmas) {
    const what = `shared anonymous object ${shared.id}`;
    if (shared.users !== vmas) bug(`${what} has ${shared.users} users but ${vmas} VMAs map it`);
    for (const [offset, pfn] of shared.pages) {
      if (!Number.isInteger(offset) || offset < 0 || offset >= shared.size)
        bug(`${what} holds pfn ${pfn} at offset ${offset}, outside its ${shared.size} pages`);
      if (!Number.isInteger(pfn) || pfn < 0 || pfn >= vm.buddy.memMap.frames)
        bug(`${what} holds pfn ${pfn} at offset ${offset}, beyond mem_map`);
      if (!inAllocatedBlock(vm, pfn))
        bug(`${what} holds pfn ${pfn} at offset ${offset}, which is free`);
      if (held.has(pfn)) bug(`pfn ${pfn} is held twice by shared anonymous objects`);
      held.set(pfn, 1);
    }
  }
  return held;
}

/** Each frame's mapcount against the PTEs counted, and its refcount against both. */
function checkFrameCounts(vm: VmSystem, census: Census, held: Map<number, number>): void {
  const m = vm.buddy.memMap;
  for (let pfn = 0; pfn < m.frames; pfn++) {
    if (pfn === vm.zeroPfn) continue;
    const ptes = census.mapped.get(pfn) ?? 0;
    const mapcount = m.mapcount[pfn] as number;
    if (mapcount !== ptes) bug(`pfn ${pfn} has mapcount ${mapcount} but ${ptes} PTEs map it`);
    const need = ptes + (held.get(pfn) ?? 0) + (census.cached.has(pfn) ? 1 : 0);
    if (need > 0 && (m.refcount[pfn] as number) < need)
      bug(
        `pfn ${pfn} has refcount ${m.refcount[pfn]}, below its ${ptes} mappings and ${need - ptes} object references`,
      );
  }
}

/** TLB entries of user space against the page tables. */
function checkTlbs(vm: VmSystem): void {
  const byAsid = new Map<number, AddressSpace>();
  for (const p of vm.processes.values()) byAsid.set(p.mm.asid, p.mm);
  const pageSize = vm.arch.pageSize;
  vm.tlbs.forEach((tlb, cpu) => {
    for (let i = 0; i < tlb.size; i++) {
      const vpn = tlb.vpn[i] as number;
      const perm = tlb.perm[i] as number;
      if (vpn === -1 || (perm & TLB_GLOBAL) !== 0) continue;
      const va = vpn * pageSize;
      const asid = tlb.asid[i] as number;
      const mm = byAsid.get(asid);
      const what = `TLB of cpu ${cpu} caches ${addr(va)} for ASID ${asid}`;
      if (mm === undefined) bug(`${what}, which no live address space has`);
      const pte = mm.lookupPte(va);
      if (pte === null) bug(`${what}, whose PTE is not present`);
      if (pte.pfn * pageSize !== tlb.frame[i])
        bug(`${what} at frame ${tlb.frame[i]}, but its PTE maps pfn ${pte.pfn}`);
      if (
        (perm & TLB_WRITE) !== 0 &&
        (pte.flags & (PTE_WRITE | PTE_DIRTY)) !== (PTE_WRITE | PTE_DIRTY)
      )
        bug(`${what} as writable, but its PTE is not writable and dirty`);
    }
  });
}

/**
 * Throws `KernelBug` naming the first broken invariant of the VM layer
 * (see the module comment for the list); returns nothing when all hold.
 *
 * @param vm - the VM subsystem; it is only read.
 *
 * @example
 * ```ts
 * const k = Kernel.boot({ memory: '32M' });
 * const p = k.spawn();
 * p.store32(p.mm.startStack - 4, 1);
 * checkVmInvariants(k.vm); // passes
 * ```
 */
export function checkVmInvariants(vm: VmSystem): void {
  const census: Census = {
    mapped: new Map(),
    tables: new Set(),
    sharedVmas: new Map(),
    cached: new Set(),
    privateWritable: [],
  };
  for (const process of vm.processes.values()) {
    if (process.state !== 'running')
      bug(`process ${process.pid} (${process.name}) is ${process.state} but still registered`);
    checkVmas(process, census);
    walkAddressSpace(process, census);
  }
  const held = checkSharedObjects(vm, census);
  checkFrameCounts(vm, census, held);
  for (const { pid, va, pfn } of census.privateWritable) {
    const ptes = census.mapped.get(pfn) ?? 0;
    if (ptes > 1)
      bug(
        `PTE for ${addr(va)} of process ${pid} is writable in a private VMA, but pfn ${pfn} is mapped ${ptes} times (copy on write broken)`,
      );
  }
  checkTlbs(vm);
  checkMlockInvariants(vm);
}
