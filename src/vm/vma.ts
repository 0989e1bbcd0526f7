/**
 * Virtual memory areas (`struct vm_area_struct`, include/linux/mm_types.h)
 * and their flags (include/linux/mm.h). A VMA is a run of pages
 * `[start, end)` of one address space with one protection and one backing:
 * anonymous memory (private, or shared after fork), or a file at an offset.
 */

/** `VM_*` flags, with Linux's values. */
export const VM_NONE = 0x0;
/** Readable. */
export const VM_READ = 0x1;
/** Writable. */
export const VM_WRITE = 0x2;
/** Executable. */
export const VM_EXEC = 0x4;
/** Shared: writes reach every mapping of the object. */
export const VM_SHARED = 0x8;
/** mprotect may add PROT_READ. */
export const VM_MAYREAD = 0x10;
/** mprotect may add PROT_WRITE. */
export const VM_MAYWRITE = 0x20;
/** mprotect may add PROT_EXEC. */
export const VM_MAYEXEC = 0x40;
/** The mapping may be shared (MAP_SHARED, even if not writable). */
export const VM_MAYSHARE = 0x80;
/** Grows down (a stack). */
export const VM_GROWSDOWN = 0x100;
/**
 * The VMA may contain guard regions (MADV_GUARD_INSTALL; "gu" in smaps).
 * Set on the whole VMA when guards are installed and never cleared, even
 * by MADV_GUARD_REMOVE: a sticky flag, ignored when deciding whether two
 * VMAs merge and kept by the merged VMA. It also makes fork copy the
 * VMA's page tables (`vma_needs_copy`), so the child keeps the guards.
 * Linux 6.18.y (backported from 6.19).
 */
export const VM_MAYBE_GUARD = 0x800;
/** Pages are locked in memory. */
export const VM_LOCKED = 0x2000;
/** madvise(MADV_SEQUENTIAL). */
export const VM_SEQ_READ = 0x8000;
/** madvise(MADV_RANDOM). */
export const VM_RAND_READ = 0x10000;
/** Not copied on fork (MADV_DONTFORK). */
export const VM_DONTCOPY = 0x20000;
/**
 * With VM_LOCKED: pages are locked as they fault in, never populated
 * (mlock2 MLOCK_ONFAULT, mlockall MCL_ONFAULT; "lf" in smaps).
 */
export const VM_LOCKONFAULT = 0x80000;
/** `VM_LOCKED_MASK`: the flags of a memory lock, which fork clears in the child. */
export const VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT;
/** Accounted against overcommit. */
export const VM_ACCOUNT = 0x100000;
/** MAP_NORESERVE. */
export const VM_NORESERVE = 0x200000;
/**
 * The child of a fork gets this range zero-filled (MADV_WIPEONFORK; "wf" in
 * smaps): private anonymous memory only. The child's VMA keeps the flag.
 */
export const VM_WIPEONFORK = 0x02000000;
/**
 * Sticky flags (`VM_STICKY`): once set on a VMA they stay, survive splits,
 * do not prevent a merge, and the merged VMA has them if either part did.
 */
export const VM_STICKY = VM_MAYBE_GUARD;
/** The stack or heap: a VMA of the process's own layout. */
export const VM_STACK = VM_GROWSDOWN;

/** What backs a VMA's pages. */
export interface VmaBacking {
  /**
   * A file mapping: the mapped file (a `FileMapping` from fs/file-mapping.ts
   * for mmap of an open file: inode, file system, path); null for anonymous memory.
   */
  readonly file: object | null;
  /**
   * Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS): the object whose
   * pages every mapping shares, indexed by page offset. Null for private
   * anonymous memory.
   */
  readonly shared: SharedAnon | null;
}

/** The pages of a MAP_SHARED|MAP_ANONYMOUS region (shmem in Linux), by page offset. */
export class SharedAnon {
  /** Frame of each page offset that is resident. */
  readonly pages = new Map<number, number>();
  /** Swap slot of each page offset that reclaim swapped out (`shmem` swap entries in the xarray). */
  readonly swapped = new Map<number, number>();
  /** Mappings of the object; the object's frames are freed when the last goes. */
  users = 0;
  constructor(
    /** An id for /proc (the inode number shmem would give). */
    readonly id: number,
    /** Size in pages. */
    readonly size: number,
  ) {}
}

/** A virtual memory area. */
export class Vma {
  constructor(
    /** First byte (page aligned). */
    public start: number,
    /** One past the last byte (page aligned). */
    public end: number,
    /** `VM_*` flags. */
    public flags: number,
    /** Offset in the backing object, in pages (`vm_pgoff`). */
    public pgoff: number,
    /** What backs the pages. */
    public backing: VmaBacking,
    /** `[heap]`, `[stack]` or null, as /proc/<pid>/maps names it. */
    public name: string | null = null,
  ) {}

  /** Bytes covered. */
  get size(): number {
    return this.end - this.start;
  }

  /** Whether the VMA covers `addr`. */
  contains(addr: number): boolean {
    return addr >= this.start && addr < this.end;
  }

  /** Whether the pages are anonymous (private or shared). */
  get isAnonymous(): boolean {
    return this.backing.file === null;
  }

  /** A copy (for splitting and fork). */
  clone(): Vma {
    return new Vma(this.start, this.end, this.flags, this.pgoff, this.backing, this.name);
  }
}
