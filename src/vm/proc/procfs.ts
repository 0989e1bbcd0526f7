/**
 * The /proc tree of one machine (fs/proc/): which files exist, who may
 * open them, and how each is read and written, for the kernel's own
 * readers (`k.proc`, `k.procRead`, `k.writeProc`, `k.sysctl`) and for
 * processes (`p.sys.open` of a /proc path, then read, pread, write, lseek
 * and close).
 *
 * Files:
 *
 * | path | mode | content |
 * | ---- | ---- | ------- |
 * | /proc/meminfo, vmstat, swaps, buddyinfo, zoneinfo, uptime | 0444 | text |
 * | /proc/slabinfo, pagetypeinfo | 0400 | text |
 * | /proc/sys/vm/* (sysctl.ts) | 0644 | a value and a newline; reads past offset 0 give nothing |
 * | /proc/<pid>/maps, smaps, status (proc/index.ts), oom_score | 0444 | text |
 * | /proc/<pid>/oom_score_adj | 0644 | text, writable (oom-score.ts) |
 * | /proc/<pid>/pagemap | 0400 | binary, read by position (pagemap.ts) |
 *
 * The directories `/proc`, `/proc/<pid>`, `/proc/self`, `/proc/sys` and
 * `/proc/sys/vm` can be opened (read-only) but not listed: a read is
 * EISDIR. `/proc/self` is the process whose system call is running
 * (`current`); outside any, as in a kernel thread, it does not exist
 * (ENOENT). A pid is written as Linux writes it, without leading zeros.
 *
 * Who reads and writes: the kernel's readers act as root with every
 * capability (frame numbers in pagemap are shown, sysctls may be written,
 * oom_score_adj may be lowered). Processes are one unprivileged user, who
 * owns every /proc/<pid> file: they may read every file but the 0400 ones
 * that are root's (slabinfo, pagetypeinfo); they read pagemap without
 * frame numbers (no CAP_SYS_ADMIN); the only file they may open for
 * writing is oom_score_adj, where CAP_SYS_RESOURCE decides how low they may
 * go. Opening a file for writing without permission is EACCES, as
 * `O_TRUNC` on one is; `O_CREAT` of a missing path is ENOENT and
 * `O_CREAT | O_EXCL` of an existing one EEXIST.
 *
 * Deviation: root writing a read-only file gets EIO (or EINVAL for a
 * per-process file) from Linux, after an open its CAP_DAC_OVERRIDE allows;
 * `k.writeProc` refuses with EACCES, as the mode says.
 *
 * Text files are rendered afresh for each read and sliced at the position,
 * as a seq_file read restarts from its record.
 */
import type { BuddyAllocator } from '../../buddy/buddy-allocator.js';
import { BUDDY_PROC_FILES } from '../../buddy/proc/index.js';
import type { Clock } from '../../page/clock.js';
import { Errno } from '../../page/errno.js';
import { KernelError } from '../../page/errors.js';
import { isCount } from '../../page/validate.js';
import type { KmemCache } from '../../slab/kmem-cache.js';
import { renderSlabinfo } from '../../slab/proc-slabinfo.js';
import type { SpecialFile } from '../fs/special-file.js';
import {
  O_ACCMODE,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  SEEK_CUR,
  SEEK_SET,
} from '../mman.js';
import type { Process } from '../process.js';
import type { SwapSystem } from '../reclaim/swap.js';
import { renderSwaps } from '../swap/swap-area.js';
import { type SysctlEntry, sysctlRead, sysctlWrite, VM_SYSCTLS } from '../sysctl.js';
import type { ProcOpener, VmSystem } from '../vm-system.js';
import { processFileRenderer } from './index.js';
import { meminfoValues, vmstatValues } from './mem-stats.js';
import { renderMeminfo } from './meminfo.js';
import { renderOomScore, renderOomScoreAdj, writeOomScoreAdj } from './oom-score.js';
import { PM_ENTRY_BYTES, pagemapEntries, pagemapFill, renderPagemapText } from './pagemap.js';
import { renderUptime } from './uptime.js';
import { renderVmstat } from './vmstat.js';

