/**
 * Architecture profiles: page size, page-table geometry, the virtual address
 * split and the physical zone boundaries of each machine mmsim can boot.
 *
 * Sources: arch/x86/include/asm/page_64_types.h and pgtable_64_types.h
 * (x86_64: 4-level paging, `__PAGE_OFFSET` 0xffff888000000000,
 * `TASK_SIZE_MAX` (1 << 47) - PAGE_SIZE), arch/x86/include/asm/page_32_types.h
 * (i386 without PAE: 2-level paging, 3G/1G split, 896 MiB of lowmem),
 * arch/arm64/include/asm/memory.h and pgtable-hwdef.h (48-bit VA, the
 * number of levels each granule needs), arch/arm64/mm/init.c (zone limits).
 */
import { KernelError } from './errors.js';
import { checkCount, describeValue } from './validate.js';

/** Names of the architectures mmsim can boot. */
export type ArchName = 'x86_64' | 'i386' | 'arm64-4k' | 'arm64-16k' | 'arm64-64k';

/** The zones Linux may configure, in the order of `enum zone_type`. */
export type ZoneName = 'DMA' | 'DMA32' | 'Normal' | 'HighMem' | 'Movable';

/**
 * A physical zone boundary of an architecture: the zone holds the frames
 * from the previous zone's end up to `end` (exclusive, a physical address).
 * A zone whose range holds no RAM on a given machine is still configured,
 * and is empty (as ZONE_DMA32 is on arm64 when ZONE_DMA already reaches
 * 4 GiB).
 */
export interface ZoneLimit {
  readonly name: ZoneName;
  /** Exclusive physical end address; `Infinity` for "the rest of RAM". */
  readonly end: number;
}

