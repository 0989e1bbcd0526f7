/**
 * Tests of the SVG pictures (src/viz): each parses as XML; the memory map's
 * cells cover every frame exactly once and the frames per owner agree with
 * counts kept elsewhere in the machine (buddy free lists, slabinfo, page
 * table counters, RSS counters, the page cache, shmem objects, the swap
 * cache, memblock); the address-space bars match /proc/<pid>/maps and the
 * PTEs; the buddyinfo bars match /proc/buddyinfo; options are checked;
 * output is deterministic; and a 16 GiB machine renders quickly.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  GFP_KERNEL,
  Kernel,
  MADV_PAGEOUT,
  MADV_WILLNEED,
  MAP_ANONYMOUS,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  O_RDONLY,
  PROT_READ,
  PROT_WRITE,
  type Process,
} from '../src/index.js';
import {
  classifyFrames,
  countFrameOwners,
  ownerKey,
  renderAddressSpace,
  renderBuddyInfo,
  renderMemoryMap,
} from '../src/viz/index.js';
import { existingPageCache } from '../src/vm/fs/page-cache.js';
import { isBlock } from '../src/vm/page-table.js';
import { renderMaps } from '../src/vm/proc/maps.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

// --- XML helpers -------------------------------------------------------------

type Attrs = Record<string, string>;
interface XmlNode {
  readonly tag: string;
  readonly attrs: Attrs;
  readonly children: readonly XmlNode[];
  readonly text: string;
}

/** Parses an SVG with a real XML parser (after validating it) into a plain tree. */
function parseSvg(svg: string): XmlNode {
  const valid = XMLValidator.validate(svg);
  if (valid !== true) throw new Error(`invalid XML: ${JSON.stringify(valid.err)}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    preserveOrder: true,
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
  });
  const doc = parser.parse(svg) as unknown[];
  const convert = (entry: unknown): XmlNode | null => {
    if (typeof entry !== 'object' || entry === null) return null;
    const record = entry as Record<string, unknown>;
    const tag = Object.keys(record).find((key) => key !== ':@');
    if (tag === undefined) return null;
    const attrs = (record[':@'] ?? {}) as Attrs;
    const kids = (record[tag] ?? []) as unknown[];
    const children: XmlNode[] = [];
    let text = '';
    for (const kid of kids) {
      const node = convert(kid);
      if (node === null) continue;
      if (node.tag === '#text') text += node.text;
      else children.push(node);
      text += node.tag === '#text' ? '' : node.text;
    }
    if (tag === '#text') return { tag, attrs: {}, children: [], text: String(record[tag]) };
    return { tag, attrs, children, text };
  };
  const root = doc.map(convert).find((n) => n?.tag === 'svg');
  if (root === undefined || root === null) throw new Error('no <svg> root');
  return root;
}

/** Every element below `node` (depth first, document order) matching `pred`. */
function findAll(node: XmlNode, pred: (n: XmlNode) => boolean): XmlNode[] {
  const out: XmlNode[] = [];
  const walk = (n: XmlNode): void => {
    if (pred(n)) out.push(n);
    for (const c of n.children) walk(c);
  };
  walk(node);
  return out;
}

function attr(n: XmlNode, name: string): string {
  const v = n.attrs[name];
  if (v === undefined) throw new Error(`<${n.tag}> has no ${name}`);
  return v;
}

function num(n: XmlNode, name: string): number {
  return Number(attr(n, name));
}

interface Cell {
  readonly first: number;
  readonly frames: number;
  readonly owner: string;
}

function cellsOf(svg: string): { cells: Cell[]; root: XmlNode } {
  const root = parseSvg(svg);
  const cells = findAll(root, (n) => n.tag === 'rect' && n.attrs['data-first-pfn'] !== undefined)
    .map((n) => ({
      first: num(n, 'data-first-pfn'),
      frames: num(n, 'data-frames'),
      owner: attr(n, 'data-owner'),
    }))
    .sort((a, b) => a.first - b.first);
  return { cells, root };
}

/** Legend entries: owner key -> exact frames. */
function legendOf(root: XmlNode): Map<string, number> {
  const out = new Map<string, number>();
  for (const g of findAll(root, (n) => n.attrs.class === 'legend-entry')) {
    out.set(attr(g, 'data-owner'), num(g, 'data-frames'));
  }
  return out;
}

function expectCellsCoverMemory(k: Kernel, cells: readonly Cell[]): void {
  let at = 0;
  for (const c of cells) {
    expect(c.first).toBe(at); // contiguous, so neither overlapping nor leaving holes
    expect(c.frames).toBeGreaterThan(0);
    at = c.first + c.frames;
  }
  expect(at).toBe(k.memory.frames);
  expect(cells.reduce((s, c) => s + c.frames, 0)).toBe(k.memory.frames);
}

// --- machine helpers ---------------------------------------------------------

/** The frame behind a present user PTE at `va`. */
function userPfn(p: Process, va: number): number {
  const pte = p.mm.lookupPte(va);
  if (pte === null) throw new Error(`no present PTE at ${va}`);
  return pte.pfn;
}

/** Whether the PTE at `va` is present, a swap entry, or empty/missing, read slot by slot. */
function pteState(p: Process, va: number): 'resident' | 'swapped' | 'none' {
  const slot = p.mm.pteSlot(va, false);
  if (slot < 0) return 'none';
  const geo = p.vm.geo;
  const lo = geo.readLo(slot);
  const hi = geo.readHi(slot);
  if ((lo | hi) === 0) return 'none';
  return geo.format.present(lo, hi) ? 'resident' : 'swapped';
}

/** Page-table frames reachable from init_mm's PGD, itself included. */
function kernelTables(k: Kernel): number {
  const geo = k.vm.geo;
  const walk = (table: number, level: number): number => {
    let n = 1;
    if (level === geo.levels - 1) return n;
    for (let i = 0; i < (geo.entries[level] ?? 0); i++) {
      const slot = geo.slot(table, i);
      const lo = geo.readLo(slot);
      const hi = geo.readHi(slot);
      if (geo.format.present(lo, hi) && !isBlock(geo, lo))
        n += walk(geo.format.pfn(lo, hi), level + 1);
    }
    return n;
  };
  return walk(k.vm.initMm.pgd, 0);
}

interface Zoo {
  readonly k: Kernel;
  readonly p: Process;
  readonly kernelPfn: number;
  readonly slabPfn: number;
  readonly largePfn: number;
  readonly largeFrames: number;
  readonly anonVa: number;
  readonly shmVa: number;
  readonly fileVa: number;
  readonly swapVa: number;
}

/** An 8 MiB machine with frames of every owner kind, one frame per cell. */
function zoo(options: { drain?: boolean } = {}): Zoo {
  const k = Kernel.boot({ memory: '8M', swap: { size: '16M' } });
  const PS = k.PAGE_SIZE;
  const cache = k.kmemCacheCreate('zoo_objects', 256);
  let obj = 0;
  for (let i = 0; i < 40; i++) obj = k.kmemCacheAlloc(cache, GFP_KERNEL) ?? 0;
  for (let i = 0; i < 50; i++) k.kmalloc(96, GFP_KERNEL);
  const large = k.kmalloc(5 * PS, GFP_KERNEL) ?? 0;
  const largePfn = k.virtToPage(large);
  const kernelPfn = k.allocPages(GFP_KERNEL, 1) ?? -1;

  const p = k.spawn({ name: 'zoo' });
  const anonVa = p.sys.mmap(0, 16 * PS, RW, ANON, -1, 0);
  for (let i = 0; i < 10; i++) p.store32(anonVa + i * PS, i + 1);
  const shmVa = p.sys.mmap(0, 8 * PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  for (let i = 0; i < 5; i++) p.store32(shmVa + i * PS, i + 1);
  k.vfs.writeFile('/lib/zoo.so', new Uint8Array(6 * PS).fill(7));
  const fd = p.sys.open('/lib/zoo.so', O_RDONLY);
  const fileVa = p.sys.mmap(0, 6 * PS, PROT_READ, MAP_PRIVATE, fd, 0);
  for (let i = 0; i < 4; i++) p.load8(fileVa + i * PS);
  // Swap out pages 6..9 of the anonymous mapping, then read 8..9 back into
  // the swap cache without mapping them.
  const swapVa = anonVa + 6 * PS;
  expect(p.sys.madvise(swapVa, 4 * PS, MADV_PAGEOUT)).toBe(0);
  expect(p.sys.madvise(swapVa + 2 * PS, 2 * PS, MADV_WILLNEED)).toBe(0);
  if (options.drain !== false) k.drainAllPages();
  k.checkInvariants();
  return {
    k,
    p,
    kernelPfn,
    slabPfn: k.virtToPage(obj),
    largePfn,
    largeFrames: 2 ** k.buddy.allocatedOrder(largePfn),
    anonVa,
    shmVa,
    fileVa,
    swapVa,
  };
}

/**
 * Frames per owner key counted from the machine's own books, not from the
 * frames: buddy free lists and pcp counts, slabinfo, page-table counters,
 * RSS counters, shmem objects, the page cache, the swap cache, memblock;
 * the kernel's own pages are what is left.
 */
function independentCounts(z: Zoo): Map<string, number> {
  const { k } = z;
  const out = new Map<string, number>();
  const add = (key: string, n: number): void => {
    if (n > 0) out.set(key, (out.get(key) ?? 0) + n);
  };
  for (const zone of k.zones) {
    for (let order = 0; order <= 10; order++)
      add(`free:${order}`, (zone.nrFree[order] ?? 0) << order);
    add('free:0', zone.pcpPages);
  }
  for (const c of k.slab.caches) {
    const info = c.slabinfo();
    add(`slab:${c.name}`, info.numSlabs * 2 ** info.cacheOrder);
  }
  // The kernel's own tables (the direct map, built at boot) are in no
  // counter, as in Linux: count those reachable from init_mm's PGD.
  let tables = kernelTables(k);
  let anon = 0;
  for (const mm of k.vm.addressSpaces) tables += mm.counters.pgtables;
  for (const proc of k.processes.values()) anon += proc.mm.counters.anon;
  add('page-table', tables);
  add('anon', anon);
  let shmem = 0;
  for (const obj of k.vm.shmemObjects.values()) shmem += obj.pages.size;
  add('shmem', shmem);
  add('file', existingPageCache(k.vfs)?.nrPages ?? 0);
  add('swap-cache', k.swap?.cachedPages ?? 0);
  add('reserved', k.memblock.reservedBytes / k.PAGE_SIZE);
  add('large-kmalloc', z.largeFrames);
  let known = 0;
  for (const n of out.values()) known += n;
  add('kernel', k.memory.frames - known);
  return out;
}

function sorted(m: ReadonlyMap<string, number>): [string, number][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

// --- tests -------------------------------------------------------------------

describe('page owners', () => {
  it('classifies a frame of each kind', () => {
    const z = zoo();
    const { k, p } = z;
    const owners = classifyFrames(k);
    const at = (pfn: number): string => ownerKey(owners, owners.owner[pfn] ?? -1);
    expect(at(z.kernelPfn)).toBe('kernel');
    expect(at(z.kernelPfn + 1)).toBe('kernel');
    expect(at(z.slabPfn)).toBe('slab:zoo_objects');
    expect(at(z.largePfn)).toBe('large-kmalloc');
    expect(at(z.largePfn + z.largeFrames - 1)).toBe('large-kmalloc');
    expect(at(userPfn(p, z.anonVa))).toBe('anon');
    expect(at(userPfn(p, z.shmVa))).toBe('shmem');
    expect(at(userPfn(p, z.fileVa))).toBe('file');
    expect(at(p.mm.pgd)).toBe('page-table');
    expect(at(0)).toBe('reserved');
    expect(at(k.vm.zeroPfn)).toBe('kernel');
    // A frame in the swap cache: the slot the PTE names caches it.
    let cachedPfn = -1;
    for (let pfn = 0; pfn < k.memory.frames; pfn++) {
      if (k.memMap.PageSwapCache(pfn)) cachedPfn = pfn;
    }
    expect(cachedPfn).toBeGreaterThanOrEqual(0);
    expect(at(cachedPfn)).toBe('swap-cache');
    // The free blocks: the head of each free block and its order.
    for (const zone of k.zones) {
      for (let pfn = zone.startPfn; pfn < zone.endPfn; pfn++) {
        if (k.memMap.PageBuddy(pfn)) expect(at(pfn)).toBe(`free:${k.memMap.private[pfn]}`);
      }
    }
  });

  it('agrees with the counts the machine keeps elsewhere', () => {
    const z = zoo();
    const counts = countFrameOwners(classifyFrames(z.k));
    const expected = independentCounts(z);
    expect(sorted(counts)).toEqual(sorted(expected));
    for (const key of ['kernel', 'anon', 'shmem', 'file', 'swap-cache', 'page-table', 'reserved']) {
      expect(counts.get(key), key).toBeGreaterThan(0);
    }
    expect(counts.get('slab:zoo_objects')).toBeGreaterThan(0);
    expect(counts.get('large-kmalloc')).toBe(z.largeFrames);
  });

  it('counts frames on per-CPU lists as free order 0', () => {
    const z = zoo({ drain: false });
    const pfn = z.k.allocPages(GFP_KERNEL, 0) ?? -1;
    z.k.freePages(pfn, 0);
    expect(z.k.memMap.pageType(pfn)).not.toBe(0); // on a pcp list
    const owners = classifyFrames(z.k);
    expect(ownerKey(owners, owners.owner[pfn] ?? -1)).toBe('free:0');
    expect(sorted(countFrameOwners(owners))).toEqual(sorted(independentCounts(z)));
  });

  it("names SLOB's shared heap", () => {
    const k = Kernel.boot({ memory: '16M', slab: 'slob' });
    const ptr = k.kmalloc(64, GFP_KERNEL) ?? 0;
    const owners = classifyFrames(k);
    expect(ownerKey(owners, owners.owner[k.virtToPage(ptr)] ?? -1)).toBe('slab:SLOB heap');
  });
});

describe('renderMemoryMap', () => {
  it('draws one cell per frame on a small machine, counting owners exactly', () => {
    const z = zoo();
    const svg = renderMemoryMap(z.k);
    const { cells, root } = cellsOf(svg);
    expect(cells.length).toBe(z.k.memory.frames);
    expectCellsCoverMemory(z.k, cells);
    const fromCells = new Map<string, number>();
    for (const c of cells) fromCells.set(c.owner, (fromCells.get(c.owner) ?? 0) + c.frames);
    const expected = independentCounts(z);
    expect(sorted(fromCells)).toEqual(sorted(expected));
    // The legend's exact counts: by entry, slab caches beyond the largest eight pooled.
    const legend = legendOf(root);
    let legendTotal = 0;
    for (const n of legend.values()) legendTotal += n;
    expect(legendTotal).toBe(z.k.memory.frames);
    for (const key of ['kernel', 'anon', 'shmem', 'file', 'swap-cache', 'page-table', 'reserved']) {
      expect(legend.get(key), key).toBe(expected.get(key));
    }
    expect(legend.get('large-kmalloc')).toBe(z.largeFrames);
    for (const [key, n] of legend) {
      if (key.startsWith('free:') || (key.startsWith('slab:') && key !== 'slab:other')) {
        expect(n, key).toBe(expected.get(key));
      }
    }
    // Zones are labelled at their boundaries.
    const zoneLabels = findAll(root, (n) => n.attrs['data-zone'] !== undefined && n.tag === 'text');
    expect(zoneLabels.map((n) => attr(n, 'data-zone'))).toEqual(
      z.k.zones.filter((zone) => zone.spanned > 0).map((zone) => zone.name),
    );
    expect(root.attrs['data-frames']).toBe(String(z.k.memory.frames));
  });

  it('groups frames into aligned blocks that stay under maxCells, coloured by majority', () => {
    const z = zoo();
    for (const maxCells of [16, 100, 1000, 2047]) {
      const { cells, root } = cellsOf(renderMemoryMap(z.k, { maxCells }));
      expect(cells.length).toBeLessThanOrEqual(maxCells);
      expectCellsCoverMemory(z.k, cells);
      const size = Number(root.attrs['data-cell-frames']);
      expect(size).toBeGreaterThan(1);
      const owners = classifyFrames(z.k);
      for (const c of cells) {
        // Inside one aligned block and one zone.
        expect(Math.floor(c.first / size)).toBe(Math.floor((c.first + c.frames - 1) / size));
        const zone = z.k.zones.find((zn) => zn.contains(c.first));
        expect(zone?.contains(c.first + c.frames - 1)).toBe(true);
        // The owner drawn holds at least one frame of the cell.
        let held = 0;
        for (let pfn = c.first; pfn < c.first + c.frames; pfn++) {
          if (ownerKey(owners, owners.owner[pfn] ?? -1) === c.owner) held++;
        }
        expect(held).toBeGreaterThan(0);
      }
      // The legend keeps exact frame counts at every scale.
      let total = 0;
      for (const n of legendOf(root).values()) total += n;
      expect(total).toBe(z.k.memory.frames);
    }
  });

  it('gives a cell whose frames are half free and half used the used colour', () => {
    const k = Kernel.boot({ memory: '16M' });
    const pfn = k.allocPages(GFP_KERNEL, 0) ?? -1;
    k.drainAllPages();
    const owners = classifyFrames(k);
    const buddy = pfn ^ 1;
    expect(ownerKey(owners, owners.owner[buddy] ?? -1)).toMatch(/^free:/);
    const { cells } = cellsOf(renderMemoryMap(k, { maxCells: 2048 }));
    const cell = cells.find((c) => c.first === Math.min(pfn, buddy));
    expect(cell?.frames).toBe(2);
    expect(cell?.owner).toBe('kernel');
  });

  it('gives the largest caches a colour each and pools the rest', () => {
    const k = Kernel.boot({ memory: '16M' });
    for (let i = 0; i < 5; i++) {
      const c = k.kmemCacheCreate(`cache${i}`, 512);
      for (let j = 0; j < (i + 1) * 16; j++) k.kmemCacheAlloc(c, GFP_KERNEL);
    }
    const { root } = cellsOf(renderMemoryMap(k, { slabCaches: 2 }));
    const legend = legendOf(root);
    const slabKeys = [...legend.keys()].filter((key) => key.startsWith('slab:'));
    expect(slabKeys).toEqual(['slab:cache4', 'slab:cache3', 'slab:other']);
    const colours = new Set(
      findAll(root, (n) => n.attrs.class === 'legend-entry').map(
        (g) => g.children.find((c) => c.tag === 'rect')?.attrs.fill,
      ),
    );
    expect(colours.size).toBe(legend.size);
  });

  it('escapes cache names and titles', () => {
    const k = Kernel.boot({ memory: '16M' });
    const c = k.kmemCacheCreate('a<b>&"c\'', 128);
    k.kmemCacheAlloc(c, GFP_KERNEL);
    const svg = renderMemoryMap(k, { title: '<script>&' });
    const { cells, root } = cellsOf(svg);
    expect(cells.some((cell) => cell.owner === 'slab:a<b>&"c\'')).toBe(true);
    expect(findAll(root, (n) => n.tag === 'title')[0]?.text).toBe('<script>&');
    expect(svg).not.toContain('<script>');
  });

  it('renders other architectures', () => {
    for (const arch of ['i386', 'arm64-64k'] as const) {
      const k = Kernel.boot({ arch, memory: '64M' });
      const { cells } = cellsOf(renderMemoryMap(k));
      expectCellsCoverMemory(k, cells);
    }
  });

  it('stays under maxCells and renders quickly on a 16 GiB machine', () => {
    const k = Kernel.boot({ memory: '16G' });
    k.kmalloc(64, GFP_KERNEL);
    const t0 = performance.now();
    const svg = renderMemoryMap(k);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);
    const { cells } = cellsOf(svg);
    expect(cells.length).toBeLessThanOrEqual(4096);
    expectCellsCoverMemory(k, cells);
    const small = cellsOf(renderMemoryMap(k, { maxCells: 64 })).cells;
    expect(small.length).toBeLessThanOrEqual(64);
    expectCellsCoverMemory(k, small);
  });
});

describe('free-order colours', () => {
  /** CIELAB (D65) of a `#rrggbb` colour. */
  function lab(hex: string): [number, number, number] {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
    const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
    const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
    const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
    return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
  }
  /**
   * CIE76 colour difference: about 2.3 is just noticeable. The greens of orders 0..4 used to
   * be 5 to 7 apart from their neighbours; now any two are at least 15 apart (19.8 the closest).
   */
  function deltaE(a: string, b: string): number {
    const [l1, a1, b1] = lab(a);
    const [l2, a2, b2] = lab(b);
    return Math.hypot(l1 - l2, a1 - a2, b1 - b2);
  }
  const legendColour = (root: XmlNode, owner: string): string => {
    const entry = findAll(root, (n) => n.attrs['data-owner'] === owner && n.tag === 'g')[0];
    const swatch = entry && findAll(entry, (n) => n.tag === 'rect')[0];
    return swatch?.attrs.fill ?? '';
  };

  it('tells orders 0 to 3 apart at a glance, and grows lighter with the order', () => {
    const k = Kernel.boot({ memory: '16M' });
    // One page taken out of a free block leaves free buddies of every smaller order beside it
    // (the legend lists only owners present).
    k.allocPages(GFP_KERNEL, 0);
    k.drainAllPages();
    const root = parseSvg(renderMemoryMap(k));
    const colours = [0, 1, 2, 3, 4].map((order) => legendColour(root, `free:${order}`));
    for (const c of colours) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    for (let i = 0; i < colours.length; i++) {
      for (let j = i + 1; j < colours.length; j++) {
        expect(deltaE(colours[i] as string, colours[j] as string)).toBeGreaterThan(15);
      }
    }
    const lightness = colours.map((c) => lab(c)[0]);
    expect([...lightness].sort((a, b) => a - b)).toEqual(lightness);
    // And no free order looks like another owner's colour.
    const others = ['anon', 'page-table', 'reserved', 'kernel', 'shmem', 'swap-cache', 'file'];
    const owned = findAll(
      root,
      (n) => n.tag === 'g' && others.includes(n.attrs['data-owner'] ?? ''),
    );
    for (const g of owned) {
      const fill = findAll(g, (n) => n.tag === 'rect')[0]?.attrs.fill ?? '';
      for (const c of colours) expect(deltaE(c, fill)).toBeGreaterThan(20);
    }
  });
});

