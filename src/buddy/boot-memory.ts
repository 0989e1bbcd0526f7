/**
 * Early boot: what the kernel claims of RAM before the page allocator runs
 * (setup_arch's reservations, then mm_init's allocations), and the struct
 * page array initialised over it.
 *
 * Reservations, in order:
 * - `firmware`: the first 64 KiB on x86 (CONFIG_X86_RESERVE_LOW).
 * - `kernel image`: at 16 MiB (CONFIG_PHYSICAL_START) where RAM allows,
 *   lower on small machines; 1/32 of RAM, at most 8 MiB.
 * - `mem_map`: the struct page array, 32 bytes a frame.
 * - `pageblock_flags`: one byte a pageblock (its migratetype).
 * - `node_data`: zone state and per-CPU lists (see zone.ts).
 *
 * The last three are memblock allocations, top-down below the direct-map
 * limit, like every early allocation. They are cleared with
 * `clearRange`, which writes only words that are not zero, so boot does
 * not commit host memory for RAM nobody has touched.
 */
import type { Arch } from '../page/arch.js';
import { KernelBug } from '../page/errors.js';
import { MemMap, STRUCT_PAGE_SIZE } from '../page/mem-map.js';
import { PG } from '../page/page-flags.js';
import type { PhysicalMemory } from '../page/physical-memory.js';
import { Memblock } from './memblock.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** What early boot set up. */
export interface BootMemory {
  readonly memblock: Memblock;
  readonly memMap: MemMap;
  /** Migratetype of each pageblock (`pageblock_flags`). */
  readonly pageblockMigratetype: Uint8Array;
  /** Zone state and per-CPU page sets (`node_data`). */
  readonly nodeData: Int32Array;
}

/** Options of early boot. */
export interface BootMemoryOptions {
  /** Reserve firmware memory and a kernel image (default true); false gives the allocator all of RAM but its own metadata. */
  readonly reserveKernel: boolean;
  /** Bytes of node data to allocate. */
  readonly nodeDataBytes: number;
  /** Number of pageblocks. */
  readonly pageblocks: number;
}

function alignDown(x: number, align: number): number {
  return Math.floor(x / align) * align;
}

function allocOrPanic(
  memblock: Memblock,
  bytes: number,
  arch: Arch,
  owner: string,
  memorySize: number,
): number {
  const base = memblock.alloc(
    bytes,
    arch.pageSize,
    owner,
    Math.min(memorySize, arch.directMapLimit),
  );
  if (base === null) throw new KernelBug(`boot: no room in RAM for ${owner} (${bytes} bytes)`);
  return base;
}

/** Reserves and initialises the early-boot memory of a machine. */
export function setupBootMemory(
  memory: PhysicalMemory,
  arch: Arch,
  options: BootMemoryOptions,
): BootMemory {
  const size = memory.size;
  const memblock = new Memblock(size, arch.pageSize);
  if (options.reserveKernel) {
    if (arch.name === 'x86_64' || arch.name === 'i386') {
      memblock.reserve(0, Math.max(64 * KiB, arch.pageSize), 'firmware');
    }
    const imageSize = Math.max(
      arch.pageSize,
      alignDown(Math.min(8 * MiB, size / 32), arch.pageSize),
    );
    const low = memblock.reserved.reduce((end, r) => Math.max(end, r.base + r.size), 0);
    const imageBase = Math.max(low, alignDown(Math.min(16 * MiB, size / 4), arch.pageSize));
    memblock.reserve(imageBase, imageSize, 'kernel image');
  }
  const frames = memory.frames;
  const memMapBase = allocOrPanic(memblock, frames * STRUCT_PAGE_SIZE, arch, 'mem_map', size);
  const pageblockBase = allocOrPanic(memblock, options.pageblocks, arch, 'pageblock_flags', size);
  const nodeBase = allocOrPanic(memblock, options.nodeDataBytes, arch, 'node_data', size);
  memory.clearRange(memMapBase, frames * STRUCT_PAGE_SIZE);
  memory.clearRange(pageblockBase, Math.ceil(options.pageblocks / 4) * 4);
  memory.clearRange(nodeBase, options.nodeDataBytes);

  const memMap = new MemMap(memory, memMapBase, frames);
  const chunkOf = (pa: number) => memory.buffers[Math.floor(pa / 2 ** 32)] as SharedArrayBuffer;
  const pageblockMigratetype = new Uint8Array(
    chunkOf(pageblockBase),
    pageblockBase % 2 ** 32,
    options.pageblocks,
  );
  const nodeData = new Int32Array(chunkOf(nodeBase), nodeBase % 2 ** 32, options.nodeDataBytes / 4);

  // reserve_bootmem_region: reserved frames are PG_reserved with one reference.
  for (const region of memblock.reserved) {
    const first = region.base / arch.pageSize;
    const last = first + region.size / arch.pageSize;
    for (let pfn = first; pfn < last; pfn++) {
      memMap.initPage(pfn);
      memMap.setFlag(pfn, PG.reserved);
      memMap.setPageRefcount(pfn, 1);
    }
  }
  return { memblock, memMap, pageblockMigratetype, nodeData };
}