/** What the /proc tree reads from. */
export interface ProcFsSources {
  readonly buddy: BuddyAllocator;
  readonly vm: VmSystem;
  /** The slab allocator (its `caches` are read at each rendering). */
  readonly slab: { readonly caches: readonly KmemCache[] };
  readonly swap: SwapSystem | null;
  /** The simulated clock, for /proc/uptime. */
  readonly clock: Clock;
}

/**
 * The most bytes one `procRead` returns (16 MiB: the pagemap entries of
 * 8 GiB of 4 KiB pages). A longer request gets a short read, as read(2)
 * may give; read on from where it ended.
 */
export const PROC_READ_MAX = 2 ** 24;

/** Bytes of pagemap a process read produces per step (`PAGEMAP_WALK_SIZE`: one page table's worth). */
const PAGEMAP_CHUNK = 512 * PM_ENTRY_BYTES;

/** A file or directory of the tree, resolved. */
interface ProcNode {
  /** The path with /proc/self resolved. */
  readonly path: string;
  readonly kind: 'dir' | 'text' | 'sysctl' | 'pagemap';
  /** Permission bits (0o444, 0o400, 0o644). */
  readonly mode: number;
  /** The process a /proc/<pid> file is of (its owner); null for root's files. */
  readonly process: Process | null;
  /** Text files: the content now. */
  readonly render?: () => string;
  /** Sysctl files: the tunable. */
  readonly entry?: SysctlEntry;
  /**
   * Writable text files (oom_score_adj): applies a write of `text`
   * (`count` bytes asked); the count, or throws KernelError.
   */
  readonly write?: (text: string, count: number, privileged: boolean) => number;
}

const GLOBAL_FILES: Readonly<Record<string, number>> = {
  meminfo: 0o444,
  vmstat: 0o444,
  swaps: 0o444,
  slabinfo: 0o400,
  buddyinfo: 0o444,
  zoneinfo: 0o444,
  pagetypeinfo: 0o400,
  uptime: 0o444,
};

const SYSCTL_BY_PATH: ReadonlyMap<string, SysctlEntry> = new Map(
  VM_SYSCTLS.map((e) => [`/proc/sys/${e.procname}`, e]),
);

const encoder = new TextEncoder();

