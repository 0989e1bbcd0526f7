/**
 * Tests of the LRU lists (src/vm/reclaim/lru.ts): which list a page's flags
 * name, adding at the head and the tail, deleting, releasing, moving,
 * activation and the two-step `markAccessed`, list and per-zone sizes on
 * machines with several zones, every misuse that throws KernelBug (leaving
 * the lists and the page unchanged), the page allocator's `lruRelease` hook
 * on the final free, `checkInvariants` against hand-made corruptions, and a
 * model-based test with `fc.commands` that compares every list's order
 * with a model of arrays after every command.
 *
 * Each test builds its own `BuddyAllocator` and a fresh `LruLists`, so no
 * test sees another's pages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ArchName,
  BuddyAllocator,
  GFP_DMA,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  KernelBug,
  LRU_ACTIVE_ANON,
  LRU_ACTIVE_FILE,
  LRU_INACTIVE_ANON,
  LRU_INACTIVE_FILE,
  LRU_NAMES,
  LRU_UNEVICTABLE,
  LruLists,
  type MemMap,
  NR_LRU_LISTS,
  PG,
  PhysicalMemory,
} from '../src/index.js';

const MiB = 2 ** 20;

const LRU = 1 << PG.lru;
const ACTIVE = 1 << PG.active;
const REFERENCED = 1 << PG.referenced;
const SWAPBACKED = 1 << PG.swapbacked;
const UNEVICTABLE = 1 << PG.unevictable;
const MLOCKED = 1 << PG.mlocked;
/** The flags the LRU code reads or writes. */
const TRACKED = LRU | ACTIVE | REFERENCED | SWAPBACKED | UNEVICTABLE | MLOCKED;

interface Machine {
  readonly buddy: BuddyAllocator;
  readonly lru: LruLists;
  readonly m: MemMap;
}

function boot(arch: ArchName = 'x86_64', memory = 64 * MiB): Machine {
  const buddy = new BuddyAllocator(new PhysicalMemory(memory), { arch });
  return { buddy, lru: new LruLists(buddy), m: buddy.memMap };
}

/** An order-0 allocated frame (refcount 1). */
function alloc(buddy: BuddyAllocator, gfp = GFP_KERNEL): number {
  const pfn = buddy.allocPages(gfp, 0);
  if (pfn === null) throw new Error(`alloc: no page for gfp 0x${gfp.toString(16)}`);
  return pfn;
}

function allocMany(buddy: BuddyAllocator, n: number, gfp = GFP_KERNEL): number[] {
  return Array.from({ length: n }, () => alloc(buddy, gfp));
}

function setFlags(m: MemMap, pfn: number, bits: number): void {
  m.flags[pfn] = (m.flags[pfn] as number) | bits;
}

function flagsOf(m: MemMap, pfn: number): number {
  return (m.flags[pfn] as number) & TRACKED;
}

/** List `l` walked from its head through `next` (newest to oldest). */
function walk(lru: LruLists, m: MemMap, l: number): number[] {
  const out: number[] = [];
  for (let pfn = lru.head[l] as number; pfn !== -1; pfn = m.next[pfn] as number) {
    out.push(pfn);
    if (out.length > m.frames) throw new Error(`${LRU_NAMES[l]} list does not end`);
  }
  return out;
}

/** List `l` walked from its tail through `prev` (oldest to newest). */
function walkBack(lru: LruLists, m: MemMap, l: number): number[] {
  const out: number[] = [];
  for (let pfn = lru.tail[l] as number; pfn !== -1; pfn = m.prev[pfn] as number) {
    out.push(pfn);
    if (out.length > m.frames) throw new Error(`${LRU_NAMES[l]} list does not end`);
  }
  return out;
}

/** Asserts that list `l` holds exactly `pfns`, newest first, linked both ways, with matching head, tail and size. */
function expectList(lru: LruLists, m: MemMap, l: number, pfns: readonly number[]): void {
  if (l === LRU_UNEVICTABLE) {
    // Counted, not chained (as in Linux since 5.18): no order, no links.
    expect(lru.head[l]).toBe(-1);
    expect(lru.tail[l]).toBe(-1);
    expect(lru.size[l]).toBe(pfns.length);
    for (const pfn of pfns) {
      expect(lru.onLru(pfn)).toBe(true);
      expect(lru.lruOf(pfn)).toBe(l);
      expect(m.next[pfn]).toBe(-1);
    }
    return;
  }
  expect(walk(lru, m, l)).toEqual(pfns);
  expect(walkBack(lru, m, l)).toEqual([...pfns].reverse());
  expect(lru.head[l]).toBe(pfns.length > 0 ? pfns[0] : -1);
  expect(lru.tail[l]).toBe(pfns.length > 0 ? pfns[pfns.length - 1] : -1);
  expect(lru.size[l]).toBe(pfns.length);
}

/** Everything a rejected call must leave alone: the lists and the given pages' struct page fields. */
function snapshot(lru: LruLists, m: MemMap, pfns: readonly number[]): string {
  return JSON.stringify({
    head: [...lru.head],
    tail: [...lru.tail],
    size: [...lru.size],
    zoneSize: [...lru.zoneSize],
    pages: pfns.map((pfn) => [m.flags[pfn], m.next[pfn], m.prev[pfn], m.refcount[pfn]]),
  });
}

function expectRejected(
  lru: LruLists,
  m: MemMap,
  pfns: readonly number[],
  call: () => void,
  message: RegExp,
): void {
  const before = snapshot(lru, m, pfns);
  expect(call).toThrow(KernelBug);
  expect(call).toThrow(message);
  expect(snapshot(lru, m, pfns)).toBe(before);
}

describe('lruOf: the list a page’s flags name', () => {
  const cases: [string, number, number][] = [
    ['no flags', 0, LRU_INACTIVE_FILE],
    ['active', ACTIVE, LRU_ACTIVE_FILE],
    ['swapbacked', SWAPBACKED, LRU_INACTIVE_ANON],
    ['swapbacked + active', SWAPBACKED | ACTIVE, LRU_ACTIVE_ANON],
    ['unevictable', UNEVICTABLE, LRU_UNEVICTABLE],
    ['unevictable + active', UNEVICTABLE | ACTIVE, LRU_UNEVICTABLE],
    ['unevictable + swapbacked', UNEVICTABLE | SWAPBACKED, LRU_UNEVICTABLE],
    ['unevictable + swapbacked + active', UNEVICTABLE | SWAPBACKED | ACTIVE, LRU_UNEVICTABLE],
  ];
  for (const [name, bits, expected] of cases) {
    it(`${name} -> ${LRU_NAMES[expected]}`, () => {
      const { buddy, lru, m } = boot();
      const pfn = alloc(buddy);
      setFlags(m, pfn, bits);
      expect(lru.lruOf(pfn)).toBe(expected);
      // PG_lru, PG_referenced and PG_mlocked do not choose the list.
      setFlags(m, pfn, LRU | REFERENCED | MLOCKED);
      expect(lru.lruOf(pfn)).toBe(expected);
    });
  }
});

