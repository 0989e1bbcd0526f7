/**
 * Backing stores of a swap area: where swapped-out pages actually go. This
 * stands for the block device or swap file under a `swap_info_struct` and
 * for the I/O path of mm/page_io.c (`swap_writepage`, `swap_read_folio`),
 * reduced to synchronous whole-page transfers between a slot and a frame of
 * simulated RAM.
 *
 * A store knows nothing of which slots are in use: that is the
 * `SwapArea`'s `swap_map`. It only moves bytes, and it keeps the one
 * promise a swap device keeps: a slot reads back what was last written to
 * it, and a slot never written reads as zeroes.
 *
 * Two implementations:
 *
 * - {@link SimSwapStore} keeps pages in host memory outside simulated RAM,
 *   in fixed-size segments (about 1 MiB each) allocated when a slot in them
 *   is first written, so a large untouched swap costs nothing.
 * - {@link FileSwapStore} keeps pages in a real host file through `node:fs`,
 *   created sparse with `ftruncate`, read and written with positioned
 *   `readSync`/`writeSync` straight from the `SharedArrayBuffer` that holds
 *   simulated RAM (Node 20 accepts SAB-backed views there, checked by the
 *   tests), so there is no bounce buffer.
 *
 * Copies between RAM and a segment go through 32-bit views
 * (`Int32Array.prototype.set`), never byte loops or `Uint8Array.fill` on the
 * SharedArrayBuffer, which are several times slower (DESIGN.md).
 *
 * Invariants: slot numbers are `0 .. slots - 1` (slot 0 is the area's swap
 * header, which the store treats like any other slot); every transfer is
 * exactly one page of `pageSize` bytes, which must equal the RAM's page
 * size; after `close()` every transfer is rejected.
 */
import { KernelBug } from '../../page/errors.js';
import type { PhysicalMemory } from '../../page/physical-memory.js';
import { checkPageSize } from '../../page/validate.js';

/**
 * Node's `fs` and `path`, looked up when a file store is made rather than
 * imported, so that the library loads in a browser or a Worker that has
 * neither (`process.getBuiltinModule`, Node 20.16 and later).
 */
function nodeModules(): { fs: typeof import('node:fs'); path: typeof import('node:path') } {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  const fs = proc?.getBuiltinModule?.('node:fs');
  const path = proc?.getBuiltinModule?.('node:path');
  if (fs === undefined || path === undefined) {
    throw new KernelBug('FileSwapStore: a swap file needs Node.js 20.16 or later (node:fs)');
  }
  return { fs, path };
}

/**
 * What a swap area keeps its pages on: a device or file of `slots` pages.
 *
 * Counterpart: the `swap_file`/`bdev` of `struct swap_info_struct` and the
 * page I/O of mm/page_io.c (`swap_read_folio`, `swap_writepage`).
 */
export interface SwapStore {
  /** Pages the store holds, the swap header's slot 0 included. */
  readonly slots: number;
  /** Bytes per slot: the page size of the machine it serves. */
  readonly pageSize: number;
  /**
   * What /proc/swaps prints as `Filename`: the host path of a file, or a
   * device name such as `/dev/mmsim-swap` for a simulated store.
   */
  readonly description: string;
  /**
   * What /proc/swaps prints as `Type`: `partition` for a block device,
   * `file` for a swap file. Optional; a store without it is shown as a
   * partition (as zram and other block devices are).
   */
  readonly kind?: 'partition' | 'file';
  /**
   * Copies slot `slot` into frame `pfn` of `memory` (a slot never written
   * reads as zeroes).
   * @throws KernelBug on a slot out of range, a pfn outside RAM, a page-size
   * mismatch, or a closed store.
   */
  readPage(slot: number, memory: PhysicalMemory, pfn: number): void;
  /**
   * Copies frame `pfn` of `memory` into slot `slot`.
   * @throws KernelBug as {@link SwapStore.readPage}.
   */
  writePage(slot: number, memory: PhysicalMemory, pfn: number): void;
  /** Releases the store's host resources (`swapoff`'s `filp_close`). Idempotent. */
  close(): void;
}

/** Bytes of host memory a {@link SimSwapStore} allocates at a time. */
const SEGMENT_BYTES = 2 ** 20;

/** Largest slot count: slot numbers are kept in `Int32Array`s. */
const MAX_SLOTS = 2 ** 31 - 1;

function checkGeometry(who: string, slots: number, pageSize: number): void {
  if (!Number.isInteger(slots) || slots < 1 || slots > MAX_SLOTS) {
    throw new KernelBug(`${who}: slots ${slots} is not an integer from 1 to ${MAX_SLOTS}`);
  }
  checkPageSize(who, pageSize);
}

