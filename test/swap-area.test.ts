/**
 * Tests of swap: the two backing stores (SimSwapStore in host memory,
 * FileSwapStore on a real host file) round-tripping pages through a real
 * PhysicalMemory, and SwapArea (swap_map, swap cache, free slots,
 * /proc/swaps), including a model-based test against a Map of slots.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelBug } from '../src/page/errors.js';
import { PhysicalMemory } from '../src/page/physical-memory.js';
import {
  FileSwapStore,
  MAX_SWAPFILES,
  renderSwaps,
  SimSwapStore,
  SwapArea,
  type SwapStore,
} from '../src/vm/swap/index.js';

const PS = 4096;
const MiB = 2 ** 20;
const HEADER = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';

/** Fills frame `pfn` with a pattern derived from `seed` (never all zero). */
function fillFrame(memory: PhysicalMemory, pfn: number, seed: number): void {
  const words = memory.pageSize / 4;
  for (let i = 0; i < words; i++) {
    memory.store32(pfn * memory.pageSize + i * 4, (Math.imul(i + 1, 0x9e3779b1) ^ seed) >>> 0 || 1);
  }
}

function frameBytes(memory: PhysicalMemory, pfn: number): Uint8Array {
  return memory.read(pfn * memory.pageSize, memory.pageSize);
}

/** Whether frames `a` and `b` hold the same bytes (cheaper than a deep toEqual of 64 KiB). */
function sameFrames(memory: PhysicalMemory, a: number, b: number): boolean {
  return Buffer.from(frameBytes(memory, a)).equals(frameBytes(memory, b));
}

/** A store that holds nothing, for /proc/swaps tests of large areas. */
function fakeStore(description: string, slots: number, kind?: 'file' | 'partition'): SwapStore {
  const store: SwapStore = {
    slots,
    pageSize: PS,
    description,
    readPage: () => {
      throw new Error('fake store: no I/O');
    },
    writePage: () => {
      throw new Error('fake store: no I/O');
    },
    close: () => {},
  };
  return kind === undefined ? store : { ...store, kind };
}

function area(total: number, options = {}): SwapArea {
  return new SwapArea(new SimSwapStore(total + 1, PS), options);
}

function freeStackOf(a: SwapArea): Int32Array {
  return (a as unknown as { freeStack: Int32Array }).freeStack;
}

/** Everything a rejected call must leave unchanged. */
function snapshot(a: SwapArea): string {
  const stack = freeStackOf(a).subarray(0, a.free);
  return `${a.free}/${a.used}/${a.cached}|${a.swapMap.join(',')}|${a.swapCache.join(',')}|${stack.join(',')}`;
}

/** Expects `fn` to throw a KernelBug matching `message` and to leave `a` unchanged. */
function rejects(a: SwapArea, fn: () => unknown, message: RegExp): void {
  const before = snapshot(a);
  expect(fn).toThrow(KernelBug);
  expect(fn).toThrow(message);
  expect(snapshot(a)).toBe(before);
  a.checkInvariants();
}

/** A temporary directory for FileSwapStore files, removed after the tests. */
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmsim-swap-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
function makeFileStore(slots: number, pageSize: number): FileSwapStore {
  return new FileSwapStore(join(dir, `swap${fileCount++}`), slots, pageSize);
}