describe('renderAddressSpace', () => {
  it('has a bar per /proc/<pid>/maps row, with page counts from the PTEs', () => {
    const z = zoo();
    const { p, k } = z;
    const PS = k.PAGE_SIZE;
    p.sys.brk(p.sys.brk(0) + 3 * PS);
    p.store8(p.mm.startBrk, 1);
    const root = parseSvg(renderAddressSpace(p));
    const bars = findAll(root, (n) => n.attrs.class === 'vma');
    const lines = renderMaps(p).trimEnd().split('\n');
    expect(bars.length).toBe(lines.length);
    bars.forEach((bar, i) => {
      const line = lines[i] ?? '';
      const [range = '', perms = ''] = line.split(/\s+/);
      const name = line.length > 73 ? line.slice(73) : '';
      expect(`${attr(bar, 'data-start')}-${attr(bar, 'data-end')}`).toBe(range);
      expect(attr(bar, 'data-perms')).toBe(perms);
      expect(attr(bar, 'data-name')).toBe(name);
      const start = Number.parseInt(attr(bar, 'data-start'), 16);
      const end = Number.parseInt(attr(bar, 'data-end'), 16);
      let resident = 0;
      let swapped = 0;
      for (let va = start; va < end; va += PS) {
        const s = pteState(p, va);
        if (s === 'resident') resident++;
        if (s === 'swapped') swapped++;
      }
      expect(num(bar, 'data-pages')).toBe((end - start) / PS);
      expect(num(bar, 'data-resident')).toBe(resident);
      expect(num(bar, 'data-swapped')).toBe(swapped);
    });
    // What the workload did: 10 pages touched, 4 of them swapped out.
    const anon = bars.find((b) => Number.parseInt(attr(b, 'data-start'), 16) === z.anonVa);
    expect(
      anon && [num(anon, 'data-pages'), num(anon, 'data-resident'), num(anon, 'data-swapped')],
    ).toEqual([16, 6, 4]);
    const names = bars.map((b) => attr(b, 'data-name'));
    expect(names).toContain('[heap]');
    expect(names).toContain('[stack]');
    expect(names).toContain('/lib/zoo.so');
    expect(names).toContain('/dev/zero (deleted)');
    // The program image's text and data carry the program's path, as in maps.
    expect(names.slice(0, 2)).toEqual(['/usr/bin/zoo', '/usr/bin/zoo']);
    expect(bars.slice(0, 2).map((b) => attr(b, 'data-perms'))).toEqual(['r-xp', 'rw-p']);
    // Gaps between VMAs that do not touch.
    const gaps = findAll(root, (n) => n.attrs.class === 'gap');
    let expectedGaps = 0;
    const vmas = p.mm.vmas.all();
    for (let i = 1; i < vmas.length; i++) {
      if ((vmas[i]?.start ?? 0) > (vmas[i - 1]?.end ?? 0)) expectedGaps++;
    }
    expect(gaps.length).toBe(expectedGaps);
  });

  it('draws tiny and huge VMAs both visibly', () => {
    const k = Kernel.boot({ memory: '16M' });
    const p = k.spawn();
    const PS = k.PAGE_SIZE;
    p.sys.mmap(0, PS, PROT_READ, ANON, -1, 0);
    p.sys.mmap(0, 2 ** 36, PROT_READ, ANON | MAP_NORESERVE, -1, 0);
    const root = parseSvg(renderAddressSpace(p));
    const widths = findAll(root, (n) => n.attrs.class === 'vma').map((g) => {
      const rects = g.children.filter((c) => c.tag === 'rect');
      return Number(rects[0]?.attrs.width);
    });
    const min = Math.min(...widths);
    const max = Math.max(...widths);
    expect(min).toBeGreaterThanOrEqual(6);
    expect(max / min).toBeLessThan(100);
  });
});

