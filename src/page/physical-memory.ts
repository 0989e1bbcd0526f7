/**
 * Simulated RAM.
 *
 * Physical memory is one or more `SharedArrayBuffer`s ("chunks") of 4 GiB
 * at most, the largest a typed array over a buffer can span here; machines
 * of 4 GiB or less have exactly one. The host commits a buffer's pages only
 * when they are first written, so untouched simulated RAM costs no host
 * memory. Frames never straddle chunks (a chunk is a multiple of any page
 * size), so the per-frame operations index one typed array.
 *
 * Views of each chunk at 8, 16, 32 and 64 bits are kept for the layers
 * above: page tables read 32-bit halves of 64-bit entries, SLUB stores its
 * free pointers in objects, and the fast page operations go through 32-bit
 * views because `Uint8Array.prototype.fill` on a `SharedArrayBuffer` is
 * about ten times slower than a 32-bit fill on this host (DESIGN.md).
 *
 * Byte order is little-endian, as on x86 and arm64 Linux. All multi-byte
 * accesses work at any alignment; aligned ones take the typed-array path.
 *
 * A `Worker` gets its own view of the same RAM with
 * `PhysicalMemory.attach(memory.buffers, memory.pageSize)`.
 */
import { showAddress } from './address.js';
import { KernelBug } from './errors.js';
import { checkByteArray, checkPageSize, checkStoreValue, describeValue } from './validate.js';

const MiB = 2 ** 20;
/** log2 of the largest chunk: 4 GiB. */
const CHUNK_SHIFT = 32;
const CHUNK_SIZE = 2 ** CHUNK_SHIFT;

/** Smallest simulated RAM: 1 MiB. */
export const MIN_MEMORY = MiB;
/** Largest simulated RAM: 64 GiB (16 chunks). */
export const MAX_MEMORY = 64 * 2 ** 30;

/** Whether the host stores typed arrays little-endian (every mainstream host does). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Simulated physical memory, byte-addressed by physical address. */
export class PhysicalMemory {
  /** Bytes of RAM. */
  readonly size: number;
  /** Bytes in a frame. */
  readonly pageSize: number;
  /** log2 of `pageSize`. */
  readonly pageShift: number;
  /** Number of frames (`size / pageSize`). */
  readonly frames: number;
  /** The shared buffers holding RAM, in physical-address order. */
  readonly buffers: readonly SharedArrayBuffer[];
  /** Per-chunk byte views. */
  readonly u8: readonly Uint8Array[];
  /** Per-chunk 16-bit views. */
  readonly u16: readonly Uint16Array[];
  /** Per-chunk unsigned 32-bit views. */
  readonly u32: readonly Uint32Array[];
  /** Per-chunk signed 32-bit views (the fast path for page zeroing and copying). */
  readonly i32: readonly Int32Array[];
  /** Per-chunk unsigned 64-bit views. */
  readonly u64: readonly BigUint64Array[];
  /** Frames per chunk, as a shift: `pfn >>> framesPerChunkShift` is the chunk. */
  private readonly frameChunkShift: number;
  private readonly frameOffsetMask: number;
  /** log2 of 32-bit words per frame. */
  private readonly wordsPerPageShift: number;
  private readonly wordsPerPage: number;
  private readonly views: readonly DataView[];

  /**
   * Creates `size` bytes of zeroed RAM.
   *
   * @param size - bytes, a multiple of `pageSize` between 1 MiB and 64 GiB.
   * @param pageSize - frame size in bytes, a power of two from 4 KiB to 64 KiB.
   * @throws KernelBug for a size or page size outside those rules.
   *
   * @example
   * ```ts
   * const ram = new PhysicalMemory(64 * 2 ** 20);
   * ram.store32(0x1000, 0xdeadbeef);
   * ram.load32(0x1000); // 0xdeadbeef
   * ```
   */
  constructor(size: number, pageSize = 4096) {
    PhysicalMemory.checkGeometry(size, pageSize);
    const buffers: SharedArrayBuffer[] = [];
    for (let base = 0; base < size; base += CHUNK_SIZE) {
      buffers.push(new SharedArrayBuffer(Math.min(CHUNK_SIZE, size - base)));
    }
    this.size = size;
    this.pageSize = pageSize;
    this.pageShift = Math.log2(pageSize);
    this.frames = size / pageSize;
    this.buffers = buffers;
    this.u8 = buffers.map((b) => new Uint8Array(b));
    this.u16 = buffers.map((b) => new Uint16Array(b));
    this.u32 = buffers.map((b) => new Uint32Array(b));
    this.i32 = buffers.map((b) => new Int32Array(b));
    this.u64 = buffers.map((b) => new BigUint64Array(b));
    this.views = buffers.map((b) => new DataView(b));
    this.frameChunkShift = CHUNK_SHIFT - this.pageShift;
    this.frameOffsetMask = 2 ** this.frameChunkShift - 1;
    this.wordsPerPageShift = this.pageShift - 2;
    this.wordsPerPage = pageSize / 4;
  }

