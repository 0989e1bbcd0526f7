/**
 * Integrity under memory pressure, model-based: several processes whose
 * mappings add up to a few times the machine's RAM (private and shared
 * anonymous memory, a shared and a private mapping of a file), touched,
 * read, forked, advised and unmapped at random while reclaim swaps pages
 * out and drops or writes back file pages. A model keeps one 32-bit word
 * per page; every load must read what the model says, `checkInvariants()`
 * holds after every command, and when every process has exited no swap
 * slot or frame is left behind.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Kernel,
  MADV_DONTNEED,
  MADV_FREE,
  MADV_PAGEOUT,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  type Process,
} from '../src/index.js';

const RW = PROT_READ | PROT_WRITE;
const PAGE = 4096;
const FILE = '/data';
const FILE_PAGES = 96;

/** What a word may read: a value, or after MADV_FREE either the old value or zero. */
type Word = { readonly value: number; readonly maybeZero: boolean };

/** One mapping of a process, as the model sees it. */
interface RegionModel {
  readonly kind: 'anon' | 'shared' | 'file-shared' | 'file-private';
  readonly va: number;
  readonly pages: number;
  /** Private words by page (absent: the backing's value). Shared regions keep none. */
  readonly words: Map<number, Word>;
  /** The shared object's words, the same map in every process that shares it. */
  readonly object: Map<number, number> | null;
}

interface ProcModel {
  readonly regions: RegionModel[];
}

interface Model {
  readonly procs: (ProcModel | null)[];
  /** The file's words by page, as written through MAP_SHARED (what the disk will hold). */
  readonly file: Map<number, number>;
}

interface Real {
  readonly k: Kernel;
  readonly procs: (Process | null)[];
}

const MAX_PROCS = 4;

function fileWord(page: number): number {
  return (0x5eed0000 + page * 17) >>> 0;
}

function expected(model: Model, r: RegionModel, page: number): Word {
  const own = r.words.get(page);
  if (own !== undefined) return own;
  if (r.object !== null) return { value: r.object.get(page) ?? 0, maybeZero: false };
  // A file page not copied on write shows the file, with what MAP_SHARED mappings wrote to it.
  if (r.kind === 'file-shared' || r.kind === 'file-private')
    return { value: model.file.get(page) ?? fileWord(page), maybeZero: false };
  return { value: 0, maybeZero: false };
}

function store(model: Model, r: RegionModel, page: number, value: number): void {
  if (r.object !== null) r.object.set(page, value);
  else if (r.kind === 'file-shared') model.file.set(page, value);
  else r.words.set(page, { value, maybeZero: false });
}

function live(model: Model, real: Real, i: number): [ProcModel, Process] | null {
  const m = model.procs[i];
  const p = real.procs[i];
  return m === null || m === undefined || p === null || p === undefined ? null : [m, p];
}

class Spawn implements fc.Command<Model, Real> {
  constructor(readonly slot: number) {}
  check(m: Readonly<Model>): boolean {
    return m.procs[this.slot] === null;
  }
  run(m: Model, r: Real): void {
    m.procs[this.slot] = { regions: [] };
    r.procs[this.slot] = r.k.spawn({ name: `p${this.slot}` });
  }
  toString(): string {
    return `spawn(${this.slot})`;
  }
}

class Map_ implements fc.Command<Model, Real> {
  constructor(
    readonly slot: number,
    readonly kind: RegionModel['kind'],
    readonly pages: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    const p = m.procs[this.slot];
    return p !== null && p !== undefined && p.regions.length < 4;
  }
  run(m: Model, r: Real): void {
    const got = live(m, r, this.slot);
    if (got === null) return;
    const [pm, p] = got;
    const file = this.kind === 'file-shared' || this.kind === 'file-private';
    const pages = file ? Math.min(this.pages, FILE_PAGES) : this.pages;
    const fd = file ? p.sys.open(FILE, O_RDWR) : -1;
    const flags =
      this.kind === 'anon'
        ? MAP_PRIVATE | MAP_ANONYMOUS
        : this.kind === 'shared'
          ? MAP_SHARED | MAP_ANONYMOUS
          : this.kind === 'file-shared'
            ? MAP_SHARED
            : MAP_PRIVATE;
    const va = p.sys.mmap(0, pages * PAGE, RW, flags, fd, 0);
    if (fd >= 0) p.sys.close(fd);
    expect(va).toBeGreaterThan(0);
    pm.regions.push({
      kind: this.kind,
      va,
      pages,
      words: new Map(),
      object: this.kind === 'shared' ? new Map() : null,
    });
  }
  toString(): string {
    return `map(${this.slot}, ${this.kind}, ${this.pages})`;
  }
}

/** Picks a region of a live process by index (modulo the count). */
function region(m: Model, slot: number, which: number): RegionModel | null {
  const p = m.procs[slot];
  if (p === null || p === undefined || p.regions.length === 0) return null;
  return p.regions[which % p.regions.length] as RegionModel;
}

/**
 * A command on one region of a live process: it may run while the process
 * has a region, and `apply` gets the region's model, the process's model
 * and the real process.
 */
