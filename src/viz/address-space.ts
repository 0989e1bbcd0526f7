/**
 * `renderAddressSpace`: a picture of one process's virtual memory, the
 * VMAs of /proc/<pid>/maps as bars.
 *
 * One row per VMA, in address order (the order maps lists them), with the
 * maps header (`start-end perms`) and name at the left, then a bar, then
 * the VMA's size and page counts. Address spaces mix VMAs of a page with
 * VMAs of gigabytes and leave terabytes unmapped between them, so neither
 * a linear axis nor a true-to-scale gap is readable; instead:
 *
 * - a bar's length is logarithmic in the VMA's size (one page: a short
 *   bar, the largest VMA: the full width), against a ruled size axis;
 * - the space between two VMAs that do not touch is a thin "gap" row
 *   saying how much is unmapped there (a gapped axis).
 *
 * Each bar is split by what the page tables hold for the VMA's pages
 * (resident, swapped, not present), as vma-pages.ts counts them. Resident
 * pages are coloured by what the VMA maps: anonymous, shmem or a file.
 */

import { hex, vmaName } from '../vm/proc/maps.js';
import type { Process } from '../vm/process.js';
import { VM_EXEC, VM_MAYSHARE, VM_READ, VM_WRITE, type Vma } from '../vm/vma.js';
import { INK, OWNER_COLOURS } from './palette.js';
import {
  checkOptionKeys,
  el,
  formatBytes,
  intOption,
  MONO,
  monoWidth,
  SANS,
  sansWidth,
  stringOption,
  svgDocument,
  text,
  wrapText,
} from './svg.js';
import { type VmaPages, vmaPages } from './vma-pages.js';

/**
 * Options of {@link renderAddressSpace}.
 *
 * @example
 * ```ts
 * const options: AddressSpaceOptions = { width: 1200, title: 'nginx worker' };
 * renderAddressSpace(process, options);
 * ```
 */
export interface AddressSpaceOptions {
  /**
   * Width of the layout in user units, the `viewBox` width (640..8000; default 1000): how
   * much room text and cells get. The picture itself has no fixed size and scales to its
   * container.
   */
  readonly width?: number;
  /** The title (default "Address space of pid <pid> (<name>)"). */
  readonly title?: string;
}

const FN = 'renderAddressSpace';
const OPTION_KEYS = ['width', 'title'];
const PAD = 24;
const ROW = 26;
const GAP_ROW = 18;
const BAR_HEIGHT = 14;
const MONO_FONT = 11;
const NAME_FONT = 12;
const MAX_NAME_CHARS = 36;
const MIN_BAR = 140;

/** The perms column of maps: rwx and s (VM_MAYSHARE) or p. */
function perms(vma: Vma): string {
  const f = vma.flags;
  return `${f & VM_READ ? 'r' : '-'}${f & VM_WRITE ? 'w' : '-'}${f & VM_EXEC ? 'x' : '-'}${f & VM_MAYSHARE ? 's' : 'p'}`;
}

/** What a VMA maps, for the colour of its resident pages. */
function vmaKind(vma: Vma): 'file' | 'shmem' | 'anon' {
  if (vma.backing.file !== null) return 'file';
  return vma.backing.shared !== null ? 'shmem' : 'anon';
}

const KIND_COLOURS = {
  anon: OWNER_COLOURS.anon,
  shmem: OWNER_COLOURS.shmem,
  file: OWNER_COLOURS.file,
} as const;

function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/** `s`, shortened with an ellipsis until it fits `maxWidth` at `fontSize`. */
function fitText(s: string, maxWidth: number, fontSize: number): string {
  let chars = [...s];
  if (sansWidth(s, fontSize) <= maxWidth) return s;
  while (chars.length > 1 && sansWidth(`${chars.join('')}…`, fontSize) > maxWidth) {
    chars = chars.slice(0, -1);
  }
  return `${chars.join('')}…`;
}

/**
 * Renders the address space of `process` as an SVG picture: a row per VMA
 * (as /proc/<pid>/maps lists them) with its range, permissions and name,
 * a bar of logarithmic length split into resident, swapped and
 * not-present pages, and thin rows for the unmapped gaps between VMAs.
 *
 * Each VMA row is a `<g class="vma">` with `data-start` and `data-end`
 * (hex as maps prints them), `data-perms`, `data-name` (empty for none),
 * `data-pages`, `data-resident` and `data-swapped`. The process is only
 * read; the same state gives the same bytes.
 *
 * @param process - a live process.
 * @param options - size and title ({@link AddressSpaceOptions}).
 * @returns the SVG document.
 * @throws RangeError naming the option, for an option that is out of range
 *   or of the wrong type, or unknown.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * const p = Kernel.boot({ memory: '32M' }).spawn({ name: 'demo' });
 * const a = p.sys.mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
 * p.store32(a, 42);
 * writeFileSync('address-space.svg', renderAddressSpace(p));
 * ```
 */
