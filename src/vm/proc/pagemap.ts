/**
 * `/proc/<pid>/pagemap` (fs/proc/task_mmu.c `pagemap_read`,
 * `pte_to_pagemap_entry`, Documentation/admin-guide/mm/pagemap.rst; Linux
 * 6.18): one 64-bit little-endian entry per virtual page of user space, at
 * byte offset `(va / PAGE_SIZE) * 8`.
 *
 * | bits  | meaning |
 * | ----- | ------- |
 * | 0-54  | the page frame number when present; when swapped, the swap type (bits 0-4) and offset (bits 5-54) |
 * | 55    | soft-dirty (always 0: mmsim, like the kernel it follows, has no CONFIG_MEM_SOFT_DIRTY) |
 * | 56    | exclusively mapped: a present page with one mapping (`PM_MMAP_EXCLUSIVE`) |
 * | 57    | userfaultfd write-protected (always 0: no userfaultfd) |
 * | 58    | guard region: a MADV_GUARD_INSTALL marker (`PM_GUARD_REGION`) |
 * | 61    | a file page or shared anonymous (shmem) page (`PM_FILE`) |
 * | 62    | swapped, or a PTE marker (`PM_SWAP`) |
 * | 63    | present (`PM_PRESENT`) |
 *
 * As in Linux, a guard marker is a swap-format entry of the marker type, so
 * it shows bit 62 with bit 58 and the marker's type and offset (31 and 4)
 * in the frame field. The shared zero page is present with its frame but
 * neither exclusive nor a file page (`vm_normal_page` gives no page for
 * it). Pages outside every VMA, and pages of a VMA with no PTE, read 0.
 *
 * Frame numbers (and swap types and offsets) are shown only to a reader
 * with CAP_SYS_ADMIN; others read 0 in bits 0-54 (`pm->show_pfn`).
 * `k.proc`/`k.procRead` read as root; processes have no CAP_SYS_ADMIN.
 *
 * The file is as long as user space divided by the page size, times 8
 * (256 GiB on x86_64), and is only ever read in pieces: reads are
 * positioned, offset and length multiples of 8 (EINVAL otherwise), and end
 * at the last page below `TASK_SIZE`. Building a piece costs the VMAs and
 * page tables it covers, never the holes between them.
 */
import { KernelError } from '../../page/errors.js';
import { pageIsAnon } from '../page-kind.js';
import type { Process } from '../process.js';
import { isGuardPte, pteToSwapEntry } from '../pte.js';

/** Bytes per entry (`PM_ENTRY_BYTES`). */
export const PM_ENTRY_BYTES = 8;
/** Bits of the frame field (`PM_PFRAME_BITS`). */
export const PM_PFRAME_BITS = 55;
/** The frame field (`PM_PFRAME_MASK`, bits 0-54). */
export const PM_PFRAME_MASK = (1n << 55n) - 1n;
/** Bit 55: soft-dirty. */
export const PM_SOFT_DIRTY = 1n << 55n;
/** Bit 56: the page is mapped once (exclusively). */
export const PM_MMAP_EXCLUSIVE = 1n << 56n;
/** Bit 57: write-protected by userfaultfd. */
export const PM_UFFD_WP = 1n << 57n;
/** Bit 58: a guard region marker (Linux 6.14). */
export const PM_GUARD_REGION = 1n << 58n;
/** Bit 61: a file page or a shared anonymous page. */
export const PM_FILE = 1n << 61n;
/** Bit 62: swapped out (or a PTE marker). */
export const PM_SWAP = 1n << 62n;
/** Bit 63: present in RAM. */
export const PM_PRESENT = 1n << 63n;
/** Bits of the swap type at the bottom of a swapped entry's frame field (`MAX_SWAPFILES_SHIFT`). */
export const MAX_SWAPFILES_SHIFT = 5;

// The same flags as bits of an entry's high 32-bit word.
const HI_EXCLUSIVE = 1 << 24;
const HI_GUARD = 1 << 26;
const HI_FILE = 1 << 29;
const HI_SWAP = 1 << 30;
const HI_PRESENT = 1 << 31;
const TWO_32 = 2 ** 32;
/** Bits 32-54 of the frame field, in the high word. */
const HI_FRAME_MASK = (1 << (PM_PFRAME_BITS - 32)) - 1;

/** One pagemap entry, decoded. */
export interface PagemapEntry {
  /** The entry as read. */
  readonly raw: bigint;
  /** Bit 63: the page is in RAM. */
  readonly present: boolean;
  /** Bit 62: the page is swapped out (or the entry is a PTE marker such as a guard). */
  readonly swapped: boolean;
  /** Bit 61: a file page or a shared anonymous page. */
  readonly fileOrShared: boolean;
  /** Bit 56: present and mapped by this process alone. */
  readonly exclusive: boolean;
  /** Bit 55: soft-dirty. */
  readonly softDirty: boolean;
  /** Bit 57: userfaultfd write-protected. */
  readonly uffdWp: boolean;
  /** Bit 58: a guard region (MADV_GUARD_INSTALL). */
  readonly guard: boolean;
  /** The page frame number, when present (0 when the reader may not see frames). */
  readonly pfn?: number;
  /** The swap type (bits 0-4), when swapped. */
  readonly swapType?: number;
  /** The swap offset (bits 5-54), when swapped. */
  readonly swapOffset?: number;
}

