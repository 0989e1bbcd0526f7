/**
 * mprotect(2): `do_mprotect_pkey`, `mprotect_fixup` and `change_protection`
 * (mm/mprotect.c of Linux 6.x).
 *
 * Checks, in the kernel's order: PROT_GROWSDOWN with PROT_GROWSUP (EINVAL),
 * `addr` alignment (EINVAL), `len` 0 (success, nothing done), a range that
 * wraps (ENOMEM), unknown `prot` bits (EINVAL), a range that starts or runs
 * into unmapped space (ENOMEM), PROT_GROWSDOWN on a VMA that does not grow
 * down and PROT_GROWSUP anywhere (EINVAL: no architecture here grows up), a
 * permission the VMA may not take (EACCES: PROT_WRITE without VM_MAYWRITE,
 * and so on), memory becoming a data mapping past RLIMIT_DATA
 * (`may_expand_vm`: ENOMEM), the overcommit charge of memory becoming private writable
 * (ENOMEM), and the map count when VMAs must be split (ENOMEM).
 *
 * Linux applies the change VMA by VMA and can leave the first VMAs changed
 * when a later one fails; POSIX allows that. mmsim validates the whole range
 * first and undoes the VMA splits if the map count runs out, so a failed
 * call changes nothing.
 *
 * The change itself: the VMAs of the range get the new access flags (split
 * where the range cuts them, merged with neighbours that now match), then
 * every present PTE is rewritten (`change_pte_range`): write permission is
 * kept only where the VMA stays writable, never added (a private page
 * becomes writable on its next write fault, which reuses or copies it; a
 * shared one is simply made writable there), user access is removed for
 * PROT_NONE (any access then faults, and the fault handler answers
 * SEGV_ACCERR from the VMA's flags), and NX follows PROT_EXEC. Each
 * rewritten PTE is flushed from the TLBs. Memory that becomes private
 * writable is charged and marked VM_ACCOUNT; private anonymous memory that
 * becomes read-only before any page was written gives the charge back.
 */

import { checkPageRange } from '../../page/validate.js';
import type { AddressSpace } from '../address-space.js';
import { PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_WRITE } from '../mman.js';
import { PTE_ACCESSED, PTE_DIRTY, PTE_NX, PTE_PRESENT, PTE_USER, PTE_WRITE } from '../pte.js';
import {
  VM_ACCOUNT,
  VM_EXEC,
  VM_GROWSDOWN,
  VM_LOCKED,
  VM_LOCKONFAULT,
  VM_NORESERVE,
  VM_SHARED,
  VM_WRITE,
  type Vma,
} from '../vma.js';
import { vmFlagsFromProt } from './mmap.js';
import { isDataMapping, mayExpandVm } from './vm-limits.js';
import {
  err,
  faultInRange,
  findVmaIntersection,
  hasAnonPages,
  longBits,
  modifyVmaFlags,
  pageAlign,
  restoreVmas,
  snapshotVmas,
  toIntBits,
  toUlong,
  VM_ACCESS_FLAGS,
  vmEnoughMemory,
} from './vma-ops.js';

/** `PROT_SEM`: accepted and ignored, as every architecture but none uses it. */
const PROT_SEM = 0x8;

/**
 * `change_protection` over `[start, end)` of `vma`, whose flags are already
 * the new ones: rewrites each present PTE whose permissions differ, and
 * flushes it from the TLBs.
 */
export function changeProtection(mm: AddressSpace, vma: Vma, start: number, end: number): void {
  checkPageRange('changeProtection', start, end, vma.start, vma.end, mm.vm.arch.pageSize);
  const geo = mm.vm.geo;
  const fmt = geo.format;
  const accessible = (vma.flags & VM_ACCESS_FLAGS) !== 0;
  const writable = accessible && (vma.flags & VM_WRITE) !== 0;
  const nx = (vma.flags & VM_EXEC) === 0;
  mm.forEachPteSlot(start, end, (va, slot) => {
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if (!fmt.present(lo, hi)) return;
    const old = fmt.flags(lo, hi) & ~PTE_PRESENT;
    const pfn = fmt.pfn(lo, hi);
    let flags = old & (PTE_ACCESSED | PTE_DIRTY);
    if (accessible) flags |= PTE_USER;
    if (writable && (old & PTE_WRITE) !== 0) flags |= PTE_WRITE;
    if (nx) flags |= PTE_NX;
    if (fmt.lo(pfn, flags, true) !== lo || fmt.hi(pfn, flags, true) !== hi) {
      mm.setPte(slot, va, pfn, flags);
    }
  });
}

interface Piece {
  readonly start: number;
  readonly end: number;
  readonly oldFlags: number;
  readonly newFlags: number;
}

