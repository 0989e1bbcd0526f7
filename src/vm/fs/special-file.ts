/**
 * Open files that are not files of the `Vfs`: the /proc files a
 * process opens (`struct file` whose `f_op` is procfs's, seq_file's or
 * pagemap's rather than a disk file system's).
 *
 * A special file lives in the same descriptor table as regular open files
 * (`FileTable.installSpecial`), so descriptors are numbered, inherited by
 * fork and closed at exit alike; the read, write and lseek system calls
 * hand it the request instead of going to the page cache. Its code
 * produces the bytes: it never touches the disk, the page cache or an
 * inode, and holds nothing that closing must give back.
 */
/** `struct file` of a special file: the flags and position, and its `file_operations`. */
export interface SpecialFile {
  /** The path it was opened by, as given (`/proc/self/pagemap`). */
  readonly path: string;
  /** The flags given to `open` (the access mode decides read and write). */
  readonly flags: number;
  /** The file position (`f_pos`). */
  pos: number;
  /** Descriptors referring to this open file, across processes (`f_count`). */
  refs: number;
  /**
   * `f_op->read`: up to `count` bytes from `pos`, handed to `copyOut` in
   * order, chunk by chunk; `copyOut` returns how many bytes of the chunk it
   * took (fewer on a fault, which ends the read). Returns the bytes read,
   * or -errno when none could be (e.g. -EFAULT when `copyOut` took none).
   */
  read(pos: number, count: number, copyOut: (bytes: Uint8Array) => number): number;
  /**
   * `f_op->write` of `count` bytes from the writer's memory, fetched with
   * `copyIn(n)` (the first `n` bytes, or null when they fault). `privileged`
   * says whether the writer has CAP_SYS_RESOURCE. Returns the bytes
   * consumed, or -errno.
   */
  write(
    pos: number,
    count: number,
    copyIn: (n: number) => Uint8Array | null,
    privileged: boolean,
  ): number;
  /** `f_op->llseek` from the current position: the new position, or -errno. */
  llseek(offset: number, whence: number): number;
}