describe('add and addTail', () => {
  it('add puts each page at the head and sets PG_lru', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c] = allocMany(buddy, 3) as [number, number, number];
    expect(lru.onLru(a)).toBe(false);
    lru.add(a);
    lru.add(b);
    lru.add(c);
    expectList(lru, m, LRU_INACTIVE_FILE, [c, b, a]);
    for (const pfn of [a, b, c]) {
      expect(lru.onLru(pfn)).toBe(true);
      expect(flagsOf(m, pfn)).toBe(LRU);
    }
    expect(m.prev[c]).toBe(-1);
    expect(m.next[a]).toBe(-1);
    lru.checkInvariants();
  });

  it('addTail puts each page at the tail', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c, d] = allocMany(buddy, 4) as [number, number, number, number];
    lru.addTail(a);
    lru.addTail(b);
    lru.add(c);
    lru.addTail(d);
    expectList(lru, m, LRU_INACTIVE_FILE, [c, a, b, d]);
    expect(flagsOf(m, d)).toBe(LRU);
    lru.checkInvariants();
  });

  it('each page goes to the list its flags name', () => {
    const { buddy, lru, m } = boot();
    const pages = allocMany(buddy, 5);
    const bits = [0, ACTIVE, SWAPBACKED, SWAPBACKED | ACTIVE, UNEVICTABLE];
    const lists = [
      LRU_INACTIVE_FILE,
      LRU_ACTIVE_FILE,
      LRU_INACTIVE_ANON,
      LRU_ACTIVE_ANON,
      LRU_UNEVICTABLE,
    ];
    pages.forEach((pfn, i) => {
      setFlags(m, pfn, bits[i] as number);
      lru.add(pfn);
    });
    pages.forEach((pfn, i) => {
      expectList(lru, m, lists[i] as number, [pfn]);
    });
    expect(lru.anonPages).toBe(2);
    expect(lru.filePages).toBe(2);
    lru.checkInvariants();
  });
});

describe('del', () => {
  it('unlinks the head, a middle page and the tail, keeping the others linked', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c, d, e] = allocMany(buddy, 5) as [number, number, number, number, number];
    for (const pfn of [a, b, c, d, e]) lru.add(pfn);
    expectList(lru, m, LRU_INACTIVE_FILE, [e, d, c, b, a]);
    lru.del(c);
    expectList(lru, m, LRU_INACTIVE_FILE, [e, d, b, a]);
    lru.del(e);
    expectList(lru, m, LRU_INACTIVE_FILE, [d, b, a]);
    lru.del(a);
    expectList(lru, m, LRU_INACTIVE_FILE, [d, b]);
    for (const pfn of [a, c, e]) {
      expect(lru.onLru(pfn)).toBe(false);
      expect(m.next[pfn]).toBe(-1);
      expect(m.prev[pfn]).toBe(-1);
    }
    lru.del(d);
    lru.del(b);
    expectList(lru, m, LRU_INACTIVE_FILE, []);
    lru.checkInvariants();
  });

  it('clears PG_lru only: PG_active, PG_unevictable and the rest stay', () => {
    const { buddy, lru, m } = boot();
    const [act, unev] = allocMany(buddy, 2) as [number, number];
    setFlags(m, act, ACTIVE | SWAPBACKED | REFERENCED);
    setFlags(m, unev, UNEVICTABLE | MLOCKED);
    lru.add(act);
    lru.add(unev);
    const actFlags = m.flags[act] as number;
    const unevFlags = m.flags[unev] as number;
    lru.del(act);
    lru.del(unev);
    expect(m.flags[act]).toBe(actFlags & ~LRU);
    expect(m.flags[unev]).toBe(unevFlags & ~LRU);
    expectList(lru, m, LRU_ACTIVE_ANON, []);
    expectList(lru, m, LRU_UNEVICTABLE, []);
    lru.checkInvariants();
  });
});

describe('release', () => {
  it('takes a page off its list and clears PG_lru, PG_active, PG_unevictable and PG_mlocked', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c] = allocMany(buddy, 3) as [number, number, number];
    setFlags(m, b, SWAPBACKED | ACTIVE | REFERENCED);
    setFlags(m, c, UNEVICTABLE | MLOCKED | SWAPBACKED);
    setFlags(m, a, SWAPBACKED | ACTIVE);
    lru.add(a);
    lru.add(b);
    lru.add(c);
    const bFlags = m.flags[b] as number;
    const cFlags = m.flags[c] as number;
    lru.release(b);
    expect(m.flags[b]).toBe(bFlags & ~(LRU | ACTIVE | UNEVICTABLE | MLOCKED));
    expect(flagsOf(m, b)).toBe(SWAPBACKED | REFERENCED);
    expectList(lru, m, LRU_ACTIVE_ANON, [a]);
    lru.release(c);
    expect(m.flags[c]).toBe(cFlags & ~(LRU | ACTIVE | UNEVICTABLE | MLOCKED));
    expect(flagsOf(m, c)).toBe(SWAPBACKED);
    expectList(lru, m, LRU_UNEVICTABLE, []);
    expect(m.next[b]).toBe(-1);
    expect(m.prev[b]).toBe(-1);
    lru.checkInvariants();
  });

  it('is a no-op for a page on no list that carries no LRU flags', () => {
    const { buddy, lru, m } = boot();
    const [a, b] = allocMany(buddy, 2) as [number, number];
    lru.add(a);
    setFlags(m, b, REFERENCED | SWAPBACKED);
    const before = snapshot(lru, m, [a, b]);
    lru.release(b);
    expect(snapshot(lru, m, [a, b])).toBe(before);
    lru.checkInvariants();
  });

  it('is a no-op for a page on no list, whatever flags it carries (as documented)', () => {
    const { buddy, lru, m } = boot();
    const [a, b] = allocMany(buddy, 2) as [number, number];
    lru.add(a);
    // Off the list again by del, which keeps PG_active; and mlocked.
    setFlags(m, b, ACTIVE | SWAPBACKED);
    lru.add(b);
    lru.del(b);
    setFlags(m, b, UNEVICTABLE | MLOCKED);
    const before = snapshot(lru, m, [a, b]);
    lru.release(b);
    expect(snapshot(lru, m, [a, b])).toBe(before);
  });
});