describe('renderBuddyInfo', () => {
  it('has a bar per zone and order with the counts of /proc/buddyinfo', () => {
    const z = zoo();
    const root = parseSvg(renderBuddyInfo(z.k));
    const bars = findAll(root, (n) => n.attrs.class === 'bar');
    const expected: string[] = [];
    for (const line of z.k.proc('/proc/buddyinfo').trimEnd().split('\n')) {
      const m = /^Node 0, zone\s+(\S+)\s+(.*)$/.exec(line);
      if (m === null) throw new Error(`bad buddyinfo line ${line}`);
      (m[2] ?? '')
        .trim()
        .split(/\s+/)
        .forEach((count, order) => {
          expected.push(`${m[1]} ${order} ${count}`);
        });
    }
    expect(
      bars.map((b) => `${attr(b, 'data-zone')} ${attr(b, 'data-order')} ${attr(b, 'data-count')}`),
    ).toEqual(expected);
    // Bar heights are proportional to the counts within a zone.
    for (const zone of new Set(bars.map((b) => attr(b, 'data-zone')))) {
      const inZone = bars.filter((b) => attr(b, 'data-zone') === zone);
      const max = Math.max(...inZone.map((b) => num(b, 'data-count')));
      const tallest = Math.max(...inZone.map((b) => num(b, 'height')));
      for (const b of inZone) {
        expect(num(b, 'height')).toBeCloseTo((num(b, 'data-count') / max) * tallest, 1);
      }
    }
  });
});

