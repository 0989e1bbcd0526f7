/**
 * The memory map's grid: where zones, rows and cells go on the page.
 *
 * Physical memory is drawn as sections ({@link sectionsOf}): each zone with
 * frames, in pfn order, and any frames outside every zone as "no zone".
 * Each section opens with a dashed rule and a label (its range, size and
 * free memory), then a grid of rows. A row covers an aligned range of
 * `columns * 2^k` frames and is labelled with its physical address, so the
 * grid reads like a hex dump of RAM: the number of columns is a power of
 * two ({@link gridGeometry}) and a cell is an aligned buddy-sized block. A
 * section that starts or ends inside a row leaves the rest of that row
 * empty; cells never straddle a section boundary. Boot reservations
 * (memblock) are named over their widest row segment, where the name fits.
 *
 * This file only places things: what a cell is drawn as (its colour and
 * `data-owner`) comes from the caller ({@link CellPaint}), and how many
 * frames a cell holds from memory-map-cells.ts.
 */
import type { Zone } from '../buddy/zone.js';
import type { Kernel } from '../kernel.js';
import type { FrameRange } from './memory-map-cells.js';
import { INK, OWNER_COLOURS } from './palette.js';
import { el, escapeXml, formatBytes, MONO, SANS, sansWidth, text } from './svg.js';

const MIN_PITCH = 10;
const MAX_PITCH = 28;
const ROW_LABEL_FONT = 10;

/** A range of frames drawn as one section: a zone, or frames in no zone. */
export interface Section extends FrameRange {
  readonly name: string;
  readonly zone: Zone | null;
}

/** Where the cells go: the same for every section of one picture. */
export interface GridGeometry {
  /** Left and right edges of the rules and section labels. */
  readonly left: number;
  readonly right: number;
  /** Left edge of the first column (row labels end just before it). */
  readonly gridX: number;
  /** Frames per row (`columns * cellFrames`) and per cell (2^k). */
  readonly rowFrames: number;
  readonly cellFrames: number;
  /** Distance between cells, and a cell's side (the pitch less a gap). */
  readonly pitch: number;
  readonly cellSize: number;
}

/** The grid of one section: the geometry, its top edge and first row. */
interface SectionGrid extends GridGeometry {
  readonly top: number;
  readonly firstRow: number;
}

/** What the cell of frames `[first, end)` is drawn as: its fill and `data-owner`. */
export type CellPaint = (first: number, end: number) => { fill: string; owner: string };

/** The markup a section adds to, kept apart so each kind draws as one group. */
export interface SectionParts {
  /** Rules, section labels and row labels, in drawing order. */
  readonly body: string[];
  /** One `<rect>` per cell. */
  readonly cells: string[];
  /** Names of boot reservations, over their cells. */
  readonly regionLabels: string[];
}

/** The zones with frames, in pfn order, and any frames outside every zone. */
export function sectionsOf(zones: readonly Zone[], frames: number): Section[] {
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

/**
 * The grid between `left` and `right` for a machine of `frames` frames in
 * cells of `cellFrames`: room for the widest row label, then the largest
 * power-of-two number of columns whose pitch is at least MIN_PITCH (and at
 * most MAX_PITCH).
 */
export function gridGeometry(
  kernel: Kernel,
  frames: number,
  cellFrames: number,
  left: number,
  right: number,
): GridGeometry {
  const rowLabelWidth = Math.ceil(
    addressLabel(kernel, frames * kernel.arch.pageSize).length * ROW_LABEL_FONT * 0.602 + 10,
  );
  const gridWidth = right - left - rowLabelWidth;
  let columns = 1;
  while (columns * 2 * MIN_PITCH <= gridWidth) columns *= 2;
  const pitch = Math.min(MAX_PITCH, Math.floor(gridWidth / columns));
  return {
    left,
    right,
    gridX: left + rowLabelWidth,
    rowFrames: columns * cellFrames,
    cellFrames,
    pitch,
    cellSize: pitch > 12 ? pitch - 2 : pitch - 1,
  };
}

/**
 * Draws `section` below `top`: its rule, label, row labels, cells (each
 * painted by `paint`) and reservation names, appended to `out`. Returns
 * the bottom edge of its last row.
 */
export function drawSection(
  kernel: Kernel,
  geometry: GridGeometry,
  section: Section,
  top: number,
  paint: CellPaint,
  out: SectionParts,
): number {
  const { gridX, rowFrames, cellFrames, pitch, cellSize } = geometry;
  const pageSize = kernel.arch.pageSize;
  let y = top + 18;
  out.body.push(
    el('line', {
      x1: geometry.left,
      x2: geometry.right,
      y1: y,
      y2: y,
      stroke: INK.rule,
      'stroke-width': 1,
      'stroke-dasharray': '4 3',
      'data-zone-boundary-pfn': section.start,
    }),
  );
  y += 16;
  out.body.push(sectionLabel(kernel, section, geometry.left, y));
  y += 8;
  const firstRow = Math.floor(section.start / rowFrames);
  const lastRow = Math.floor((section.end - 1) / rowFrames);
  const labelEvery = pitch >= 13 ? 2 : 4;
  for (let row = firstRow; row <= lastRow; row++) {
    const rowY = y + (row - firstRow) * pitch;
    if (row === firstRow || (row - firstRow) % labelEvery === 0) {
      out.body.push(
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
      const { fill, owner } = paint(first, end);
      const col = Math.floor((first - row * rowFrames) / cellFrames);
      out.cells.push(
        el('rect', {
          x: gridX + col * pitch,
          y: rowY,
          width: cellSize,
          height: cellSize,
          fill,
          'data-first-pfn': first,
          'data-frames': end - first,
          'data-owner': owner,
        }),
      );
      first = end;
    }
  }
  const grid: SectionGrid = { ...geometry, top: y, firstRow };
  for (const region of kernel.memblock.reserved) {
    const first = Math.max(section.start, Math.floor(region.base / pageSize));
    const end = Math.min(section.end, Math.ceil((region.base + region.size) / pageSize));
    if (end > first) out.regionLabels.push(regionLabel(grid, first, end, region.owner));
  }
  return y + (lastRow - firstRow + 1) * pitch;
}

/**
 * The name of a boot reservation (memblock's owner: firmware, kernel image,
 * mem_map ...) written over the widest row segment of its frames
 * `[first, end)`, if the name fits there; otherwise nothing.
 */
function regionLabel(grid: SectionGrid, first: number, end: number, name: string): string {
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

/** A zone's label at `(x, y)`: its name, range, size and free memory. */
function sectionLabel(kernel: Kernel, section: Section, x: number, y: number): string {
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
      x,
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
