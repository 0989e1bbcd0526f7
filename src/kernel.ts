/**
 * `Kernel.boot`: builds a machine from its layers, in the order
 * init/main.c and mm/mm_init.c bring them up.
 *
 * 1. Validate the whole configuration (nothing is built if any option is bad).
 * 2. Physical memory and the architecture profile (`setup_arch`).
 * 3. Early reservations (memblock): low firmware memory on x86, the kernel
 *    image, then the struct page array, allocated top-down like any early
 *    memblock allocation.
 * 4. The struct page array, with reserved frames marked `PG_reserved` and
 *    holding one reference (`reserve_bootmem_region`).
 *
 * Later layers (the buddy allocator, slab, virtual memory) are composed
 * here as they land; `Kernel` holds no logic of its own beyond wiring.
 */
import { type BootConfig, type BootOptions, parseBootOptions } from './boot-options.js';
import { Memblock } from './buddy/memblock.js';
import {
  inDirectMap,
  type Pfn,
  type PhysAddr,
  pfnToPhys,
  physToPfn,
  physToVirt,
  type VirtAddr,
  virtToPhys,
} from './page/address.js';
import { type Arch, getArch, type ZoneSpan, zoneSpans } from './page/arch.js';
import { KernelBug } from './page/errors.js';
import { KernelLog, LogLevel } from './page/kernel-log.js';
import { MemMap, STRUCT_PAGE_SIZE } from './page/mem-map.js';
import { PG } from './page/page-flags.js';
import { PhysicalMemory } from './page/physical-memory.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** `MAX_PAGE_ORDER`: the largest order the page allocator hands out. */
export const MAX_ORDER = 10;

/** A booted machine. */
export class Kernel {
  /** The validated boot configuration. */
  readonly config: BootConfig;
  /** The architecture profile. */
  readonly arch: Arch;
  /** Simulated RAM (its buffer is `memory.buffer`). */
  readonly memory: PhysicalMemory;
  /** Early reservations made during boot. */
  readonly memblock: Memblock;
  /** The struct page array. */
  readonly memMap: MemMap;
  /** The zones this machine has and the frames each spans. */
  readonly zoneSpans: readonly ZoneSpan[];
  /** The kernel log. */
  readonly log: KernelLog;
  /** `PAGE_SIZE`. */
  readonly PAGE_SIZE: number;
  /** `PAGE_SHIFT`. */
  readonly PAGE_SHIFT: number;
  /** `MAX_PAGE_ORDER`: orders 0..10 are valid. */
  readonly MAX_ORDER = MAX_ORDER;
  /** Simulated time since boot, in nanoseconds; advanced by the machine, never by the host clock. */
  private uptimeNs = 0;

  private constructor(config: BootConfig) {
    this.config = config;
    this.arch = getArch(config.arch);
    this.PAGE_SIZE = this.arch.pageSize;
    this.PAGE_SHIFT = this.arch.pageShift;
    this.log = new KernelLog(() => this.uptimeNs);
    this.memory = new PhysicalMemory(config.memory, this.arch.pageSize);
    this.zoneSpans = zoneSpans(this.arch, config.memory);
    this.memblock = new Memblock(config.memory, this.arch.pageSize);
    this.memMap = this.setupMemMap();
    this.printBootLog();
  }

  /**
   * Boots a machine.
   *
   * @throws KernelError `EINVAL` naming the option, for any bad option.
   *
   * @example
   * ```ts
   * const k = Kernel.boot({ arch: 'x86_64', memory: '64M' });
   * k.PAGE_SIZE; // 4096
   * console.log(k.dmesg());
   * ```
   */
  static boot(options: BootOptions = {}): Kernel {
    return new Kernel(parseBootOptions(options));
  }

  /** getpagesize(2). */
  getpagesize(): number {
    return this.PAGE_SIZE;
  }

  /** The kernel log as `dmesg` prints it. */
  dmesg(): string {
    return this.log.dmesg();
  }