describe('move', () => {
  it('changes the flags while the page is off the list and relinks it at the head of the new list', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c, x, y] = allocMany(buddy, 5) as [number, number, number, number, number];
    for (const pfn of [a, b, c]) lru.add(pfn);
    setFlags(m, x, SWAPBACKED);
    setFlags(m, y, SWAPBACKED);
    lru.add(x);
    lru.add(y);
    // b, in the middle of inactive_file, becomes swap-backed: unlinked from
    // inactive_file (which its old flags name), linked at the head of inactive_anon.
    lru.move(b, SWAPBACKED, 0);
    expectList(lru, m, LRU_INACTIVE_FILE, [c, a]);
    expectList(lru, m, LRU_INACTIVE_ANON, [b, y, x]);
    expect(flagsOf(m, b)).toBe(LRU | SWAPBACKED);
    // Set and clear together: y (anon) becomes active file.
    lru.move(y, ACTIVE, SWAPBACKED);
    expectList(lru, m, LRU_INACTIVE_ANON, [b, x]);
    expectList(lru, m, LRU_ACTIVE_FILE, [y]);
    expect(flagsOf(m, y)).toBe(LRU | ACTIVE);
    lru.checkInvariants();
  });

  it('to the same list relinks the page at the head', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c] = allocMany(buddy, 3) as [number, number, number];
    for (const pfn of [a, b, c]) lru.add(pfn);
    lru.move(a, REFERENCED, 0);
    expectList(lru, m, LRU_INACTIVE_FILE, [a, c, b]);
    expect(flagsOf(m, a)).toBe(LRU | REFERENCED);
    lru.checkInvariants();
  });

  it('only changes the flags of a page on no list', () => {
    const { buddy, lru, m } = boot();
    const [a, b, x] = allocMany(buddy, 3) as [number, number, number];
    lru.add(a);
    setFlags(m, b, SWAPBACKED);
    lru.add(b);
    const lists = snapshot(lru, m, [a, b]);
    const next = m.next[x];
    const prev = m.prev[x];
    lru.move(x, SWAPBACKED | ACTIVE, 0);
    expect(flagsOf(m, x)).toBe(SWAPBACKED | ACTIVE);
    expect(lru.onLru(x)).toBe(false);
    expect(m.next[x]).toBe(next);
    expect(m.prev[x]).toBe(prev);
    expect(snapshot(lru, m, [a, b])).toBe(lists);
    lru.move(x, UNEVICTABLE, ACTIVE);
    expect(flagsOf(m, x)).toBe(SWAPBACKED | UNEVICTABLE);
    expect(snapshot(lru, m, [a, b])).toBe(lists);
    lru.checkInvariants();
  });
});

describe('activate, deactivate, rotate', () => {
  it('activate moves an inactive page to the head of the active list', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c, d] = allocMany(buddy, 4) as [number, number, number, number];
    for (const pfn of [a, b, c, d]) setFlags(m, pfn, SWAPBACKED);
    lru.add(a);
    lru.add(b);
    setFlags(m, c, ACTIVE);
    lru.add(c);
    lru.add(d);
    expectList(lru, m, LRU_INACTIVE_ANON, [d, b, a]);
    lru.activate(a); // the tail
    expectList(lru, m, LRU_INACTIVE_ANON, [d, b]);
    expectList(lru, m, LRU_ACTIVE_ANON, [a, c]);
    expect(flagsOf(m, a)).toBe(LRU | ACTIVE | SWAPBACKED);
    lru.checkInvariants();
  });

  it('activate of a page on no list only sets PG_active', () => {
    const { buddy, lru, m } = boot();
    const a = alloc(buddy);
    lru.activate(a);
    expect(flagsOf(m, a)).toBe(ACTIVE);
    for (let l = 0; l < NR_LRU_LISTS; l++) expectList(lru, m, l, []);
  });

  it('deactivate moves an active page to the head of the inactive list and clears PG_active and PG_referenced', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c] = allocMany(buddy, 3) as [number, number, number];
    lru.add(a);
    setFlags(m, b, ACTIVE | REFERENCED);
    setFlags(m, c, ACTIVE);
    lru.add(b);
    lru.add(c);
    expectList(lru, m, LRU_ACTIVE_FILE, [c, b]);
    lru.deactivate(b);
    expectList(lru, m, LRU_ACTIVE_FILE, [c]);
    expectList(lru, m, LRU_INACTIVE_FILE, [b, a]);
    expect(flagsOf(m, b)).toBe(LRU);
    lru.checkInvariants();
  });

  it('rotate moves a page to the head of its own list, flags unchanged', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c] = allocMany(buddy, 3) as [number, number, number];
    for (const pfn of [a, b, c]) {
      setFlags(m, pfn, SWAPBACKED | ACTIVE | REFERENCED);
      lru.add(pfn);
    }
    const flags = m.flags[a];
    lru.rotate(a); // the tail
    expectList(lru, m, LRU_ACTIVE_ANON, [a, c, b]);
    expect(m.flags[a]).toBe(flags);
    lru.rotate(c); // the middle
    expectList(lru, m, LRU_ACTIVE_ANON, [c, a, b]);
    lru.rotate(c); // the head
    expectList(lru, m, LRU_ACTIVE_ANON, [c, a, b]);
    lru.checkInvariants();
  });

  it('rotate of the only page of a list leaves it there', () => {
    const { buddy, lru, m } = boot();
    const a = alloc(buddy);
    lru.add(a);
    lru.rotate(a);
    expectList(lru, m, LRU_INACTIVE_FILE, [a]);
    lru.checkInvariants();
  });

  it('rotate of a page on no list throws KernelBug and changes nothing', () => {
    const { buddy, lru, m } = boot();
    const [a, b, x] = allocMany(buddy, 3) as [number, number, number];
    lru.add(a);
    lru.add(b);
    expectRejected(lru, m, [a, b, x], () => lru.rotate(x), /not on an LRU list/);
    expectList(lru, m, LRU_INACTIVE_FILE, [b, a]);
    lru.checkInvariants();
  });
});

