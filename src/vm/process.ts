/**
 * A process: a pid, a name, an address space, and user-mode access to its
 * memory. `fork` copies the address space copy-on-write; `exit` gives
 * every frame and table back. A process that has exited or was killed
 * refuses further use.
 */
import { KernelBug, KernelError } from '../page/errors.js';
import { checkByteArray, checkCount, checkStoreValue, describeValue } from '../page/validate.js';
import type { AddressSpace } from './address-space.js';
import { FileTable } from './fs/file-table.js';
import { Libc } from './libc.js';
import { dupMmap, exitMmap } from './mm-ops.js';
import { forkChargePages } from './overcommit.js';
import { Rlimits } from './resource.js';
import { Syscalls } from './syscalls/index.js';
import { vmEnoughMemory } from './syscalls/vma-ops.js';
import type { VmSystem } from './vm-system.js';

/** Where a process is in its life. */
export type ProcessState = 'running' | 'exited' | 'killed';

const TWO_32 = 2 ** 32;
/** The longest `read` a `Uint8Array` result can hold on every host mmsim supports. */
const MAX_USER_COPY = 2 ** 31;

/** A user process. */
export class Process {
  state: ProcessState = 'running';
  /** The first 4 GiB of RAM as 32-bit words, held for the load/store fast path. */
  private readonly ram0: Uint32Array;
  /** `oom_score_adj`, -1000..1000: added to the OOM badness in thousandths of memory; -1000 exempts the process. */
  oomScoreAdj = 0;
  /**
   * `oom_score_adj_min`: the lowest `oom_score_adj` the process may set
   * without CAP_SYS_RESOURCE. Only a privileged write of
   * /proc/<pid>/oom_score_adj moves it (to the value written); fork copies it.
   */
  oomScoreAdjMin = 0;
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
  /** Resource limits (`signal_struct.rlim`): init's at spawn, the parent's after fork. */
  readonly rlimits: Rlimits;
  /** CAP_IPC_LOCK: memory locks ignore RLIMIT_MEMLOCK. Granted at spawn, inherited across fork. */
  capIpcLock = false;
  /** CAP_SYS_RESOURCE: hard resource limits may be raised. Granted at spawn, inherited across fork. */
  capSysResource = false;

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
    let managed = 0;
    for (const zone of vm.buddy.zones) managed += zone.managed;
    this.rlimits = Rlimits.initial(vm.arch, managed);
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

  /**
   * What every user-mode access checks before it touches anything: the
   * process can run (`KernelError` ESRCH), and `va` is a number. A value of
   * another type is the caller's bug (`KernelBug`); a number that is no user
   * address (a fraction, NaN, a kernel or non-canonical address) faults in
   * `translate` like the MMU would (`SegmentationFault`).
   */
  private checkAccess(fn: string, va: unknown): asserts va is number {
    this.checkRunning(fn);
    if (typeof va !== 'number') {
      throw new KernelBug(`${fn}: address ${describeValue(va)} is not a number`);
    }
  }

  /**
   * An access of `n` bytes at `va` that crosses into the next page: both
   * pages are translated first, as the CPU checks both before a split store
   * retires, so a fault on the second page leaves the first unwritten.
   */
  private probeSplit(va: number, n: number): void {
    this.mm.translate(va, true);
    this.mm.translate(va + n - 1, true);
  }

  /** Loads a byte from user memory. */
  load8(va: number): number {
    this.checkAccess('load8', va);
    return this.vm.memory.load8(this.mm.translate(va, false));
  }

  /** Loads 16 bits (little-endian) from user memory. */
  load16(va: number): number {
    this.checkAccess('load16', va);
    if ((va & 1) === 0) return this.vm.memory.load16(this.mm.translate(va, false));
    return this.load8(va) | (this.load8(va + 1) << 8);
  }

