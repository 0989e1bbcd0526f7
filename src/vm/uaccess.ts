/**
 * Kernel access to user memory (arch/x86/include/asm/uaccess.h,
 * include/linux/uaccess.h): `access_ok`, and copies to and from a
 * process's memory that go through its page tables with user-mode
 * permissions, faulting pages in (and breaking copy-on-write on a write)
 * as the CPU would, and stopping at the first byte that faults, as
 * `copy_to_user` and `copy_from_user` return the bytes they could not copy.
 *
 * `access_ok(addr, size)` checks only that the range lies in user space
 * (`addr + size <= TASK_SIZE_MAX`, without wrapping), not that it is
 * mapped: a system call checks it before doing anything, and a later
 * copy still faults on an unmapped page.
 */
import { KernelError, SegmentationFault } from '../page/errors.js';
import type { Process } from './process.js';

/**
 * `access_ok(addr, size)`: whether `[addr, addr + size)` lies in user
 * space (integers, `0 <= addr`, `addr + size <= taskSize`). `size` 0 is
 * fine anywhere below the end of user space.
 */
export function accessOk(p: Process, addr: number, size: number): boolean {
  return (
    Number.isSafeInteger(addr) &&
    Number.isSafeInteger(size) &&
    addr >= 0 &&
    size >= 0 &&
    addr + size <= p.mm.taskSize
  );
}

/** A fault a copy stops at: a signal the access would raise, or a fault out of memory. */
function isUserFault(e: unknown): boolean {
  return e instanceof SegmentationFault || (e instanceof KernelError && e.code === 'ENOMEM');
}

/**
 * `copy_to_user`: copies `bytes` to user address `va` of `p`, page by page
 * through its page tables (a write access: pages are faulted in and
 * copy-on-write is broken). Returns the bytes copied: all of them, or
 * fewer when an address faults (those before it are written).
 *
 * A fault the page-fault handler cannot satisfy for want of memory ends
 * the copy too: a kernel-mode fault that returns VM_FAULT_OOM is fixed up
 * as a failed copy (`kernelmode_fixup_or_oops`), so the caller returns
 * EFAULT, not ENOMEM.
 */
export function copyToUser(p: Process, va: number, bytes: Uint8Array): number {
  const pageSize = p.vm.arch.pageSize;
  let done = 0;
  while (done < bytes.length) {
    const at = va + done;
    const n = Math.min(bytes.length - done, pageSize - (at - Math.floor(at / pageSize) * pageSize));
    let pa: number;
    try {
      pa = p.mm.translate(at, true);
    } catch (e) {
      if (isUserFault(e)) return done;
      throw e;
    }
    p.vm.memory.write(pa, bytes.subarray(done, done + n));
    done += n;
  }
  return done;
}

/**
 * `copy_from_user`: the `len` bytes at user address `va` of `p` (a read
 * access), or the bytes before the first that faults.
 */
export function copyFromUser(p: Process, va: number, len: number): Uint8Array {
  const pageSize = p.vm.arch.pageSize;
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const at = va + done;
    const n = Math.min(len - done, pageSize - (at - Math.floor(at / pageSize) * pageSize));
    let pa: number;
    try {
      pa = p.mm.translate(at, false);
    } catch (e) {
      if (isUserFault(e)) return out.subarray(0, done);
      throw e;
    }
    out.set(p.vm.memory.read(pa, n), done);
    done += n;
  }
  return out;
}
