/**
 * `renderMemoryMap`: a picture of physical memory, one cell per frame (or
 * per aligned block of 2^k frames on large machines), coloured by owner.
 *
 * Layout, top to bottom: a title and a line naming the machine and the
 * scale; then one section per zone (a rule and a label at each zone
 * boundary, with the zone's range, size and free memory), each a grid of
 * rows; then the legend. A row covers an aligned range of
 * `columns * 2^k` frames and is labelled with its physical address, so the
 * grid reads like a hex dump of RAM: columns are a power of two, and a
 * cell is an aligned buddy-sized block. A zone that starts or ends inside a
 * row leaves the rest of that row empty; cells never straddle a zone
 * boundary.
 *
 * Scale: the smallest k for which the cells number at most `maxCells`. A
 * cell of several frames takes the colour of its majority owner, decided
 * in two steps (the kind most of its frames have, free, slab, anonymous
 * ...; then the most common order or cache within that kind), and its
 * `data-owner` names it; the legend's counts are exact frame counts, not
 * counts of cells.
 *
 * Cost: one classification pass (page-owner.ts) and one pass over the
 * frames to pick each cell's owner, both O(frames); the SVG holds one
 * `<rect>` per cell, `data-first-pfn`, `data-frames` and `data-owner` on
 * each.
 */
import type { Zone } from '../buddy/zone.js';
import type { Kernel } from '../kernel.js';
import {
  classifyFrames,
  compareOwnerKeys,
  type FrameOwners,
  framesPerCode,
  OWNER_KINDS,
  Owner,
  type OwnerKind,
  ownerKey,
  ownerKindOf,
} from './page-owner.js';
import { FREE_COLOURS, INK, OWNER_COLOURS, SLAB_COLOURS } from './palette.js';
import {
  checkOptionKeys,
  el,
  escapeXml,
  fmt,
  formatBytes,
  intOption,
  MONO,
  SANS,
  sansWidth,
  stringOption,
  svgDocument,
  text,
  wrapText,
} from './svg.js';

/**
 * Options of {@link renderMemoryMap}.
 *
 * @example
 * ```ts
 * // A wide picture of a one-frame-per-cell map of a 32 MiB machine.
 * const options: MemoryMapOptions = { width: 1600, maxCells: 8192, slabCaches: 10 };
 * renderMemoryMap(k, options);
 * ```
 */
export interface MemoryMapOptions {
  /** Width of the picture in pixels (320..8000; default 1000). */
  readonly width?: number;
  /**
   * At most this many cells (16..262144; default 4096): frames are grouped
   * into aligned blocks of 2^k until the cells fit.
   */
  readonly maxCells?: number;
  /** The title (default "Physical memory by owner"). */
  readonly title?: string;
  /**
   * How many slab caches get a colour of their own, the largest first
   * (0..10; default 8); the rest share "slab (other)".
   */
  readonly slabCaches?: number;
}

const FN = 'renderMemoryMap';
const OPTION_KEYS = ['width', 'maxCells', 'title', 'slabCaches'];
const PAD = 24;
const MIN_PITCH = 10;
const MAX_PITCH = 28;
const ROW_LABEL_FONT = 10;
const FREE_CODES = 11;
const FREE_KIND = OWNER_KINDS.indexOf('free');

/** A legend entry: one colour of the picture. */
interface LegendEntry {
  /** `free:<order>`, `slab:<name>`, `slab:other`, or an owner kind. */
  readonly key: string;
  readonly label: string;
  readonly colour: string;
  /** Exact frames this entry's owners hold. */
  readonly frames: number;
}

/** A range of frames drawn as one section: a zone, or frames in no zone. */
interface Section {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly zone: Zone | null;
}