describe('markAccessed: the two-step promotion', () => {
  it('inactive unreferenced -> referenced, in place', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c] = allocMany(buddy, 3) as [number, number, number];
    for (const pfn of [a, b, c]) lru.add(pfn);
    lru.markAccessed(b);
    expect(flagsOf(m, b)).toBe(LRU | REFERENCED);
    expectList(lru, m, LRU_INACTIVE_FILE, [c, b, a]);
    lru.checkInvariants();
  });

  it('inactive referenced -> head of the active list, referenced cleared', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c, d] = allocMany(buddy, 4) as [number, number, number, number];
    for (const pfn of [a, b, c, d]) setFlags(m, pfn, SWAPBACKED);
    setFlags(m, d, ACTIVE);
    for (const pfn of [a, b, c, d]) lru.add(pfn);
    lru.markAccessed(a);
    lru.markAccessed(a);
    expect(flagsOf(m, a)).toBe(LRU | SWAPBACKED | ACTIVE);
    expectList(lru, m, LRU_INACTIVE_ANON, [c, b]);
    expectList(lru, m, LRU_ACTIVE_ANON, [a, d]);
    lru.checkInvariants();
  });

  it('active unreferenced -> referenced, in place; active referenced stays as it is', () => {
    const { buddy, lru, m } = boot();
    const [a, b] = allocMany(buddy, 2) as [number, number];
    setFlags(m, a, ACTIVE);
    setFlags(m, b, ACTIVE);
    lru.add(a);
    lru.add(b);
    lru.markAccessed(a);
    expect(flagsOf(m, a)).toBe(LRU | ACTIVE | REFERENCED);
    expectList(lru, m, LRU_ACTIVE_FILE, [b, a]);
    const before = snapshot(lru, m, [a, b]);
    lru.markAccessed(a);
    expect(snapshot(lru, m, [a, b])).toBe(before);
    lru.checkInvariants();
  });

  it('an unevictable page becomes referenced and is never activated', () => {
    const { buddy, lru, m } = boot();
    const [a, b] = allocMany(buddy, 2) as [number, number];
    setFlags(m, a, UNEVICTABLE | MLOCKED);
    setFlags(m, b, UNEVICTABLE);
    lru.add(a);
    lru.add(b);
    lru.markAccessed(a);
    expect(flagsOf(m, a)).toBe(LRU | UNEVICTABLE | MLOCKED | REFERENCED);
    const before = snapshot(lru, m, [a, b]);
    lru.markAccessed(a);
    expect(snapshot(lru, m, [a, b])).toBe(before);
    expectList(lru, m, LRU_UNEVICTABLE, [b, a]);
    lru.checkInvariants();
  });

  it('a page on no list becomes referenced', () => {
    const { buddy, lru, m } = boot();
    const a = alloc(buddy);
    lru.markAccessed(a);
    expect(flagsOf(m, a)).toBe(REFERENCED);
    expect(lru.onLru(a)).toBe(false);
  });
});

describe('sizes', () => {
  it('size, anonPages and filePages follow adds, moves and deletes', () => {
    const { buddy, lru, m } = boot();
    const pages = allocMany(buddy, 10);
    pages.forEach((pfn, i) => {
      if (i % 2 === 0) setFlags(m, pfn, SWAPBACKED);
      if (i % 3 === 0) setFlags(m, pfn, ACTIVE);
      if (i === 9) setFlags(m, pfn, UNEVICTABLE);
      lru.add(pfn);
    });
    // i = 0..9: anon active 0,6; anon inactive 2,4,8; file active 3; file inactive 1,5,7; unevictable 9.
    expect([...lru.size]).toEqual([3, 2, 3, 1, 1]);
    expect(lru.anonPages).toBe(5);
    expect(lru.filePages).toBe(4);
    lru.activate(pages[2] as number);
    lru.del(pages[7] as number);
    expect([...lru.size]).toEqual([2, 3, 2, 1, 1]);
    expect(lru.anonPages).toBe(5);
    expect(lru.filePages).toBe(3);
    for (const pfn of pages) lru.release(pfn);
    expect([...lru.size]).toEqual([0, 0, 0, 0, 0]);
    expect([...lru.zoneSize].every((n) => n === 0)).toBe(true);
    lru.checkInvariants();
  });

  it('x86_64 with 64 MiB: DMA and DMA32 pages counted in their own zones', () => {
    const { buddy, lru, m } = boot('x86_64', 64 * MiB);
    const names = buddy.zones.map((z) => z.name);
    const dma = names.indexOf('DMA');
    const dma32 = names.indexOf('DMA32');
    expect(dma).toBeGreaterThanOrEqual(0);
    expect(dma32).toBeGreaterThanOrEqual(0);
    expect(lru.zoneSize.length).toBe(buddy.zones.length * NR_LRU_LISTS);
    const low = allocMany(buddy, 3, GFP_DMA);
    const high = allocMany(buddy, 2, GFP_KERNEL);
    for (const pfn of low) expect(buddy.zoneOf(pfn).index).toBe(dma);
    for (const pfn of high) expect(buddy.zoneOf(pfn).index).toBe(dma32);
    for (const pfn of low) lru.add(pfn);
    for (const pfn of high) {
      setFlags(m, pfn, SWAPBACKED);
      lru.add(pfn);
    }
    // low: one swap-backed page moved to inactive_anon, two file pages.
    lru.move(low[0] as number, SWAPBACKED, 0);
    lru.activate(high[0] as number);
    expect(lru.zoneLruSize(dma, LRU_INACTIVE_FILE)).toBe(2);
    expect(lru.zoneLruSize(dma, LRU_INACTIVE_ANON)).toBe(1);
    expect(lru.zoneLruSize(dma32, LRU_INACTIVE_ANON)).toBe(1);
    expect(lru.zoneLruSize(dma32, LRU_ACTIVE_ANON)).toBe(1);
    expect(lru.zoneLruSize(dma32, LRU_INACTIVE_FILE)).toBe(0);
    expect(lru.zoneLruSize(dma, LRU_ACTIVE_ANON)).toBe(0);
    expect(lru.zoneSize[dma * NR_LRU_LISTS + LRU_INACTIVE_FILE]).toBe(2);
    expect(lru.zoneSize[dma32 * NR_LRU_LISTS + LRU_ACTIVE_ANON]).toBe(1);
    const total = [...lru.zoneSize].reduce((s, n) => s + n, 0);
    expect(total).toBe(5);
    lru.del(low[1] as number);
    expect(lru.zoneLruSize(dma, LRU_INACTIVE_FILE)).toBe(1);
    lru.checkInvariants();
  });

  it('i386 with 1 GiB: HighMem, Normal and DMA pages counted in their own zones', () => {
    const { buddy, lru, m } = boot('i386', 1024 * MiB);
    const names = buddy.zones.map((z) => z.name);
    const dma = names.indexOf('DMA');
    const normal = names.indexOf('Normal');
    const highmem = names.indexOf('HighMem');
    expect(highmem).toBeGreaterThanOrEqual(0);
    const h = allocMany(buddy, 3, GFP_HIGHUSER_MOVABLE);
    const n = alloc(buddy, GFP_KERNEL);
    const d = alloc(buddy, GFP_DMA);
    for (const pfn of h) expect(buddy.zoneOf(pfn).index).toBe(highmem);
    expect(buddy.zoneOf(n).index).toBe(normal);
    expect(buddy.zoneOf(d).index).toBe(dma);
    for (const pfn of h) {
      setFlags(m, pfn, SWAPBACKED);
      lru.add(pfn);
    }
    lru.add(n);
    setFlags(m, d, UNEVICTABLE);
    lru.add(d);
    lru.markAccessed(h[0] as number);
    lru.markAccessed(h[0] as number);
    expect(lru.zoneLruSize(highmem, LRU_INACTIVE_ANON)).toBe(2);
    expect(lru.zoneLruSize(highmem, LRU_ACTIVE_ANON)).toBe(1);
    expect(lru.zoneLruSize(normal, LRU_INACTIVE_FILE)).toBe(1);
    expect(lru.zoneLruSize(normal, LRU_INACTIVE_ANON)).toBe(0);
    expect(lru.zoneLruSize(dma, LRU_UNEVICTABLE)).toBe(1);
    expect(lru.zoneLruSize(highmem, LRU_UNEVICTABLE)).toBe(0);
    expect([...lru.size]).toEqual([2, 1, 1, 0, 1]);
    lru.release(h[1] as number);
    expect(lru.zoneLruSize(highmem, LRU_INACTIVE_ANON)).toBe(1);
    lru.checkInvariants();
  });
});

