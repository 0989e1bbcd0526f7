/**
 * `/proc/<pid>/maps`: one line per VMA, in address order.
 *
 * Follows `show_map_vma`, `show_vma_header_prefix` and `get_vma_name` in
 * fs/proc/task_mmu.c of Linux mainline in the v6.16 cycle (the version
 * with the PROCMAP_QUERY ioctl, `file_user_inode` and the `sl` VmFlags
 * mnemonic; the 6.17 and 6.18 changes to this file, per-VMA locking and
 * the `tva_type` cleanup, leave the text as it was), with `vma_is_initial_heap` / `vma_is_initial_stack` from
 * include/linux/mm.h (the strict heap test of commit "mm: fix
 * vma_is_initial_heap/stack", v6.6) and `seq_pad` from fs/seq_file.c:
 *
 * ```
 * start-end perms offset major:minor inode [padding name]
 * 00400000-00401000 r-xp 00000000 00:00 0                                  /usr/bin/init
 * 00402000-00423000 rw-p 00000000 00:00 0                                  [heap]
 * 7ffffffdf000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]
 * ```
 *
 * - `start`, `end`, `offset` are lower-case hex, zero-padded to at least 8
 *   digits (`seq_put_hex_ll(..., 8)`); major and minor to 2; the inode is
 *   decimal; a space follows the inode on every line, named or not.
 * - perms: `r`/`w`/`x` from VM_READ/VM_WRITE/VM_EXEC, then `s` for
 *   VM_MAYSHARE, else `p`.
 * - offset, device and inode are those of the VMA's file, and zero for
 *   anonymous memory (Linux prints 0 there, not `vm_pgoff`).
 * - A name is preceded by padding to column `25 + 6 * sizeof(void *) - 1`
 *   (72 on 64-bit, 48 on i386) counted from the start of the line, then one
 *   space (`seq_setwidth` + `seq_pad(m, ' ')`); a header already past that
 *   column gets just the one space.
 *
 * Names, in `get_vma_name`'s order: the file's path; `[heap]` for a VMA
 * that overlaps `[start_brk, brk)`; `[stack]` for the VMA containing
 * `start_stack` (ends included); otherwise the VMA's own name, as
 * `[anon:name]` would be: the program image's text and data VMAs carry
 * the program's path (`/usr/bin/<name>`, vm/layout.ts) where Linux
 * prints the executable's path, with offset, device and inode zero since
 * no file backs them.
 *
 * Shared anonymous memory is a shmem file in Linux (`shmem_zero_setup`):
 * it prints as `/dev/zero (deleted)` on device 00:01 with the shmem inode
 * number (mmsim: the `SharedAnon` object's id) and the VMA's page offset
 * in the object (0 for a fresh mapping; `do_mmap` ignores the offset
 * argument of a shared anonymous mapping).
 *
 * Left out, because mmsim has no such mappings: `[vdso]`, `[vvar]`,
 * `[vvar_vclock]` (arm64 and x86 map them in every process) and the
 * x86_64 gate VMA `[vsyscall]` that Linux appends after the last VMA.
 */
import type { Process } from '../process.js';
import { VM_EXEC, VM_MAYSHARE, VM_READ, VM_WRITE, type Vma } from '../vma.js';

/** What maps prints for a file: the device, inode and path. */
export interface MapsFileIdentity {
  readonly major: number;
  readonly minor: number;
  readonly ino: number;
  readonly path: string;
}

/** `MINORBITS`: a `dev_t` (kernel encoding) holds the minor in its low 20 bits. */
const MINORBITS = 20;

/**
 * The identity of a VMA's file object. The file layer's object may carry
 * `path` (string), `ino` (number) and `dev` (a kernel `dev_t`:
 * `major << 20 | minor`); missing fields print as Linux prints an
 * unnamed inode on device 00:00.
 */