/** Validates one page transfer, before anything is read or written. */
function checkTransfer(
  fn: string,
  slot: number,
  slots: number,
  pageSize: number,
  closed: boolean,
  memory: PhysicalMemory,
  pfn: number,
): void {
  if (closed) throw new KernelBug(`${fn}: the store is closed`);
  if (!Number.isInteger(slot) || slot < 0 || slot >= slots) {
    throw new KernelBug(`${fn}: slot ${slot} is out of range (0..${slots - 1})`);
  }
  if (memory.pageSize !== pageSize) {
    throw new KernelBug(
      `${fn}: RAM page size ${memory.pageSize} differs from the store's page size ${pageSize}`,
    );
  }
  if (!Number.isInteger(pfn) || pfn < 0 || pfn >= memory.frames) {
    throw new KernelBug(`${fn}: pfn ${pfn} is outside RAM (0..${memory.frames - 1})`);
  }
}

/**
 * Bytes per RAM chunk: every buffer but the last is a full chunk, and on a
 * single-buffer machine every frame is in chunk 0 whatever this returns.
 */
function chunkBytes(memory: PhysicalMemory): number {
  return (memory.buffers[0] as SharedArrayBuffer).byteLength;
}

/**
 * A swap device in host memory, outside simulated RAM: the simulated
 * counterpart of a swap partition. Pages live in segments of about 1 MiB
 * allocated on first write; a read from a segment never allocated zeroes
 * the frame without allocating anything.
 *
 * Counterpart: a block device under `swapon` (shown as `partition` in
 * /proc/swaps).
 *
 * @example
 * ```ts
 * const store = new SimSwapStore(1024, 4096); // 4 MiB of swap, 1023 usable pages
 * const area = new SwapArea(store);
 * ```
 */
export class SimSwapStore implements SwapStore {
  /** Pages in the store, the header's slot 0 included. */
  readonly slots: number;
  /** Bytes per slot. */
  readonly pageSize: number;
  /** The device name /proc/swaps shows (default `/dev/mmsim-swap`). */
  readonly description: string;
  /** Shown as `partition` in /proc/swaps. */
  readonly kind = 'partition' as const;
  /** Slots per segment (a power of two). */
  private readonly segmentSlots: number;
  private readonly segmentShift: number;
  private readonly wordsPerPage: number;
  private segments: (Int32Array | undefined)[];
  private closed = false;

  /**
   * @param slots - pages in the store, header slot included: an integer from 1 to 2^31 - 1.
   * @param pageSize - bytes per page, a power of two from 4096 to 65536.
   * @param description - the name /proc/swaps shows (default `/dev/mmsim-swap`).
   * @throws KernelBug on a bad slot count, page size or description.
   */
  constructor(slots: number, pageSize: number, description = '/dev/mmsim-swap') {
    checkGeometry('SimSwapStore', slots, pageSize);
    if (typeof description !== 'string' || description === '') {
      throw new KernelBug('SimSwapStore: description must be a non-empty string');
    }
    this.slots = slots;
    this.pageSize = pageSize;
    this.description = description;
    this.segmentSlots = SEGMENT_BYTES / pageSize;
    this.segmentShift = Math.log2(this.segmentSlots);
    this.wordsPerPage = pageSize / 4;
    this.segments = new Array<Int32Array | undefined>(Math.ceil(slots / this.segmentSlots)).fill(
      undefined,
    );
  }

  /** Host bytes held by allocated segments (0 until a slot is first written). */
  get residentBytes(): number {
    let bytes = 0;
    for (const s of this.segments) if (s !== undefined) bytes += s.byteLength;
    return bytes;
  }

  /**
   * Copies slot `slot` into frame `pfn`; a slot never written reads as zeroes.
   * Counterpart: `swap_read_folio`.
   * @throws KernelBug on a bad slot or pfn, a page-size mismatch or a closed store.
   */
  readPage(slot: number, memory: PhysicalMemory, pfn: number): void {
    checkTransfer(
      'SimSwapStore.readPage',
      slot,
      this.slots,
      this.pageSize,
      this.closed,
      memory,
      pfn,
    );
    const segment = this.segments[slot >>> this.segmentShift];
    if (segment === undefined) {
      memory.zeroPage(pfn);
      return;
    }
    const per = chunkBytes(memory);
    const pa = pfn * this.pageSize;
    const chunk = Math.floor(pa / per);
    const ram = memory.i32[chunk] as Int32Array;
    const dst = (pa - chunk * per) / 4;
    const src = (slot & (this.segmentSlots - 1)) * this.wordsPerPage;
    ram.set(segment.subarray(src, src + this.wordsPerPage), dst);
  }

  /**
   * Copies frame `pfn` into slot `slot`, allocating its segment on first use.
   * Counterpart: `swap_writepage`.
   * @throws KernelBug on a bad slot or pfn, a page-size mismatch or a closed store.
   */
  writePage(slot: number, memory: PhysicalMemory, pfn: number): void {
    checkTransfer(
      'SimSwapStore.writePage',
      slot,
      this.slots,
      this.pageSize,
      this.closed,
      memory,
      pfn,
    );
    const index = slot >>> this.segmentShift;
    let segment = this.segments[index];
    if (segment === undefined) {
      // The last segment holds only the slots that exist.
      const inSegment = Math.min(this.segmentSlots, this.slots - index * this.segmentSlots);
      segment = new Int32Array(inSegment * this.wordsPerPage);
      this.segments[index] = segment;
    }
    const per = chunkBytes(memory);
    const pa = pfn * this.pageSize;
    const chunk = Math.floor(pa / per);
    const ram = memory.i32[chunk] as Int32Array;
    const src = (pa - chunk * per) / 4;
    segment.set(
      ram.subarray(src, src + this.wordsPerPage),
      (slot & (this.segmentSlots - 1)) * this.wordsPerPage,
    );
  }

