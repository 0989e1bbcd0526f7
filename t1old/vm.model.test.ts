/**
 * Model-based test of the memory system calls: random mmap, munmap,
 * mprotect, madvise, brk, loads, stores, fork and exit over a few
 * processes, against a byte-level model of each address space (which pages
 * are mapped, with which protection, holding which bytes, shared with
 * whom). After every command the contents, the faults raised and
 * /proc/<pid>/maps agree with the model, and checkInvariants() holds; at
 * the end every process exits and every frame is back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Kernel,
  MADV_DONTNEED,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  type Process,
  SegmentationFault,
} from '../src/index.js';

const PAGE = 4096;

/** The bytes of one page of memory; shared pages are one object referenced from several processes. */
interface PageModel {
  prot: number;
  /** Private pages own their bytes (null until first written: zero). Shared pages point at a shared cell. */
  data: Uint8Array | null;
  readonly shared: { data: Uint8Array } | null;
  /** A page of the brk heap (only brk changes those). */
  readonly heap?: boolean;
}

interface ProcModel {
  readonly pages: Map<number, PageModel>;
  brk: number;
}

interface Model {
  procs: ProcModel[];
}

interface Real {
  readonly k: Kernel;
  readonly procs: Process[];
}

function bytesOf(page: PageModel): Uint8Array | null {
  return page.shared !== null ? page.shared.data : page.data;
}

function readModel(page: PageModel, offset: number): number {
  return bytesOf(page)?.[offset] ?? 0;
}

function writeModel(page: PageModel, offset: number, value: number): void {
  if (page.shared !== null) {
    page.shared.data[offset] = value;
    return;
  }
  page.data ??= new Uint8Array(PAGE);
  page.data[offset] = value;
}

/** The mapped pages and their rwx letters, from /proc/<pid>/maps. */
function pagesFromMaps(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (....)/.exec(line);
    if (m === null) continue;
    const start = Number.parseInt(m[1] as string, 16);
    const end = Number.parseInt(m[2] as string, 16);
    for (let va = start; va < end; va += PAGE) out.set(va, (m[3] as string).slice(0, 3));
  }
  return out;
}

function protLetters(prot: number): string {
  return `${prot & PROT_READ ? 'r' : '-'}${prot & PROT_WRITE ? 'w' : '-'}-`;
}

function check(model: Model, real: Real): void {
  real.k.checkInvariants();
  model.procs.forEach((pm, i) => {
    const p = real.procs[i] as Process;
    const maps = pagesFromMaps(real.k.proc(`/proc/${p.pid}/maps`));
    for (const [va, page] of pm.pages) {
      expect(maps.get(va)).toBe(protLetters(page.prot));
    }
    // Every page maps shows is in the model (besides the program image and stack, which the model does not track).
    const stackStart = p.mm.vmas.all().find((v) => v.name === '[stack]')?.start ?? p.mm.taskSize;
    for (const va of maps.keys()) {
      if (va < p.mm.startBrk || va >= stackStart) continue;
      expect(pm.pages.has(va)).toBe(true);
    }
  });
}

/** A mapped page, by index in address order; `mmapOnly` leaves out the brk heap. */
function pickPage(pm: ProcModel, pick: number, mmapOnly = false): number | undefined {
  const keys = [...pm.pages.entries()]
    .filter(([, page]) => !mmapOnly || page.heap !== true)
    .map(([va]) => va)
    .sort((a, b) => a - b);
  return keys.length === 0 ? undefined : keys[pick % keys.length];
}

type Cmd = fc.Command<Model, Real>;

