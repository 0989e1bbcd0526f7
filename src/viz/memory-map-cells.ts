/**
 * The memory map's scale and the owner each of its cells is drawn as.
 *
 * Scale ({@link cellShift}): a cell is an aligned block of 2^k frames, like
 * a buddy block, and k is the smallest shift for which the cells number at
 * most `maxCells`. Cells never straddle a section (zone) boundary, so a
 * block cut by one counts as two cells.
 *
 * Owner ({@link cellOwnerPicker}): a cell of several frames takes the owner
 * of most of its frames, in two steps: first the owner kind most of them
 * have (free, slab, anonymous ...), then the most common owner code within
 * that kind (a free order, a slab cache ...). Ties between kinds go to the
 * kind listed first in `OWNER_KINDS`, except that any owner beats free;
 * ties within a kind go to the lowest code. The pick depends only on the
 * frames' codes, not on the order cells are asked for.
 *
 * Fast and slow paths: a cell whose frames all have one owner is decided
 * by one scan; otherwise its codes are counted in scratch arrays that the
 * picker allocates once per picture and clears after each cell (only the
 * codes it touched), so a whole picture costs O(frames).
 */
import { type FrameOwners, OWNER_KINDS, ownerKindOf } from './page-owner.js';

/** A half-open range of frames `[start, end)`. */
export interface FrameRange {
  readonly start: number;
  readonly end: number;
}

const FREE_KIND = OWNER_KINDS.indexOf('free');

/**
 * The smallest block shift whose cells, split at the boundaries of
 * `sections`, number at most `maxCells` (52 if none does).
 */
export function cellShift(sections: readonly FrameRange[], maxCells: number): number {
  for (let shift = 0; shift < 52; shift++) {
    const size = 2 ** shift;
    let cells = 0;
    for (const s of sections)
      cells += Math.floor((s.end - 1) / size) - Math.floor(s.start / size) + 1;
    if (cells <= maxCells) return shift;
  }
  return 52;
}

/**
 * A function that gives the owner code drawn for frames `[first, end)`
 * of `owners` (see the module comment for the rule). The returned function
 * keeps scratch arrays between calls; use one per picture.
 */
export function cellOwnerPicker(owners: FrameOwners): (first: number, end: number) => number {
  const counts = new Float64Array(owners.maxCode + 1);
  const touched: number[] = [];
  const kindTotals = new Float64Array(OWNER_KINDS.length);
  return (first, end) => majorityOwner(owners, first, end, counts, touched, kindTotals);
}

/**
 * The owner code drawn for frames `[first, end)`: the owner kind most of
 * them have, then within it the most common code (ties: the lowest code).
 * A tie between kinds goes to the one listed first in OWNER_KINDS, except
 * that any owner beats free: a block with a frame in use is not a free
 * block of the cell's size, so "in use" is the truer colour.
 *
 * `counts` must be all zeros on entry and is again on return.
 */
function majorityOwner(
  owners: FrameOwners,
  first: number,
  end: number,
  counts: Float64Array,
  touched: number[],
  kindTotals: Float64Array,
): number {
  const o = owners.owner;
  const only = o[first] as number;
  let uniform = true;
  for (let p = first + 1; p < end; p++) {
    if (o[p] !== only) {
      uniform = false;
      break;
    }
  }
  if (uniform) return only;
  touched.length = 0;
  for (let p = first; p < end; p++) {
    const code = o[p] as number;
    if (counts[code] === 0) touched.push(code);
    counts[code] = (counts[code] as number) + 1;
  }
  kindTotals.fill(0);
  for (const code of touched) {
    const kind = OWNER_KINDS.indexOf(ownerKindOf(code));
    kindTotals[kind] = (kindTotals[kind] as number) + (counts[code] as number);
  }
  let bestKind = -1;
  let bestTotal = 0;
  for (let i = 0; i < kindTotals.length; i++) {
    const n = kindTotals[i] as number;
    if (n > bestTotal || (n === bestTotal && n > 0 && bestKind === FREE_KIND)) {
      bestKind = i;
      bestTotal = n;
    }
  }
  const kind = OWNER_KINDS[bestKind];
  let best = -1;
  for (const code of touched) {
    if (ownerKindOf(code) !== kind) continue;
    const n = counts[code] as number;
    if (best < 0 || n > (counts[best] as number) || (n === counts[best] && code < best)) {
      best = code;
    }
  }
  for (const code of touched) counts[code] = 0;
  return best;
}