export function renderAddressSpace(process: Process, options: AddressSpaceOptions = {}): string {
  checkOptionKeys(FN, options, OPTION_KEYS);
  const width = intOption(FN, 'width', options.width, 1000, 640, 8000);
  const title =
    stringOption(FN, 'title', options.title) ??
    `Address space of pid ${process.pid} (${process.name})`;
  const pageSize = process.vm.arch.pageSize;
  const vmas = process.mm.vmas.all();
  const rows = vmas.map((vma) => {
    const name = vmaName(process, vma) ?? '';
    return {
      vma,
      header: `${hex(vma.start, 8)}-${hex(vma.end, 8)} ${perms(vma)}`,
      name,
      shown: name === '' ? '(anonymous)' : truncate(name, MAX_NAME_CHARS),
      counts: vmaPages(process, vma),
    };
  });

  // Columns: maps header, name, bar, numbers.
  const headerWidth = Math.max(
    monoWidth('00000000-00000000 ---p', MONO_FONT),
    ...rows.map((r) => monoWidth(r.header, MONO_FONT)),
  );
  const statsFor = (c: VmaPages): string =>
    `${formatBytes(c.pages * pageSize)} · ${c.resident} res · ${c.swapped} swap`;
  const statsWidth = Math.max(
    sansWidth('4.99 GiB · 88888 res · 88888 swap', 11),
    ...rows.map((r) => sansWidth(statsFor(r.counts), 11)),
  );
  const nameX = PAD + headerWidth + 14;
  const statsX = width - PAD - statsWidth;
  // Names take what they need, but leave the bars at least MIN_BAR.
  const nameWidth = Math.min(
    Math.max(
      sansWidth('(anonymous)', NAME_FONT),
      ...rows.map((r) => sansWidth(r.shown, NAME_FONT)),
    ),
    Math.max(sansWidth('(anonymous)', NAME_FONT), statsX - 16 - 14 - MIN_BAR - nameX),
  );
  for (const r of rows) r.shown = fitText(r.shown, nameWidth, NAME_FONT);
  const barX = nameX + nameWidth + 14;
  const barMax = Math.max(60, statsX - 16 - barX);
  const maxPages = Math.max(1, ...rows.map((r) => r.counts.pages));
  const logMax = Math.log2(maxPages) + 1;
  const barLength = (pages: number): number =>
    Math.max(6, (barMax * (Math.log2(Math.max(1, pages)) + 1)) / logMax);

  const body: string[] = [];
  let y = PAD + 18;
  body.push(
    text(PAD, y, title, {
      'font-size': 20,
      'font-weight': 'bold',
      fill: INK.text,
    }),
  );
  y += 22;
  let mapped = 0;
  let resident = 0;
  let swapped = 0;
  for (const r of rows) {
    mapped += r.counts.pages;
    resident += r.counts.resident;
    swapped += r.counts.swapped;
  }
  const subtitle = [
    `${rows.length} VMA${rows.length === 1 ? '' : 's'} (as /proc/${process.pid}/maps lists them): ` +
      `${formatBytes(mapped * pageSize)} mapped, ${formatBytes(resident * pageSize)} resident, ` +
      `${formatBytes(swapped * pageSize)} swapped.`,
    'Bar length is logarithmic in the size of the VMA; the gaps between VMAs are not to scale.',
  ].flatMap((paragraph) => wrapText(paragraph, width - 2 * PAD, 13));
  subtitle.forEach((line, i) => {
    if (i > 0) y += 17;
    body.push(text(PAD, y, line, { 'font-size': 13, fill: INK.muted }));
  });
  y += 24;

  // Key.
  const key: [string, string][] = [
    ['resident (anonymous)', OWNER_COLOURS.anon],
    ['resident (shmem)', OWNER_COLOURS.shmem],
    ['resident (file)', OWNER_COLOURS.file],
    ['swapped', OWNER_COLOURS.swapped],
    ['not present', OWNER_COLOURS.notPresent],
  ];
  let kx = PAD;
  const keyParts: string[] = [];
  for (const [label, colour] of key) {
    const itemWidth = 19 + sansWidth(label, 12);
    if (kx > PAD && kx + itemWidth > width - PAD) {
      kx = PAD;
      y += 20;
    }
    keyParts.push(
      el('rect', {
        x: kx,
        y: y - 11,
        width: 13,
        height: 13,
        fill: colour,
        stroke: INK.rule,
        'stroke-width': 0.5,
      }),
      text(kx + 19, y, label, { 'font-size': 12, fill: INK.text }),
    );
    kx += itemWidth + 22;
  }
  body.push(el('g', { class: 'key' }, keyParts));
  y += 26;

  // Column heads and the size axis.
  const headAttrs = { 'font-size': 11, fill: INK.muted, 'font-weight': 'bold' };
  body.push(
    text(PAD, y, 'start-end perms', headAttrs),
    text(nameX, y, 'name', headAttrs),
    text(statsX, y, 'size · pages resident · swapped', headAttrs),
  );
  const axis: string[] = [];
  for (let bytes = pageSize; bytes / pageSize <= maxPages * 1.0001; bytes *= 16) {
    const x = barX + barLength(bytes / pageSize);
    axis.push(
      text(x, y, formatBytes(bytes).replace(' ', ''), {
        'font-size': 10,
        fill: INK.muted,
        'text-anchor': 'middle',
      }),
    );
  }
  y += 8;
  const gridTop = y;

  const rowParts: string[] = [];
  let prevEnd: number | null = null;
  for (const r of rows) {
    const { vma, counts } = r;
    if (prevEnd !== null && vma.start > prevEnd) {
      const gapBytes = vma.start - prevEnd;
      rowParts.push(
        el('g', { class: 'gap', 'data-start': hex(prevEnd, 8), 'data-bytes': gapBytes }, [
          el('line', {
            x1: PAD,
            x2: width - PAD,
            y1: y + GAP_ROW / 2,
            y2: y + GAP_ROW / 2,
            stroke: INK.faint,
            'stroke-width': 1,
            'stroke-dasharray': '2 4',
          }),
          text(barX, y + GAP_ROW / 2 + 4, `⋯ ${formatBytes(gapBytes)} unmapped ⋯`, {
            'font-size': 10,
            fill: INK.muted,
            'font-style': 'italic',
          }),
        ]),
      );
      y += GAP_ROW;
    }
    prevEnd = vma.end;
    const len = barLength(counts.pages);
    const resLen = (len * counts.resident) / counts.pages;
    const swapLen = (len * counts.swapped) / counts.pages;
    const barY = y + (ROW - BAR_HEIGHT) / 2;
    const textY = y + ROW / 2 + 4;
    const parts: string[] = [
      text(PAD, textY, r.header, { 'font-family': MONO, 'font-size': MONO_FONT, fill: INK.text }),
      text(nameX, textY, r.shown, {
        'font-size': NAME_FONT,
        fill: r.name === '' ? INK.muted : INK.text,
        'font-style': r.name === '' ? 'italic' : undefined,
      }),
      el('rect', {
        x: barX,
        y: barY,
        width: len,
        height: BAR_HEIGHT,
        fill: OWNER_COLOURS.notPresent,
      }),
    ];
    if (resLen > 0) {
      parts.push(
        el('rect', {
          x: barX,
          y: barY,
          width: resLen,
          height: BAR_HEIGHT,
          fill: KIND_COLOURS[vmaKind(vma)],
          class: 'resident',
        }),
      );
    }
    if (swapLen > 0) {
      parts.push(
        el('rect', {
          x: barX + resLen,
          y: barY,
          width: swapLen,
          height: BAR_HEIGHT,
          fill: OWNER_COLOURS.swapped,
          class: 'swapped',
        }),
      );
    }
    parts.push(
      el('rect', {
        x: barX,
        y: barY,
        width: len,
        height: BAR_HEIGHT,
        fill: 'none',
        stroke: INK.rule,
        'stroke-width': 0.75,
      }),
      text(statsX, textY, statsFor(counts), { 'font-size': 11, fill: INK.muted }),
    );
    rowParts.push(
      el(
        'g',
        {
          class: 'vma',
          'data-start': hex(vma.start, 8),
          'data-end': hex(vma.end, 8),
          'data-perms': perms(vma),
          'data-name': r.name,
          'data-pages': counts.pages,
          'data-resident': counts.resident,
          'data-swapped': counts.swapped,
        },
        parts,
      ),
    );
    y += ROW;
  }
  if (rows.length === 0) {
    rowParts.push(text(PAD, y + ROW / 2 + 4, '(no VMAs)', { 'font-size': 12, fill: INK.muted }));
    y += ROW;
  }
  // Axis rules behind the bars.
  const rules: string[] = [];
  for (let bytes = pageSize; bytes / pageSize <= maxPages * 1.0001; bytes *= 16) {
    const x = barX + barLength(bytes / pageSize);
    rules.push(
      el('line', { x1: x, x2: x, y1: gridTop, y2: y, stroke: INK.faint, 'stroke-width': 1 }),
    );
  }
  body.push(el('g', { class: 'axis' }, [...rules, ...axis]));
  body.push(el('g', { class: 'vmas' }, rowParts));
  y += PAD;
  return svgDocument(width, y, title, body, {
    'data-pid': process.pid,
    'font-family': SANS,
  });
}