describe.each([
  ['SimSwapStore', (slots: number, pageSize: number) => new SimSwapStore(slots, pageSize)],
  ['FileSwapStore', (slots: number, pageSize: number) => makeFileStore(slots, pageSize)],
] as const)('%s', (_name, make) => {
  for (const pageSize of [4096, 65536]) {
    it(`round-trips pages of ${pageSize} bytes through PhysicalMemory`, () => {
      const memory = new PhysicalMemory(4 * MiB, pageSize);
      // Enough slots to cross a 1 MiB segment boundary and end in a partial segment.
      const slots = (3 * MiB) / pageSize + 5;
      const store = make(slots, pageSize);
      try {
        const targets = [0, 1, MiB / pageSize - 1, MiB / pageSize, slots - 1];
        targets.forEach((slot, i) => {
          fillFrame(memory, i, slot + 1);
          store.writePage(slot, memory, i);
        });
        const last = memory.frames - 1;
        targets.forEach((slot, i) => {
          memory.zeroPage(last);
          store.readPage(slot, memory, last);
          expect(sameFrames(memory, last, i)).toBe(true);
        });
        // Overwriting a slot replaces its contents.
        fillFrame(memory, 10, 777);
        store.writePage(1, memory, 10);
        store.readPage(1, memory, last);
        expect(sameFrames(memory, last, 10)).toBe(true);
      } finally {
        store.close();
      }
    });
  }

  it('reads a slot never written as zeroes, in a written segment or not', () => {
    const memory = new PhysicalMemory(MiB, PS);
    const store = make(1024, PS);
    try {
      fillFrame(memory, 0, 1);
      store.writePage(3, memory, 0);
      for (const slot of [4, 700, 1023]) {
        fillFrame(memory, 5, 99);
        store.readPage(slot, memory, 5);
        expect(memory.isPageZero(5)).toBe(true);
      }
    } finally {
      store.close();
    }
  });

  it('rejects bad slots, pfns and page sizes without touching RAM or the store', () => {
    const memory = new PhysicalMemory(MiB, PS);
    const store = make(16, PS);
    try {
      fillFrame(memory, 2, 5);
      store.writePage(4, memory, 2);
      const before = frameBytes(memory, 2);
      for (const slot of [-1, 16, 1.5, Number.NaN]) {
        expect(() => store.readPage(slot, memory, 2)).toThrow(
          /slot .* is out of range \(0\.\.15\)/,
        );
        expect(() => store.writePage(slot, memory, 2)).toThrow(KernelBug);
      }
      for (const pfn of [-1, memory.frames, 0.5]) {
        expect(() => store.readPage(4, memory, pfn)).toThrow(/pfn .* is outside RAM/);
        expect(() => store.writePage(4, memory, pfn)).toThrow(KernelBug);
      }
      const big = new PhysicalMemory(MiB, 65536);
      expect(() => store.readPage(4, big, 0)).toThrow(/RAM page size 65536 differs/);
      expect(() => store.writePage(4, big, 0)).toThrow(KernelBug);
      expect(frameBytes(memory, 2)).toEqual(before);
      store.readPage(4, memory, 3);
      expect(frameBytes(memory, 3)).toEqual(before);
    } finally {
      store.close();
    }
  });

  it('rejects transfers after close; close is idempotent', () => {
    const memory = new PhysicalMemory(MiB, PS);
    const store = make(4, PS);
    store.close();
    store.close();
    expect(() => store.readPage(1, memory, 0)).toThrow(/the store is closed/);
    expect(() => store.writePage(1, memory, 0)).toThrow(KernelBug);
  });

  it('rejects bad geometry', () => {
    for (const [slots, pageSize] of [
      [0, PS],
      [1.5, PS],
      [2 ** 31, PS],
      [4, 1000],
      [4, 2048],
      [4, 131072],
    ] as const) {
      expect(() => make(slots, pageSize)).toThrow(KernelBug);
    }
  });
});

describe('SimSwapStore specifics', () => {
  it('costs no host memory until written, then one segment at a time', () => {
    const huge = new SimSwapStore(2 ** 24, PS); // 64 GiB of swap
    expect(huge.residentBytes).toBe(0);
    expect(huge.description).toBe('/dev/mmsim-swap');
    expect(huge.kind).toBe('partition');
    const memory = new PhysicalMemory(MiB, PS);
    huge.readPage(12345, memory, 0);
    expect(huge.residentBytes).toBe(0);
    huge.writePage(12345, memory, 0);
    expect(huge.residentBytes).toBe(MiB);
    huge.writePage(12346, memory, 0);
    expect(huge.residentBytes).toBe(MiB);
    huge.close();
    expect(huge.residentBytes).toBe(0);
    // The last segment holds only the slots that exist.
    const small = new SimSwapStore(3, PS);
    small.writePage(2, memory, 0);
    expect(small.residentBytes).toBe(3 * PS);
  });

  it('takes a device name', () => {
    expect(new SimSwapStore(2, PS, '/dev/zram0').description).toBe('/dev/zram0');
    expect(() => new SimSwapStore(2, PS, '')).toThrow(KernelBug);
  });
});