describe('misuse throws KernelBug and changes nothing', () => {
  it('add or addTail of a page already on a list', () => {
    const { buddy, lru, m } = boot();
    const [a, b, c] = allocMany(buddy, 3) as [number, number, number];
    lru.add(a);
    setFlags(m, b, ACTIVE);
    lru.add(b);
    lru.add(c);
    for (const pfn of [a, b, c]) {
      expectRejected(lru, m, [a, b, c], () => lru.add(pfn), /already on an LRU list/);
      expectRejected(lru, m, [a, b, c], () => lru.addTail(pfn), /already on an LRU list/);
    }
    lru.checkInvariants();
  });

  it('add or addTail of a free page', () => {
    const { buddy, lru, m } = boot();
    const [a, b, f] = allocMany(buddy, 3) as [number, number, number];
    lru.add(a);
    lru.add(b);
    buddy.freePages(f, 0);
    expect(m.refcount[f]).toBe(0);
    expectRejected(lru, m, [a, b, f], () => lru.add(f), /is free/);
    expectRejected(lru, m, [a, b, f], () => lru.addTail(f), /is free/);
    lru.checkInvariants();
  });

  it('del of a page on no list', () => {
    const { buddy, lru, m } = boot();
    const [a, b, x] = allocMany(buddy, 3) as [number, number, number];
    lru.add(a);
    lru.add(b);
    setFlags(m, x, ACTIVE);
    expectRejected(lru, m, [a, b, x], () => lru.del(x), /not on an LRU list/);
    lru.del(a);
    expectRejected(lru, m, [a, b, x], () => lru.del(a), /not on an LRU list/);
    lru.checkInvariants();
  });
});

describe('the page allocator’s final free of a page on a list', () => {
  function withPages(hook: boolean) {
    const machine = boot();
    const { buddy, lru, m } = machine;
    if (hook) buddy.lruRelease = (pfn) => lru.release(pfn);
    const [a, b, c] = allocMany(buddy, 3) as [number, number, number];
    for (const pfn of [a, b, c]) {
      setFlags(m, pfn, SWAPBACKED | ACTIVE | REFERENCED);
      lru.add(pfn);
    }
    return { ...machine, a, b, c };
  }

  function freeFrames(buddy: BuddyAllocator): number {
    return buddy.nrFreePages() + buddy.zones.reduce((n, z) => n + z.pcpPages, 0);
  }

  it('with lruRelease set, freeing the last reference takes the page off its list', () => {
    const { buddy, lru, m, a, b, c } = withPages(true);
    const free = freeFrames(buddy);
    buddy.freePages(b, 0);
    expectList(lru, m, LRU_ACTIVE_ANON, [c, a]);
    expect(m.refcount[b]).toBe(0);
    expect(buddy.allocatedOrder(b)).toBe(-1);
    expect(freeFrames(buddy)).toBe(free + 1);
    // An unevictable, mlocked page goes the same way.
    lru.move(c, UNEVICTABLE | MLOCKED, 0);
    buddy.freePages(c, 0);
    buddy.freePages(a, 0);
    for (let l = 0; l < NR_LRU_LISTS; l++) expectList(lru, m, l, []);
    expect([...lru.zoneSize].every((n) => n === 0)).toBe(true);
    expect(freeFrames(buddy)).toBe(free + 3);
    lru.checkInvariants();
  });

  it('without lruRelease, the free throws KernelBug (bad page state) and changes nothing', () => {
    const { buddy, lru, m, a, b, c } = withPages(false);
    const free = freeFrames(buddy);
    expectRejected(lru, m, [a, b, c], () => buddy.freePages(b, 0), /bad page state/);
    expect(freeFrames(buddy)).toBe(free);
    expect(buddy.allocatedOrder(b)).toBe(0);
    expectList(lru, m, LRU_ACTIVE_ANON, [c, b, a]);
    lru.checkInvariants();
  });

  it('with lruRelease set, a page still mapped is refused and stays on its list', () => {
    const { buddy, lru, m, a, b, c } = withPages(true);
    m.mapcount[b] = 1;
    expectRejected(lru, m, [a, b, c], () => buddy.freePages(b, 0), /bad page state/);
    expectList(lru, m, LRU_ACTIVE_ANON, [c, b, a]);
    lru.checkInvariants();
  });

  it('freeing a page that holds an extra reference keeps it on its list', () => {
    const { buddy, lru, m, a, b, c } = withPages(true);
    m.getPage(b);
    buddy.freePages(b, 0);
    expect(m.refcount[b]).toBe(1);
    expect(flagsOf(m, b)).toBe(LRU | SWAPBACKED | ACTIVE | REFERENCED);
    expectList(lru, m, LRU_ACTIVE_ANON, [c, b, a]);
    lru.checkInvariants();
    buddy.freePages(b, 0);
    expectList(lru, m, LRU_ACTIVE_ANON, [c, a]);
    lru.checkInvariants();
  });
});

