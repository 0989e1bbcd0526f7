/**
 * The memory map's legend: which colours the picture uses, which owner
 * codes each colour stands for, and the exact frames behind each.
 *
 * Entries, in this order, each only if its owners hold a frame: free
 * memory by buddy order 0..10 (a green per order); slab caches by name,
 * the most frames first, the first `slabCaches` with a colour of their own
 * and the rest together as `slab:other`; then large kmalloc, other kernel
 * pages, page tables, anonymous, shmem, swap cache, file cache, reserved.
 *
 * Invariants: every owner code that holds a frame belongs to exactly one
 * entry ({@link colourOfCode} gives its colour), and an entry's count is
 * the exact number of frames its codes hold, not a count of cells: the
 * legend does not change with the picture's scale.
 *
 * {@link renderLegend} draws the entries as columns of swatch, label and
 * size, as many columns as fit the width.
 */
import {
  compareOwnerKeys,
  type FrameOwners,
  framesPerCode,
  Owner,
  type OwnerKind,
  ownerKey,
} from './page-owner.js';
import { FREE_COLOURS, INK, OWNER_COLOURS, SLAB_COLOURS } from './palette.js';
import { el, fmt, formatBytes, sansWidth, text } from './svg.js';

/** Free-block orders with an entry of their own: 0..MAX_PAGE_ORDER. */
const FREE_CODES = 11;

/** A legend entry: one colour of the picture. */
export interface LegendEntry {
  /** `free:<order>`, `slab:<name>`, `slab:other`, or an owner kind. */
  readonly key: string;
  readonly label: string;
  readonly colour: string;
  /** Exact frames this entry's owners hold. */
  readonly frames: number;
}

/** The legend's entries, and the entry each owner code is drawn with. */
export interface Legend {
  readonly entries: readonly LegendEntry[];
  /** Index into `entries` per owner code; -1 for a code that holds no frame. */
  readonly entryOfCode: Int32Array;
}

/**
 * The legend of `owners`: an entry per colour present, and the entry of
 * every code. At most `slabCaches` slab caches get a colour of their own.
 */
export function legendEntries(owners: FrameOwners, slabCaches: number): Legend {
  const perCode = framesPerCode(owners);
  const entryOfCode = new Int32Array(owners.maxCode + 1).fill(-1);
  const entries: LegendEntry[] = [];
  const add = (key: string, label: string, colour: string, codes: readonly number[]): void => {
    let n = 0;
    for (const c of codes) n += perCode[c] ?? 0;
    if (n === 0) return;
    for (const c of codes) entryOfCode[c] = entries.length;
    entries.push({ key, label, colour, frames: n });
  };
  for (let order = 0; order < FREE_CODES; order++) {
    const label = order === 0 ? 'free, order 0 (and per-CPU lists)' : `free, order ${order}`;
    add(`free:${order}`, label, FREE_COLOURS[order] ?? '#ffffff', [Owner.free + order]);
  }
  // Slab caches by name (two caches may share one), largest first.
  const byName = new Map<string, { frames: number; codes: number[] }>();
  for (let code = Owner.slab; code <= owners.maxCode; code++) {
    const n = perCode[code] as number;
    if (n === 0) continue;
    const name = ownerKey(owners, code).slice(5);
    const e = byName.get(name) ?? { frames: 0, codes: [] };
    e.frames += n;
    e.codes.push(code);
    byName.set(name, e);
  }
  const slabs = [...byName].sort(
    (a, b) => b[1].frames - a[1].frames || compareOwnerKeys(`slab:${a[0]}`, `slab:${b[0]}`),
  );
  slabs.slice(0, slabCaches).forEach(([name, e], i) => {
    add(`slab:${name}`, `slab: ${name}`, SLAB_COLOURS[i] ?? OWNER_COLOURS.slabOther, e.codes);
  });
  const rest = slabs.slice(slabCaches);
  if (rest.length > 0) {
    add(
      'slab:other',
      `slab: ${rest.length} other cache${rest.length === 1 ? '' : 's'}`,
      OWNER_COLOURS.slabOther,
      rest.flatMap(([, e]) => e.codes),
    );
  }
  const others: [OwnerKind, number, string, string][] = [
    ['large-kmalloc', Owner.largeKmalloc, 'large kmalloc', OWNER_COLOURS.largeKmalloc],
    ['kernel', Owner.kernel, 'kernel (other allocations)', OWNER_COLOURS.kernel],
    ['page-table', Owner.pageTable, 'page tables', OWNER_COLOURS.pageTable],
    ['anon', Owner.anon, 'anonymous', OWNER_COLOURS.anon],
    ['shmem', Owner.shmem, 'shmem (shared anonymous)', OWNER_COLOURS.shmem],
    ['swap-cache', Owner.swapCache, 'swap cache', OWNER_COLOURS.swapCache],
    ['file', Owner.file, 'file cache', OWNER_COLOURS.file],
    ['reserved', Owner.reserved, 'reserved at boot', OWNER_COLOURS.reserved],
  ];
  for (const [key, code, label, colour] of others) add(key, label, colour, [code]);
  return { entries, entryOfCode };
}