  /**
   * A second view of the same RAM, for another `Worker` (or another part of
   * one program): writes through either are seen by both.
   *
   * @param buffers - `memory.buffers` of the machine to attach to.
   * @param pageSize - its `pageSize`.
   */
  static attach(buffers: readonly SharedArrayBuffer[], pageSize = 4096): PhysicalMemory {
    if (
      !Array.isArray(buffers) ||
      buffers.length === 0 ||
      !buffers.every((b) => b instanceof SharedArrayBuffer)
    ) {
      throw new KernelBug('PhysicalMemory.attach: expected a non-empty array of SharedArrayBuffer');
    }
    for (let i = 0; i < buffers.length - 1; i++) {
      if (buffers[i]?.byteLength !== CHUNK_SIZE) {
        throw new KernelBug(
          `PhysicalMemory.attach: buffer ${i} of ${buffers.length} holds ${buffers[i]?.byteLength} bytes; every buffer but the last must hold ${CHUNK_SIZE}`,
        );
      }
    }
    const size = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    const memory: PhysicalMemory = Object.create(PhysicalMemory.prototype);
    PhysicalMemory.checkGeometry(size, pageSize);
    const pageShift = Math.log2(pageSize);
    Object.assign(memory, {
      size,
      pageSize,
      pageShift,
      frames: size / pageSize,
      buffers: [...buffers],
      u8: buffers.map((b) => new Uint8Array(b)),
      u16: buffers.map((b) => new Uint16Array(b)),
      u32: buffers.map((b) => new Uint32Array(b)),
      i32: buffers.map((b) => new Int32Array(b)),
      u64: buffers.map((b) => new BigUint64Array(b)),
      views: buffers.map((b) => new DataView(b)),
      frameChunkShift: CHUNK_SHIFT - pageShift,
      frameOffsetMask: 2 ** (CHUNK_SHIFT - pageShift) - 1,
      wordsPerPageShift: pageShift - 2,
      wordsPerPage: pageSize / 4,
    });
    return memory;
  }

  private static checkGeometry(size: number, pageSize: number): void {
    if (!HOST_LITTLE_ENDIAN) {
      throw new KernelBug('PhysicalMemory: the host must store typed arrays little-endian');
    }
    checkPageSize('PhysicalMemory', pageSize);
    if (!Number.isInteger(size) || size < MIN_MEMORY || size > MAX_MEMORY) {
      throw new KernelBug(
        `PhysicalMemory: size ${describeValue(size)} is not an integer from ${MIN_MEMORY} to ${MAX_MEMORY}`,
      );
    }
    if (size % pageSize !== 0) {
      throw new KernelBug(
        `PhysicalMemory: size ${size} is not a multiple of the page size ${pageSize}`,
      );
    }
  }

  /** The single buffer of a machine of 4 GiB or less; the first chunk otherwise. */
  get buffer(): SharedArrayBuffer {
    return this.buffers[0] as SharedArrayBuffer;
  }

  // --- whole frames ------------------------------------------------------

  /** Fills frame `pfn` with zeroes (`clear_page`). */
  zeroPage(pfn: number): void {
    this.checkPfn('zeroPage', pfn);
    const words = this.i32[pfn >>> this.frameChunkShift] as Int32Array;
    const start = (pfn & this.frameOffsetMask) << this.wordsPerPageShift;
    words.fill(0, start, start + this.wordsPerPage);
  }

  /** Copies frame `src` over frame `dst` (`copy_page`). */
  copyPage(dst: number, src: number): void {
    this.checkPfn('copyPage', dst);
    this.checkPfn('copyPage', src);
    const dstWords = this.i32[dst >>> this.frameChunkShift] as Int32Array;
    const srcWords = this.i32[src >>> this.frameChunkShift] as Int32Array;
    const d = (dst & this.frameOffsetMask) << this.wordsPerPageShift;
    const s = (src & this.frameOffsetMask) << this.wordsPerPageShift;
    if (dstWords === srcWords) {
      dstWords.copyWithin(d, s, s + this.wordsPerPage);
    } else {
      for (let i = 0; i < this.wordsPerPage; i++) dstWords[d + i] = srcWords[s + i] as number;
    }
  }