describe('options and determinism', () => {
  const k = Kernel.boot({ memory: '16M' });
  const p = k.spawn();
  const renders: [string, (options: Record<string, unknown>) => string][] = [
    ['renderMemoryMap', (o) => renderMemoryMap(k, o)],
    ['renderAddressSpace', (o) => renderAddressSpace(p, o)],
    ['renderBuddyInfo', (o) => renderBuddyInfo(k, o)],
  ];

  it.each(renders)('%s rejects bad options with a RangeError naming them', (fn, render) => {
    for (const [options, named] of [
      [{ width: 10 }, 'width'],
      [{ width: 1000.5 }, 'width'],
      [{ width: '1000' }, 'width'],
      [{ width: Number.NaN }, 'width'],
      [{ title: 42 }, 'title'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      expect(() => render(options)).toThrow(RangeError);
      expect(() => render(options)).toThrow(new RegExp(`${fn}.*${named}`));
    }
    expect(() => render(null as unknown as Record<string, unknown>)).toThrow(RangeError);
    expect(XMLValidator.validate(render({ width: 640, title: 'small' }))).toBe(true);
  });

  it('renderMemoryMap checks maxCells and slabCaches', () => {
    for (const [options, named] of [
      [{ maxCells: 0 }, 'maxCells'],
      [{ maxCells: 15 }, 'maxCells'],
      [{ maxCells: 1e9 }, 'maxCells'],
      [{ slabCaches: -1 }, 'slabCaches'],
      [{ slabCaches: 11 }, 'slabCaches'],
    ] as const) {
      expect(() => renderMemoryMap(k, options)).toThrow(new RegExp(`renderMemoryMap.*${named}`));
    }
  });

  it.each(renders)(
    '%s scales to its container: a viewBox, no fixed width or height',
    (_fn, render) => {
      for (const width of [undefined, 640, 2400]) {
        const root = parseSvg(render(width === undefined ? {} : { width }));
        expect(root.tag).toBe('svg');
        expect(root.attrs.width).toBeUndefined();
        expect(root.attrs.height).toBeUndefined();
        const box = (root.attrs.viewBox ?? '').split(' ').map(Number);
        expect(box.slice(0, 3)).toEqual([0, 0, width ?? box[2]]);
        expect(box[3]).toBeGreaterThan(0);
        // The background fills the whole viewBox.
        const background = root.children.find((n) => n.tag === 'rect');
        expect([num(background as XmlNode, 'width'), num(background as XmlNode, 'height')]).toEqual(
          box.slice(2),
        );
      }
    },
  );

  it('renders the same bytes for the same state', () => {
    const build = (): Zoo => zoo();
    const a = build();
    const b = build();
    expect(renderMemoryMap(a.k)).toBe(renderMemoryMap(b.k));
    expect(renderMemoryMap(a.k)).toBe(renderMemoryMap(a.k));
    expect(renderAddressSpace(a.p)).toBe(renderAddressSpace(b.p));
    expect(renderBuddyInfo(a.k)).toBe(renderBuddyInfo(b.k));
    // Rendering changes nothing.
    const before = a.k.proc('/proc/meminfo') + a.k.proc('/proc/buddyinfo');
    renderMemoryMap(a.k);
    renderAddressSpace(a.p);
    renderBuddyInfo(a.k);
    expect(a.k.proc('/proc/meminfo') + a.k.proc('/proc/buddyinfo')).toBe(before);
  });
});
