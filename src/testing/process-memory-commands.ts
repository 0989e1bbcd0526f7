/**
 * Model-based commands for a process's memory: `mmap` (private and shared
 * anonymous), `munmap`, `mprotect`, `madvise(MADV_DONTNEED)`, `brk`, loads
 * and stores (including stray ones far from any mapping), `fork` (copy on
 * write) and `exit`, over up to four processes, against a byte-level model
 * of each address space: which pages are mapped, with which protection,
 * holding which bytes, and which pages are shared with whom.
 *
 * After every command: each load read what the model says the address
 * holds, each access faulted exactly when the model says it must (and with
 * the right `si_code`), /proc/<pid>/maps lists exactly the model's pages
 * with the model's protections, and `k.checkInvariants()` holds.
 *
 * The commands interpret {@link AddressSpaceOp}s, so the same operations
 * can drive a test of your own.
 */
import type fc from 'fast-check';
import type { Kernel } from '../kernel.js';
import { SegmentationFault } from '../page/errors.js';
import {
  MADV_DONTNEED,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from '../vm/mman.js';
import type { Process } from '../vm/process.js';
import {
  type AddressSpaceOp,
  type AddressSpaceOpOptions,
  addressSpaceOp,
} from './address-space-ops.js';
import { modelAssert, modelEqual } from './assertions.js';

/** One page of the model; shared pages point at one cell from several processes. */
export interface PageModel {
  /** Its protection (`PROT_*`). */
  prot: number;
  /** A private page's bytes (null until first written: it reads as zero). */
  data: Uint8Array | null;
  /** A shared page's bytes, the same object in every process sharing it. */
  readonly shared: {
    /** The shared bytes. */
    readonly data: Uint8Array;
  } | null;
  /** A page of the brk heap (only brk maps and unmaps those). */
  readonly heap?: boolean;
}

/** One process's address space as the model sees it. */
export interface ProcessModel {
  /** Mapped pages by address (the program image and stack are left out). */
  readonly pages: Map<number, PageModel>;
  /** The program break. */
  brk: number;
}

/** The model: every live process, in the order of `ProcessReal.procs`. */
export interface ProcessMemoryModel {
  /** The page size of the machine. */
  readonly pageSize: number;
  /** Live processes (at most four). */
  readonly procs: ProcessModel[];
}

/** The system under test: a machine and its live processes, in the model's order. */
export interface ProcessReal {
  /** The machine. */
  readonly k: Kernel;
  /** Live processes. */
  readonly procs: Process[];
}

/** The most processes the commands keep alive at once. */
export const MAX_PROCESSES = 4;

function bytesOf(page: PageModel): Uint8Array | null {
  return page.shared !== null ? page.shared.data : page.data;
}

function readModel(page: PageModel, offset: number): number {
  return bytesOf(page)?.[offset] ?? 0;
}

function writeModel(
  model: ProcessMemoryModel,
  page: PageModel,
  offset: number,
  value: number,
): void {
  if (page.shared !== null) {
    page.shared.data[offset] = value;
    return;
  }
  page.data ??= new Uint8Array(model.pageSize);
  page.data[offset] = value;
}

/** The mapped pages and their `rw-` letters, from /proc/<pid>/maps. */
function pagesFromMaps(text: string, pageSize: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (....)/.exec(line);
    if (m === null) continue;
    const start = Number.parseInt(m[1] as string, 16);
    const end = Number.parseInt(m[2] as string, 16);
    for (let va = start; va < end; va += pageSize) out.set(va, (m[3] as string).slice(0, 3));
  }
  return out;
}

function protLetters(prot: number): string {
  return `${prot & PROT_READ ? 'r' : '-'}${prot & PROT_WRITE ? 'w' : '-'}-`;
}

/**
 * Compares the machine with the model: invariants, and for every process
 * its /proc/<pid>/maps against the model's pages and protections.
 *
 * @throws ModelMismatch (or KernelBug from `checkInvariants`) on any disagreement.
 */