describe('FileSwapStore specifics', () => {
  it('refuses, with a clear KernelBug and no file, where node:fs cannot be had', () => {
    const path = join(dir, 'no-node');
    const saved = process.getBuiltinModule;
    Object.defineProperty(process, 'getBuiltinModule', { value: undefined, configurable: true });
    try {
      expect(() => new FileSwapStore(path, 4, PS)).toThrow(/needs Node\.js 20\.16 or later/);
    } finally {
      Object.defineProperty(process, 'getBuiltinModule', { value: saved, configurable: true });
    }
    expect(() => statSync(path)).toThrow();
  });

  it('creates a sparse file of slots * pageSize bytes, page n at offset n * pageSize', () => {
    const path = join(dir, 'layout');
    const store = new FileSwapStore(path, 8, PS);
    try {
      expect(store.description).toBe(path);
      expect(store.kind).toBe('file');
      expect(statSync(path).size).toBe(8 * PS);
      const memory = new PhysicalMemory(MiB, PS);
      fillFrame(memory, 9, 42);
      store.writePage(5, memory, 9);
      const file = readFileSync(path);
      expect(new Uint8Array(file.subarray(5 * PS, 6 * PS))).toEqual(frameBytes(memory, 9));
      expect(file.subarray(0, 5 * PS).every((b) => b === 0)).toBe(true);
    } finally {
      store.close();
    }
  });

  it('truncates an existing file', () => {
    const path = join(dir, 'reused');
    const memory = new PhysicalMemory(MiB, PS);
    fillFrame(memory, 0, 3);
    const first = new FileSwapStore(path, 4, PS);
    first.writePage(2, memory, 0);
    first.close();
    const second = new FileSwapStore(path, 4, PS);
    try {
      second.readPage(2, memory, 1);
      expect(memory.isPageZero(1)).toBe(true);
    } finally {
      second.close();
    }
  });

  it('resolves a relative path to the absolute one /proc/swaps shows', () => {
    const store = new FileSwapStore(join(dir, 'a', '..', 'rel'), 2, PS);
    store.close();
    expect(store.description).toBe(join(dir, 'rel'));
  });

  it('rejects a bad path before creating anything', () => {
    expect(() => new FileSwapStore('', 4, PS)).toThrow(KernelBug);
    const path = join(dir, 'never');
    expect(() => new FileSwapStore(path, 0, PS)).toThrow(KernelBug);
    expect(() => statSync(path)).toThrow();
    expect(() => new FileSwapStore(join(dir, 'no', 'such', 'dir'), 4, PS)).toThrow(/ENOENT/);
  });
});