describe('checkInvariants catches each corruption', () => {
  /** Three pages on inactive_file, newest first [c, b, a], and one in another zone on active_anon. */
  function healthy() {
    const machine = boot();
    const { buddy, lru, m } = machine;
    const [a, b, c] = allocMany(buddy, 3) as [number, number, number];
    for (const pfn of [a, b, c]) lru.add(pfn);
    const d = alloc(buddy, GFP_DMA);
    setFlags(m, d, SWAPBACKED | ACTIVE);
    lru.add(d);
    lru.checkInvariants();
    return { ...machine, a, b, c, d };
  }

  it('a broken prev link', () => {
    const { lru, m, b } = healthy();
    m.prev[b] = -1;
    expect(() => lru.checkInvariants()).toThrow(KernelBug);
    expect(() => lru.checkInvariants()).toThrow(/links back/);
  });

  it('a wrong size', () => {
    const { lru } = healthy();
    lru.size[LRU_INACTIVE_FILE] = 4;
    expect(() => lru.checkInvariants()).toThrow(KernelBug);
    expect(() => lru.checkInvariants()).toThrow(
      /inactive_file list holds 3 pages, its size says 4/,
    );
  });

  it('a wrong per-zone size', () => {
    const { buddy, lru, d } = healthy();
    const z = buddy.zoneOf(d).index * NR_LRU_LISTS + LRU_ACTIVE_ANON;
    lru.zoneSize[z] = 0;
    expect(() => lru.checkInvariants()).toThrow(KernelBug);
    expect(() => lru.checkInvariants()).toThrow(/zone DMA counts 0 active_anon pages/);
  });

  it('a page whose flags name another list', () => {
    const { lru, m, b } = healthy();
    setFlags(m, b, ACTIVE);
    expect(() => lru.checkInvariants()).toThrow(KernelBug);
    expect(() => lru.checkInvariants()).toThrow(
      /on the inactive_file list but its flags say active_file/,
    );
  });

  it('a page on a list without PG_lru', () => {
    const { lru, m, b } = healthy();
    m.flags[b] = (m.flags[b] as number) & ~LRU;
    expect(() => lru.checkInvariants()).toThrow(KernelBug);
    expect(() => lru.checkInvariants()).toThrow(/without PG_lru/);
  });

  it('a free page on a list', () => {
    const { lru, m, a } = healthy();
    m.refcount[a] = 0;
    expect(() => lru.checkInvariants()).toThrow(KernelBug);
    expect(() => lru.checkInvariants()).toThrow(/but free/);
  });

  it('a tail that is not the last page', () => {
    const { lru, b } = healthy();
    lru.tail[LRU_INACTIVE_FILE] = b;
    expect(() => lru.checkInvariants()).toThrow(KernelBug);
    expect(() => lru.checkInvariants()).toThrow(/tail says/);
  });

  it('a page linked onto a second list', () => {
    const { lru, m, c, d } = healthy();
    // d's active_anon list now continues into inactive_file's head.
    m.next[d] = c;
    expect(() => lru.checkInvariants()).toThrow(KernelBug);
  });

  it('a cycle', () => {
    const { lru, m, a, c } = healthy();
    m.next[a] = c;
    expect(() => lru.checkInvariants()).toThrow(/appears twice/);
  });

  it('a link outside mem_map', () => {
    const { lru, m, a } = healthy();
    m.next[a] = m.frames + 5;
    expect(() => lru.checkInvariants()).toThrow(/outside mem_map/);
  });

  it('reports every page to onList', () => {
    const { lru, a, b, c, d } = healthy();
    const seen: [number, number][] = [];
    lru.checkInvariants((pfn, l) => seen.push([pfn, l]));
    expect(seen).toEqual([
      [d, LRU_ACTIVE_ANON],
      [c, LRU_INACTIVE_FILE],
      [b, LRU_INACTIVE_FILE],
      [a, LRU_INACTIVE_FILE],
    ]);
  });
});

// --- model-based test ----------------------------------------------------

interface PageModel {
  readonly pfn: number;
  /** The TRACKED flags the page should carry. */
  flags: number;
}

interface Model {
  /** Allocated pages the commands work on. */
  pages: PageModel[];
  /** Pages freed and not allocated again. */
  freed: number[];
  /** Each list, newest first. */
  lists: number[][];
}

interface Real extends Machine {
  /** Zone index of each pool page, from the zones' spans. */
  readonly zoneIndex: (pfn: number) => number;
}

function modelLruOf(flags: number): number {
  if ((flags & UNEVICTABLE) !== 0) return LRU_UNEVICTABLE;
  const base = (flags & SWAPBACKED) !== 0 ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
  return (flags & ACTIVE) !== 0 ? base + 1 : base;
}

function onList(p: PageModel): boolean {
  return (p.flags & LRU) !== 0;
}

function listOf(model: Model, p: PageModel): number[] {
  return model.lists[modelLruOf(p.flags)] as number[];
}

function unlinkModel(model: Model, p: PageModel): void {
  const list = listOf(model, p);
  const i = list.indexOf(p.pfn);
  expect(i).toBeGreaterThanOrEqual(0);
  list.splice(i, 1);
}

function moveModel(model: Model, p: PageModel, set: number, clear: number): void {
  const was = onList(p);
  if (was) unlinkModel(model, p);
  p.flags = (p.flags & ~clear) | set;
  if (was) listOf(model, p).unshift(p.pfn);
}

/** What the lists and the pool look like, read from the real lists. */
function observe(model: Model, real: Real) {
  const { lru, m } = real;
  const lists = Array.from({ length: NR_LRU_LISTS }, (_, l) => {
    if (l === LRU_UNEVICTABLE) {
      // Counted, not chained: the pool pages its flags put there, in pfn order.
      const pages = model.pages
        .map((p) => p.pfn)
        .filter((pfn) => lru.onLru(pfn) && lru.lruOf(pfn) === l && m.next[pfn] === -1)
        .sort((a, b) => a - b);
      return {
        forward: pages,
        backward: pages,
        head: lru.head[l],
        tail: lru.tail[l],
        size: lru.size[l],
      };
    }
    return {
      forward: walk(lru, m, l),
      backward: walkBack(lru, m, l).reverse(),
      head: lru.head[l],
      tail: lru.tail[l],
      size: lru.size[l],
    };
  });
  return {
    lists,
    zoneSize: [...lru.zoneSize],
    pages: model.pages.map((p) => [p.pfn, flagsOf(m, p.pfn), lru.onLru(p.pfn), m.refcount[p.pfn]]),
    freed: model.freed.map((pfn) => [pfn, m.refcount[pfn]]),
    anon: lru.anonPages,
    file: lru.filePages,
  };
}

