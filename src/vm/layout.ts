/**
 * The layout of a new process (fs/binfmt_elf.c, arch/x86/mm/mmap.c):
 * a program image (one page of text, one of data) at the architecture's
 * usual load address, the brk heap right after it, the stack at the top
 * of user space, and the mmap area below the stack and its gap, growing
 * down. mmsim does not randomise the layout.
 */
import type { Arch } from '../page/arch.js';
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

/** Lays out a fresh process: text, data, an empty brk heap, the stack. */
export function setupLayout(mm: AddressSpace, arch: Arch): void {
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
  );
  const dataStart = base + page;
  const data = new Vma(
    dataStart,
    dataStart + page,
    VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT,
    dataStart / page,
    { file: null, shared: null },
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