describe('SwapArea', () => {
  it('starts empty: header excluded, defaults type 0 and priority -2', () => {
    const a = area(8);
    expect(a.total).toBe(8);
    expect(a.free).toBe(8);
    expect(a.used).toBe(0);
    expect(a.cached).toBe(0);
    expect(a.type).toBe(0);
    expect(a.priority).toBe(-2);
    for (let slot = 1; slot <= 8; slot++) expect(a.isFree(slot)).toBe(true);
    a.checkInvariants();
    const b = area(1, { type: 3, priority: 100 });
    expect([b.type, b.priority, b.total]).toEqual([3, 100, 1]);
  });

  it('hands out slots in ascending order from 1, then -1 when full', () => {
    const a = area(5);
    const slots = [10, 11, 12, 13, 14].map((pfn) => a.allocSlot(pfn));
    expect(slots).toEqual([1, 2, 3, 4, 5]);
    expect(a.free).toBe(0);
    expect(a.used).toBe(5);
    const before = snapshot(a);
    expect(a.allocSlot(99)).toBe(-1);
    expect(snapshot(a)).toBe(before);
    a.checkInvariants();
  });

  it('allocSlot puts the page in the swap cache with count 0', () => {
    const a = area(4);
    const slot = a.allocSlot(77);
    expect(a.cacheLookup(slot)).toBe(77);
    expect(a.count(slot)).toBe(0);
    expect(a.isFree(slot)).toBe(false);
    expect([a.free, a.used, a.cached]).toEqual([3, 1, 1]);
    a.checkInvariants();
  });

  it('follows a page through swap-out, swap-in and unmap', () => {
    const a = area(4);
    // Reclaim: slot for the page, two PTEs take the swap entry, the page leaves the cache.
    const slot = a.allocSlot(5);
    a.dup(slot);
    a.dup(slot);
    expect(a.count(slot)).toBe(2);
    a.cacheDelete(slot);
    expect([a.cacheLookup(slot), a.cached, a.used]).toEqual([-1, 0, 1]);
    // Swap-in by one process: the page is read into a new frame and cached.
    a.cacheAdd(slot, 9);
    expect(a.cacheLookup(slot)).toBe(9);
    expect(a.put(slot)).toBe(1);
    expect(a.put(slot)).toBe(0);
    // Count 0 but still cached: not free yet.
    expect(a.isFree(slot)).toBe(false);
    expect(a.used).toBe(1);
    a.checkInvariants();
    a.cacheDelete(slot);
    expect(a.isFree(slot)).toBe(true);
    expect([a.free, a.used, a.cached]).toEqual([4, 0, 0]);
    a.checkInvariants();
  });

  it('frees a slot on the last put when nothing is cached', () => {
    const a = area(4);
    const slot = a.allocSlot(1);
    a.dup(slot);
    a.cacheDelete(slot);
    expect(a.isFree(slot)).toBe(false);
    expect(a.put(slot)).toBe(0);
    expect(a.isFree(slot)).toBe(true);
    expect(a.free).toBe(4);
    a.checkInvariants();
  });

  it('frees a cached-only slot on cacheDelete (allocated, never mapped)', () => {
    const a = area(2);
    const slot = a.allocSlot(1);
    a.cacheDelete(slot);
    expect(a.isFree(slot)).toBe(true);
    expect(a.free).toBe(2);
  });

  it('hands out the most recently freed slot next', () => {
    const a = area(6);
    for (let i = 0; i < 4; i++) a.allocSlot(i);
    a.cacheDelete(2);
    a.cacheDelete(4);
    expect(a.allocSlot(50)).toBe(4);
    expect(a.allocSlot(51)).toBe(2);
    expect(a.allocSlot(52)).toBe(5);
    a.checkInvariants();
  });

  it('reads and writes pages through its store', () => {
    const memory = new PhysicalMemory(MiB, PS);
    const a = area(4);
    fillFrame(memory, 3, 8);
    const slot = a.allocSlot(3);
    a.writePage(slot, memory, 3);
    a.readPage(slot, memory, 4);
    expect(sameFrames(memory, 4, 3)).toBe(true);
    expect(() => a.readPage(2, memory, 4)).toThrow(/slot 2 of swap type 0 is free/);
    expect(() => a.writePage(2, memory, 4)).toThrow(/slot 2 of swap type 0 is free/);
    expect(() => a.writePage(0, memory, 4)).toThrow(/slot 0 is the swap header/);
    expect(() => a.readPage(slot, memory, memory.frames)).toThrow(/outside RAM/);
  });

  describe('rejects misuse without changing anything', () => {
    const setup = () => {
      const a = area(4);
      const cachedOnly = a.allocSlot(10); // 1: count 0, cached
      const referenced = a.allocSlot(11); // 2: count 1, not cached
      a.dup(referenced);
      a.cacheDelete(referenced);
      const both = a.allocSlot(12); // 3: count 1, cached
      a.dup(both);
      return { a, cachedOnly, referenced, both, free: 4 };
    };

    it('slots out of range and the header, in every slot-taking method', () => {
      const { a } = setup();
      const memory = new PhysicalMemory(MiB, PS);
      const calls: [string, (slot: number) => unknown][] = [
        ['count', (s) => a.count(s)],
        ['dup', (s) => a.dup(s)],
        ['put', (s) => a.put(s)],
        ['cacheLookup', (s) => a.cacheLookup(s)],
        ['cacheAdd', (s) => a.cacheAdd(s, 1)],
        ['cacheDelete', (s) => a.cacheDelete(s)],
        ['isFree', (s) => a.isFree(s)],
        ['readPage', (s) => a.readPage(s, memory, 0)],
        ['writePage', (s) => a.writePage(s, memory, 0)],
      ];
      for (const [fn, call] of calls) {
        rejects(a, () => call(0), new RegExp(`SwapArea.${fn}: slot 0 is the swap header`));
        for (const slot of [-1, 5, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          rejects(
            a,
            () => call(slot),
            new RegExp(`SwapArea.${fn}: slot .* is outside swap type 0 \\(1\\.\\.4\\)`),
          );
        }
      }
    });

    it('bad pfns', () => {
      const { a, referenced } = setup();
      for (const pfn of [-1, 1.5, Number.NaN, 2 ** 31]) {
        rejects(a, () => a.allocSlot(pfn), /SwapArea.allocSlot: pfn .* is not an integer/);
        rejects(
          a,
          () => a.cacheAdd(referenced, pfn),
          /SwapArea.cacheAdd: pfn .* is not an integer/,
        );
      }
    });

    it('dup of a free slot', () => {
      const { a, free } = setup();
      rejects(a, () => a.dup(free), /SwapArea.dup: slot 4 of swap type 0 is free/);
    });

    it('dup past the largest count', () => {
      const { a, referenced } = setup();
      a.swapMap[referenced] = 2 ** 31 - 1;
      rejects(a, () => a.dup(referenced), /largest count/);
    });

    it('put of a free slot and a double put', () => {
      const { a, free, cachedOnly, referenced } = setup();
      rejects(a, () => a.put(free), /SwapArea.put: slot 4 of swap type 0 is free/);
      rejects(a, () => a.put(cachedOnly), /has count 0, only the swap cache holds it/);
      a.put(referenced); // frees it
      rejects(a, () => a.put(referenced), /SwapArea.put: slot 2 of swap type 0 is free/);
    });

    it('cacheAdd of a free or already cached slot', () => {
      const { a, free, cachedOnly, both } = setup();
      rejects(a, () => a.cacheAdd(free, 1), /SwapArea.cacheAdd: slot 4 of swap type 0 is free/);
      rejects(a, () => a.cacheAdd(cachedOnly, 1), /already has pfn 10 in the swap cache/);
      rejects(a, () => a.cacheAdd(both, 1), /already has pfn 12 in the swap cache/);
    });

    it('cacheDelete with nothing cached', () => {
      const { a, free, referenced } = setup();
      rejects(a, () => a.cacheDelete(free), /slot 4 of swap type 0 has no page in the swap cache/);
      rejects(a, () => a.cacheDelete(referenced), /slot 2 .* has no page in the swap cache/);
    });

    it('a bad constructor call', () => {
      expect(() => new SwapArea(new SimSwapStore(1, PS))).toThrow(
        /store has 1 slots; it needs an integer from 2/,
      );
      const store = new SimSwapStore(4, PS);
      for (const type of [-1, MAX_SWAPFILES, 1.5]) {
        expect(() => new SwapArea(store, { type })).toThrow(/SwapArea: type .* is not an integer/);
      }
      for (const priority of [-32769, 32768, 0.5]) {
        expect(() => new SwapArea(store, { priority })).toThrow(/SwapArea: priority/);
      }
      expect(() => new SwapArea(fakeStore('/x', 2.5))).toThrow(KernelBug);
    });
  });

  describe('checkInvariants names what is broken', () => {
    const broken = (corrupt: (a: SwapArea) => void, message: RegExp) => {
      const a = area(4);
      a.allocSlot(7); // slot 1
      const s = a.allocSlot(8); // slot 2
      a.dup(s);
      a.checkInvariants();
      corrupt(a);
      expect(() => a.checkInvariants()).toThrow(KernelBug);
      expect(() => a.checkInvariants()).toThrow(message);
    };

    it('the header in use', () => {
      broken((a) => {
        a.swapMap[0] = 1;
      }, /header slot 0 is in use/);
      broken((a) => {
        a.swapCache[0] = 3;
      }, /header slot 0 is in use/);
    });

    it('the header on the free stack', () => {
      broken((a) => {
        freeStackOf(a)[0] = 0;
      }, /header slot 0 is on the free stack/);
    });

    it('a slot twice on the free stack', () => {
      broken((a) => {
        const stack = freeStackOf(a);
        stack[1] = stack[0] as number;
      }, /is on the free stack twice/);
    });

    it('a free-stack entry out of range', () => {
      broken((a) => {
        freeStackOf(a)[0] = 99;
      }, /holds slot 99, outside 1\.\.4/);
    });

    it('a slot on the free stack but in use', () => {
      broken((a) => {
        a.swapMap[3] = 1;
      }, /slot 3 is on the free stack but in use/);
    });

    it('a leaked slot', () => {
      broken((a) => {
        a.swapCache[1] = -1;
      }, /slot 1 is free but not on the free stack/);
    });

    it('a negative count or bad cache entry', () => {
      broken((a) => {
        a.swapMap[2] = -1;
      }, /slot 2 has negative count -1/);
      broken((a) => {
        a.swapCache[2] = -5;
      }, /slot 2 has cached pfn -5/);
    });

    it('a cached counter that disagrees', () => {
      broken((a) => {
        a.swapCache[2] = -1; // slot 2 stays referenced, so only the counter is off
      }, /cached counter 2 but 1 slots have a cached page/);
    });
  });
});

describe('/proc/swaps', () => {
  it('has Linux 6.x’s header and a line per area', () => {
    const a = area(256);
    for (let i = 0; i < 3; i++) a.allocSlot(i);
    expect(renderSwaps([])).toBe(HEADER);
    expect(renderSwaps([a])).toBe(
      `${HEADER}/dev/mmsim-swap${' '.repeat(25)}partition\t1024\t\t12\t\t-2\n`,
    );
  });

  it('matches lines read on real machines', () => {
    // Ubuntu's swap file and Fedora's zram device.
    const file = new SwapArea(fakeStore('/swap.img', 524288, 'file'));
    expect(file.procSwapsLine()).toBe(
      '/swap.img                               file\t\t2097148\t\t0\t\t-2\n',
    );
    const zram = new SwapArea(fakeStore('/dev/zram0', 2097152), { priority: 100 });
    expect(zram.procSwapsLine()).toBe(
      '/dev/zram0                              partition\t8388604\t\t0\t\t100\n',
    );
  });

  it('pads the path to 40 columns, or one space from 40 on', () => {
    for (const n of [1, 38, 39, 40, 41, 60]) {
      const path = `/${'p'.repeat(n - 1)}`;
      const line = new SwapArea(fakeStore(path, 2, 'file')).procSwapsLine();
      expect(line).toBe(`${path}${' '.repeat(n < 40 ? 40 - n : 1)}file\t\t4\t\t0\t\t-2\n`);
    }
  });

  it('escapes space, tab, newline and backslash in the path as octal', () => {
    const line = new SwapArea(fakeStore('/a b\tc\nd\\e', 2, 'file')).procSwapsLine();
    const path = '/a\\040b\\011c\\012d\\134e';
    expect(line).toBe(`${path}${' '.repeat(40 - path.length)}file\t\t4\t\t0\t\t-2\n`);
  });

  it('pads by UTF-8 bytes, as seq_file_path counts', () => {
    const line = new SwapArea(fakeStore('/swäp', 2, 'file')).procSwapsLine();
    expect(line).toBe(`/swäp${' '.repeat(34)}file\t\t4\t\t0\t\t-2\n`);
  });

  it('drops the second tab once a number reaches 10000000 KiB', () => {
    const a = area(10);
    for (let i = 0; i < 10; i++) a.allocSlot(i);
    expect(a.procSwapsLine(999_999)).toMatch(/partition\t9999990\t\t9999990\t\t-2\n$/);
    expect(a.procSwapsLine(1_000_000)).toMatch(/partition\t10000000\t10000000\t-2\n$/);
    expect(a.procSwapsLine(16)).toMatch(/partition\t160\t\t160\t\t-2\n$/);
    expect(() => a.procSwapsLine(0)).toThrow(/page size 0 KiB is not a positive integer/);
    expect(() => a.procSwapsLine(1.5)).toThrow(KernelBug);
  });

  it('counts cached-only slots as used; uses 64 KiB pages when the store does', () => {
    const a = new SwapArea(new SimSwapStore(17, 65536), { priority: 5 });
    a.allocSlot(0);
    expect(a.procSwapsLine()).toBe(`/dev/mmsim-swap${' '.repeat(25)}partition\t1024\t\t64\t\t5\n`);
  });

  it('lists a file swap as file and areas in swap-type order', () => {
    const path = join(dir, 'proc');
    const f = new FileSwapStore(path, 3, PS);
    try {
      const file = new SwapArea(f, { type: 1, priority: -3 });
      const dev = new SwapArea(new SimSwapStore(5, PS), { type: 0 });
      const pad = (p: string) => p + ' '.repeat(p.length < 40 ? 40 - p.length : 1);
      expect(renderSwaps([file, dev])).toBe(
        `${HEADER}${pad('/dev/mmsim-swap')}partition\t16\t\t0\t\t-2\n${pad(path)}file\t\t8\t\t0\t\t-3\n`,
      );
      expect(() => renderSwaps([dev, new SwapArea(new SimSwapStore(3, PS))])).toThrow(
        /renderSwaps: two areas have swap type 0/,
      );
    } finally {
      f.close();
    }
  });
});

// --- model-based test -------------------------------------------------------

interface ModelSlot {
  count: number;
  /** The cached pfn, or -1. */
  pfn: number;
  /** The tag last written to the slot's page since allocation, if any. */
  tag?: number;
}

interface Model {
  readonly total: number;
  readonly slots: Map<number, ModelSlot>;
}

interface Real {
  readonly area: SwapArea;
  readonly memory: PhysicalMemory;
}

type Pick = (slot: ModelSlot) => boolean;

/** The `pick`-th slot of the model (in slot order) that satisfies `want`, or undefined. */
function choose(model: Readonly<Model>, pick: number, want: Pick): number | undefined {
  const keys = [...model.slots.keys()]
    .filter((k) => want(model.slots.get(k) as ModelSlot))
    .sort((x, y) => x - y);
  return keys.length === 0 ? undefined : keys[pick % keys.length];
}

function slotOf(model: Model, slot: number): ModelSlot {
  return model.slots.get(slot) as ModelSlot;
}

function forgetIfFree(model: Model, slot: number): void {
  const s = slotOf(model, slot);
  if (s.count === 0 && s.pfn === -1) model.slots.delete(slot);
}

function compare(model: Model, real: Real): void {
  const { area: a } = real;
  a.checkInvariants();
  let cached = 0;
  for (let slot = 1; slot <= model.total; slot++) {
    const s = model.slots.get(slot);
    expect(a.count(slot)).toBe(s?.count ?? 0);
    expect(a.cacheLookup(slot)).toBe(s?.pfn ?? -1);
    expect(a.isFree(slot)).toBe(s === undefined);
    if (s !== undefined && s.pfn !== -1) cached++;
  }
  expect(a.free).toBe(model.total - model.slots.size);
  expect(a.used).toBe(model.slots.size);
  expect(a.cached).toBe(cached);
}

class AllocCommand implements fc.Command<Model, Real> {
  constructor(readonly pfn: number) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const slot = real.area.allocSlot(this.pfn);
    if (model.slots.size === model.total) {
      expect(slot).toBe(-1);
    } else {
      expect(slot).toBeGreaterThanOrEqual(1);
      expect(slot).toBeLessThanOrEqual(model.total);
      expect(model.slots.has(slot)).toBe(false);
      model.slots.set(slot, { count: 0, pfn: this.pfn });
    }
    compare(model, real);
  }
  toString(): string {
    return `allocSlot(${this.pfn})`;
  }
}

