/**
 * A TLB per CPU: a direct-mapped cache of translations, tagged by
 * address-space id (ASID/PCID) so that switching address spaces needs no
 * flush, with global entries (kernel mappings) that match every ASID.
 *
 * Like v86's TLB, an entry is a few typed-array slots and a side list
 * remembers which slots are filled, so a full flush touches only those.
 * A hit costs an index computation and three compares; no JS objects.
 *
 * Flushes happen exactly where Linux flushes: a changed or removed PTE
 * (`flush_tlb_page`, `flush_tlb_range` after munmap, mprotect, COW,
 * reclaim), an address space going away (its ASID is flushed before reuse).
 */

/** Entry permission bits. */
export const TLB_READ = 1;
/** The entry allows writes (and the PTE is already dirty). */
export const TLB_WRITE = 2;
/** The entry is reachable from user mode. */
export const TLB_USER = 4;
/** The entry matches every ASID. */
export const TLB_GLOBAL = 8;

/** One CPU's TLB. */
export class Tlb {
  /** Virtual page number of each slot (-1: empty). */
  readonly vpn: Float64Array;
  /** ASID of each slot. */
  readonly asid: Int32Array;
  /** Physical address of the page of each slot. */
  readonly frame: Float64Array;
  /** TLB_* bits of each slot. */
  readonly perm: Uint8Array;
  private readonly filled: Int32Array;
  private nFilled = 0;
  private readonly isFilled: Uint8Array;
  readonly mask: number;
  /** Hits and misses, for statistics. */
  hits = 0;
  misses = 0;

  constructor(readonly size = 1024) {
    this.vpn = new Float64Array(size).fill(-1);
    this.asid = new Int32Array(size);
    this.frame = new Float64Array(size);
    this.perm = new Uint8Array(size);
    this.filled = new Int32Array(size);
    this.isFilled = new Uint8Array(size);
    this.mask = size - 1;
  }

  /** The slot a page maps to. */
  slotOf(vpn: number): number {
    // The low bits of the page number (ToInt32 keeps them exactly).
    return vpn & this.mask;
  }

  /** Caches a translation. */
  fill(vpn: number, asid: number, frame: number, perm: number): void {
    const i = this.slotOf(vpn);
    this.vpn[i] = vpn;
    this.asid[i] = asid;
    this.frame[i] = frame;
    this.perm[i] = perm;
    if (this.isFilled[i] === 0) {
      this.isFilled[i] = 1;
      this.filled[this.nFilled++] = i;
    }
  }

  /** `flush_tlb_page`: drops the translation of one page, for one ASID (and global ones). */
  flushPage(vpn: number, asid: number): void {
    const i = this.slotOf(vpn < 0 ? -vpn : vpn);
    if (
      this.vpn[i] === vpn &&
      (this.asid[i] === asid || ((this.perm[i] as number) & TLB_GLOBAL) !== 0)
    )
      this.vpn[i] = -1;
  }

  /** `flush_tlb_mm`: drops every non-global translation of an ASID. */
  flushAsid(asid: number): void {
    for (let k = 0; k < this.nFilled; k++) {
      const i = this.filled[k] as number;
      if (this.asid[i] === asid && ((this.perm[i] as number) & TLB_GLOBAL) === 0) this.vpn[i] = -1;
    }
  }

  /** `flush_tlb_all`. */
  flushAll(): void {
    for (let k = 0; k < this.nFilled; k++) {
      const i = this.filled[k] as number;
      this.vpn[i] = -1;
      this.isFilled[i] = 0;
    }
    this.nFilled = 0;
  }
}