export function checkProcessMemory(model: ProcessMemoryModel, real: ProcessReal): void {
  real.k.checkInvariants();
  modelEqual(real.procs.length, model.procs.length, 'number of processes');
  model.procs.forEach((pm, i) => {
    const p = real.procs[i] as Process;
    const maps = pagesFromMaps(real.k.proc(`/proc/${p.pid}/maps`), model.pageSize);
    for (const [va, page] of pm.pages) {
      modelEqual(
        maps.get(va),
        protLetters(page.prot),
        `pid ${p.pid}: maps at 0x${va.toString(16)}`,
      );
    }
    // Every page maps shows is in the model, besides the program image and stack.
    const stackStart = p.mm.vmas.all().find((v) => v.name === '[stack]')?.start ?? p.mm.taskSize;
    for (const va of maps.keys()) {
      if (va < p.mm.startBrk || va >= stackStart) continue;
      modelAssert(
        pm.pages.has(va),
        () => `pid ${p.pid}: 0x${va.toString(16)} is mapped but not in the model`,
      );
    }
  });
}

/** A mapped page, by index in address order; `mmapOnly` leaves out the brk heap. */
function pickPage(pm: ProcessModel, pick: number, mmapOnly = false): number | undefined {
  const keys = [...pm.pages.entries()]
    .filter(([, page]) => !mmapOnly || page.heap !== true)
    .map(([va]) => va)
    .sort((a, b) => a - b);
  return keys.length === 0 ? undefined : keys[pick % keys.length];
}

/** Runs one operation on the machine and the model, and compares them. */
function apply(op: AddressSpaceOp, model: ProcessMemoryModel, real: ProcessReal): void {
  const PAGE = model.pageSize;
  const i = op.proc % model.procs.length;
  const pm = model.procs[i] as ProcessModel;
  const p = real.procs[i] as Process;
  switch (op.op) {
    case 'mmap': {
      const flags = (op.shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;
      const addr = p.sys.mmap(0, op.pages * PAGE, op.prot, flags, -1, 0);
      modelAssert(addr > 0, () => `mmap of ${op.pages} pages returned ${addr}`);
      for (let n = 0; n < op.pages; n++) {
        modelAssert(!pm.pages.has(addr + n * PAGE), 'mmap returned a range already mapped');
        pm.pages.set(addr + n * PAGE, {
          prot: op.prot,
          data: null,
          shared: op.shared ? { data: new Uint8Array(PAGE) } : null,
        });
      }
      break;
    }
    case 'munmap': {
      const start = pickPage(pm, op.pick, true);
      if (start === undefined) return;
      // Stop before any brk page: the heap changes only through brk here.
      let n = 0;
      while (
        n < op.pages &&
        pm.pages.get(start + n * PAGE)?.heap !== true &&
        start + n * PAGE < p.mm.taskSize
      )
        n++;
      modelEqual(p.sys.munmap(start, n * PAGE), 0, `munmap(0x${start.toString(16)}, ${n} pages)`);
      for (let j = 0; j < n; j++) pm.pages.delete(start + j * PAGE);
      break;
    }
    case 'mprotect': {
      const start = pickPage(pm, op.pick, true);
      if (start === undefined) return;
      const all = Array.from({ length: op.pages }, (_, n) => pm.pages.get(start + n * PAGE));
      const result = p.sys.mprotect(start, op.pages * PAGE, op.prot);
      if (all.some((page) => page === undefined)) {
        modelEqual(result, -12, 'mprotect over a hole (-ENOMEM)');
      } else {
        modelEqual(result, 0, 'mprotect');
        for (const page of all) (page as PageModel).prot = op.prot;
      }
      break;
    }
    case 'madvise': {
      const start = pickPage(pm, op.pick);
      if (start === undefined) return;
      modelEqual(p.sys.madvise(start, PAGE, MADV_DONTNEED), 0, 'madvise(MADV_DONTNEED)');
      const page = pm.pages.get(start) as PageModel;
      if (page.shared === null) page.data = null;
      break;
    }
    case 'brk': {
      const target = Math.max(p.mm.startBrk, pm.brk + op.delta * PAGE);
      modelEqual(p.sys.brk(target), target, 'brk');
      const oldEnd = Math.ceil(pm.brk / PAGE) * PAGE;
      const newEnd = Math.ceil(target / PAGE) * PAGE;
      for (let va = newEnd; va < oldEnd; va += PAGE) pm.pages.delete(va);
      for (let va = oldEnd; va < newEnd; va += PAGE) {
        pm.pages.set(va, { prot: PROT_READ | PROT_WRITE, data: null, shared: null, heap: true });
      }
      pm.brk = target;
      break;
    }
    case 'load':
    case 'store': {
      const store = op.op === 'store';
      let va = pickPage(pm, op.pick);
      // Far from anything mapped.
      if (va === undefined || op.stray) va = p.mm.mmapBase - (1 + (op.pick % 64)) * 2 ** 24;
      const offset = op.offset % PAGE;
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
        if (op.op === 'store') p.store8(va + offset, op.value);
        else loaded = p.load8(va + offset);
      } catch (e) {
        if (!(e instanceof SegmentationFault)) throw e;
        got = e.siCode;
      }
      const where = `${op.op} at 0x${(va + offset).toString(16)}`;
      modelEqual(got, expected, `${where}: fault`);
      if (got === null && page !== undefined) {
        if (op.op === 'store') writeModel(model, page, offset, op.value);
        else modelEqual(loaded, readModel(page, offset), `${where}: value`);
      }
      break;
    }
    case 'fork': {
      if (model.procs.length >= MAX_PROCESSES) return;
      real.procs.push(p.fork());
      const pages = new Map<number, PageModel>();
      for (const [va, page] of pm.pages) {
        pages.set(va, { ...page, data: page.data === null ? null : page.data.slice() });
      }
      model.procs.push({ pages, brk: pm.brk });
      break;
    }
    case 'exit': {
      if (model.procs.length <= 1) return;
      p.exit();
      real.procs.splice(i, 1);
      model.procs.splice(i, 1);
      break;
    }
  }
  checkProcessMemory(model, real);
}

