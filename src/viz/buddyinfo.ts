/**
 * `renderBuddyInfo`: /proc/buddyinfo as a bar chart, one panel per zone.
 *
 * The numbers are exactly the file's: per populated zone (a zone with
 * present pages, as `frag_show` walks them), the free blocks on the buddy
 * lists of each order 0..MAX_PAGE_ORDER (`free_area[order].nr_free`).
 * Frames on the per-CPU lists are not in them, as in Linux; each panel's
 * heading says how many there are. Each panel repeats the zone's line of
 * /proc/buddyinfo under its heading, so the picture can be checked against
 * the text, and has its own linear scale (a zone's largest count fills
 * its panel), with every bar labelled with its count.
 *
 * Bars are coloured like free memory in the memory map: the larger the
 * order, the lighter the green.
 */
import { renderBuddyinfo } from '../buddy/proc/buddyinfo.js';
import { NR_ORDERS } from '../buddy/zone.js';
import type { Kernel } from '../kernel.js';
import { FREE_COLOURS, INK } from './palette.js';
import {
  checkOptionKeys,
  el,
  escapeXml,
  formatBytes,
  intOption,
  MONO,
  monoWidth,
  SANS,
  stringOption,
  svgDocument,
  text,
  wrapText,
} from './svg.js';

/**
 * Options of {@link renderBuddyInfo}.
 *
 * @example
 * ```ts
 * const options: BuddyInfoOptions = { width: 700, title: 'After the stress test' };
 * renderBuddyInfo(k, options);
 * ```
 */
export interface BuddyInfoOptions {
  /**
   * Width of the layout in user units, the `viewBox` width (400..8000; default 900): how
   * much room text and cells get. The picture itself has no fixed size and scales to its
   * container.
   */
  readonly width?: number;
  /** The title (default "Free blocks per order (/proc/buddyinfo)"). */
  readonly title?: string;
}

const FN = 'renderBuddyInfo';
const OPTION_KEYS = ['width', 'title'];
const PAD = 24;
const PLOT_HEIGHT = 150;

/**
 * Renders /proc/buddyinfo as an SVG bar chart: a panel per populated zone,
 * a bar per order with the count of free blocks of that order.
 *
 * Each bar is a `<rect class="bar">` with `data-zone`, `data-order` and
 * `data-count` (a zero count has a bar of no height); each panel a
 * `<g class="zone">` with `data-zone`. The machine is only read; the same
 * state gives the same bytes.
 *
 * @param kernel - the machine to draw.
 * @param options - size and title ({@link BuddyInfoOptions}).
 * @returns the SVG document.
 * @throws RangeError naming the option, for an option that is out of range
 *   or of the wrong type, or unknown.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * const k = Kernel.boot({ memory: '64M' });
 * k.allocPages(GFP_KERNEL, 3);
 * writeFileSync('buddyinfo.svg', renderBuddyInfo(k, { width: 800 }));
 * ```
 */
