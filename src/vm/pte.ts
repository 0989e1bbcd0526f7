/**
 * Page-table entry formats. Every entry is stored in simulated RAM in its
 * architecture's layout; the rest of `src/vm` speaks in mmsim's abstract
 * flags (`PTE_*` below) and converts at the edge.
 *
 * - x86_64 (arch/x86/include/asm/pgtable_types.h): 8-byte entries. P bit 0,
 *   RW 1, US 2, A 5, D 6, PS 7, G 8, the frame in bits 12..51, NX bit 63.
 * - i386 without PAE: 4-byte entries, the same low bits, the frame in bits
 *   12..31, no NX.
 * - arm64 (arch/arm64/include/asm/pgtable-hwdef.h, pgtable-prot.h): 8-byte
 *   descriptors. Valid bit 0; bit 1 set for tables and pages (clear for
 *   blocks); AP[1] bit 6 grants EL0 (user) access; AP[2] bit 7 makes the
 *   page read-only; AF bit 10; nG bit 11 (user mappings are not global);
 *   the output address in bits 12..47 (to the granule); DBM bit 51, set on
 *   writable entries as Linux's PTE_WRITE; PXN bit 53, UXN bit 54; Linux's
 *   software dirty bit 55.
 *
 * A non-present entry that is not zero holds a swap entry, in each
 * architecture's own layout (`swapPte`, `pteToSwapEntry`), or a PTE marker:
 * Linux's markers (include/linux/swapops.h, `make_pte_marker`) are swap
 * entries of the reserved type `SWP_PTE_MARKER` (the last of the 5-bit
 * types, which no swap area may take) whose offset holds the marker bits.
 * mmsim has one marker, `PTE_MARKER_GUARD` (MADV_GUARD_INSTALL), so every
 * non-present entry is exactly one of: none (0), a guard marker
 * (`isGuardPte`), or a real swap entry (`isSwapPte`). Code that decodes a
 * non-present entry asks `isGuardPte` first and never hands a marker to
 * the swap layer.
 */
import type { Arch, ArchName } from '../page/arch.js';
import { KernelBug } from '../page/errors.js';
import { checkCount, checkInteger, describeValue } from '../page/validate.js';

/** The entry maps something (a table or a page). */
export const PTE_PRESENT = 0x1;
/** Writable. */
export const PTE_WRITE = 0x2;
/** Reachable from user mode. */
export const PTE_USER = 0x4;
/** Accessed since the bit was last cleared. */
export const PTE_ACCESSED = 0x8;
/** Written since the bit was last cleared. */
export const PTE_DIRTY = 0x10;
/** Not executable. */
export const PTE_NX = 0x20;
/** Global: survives address-space switches in the TLB (kernel mappings). */
export const PTE_GLOBAL = 0x40;

/** Encodes and decodes one architecture's entries as (low word, high word). */
export interface PteFormat {
  /** Bytes per entry. */
  readonly entryBytes: 4 | 8;
  /** The low 32 bits of a present entry mapping frame `pfn` with `flags`. */
  lo(pfn: number, flags: number, leaf: boolean): number;
  /** The high 32 bits (0 for 4-byte entries). */
  hi(pfn: number, flags: number, leaf: boolean): number;
  /** Whether an entry is present. */
  present(lo: number, hi: number): boolean;
  /** The frame a present entry maps. */
  pfn(lo: number, hi: number): number;
  /** The abstract flags of a present entry. */
  flags(lo: number, hi: number): number;
}

/** x86 (both widths): the flag bits of the low word. */
function x86Lo(flags: number): number {
  let lo = 0x1; // P
  if (flags & PTE_WRITE) lo |= 0x2;
  if (flags & PTE_USER) lo |= 0x4;
  if (flags & PTE_ACCESSED) lo |= 0x20;
  if (flags & PTE_DIRTY) lo |= 0x40;
  if (flags & PTE_GLOBAL) lo |= 0x100;
  return lo;
}

function x86Flags(lo: number, hi: number, nx: boolean): number {
  let f = PTE_PRESENT;
  if (lo & 0x2) f |= PTE_WRITE;
  if (lo & 0x4) f |= PTE_USER;
  if (lo & 0x20) f |= PTE_ACCESSED;
  if (lo & 0x40) f |= PTE_DIRTY;
  if (lo & 0x100) f |= PTE_GLOBAL;
  if (nx && hi & 0x80000000) f |= PTE_NX;
  return f;
}

