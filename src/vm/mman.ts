/**
 * Constants of the memory-mapping and file system calls, with Linux's
 * values (include/uapi/asm-generic/mman-common.h, mman.h, fcntl.h; x86 and
 * arm64 use these generic values).
 */

/** Page may not be accessed. */
export const PROT_NONE = 0x0;
/** Page may be read. */
export const PROT_READ = 0x1;
/** Page may be written. */
export const PROT_WRITE = 0x2;
/** Page may be executed. */
export const PROT_EXEC = 0x4;
/** mprotect: extend the change down to the start of a growing-down mapping. */
export const PROT_GROWSDOWN = 0x01000000;
/** mprotect: extend the change up to the end of a growing-up mapping. */
export const PROT_GROWSUP = 0x02000000;

/** Share changes with every other mapping of the object. */
export const MAP_SHARED = 0x01;
/** Changes are private (copy-on-write). */
export const MAP_PRIVATE = 0x02;
/** MAP_SHARED, and fail on unknown flags. */
export const MAP_SHARED_VALIDATE = 0x03;
/** Place the mapping exactly at `addr`, replacing what is there. */
export const MAP_FIXED = 0x10;
/** Not backed by a file; contents start zeroed. */
export const MAP_ANONYMOUS = 0x20;
/** The mapping grows down, like a stack. */
export const MAP_GROWSDOWN = 0x0100;
/** Ignored (historical). */
export const MAP_DENYWRITE = 0x0800;
/** Ignored (historical). */
export const MAP_EXECUTABLE = 0x1000;
/** Lock the pages in memory (mlock). */
export const MAP_LOCKED = 0x2000;
/** Do not reserve swap space for the mapping. */
export const MAP_NORESERVE = 0x4000;
/** Prefault the page tables (read ahead for files). */
export const MAP_POPULATE = 0x8000;
/** With MAP_POPULATE: do not block on I/O. */
export const MAP_NONBLOCK = 0x10000;
/** Allocate at an address suitable for a stack (no effect on Linux). */
export const MAP_STACK = 0x20000;
/** Use huge pages. */
export const MAP_HUGETLB = 0x40000;
/** Like MAP_FIXED, but fail with EEXIST instead of replacing a mapping. */
export const MAP_FIXED_NOREPLACE = 0x100000;
/** What mmap(3) returns on failure: `(void *) -1`. */
export const MAP_FAILED = -1;

/** No special treatment. */
export const MADV_NORMAL = 0;
/** Expect random page references (no read-ahead). */
export const MADV_RANDOM = 1;
/** Expect sequential page references (aggressive read-ahead). */
export const MADV_SEQUENTIAL = 2;
/** Expect access soon: fault the pages in. */
export const MADV_WILLNEED = 3;
/** Drop the pages: private anonymous memory reads back as zero. */
export const MADV_DONTNEED = 4;
/** The pages may be freed lazily if memory is short. */
export const MADV_FREE = 8;
/**
 * Free the pages and their backing store: punch a hole in the file (or the
 * shared anonymous object) a shared writable mapping maps, keeping its
 * size; later reads see zeros. EACCES for a private or read-only-file
 * mapping, EINVAL for memory with no file and for VM_LOCKED memory.
 */
export const MADV_REMOVE = 9;
/** Do not inherit the range across fork. */
export const MADV_DONTFORK = 10;
/** Undo MADV_DONTFORK. */
export const MADV_DOFORK = 11;
/**
 * The child of a fork sees this range zero-filled (Linux 4.14). Private
 * anonymous memory only: EINVAL for a file or shared mapping.
 */
export const MADV_WIPEONFORK = 18;
/** Undo MADV_WIPEONFORK: the child inherits the contents again. */
export const MADV_KEEPONFORK = 19;
/** Deactivate the pages (move them to the inactive list). */
export const MADV_COLD = 20;
/** Reclaim the pages now. */
export const MADV_PAGEOUT = 21;
/**
 * Install guard regions (Linux 6.13): the range's pages are zapped and any
 * access to them raises SIGSEGV (SEGV_MAPERR), without splitting the VMA.
 * The guards live in the page tables: they survive MADV_DONTNEED,
 * MADV_FREE and mprotect, move with mremap, are copied by fork, and go
 * with munmap. EINVAL on VM_LOCKED memory.
 */
export const MADV_GUARD_INSTALL = 102;
/** Remove guard regions (Linux 6.13): the pages fault normally again (as zero, or the file's data). */
export const MADV_GUARD_REMOVE = 103;

/** Open for reading only. */
export const O_RDONLY = 0o0;
/** Open for writing only. */
export const O_WRONLY = 0o1;
/** Open for reading and writing. */
export const O_RDWR = 0o2;
/** Mask of the access mode bits. */
export const O_ACCMODE = 0o3;
/** Create the file if it does not exist. */
export const O_CREAT = 0o100;
/** With O_CREAT: fail with EEXIST if the file exists. */
export const O_EXCL = 0o200;
/** Truncate the file to length 0. */
export const O_TRUNC = 0o1000;
/** Every write appends. */
export const O_APPEND = 0o2000;

/** lseek: from the start of the file. */
export const SEEK_SET = 0;
/** lseek: from the current offset. */
export const SEEK_CUR = 1;
/** lseek: from the end of the file. */
export const SEEK_END = 2;
/** lseek: to the next byte of data at or after the offset (sparse files; ENXIO past end of file). */
export const SEEK_DATA = 3;
/** lseek: to the next hole at or after the offset (end of file counts as one; ENXIO past it). */
export const SEEK_HOLE = 4;

/** msync: schedule the write-back and return. */
export const MS_ASYNC = 1;
/** msync: invalidate other mappings of the same file. */
export const MS_INVALIDATE = 2;
/** msync: write back and wait. */
export const MS_SYNC = 4;

/** mlock2: lock the pages as they fault in instead of populating the range now. */
export const MLOCK_ONFAULT = 0x01;
/** mlockall: lock every page mapped now. */
export const MCL_CURRENT = 1;
/** mlockall: lock every mapping made from now on (mmap, brk; until munlockall). */
export const MCL_FUTURE = 2;
/** mlockall, with MCL_CURRENT or MCL_FUTURE: lock pages as they fault in, without populating. */
export const MCL_ONFAULT = 4;