/** What the model says `observe` should find. */
function predict(model: Model, real: Real): ReturnType<typeof observe> {
  const zoneSize = new Array<number>(real.lru.zoneSize.length).fill(0);
  const lists = model.lists.map((list, l) => {
    for (const pfn of list) {
      const z = real.zoneIndex(pfn) * NR_LRU_LISTS + l;
      zoneSize[z] = (zoneSize[z] as number) + 1;
    }
    if (l === LRU_UNEVICTABLE) {
      const pages = [...list].sort((a, b) => a - b);
      return { forward: pages, backward: pages, head: -1, tail: -1, size: list.length };
    }
    return {
      forward: list,
      backward: list,
      head: list[0] ?? -1,
      tail: list[list.length - 1] ?? -1,
      size: list.length,
    };
  });
  const len = (l: number) => model.lists[l]?.length ?? 0;
  return {
    lists,
    zoneSize,
    pages: model.pages.map((p) => [p.pfn, p.flags, onList(p), 1]),
    freed: model.freed.map((pfn) => [pfn, 0]),
    anon: len(LRU_INACTIVE_ANON) + len(LRU_ACTIVE_ANON),
    file: len(LRU_INACTIVE_FILE) + len(LRU_ACTIVE_FILE),
  };
}

function compare(model: Model, real: Real): void {
  real.lru.checkInvariants();
  const seen = observe(model, real);
  const wanted = predict(model, real);
  // toEqual only on a difference, for its diff: the JSON comparison is much cheaper.
  if (JSON.stringify(seen) !== JSON.stringify(wanted)) expect(seen).toEqual(wanted);
}

/** Picks the `pick`th page (modulo) among those `eligible` admits, or undefined. */
function choose(
  model: Readonly<Model>,
  pick: number,
  eligible: (p: PageModel) => boolean,
): PageModel | undefined {
  const pages = model.pages.filter(eligible);
  return pages.length > 0 ? pages[pick % pages.length] : undefined;
}

/** A command on one page of the pool chosen among those `eligible` admits. */
abstract class PageCommand implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  abstract readonly name: string;
  eligible(_p: PageModel): boolean {
    return true;
  }
  check(model: Readonly<Model>): boolean {
    return choose(model, this.pick, (p) => this.eligible(p)) !== undefined;
  }
  run(model: Model, real: Real): void {
    const p = choose(model, this.pick, (q) => this.eligible(q));
    if (p === undefined) throw new Error(`${this.name}: no eligible page`);
    this.apply(p, model, real);
    compare(model, real);
  }
  abstract apply(p: PageModel, model: Model, real: Real): void;
  toString(): string {
    return `${this.name}(#${this.pick})`;
  }
}

class AddCommand extends PageCommand {
  constructor(
    pick: number,
    readonly tail: boolean,
  ) {
    super(pick);
  }
  get name(): string {
    return this.tail ? 'addTail' : 'add';
  }
  override eligible(p: PageModel): boolean {
    return !onList(p);
  }
  apply(p: PageModel, model: Model, real: Real): void {
    if (this.tail) real.lru.addTail(p.pfn);
    else real.lru.add(p.pfn);
    p.flags |= LRU;
    if (this.tail) listOf(model, p).push(p.pfn);
    else listOf(model, p).unshift(p.pfn);
  }
}

class DelCommand extends PageCommand {
  readonly name = 'del';
  override eligible(p: PageModel): boolean {
    return onList(p);
  }
  apply(p: PageModel, model: Model, real: Real): void {
    real.lru.del(p.pfn);
    unlinkModel(model, p);
    p.flags &= ~LRU;
  }
}

/**
 * `activate` of any page: an inactive evictable one moves to the active
 * list (or, on no list, only gains PG_active); an active or unevictable one
 * is left alone, as Linux's folio_activate leaves it.
 */
class ActivateCommand extends PageCommand {
  readonly name = 'activate';
  override eligible(): boolean {
    return true;
  }
  apply(p: PageModel, model: Model, real: Real): void {
    real.lru.activate(p.pfn);
    if ((p.flags & (ACTIVE | UNEVICTABLE)) === 0) moveModel(model, p, ACTIVE, 0);
  }
}

/**
 * `deactivate` of any page: an active evictable one moves to the inactive
 * list losing PG_referenced; any other is left alone (`lru_deactivate_fn`).
 */
class DeactivateCommand extends PageCommand {
  readonly name = 'deactivate';
  override eligible(): boolean {
    return true;
  }
  apply(p: PageModel, model: Model, real: Real): void {
    real.lru.deactivate(p.pfn);
    if ((p.flags & (ACTIVE | UNEVICTABLE)) === ACTIVE) moveModel(model, p, 0, ACTIVE | REFERENCED);
  }
}

class RotateCommand extends PageCommand {
  readonly name = 'rotate';
  override eligible(p: PageModel): boolean {
    return onList(p);
  }
  apply(p: PageModel, model: Model, real: Real): void {
    real.lru.rotate(p.pfn);
    const list = listOf(model, p);
    list.splice(list.indexOf(p.pfn), 1);
    list.unshift(p.pfn);
  }
}

/**
 * `markAccessed` of any page: the two-step promotion, which for a page on
 * no list only changes its flags (Linux does it through the per-CPU batch).
 */
class MarkAccessedCommand extends PageCommand {
  readonly name = 'markAccessed';
  override eligible(): boolean {
    return true;
  }
  apply(p: PageModel, model: Model, real: Real): void {
    real.lru.markAccessed(p.pfn);
    if ((p.flags & REFERENCED) === 0) p.flags |= REFERENCED;
    else if ((p.flags & (ACTIVE | UNEVICTABLE)) === 0) moveModel(model, p, ACTIVE, REFERENCED);
  }
}

const MOVES = {
  setSwapbacked: [SWAPBACKED, 0],
  clearSwapbacked: [0, SWAPBACKED],
  makeUnevictable: [UNEVICTABLE | MLOCKED, 0],
  makeEvictable: [0, UNEVICTABLE | MLOCKED],
} as const;