  /** Fills `2 ** order` frames from `pfn` with zeroes. */
  zeroPages(pfn: number, order: number): void {
    const count = 2 ** order;
    this.checkPfn('zeroPages', pfn);
    this.checkPfn('zeroPages', pfn + count - 1);
    for (let i = 0; i < count; i++) this.zeroPage(pfn + i);
  }

  /**
   * Whether every byte of frame `pfn` is zero. A scan of one frame, for
   * tests and debug checks, never for hot paths.
   */
  isPageZero(pfn: number): boolean {
    this.checkPfn('isPageZero', pfn);
    const words = this.i32[pfn >>> this.frameChunkShift] as Int32Array;
    const start = (pfn & this.frameOffsetMask) << this.wordsPerPageShift;
    for (let i = start, end = start + this.wordsPerPage; i < end; i++) {
      if (words[i] !== 0) return false;
    }
    return true;
  }

  /**
   * Makes `[pa, pa + len)` zero, writing only the 32-bit words that are not
   * zero already: on fresh RAM this reads and commits no host memory, which
   * is how boot clears its metadata without paying for untouched RAM.
   * `pa` and `len` must be multiples of 4.
   */
  clearRange(pa: number, len: number): void {
    this.checkRange('clearRange', pa, len);
    if (pa % 4 !== 0 || len % 4 !== 0) {
      throw new KernelBug(`clearRange: ${showAddress(pa)}+${len} is not 4-byte aligned`);
    }
    let done = 0;
    while (done < len) {
      const at = pa + done;
      const chunk = Math.floor(at / CHUNK_SIZE);
      const off = at - chunk * CHUNK_SIZE;
      const n = Math.min(len - done, CHUNK_SIZE - off);
      const words = this.i32[chunk] as Int32Array;
      for (let i = off / 4, end = (off + n) / 4; i < end; i++) {
        if (words[i] !== 0) words[i] = 0;
      }
      done += n;
    }
  }

  // --- byte ranges -------------------------------------------------------