/**
 * Decodes one pagemap entry (a 64-bit value, as `DataView.getBigUint64(at,
 * true)` reads it from the file).
 *
 * @throws KernelError `EINVAL` for a value that is not a bigint in `[0, 2**64)`.
 *
 * @example
 * ```ts
 * const bytes = k.procRead(`/proc/${p.pid}/pagemap`, (va / k.PAGE_SIZE) * 8, 8);
 * const e = decodePagemapEntry(new DataView(bytes.buffer).getBigUint64(0, true));
 * if (e.present) console.log(`frame ${e.pfn}`);
 * ```
 */
export function decodePagemapEntry(entry: bigint): PagemapEntry {
  if (typeof entry !== 'bigint' || entry < 0n || entry >= 1n << 64n) {
    throw new KernelError(
      'EINVAL',
      `decodePagemapEntry: the entry must be a bigint in [0, 2**64), not ${typeof entry === 'bigint' ? `${entry}n` : typeof entry}`,
    );
  }
  const bit = (b: bigint): boolean => (entry & b) !== 0n;
  const present = bit(PM_PRESENT);
  const swapped = bit(PM_SWAP);
  const frame = entry & PM_PFRAME_MASK;
  const decoded: {
    -readonly [K in keyof PagemapEntry]: PagemapEntry[K];
  } = {
    raw: entry,
    present,
    swapped,
    fileOrShared: bit(PM_FILE),
    exclusive: bit(PM_MMAP_EXCLUSIVE),
    softDirty: bit(PM_SOFT_DIRTY),
    uffdWp: bit(PM_UFFD_WP),
    guard: bit(PM_GUARD_REGION),
  };
  if (present) decoded.pfn = Number(frame);
  else if (swapped) {
    decoded.swapType = Number(frame & ((1n << BigInt(MAX_SWAPFILES_SHIFT)) - 1n));
    decoded.swapOffset = Number(frame >> BigInt(MAX_SWAPFILES_SHIFT));
  }
  return decoded;
}

/** The entry count of the whole file: one per page below the task size. */
export function pagemapEntries(p: Process): number {
  return Math.floor(p.mm.taskSize / p.vm.arch.pageSize);
}

/**
 * `pagemap_read` into `out`: the entries of the pages from number
 * `firstVpn` on, as many as `out` holds (its length a multiple of 8), up
 * to the end of user space. Returns the bytes written (fewer than
 * `out.length` past the end, 0 at or beyond it). `showPfn`: the reader may
 * see frame numbers and swap entries.
 */
export function pagemapFill(
  p: Process,
  firstVpn: number,
  out: Uint8Array,
  showPfn: boolean,
): number {
  const vm = p.vm;
  const mm = p.mm;
  const pageSize = vm.arch.pageSize;
  const count = Math.max(0, Math.min(out.length / PM_ENTRY_BYTES, pagemapEntries(p) - firstVpn));
  if (count === 0) return 0;
  out.fill(0, 0, count * PM_ENTRY_BYTES);
  const view = new DataView(out.buffer, out.byteOffset, count * PM_ENTRY_BYTES);
  const start = firstVpn * pageSize;
  const end = (firstVpn + count) * pageSize;
  const geo = vm.geo;
  const fmt = geo.format;
  const memMap = vm.buddy.memMap;
  for (const vma of mm.vmas.overlapping(start, end)) {
    mm.forEachPteSlot(Math.max(start, vma.start), Math.min(end, vma.end), (va, slot) => {
      const lo = geo.readLo(slot);
      const hi = geo.readHi(slot);
      if ((lo | hi) === 0) return; // pte_none: 0
      let frame = 0;
      let flags: number;
      if (fmt.present(lo, hi)) {
        const pfn = fmt.pfn(lo, hi);
        flags = HI_PRESENT;
        if (showPfn) frame = pfn;
        // vm_normal_page: the zero page has no struct page to report on.
        if (pfn !== vm.zeroPfn) {
          if (!pageIsAnon(vm, vma, pfn)) flags |= HI_FILE;
          if (memMap.mapcount[pfn] === 1) flags |= HI_EXCLUSIVE;
        }
      } else {
        // A swap entry or a PTE marker (is_swap_pte): the type and offset, as the frame.
        const entry = pteToSwapEntry(vm.arch, lo, hi);
        flags = HI_SWAP;
        if (showPfn) frame = entry.type + entry.offset * 2 ** MAX_SWAPFILES_SHIFT;
        if (isGuardPte(vm.arch, lo, hi)) flags |= HI_GUARD;
      }
      const at = (va / pageSize - firstVpn) * PM_ENTRY_BYTES;
      const frameHi = Math.floor(frame / TWO_32);
      view.setUint32(at, frame - frameHi * TWO_32, true);
      view.setUint32(at + 4, ((frameHi & HI_FRAME_MASK) | flags) >>> 0, true);
    });
  }
  return count * PM_ENTRY_BYTES;
}