const X86_64: PteFormat = {
  entryBytes: 8,
  lo: (pfn, flags) => (((pfn % 0x100000) * 4096 + x86Lo(flags)) >>> 0) | 0,
  hi: (pfn, flags) => Math.floor(pfn / 0x100000) | (flags & PTE_NX ? 0x80000000 : 0) | 0,
  present: (lo) => (lo & 1) !== 0,
  pfn: (lo, hi) => (lo >>> 12) + (hi & 0xfffff) * 0x100000,
  flags: (lo, hi) => x86Flags(lo, hi, true),
};

const I386: PteFormat = {
  entryBytes: 4,
  lo: (pfn, flags) => ((pfn * 4096 + x86Lo(flags)) >>> 0) | 0,
  hi: () => 0,
  present: (lo) => (lo & 1) !== 0,
  pfn: (lo) => lo >>> 12,
  flags: (lo) => x86Flags(lo, 0, false),
};

function arm64(pageShift: number): PteFormat {
  // Output address bits pageShift..47, split over the two words.
  const frameLowBits = 32 - pageShift; // frame bits held in the low word
  const lowFrames = 2 ** frameLowBits;
  const pageBytes = 2 ** pageShift; // hoisted: `**` with a variable exponent is a Math.pow call
  return {
    entryBytes: 8,
    lo: (pfn, flags, leaf) => {
      let lo = 0x1 | 0x2; // valid, table/page
      if (leaf) {
        if (flags & PTE_USER) lo |= 0x40; // AP[1]
        if (!(flags & PTE_WRITE)) lo |= 0x80; // AP[2]: read-only
        if (flags & PTE_ACCESSED) lo |= 0x400; // AF
        if (!(flags & PTE_GLOBAL)) lo |= 0x800; // nG
      }
      return (((pfn % lowFrames) * pageBytes + lo) >>> 0) | 0;
    },
    hi: (pfn, flags, leaf) => {
      let hi = Math.floor(pfn / lowFrames);
      if (leaf) {
        if (flags & PTE_WRITE) hi |= 1 << 19; // DBM (PTE_WRITE)
        if (flags & PTE_NX) hi |= (1 << 22) | (1 << 21); // UXN, PXN
        if (flags & PTE_DIRTY) hi |= 1 << 23; // software dirty
      }
      return hi | 0;
    },
    present: (lo) => (lo & 1) !== 0,
    pfn: (lo, hi) => Math.floor((lo >>> 0) / pageBytes) + (hi & 0xffff) * lowFrames,
    flags: (lo, hi) => {
      let f = PTE_PRESENT;
      if (lo & 0x40) f |= PTE_USER;
      if (!(lo & 0x80)) f |= PTE_WRITE;
      if (lo & 0x400) f |= PTE_ACCESSED;
      if (!(lo & 0x800)) f |= PTE_GLOBAL;
      if (hi & (1 << 22)) f |= PTE_NX;
      if (hi & (1 << 23)) f |= PTE_DIRTY;
      return f;
    },
  };
}

/** The entry format of an architecture. */
export function pteFormat(arch: Arch): PteFormat {
  switch (arch.name) {
    case 'x86_64':
      return X86_64;
    case 'i386':
      return I386;
    default:
      return arm64(arch.pageShift);
  }
}

/** A swap entry: which swap area, and which slot in it. */
export interface SwapEntry {
  readonly type: number;
  readonly offset: number;
}

/**
 * Encodes a swap entry as a non-present PTE in the architecture's layout
 * (`__swp_entry`, `__swp_entry_to_pte`):
 * - x86_64: type in bits 59..63, the offset inverted (the L1TF mitigation)
 *   in bits 9..58;
 * - i386 without PAE: type in bits 1..5, offset in bits 9..31;
 * - arm64: type in bits 3..7, offset in bits 8..57.
 * The present/valid bit is clear in each.
 */
export function swapPte(arch: Arch, entry: SwapEntry): { lo: number; hi: number } {
  if (typeof entry !== 'object' || entry === null) {
    throw new KernelBug(`swapPte: entry ${describeValue(entry)} is not a swap entry`);
  }
  checkCount('swapPte', 'type', entry.type);
  checkCount('swapPte', 'offset', entry.offset);
  return swapPteFor(arch.name, entry);
}