/** mprotect(2): 0, or a negative errno. */
export function sysMprotect(mm: AddressSpace, addr: number, len: number, prot: number): number {
  const bits = longBits(mm);
  const page = mm.vm.arch.pageSize;
  const ustart = toUlong(addr, bits);
  const ulen = toUlong(len, bits);
  const uprot = toIntBits(prot);
  if (ustart === null || ulen === null || uprot === null) return err('EINVAL');
  let start = ustart;
  const grows = uprot & (PROT_GROWSDOWN | PROT_GROWSUP);
  const access = uprot & ~grows;
  if (grows === (PROT_GROWSDOWN | PROT_GROWSUP)) return err('EINVAL');
  if (start % page !== 0) return err('EINVAL');
  if (ulen === 0) return 0;
  const alen = pageAlign(ulen, page, bits);
  const end = start + alen;
  if (alen === 0 || end >= 2 ** bits) return err('ENOMEM');
  if ((access & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) !== 0) return err('EINVAL');

  const first = findVmaIntersection(mm, start, end);
  if (first === undefined) return err('ENOMEM');
  if ((grows & PROT_GROWSDOWN) !== 0) {
    start = first.start;
    if ((first.flags & VM_GROWSDOWN) === 0) return err('EINVAL');
  } else {
    if (first.start > start) return err('ENOMEM');
    // PROT_GROWSUP extends the range to the end of a VM_GROWSUP mapping; no
    // architecture modelled here has one.
    if ((grows & PROT_GROWSUP) !== 0) return err('EINVAL');
  }

  // Validate every VMA of the range before changing any.
  const pieces: Piece[] = [];
  let tmp = first.start;
  let newData = 0; // pages the earlier pieces turn into data mappings
  for (const vma of mm.vmas.overlapping(start, end)) {
    if (vma.start !== tmp) return err('ENOMEM');
    const pieceStart = Math.max(start, vma.start);
    const pieceEnd = Math.min(end, vma.end);
    let newFlags = vmFlagsFromProt(access) | (vma.flags & ~VM_ACCESS_FLAGS);
    if ((newFlags & ~(newFlags >>> 4) & VM_ACCESS_FLAGS) !== 0) return err('EACCES');
    tmp = pieceEnd;
    if (newFlags === vma.flags) continue;
    const oldFlags = vma.flags;
    if ((newFlags & VM_WRITE) !== 0) {
      // Check space limits when the area turns into data (RLIMIT_DATA).
      const n = (pieceEnd - pieceStart) / page;
      if (!mayExpandVm(mm, newFlags, n + newData) && mayExpandVm(mm, oldFlags, n + newData)) {
        return err('ENOMEM');
      }
      if (isDataMapping(newFlags) && !isDataMapping(oldFlags)) newData += n;
      if ((oldFlags & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE)) === 0) {
        if (!vmEnoughMemory(mm.vm, (pieceEnd - pieceStart) / page, mm)) return err('ENOMEM');
        newFlags |= VM_ACCOUNT;
      }
    } else if (
      (oldFlags & VM_ACCOUNT) !== 0 &&
      vma.backing.file === null &&
      vma.backing.shared === null &&
      !hasAnonPages(mm, vma)
    ) {
      newFlags &= ~VM_ACCOUNT;
    }
    pieces.push({ start: pieceStart, end: pieceEnd, oldFlags, newFlags });
  }
  if (tmp < end) return err('ENOMEM');

  // The VMAs: split, set, merge; all or nothing.
  const snap = snapshotVmas(mm, start, end);
  for (const piece of pieces) {
    const vma = mm.vmas.lookup(piece.start);
    if (vma === undefined || vma.flags === piece.newFlags) continue; // merged into by the previous piece
    const r = modifyVmaFlags(mm, vma, piece.start, piece.end, piece.newFlags);
    if (typeof r === 'number') {
      restoreVmas(mm, snap);
      return r;
    }
  }

  // The PTEs, then the pages a locked private mapping needs now that it is writable.
  for (const piece of pieces) {
    for (const vma of mm.vmas.overlapping(piece.start, piece.end)) {
      changeProtection(mm, vma, Math.max(piece.start, vma.start), Math.min(piece.end, vma.end));
    }
  }
  for (const piece of pieces) {
    if (
      (piece.oldFlags & (VM_WRITE | VM_SHARED | VM_LOCKED)) === VM_LOCKED &&
      (piece.newFlags & VM_WRITE) !== 0 &&
      (piece.newFlags & VM_LOCKONFAULT) === 0 // populate_vma_page_range skips lock-on-fault
    ) {
      faultInRange(mm, piece.start, piece.end, true);
    }
  }
  return 0;
}