  /** Loads 32 bits (little-endian) from user memory. */
  load32(va: number): number {
    if (this.state !== 'running' || typeof va !== 'number') this.checkAccess('load32', va);
    // A fraction passes `& 3` but never hits the TLB: `translate` refuses it.
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
    this.checkAccess('store8', va);
    checkStoreValue('store8', value, 8);
    this.vm.memory.store8(this.mm.translate(va, true), value);
  }

  /** Stores 16 bits to user memory. */
  store16(va: number, value: number): void {
    this.checkAccess('store16', va);
    checkStoreValue('store16', value, 16);
    if ((va & 1) === 0) {
      this.vm.memory.store16(this.mm.translate(va, true), value);
      return;
    }
    this.probeSplit(va, 2);
    this.store8(va, value & 0xff);
    this.store8(va + 1, (value >>> 8) & 0xff);
  }

  /** Stores 32 bits to user memory. */
  store32(va: number, value: number): void {
    if (this.state !== 'running' || typeof va !== 'number') this.checkAccess('store32', va);
    if (!(Number.isInteger(value) && value >= -(2 ** 31) && value < TWO_32)) {
      checkStoreValue('store32', value, 32);
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
    this.probeSplit(va, 4);
    this.store16(va, value & 0xffff);
    this.store16(va + 2, (value >>> 16) & 0xffff);
  }

  /**
   * Reads `len` bytes of user memory (faulting pages in). A fault part-way
   * throws after the pages before it were touched, as a CPU's string copy
   * leaves them.
   */
  read(va: number, len: number): Uint8Array {
    this.checkAccess('read', va);
    checkCount('read', 'length', len);
    if (len > MAX_USER_COPY) {
      throw new KernelBug(`read: length ${len} is more than a Uint8Array holds (${MAX_USER_COPY})`);
    }
    const pageSize = this.vm.arch.pageSize;
    const pages: Uint8Array[] = [];
    let done = 0;
    while (done < len) {
      const at = va + done;
      const n = Math.min(len - done, pageSize - (at - Math.floor(at / pageSize) * pageSize));
      pages.push(this.vm.memory.read(this.mm.translate(at, false), n));
      done += n;
    }
    if (pages.length === 1) return pages[0] as Uint8Array;
    const out = new Uint8Array(len);
    done = 0;
    for (const page of pages) {
      out.set(page, done);
      done += page.length;
    }
    return out;
  }

  /**
   * Writes bytes to user memory (faulting pages in, breaking copy-on-write).
   * `bytes` must be a `Uint8Array` or an array of integers 0..255; anything
   * else throws `KernelBug` before memory is touched.
   */
  write(va: number, bytes: Uint8Array | readonly number[]): void {
    this.checkAccess('write', va);
    checkByteArray('write', bytes);
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
      // dup_mmap charges the child's copy of every VM_ACCOUNT VMA (overcommit).
      if (!vmEnoughMemory(this.vm, forkChargePages(this.mm), this.mm)) {
        throw new KernelError('ENOMEM', `fork: cannot commit memory for a copy of ${this.pid}`);
      }
      const mm = dupMmap(this.vm, this.mm);
      if (mm === null)
        throw new KernelError('ENOMEM', `fork: out of memory copying process ${this.pid}`);
      const child = this.vm.registerProcess(this.name, mm, this.pid);
      child.files.copyFrom(this.files);
      child.oomScoreAdj = this.oomScoreAdj;
      child.oomScoreAdjMin = this.oomScoreAdjMin;
      child.rlimits.copyFrom(this.rlimits);
      child.capIpcLock = this.capIpcLock;
      child.capSysResource = this.capSysResource;
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
    if (state !== 'exited' && state !== 'killed') {
      throw new KernelBug(`release: state ${describeValue(state)} is not 'exited' or 'killed'`);
    }
    this.checkRunning('release');
    this.state = state;
    exitMmap(this.mm);
    this.files.closeAll();
    this.vm.unregisterProcess(this);
  }
}
