/**
 * What a mapped page is, seen from one of the VMAs that map it: the RSS
 * counter it counts in (`MM_ANONPAGES`, `MM_FILEPAGES`, `MM_SHMEMPAGES`)
 * and whether smaps calls it anonymous (`folio_test_anon`).
 *
 * Linux reads this from the page itself (the low bit of `page->mapping`
 * marks an anon page; shmem pages are swap-backed file pages). mmsim's
 * struct page has no anon bit, so the VMA decides, as the fault paths
 * that created the page did:
 *
 * - private anonymous VMA: anonymous (`do_anonymous_page`, `wp_page_copy`);
 * - shared anonymous VMA: shmem (`shmem_fault`);
 * - file VMA: a swap-backed page is an anonymous copy made by a private
 *   write fault (`wp_page_copy` sets PG_swapbacked), any other page is the
 *   page cache's.
 *
 * The zero page is none of these: callers skip it, as `vm_normal_page`
 * does.
 */
import { PG } from '../page/page-flags.js';
import type { RssKind, VmSystem } from './vm-system.js';
import type { Vma } from './vma.js';

/** The RSS counter page `pfn`, mapped by `vma`, counts in. */
export function pageRssKind(vm: VmSystem, vma: Vma, pfn: number): RssKind {
  if (vma.backing.file === null) return vma.backing.shared !== null ? 'shmem' : 'anon';
  return vm.buddy.memMap.testFlag(pfn, PG.swapbacked) ? 'anon' : 'file';
}

/** `folio_test_anon` for page `pfn` mapped by `vma`. */
export function pageIsAnon(vm: VmSystem, vma: Vma, pfn: number): boolean {
  return pageRssKind(vm, vma, pfn) === 'anon';
}