/** Everything about an architecture that the memory manager depends on. */
export interface Arch {
  readonly name: ArchName;
  /** Bytes in a base page (`PAGE_SIZE`). */
  readonly pageSize: number;
  /** log2 of `pageSize` (`PAGE_SHIFT`). */
  readonly pageShift: number;
  /** Number of page-table levels a translation walks. */
  readonly levels: number;
  /**
   * Index bits consumed at each level, from the top level (PGD) down to the
   * last (PTE). Their sum plus `pageShift` is `vaBits`.
   */
  readonly levelBits: readonly number[];
  /** Bytes in one page-table entry (8 on 64-bit architectures, 4 on i386). */
  readonly pteSize: number;
  /** Width of a virtual address: 48 on the 64-bit profiles, 32 on i386. */
  readonly vaBits: number;
  /** `true` for the 64-bit architectures (signed virtual addresses). */
  readonly is64Bit: boolean;
  /** Start of the kernel's direct map of physical memory (`PAGE_OFFSET`). */
  readonly pageOffset: number;
  /** End of the user half of the address space (`TASK_SIZE`), exclusive. */
  readonly taskSize: number;
  /**
   * Bytes of physical memory the direct map covers: all of it on 64-bit,
   * 896 MiB on i386 (the rest is HighMem, reached through `kmap`).
   */
  readonly directMapLimit: number;
  /** Largest physical memory this profile can address. */
  readonly maxMemory: number;
  /** Physical zone boundaries in ascending order. */
  readonly zones: readonly ZoneLimit[];
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** 48-bit canonical addresses: the low half ends at 2**47. */
const LOW_HALF_48 = 2 ** 47;

function arm64(name: ArchName, pageShift: number, levelBits: readonly number[]): Arch {
  return {
    name,
    pageSize: 2 ** pageShift,
    pageShift,
    levels: levelBits.length,
    levelBits,
    pteSize: 8,
    vaBits: 48,
    is64Bit: true,
    // arm64 gives each half (TTBR0 for user, TTBR1 for the kernel) a full
    // 48 bits. mmsim keeps one signed 48-bit convention for every 64-bit
    // profile (addresses stay exact doubles, one canonical check), so each
    // half is 47 bits here: the linear map starts at 0xffff800000000000, as
    // PAGE_OFFSET did on arm64 before Linux 5.4 flipped the kernel layout,
    // and user space ends at 2**47 rather than TASK_SIZE_64 = 2**48.
    pageOffset: -LOW_HALF_48,
    taskSize: LOW_HALF_48,
    directMapLimit: Number.POSITIVE_INFINITY,
    maxMemory: 64 * GiB,
    // arm64 sizes ZONE_DMA from firmware limits, capped at 32 bits; with no
    // such limit both ZONE_DMA and ZONE_DMA32 end at 4 GiB, so DMA32 is empty.
    zones: [
      { name: 'DMA', end: 4 * GiB },
      { name: 'DMA32', end: 4 * GiB },
      { name: 'Normal', end: Number.POSITIVE_INFINITY },
    ],
  };
}

/** The architecture profiles, by name. */
export const ARCHES: Readonly<Record<ArchName, Arch>> = {
  x86_64: {
    name: 'x86_64',
    pageSize: 4 * KiB,
    pageShift: 12,
    levels: 4,
    levelBits: [9, 9, 9, 9],
    pteSize: 8,
    vaBits: 48,
    is64Bit: true,
    pageOffset: -0x778000000000, // 0xffff888000000000
    taskSize: LOW_HALF_48 - 4 * KiB, // TASK_SIZE_MAX: the last page is a guard
    directMapLimit: Number.POSITIVE_INFINITY,
    maxMemory: 64 * GiB,
    zones: [
      { name: 'DMA', end: 16 * MiB },
      { name: 'DMA32', end: 4 * GiB },
      { name: 'Normal', end: Number.POSITIVE_INFINITY },
    ],
  },
  i386: {
    name: 'i386',
    pageSize: 4 * KiB,
    pageShift: 12,
    levels: 2,
    levelBits: [10, 10],
    pteSize: 4,
    vaBits: 32,
    is64Bit: false,
    pageOffset: 0xc0000000,
    taskSize: 0xc0000000,
    directMapLimit: 896 * MiB,
    maxMemory: 4 * GiB,
    zones: [
      { name: 'DMA', end: 16 * MiB },
      { name: 'Normal', end: 896 * MiB },
      { name: 'HighMem', end: Number.POSITIVE_INFINITY },
    ],
  },
  // 4 KiB granule: 4 levels of 9 bits cover 48 bits.
  'arm64-4k': arm64('arm64-4k', 12, [9, 9, 9, 9]),
  // 16 KiB granule: 3 levels of 11 bits give 47; level 0 holds 2 entries.
  'arm64-16k': arm64('arm64-16k', 14, [1, 11, 11, 11]),
  // 64 KiB granule: 2 levels of 13 bits give 42; level 1 holds 64 entries.
  'arm64-64k': arm64('arm64-64k', 16, [6, 13, 13]),
};

/** The names of every architecture profile. */
export const ARCH_NAMES = Object.keys(ARCHES) as readonly ArchName[];

/**
 * The profile of an architecture by name.
 *
 * @throws KernelError `EINVAL` for an unknown name.
 */
export function getArch(name: string): Arch {
  if (typeof name !== 'string' || !Object.hasOwn(ARCHES, name)) {
    throw new KernelError(
      'EINVAL',
      `arch: unknown architecture ${typeof name === 'string' ? JSON.stringify(name) : describeValue(name)} (expected one of ${ARCH_NAMES.join(', ')})`,
    );
  }
  return ARCHES[name as ArchName];
}

/** The frames of one zone on a given machine. */
export interface ZoneSpan {
  readonly name: ZoneName;
  /** First frame of the zone. */
  readonly startPfn: number;
  /** One past the last frame; equal to `startPfn` when the zone is empty. */
  readonly endPfn: number;
}

/**
 * The zones an architecture configures on a machine with `memorySize`
 * bytes of RAM starting at physical address 0, and the frames each spans
 * (what the kernel prints as "Zone ranges" at boot). Zones beyond the end
 * of RAM are present and empty, as Linux prints them.
 */
export function zoneSpans(arch: Arch, memorySize: number): ZoneSpan[] {
  checkCount('zoneSpans', 'memory size', memorySize);
  const endPfn = Math.floor(memorySize / arch.pageSize);
  let start = 0;
  return arch.zones.map((zone) => {
    const end = Math.min(
      endPfn,
      Math.max(start, Math.floor(Math.min(zone.end, memorySize) / arch.pageSize)),
    );
    const span = { name: zone.name, startPfn: start, endPfn: end };
    start = end;
    return span;
  });
}
