/**
 * Reverse mapping (mm/rmap.c): from a frame to every PTE that maps it, so
 * that reclaim can test and clear the accessed bits of a page
 * (`folio_referenced`) and unmap it everywhere (`try_to_unmap`).
 *
 * The struct page says where to look, as in Linux:
 *
 * - an anonymous page (PG_anon) has `mapping` = the id of its
 *   {@link AnonVma} and `index` = its linear page index in the VMA that
 *   created it (`vm_pgoff` + offset, low 32 bits). The anon_vma lists the
 *   address spaces that may map the page: the one that faulted it and every
 *   address space forked from it. In each, a private VMA whose page offsets
 *   cover `index` maps the page at `start + (index - pgoff) * PAGE_SIZE`, if
 *   its PTE there holds the frame. mmsim keeps one anon_vma per fork tree,
 *   as Linux did before 2.6.34's anon_vma chains: the walk may look at
 *   address spaces that no longer share the page, never miss one that does.
 * - a shmem page (PG_swapbacked without PG_anon) has `mapping` = the id of
 *   its `SharedAnon` object and `index` = the page offset in it;
 * - a page cache page has `mapping` = the inode number and `index` = the
 *   file page index. Shmem and file pages are found through every VMA of
 *   every address space that maps the same object (`i_mmap`).
 *
 * A walk costs O(address spaces × VMAs) per page, paid by reclaim alone.
 */
import { PG } from '../../page/page-flags.js';
import type { AddressSpace } from '../address-space.js';
import { fileMappingOf } from '../fs/file-mapping.js';
import type { VmSystem } from '../vm-system.js';
import { VM_SHARED, type Vma } from '../vma.js';

/**
 * `struct anon_vma`: the address spaces that may map a group of anonymous
 * pages. Created with an address space; fork adds the child to its
 * parent's; an address space leaves it at exit.
 */
export class AnonVma {
  /** Address spaces that may map pages of this anon_vma. */
  readonly mms = new Set<AddressSpace>();
  constructor(
    /** The id anonymous pages keep in `mapping`. */
    readonly id: number,
  ) {}
}

/** What a walk found: one PTE mapping the frame. */
export interface RmapVisitor {
  /** Called for each PTE mapping the frame; return true to stop the walk. */
  visit(mm: AddressSpace, vma: Vma, va: number, slot: number): boolean;
}

/** What kind of object a page belongs to, from its flags. */
export type PageOwner = 'anon' | 'shmem' | 'file';

/** The kind of a user page (`folio_test_anon`, `folio_test_swapbacked`). */
export function pageOwner(vm: VmSystem, pfn: number): PageOwner {
  const m = vm.buddy.memMap;
  m.checkPfn('pageOwner', pfn);
  if (m.testFlag(pfn, PG.anon)) return 'anon';
  return m.testFlag(pfn, PG.swapbacked) ? 'shmem' : 'file';
}

/**
 * `rmap_walk`: calls `visitor.visit` for each PTE that maps `pfn`, until it
 * returns true or every mapping (`mapcount` of them) was found.
 */
export function rmapWalk(vm: VmSystem, pfn: number, visitor: RmapVisitor): void {
  const m = vm.buddy.memMap;
  m.checkPfn('rmapWalk', pfn);
  let remaining = m.mapcount[pfn] as number;
  if (remaining <= 0) return;
  const index = m.index[pfn] as number;
  const id = m.mapping[pfn] as number;
  const pageSize = vm.arch.pageSize;
  const fmt = vm.geo.format;
  const owner = pageOwner(vm, pfn);
  const spaces = owner === 'anon' ? vm.anonVmas.get(id)?.mms : vm.addressSpaces;
  if (spaces === undefined) return;
  for (const mm of spaces) {
    for (const vma of mm.vmas.all()) {
      let offset: number;
      if (owner === 'anon') {
        if ((vma.flags & VM_SHARED) !== 0) continue;
        offset = (index - vma.pgoff) >>> 0; // both are kept modulo 2 ** 32
      } else if (owner === 'shmem') {
        if (vma.backing.shared?.id !== id) continue;
        offset = index - vma.pgoff;
      } else {
        if (fileMappingOf(vma)?.inode.ino !== id) continue;
        offset = index - vma.pgoff;
      }
      if (offset < 0 || offset >= (vma.end - vma.start) / pageSize) continue;
      const va = vma.start + offset * pageSize;
      const slot = mm.pteSlot(va, false);
      if (slot < 0) continue;
      const lo = vm.geo.readLo(slot);
      const hi = vm.geo.readHi(slot);
      if (!fmt.present(lo, hi) || fmt.pfn(lo, hi) !== pfn) continue;
      if (visitor.visit(mm, vma, va, slot)) return;
      if (--remaining === 0) return;
    }
  }
}