abstract class RegionCommand implements fc.Command<Model, Real> {
  constructor(
    readonly slot: number,
    readonly which: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return region(m as Model, this.slot, this.which) !== null;
  }
  run(m: Model, r: Real): void {
    const reg = region(m, this.slot, this.which);
    const pm = m.procs[this.slot];
    const p = r.procs[this.slot];
    if (reg === null || pm === null || pm === undefined || p === null || p === undefined) return;
    this.apply(m, reg, pm, p);
  }
  abstract apply(m: Model, reg: RegionModel, pm: ProcModel, p: Process): void;
  abstract toString(): string;
}

class Touch extends RegionCommand {
  constructor(
    slot: number,
    which: number,
    readonly seed: number,
    readonly stride: number,
  ) {
    super(slot, which);
  }
  apply(m: Model, reg: RegionModel, _pm: ProcModel, p: Process): void {
    for (let page = this.seed % this.stride; page < reg.pages; page += this.stride) {
      const value = (this.seed * 31 + page * 7 + 1) >>> 0;
      p.store32(reg.va + page * PAGE, value);
      store(m, reg, page, value);
    }
  }
  toString(): string {
    return `touch(${this.slot}, ${this.which}, seed ${this.seed}, stride ${this.stride})`;
  }
}

class Verify extends RegionCommand {
  apply(m: Model, reg: RegionModel, _pm: ProcModel, p: Process): void {
    for (let page = 0; page < reg.pages; page++) {
      const want = expected(m, reg, page);
      const got = p.load32(reg.va + page * PAGE);
      if (want.maybeZero && got === 0) continue;
      if (got !== want.value) {
        throw new Error(
          `p${this.slot} ${reg.kind} page ${page} reads ${got}, the model says ${want.value}`,
        );
      }
    }
  }
  toString(): string {
    return `verify(${this.slot}, ${this.which})`;
  }
}

class Fork implements fc.Command<Model, Real> {
  constructor(
    readonly slot: number,
    readonly child: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    const p = m.procs[this.slot];
    return p !== null && p !== undefined && m.procs[this.child] === null;
  }
  run(m: Model, r: Real): void {
    const got = live(m, r, this.slot);
    if (got === null) return;
    const [pm, p] = got;
    const regions = pm.regions.map((reg) => {
      // Private words are copied (copy on write); shared objects stay shared.
      const words = new Map(reg.words);
      return { ...reg, words };
    });
    m.procs[this.child] = { regions };
    r.procs[this.child] = p.fork();
  }
  toString(): string {
    return `fork(${this.slot} -> ${this.child})`;
  }
}

class Exit implements fc.Command<Model, Real> {
  constructor(readonly slot: number) {}
  check(m: Readonly<Model>): boolean {
    const p = m.procs[this.slot];
    return p !== null && p !== undefined;
  }
  run(m: Model, r: Real): void {
    r.procs[this.slot]?.exit();
    m.procs[this.slot] = null;
    r.procs[this.slot] = null;
  }
  toString(): string {
    return `exit(${this.slot})`;
  }
}

class Unmap extends RegionCommand {
  apply(_m: Model, reg: RegionModel, pm: ProcModel, p: Process): void {
    expect(p.sys.munmap(reg.va, reg.pages * PAGE)).toBe(0);
    pm.regions.splice(pm.regions.indexOf(reg), 1);
  }
  toString(): string {
    return `munmap(${this.slot}, ${this.which})`;
  }
}

class Advise extends RegionCommand {
  constructor(
    slot: number,
    which: number,
    readonly advice: 'dontneed' | 'free' | 'pageout',
  ) {
    super(slot, which);
  }
  apply(_m: Model, reg: RegionModel, _pm: ProcModel, p: Process): void {
    const advice =
      this.advice === 'dontneed'
        ? MADV_DONTNEED
        : this.advice === 'free'
          ? MADV_FREE
          : MADV_PAGEOUT;
    const rc = p.sys.madvise(reg.va, reg.pages * PAGE, advice);
    if (this.advice === 'free' && reg.kind !== 'anon') {
      expect(rc).toBe(-22); // EINVAL: MADV_FREE is for private anonymous memory only
      return;
    }
    expect(rc).toBe(0);
    if (this.advice === 'pageout') return; // contents unchanged
    if (reg.kind === 'anon') {
      for (let page = 0; page < reg.pages; page++) {
        const w = reg.words.get(page);
        if (this.advice === 'dontneed') reg.words.delete(page);
        else if (w !== undefined) reg.words.set(page, { value: w.value, maybeZero: true });
      }
    } else if (reg.kind === 'file-private') {
      // DONTNEED drops private copies: the file shows through again.
      reg.words.clear();
    }
  }
  toString(): string {
    return `madvise(${this.slot}, ${this.which}, ${this.advice})`;
  }
}

class Kswapd implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    r.k.kswapd();
  }
  toString(): string {
    return 'kswapd()';
  }
}