class MoveCommand extends PageCommand {
  constructor(
    pick: number,
    readonly kind: keyof typeof MOVES,
  ) {
    super(pick);
  }
  get name(): string {
    return this.kind;
  }
  apply(p: PageModel, model: Model, real: Real): void {
    const [set, clear] = MOVES[this.kind];
    real.lru.move(p.pfn, set, clear);
    moveModel(model, p, set, clear);
  }
}

/** `release`: off its list with the LRU flags cleared; a page on no list is left alone. */
class ReleaseCommand extends PageCommand {
  readonly name = 'release';
  apply(p: PageModel, model: Model, real: Real): void {
    real.lru.release(p.pfn);
    if (onList(p)) {
      unlinkModel(model, p);
      p.flags &= ~(LRU | ACTIVE | UNEVICTABLE | MLOCKED);
    }
  }
}

/** The last reference goes through buddy.freePages with the lruRelease hook set. */
class FreeLastReferenceCommand extends PageCommand {
  readonly name = 'freeLastReference';
  apply(p: PageModel, model: Model, real: Real): void {
    real.buddy.freePages(p.pfn, 0);
    if (onList(p)) unlinkModel(model, p);
    model.pages.splice(model.pages.indexOf(p), 1);
    model.freed.push(p.pfn);
  }
}

/** A free that is not the last reference: nothing changes. */
class FreeExtraReferenceCommand extends PageCommand {
  readonly name = 'freeExtraReference';
  apply(p: PageModel, _model: Model, real: Real): void {
    real.m.getPage(p.pfn);
    real.buddy.freePages(p.pfn, 0);
  }
}

/** add or addTail of a page already on a list: KernelBug, nothing changed. */
class AddTwiceCommand extends PageCommand {
  readonly name = 'addTwice';
  override eligible(p: PageModel): boolean {
    return onList(p);
  }
  apply(p: PageModel, model: Model, real: Real): void {
    const pfns = model.pages.map((q) => q.pfn);
    expectRejected(real.lru, real.m, pfns, () => real.lru.add(p.pfn), /already/);
    expectRejected(real.lru, real.m, pfns, () => real.lru.addTail(p.pfn), /already/);
  }
}

/** del of a page on no list: KernelBug, nothing changed. */
class DelOffListCommand extends PageCommand {
  readonly name = 'delOffList';
  override eligible(p: PageModel): boolean {
    return !onList(p);
  }
  apply(p: PageModel, model: Model, real: Real): void {
    const pfns = model.pages.map((q) => q.pfn);
    expectRejected(real.lru, real.m, pfns, () => real.lru.del(p.pfn), /not on an LRU list/);
  }
}

/** add of a freed page: KernelBug, nothing changed. */
class AddFreeCommand implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.freed.length > 0;
  }
  run(model: Model, real: Real): void {
    const pfn = model.freed[this.pick % model.freed.length] as number;
    const pfns = [...model.pages.map((q) => q.pfn), pfn];
    expectRejected(real.lru, real.m, pfns, () => real.lru.add(pfn), /is free/);
    expectRejected(real.lru, real.m, pfns, () => real.lru.addTail(pfn), /is free/);
    compare(model, real);
  }
  toString(): string {
    return `addFree(#${this.pick})`;
  }
}

/** Allocates a new page for the pool (possibly one freed before). */
class AllocCommand implements fc.Command<Model, Real> {
  constructor(readonly dma: boolean) {}
  check(model: Readonly<Model>): boolean {
    return model.pages.length < 32;
  }
  run(model: Model, real: Real): void {
    const pfn = alloc(real.buddy, this.dma ? GFP_DMA : GFP_KERNEL);
    expect(model.pages.some((p) => p.pfn === pfn)).toBe(false);
    model.freed = model.freed.filter((f) => f !== pfn);
    model.pages.push({ pfn, flags: 0 });
    compare(model, real);
  }
  toString(): string {
    return `alloc(${this.dma ? 'DMA' : 'KERNEL'})`;
  }
}

const pick = fc.nat();
const modelCommands = [
  fc.tuple(pick, fc.boolean()).map(([i, tail]) => new AddCommand(i, tail)),
  fc.tuple(pick, fc.boolean()).map(([i, tail]) => new AddCommand(i, tail)),
  pick.map((i) => new DelCommand(i)),
  pick.map((i) => new ActivateCommand(i)),
  pick.map((i) => new DeactivateCommand(i)),
  pick.map((i) => new RotateCommand(i)),
  pick.map((i) => new MarkAccessedCommand(i)),
  pick.map((i) => new MarkAccessedCommand(i)),
  fc
    .tuple(pick, fc.constantFrom(...(Object.keys(MOVES) as (keyof typeof MOVES)[])))
    .map(([i, kind]) => new MoveCommand(i, kind)),
  pick.map((i) => new ReleaseCommand(i)),
  pick.map((i) => new FreeLastReferenceCommand(i)),
  pick.map((i) => new FreeExtraReferenceCommand(i)),
  pick.map((i) => new AddTwiceCommand(i)),
  pick.map((i) => new DelOffListCommand(i)),
  pick.map((i) => new AddFreeCommand(i)),
  fc.boolean().map((dma) => new AllocCommand(dma)),
];

describe('LRU lists against a model of arrays', () => {
  it('x86_64, 24 MiB, a pool of 24 frames in DMA and DMA32', () => {
    fc.assert(
      fc.property(fc.commands(modelCommands, { maxCommands: 100, size: 'large' }), (cmds) => {
        const machine = boot('x86_64', 24 * MiB);
        const { buddy, lru } = machine;
        buddy.lruRelease = (pfn) => lru.release(pfn);
        const zoneIndex = (pfn: number) =>
          buddy.zones.findIndex((z) => pfn >= z.startPfn && pfn < z.endPfn);
        const real: Real = { ...machine, zoneIndex };
        const pfns = [...allocMany(buddy, 8, GFP_DMA), ...allocMany(buddy, 16, GFP_KERNEL)];
        const model: Model = {
          pages: pfns.map((pfn) => ({ pfn, flags: 0 })),
          freed: [],
          lists: Array.from({ length: NR_LRU_LISTS }, () => []),
        };
        compare(model, real);
        fc.modelRun(() => ({ model, real }), cmds);
        // Freeing every page empties every list.
        for (const p of model.pages) buddy.freePages(p.pfn, 0);
        for (let l = 0; l < NR_LRU_LISTS; l++) expectList(lru, real.m, l, []);
        expect([...lru.zoneSize].every((n) => n === 0)).toBe(true);
        lru.checkInvariants();
      }),
      { numRuns: 100 },
    );
  });
});