/** `swapPte` by architecture name. */
function swapPteFor(name: ArchName, entry: SwapEntry): { lo: number; hi: number } {
  const { type, offset } = entry;
  switch (name) {
    case 'x86_64': {
      const inv = 2 ** 50 - 1 - offset;
      const low23 = inv % 2 ** 23;
      return { lo: (low23 * 512) | 0, hi: Math.floor(inv / 2 ** 23) | (type << 27) | 0 };
    }
    case 'i386':
      return { lo: (offset * 512 + (type << 1)) | 0, hi: 0 };
    default: {
      const low24 = offset % 2 ** 24;
      return { lo: (low24 * 256 + (type << 3)) | 0, hi: Math.floor(offset / 2 ** 24) | 0 };
    }
  }
}

/** Decodes a non-present, non-empty PTE as a swap entry (`pte_to_swp_entry`). */
export function pteToSwapEntry(arch: Arch, lo: number, hi: number): SwapEntry {
  checkInteger('pteToSwapEntry', 'lo', lo);
  checkInteger('pteToSwapEntry', 'hi', hi);
  switch (arch.name) {
    case 'x86_64': {
      const inv = (lo >>> 9) + ((hi >>> 0) & 0x7ffffff) * 2 ** 23;
      return { type: hi >>> 27, offset: 2 ** 50 - 1 - inv };
    }
    case 'i386':
      return { type: (lo >>> 1) & 0x1f, offset: lo >>> 9 };
    default:
      return { type: (lo >>> 3) & 0x1f, offset: (lo >>> 8) + ((hi >>> 0) & 0x3ffffff) * 2 ** 24 };
  }
}

/**
 * The swap type reserved for PTE markers (`SWP_PTE_MARKER`): the last of
 * the 32 types a swap PTE can hold. Linux reserves the top types for
 * markers, migration, hwpoison and device entries; mmsim models only the
 * marker type, so swap areas take types 0 .. `SWP_PTE_MARKER - 1`.
 */
export const SWP_PTE_MARKER = 31;

/**
 * The guard-region marker bit (`PTE_MARKER_GUARD`, BIT(2) of the marker
 * entry's offset; BIT(0) is uffd-wp and BIT(1) poison, neither modelled):
 * any access to the page raises SIGSEGV, SEGV_MAPERR (Linux 6.13,
 * MADV_GUARD_INSTALL).
 */
export const PTE_MARKER_GUARD = 0x4;

/** The guard marker's two words for x86_64, i386 and arm64 (every granule), computed once. */
const GUARD = Object.freeze({
  x86_64: Object.freeze(swapPteFor('x86_64', { type: SWP_PTE_MARKER, offset: PTE_MARKER_GUARD })),
  i386: Object.freeze(swapPteFor('i386', { type: SWP_PTE_MARKER, offset: PTE_MARKER_GUARD })),
  arm64: Object.freeze(swapPteFor('arm64-4k', { type: SWP_PTE_MARKER, offset: PTE_MARKER_GUARD })),
});

/**
 * The guard marker as a non-present PTE in `arch`'s layout
 * (`make_pte_marker(PTE_MARKER_GUARD)`): the swap entry of type
 * {@link SWP_PTE_MARKER} and offset {@link PTE_MARKER_GUARD}. Neither word
 * is the "none" pattern and the present bit is clear.
 *
 * @example
 * ```ts
 * const { lo, hi } = guardPte(k.arch);
 * isGuardPte(k.arch, lo, hi); // true
 * ```
 */
export function guardPte(arch: Arch): { readonly lo: number; readonly hi: number } {
  switch (arch.name) {
    case 'x86_64':
      return GUARD.x86_64;
    case 'i386':
      return GUARD.i386;
    default:
      return GUARD.arm64;
  }
}

/**
 * Whether the entry `(lo, hi)` is a guard marker. Counterpart:
 * `is_guard_pte_marker` (`is_guard_swp_entry(pte_to_swp_entry(pte))`).
 */
export function isGuardPte(arch: Arch, lo: number, hi: number): boolean {
  const g = guardPte(arch);
  return lo === g.lo && hi === g.hi;
}

/**
 * Whether the entry `(lo, hi)` holds a real swap entry: not none, not
 * present (bit 0 is the present/valid bit in every format here), and not a
 * PTE marker (`is_swap_pte` and `!non_swap_entry`). Only such an entry may
 * be decoded with {@link pteToSwapEntry} and handed to the swap layer.
 */
export function isSwapPte(arch: Arch, lo: number, hi: number): boolean {
  if (typeof lo !== 'number' || typeof hi !== 'number') {
    checkInteger('isSwapPte', 'lo', lo);
    checkInteger('isSwapPte', 'hi', hi);
  }
  return (lo & 1) === 0 && (lo | hi) !== 0 && !isGuardPte(arch, lo, hi);
}