/** A path as an error message shows it. */
function shown(path: string): string {
  return JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}...` : path);
}

/** The /proc tree of a machine. */
export class ProcFs implements ProcOpener {
  constructor(private readonly src: ProcFsSources) {}

  // --- resolution -----------------------------------------------------------------

  /** Whether `path` is under /proc (existing or not). */
  handles(path: string): boolean {
    return path === '/proc' || path.startsWith('/proc/');
  }

  /** The process a pid component names: `self` is `self`; digits without leading zeros a live pid. */
  private processOf(component: string, self: Process | null): Process | null {
    if (component === 'self') return self !== null && self.state === 'running' ? self : null;
    if (!/^[1-9][0-9]{0,9}$/.test(component)) return null;
    return this.src.vm.processes.get(Number(component)) ?? null;
  }

  /** Resolves `path` with `/proc/self` naming `self`; null when nothing is there. */
  private lookup(path: string, self: Process | null): ProcNode | null {
    if (path === '/proc' || path === '/proc/sys' || path === '/proc/sys/vm') {
      return { path, kind: 'dir', mode: 0o555, process: null };
    }
    const entry = SYSCTL_BY_PATH.get(path);
    if (entry !== undefined)
      return { path, kind: 'sysctl', mode: entry.mode, process: null, entry };
    const parts = path.split('/'); // ['', 'proc', name, file?]
    if (parts.length === 3 && parts[1] === 'proc') {
      const name = parts[2] as string;
      const mode = Object.hasOwn(GLOBAL_FILES, name) ? GLOBAL_FILES[name] : undefined;
      if (mode !== undefined) {
        return { path, kind: 'text', mode, process: null, render: () => this.renderGlobal(name) };
      }
      const process = this.processOf(name, self);
      if (process !== null) {
        return { path: `/proc/${process.pid}`, kind: 'dir', mode: 0o555, process };
      }
      return null;
    }
    if (parts.length !== 4 || parts[1] !== 'proc') return null;
    const process = this.processOf(parts[2] as string, self);
    if (process === null) return null;
    const file = parts[3] as string;
    const canonical = `/proc/${process.pid}/${file}`;
    switch (file) {
      case 'pagemap':
        return { path: canonical, kind: 'pagemap', mode: 0o400, process };
      case 'oom_score':
        return {
          path: canonical,
          kind: 'text',
          mode: 0o444,
          process,
          render: () => renderOomScore(process),
        };
      case 'oom_score_adj':
        return {
          path: canonical,
          kind: 'text',
          mode: 0o644,
          process,
          render: () => renderOomScoreAdj(process),
          write: (text, count, privileged) => writeOomScoreAdj(process, text, count, privileged),
        };
      default: {
        const render = processFileRenderer(file);
        if (render === null) return null;
        return {
          path: canonical,
          kind: 'text',
          mode: 0o444,
          process,
          render: () => render(process),
        };
      }
    }
  }

  private renderGlobal(name: string): string {
    const { buddy, vm, swap } = this.src;
    const sources = { buddy, vm, caches: this.src.slab.caches, swap };
    switch (name) {
      case 'meminfo':
        return renderMeminfo(meminfoValues(sources));
      case 'vmstat':
        return renderVmstat(vmstatValues(sources));
      case 'swaps':
        return renderSwaps(swap === null ? [] : [swap.area]);
      case 'slabinfo':
        return renderSlabinfo(this.src.slab.caches);
      case 'uptime':
        return renderUptime(this.src.clock.nowNs(), buddy.cpus);
      default: {
        const render = BUDDY_PROC_FILES[`/proc/${name}`];
        if (render === undefined)
          throw new KernelError('ENOENT', `proc: no such file /proc/${name}`);
        return render(buddy);
      }
    }
  }

  /** Resolves a path for the kernel's readers (`current` is /proc/self, if a system call runs). */
  private require(fn: string, path: unknown): ProcNode {
    if (typeof path !== 'string') {
      throw new KernelError('EINVAL', `${fn}: the path must be a string, not ${typeof path}`);
    }
    const node = this.lookup(path, this.src.vm.current);
    if (node === null) throw new KernelError('ENOENT', `${fn}: no such file ${shown(path)}`);
    if (node.kind === 'dir')
      throw new KernelError('EISDIR', `${fn}: ${shown(path)} is a directory`);
    return node;
  }

  // --- the kernel's readers (root) --------------------------------------------------------

  /**
   * The whole text of a /proc file, as `cat` prints it (`k.proc`).
   *
   * @throws KernelError `ENOENT` for no such file (an exited process's
   *   files, `/proc/self/...` outside a system call), `EISDIR` for a
   *   directory.
   *
   * pagemap is binary and as large as user space, so its text is a
   * listing of its non-zero entries ({@link renderPagemapText}); read the
   * binary file by position with {@link read}.
   */
  readText(path: unknown): string {
    const node = this.require('proc', path);
    if (node.kind === 'pagemap') return renderPagemapText(node.process as Process);
    if (node.kind === 'sysctl') return sysctlRead(this.src.vm, node.entry as SysctlEntry);
    return (node.render as () => string)();
  }

  /**
   * `pread(2)` of a /proc file as root: up to `length` bytes from `offset`
   * (fewer at the end, none past it; at most {@link PROC_READ_MAX}). Text
   * files give their UTF-8 bytes; a sysctl file gives nothing past offset
   * 0; pagemap needs an offset and a length that are multiples of 8.
   *
   * @throws KernelError `ENOENT`, `EISDIR` as {@link readText}; `EINVAL`
   *   for an offset or length that is not a non-negative integer, or a
   *   pagemap read without a length or not aligned to 8.
   */
  read(path: unknown, offset: unknown = 0, length?: unknown): Uint8Array {
    const node = this.require('procRead', path);
    if (!isCount(offset)) {
      throw new KernelError('EINVAL', 'procRead: the offset must be a non-negative integer');
    }
    if (length !== undefined && !isCount(length)) {
      throw new KernelError('EINVAL', 'procRead: the length must be a non-negative integer');
    }
    if (node.kind === 'pagemap') {
      if (length === undefined) {
        throw new KernelError('EINVAL', `procRead: give the length of a read of ${node.path}`);
      }
      if (offset % PM_ENTRY_BYTES !== 0 || length % PM_ENTRY_BYTES !== 0) {
        throw new KernelError(
          'EINVAL',
          `procRead: ${node.path} is read in 8-byte entries (offset ${offset}, length ${length})`,
        );
      }
      const process = node.process as Process;
      const entries = Math.max(0, pagemapEntries(process) - offset / PM_ENTRY_BYTES);
      const bytes = new Uint8Array(Math.min(length, PROC_READ_MAX, entries * PM_ENTRY_BYTES));
      const n = pagemapFill(process, offset / PM_ENTRY_BYTES, bytes, true);
      return bytes.subarray(0, n);
    }
    const text =
      node.kind === 'sysctl'
        ? offset === 0
          ? sysctlRead(this.src.vm, node.entry as SysctlEntry)
          : ''
        : (node.render as () => string)();
    const bytes = encoder.encode(text);
    const end = Math.min(bytes.length, offset + Math.min(length ?? PROC_READ_MAX, PROC_READ_MAX));
    return bytes.slice(Math.min(offset, bytes.length), end);
  }

  /**
   * `write(2)` of `text` to a /proc file as root (`echo text > path`):
   * the characters consumed.
   *
   * @throws KernelError `ENOENT`, `EISDIR` as {@link readText}; `EACCES`
   *   for a file that is not writable; `EINVAL` (or `ERANGE`) for a value
   *   the file refuses, in which case nothing changes.
   */
  write(path: unknown, text: unknown): number {
    const node = this.require('writeProc', path);
    if (typeof text !== 'string') {
      throw new KernelError('EINVAL', `writeProc: the text must be a string, not ${typeof text}`);
    }
    if (node.kind === 'sysctl') return sysctlWrite(this.src.vm, node.entry as SysctlEntry, text);
    if (node.write === undefined) {
      throw new KernelError(
        'EACCES',
        `writeProc: ${node.path} is read-only (mode 0${node.mode.toString(8)})`,
      );
    }
    return node.write(text, text.length, true);
  }

  // --- processes ------------------------------------------------------------------------

  /**
   * `open(path, flags)` by process `opener`, who is not root but owns the
   * /proc/<pid> files: the open file, or -errno.
   */
  open(path: string, flags: number, opener: Process): SpecialFile | number {
    if (!Number.isInteger(flags) || (flags & O_ACCMODE) === O_ACCMODE) return -Errno.EINVAL;
    const dirOnly = path.length > '/proc'.length && path.endsWith('/');
    const node = this.lookup(dirOnly ? path.replace(/\/+$/, '') : path, opener);
    if (node === null) return -Errno.ENOENT;
    if (dirOnly && node.kind !== 'dir') return -Errno.ENOTDIR;
    if ((flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -Errno.EEXIST;
    const access = flags & O_ACCMODE;
    const wantsRead = access === O_RDONLY || access === O_RDWR;
    const wantsWrite = access === O_WRONLY || access === O_RDWR || (flags & O_TRUNC) !== 0;
    if (node.kind === 'dir' && access !== O_RDONLY) return -Errno.EISDIR;
    // The owner's bits for the process's own files, the others' bits for root's.
    const shift = node.process !== null ? 6 : 0;
    const perm = (node.mode >> shift) & 0o7;
    if ((wantsRead && (perm & 0o4) === 0) || (wantsWrite && (perm & 0o2) === 0)) {
      return -Errno.EACCES;
    }
    return this.openFile(node, path, flags);
  }

  private openFile(node: ProcNode, path: string, flags: number): SpecialFile {
    const vm = this.src.vm;
    const file: SpecialFile = {
      path,
      flags,
      pos: 0,
      refs: 1,
      read: () => -Errno.EISDIR,
      write: () => -Errno.EINVAL,
      llseek: (offset, whence) => seqLseek(file, offset, whence),
    };
    switch (node.kind) {
      case 'dir':
        file.llseek = () => 0;
        break;
      case 'pagemap': {
        const process = node.process as Process;
        file.read = (pos, count, copyOut) => pagemapRead(process, pos, count, copyOut);
        // mem_lseek: any position from SEEK_SET or SEEK_CUR, returned even when negative.
        file.llseek = (offset, whence) => {
          if (whence === SEEK_SET) file.pos = offset;
          else if (whence === SEEK_CUR) file.pos += offset;
          else return -Errno.EINVAL;
          return file.pos;
        };
        break;
      }
      case 'sysctl': {
        const entry = node.entry as SysctlEntry;
        file.read = (pos, count, copyOut) =>
          pos === 0 ? textRead(sysctlRead(vm, entry), pos, count, copyOut) : 0;
        break;
      }
      default: {
        const render = node.render as () => string;
        const owner = node.process;
        file.read = (pos, count, copyOut) => {
          // The file of a process that has gone: get_proc_task fails.
          if (owner !== null && owner.state !== 'running') return -Errno.ESRCH;
          let text: string;
          try {
            text = render();
          } catch (e) {
            if (e instanceof KernelError) return -e.errno;
            throw e;
          }
          return textRead(text, pos, count, copyOut);
        };
        const write = node.write;
        if (write !== undefined) {
          file.write = (_pos, count, copyIn, privileged) => {
            // oom_score_adj_write: the first 12 bytes at most are copied.
            const bytes = copyIn(Math.min(count, 12));
            if (bytes === null) return -Errno.EFAULT;
            try {
              return write(new TextDecoder('latin1').decode(bytes), count, privileged);
            } catch (e) {
              if (e instanceof KernelError) return -e.errno;
              throw e;
            }
          };
        }
      }
    }
    return file;
  }
}

/** A read of a text file at `pos`: the bytes copied, or -EFAULT when none could be. */
function textRead(
  text: string,
  pos: number,
  count: number,
  copyOut: (bytes: Uint8Array) => number,
): number {
  const bytes = encoder.encode(text);
  if (pos >= bytes.length || count === 0) return 0;
  const chunk = bytes.subarray(pos, pos + Math.min(count, bytes.length - pos));
  const copied = copyOut(chunk);
  return copied === 0 ? -Errno.EFAULT : copied;
}

/** `seq_lseek`: SEEK_SET and SEEK_CUR to a non-negative position; anything else EINVAL. */
function seqLseek(file: SpecialFile, offset: number, whence: number): number {
  let pos: number;
  if (whence === SEEK_SET) pos = offset;
  else if (whence === SEEK_CUR) pos = file.pos + offset;
  else return -Errno.EINVAL;
  if (pos < 0) return -Errno.EINVAL;
  file.pos = pos;
  return pos;
}

/**
 * `pagemap_read` by a process (no CAP_SYS_ADMIN: frames hidden): a
 * position and count in whole entries, produced a page table's worth at a
 * time; a fault copying out is EFAULT, whatever was copied before; a
 * process that is gone reads nothing.
 */
function pagemapRead(
  process: Process,
  pos: number,
  count: number,
  copyOut: (bytes: Uint8Array) => number,
): number {
  if (pos < 0 || pos % PM_ENTRY_BYTES !== 0 || count % PM_ENTRY_BYTES !== 0) return -Errno.EINVAL;
  if (count === 0 || process.state !== 'running') return 0;
  const buffer = new Uint8Array(PAGEMAP_CHUNK);
  let done = 0;
  while (done < count) {
    const want = Math.min(count - done, PAGEMAP_CHUNK);
    const n = pagemapFill(process, (pos + done) / PM_ENTRY_BYTES, buffer.subarray(0, want), false);
    if (n === 0) break;
    if (copyOut(buffer.subarray(0, n)) !== n) return -Errno.EFAULT;
    done += n;
  }
  return done;
}