/**
 * Renders physical memory as an SVG picture: a cell per frame (or per
 * aligned block of 2^k frames, so that there are at most `maxCells`
 * cells), coloured by owner, zones marked and labelled, with a legend of
 * exact frame counts per owner.
 *
 * Each cell is a `<rect>` with `data-first-pfn`, `data-frames` and
 * `data-owner` (`free:<order>`, `slab:<cache>`, `page-table`, `anon`,
 * `shmem`, `file`, `swap-cache`, `reserved`, `kernel`, `large-kmalloc`);
 * each legend entry a `<g>` with `data-owner` and `data-frames`. The
 * machine is only read; the same state gives the same bytes.
 *
 * @param kernel - the machine to draw.
 * @param options - size, scale and title ({@link MemoryMapOptions}).
 * @returns the SVG document.
 * @throws RangeError naming the option, for an option that is out of range
 *   or of the wrong type, or unknown.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * const k = Kernel.boot({ memory: '32M' });
 * k.kmemCacheCreate('dentry', 192).alloc(GFP_KERNEL);
 * writeFileSync('memory-map.svg', renderMemoryMap(k, { width: 900 }));
 * ```
 */
export function renderMemoryMap(kernel: Kernel, options: MemoryMapOptions = {}): string {
  checkOptionKeys(FN, options, OPTION_KEYS);
  const width = intOption(FN, 'width', options.width, 1000, 320, 8000);
  const maxCells = intOption(FN, 'maxCells', options.maxCells, 4096, 16, 262144);
  const title = stringOption(FN, 'title', options.title) ?? 'Physical memory by owner';
  const slabCaches = intOption(FN, 'slabCaches', options.slabCaches, 8, 0, SLAB_COLOURS.length);

  const owners = classifyFrames(kernel);
  const frames = owners.frames;
  const pageSize = kernel.arch.pageSize;
  const sections = sectionsOf(kernel.zones, frames);
  const shift = cellShift(sections, maxCells);
  const cellFrames = 2 ** shift;

  // Legend entries and the entry each owner code is drawn with.
  const perCode = framesPerCode(owners);
  const { entries, entryOfCode } = legendEntries(owners, perCode, slabCaches);

  // Grid geometry: a power-of-two number of columns that fits the width.
  const rowLabelWidth = Math.ceil(
    addressLabel(kernel, frames * pageSize).length * ROW_LABEL_FONT * 0.602 + 10,
  );
  const gridWidth = width - 2 * PAD - rowLabelWidth;
  let columns = 1;
  while (columns * 2 * MIN_PITCH <= gridWidth) columns *= 2;
  const pitch = Math.min(MAX_PITCH, Math.floor(gridWidth / columns));
  const cellSize = pitch > 12 ? pitch - 2 : pitch - 1;
  const gridX = PAD + rowLabelWidth;
  const rowFrames = columns * cellFrames;

  const body: string[] = [];
  let y = PAD + 18;
  body.push(
    text(PAD, y, title, {
      'font-family': SANS,
      'font-size': 20,
      'font-weight': 'bold',
      fill: INK.text,
    }),
  );
  y += 22;
  const scale =
    cellFrames === 1
      ? `one cell = one frame (${formatBytes(pageSize)})`
      : `one cell = ${cellFrames} frames (${formatBytes(cellFrames * pageSize)}), coloured by the owner of most of its frames`;
  const subtitle = `${formatBytes(kernel.memory.size)} ${kernel.arch.name} machine, ${frames} frames of ${formatBytes(pageSize)}; ${scale}`;
  wrapText(subtitle, width - 2 * PAD, 13).forEach((line, i) => {
    if (i > 0) y += 17;
    body.push(text(PAD, y, line, { 'font-size': 13, fill: INK.muted }));
  });
  y += 14;

  const counts = new Float64Array(owners.maxCode + 1);
  const touched: number[] = [];
  const kindTotals = new Float64Array(OWNER_KINDS.length);
  const cells: string[] = [];
  const regionLabels: string[] = [];
  let cellCount = 0;
  for (const section of sections) {
    y += 18;
    body.push(
      el('line', {
        x1: PAD,
        x2: width - PAD,
        y1: y,
        y2: y,
        stroke: INK.rule,
        'stroke-width': 1,
        'stroke-dasharray': '4 3',
        'data-zone-boundary-pfn': section.start,
      }),
    );
    y += 16;
    body.push(sectionLabel(kernel, section, y));
    y += 8;
    const firstRow = Math.floor(section.start / rowFrames);
    const lastRow = Math.floor((section.end - 1) / rowFrames);
    const labelEvery = pitch >= 13 ? 2 : 4;
    for (let row = firstRow; row <= lastRow; row++) {
      const rowY = y + (row - firstRow) * pitch;
      if (row === firstRow || (row - firstRow) % labelEvery === 0) {
        body.push(
          text(
            gridX - 6,
            rowY + cellSize / 2 + ROW_LABEL_FONT * 0.35,
            addressLabel(kernel, row * rowFrames * pageSize),
            {
              'font-family': MONO,
              'font-size': ROW_LABEL_FONT,
              fill: INK.muted,
              'text-anchor': 'end',
            },
          ),
        );
      }
      const rowStart = Math.max(section.start, row * rowFrames);
      const rowEnd = Math.min(section.end, (row + 1) * rowFrames);
      for (let first = rowStart; first < rowEnd; ) {
        const end = Math.min(rowEnd, (Math.floor(first / cellFrames) + 1) * cellFrames);
        const code = majorityOwner(owners, first, end, counts, touched, kindTotals);
        const col = Math.floor((first - row * rowFrames) / cellFrames);
        cells.push(
          el('rect', {
            x: gridX + col * pitch,
            y: rowY,
            width: cellSize,
            height: cellSize,
            fill: entries[entryOfCode[code] as number]?.colour ?? OWNER_COLOURS.reserved,
            'data-first-pfn': first,
            'data-frames': end - first,
            'data-owner': ownerKey(owners, code),
          }),
        );
        cellCount++;
        first = end;
      }
    }
    const grid: Grid = { gridX, top: y, firstRow, rowFrames, cellFrames, pitch, cellSize };
    for (const region of kernel.memblock.reserved) {
      const first = Math.max(section.start, Math.floor(region.base / pageSize));
      const end = Math.min(section.end, Math.ceil((region.base + region.size) / pageSize));
      if (end > first) regionLabels.push(regionLabel(grid, first, end, region.owner));
    }
    y += (lastRow - firstRow + 1) * pitch;
  }
  body.push(el('g', { class: 'cells', 'data-cell-frames': cellFrames }, cells));
  body.push(el('g', { class: 'reserved-labels' }, regionLabels));

  y += 28;
  const legend = renderLegend(entries, frames, pageSize, PAD, y, width - 2 * PAD);
  body.push(legend.markup);
  y = legend.bottom + PAD;

  return svgDocument(width, y, title, body, {
    'data-frames': frames,
    'data-cells': cellCount,
    'data-cell-frames': cellFrames,
    'font-family': SANS,
  });
}