  /** A copy of `len` bytes starting at physical address `pa`. */
  read(pa: number, len: number): Uint8Array {
    this.checkRange('read', pa, len);
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const at = pa + done;
      const chunk = Math.floor(at / CHUNK_SIZE);
      const off = at - chunk * CHUNK_SIZE;
      const n = Math.min(len - done, CHUNK_SIZE - off);
      out.set((this.u8[chunk] as Uint8Array).subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  /** Copies `bytes` into RAM starting at physical address `pa`. */
  write(pa: number, bytes: ArrayLike<number>): void {
    checkByteArray('write', bytes);
    this.checkRange('write', pa, bytes.length);
    const src = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    let done = 0;
    while (done < src.length) {
      const at = pa + done;
      const chunk = Math.floor(at / CHUNK_SIZE);
      const off = at - chunk * CHUNK_SIZE;
      const n = Math.min(src.length - done, CHUNK_SIZE - off);
      (this.u8[chunk] as Uint8Array).set(src.subarray(done, done + n), off);
      done += n;
    }
  }

  // --- loads and stores --------------------------------------------------

  /** The byte at `pa`. */
  load8(pa: number): number {
    this.checkRange('load8', pa, 1);
    const chunk = Math.floor(pa / CHUNK_SIZE);
    return (this.u8[chunk] as Uint8Array)[pa - chunk * CHUNK_SIZE] as number;
  }

  /** The little-endian 16-bit value at `pa`. */
  load16(pa: number): number {
    this.checkRange('load16', pa, 2);
    if ((pa & 1) === 0) {
      return (this.u16[Math.floor(pa / CHUNK_SIZE)] as Uint16Array)[
        offsetInChunk(pa) / 2
      ] as number;
    }
    return this.loadBytes(pa, 2);
  }

  /** The little-endian unsigned 32-bit value at `pa`. */
  load32(pa: number): number {
    this.checkRange('load32', pa, 4);
    if ((pa & 3) === 0) {
      return (this.u32[Math.floor(pa / CHUNK_SIZE)] as Uint32Array)[
        offsetInChunk(pa) / 4
      ] as number;
    }
    return this.loadBytes(pa, 4);
  }

  /** The little-endian unsigned 64-bit value at `pa`. */
  load64(pa: number): bigint {
    this.checkRange('load64', pa, 8);
    const chunk = Math.floor(pa / CHUNK_SIZE);
    const off = offsetInChunk(pa);
    if (off + 8 <= CHUNK_SIZE) return (this.views[chunk] as DataView).getBigUint64(off, true);
    const lo = BigInt(this.loadBytes(pa, 4));
    const hi = BigInt(this.loadBytes(pa + 4, 4));
    return (hi << 32n) | lo;
  }

  /** Stores the low 8 bits of `value` at `pa`. */
  store8(pa: number, value: number): void {
    this.checkRange('store8', pa, 1);
    checkStoreValue('store8', value, 8);
    const chunk = Math.floor(pa / CHUNK_SIZE);
    (this.u8[chunk] as Uint8Array)[pa - chunk * CHUNK_SIZE] = value;
  }

  /** Stores `value` (16 bits) little-endian at `pa`. */
  store16(pa: number, value: number): void {
    this.checkRange('store16', pa, 2);
    checkStoreValue('store16', value, 16);
    if ((pa & 1) === 0) {
      const chunk = Math.floor(pa / CHUNK_SIZE);
      (this.u16[chunk] as Uint16Array)[(pa - chunk * CHUNK_SIZE) / 2] = value;
    } else {
      this.storeBytes(pa, 2, value);
    }
  }

  /** Stores `value` (32 bits) little-endian at `pa`. */
  store32(pa: number, value: number): void {
    this.checkRange('store32', pa, 4);
    checkStoreValue('store32', value, 32);
    if ((pa & 3) === 0) {
      const chunk = Math.floor(pa / CHUNK_SIZE);
      (this.u32[chunk] as Uint32Array)[(pa - chunk * CHUNK_SIZE) / 4] = value;
    } else {
      this.storeBytes(pa, 4, value);
    }
  }

  /** Stores `value` (an unsigned 64-bit bigint) little-endian at `pa`. */
  store64(pa: number, value: bigint): void {
    this.checkRange('store64', pa, 8);
    if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) {
      throw new KernelBug(`store64: value ${String(value)} is not an unsigned 64-bit bigint`);
    }
    const chunk = Math.floor(pa / CHUNK_SIZE);
    const off = offsetInChunk(pa);
    if (off + 8 <= CHUNK_SIZE) {
      (this.views[chunk] as DataView).setBigUint64(off, value, true);
    } else {
      this.storeBytes(pa, 4, Number(value & 0xffffffffn));
      this.storeBytes(pa + 4, 4, Number(value >> 32n));
    }
  }

  private loadBytes(pa: number, n: number): number {
    let value = 0;
    for (let i = n - 1; i >= 0; i--) {
      const at = pa + i;
      value =
        value * 256 +
        ((this.u8[Math.floor(at / CHUNK_SIZE)] as Uint8Array)[offsetInChunk(at)] as number);
    }
    return value;
  }

  private storeBytes(pa: number, n: number, value: number): void {
    let v = value;
    for (let i = 0; i < n; i++) {
      const at = pa + i;
      (this.u8[Math.floor(at / CHUNK_SIZE)] as Uint8Array)[offsetInChunk(at)] = v & 0xff;
      v = Math.floor(v / 256);
    }
  }

  private checkPfn(fn: string, pfn: number): void {
    if (!(Number.isInteger(pfn) && pfn >= 0 && pfn < this.frames)) {
      throw new KernelBug(
        `${fn}: pfn ${describeValue(pfn)} is outside RAM (0..${this.frames - 1})`,
      );
    }
  }

  private checkRange(fn: string, pa: number, len: number): void {
    if (!Number.isInteger(len) || len < 0) {
      throw new KernelBug(`${fn}: length ${describeValue(len)} is not a non-negative integer`);
    }
    if (!Number.isInteger(pa) || pa < 0 || pa + len > this.size) {
      throw new KernelBug(
        `${fn}: physical range ${showAddress(pa)}+${len} is outside RAM (0..${showAddress(this.size)})`,
      );
    }
  }
}

/** `x % CHUNK_SIZE` without a floating-point remainder (which V8 computes with fmod). */
function offsetInChunk(x: number): number {
  return x - Math.floor(x / CHUNK_SIZE) * CHUNK_SIZE;
}