export function fileIdentity(file: object, fallbackName: string | null): MapsFileIdentity {
  const f = file as { readonly path?: unknown; readonly ino?: unknown; readonly dev?: unknown };
  const dev = typeof f.dev === 'number' && Number.isInteger(f.dev) && f.dev >= 0 ? f.dev : 0;
  return {
    major: Math.floor(dev / 2 ** MINORBITS),
    minor: dev % 2 ** MINORBITS,
    ino: typeof f.ino === 'number' && Number.isInteger(f.ino) && f.ino >= 0 ? f.ino : 0,
    path: typeof f.path === 'string' ? f.path : (fallbackName ?? ''),
  };
}

/** `seq_put_hex_ll`: lower-case hex of a non-negative integer, zero-padded to `width`. */
export function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

/**
 * `mangle_path(..., "\n")` as `seq_path` applies it: a newline in a path
 * prints as the octal escape `\012`.
 */
function escapePath(path: string): string {
  return path.replaceAll('\n', '\\012');
}

/** The column names start after (`25 + sizeof(void *) * 6 - 1`). */
function nameColumn(process: Process): number {
  return 25 + (process.vm.arch.is64Bit ? 8 : 4) * 6 - 1;
}

/**
 * `get_vma_name`: the text after the header, or null for none.
 */
export function vmaName(process: Process, vma: Vma): string | null {
  const mm = process.mm;
  const file = vma.backing.file;
  if (file !== null) return escapePath(fileIdentity(file, vma.name).path);
  if (vma.backing.shared !== null) return '/dev/zero (deleted)';
  // vma_is_initial_heap (strict since v6.6: an empty heap names nothing).
  if (vma.start < mm.brk && vma.end > mm.startBrk) return '[heap]';
  // vma_is_initial_stack.
  if (vma.start <= mm.startStack && vma.end >= mm.startStack) return '[stack]';
  // A name the VMA carries itself (anon_vma_name); the layout's markers are
  // decided above from the mm, as Linux decides them.
  if (vma.name !== null && vma.name !== '[heap]' && vma.name !== '[stack]') {
    return escapePath(vma.name);
  }
  return null;
}

/**
 * One line of /proc/<pid>/maps for `vma`, with its newline: the header
 * (`show_vma_header_prefix`) and, when the VMA has a name, padding and the
 * name.
 */
export function renderMapsLine(process: Process, vma: Vma): string {
  const pageSize = process.vm.arch.pageSize;
  let major = 0;
  let minor = 0;
  let ino = 0;
  let offset = 0;
  const file = vma.backing.file;
  const shared = vma.backing.shared;
  if (file !== null) {
    const id = fileIdentity(file, vma.name);
    major = id.major;
    minor = id.minor;
    ino = id.ino;
    offset = vma.pgoff * pageSize;
  } else if (shared !== null) {
    // shmem_zero_setup: the internal shm mount, device 00:01.
    minor = 1;
    ino = shared.id;
    offset = vma.pgoff * pageSize;
  }
  const f = vma.flags;
  let line =
    `${hex(vma.start, 8)}-${hex(vma.end, 8)} ` +
    `${f & VM_READ ? 'r' : '-'}${f & VM_WRITE ? 'w' : '-'}${f & VM_EXEC ? 'x' : '-'}` +
    `${f & VM_MAYSHARE ? 's' : 'p'} ${hex(offset, 8)} ${hex(major, 2)}:${hex(minor, 2)} ${ino} `;
  const name = vmaName(process, vma);
  if (name !== null) line = `${line.padEnd(nameColumn(process))} ${name}`;
  return `${line}\n`;
}

/**
 * Renders `/proc/<pid>/maps` for `process`, exactly as Linux prints it.
 *
 * @param process - a live process; it is only read.
 * @returns one line per VMA, in address order (empty for no VMAs).
 *
 * @example
 * ```ts
 * const k = Kernel.boot({ memory: '32M' });
 * renderMaps(k.spawn({ name: 'demo' })).split('\n')[0];
 * // '00400000-00401000 r-xp 00000000 00:00 0                                  /usr/bin/demo'
 * ```
 */
export function renderMaps(process: Process): string {
  let out = '';
  for (const vma of process.mm.vmas.all()) out += renderMapsLine(process, vma);
  return out;
}