/** Where a section's cells are drawn. */
interface Grid {
  readonly gridX: number;
  readonly top: number;
  readonly firstRow: number;
  readonly rowFrames: number;
  readonly cellFrames: number;
  readonly pitch: number;
  readonly cellSize: number;
}

/**
 * The name of a boot reservation (memblock's owner: firmware, kernel image,
 * mem_map ...) written over the widest row segment of its frames
 * `[first, end)`, if the name fits there; otherwise nothing.
 */
function regionLabel(grid: Grid, first: number, end: number, name: string): string {
  const { rowFrames, cellFrames, pitch } = grid;
  let bestRow = -1;
  let bestFrom = 0;
  let bestTo = 0;
  const lastRow = Math.floor((end - 1) / rowFrames);
  for (let row = Math.floor(first / rowFrames); row <= lastRow; row++) {
    const a = Math.max(first, row * rowFrames);
    const b = Math.min(end, (row + 1) * rowFrames);
    // Whole cells only: a cell the region fills less than half of is not its colour.
    const from = Math.ceil((a - row * rowFrames) / cellFrames - 0.5);
    const to = Math.floor((b - row * rowFrames) / cellFrames + 0.5);
    if (to - from > bestTo - bestFrom) {
      bestRow = row;
      bestFrom = from;
      bestTo = to;
    }
  }
  const font = 10;
  const width = (bestTo - bestFrom) * pitch;
  if (bestRow < 0 || width < sansWidth(name, font) + 6 || grid.cellSize < 9) return '';
  const left = grid.gridX + bestFrom * pitch;
  const top = grid.top + (bestRow - grid.firstRow) * pitch;
  // A band over the segment's cells (they are reserved: the band hides only
  // their gaps), so the name reads on one dark strip.
  return el('g', { 'data-region': name }, [
    el('rect', {
      x: left,
      y: top,
      width: width - (pitch - grid.cellSize),
      height: grid.cellSize,
      fill: OWNER_COLOURS.reserved,
    }),
    text(left + width / 2, top + grid.cellSize / 2 + font * 0.36, name, {
      'font-size': font,
      fill: '#ffffff',
      'text-anchor': 'middle',
    }),
  ]);
}

