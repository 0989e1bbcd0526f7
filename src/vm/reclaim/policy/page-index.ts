/**
 * Page number to slot, for the policies' own bookkeeping. Pages below
 * `DIRECT_LIMIT` (every pfn of a machine up to 4 GiB of 4 KiB pages, and
 * every page of a trace as `simulatePolicy` relabels them) are looked up
 * in an `Int32Array` indexed by page, grown by doubling as larger pages
 * arrive; larger pages fall back to a `Map`. The direct table is what
 * keeps a miss cheap: a `Map` delete plus set costs about 80 ns in V8,
 * two typed-array writes a few.
 *
 * Invariant: a page below `DIRECT_LIMIT` is only ever in `direct`, a page
 * at or above it only in `sparse`.
 *
 * Internal to `src/vm/reclaim/policy`.
 */

/** Pages below this are indexed directly (2**20 entries: 4 MiB of table at most). */
export const DIRECT_LIMIT = 2 ** 20;

/** Value returned for a page that is not in the index. */
export const ABSENT = -1;

/** A map from page to a non-negative slot number. */
export class PageIndex {
  private direct: Int32Array;
  private readonly sparse = new Map<number, number>();
  /** Number of pages held. */
  size = 0;

  /** @param span Pages below `span` are expected (sizes the direct table up front). */
  constructor(span = 64) {
    this.direct = new Int32Array(Math.min(DIRECT_LIMIT, Math.max(64, span))).fill(ABSENT);
  }

  /** The slot of `page`, or ABSENT (also for anything that is not a page). */
  get(page: number): number {
    if (page < DIRECT_LIMIT) {
      const v = this.direct[page];
      return v === undefined ? ABSENT : v;
    }
    return this.sparse.get(page) ?? ABSENT;
  }

  /** Whether `page` is held. */
  has(page: number): boolean {
    return this.get(page) !== ABSENT;
  }

  /** Adds `page` (a non-negative safe integer, not yet held) with `slot` (>= 0). */
  set(page: number, slot: number): void {
    if (page < DIRECT_LIMIT) {
      if (page >= this.direct.length) this.grow(page);
      this.direct[page] = slot;
    } else {
      this.sparse.set(page, slot);
    }
    this.size++;
  }

  /** Changes the slot of a held `page`. */
  update(page: number, slot: number): void {
    if (page < DIRECT_LIMIT) this.direct[page] = slot;
    else this.sparse.set(page, slot);
  }

  /** Removes a held `page`. */
  delete(page: number): void {
    if (page < DIRECT_LIMIT) this.direct[page] = ABSENT;
    else this.sparse.delete(page);
    this.size--;
  }

  private grow(page: number): void {
    let n = this.direct.length * 2;
    while (n <= page) n *= 2;
    const direct = new Int32Array(Math.min(n, DIRECT_LIMIT)).fill(ABSENT);
    direct.set(this.direct);
    this.direct = direct;
  }
}