  /** `__va`: the direct-map address of a physical address. */
  physToVirt(pa: number): VirtAddr {
    this.checkPhys('physToVirt', pa);
    return physToVirt(this.arch, pa);
  }

  /** `__pa`: the physical address behind a direct-map address. */
  virtToPhys(va: number): PhysAddr {
    const pa = virtToPhys(this.arch, va);
    this.checkPhys('virtToPhys', pa);
    return pa;
  }

  /** `virt_to_page`: the frame behind a direct-map address. */
  virtToPage(va: number): Pfn {
    return physToPfn(this.arch, this.virtToPhys(va));
  }

  /**
   * `page_address`: the direct-map address of a frame, or `null` for a
   * HighMem frame, which has no permanent kernel mapping.
   */
  pageAddress(pfn: number): VirtAddr | null {
    this.memMap.checkPfn('pageAddress', pfn);
    const pa = pfnToPhys(this.arch, pfn);
    return inDirectMap(this.arch, pa) ? physToVirt(this.arch, pa) : null;
  }

  private checkPhys(fn: string, pa: number): void {
    if (!(Number.isInteger(pa) && pa >= 0 && pa < this.memory.size)) {
      throw new KernelBug(
        `${fn}: physical address ${pa} is outside RAM (0..${this.memory.size - 1})`,
      );
    }
  }

  /** The early reservations of setup_arch, then the struct page array. */
  private setupMemMap(): MemMap {
    const { arch, memblock, memory } = this;
    const size = memory.size;
    if (arch.name === 'x86_64' || arch.name === 'i386') {
      // CONFIG_X86_RESERVE_LOW: the first 64 KiB belong to the BIOS.
      memblock.reserve(0, Math.max(64 * KiB, arch.pageSize), 'firmware');
    }
    // The kernel image: loaded at 16 MiB (CONFIG_PHYSICAL_START) where RAM
    // allows, lower on small machines; 1/32 of RAM at most 8 MiB.
    const imageSize = Math.max(
      arch.pageSize,
      alignDown(Math.min(8 * MiB, size / 32), arch.pageSize),
    );
    const low = memblock.reserved.reduce((end, r) => Math.max(end, r.base + r.size), 0);
    const imageBase = Math.max(low, alignDown(Math.min(16 * MiB, size / 4), arch.pageSize));
    memblock.reserve(imageBase, imageSize, 'kernel image');
    const frames = memory.frames;
    const limit = Math.min(size, arch.directMapLimit);
    const base = memblock.alloc(frames * STRUCT_PAGE_SIZE, arch.pageSize, 'mem_map', limit);
    if (base === null) throw new KernelBug('boot: no room for the struct page array');
    const memMap = new MemMap(memory, base, frames);
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
    return memMap;
  }

  private printBootLog(): void {
    const { arch, memory, log } = this;
    log.printk(LogLevel.NOTICE, `Linux version 6.18.0-mmsim (${arch.name}) #1 SMP`);
    log.printk(LogLevel.INFO, 'Zone ranges:');
    for (const zone of this.zoneSpans) {
      const range =
        zone.endPfn > zone.startPfn
          ? `[mem ${hex16(zone.startPfn * arch.pageSize)}-${hex16(zone.endPfn * arch.pageSize - 1)}]`
          : 'empty';
      log.printk(LogLevel.INFO, `  ${zone.name.padEnd(8)} ${range}`);
    }
    for (const region of this.memblock.reserved) {
      log.printk(
        LogLevel.INFO,
        `memblock_reserve: [${hex16(region.base)}-${hex16(region.base + region.size - 1)}] ${region.owner}`,
      );
    }
    log.printk(
      LogLevel.INFO,
      `mem_map: ${memory.frames} struct pages, ${this.memMap.bytes / KiB}K`,
    );
  }
}

function alignDown(x: number, align: number): number {
  return Math.floor(x / align) * align;
}

function hex16(x: number): string {
  return `0x${x.toString(16).padStart(16, '0')}`;
}
