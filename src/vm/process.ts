/**
 * A process: a pid, a name, an address space, and user-mode access to its
 * memory. `fork` copies the address space copy-on-write; `exit` gives
 * every frame and table back. A process that has exited or was killed
 * refuses further use.
 */
import { KernelBug, KernelError } from '../page/errors.js';
import type { AddressSpace } from './address-space.js';
import { FileTable } from './fs/file-table.js';
import { Libc } from './libc.js';
import { dupMmap, exitMmap } from './mm-ops.js';
import { Syscalls } from './syscalls/index.js';
import type { VmSystem } from './vm-system.js';

/** Where a process is in its life. */
export type ProcessState = 'running' | 'exited' | 'killed';

const TWO_32 = 2 ** 32;

/** A user process. */
export class Process {
  state: ProcessState = 'running';
  /** The first 4 GiB of RAM as 32-bit words, held for the load/store fast path. */
  private readonly ram0: Uint32Array;
  /** `oom_score_adj`, -1000..1000: added to the OOM badness in thousandths of memory; -1000 exempts the process. */
  oomScoreAdj = 0;
  /**
   * Chosen by the OOM killer while it was running (its own fault or system
   * call needed the memory): its state is `'killed'` and it is torn down on
   * the way out of the kernel.
   */
  oomKilled = false;
  /** The memory system calls (kernel ABI: a result or -errno). */
  readonly sys: Syscalls;
  /** The C library's wrappers (-1 and `errno` on failure). */
  readonly libc: Libc;
  /** Open file descriptors. */
  readonly files: FileTable;

  constructor(
    /** The VM subsystem. */
    readonly vm: VmSystem,
    /** Process id. */
    readonly pid: number,
    /** `comm`, as /proc/<pid>/status prints it. */
    readonly name: string,
    /** The address space (`mm_struct`). */
    readonly mm: AddressSpace,
    /** The parent's pid, 0 for none. */
    readonly ppid: number,
  ) {
    this.ram0 = vm.memory.u32[0] as Uint32Array;
    this.sys = new Syscalls(this);
    this.libc = new Libc(this);
    this.files = new FileTable(vm);
  }

  /** Throws unless the process can run. */
  checkRunning(fn: string): void {
    if (this.state !== 'running') {
      throw new KernelError(
        'ESRCH',
        `${fn}: process ${this.pid} (${this.name}) has ${this.state === 'killed' ? 'been killed' : 'exited'}`,
      );
    }
  }

  /**
   * Enters the kernel for system call `fn`: throws unless the process can
   * run, then makes it `current`. Returns what `vm.leaveKernel` takes.
   */
  enterKernel(fn: string): Process | null {
    this.checkRunning(fn);
    return this.vm.enterKernel(this);
  }

  // --- user-mode memory access ------------------------------------------------

  private chunkWords(pa: number): { words: Uint32Array; index: number } {
    const chunk = Math.floor(pa / TWO_32);
    return { words: this.vm.memory.u32[chunk] as Uint32Array, index: (pa - chunk * TWO_32) / 4 };
  }

  /** Loads a byte from user memory. */
  load8(va: number): number {
    this.checkRunning('load8');
    return this.vm.memory.load8(this.mm.translate(va, false));
  }

  /** Loads 16 bits (little-endian) from user memory. */
  load16(va: number): number {
    this.checkRunning('load16');
    if ((va & 1) === 0) return this.vm.memory.load16(this.mm.translate(va, false));
    return this.load8(va) | (this.load8(va + 1) << 8);
  }

  /** Loads 32 bits (little-endian) from user memory. */
  load32(va: number): number {
    if (this.state !== 'running') this.checkRunning('load32');
    if ((va & 3) === 0) {
      const pa = this.mm.translate(va, false);
      if (pa < TWO_32) return this.ram0[pa >>> 2] as number;
      const { words, index } = this.chunkWords(pa);
      return words[index] as number;
    }
    return (this.load16(va) + this.load16(va + 2) * 65536) >>> 0;
  }

  /** Stores a byte to user memory. */
  store8(va: number, value: number): void {
    this.checkRunning('store8');
    this.vm.memory.store8(this.mm.translate(va, true), value);
  }

  /** Stores 16 bits to user memory. */
  store16(va: number, value: number): void {
    this.checkRunning('store16');
    if ((va & 1) === 0) {
      this.vm.memory.store16(this.mm.translate(va, true), value);
      return;
    }
    this.store8(va, value & 0xff);
    this.store8(va + 1, (value >>> 8) & 0xff);
  }

  /** Stores 32 bits to user memory. */
  store32(va: number, value: number): void {
    if (this.state !== 'running') this.checkRunning('store32');
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= TWO_32) {
      throw new KernelBug(`store32: value ${value} does not fit in 32 bits`);
    }
    if ((va & 3) === 0) {
      const pa = this.mm.translate(va, true);
      if (pa < TWO_32) this.ram0[pa >>> 2] = value;
      else {
        const { words, index } = this.chunkWords(pa);
        words[index] = value;
      }
      return;
    }
    this.store16(va, value & 0xffff);
    this.store16(va + 2, (value >>> 16) & 0xffff);
  }

  /** Reads `len` bytes of user memory (faulting pages in). */
  read(va: number, len: number): Uint8Array {
    this.checkRunning('read');
    if (!Number.isInteger(len) || len < 0)
      throw new KernelBug(`read: length ${len} is not a non-negative integer`);
    const out = new Uint8Array(len);
    const pageSize = this.vm.arch.pageSize;
    let done = 0;
    while (done < len) {
      const at = va + done;
      const n = Math.min(len - done, pageSize - (at - Math.floor(at / pageSize) * pageSize));
      out.set(this.vm.memory.read(this.mm.translate(at, false), n), done);
      done += n;
    }
    return out;
  }

  /** Writes bytes to user memory (faulting pages in, breaking copy-on-write). */
  write(va: number, bytes: ArrayLike<number>): void {
    this.checkRunning('write');
    const src = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    const pageSize = this.vm.arch.pageSize;
    let done = 0;
    while (done < src.length) {
      const at = va + done;
      const n = Math.min(src.length - done, pageSize - (at - Math.floor(at / pageSize) * pageSize));
      this.vm.memory.write(this.mm.translate(at, true), src.subarray(done, done + n));
      done += n;
    }
  }

  // --- life cycle ---------------------------------------------------------------

  /**
   * `fork`: a child with a copy-on-write copy of this address space.
   *
   * @throws KernelError `ENOMEM` when the copy cannot be made (nothing leaks).
   */
  fork(): Process {
    const prev = this.enterKernel('fork');
    try {
      const mm = dupMmap(this.vm, this.mm);
      if (mm === null)
        throw new KernelError('ENOMEM', `fork: out of memory copying process ${this.pid}`);
      const child = this.vm.registerProcess(this.name, mm, this.pid);
      child.files.copyFrom(this.files);
      child.oomScoreAdj = this.oomScoreAdj;
      return child;
    } finally {
      this.vm.leaveKernel(prev);
    }
  }

  /** `exit`: every frame, table and TLB entry of the process is given back. */
  exit(): void {
    this.checkRunning('exit');
    this.release('exited');
  }

  /** Tears the process down (exit, or the OOM killer's `'killed'`). */
  release(state: 'exited' | 'killed'): void {
    this.state = state;
    exitMmap(this.mm);
    this.files.closeAll();
    this.vm.unregisterProcess(this);
  }
}