const inUse: Pick = () => true;
const referenced: Pick = (s) => s.count > 0;
const referencedUncached: Pick = (s) => s.count > 0 && s.pfn === -1;
const isCached: Pick = (s) => s.pfn !== -1;

class DupCommand implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return choose(model, this.pick, inUse) !== undefined;
  }
  run(model: Model, real: Real): void {
    const slot = choose(model, this.pick, inUse) as number;
    real.area.dup(slot);
    slotOf(model, slot).count++;
    compare(model, real);
  }
  toString(): string {
    return `dup(#${this.pick})`;
  }
}

class PutCommand implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return choose(model, this.pick, referenced) !== undefined;
  }
  run(model: Model, real: Real): void {
    const slot = choose(model, this.pick, referenced) as number;
    const s = slotOf(model, slot);
    s.count--;
    expect(real.area.put(slot)).toBe(s.count);
    forgetIfFree(model, slot);
    compare(model, real);
  }
  toString(): string {
    return `put(#${this.pick})`;
  }
}

class CacheAddCommand implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly pfn: number,
  ) {}
  check(model: Readonly<Model>): boolean {
    return choose(model, this.pick, referencedUncached) !== undefined;
  }
  run(model: Model, real: Real): void {
    const slot = choose(model, this.pick, referencedUncached) as number;
    real.area.cacheAdd(slot, this.pfn);
    slotOf(model, slot).pfn = this.pfn;
    compare(model, real);
  }
  toString(): string {
    return `cacheAdd(#${this.pick}, ${this.pfn})`;
  }
}