/** Runs a command, then the machine's invariants. */
function checked(cmd: fc.Command<Model, Real>): fc.Command<Model, Real> {
  return {
    check: (m) => cmd.check(m),
    run: (m, r) => {
      cmd.run(m, r);
      r.k.checkInvariants();
    },
    toString: () => cmd.toString(),
  };
}

const slot = fc.integer({ min: 0, max: MAX_PROCS - 1 });
const which = fc.nat(7);
const touch = fc
  .tuple(slot, which, fc.nat(1000), fc.integer({ min: 1, max: 4 }))
  .map(([s, w, seed, stride]) => new Touch(s, w, seed, stride));
const verify = fc.tuple(slot, which).map(([s, w]) => new Verify(s, w));
const commands = [
  slot.map((s) => new Spawn(s)),
  touch,
  touch,
  touch,
  verify,
  fc
    .tuple(
      slot,
      fc.constantFrom<RegionModel['kind']>('anon', 'anon', 'shared', 'file-shared', 'file-private'),
      fc.integer({ min: 1, max: 1500 }),
    )
    .map(([s, kind, pages]) => new Map_(s, kind, pages)),
  touch,
  verify,
  fc.tuple(slot, slot).map(([s, c]) => new Fork(s, c)),
  slot.map((s) => new Exit(s)),
  fc.tuple(slot, which).map(([s, w]) => new Unmap(s, w)),
  fc
    .tuple(
      slot,
      which,
      fc.constantFrom<'dontneed' | 'free' | 'pageout'>('dontneed', 'free', 'pageout'),
    )
    .map(([s, w, a]) => new Advise(s, w, a)),
  fc.constant(new Kswapd()),
].map((arb) => arb.map(checked));

function bootMachine(options: { swapFile?: string } = {}): { k: Kernel; buddyinfo: string } {
  const k = Kernel.boot({
    memory: '8M',
    swap:
      options.swapFile === undefined ? { size: '24M' } : { size: '24M', file: options.swapFile },
  });
  const bytes = new Uint8Array(FILE_PAGES * PAGE);
  const view = new DataView(bytes.buffer);
  for (let page = 0; page < FILE_PAGES; page++) view.setUint32(page * PAGE, fileWord(page), true);
  k.vfs.writeFile(FILE, bytes);
  k.drainAllPages();
  return { k, buddyinfo: k.proc('/proc/buddyinfo') };
}

/** Every process exits; nothing may be left in swap, and the file holds what was written. */
function teardown(m: Model, r: Real, buddyinfo: string): void {
  for (let i = 0; i < MAX_PROCS; i++) r.procs[i]?.exit();
  const k = r.k;
  k.checkInvariants();
  const swaps = k.proc('/proc/swaps').split('\n')[1]?.split(/\s+/);
  expect(swaps?.[3]).toBe('0'); // Used
  const disk = new DataView(k.vfs.readFile(FILE).buffer);
  for (let page = 0; page < FILE_PAGES; page++) {
    expect(disk.getUint32(page * PAGE, true)).toBe(m.file.get(page) ?? fileWord(page));
  }
  k.vfs.unlink(FILE); // the page cache goes with the last reference
  k.drainAllPages();
  expect(k.proc('/proc/buddyinfo')).toBe(buddyinfo);
}

describe('integrity under memory pressure', () => {
  it('every byte reads back as written while processes three times the size of RAM swap', () => {
    fc.assert(
      fc.property(fc.commands(commands, { size: 'max', maxCommands: 40 }), (cmds) => {
        const { k, buddyinfo } = bootMachine();
        const model: Model = {
          procs: Array.from({ length: MAX_PROCS }, () => null),
          file: new Map(),
        };
        const real: Real = { k, procs: Array.from({ length: MAX_PROCS }, () => null) };
        // Two processes whose private memory fills RAM, so that every run starts under pressure.
        const setup = [
          new Spawn(0),
          new Spawn(1),
          new Map_(0, 'anon', 1200),
          new Map_(1, 'anon', 1200),
          new Touch(0, 0, 1, 1),
          new Touch(1, 0, 2, 1),
        ];
        for (const cmd of setup) cmd.run(model, real);
        k.checkInvariants();
        fc.modelRun(() => ({ model, real }), cmds);
        teardown(model, real, buddyinfo);
      }),
      { numRuns: 40 },
    );
  });

  it('really swaps: a workload twice the size of RAM moves pages out and back', () => {
    const { k } = bootMachine();
    const p = k.spawn({ name: 'big' });
    const pages = 4096; // 16 MiB of private memory on an 8 MiB machine
    const va = p.sys.mmap(0, pages * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (let i = 0; i < pages; i++) p.store32(va + i * PAGE, i + 1);
    for (let i = 0; i < pages; i++) expect(p.load32(va + i * PAGE)).toBe(i + 1);
    const vmstat = k.proc('/proc/vmstat');
    expect(Number(/^pswpout (\d+)$/m.exec(vmstat)?.[1])).toBeGreaterThan(pages / 2);
    expect(Number(/^pswpin (\d+)$/m.exec(vmstat)?.[1])).toBeGreaterThan(pages / 2);
    k.checkInvariants();
    p.exit();
  });
});