/** Pages {@link renderPagemapText} decodes per step. */
const TEXT_STEP_PAGES = 4096;

/**
 * What `k.proc` gives for pagemap, which is binary and as large as user
 * space: the entries that are not zero, one line each, in address order,
 * as `<virtual address> <entry>` in fixed-width hex (16 digits each), the
 * entry being exactly the 64-bit value the binary file holds at that
 * page's offset (read as root: frame numbers shown). Every page the text
 * leaves out reads 0 in the binary file. `decodePagemapEntry(BigInt('0x' +
 * entry))` decodes a line. Its cost is the pages the VMAs cover, never the
 * holes between them.
 *
 * @example
 * ```ts
 * p.store8(va, 1);
 * k.proc(`/proc/${p.pid}/pagemap`); // '00007f...000 8180000000001234\n'
 * ```
 */
export function renderPagemapText(p: Process): string {
  const pageSize = p.vm.arch.pageSize;
  const buf = new Uint8Array(TEXT_STEP_PAGES * PM_ENTRY_BYTES);
  const view = new DataView(buf.buffer);
  const lines: string[] = [];
  for (const vma of p.mm.vmas.all()) {
    for (let vpn = vma.start / pageSize; vpn < vma.end / pageSize; vpn += TEXT_STEP_PAGES) {
      const pages = Math.min(TEXT_STEP_PAGES, vma.end / pageSize - vpn);
      const bytes = pagemapFill(p, vpn, buf.subarray(0, pages * PM_ENTRY_BYTES), true);
      for (let at = 0; at < bytes; at += PM_ENTRY_BYTES) {
        const lo = view.getUint32(at, true);
        const hi = view.getUint32(at + 4, true);
        if ((lo | hi) === 0) continue;
        const va = (vpn + at / PM_ENTRY_BYTES) * pageSize;
        const entry = hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
        lines.push(`${va.toString(16).padStart(16, '0')} ${entry}\n`);
      }
    }
  }
  return lines.join('');
}

/** What {@link readPagemap} reads through: a kernel (`Kernel` has both members). */
export interface PagemapSource {
  /** The page size. */
  readonly PAGE_SIZE: number;
  /** A positioned read of a /proc file (`Kernel.procRead`). */
  procRead(path: string, offset: number, length: number): Uint8Array;
}

/** The most pages {@link readPagemap} decodes in one call (4 GiB of 4 KiB pages). */
export const READ_PAGEMAP_MAX_PAGES = 2 ** 20;

/**
 * The decoded pagemap entries of process `pid` for the pages of
 * `[start, end)` (start rounded down and end up to pages): entry `i` is
 * the page at `start + i * PAGE_SIZE`. Pages at or above the end of user
 * space have no entry. Read as root: frame numbers are shown.
 *
 * @throws KernelError `ENOENT` for no such process; `EINVAL` for bounds
 *   that are not integers with `0 <= start <= end`, or a range of more
 *   than {@link READ_PAGEMAP_MAX_PAGES} pages (read such a range in parts).
 *
 * @example
 * ```ts
 * const va = p.sys.mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
 * p.store8(va, 1);
 * const [first, second] = readPagemap(k, p.pid, va, va + 2 * 4096);
 * first.present;  // true: touched
 * second.present; // false
 * ```
 */
export function readPagemap(
  source: PagemapSource,
  pid: number,
  start: number,
  end: number,
): PagemapEntry[] {
  const ok = (x: unknown): x is number =>
    typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (
    typeof source !== 'object' ||
    source === null ||
    typeof source.procRead !== 'function' ||
    !ok(source.PAGE_SIZE) ||
    source.PAGE_SIZE === 0
  ) {
    throw new KernelError(
      'EINVAL',
      'readPagemap: the source must be a kernel (PAGE_SIZE and procRead)',
    );
  }
  if (!ok(pid) || !ok(start) || !ok(end) || start > end) {
    throw new KernelError(
      'EINVAL',
      'readPagemap: pid, start and end must be non-negative integers with start <= end',
    );
  }
  const pageSize = source.PAGE_SIZE;
  const first = Math.floor(start / pageSize);
  const pages = Math.ceil(end / pageSize) - first;
  if (pages > READ_PAGEMAP_MAX_PAGES) {
    throw new KernelError(
      'EINVAL',
      `readPagemap: ${pages} pages is more than ${READ_PAGEMAP_MAX_PAGES} at once; read the range in parts`,
    );
  }
  const bytes = source.procRead(
    `/proc/${pid}/pagemap`,
    first * PM_ENTRY_BYTES,
    pages * PM_ENTRY_BYTES,
  );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PagemapEntry[] = [];
  for (let at = 0; at + PM_ENTRY_BYTES <= bytes.byteLength; at += PM_ENTRY_BYTES) {
    out.push(decodePagemapEntry(view.getBigUint64(at, true)));
  }
  return out;
}