class CacheDeleteCommand implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return choose(model, this.pick, isCached) !== undefined;
  }
  run(model: Model, real: Real): void {
    const slot = choose(model, this.pick, isCached) as number;
    real.area.cacheDelete(slot);
    slotOf(model, slot).pfn = -1;
    forgetIfFree(model, slot);
    compare(model, real);
  }
  toString(): string {
    return `cacheDelete(#${this.pick})`;
  }
}

/** Looks up any slot, free or not, header and out-of-range ones included. */
class LookupCommand implements fc.Command<Model, Real> {
  constructor(readonly slot: number) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    if (this.slot < 1 || this.slot > model.total) {
      const before = snapshot(real.area);
      expect(() => real.area.cacheLookup(this.slot)).toThrow(KernelBug);
      expect(() => real.area.count(this.slot)).toThrow(KernelBug);
      expect(snapshot(real.area)).toBe(before);
      return;
    }
    expect(real.area.cacheLookup(this.slot)).toBe(model.slots.get(this.slot)?.pfn ?? -1);
  }
  toString(): string {
    return `cacheLookup(${this.slot})`;
  }
}

/** Writes a tagged page to a slot in use, through the store. */
class WriteCommand implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly tag: number,
  ) {}
  check(model: Readonly<Model>): boolean {
    return choose(model, this.pick, inUse) !== undefined;
  }
  run(model: Model, real: Real): void {
    const slot = choose(model, this.pick, inUse) as number;
    real.memory.store32(0, this.tag);
    real.memory.store32(PS - 4, (this.tag ^ 0xffff) >>> 0);
    real.area.writePage(slot, real.memory, 0);
    slotOf(model, slot).tag = this.tag;
  }
  toString(): string {
    return `writePage(#${this.pick}, ${this.tag})`;
  }
}

