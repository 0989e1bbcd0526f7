/**
 * The layout of a new process (fs/binfmt_elf.c, arch/x86/mm/mmap.c):
 * a program image (one page of text, one of data) at the architecture's
 * usual load address, the brk heap right after it, the stack at the top
 * of user space, and the mmap area below the stack and its gap, growing
 * down. mmsim does not randomise the layout.
 *
 * The image's two VMAs carry the program's path, `/usr/bin/<name>`
 * ({@link programPath}), as the name /proc/<pid>/maps and the pictures
 * show, where Linux shows the path of the executable file its ELF segments
 * are mapped from. There is no such file in mmsim (the pages are
 * anonymous memory, zero-filled on first touch), so the offset, device
 * and inode columns stay zero; see docs/linux-fidelity.md.
 */
import type { Arch } from '../page/arch.js';
import { KernelBug } from '../page/errors.js';
import { describeValue } from '../page/validate.js';
import type { AddressSpace } from './address-space.js';
import { STACK_RLIMIT } from './fault.js';
import {
  VM_ACCOUNT,
  VM_EXEC,
  VM_GROWSDOWN,
  VM_MAYEXEC,
  VM_MAYREAD,
  VM_MAYWRITE,
  VM_READ,
  VM_WRITE,
  Vma,
} from './vma.js';

const MiB = 2 ** 20;
/** The initial stack VMA (setup_arg_pages expands it by 128 KiB). */
const INITIAL_STACK = 128 * 1024;
/** `stack_guard_gap`. */
const STACK_GUARD_GAP = 256;
/** `SIZE_128M`: the least room mmap_base leaves for the stack. */
const MIN_GAP = 128 * MiB;

/** Where the program image starts (`ELF_ET_DYN_BASE` for a static executable: its link address). */
export function imageBase(arch: Arch): number {
  return arch.name === 'i386' ? 0x08048000 : 0x400000;
}

/** `mmap_base`: the top of the mmap area, below the stack's rlimit and guard gap, at least 128 MiB down. */
export function mmapBase(arch: Arch): number {
  const gap = Math.min(
    Math.max(STACK_RLIMIT + STACK_GUARD_GAP * arch.pageSize, MIN_GAP),
    (arch.taskSize / 6) * 5,
  );
  return Math.floor((arch.taskSize - gap) / arch.pageSize) * arch.pageSize;
}

/**
 * The path a process's program image is named by in /proc/<pid>/maps:
 * `/usr/bin/<name>`, or the name itself when it is already an absolute
 * path (`k.spawn({ name: '/sbin/init' })`).
 *
 * @example
 * ```ts
 * programPath('demo'); // '/usr/bin/demo'
 * programPath('/sbin/init'); // '/sbin/init'
 * ```
 */
export function programPath(name: string): string {
  if (typeof name !== 'string') {
    throw new KernelBug(`programPath: name ${describeValue(name)} is not a string`);
  }
  return name.startsWith('/') ? name : `/usr/bin/${name}`;
}

/**
 * Lays out a fresh process: text, data, an empty brk heap, the stack.
 * `path` names the text and data VMAs (see {@link programPath}); null
 * leaves them unnamed.
 */
export function setupLayout(mm: AddressSpace, arch: Arch, path: string | null = null): void {
  const page = arch.pageSize;
  const base = imageBase(arch);
  const text = new Vma(
    base,
    base + page,
    VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC,
    base / page,
    {
      file: null,
      shared: null,
    },
    path,
  );
  const dataStart = base + page;
  const data = new Vma(
    dataStart,
    dataStart + page,
    VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT,
    dataStart / page,
    { file: null, shared: null },
    path,
  );
  const stackTop = Math.floor(arch.taskSize / page) * page;
  const stack = new Vma(
    stackTop - INITIAL_STACK,
    stackTop,
    VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_GROWSDOWN | VM_ACCOUNT,
    (stackTop - INITIAL_STACK) / page,
    { file: null, shared: null },
    '[stack]',
  );
  for (const vma of [text, data, stack]) {
    mm.vmas.insert(vma);
    mm.totalVm += vma.size / page;
  }
  mm.startCode = base;
  mm.endCode = base + page;
  mm.startData = dataStart;
  mm.endData = dataStart + page;
  mm.startBrk = dataStart + page;
  mm.brk = mm.startBrk;
  mm.startStack = stackTop - 64;
  mm.mmapBase = mmapBase(arch);
  mm.updateHiwater();
}
