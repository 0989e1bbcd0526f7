/**
 * `renderMemoryMap`: a picture of physical memory, one cell per frame (or
 * per aligned block of 2^k frames on large machines), coloured by owner.
 *
 * Layout, top to bottom: a title and a line naming the machine and the
 * scale; then one section per zone (a rule and a label at each zone
 * boundary, with the zone's range, size and free memory), each a grid of
 * rows laid out like a hex dump of RAM; then the legend. A cell of several
 * frames takes the colour of its majority owner, and its `data-owner`
 * names it; the legend's counts are exact frame counts, not counts of
 * cells.
 *
 * This file reads the options and stacks the parts; each part is a module
 * of its own:
 *
 * - memory-map-cells.ts: the scale (frames per cell) and the owner each
 *   cell is drawn as;
 * - memory-map-grid.ts: sections (zones), rows and cells on the page, and
 *   the names of boot reservations over their cells;
 * - memory-map-legend.ts: the colours, the owners each stands for, and the
 *   legend drawn from them.
 *
 * Cost: one classification pass (page-owner.ts) and one pass over the
 * frames to pick each cell's owner, both O(frames); the SVG holds one
 * `<rect>` per cell, `data-first-pfn`, `data-frames` and `data-owner` on
 * each.
 */
import type { Kernel } from '../kernel.js';
import { cellOwnerPicker, cellShift } from './memory-map-cells.js';
import {
  type CellPaint,
  drawSection,
  gridGeometry,
  type SectionParts,
  sectionsOf,
} from './memory-map-grid.js';
import { colourOfCode, legendEntries, renderLegend } from './memory-map-legend.js';
import { classifyFrames, ownerKey } from './page-owner.js';
import { INK, SLAB_COLOURS } from './palette.js';
import {
  checkOptionKeys,
  el,
  formatBytes,
  intOption,
  SANS,
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
  /**
   * Width of the layout in user units, the `viewBox` width (320..8000; default 1000): how
   * much room text and cells get. The picture itself has no fixed size and scales to its
   * container.
   */
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
  const cellFrames = 2 ** cellShift(sections, maxCells);

  // Legend entries and what each cell is drawn as.
  const legend = legendEntries(owners, slabCaches);
  const ownerOfCell = cellOwnerPicker(owners);
  const paint: CellPaint = (first, end) => {
    const code = ownerOfCell(first, end);
    return { fill: colourOfCode(legend, code), owner: ownerKey(owners, code) };
  };
  const geometry = gridGeometry(kernel, frames, cellFrames, PAD, width - PAD);

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

  const parts: SectionParts = { body, cells: [], regionLabels: [] };
  for (const section of sections) y = drawSection(kernel, geometry, section, y, paint, parts);
  body.push(el('g', { class: 'cells', 'data-cell-frames': cellFrames }, parts.cells));
  body.push(el('g', { class: 'reserved-labels' }, parts.regionLabels));

  y += 28;
  const drawn = renderLegend(legend.entries, frames, pageSize, PAD, y, width - 2 * PAD);
  body.push(drawn.markup);
  y = drawn.bottom + PAD;

  return svgDocument(width, y, title, body, {
    'data-frames': frames,
    'data-cells': parts.cells.length,
    'data-cell-frames': cellFrames,
    'font-family': SANS,
  });
}