/** Reads back a slot written since its allocation and checks its tag. */
class ReadCommand implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return choose(model, this.pick, (s) => s.tag !== undefined) !== undefined;
  }
  run(model: Model, real: Real): void {
    const slot = choose(model, this.pick, (s) => s.tag !== undefined) as number;
    const tag = slotOf(model, slot).tag as number;
    real.area.readPage(slot, real.memory, 1);
    expect(real.memory.load32(PS)).toBe(tag);
    expect(real.memory.load32(2 * PS - 4)).toBe((tag ^ 0xffff) >>> 0);
  }
  toString(): string {
    return `readPage(#${this.pick})`;
  }
}

type BadKind =
  | 'dupFree'
  | 'putFree'
  | 'putCachedOnly'
  | 'cacheAddFree'
  | 'cacheAddCached'
  | 'cacheDeleteUncached'
  | 'cacheDeleteFree'
  | 'readFree'
  | 'badPfn';

/** A call the area must refuse, leaving everything as it was. */
class BadCommand implements fc.Command<Model, Real> {
  constructor(
    readonly kind: BadKind,
    readonly pick: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const { area: a, memory } = real;
    const freeSlots: number[] = [];
    for (let s = 1; s <= model.total; s++) if (!model.slots.has(s)) freeSlots.push(s);
    const free = freeSlots.length === 0 ? undefined : freeSlots[this.pick % freeSlots.length];
    let call: (() => unknown) | undefined;
    const target = (want: Pick) => choose(model, this.pick, want);
    const cachedOnly = target((s) => s.count === 0);
    const cached = target(isCached);
    const uncached = target((s) => s.pfn === -1);
    switch (this.kind) {
      case 'dupFree':
        if (free !== undefined) call = () => a.dup(free);
        break;
      case 'putFree':
        if (free !== undefined) call = () => a.put(free);
        break;
      case 'putCachedOnly':
        if (cachedOnly !== undefined) call = () => a.put(cachedOnly);
        break;
      case 'cacheAddFree':
        if (free !== undefined) call = () => a.cacheAdd(free, 1);
        break;
      case 'cacheAddCached':
        if (cached !== undefined) call = () => a.cacheAdd(cached, 1);
        break;
      case 'cacheDeleteUncached':
        if (uncached !== undefined) call = () => a.cacheDelete(uncached);
        break;
      case 'cacheDeleteFree':
        if (free !== undefined) call = () => a.cacheDelete(free);
        break;
      case 'readFree':
        if (free !== undefined) call = () => a.readPage(free, memory, 2);
        break;
      case 'badPfn':
        call = () => a.allocSlot(-1 - this.pick);
        break;
    }
    if (call === undefined) return;
    const before = snapshot(a);
    expect(call).toThrow(KernelBug);
    expect(snapshot(a)).toBe(before);
    compare(model, real);
  }
  toString(): string {
    return `bad(${this.kind}, #${this.pick})`;
  }
}