const mmapCmd = (who: number, pages: number, prot: number, shared: boolean): Cmd => ({
  check: () => true,
  run(model, real) {
    const i = who % model.procs.length;
    const p = real.procs[i] as Process;
    const addr = p.sys.mmap(
      0,
      pages * PAGE,
      prot,
      (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
      -1,
      0,
    );
    expect(addr).toBeGreaterThan(0);
    const pm = model.procs[i] as ProcModel;
    for (let n = 0; n < pages; n++) {
      expect(pm.pages.has(addr + n * PAGE)).toBe(false);
      pm.pages.set(addr + n * PAGE, {
        prot,
        data: null,
        shared: shared ? { data: new Uint8Array(PAGE) } : null,
      });
    }
    check(model, real);
  },
  toString: () => `mmap(p${who}, ${pages} pages, prot ${prot}, ${shared ? 'shared' : 'private'})`,
});

const munmapCmd = (who: number, pick: number, pages: number): Cmd => ({
  check: () => true,
  run(model, real) {
    const i = who % model.procs.length;
    const pm = model.procs[i] as ProcModel;
    const start = pickPage(pm, pick, true);
    if (start === undefined) return;
    // Stop before any brk page: the heap changes only through brk here.
    let n = 0;
    while (
      n < pages &&
      pm.pages.get(start + n * PAGE)?.heap !== true &&
      start + n * PAGE < (real.procs[i] as Process).mm.taskSize
    )
      n++;
    expect((real.procs[i] as Process).sys.munmap(start, n * PAGE)).toBe(0);
    for (let j = 0; j < n; j++) pm.pages.delete(start + j * PAGE);
    check(model, real);
  },
  toString: () => `munmap(p${who}, #${pick}, ${pages} pages)`,
});

const mprotectCmd = (who: number, pick: number, pages: number, prot: number): Cmd => ({
  check: () => true,
  run(model, real) {
    const i = who % model.procs.length;
    const pm = model.procs[i] as ProcModel;
    const start = pickPage(pm, pick, true);
    if (start === undefined) return;
    const all = Array.from({ length: pages }, (_, n) => pm.pages.get(start + n * PAGE));
    const result = (real.procs[i] as Process).sys.mprotect(start, pages * PAGE, prot);
    if (all.some((page) => page === undefined)) {
      expect(result).toBe(-12); // ENOMEM: the range has holes
    } else {
      expect(result).toBe(0);
      for (const page of all) (page as PageModel).prot = prot;
    }
    check(model, real);
  },
  toString: () => `mprotect(p${who}, #${pick}, ${pages} pages, ${prot})`,
});

const dontneedCmd = (who: number, pick: number): Cmd => ({
  check: () => true,
  run(model, real) {
    const i = who % model.procs.length;
    const pm = model.procs[i] as ProcModel;
    const start = pickPage(pm, pick);
    if (start === undefined) return;
    expect((real.procs[i] as Process).sys.madvise(start, PAGE, MADV_DONTNEED)).toBe(0);
    const page = pm.pages.get(start) as PageModel;
    if (page.shared === null) page.data = null;
    check(model, real);
  },
  toString: () => `madvise(p${who}, #${pick}, DONTNEED)`,
});

const brkCmd = (who: number, delta: number): Cmd => ({
  check: () => true,
  run(model, real) {
    const i = who % model.procs.length;
    const pm = model.procs[i] as ProcModel;
    const p = real.procs[i] as Process;
    const target = Math.max(p.mm.startBrk, pm.brk + delta * PAGE);
    expect(p.sys.brk(target)).toBe(target);
    const oldEnd = Math.ceil(pm.brk / PAGE) * PAGE;
    const newEnd = Math.ceil(target / PAGE) * PAGE;
    for (let va = newEnd; va < oldEnd; va += PAGE) pm.pages.delete(va);
    for (let va = oldEnd; va < newEnd; va += PAGE) {
      pm.pages.set(va, { prot: PROT_READ | PROT_WRITE, data: null, shared: null, heap: true });
    }
    pm.brk = target;
    check(model, real);
  },
  toString: () => `brk(p${who}, ${delta > 0 ? '+' : ''}${delta} pages)`,
});

const accessCmd = (
  who: number,
  pick: number,
  offset: number,
  value: number,
  store: boolean,
  stray: boolean,
): Cmd => ({
  check: () => true,
  run(model, real) {
    const i = who % model.procs.length;
    const pm = model.procs[i] as ProcModel;
    const p = real.procs[i] as Process;
    let va = pickPage(pm, pick);
    if (va === undefined || stray) va = p.mm.mmapBase - (1 + (pick % 64)) * 2 ** 24; // far from anything mapped
    const page = pm.pages.get(va);
    const expected =
      page === undefined
        ? 'SEGV_MAPERR'
        : page.prot === PROT_NONE || (store && (page.prot & PROT_WRITE) === 0)
          ? 'SEGV_ACCERR'
          : null;
    let got: string | null = null;
    let loaded = -1;
    try {
      if (store) p.store8(va + offset, value);
      else loaded = p.load8(va + offset);
    } catch (e) {
      if (!(e instanceof SegmentationFault)) throw e;
      got = e.siCode;
    }
    expect(got).toBe(expected);
    if (got === null && page !== undefined) {
      if (store) writeModel(page, offset, value);
      else expect(loaded).toBe(readModel(page, offset));
    }
    check(model, real);
  },
  toString: () =>
    `${store ? 'store' : 'load'}(p${who}, #${pick}+${offset}${stray ? ', stray' : ''})`,
});

const forkCmd = (who: number): Cmd => ({
  check: (model) => model.procs.length < 4,
  run(model, real) {
    const i = who % model.procs.length;
    const pm = model.procs[i] as ProcModel;
    real.procs.push((real.procs[i] as Process).fork());
    const pages = new Map<number, PageModel>();
    for (const [va, page] of pm.pages) {
      pages.set(va, { ...page, data: page.data === null ? null : page.data.slice() });
    }
    model.procs.push({ pages, brk: pm.brk });
    check(model, real);
  },
  toString: () => `fork(p${who})`,
});

const exitCmd = (who: number): Cmd => ({
  check: (model) => model.procs.length > 1,
  run(model, real) {
    const i = who % model.procs.length;
    (real.procs[i] as Process).exit();
    real.procs.splice(i, 1);
    model.procs.splice(i, 1);
    check(model, real);
  },
  toString: () => `exit(p${who})`,
});

const who = fc.nat({ max: 7 });
const commands = [
  fc
    .tuple(
      who,
      fc.integer({ min: 1, max: 6 }),
      fc.constantFrom(PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE),
      fc.boolean(),
    )
    .map(([w, n, prot, shared]) => mmapCmd(w, n, prot, shared)),
  fc
    .tuple(who, fc.nat(), fc.integer({ min: 1, max: 4 }))
    .map(([w, pick, n]) => munmapCmd(w, pick, n)),
  fc
    .tuple(
      who,
      fc.nat(),
      fc.integer({ min: 1, max: 3 }),
      fc.constantFrom(PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE),
    )
    .map(([w, pick, n, prot]) => mprotectCmd(w, pick, n, prot)),
  fc.tuple(who, fc.nat()).map(([w, pick]) => dontneedCmd(w, pick)),
  fc.tuple(who, fc.integer({ min: -3, max: 4 })).map(([w, d]) => brkCmd(w, d)),
  fc
    .tuple(
      who,
      fc.nat(),
      fc.nat({ max: PAGE - 1 }),
      fc.nat({ max: 255 }),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([w, pick, off, v, store, stray]) => accessCmd(w, pick, off, v, store, stray)),
  fc
    .tuple(who, fc.nat(), fc.nat({ max: PAGE - 1 }), fc.nat({ max: 255 }))
    .map(([w, pick, off, v]) => accessCmd(w, pick, off, v, true, false)),
  who.map(forkCmd),
  who.map(exitCmd),
];

describe('memory system calls against a byte-level model', () => {
  it('agree after every command, and every frame comes back at the end', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40, size: 'max' }), (cmds) => {
        const k = Kernel.boot({ memory: '32M' });
        k.drainAllPages();
        const before = k.buddy.nrFreePages();
        const first = k.spawn();
        const model: Model = { procs: [{ pages: new Map(), brk: first.mm.brk }] };
        const real: Real = { k, procs: [first] };
        fc.modelRun(() => ({ model, real }), cmds);
        for (const p of real.procs) p.exit();
        k.drainAllPages();
        k.checkInvariants();
        expect(k.buddy.nrFreePages()).toBe(before);
      }),
      { numRuns: 60 },
    );
  });
});
