/**
 * Circular doubly-linked lists of frames, linked through the `next` and
 * `prev` fields of the struct page array, with one head slot per list in
 * an `Int32Array` (`list_head` in the kernel). A head slot holds the first
 * pfn or -1 for an empty list; the first page's `prev` is the last page, so
 * both ends are reached in O(1).
 *
 * Free lists and per-CPU lists use these; every operation is a few
 * typed-array reads and writes and allocates nothing.
 */

/** `list_add_tail`: inserts `pfn` at the back of list `list`. */
export function listAddTail(
  next: Int32Array,
  prev: Int32Array,
  heads: Int32Array,
  list: number,
  pfn: number,
): void {
  const first = heads[list] as number;
  if (first < 0) {
    next[pfn] = pfn;
    prev[pfn] = pfn;
    heads[list] = pfn;
  } else {
    const last = prev[first] as number;
    next[pfn] = first;
    prev[pfn] = last;
    next[last] = pfn;
    prev[first] = pfn;
  }
}

/**
 * `list_add`: inserts `pfn` at the front of list `list`. In a circular
 * list the front is just after the back: add at the back, then make the
 * new entry the head.
 */
export function listAdd(
  next: Int32Array,
  prev: Int32Array,
  heads: Int32Array,
  list: number,
  pfn: number,
): void {
  listAddTail(next, prev, heads, list, pfn);
  heads[list] = pfn;
}

/** `list_del`: unlinks `pfn` from list `list`. */
export function listDel(
  next: Int32Array,
  prev: Int32Array,
  heads: Int32Array,
  list: number,
  pfn: number,
): void {
  const n = next[pfn] as number;
  if (n === pfn) {
    heads[list] = -1;
  } else {
    const p = prev[pfn] as number;
    next[p] = n;
    prev[n] = p;
    if (heads[list] === pfn) heads[list] = n;
  }
  next[pfn] = -1;
  prev[pfn] = -1;
}

/** The last entry of a list, or -1 if it is empty (`list_last_entry`). */
export function listLast(prev: Int32Array, heads: Int32Array, list: number): number {
  const first = heads[list] as number;
  return first < 0 ? -1 : (prev[first] as number);
}