const pfnArb = fc.integer({ min: 0, max: 2 ** 20 });
const commands = [
  pfnArb.map((pfn) => new AllocCommand(pfn)),
  pfnArb.map((pfn) => new AllocCommand(pfn)),
  fc.nat().map((pick) => new DupCommand(pick)),
  fc.nat().map((pick) => new DupCommand(pick)),
  fc.nat().map((pick) => new PutCommand(pick)),
  fc.nat().map((pick) => new PutCommand(pick)),
  fc.tuple(fc.nat(), pfnArb).map(([pick, pfn]) => new CacheAddCommand(pick, pfn)),
  fc.nat().map((pick) => new CacheDeleteCommand(pick)),
  fc.integer({ min: -1, max: 13 }).map((slot) => new LookupCommand(slot)),
  fc
    .tuple(fc.nat(), fc.integer({ min: 0, max: 2 ** 32 - 1 }))
    .map(([pick, tag]) => new WriteCommand(pick, tag)),
  fc.nat().map((pick) => new ReadCommand(pick)),
  fc
    .tuple(
      fc.constantFrom<BadKind>(
        'dupFree',
        'putFree',
        'putCachedOnly',
        'cacheAddFree',
        'cacheAddCached',
        'cacheDeleteUncached',
        'cacheDeleteFree',
        'readFree',
        'badPfn',
      ),
      fc.nat(),
    )
    .map(([kind, pick]) => new BadCommand(kind, pick)),
];

describe('SwapArea against a model of slots', () => {
  const memory = new PhysicalMemory(MiB, PS);

  it('agrees with the model after every command', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.commands(commands, { maxCommands: 150 }),
        (total, cmds) => {
          const model: Model = { total, slots: new Map() };
          const real: Real = { area: area(total), memory };
          fc.modelRun(() => ({ model, real }), cmds);
          // Releasing every reference and cached page leaves the area as swapon made it.
          const a = real.area;
          for (const [slot, s] of model.slots) {
            if (s.pfn !== -1) a.cacheDelete(slot);
            for (let i = s.count; i > 0; i--) expect(a.put(slot)).toBe(i - 1);
          }
          expect([a.free, a.used, a.cached]).toEqual([total, 0, 0]);
          a.checkInvariants();
        },
      ),
      { numRuns: 500 },
    );
  });
});