/** The colour owner code `code` is drawn with (reserved's, for a code with no entry). */
export function colourOfCode(legend: Legend, code: number): string {
  return legend.entries[legend.entryOfCode[code] as number]?.colour ?? OWNER_COLOURS.reserved;
}

/**
 * The legend as columns of swatches and labels, its heading at `(x, y)`,
 * at most `width` wide; returns its markup and bottom edge. Shares are of
 * `frames`, the machine's frames.
 */
export function renderLegend(
  entries: readonly LegendEntry[],
  frames: number,
  pageSize: number,
  x: number,
  y: number,
  width: number,
): { markup: string; bottom: number } {
  const font = 12;
  const lineHeight = 20;
  const swatch = 13;
  const rows = entries.map((e) => {
    const pct = (e.frames / frames) * 100;
    const share = pct >= 10 ? fmt(Math.round(pct)) : pct >= 0.1 ? pct.toFixed(1) : '<0.1';
    return {
      entry: e,
      value: `${formatBytes(e.frames * pageSize)} · ${share}%`,
    };
  });
  const labelWidth = Math.max(...rows.map((r) => sansWidth(r.entry.label, font)), 0);
  const valueWidth = Math.max(...rows.map((r) => sansWidth(r.value, font - 1)), 0);
  const colWidth = swatch + 8 + labelWidth + 12 + valueWidth + 28;
  const cols = Math.max(1, Math.min(entries.length, Math.floor(width / colWidth)));
  const perCol = Math.ceil(entries.length / cols);
  const parts: string[] = [
    text(x, y, 'Legend (exact frame counts; free memory by the order of its buddy block)', {
      'font-size': 13,
      'font-weight': 'bold',
      fill: INK.text,
    }),
  ];
  const top = y + 12;
  rows.forEach((r, i) => {
    const cx = x + Math.floor(i / perCol) * colWidth;
    const cy = top + (i % perCol) * lineHeight;
    parts.push(
      el(
        'g',
        {
          class: 'legend-entry',
          'data-owner': r.entry.key,
          'data-frames': r.entry.frames,
        },
        [
          el('rect', {
            x: cx,
            y: cy,
            width: swatch,
            height: swatch,
            fill: r.entry.colour,
            stroke: INK.rule,
            'stroke-width': 0.5,
          }),
          text(cx + swatch + 8, cy + swatch - 2, r.entry.label, {
            'font-size': font,
            fill: INK.text,
          }),
          text(cx + swatch + 8 + labelWidth + 12, cy + swatch - 2, r.value, {
            'font-size': font - 1,
            fill: INK.muted,
          }),
        ],
      ),
    );
  });
  return { markup: el('g', { class: 'legend' }, parts), bottom: top + perCol * lineHeight };
}