  /** Drops every segment; later transfers throw. Idempotent. */
  close(): void {
    this.closed = true;
    this.segments = [];
  }
}

/**
 * A swap file on the host: `slots * pageSize` bytes at `path`, created (or
 * truncated) and sized sparse at construction, so it takes disk blocks only
 * for slots written. Slot `n` is at byte offset `n * pageSize`.
 *
 * The file holds raw pages only: slot 0 is left for the swap header but no
 * `mkswap` signature is written, so the host cannot `swapon` it.
 *
 * Host I/O errors (a full disk, a file removed under the store) surface as
 * the `node:fs` error thrown by the failing call.
 *
 * Counterpart: a regular file under `swapon` (shown as `file` in /proc/swaps).
 *
 * @example
 * ```ts
 * const store = new FileSwapStore('/tmp/mmsim.swap', 1024, 4096);
 * // ... use it under a SwapArea ...
 * store.close();
 * ```
 */
export class FileSwapStore implements SwapStore {
  /** Pages in the file, the header's slot 0 included. */
  readonly slots: number;
  /** Bytes per slot. */
  readonly pageSize: number;
  /** The absolute host path (as `d_path` would print it). */
  readonly description: string;
  /** Shown as `file` in /proc/swaps. */
  readonly kind = 'file' as const;
  /** The open file descriptor, -1 once closed. */
  private fd: number;
  private readonly fs: typeof import('node:fs');

  /**
   * Creates or truncates `path` and sizes it to `slots * pageSize` bytes.
   * @param path - host path of the swap file; relative paths are resolved against the working directory.
   * @param slots - pages in the file, header slot included: an integer from 1 to 2^31 - 1.
   * @param pageSize - bytes per page, a power of two from 4096 to 65536.
   * @throws KernelBug on a bad path, slot count or page size; the `node:fs`
   * error when the file cannot be created or sized (no file descriptor is left open).
   */
  constructor(path: string, slots: number, pageSize: number) {
    if (typeof path !== 'string' || path === '') {
      throw new KernelBug('FileSwapStore: path must be a non-empty string');
    }
    checkGeometry('FileSwapStore', slots, pageSize);
    const { fs, path: paths } = nodeModules();
    const fd = fs.openSync(path, 'w+');
    try {
      fs.ftruncateSync(fd, slots * pageSize);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    this.fs = fs;
    this.fd = fd;
    this.slots = slots;
    this.pageSize = pageSize;
    this.description = paths.resolve(path);
  }

  /**
   * Reads slot `slot` from the file into frame `pfn`, straight into the
   * SharedArrayBuffer; a slot never written reads as zeroes (a hole).
   * Counterpart: `swap_read_folio`.
   * @throws KernelBug on a bad slot or pfn, a page-size mismatch or a closed store.
   */
  readPage(slot: number, memory: PhysicalMemory, pfn: number): void {
    const { ram, at, position } = this.transfer('FileSwapStore.readPage', slot, memory, pfn);
    let done = 0;
    while (done < this.pageSize) {
      const n = this.fs.readSync(this.fd, ram, at + done, this.pageSize - done, position + done);
      if (n === 0) break;
      done += n;
    }
    // Only if the file was shortened behind our back: past end of file reads
    // as zeroes, like a hole. A cold path, so a byte fill is acceptable.
    if (done < this.pageSize) ram.fill(0, at + done, at + this.pageSize);
  }

  /**
   * Writes frame `pfn` to slot `slot` of the file, straight from the
   * SharedArrayBuffer. Counterpart: `swap_writepage`.
   * @throws KernelBug on a bad slot or pfn, a page-size mismatch or a closed store.
   */
  writePage(slot: number, memory: PhysicalMemory, pfn: number): void {
    const { ram, at, position } = this.transfer('FileSwapStore.writePage', slot, memory, pfn);
    let done = 0;
    while (done < this.pageSize) {
      done += this.fs.writeSync(this.fd, ram, at + done, this.pageSize - done, position + done);
    }
  }

  /**
   * Checks a transfer, then finds frame `pfn` in RAM: the byte view of its
   * 4 GiB chunk, the frame's offset there, and the slot's offset in the file.
   */
  private transfer(
    fn: string,
    slot: number,
    memory: PhysicalMemory,
    pfn: number,
  ): { ram: Uint8Array; at: number; position: number } {
    checkTransfer(fn, slot, this.slots, this.pageSize, this.fd < 0, memory, pfn);
    const per = chunkBytes(memory);
    const pa = pfn * this.pageSize;
    const chunk = Math.floor(pa / per);
    return {
      ram: memory.u8[chunk] as Uint8Array,
      at: pa - chunk * per,
      position: slot * this.pageSize,
    };
  }

  /** Closes the file (it stays on the host; remove it yourself). Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    this.fs.closeSync(fd);
  }
}
