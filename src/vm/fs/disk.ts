/**
 * The simulated block device under mmsim's file system: it stands for the
 * block layer and a disk (`struct block_device`, `submit_bio`), reduced to
 * synchronous whole-block reads and writes.
 *
 * This file owns the disk's contents and its I/O counters. The contents live
 * outside simulated RAM (a JS `Map`), so file data costs no physical frames
 * until the page cache reads it in. Blocks are stored sparsely: a block that
 * was never written (or was discarded) reads as zeroes and takes no memory.
 * `reads` and `writes` count block I/Os; they are what later feeds
 * `pgpgin`/`pgpgout` in `/proc/vmstat`.
 */
import { KernelBug, KernelError } from '../../page/errors.js';

/** Options of {@link SimDisk}. */
export interface SimDiskOptions {
  /**
   * Capacity in blocks (default: unlimited). {@link SimDisk.checkCapacity}
   * reports `ENOSPC` once this many blocks are in use.
   */
  readonly blocks?: number;
}

/**
 * A block device outside simulated RAM: blocks of `blockSize` bytes, stored
 * sparsely (absent blocks read as zeroes).
 */
export class SimDisk {
  /** Bytes per block; mmsim uses the page size, so one block holds one file page. */
  readonly blockSize: number;
  /** Capacity in blocks (`Infinity` when unlimited). */
  readonly capacity: number;
  /** Block reads performed (each one block of I/O; feeds `pgpgin`). */
  reads = 0;
  /** Block writes performed (each one block of I/O; feeds `pgpgout`). */
  writes = 0;
  private readonly data = new Map<number, Uint8Array>();

  /**
   * @param blockSize - bytes per block: a power of two, at least 512.
   * @param options - capacity.
   * @throws KernelBug on a bad block size or capacity.
   */
  constructor(blockSize: number, options: SimDiskOptions = {}) {
    if (!Number.isInteger(blockSize) || blockSize < 512 || (blockSize & (blockSize - 1)) !== 0) {
      throw new KernelBug(`SimDisk: block size ${blockSize} is not a power of two >= 512`);
    }
    const capacity = options.blocks ?? Number.POSITIVE_INFINITY;
    if (capacity !== Number.POSITIVE_INFINITY && (!Number.isInteger(capacity) || capacity < 0)) {
      throw new KernelBug(`SimDisk: capacity ${capacity} is not a non-negative integer`);
    }
    this.blockSize = blockSize;
    this.capacity = capacity;
  }

  /** Blocks currently holding data (written and not discarded). */
  get blocksUsed(): number {
    return this.data.size;
  }

  /**
   * Reads block `n` into `into[offset, offset + blockSize)`. A block never
   * written reads as zeroes. Counts one read.
   * @throws KernelBug on a bad block number or a buffer too small.
   */
  readBlock(n: number, into: Uint8Array, offset: number): void {
    this.check('readBlock', n, into, offset);
    const block = this.data.get(n);
    if (block === undefined) into.fill(0, offset, offset + this.blockSize);
    else into.set(block, offset);
    this.reads++;
  }

  /**
   * Writes `from[offset, offset + blockSize)` to block `n`. Counts one write.
   * @throws KernelBug on a bad block number or a buffer too small.
   */
  writeBlock(n: number, from: Uint8Array, offset: number): void {
    this.check('writeBlock', n, from, offset);
    let block = this.data.get(n);
    if (block === undefined) {
      block = new Uint8Array(this.blockSize);
      this.data.set(n, block);
    }
    block.set(from.subarray(offset, offset + this.blockSize));
    this.writes++;
  }

  /**
   * Forgets block `n` (like a TRIM/discard): it reads as zeroes again and no
   * longer counts in {@link SimDisk.blocksUsed}. Not an I/O.
   * @throws KernelBug on a bad block number.
   */
  discard(n: number): void {
    this.checkBlock('discard', n);
    this.data.delete(n);
  }

  /**
   * Checks that `more` further blocks fit on the disk given `inUse` blocks
   * allocated by the file system.
   * @throws KernelError `ENOSPC` when they do not.
   */
  checkCapacity(inUse: number, more: number): void {
    if (inUse + more > this.capacity) {
      throw new KernelError('ENOSPC', `disk full (${this.capacity} blocks)`);
    }
  }

  private checkBlock(fn: string, n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= this.capacity) {
      throw new KernelBug(`SimDisk.${fn}: block ${n} is out of range`);
    }
  }

  private check(fn: string, n: number, buf: Uint8Array, offset: number): void {
    this.checkBlock(fn, n);
    if (!Number.isInteger(offset) || offset < 0 || offset + this.blockSize > buf.length) {
      throw new KernelBug(
        `SimDisk.${fn}: buffer of ${buf.length} bytes cannot hold a block at offset ${offset}`,
      );
    }
  }
}