function describe(op: AddressSpaceOp): string {
  const who = `p${op.proc}`;
  switch (op.op) {
    case 'mmap':
      return `mmap(${who}, ${op.pages} pages, prot ${op.prot}, ${op.shared ? 'shared' : 'private'})`;
    case 'munmap':
      return `munmap(${who}, #${op.pick}, ${op.pages} pages)`;
    case 'mprotect':
      return `mprotect(${who}, #${op.pick}, ${op.pages} pages, ${op.prot})`;
    case 'madvise':
      return `madvise(${who}, #${op.pick}, DONTNEED)`;
    case 'brk':
      return `brk(${who}, ${op.delta > 0 ? '+' : ''}${op.delta} pages)`;
    case 'load':
      return `load(${who}, #${op.pick}+${op.offset}${op.stray ? ', stray' : ''})`;
    case 'store':
      return `store(${who}, #${op.pick}+${op.offset}, ${op.value}${op.stray ? ', stray' : ''})`;
    case 'fork':
      return `fork(${who})`;
    case 'exit':
      return `exit(${who})`;
  }
}

/** A model-based command performing one {@link AddressSpaceOp}. */
export class AddressSpaceCommand implements fc.Command<ProcessMemoryModel, ProcessReal> {
  constructor(
    /** The operation. */
    readonly op: AddressSpaceOp,
  ) {}
  /** fork needs room for a process, exit a process to spare. */
  check(model: Readonly<ProcessMemoryModel>): boolean {
    if (this.op.op === 'fork') return model.procs.length < MAX_PROCESSES;
    if (this.op.op === 'exit') return model.procs.length > 1;
    return true;
  }
  /** Runs the operation on both, then compares them. */
  run(model: ProcessMemoryModel, real: ProcessReal): void {
    apply(this.op, model, real);
  }
  /** How the command reads in a counterexample. */
  toString(): string {
    return describe(this.op);
  }
}

/**
 * The commands, for `fc.commands`.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.commands(processMemoryCommands(), { maxCommands: 40 }), (cmds) => {
 *   const { k, baseline } = bootSmall({ memory: '32M' });
 *   const { model, real } = newProcessMemoryModel(k);
 *   fc.modelRun(() => ({ model, real }), cmds);
 *   expectAllFreed(k, baseline); // exits every process first
 * }));
 * ```
 */
export function processMemoryCommands(
  options: AddressSpaceOpOptions = {},
): fc.Arbitrary<fc.Command<ProcessMemoryModel, ProcessReal>>[] {
  return [addressSpaceOp(options).map((op) => new AddressSpaceCommand(op))];
}

/**
 * A first process and the model of it: the setup of a run.
 *
 * @example
 * ```ts
 * const { model, real } = newProcessMemoryModel(k);
 * fc.modelRun(() => ({ model, real }), cmds);
 * ```
 */
export function newProcessMemoryModel(
  k: Kernel,
  options: { readonly name?: string } = {},
): {
  /** The model of the first process. */
  model: ProcessMemoryModel;
  /** The machine and the first process. */
  real: ProcessReal;
} {
  const first = k.spawn({ name: options.name ?? 'model' });
  return {
    model: { pageSize: k.PAGE_SIZE, procs: [{ pages: new Map(), brk: first.mm.brk }] },
    real: { k, procs: [first] },
  };
}