/** The zones with frames, in pfn order, and any frames outside every zone. */
function sectionsOf(zones: readonly Zone[], frames: number): Section[] {
  const sorted = zones
    .filter((z) => z.spanned > 0)
    .slice()
    .sort((a, b) => a.startPfn - b.startPfn);
  const out: Section[] = [];
  let at = 0;
  for (const zone of sorted) {
    const start = Math.max(at, zone.startPfn);
    const end = Math.min(frames, zone.endPfn);
    if (start > at) out.push({ name: 'no zone', start: at, end: start, zone: null });
    if (end > start) out.push({ name: zone.name, start, end, zone });
    at = Math.max(at, end);
  }
  if (at < frames) out.push({ name: 'no zone', start: at, end: frames, zone: null });
  return out;
}

/** The smallest block shift whose cells, split at section boundaries, number at most `maxCells`. */
function cellShift(sections: readonly Section[], maxCells: number): number {
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
 * The owner code drawn for frames `[first, end)`: the owner kind most of
 * them have, then within it the most common code (ties: the lowest code).
 * A tie between kinds goes to the one listed first in OWNER_KINDS, except
 * that any owner beats free: a block with a frame in use is not a free
 * block of the cell's size, so "in use" is the truer colour.
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

/** The legend: an entry per colour present, and the entry of every code. */
function legendEntries(
  owners: FrameOwners,
  perCode: Float64Array,
  slabCaches: number,
): { entries: LegendEntry[]; entryOfCode: Int32Array } {
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

/** A zone's label: its name, range, size and free memory. */
function sectionLabel(kernel: Kernel, section: Section, y: number): string {
  const pageSize = kernel.arch.pageSize;
  const frames = section.end - section.start;
  const range = `${addressLabel(kernel, section.start * pageSize)}–${addressLabel(kernel, section.end * pageSize)}`;
  let detail = `  ${range}  ·  ${formatBytes(frames * pageSize)}  ·  pfn ${section.start}–${section.end - 1}`;
  if (section.zone !== null) {
    const free = section.zone.freePages + section.zone.pcpPages;
    detail += `  ·  ${formatBytes(free * pageSize)} free`;
  }
  return el(
    'text',
    {
      x: PAD,
      y,
      'font-family': SANS,
      'font-size': 13,
      fill: INK.text,
      'data-zone': section.name,
      'data-start-pfn': section.start,
      'data-end-pfn': section.end,
    },
    [
      el('tspan', { 'font-weight': 'bold' }, [escapeXml(`zone ${section.name}`)]),
      el('tspan', { fill: INK.muted }, [escapeXml(detail)]),
    ],
  );
}

/** A physical address in hex, padded to the machine's largest address. */
function addressLabel(kernel: Kernel, pa: number): string {
  const digits = Math.max(8, kernel.memory.size.toString(16).length);
  return `0x${pa.toString(16).padStart(digits, '0')}`;
}

/** The legend as columns of swatches and labels; returns its markup and bottom edge. */
function renderLegend(
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
