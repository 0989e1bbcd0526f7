/**
 * msync(2): `sys_msync` (mm/msync.c of Linux 6.x).
 *
 * `addr` must be page aligned, `flags` a combination of MS_ASYNC,
 * MS_INVALIDATE and MS_SYNC without both MS_ASYNC and MS_SYNC (EINVAL);
 * `len` is rounded up to pages, and 0 does nothing. Every MAP_SHARED file
 * mapping in the range has its file's dirty pages written back (Linux
 * writes back only for MS_SYNC and leaves MS_ASYNC to the flusher threads;
 * mmsim has none, so both write back now). MS_INVALIDATE is accepted (the
 * page cache is the only copy mapped, so there is nothing to invalidate),
 * but EBUSY on a locked mapping. A range not wholly mapped gives ENOMEM,
 * after the mapped parts are written. A full disk gives ENOSPC.
 */
import type { AddressSpace } from '../address-space.js';
import { fileMappingOf, syncFileMapping } from '../fs/file-mapping.js';
import { MS_ASYNC, MS_INVALIDATE, MS_SYNC } from '../mman.js';
import { VM_LOCKED, VM_SHARED } from '../vma.js';
import { err, longBits, pageAlign, toIntBits, toUlong } from './vma-ops.js';

/** msync(2): 0, or a negative errno. */
export function sysMsync(mm: AddressSpace, addr: number, len: number, flags: number): number {
  const bits = longBits(mm);
  const page = mm.vm.arch.pageSize;
  const start = toUlong(addr, bits);
  const ulen = toUlong(len, bits);
  const uflags = toIntBits(flags);
  if (start === null || ulen === null || uflags === null) return err('EINVAL');
  if ((uflags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) !== 0) return err('EINVAL');
  if (start % page !== 0) return err('EINVAL');
  if ((uflags & MS_ASYNC) !== 0 && (uflags & MS_SYNC) !== 0) return err('EINVAL');
  const alen = pageAlign(ulen, page, bits);
  if (ulen !== 0 && alen === 0) return err('ENOMEM'); // the rounding wrapped
  const end = start + alen;
  if (end >= 2 ** bits) return err('ENOMEM');
  if (end === start) return 0;

  let at = start;
  let unmapped = false;
  for (const vma of mm.vmas.overlapping(start, end)) {
    if (vma.start > at) unmapped = true;
    if ((uflags & MS_INVALIDATE) !== 0 && (vma.flags & VM_LOCKED) !== 0) return err('EBUSY');
    const file = fileMappingOf(vma);
    if (file !== null && (vma.flags & VM_SHARED) !== 0) {
      const r = syncFileMapping(mm.vm, file);
      if (r < 0) return r;
    }
    at = vma.end;
  }
  if (at < end) unmapped = true;
  return unmapped ? err('ENOMEM') : 0;
}