export function renderBuddyInfo(kernel: Kernel, options: BuddyInfoOptions = {}): string {
  checkOptionKeys(FN, options, OPTION_KEYS);
  const width = intOption(FN, 'width', options.width, 900, 400, 8000);
  const title =
    stringOption(FN, 'title', options.title) ?? 'Free blocks per order (/proc/buddyinfo)';
  const pageSize = kernel.arch.pageSize;
  const lines = renderBuddyinfo(kernel.buddy).split('\n');
  const zones = kernel.zones.filter((z) => z.present > 0);

  const body: string[] = [];
  let y = PAD + 18;
  body.push(text(PAD, y, title, { 'font-size': 20, 'font-weight': 'bold', fill: INK.text }));
  y += 22;
  const subtitle = `${formatBytes(kernel.memory.size)} ${kernel.arch.name} machine. A block of order n is 2^n contiguous frames (${formatBytes(pageSize)} × 2^n); per-CPU list pages are not counted.`;
  wrapText(subtitle, width - 2 * PAD, 13).forEach((line, i) => {
    if (i > 0) y += 17;
    body.push(text(PAD, y, line, { 'font-size': 13, fill: INK.muted }));
  });
  y += 10;

  const axisWidth = 44;
  const plotX = PAD + axisWidth;
  const plotWidth = width - PAD - plotX;
  const slot = plotWidth / NR_ORDERS;
  const barWidth = Math.max(4, Math.min(56, slot * 0.7));

  zones.forEach((zone, i) => {
    const counts: number[] = [];
    let freeFrames = 0;
    let blocks = 0;
    for (let order = 0; order < NR_ORDERS; order++) {
      const n = zone.nrFree[order] as number;
      counts.push(n);
      blocks += n;
      freeFrames += n * 2 ** order;
    }
    const parts: string[] = [];
    y += 44;
    parts.push(
      el('text', { x: PAD, y, 'font-size': 14, fill: INK.text }, [
        el('tspan', { 'font-weight': 'bold' }, [escapeXml(`zone ${zone.name}`)]),
        el('tspan', { fill: INK.muted }, [
          escapeXml(
            `  ${blocks} free block${blocks === 1 ? '' : 's'}, ${formatBytes(freeFrames * pageSize)} free of ${formatBytes(zone.spanned * pageSize)}; ${zone.pcpPages} frame${zone.pcpPages === 1 ? '' : 's'} on per-CPU lists`,
          ),
        ]),
      ]),
    );
    y += 18;
    const line = lines[i] ?? '';
    const lineFont = Math.min(11, (width - 2 * PAD) / Math.max(1, monoWidth(line, 1)));
    parts.push(
      text(PAD, y, line, {
        'font-family': MONO,
        'font-size': Math.max(6, Math.floor(lineFont * 10) / 10),
        fill: INK.muted,
        'xml:space': 'preserve',
      }),
    );
    y += 12;
    const top = y + 16;
    const bottom = top + PLOT_HEIGHT;
    const max = Math.max(1, ...counts);
    const step = niceStep(max);
    for (let v = 0; v <= max; v += step) {
      const gy = bottom - (v / max) * PLOT_HEIGHT;
      parts.push(
        el('line', {
          x1: plotX,
          x2: plotX + plotWidth,
          y1: gy,
          y2: gy,
          stroke: v === 0 ? INK.rule : INK.faint,
          'stroke-width': 1,
        }),
        text(plotX - 6, gy + 4, String(v), {
          'font-size': 10,
          fill: INK.muted,
          'text-anchor': 'end',
        }),
      );
    }
    counts.forEach((n, order) => {
      const h = (n / max) * PLOT_HEIGHT;
      const cx = plotX + slot * order + slot / 2;
      parts.push(
        el('rect', {
          class: 'bar',
          x: cx - barWidth / 2,
          y: bottom - h,
          width: barWidth,
          height: h,
          fill: FREE_COLOURS[order] ?? '#ffffff',
          stroke: FREE_COLOURS[0],
          'stroke-width': h > 0 ? 0.75 : 0,
          'data-zone': zone.name,
          'data-order': order,
          'data-count': n,
        }),
        text(cx, bottom - h - 4, String(n), {
          'font-size': 11,
          fill: INK.text,
          'text-anchor': 'middle',
        }),
        text(cx, bottom + 15, String(order), {
          'font-size': 11,
          'font-weight': 'bold',
          fill: INK.text,
          'text-anchor': 'middle',
        }),
        text(cx, bottom + 28, compactBytes(pageSize * 2 ** order), {
          'font-size': 10,
          fill: INK.muted,
          'text-anchor': 'middle',
        }),
        text(cx, bottom + 41, n === 0 ? '–' : compactBytes(n * pageSize * 2 ** order), {
          'font-size': 10,
          fill: INK.muted,
          'text-anchor': 'middle',
        }),
      );
    });
    const rowHead = { 'font-size': 10, fill: INK.muted, 'text-anchor': 'end' };
    parts.push(
      text(plotX - 6, bottom + 15, 'order', rowHead),
      text(plotX - 6, bottom + 28, 'block', rowHead),
      text(plotX - 6, bottom + 41, 'free', rowHead),
    );
    body.push(el('g', { class: 'zone', 'data-zone': zone.name }, parts));
    y = bottom + 41;
  });
  if (zones.length === 0) {
    y += 30;
    body.push(text(PAD, y, '(no populated zones)', { 'font-size': 12, fill: INK.muted }));
  }
  y += PAD;
  return svgDocument(width, y, title, body, { 'font-family': SANS });
}

/** `formatBytes` without the space, for narrow columns: `4KiB`, `1.5MiB`. */
function compactBytes(bytes: number): string {
  return formatBytes(bytes).replace(' ', '');
}

/** A round gridline step (1, 2 or 5 times a power of ten) giving at most about 5 lines. */
function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.max(1, m * p);
  return 10 * p;
}
