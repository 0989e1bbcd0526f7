/**
 * Tests of `Kernel.boot` (src/kernel.ts) and its option parsing
 * (src/boot-options.ts): defaults, sizes, every architecture, the early
 * reservations and the struct page array, the boot log, the direct-map
 * helpers, every rejected option, and determinism.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BootOptions } from '../src/boot-options.js';
import { Kernel, MAX_ORDER } from '../src/kernel.js';
import {
  ARCH_NAMES,
  ARCHES,
  type ArchName,
  Errno,
  formatAddress,
  KernelBug,
  KernelError,
  virtAddr,
} from '../src/page/index.js';

const KiB = 1024;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

function bootError(options: unknown): KernelError {
  try {
    Kernel.boot(options as BootOptions);
  } catch (e) {
    expect(e).toBeInstanceOf(KernelError);
    return e as KernelError;
  }
  throw new Error(`Kernel.boot(${JSON.stringify(options)}) did not throw`);
}

/** Every frame of every reserved region is PG_reserved with one reference. */
function checkReservedFrames(k: Kernel): void {
  const { memMap, memblock, PAGE_SIZE } = k;
  let count = 0;
  for (const r of memblock.reserved) {
    expect(r.base % PAGE_SIZE).toBe(0);
    expect(r.size % PAGE_SIZE).toBe(0);
    for (let pfn = r.base / PAGE_SIZE; pfn < (r.base + r.size) / PAGE_SIZE; pfn++) {
      if (!memMap.PageReserved(pfn) || memMap.pageRefcount(pfn) !== 1) {
        expect({ pfn, reserved: memMap.PageReserved(pfn), ref: memMap.pageRefcount(pfn) }).toEqual({
          pfn,
          reserved: true,
          ref: 1,
        });
      }
      count++;
    }
  }
  expect(count * PAGE_SIZE).toBe(memblock.reservedBytes);
  // A sample of the other frames: not PG_reserved.
  const step = Math.max(1, Math.floor(k.memory.frames / 4096));
  let others = 0;
  for (let pfn = 0; pfn < k.memory.frames; pfn += step) {
    if (memblock.isReserved(pfn)) continue;
    others++;
    if (memMap.PageReserved(pfn)) expect({ pfn, reserved: true }).toEqual({ pfn, reserved: false });
  }
  expect(others).toBeGreaterThan(0);
  const last = k.memory.frames - 1;
  expect(memMap.PageReserved(last)).toBe(memblock.isReserved(last));
}

describe('Kernel.boot defaults', () => {
  it('boots an x86_64 machine with 64 MiB and 4 KiB pages', () => {
    const k = Kernel.boot();
    expect(k.PAGE_SIZE).toBe(4096);
    expect(k.PAGE_SHIFT).toBe(12);
    expect(k.getpagesize()).toBe(4096);
    expect(k.MAX_ORDER).toBe(10);
    expect(MAX_ORDER).toBe(10);
    expect(k.memory.size).toBe(64 * MiB);
    expect(k.memory.frames).toBe(16384);
    expect(k.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(k.memory.buffer.byteLength).toBe(64 * MiB);
    expect(k.memory.pageSize).toBe(4096);
    expect(k.arch).toBe(ARCHES.x86_64);
    expect(k.arch).toMatchObject({
      name: 'x86_64',
      pageSize: 4096,
      pageShift: 12,
      levels: 4,
      vaBits: 48,
      pageOffset: virtAddr(0xffff888000000000n),
      taskSize: 0x7ffffffff000,
    });
    expect(k.memMap.frames).toBe(16384);
  });

  it('fills in every default in config', () => {
    const k = Kernel.boot({});
    expect(k.config).toMatchObject({
      arch: 'x86_64',
      memory: 64 * MiB,
      slab: 'slub',
      swap: false,
      cpus: 1,
      seed: 0,
      slubDebug: null,
      failslab: null,
      failPageAlloc: null,
    });
    expect(Kernel.boot(undefined).config).toEqual(k.config);
  });

  it('fills in fault-injection defaults: times -1, interval 1, the boot seed', () => {
    const k = Kernel.boot({ seed: 42, failslab: { probability: 5 } });
    expect(k.config.failslab).toEqual({
      probability: 5,
      interval: 1,
      times: -1,
      seed: 42,
      ignoreGfpWait: false,
    });
    expect(k.config.failPageAlloc).toBeNull();
    const k2 = Kernel.boot({
      failPageAlloc: { probability: 0, interval: 3, times: 7, seed: 9, ignoreGfpWait: true },
    });
    expect(k2.config.failPageAlloc).toEqual({
      probability: 0,
      interval: 3,
      times: 7,
      seed: 9,
      ignoreGfpWait: true,
    });
    expect(Kernel.boot({ failslab: { probability: 100 } }).config.failslab?.seed).toBe(0);
  });

  it('keeps the other options it was given', () => {
    const k = Kernel.boot({
      slab: 'slob',
      cpus: 4,
      seed: 2 ** 32 - 1,
      swap: { size: '64M', file: '/tmp/swapfile' },
      slubDebug: 'fzp,kmalloc-64, kmalloc-128',
    });
    expect(k.config.slab).toBe('slob');
    expect(k.config.cpus).toBe(4);
    expect(k.config.seed).toBe(2 ** 32 - 1);
    expect(k.config.swap).toEqual({ size: 64 * MiB, file: '/tmp/swapfile' });
    expect(k.config.slubDebug).toEqual({ flags: 'FZP', caches: ['kmalloc-64', 'kmalloc-128'] });
    expect(Kernel.boot({ slubDebug: '' }).config.slubDebug).toEqual({ flags: 'FZPU', caches: [] });
    expect(Kernel.boot({ swap: { size: 8 * KiB + 5 } }).config.swap).toEqual({ size: 8 * KiB });
    expect(Kernel.boot({ swap: false }).config.swap).toBe(false);
    expect(Kernel.boot({ cpus: 64 }).config.cpus).toBe(64);
  });
});

describe('memory sizes', () => {
  it.each([
    ['64M', 64 * MiB],
    ['1G', GiB],
    ['1M', MiB],
    ['0x4000000', 64 * MiB],
    [64 * MiB, 64 * MiB],
    ['64MiB', 64 * MiB],
    ['64mb', 64 * MiB],
    ['65536K', 64 * MiB],
    ['65536k', 64 * MiB],
    ['67108864', 64 * MiB],
    [' 64M ', 64 * MiB],
    [64 * MiB + 123, 64 * MiB], // rounded down to a page
    [64 * MiB + 4095, 64 * MiB],
    [MiB + 4096, MiB + 4096],
  ] as const)('memory %j is %d bytes', (memory, bytes) => {
    const k = Kernel.boot({ memory });
    expect(k.config.memory).toBe(bytes);
    expect(k.memory.size).toBe(bytes);
    expect(k.memory.buffer.byteLength).toBe(bytes);
  });

  it('rounds down to the page size of the architecture', () => {
    const k = Kernel.boot({ arch: 'arm64-64k', memory: 64 * MiB + 60 * KiB });
    expect(k.memory.size).toBe(64 * MiB);
    const k2 = Kernel.boot({ arch: 'arm64-16k', memory: 64 * MiB + 20 * KiB });
    expect(k2.memory.size).toBe(64 * MiB + 16 * KiB);
  });

  it("'512K' is below the 1 MiB minimum: EINVAL", () => {
    const e = bootError({ memory: '512K' });
    expect(e.errno).toBe(22);
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('memory');
    // A size that rounds down below 1 MiB fails too.
    expect(bootError({ arch: 'arm64-64k', memory: MiB + 4096 - 8192 }).code).toBe('EINVAL');
  });
});

describe('every architecture boots', () => {
  for (const arch of ARCH_NAMES) {
    for (const memory of ['64M', '1M'] as const) {
      it(`${arch} with ${memory}`, () => {
        const k = Kernel.boot({ arch, memory });
        const size = memory === '64M' ? 64 * MiB : MiB;
        expect(k.arch).toBe(ARCHES[arch]);
        expect(k.PAGE_SIZE).toBe(ARCHES[arch].pageSize);
        expect(k.getpagesize()).toBe(ARCHES[arch].pageSize);
        expect(k.PAGE_SHIFT).toBe(ARCHES[arch].pageShift);
        expect(k.memory.size).toBe(size);
        expect(k.memory.pageSize).toBe(ARCHES[arch].pageSize);
        expect(k.memMap.frames).toBe(size / ARCHES[arch].pageSize);
        checkReservedFrames(k);
        // The struct page array lives in reserved RAM.
        const region = k.memblock.reserved.find((r) => r.owner === 'mem_map');
        expect(region?.base).toBe(k.memMap.base);
        expect(region?.size).toBeGreaterThanOrEqual(k.memMap.bytes);
        expect(k.memMap.base + k.memMap.bytes).toBeLessThanOrEqual(size);
        expect(k.memblock.reserved.some((r) => r.owner === 'kernel image')).toBe(true);
        expect(k.memblock.reserved.some((r) => r.owner === 'firmware')).toBe(
          arch === 'x86_64' || arch === 'i386',
        );
        // Zones cover RAM.
        expect(k.zones.at(-1)?.endPfn).toBe(k.memory.frames);
        expect(k.dmesg()).toContain('Zone ranges:');
      });
    }
  }

  it('x86 keeps the first 64 KiB for the firmware', () => {
    const k = Kernel.boot();
    expect(k.memblock.reserved[0]).toEqual({ base: 0, size: 64 * KiB, owner: 'firmware' });
    for (let pfn = 0; pfn < 16; pfn++) expect(k.memMap.PageReserved(pfn)).toBe(true);
    expect(k.memMap.PageReserved(16)).toBe(false);
  });
});

describe('large machines', () => {
  it('i386 with 4G: mem_map lies in lowmem, below 896 MiB', () => {
    const k = Kernel.boot({ arch: 'i386', memory: '4G' });
    expect(k.memory.size).toBe(4 * GiB);
    expect(k.memMap.frames).toBe(1 << 20);
    expect(k.memMap.base).toBeGreaterThanOrEqual(0);
    expect(k.memMap.base + k.memMap.bytes).toBeLessThanOrEqual(896 * MiB);
    expect(k.pageAddress(k.memMap.base / 4096)).not.toBeNull();
    checkReservedFrames(k);
    expect(k.zones.map((z) => [z.name, z.startPfn, z.endPfn])).toEqual([
      ['DMA', 0, 4096],
      ['Normal', 4096, 229376],
      ['HighMem', 229376, 1 << 20],
      ['Movable', 1 << 20, 1 << 20],
    ]);
  });

  it('x86_64 with 8G: two chunks of RAM, mem_map inside one', () => {
    const k = Kernel.boot({ memory: '8G' });
    expect(k.memory.buffers).toHaveLength(2);
    const { base, bytes } = k.memMap;
    expect(Math.floor(base / (4 * GiB))).toBe(Math.floor((base + bytes - 1) / (4 * GiB)));
    expect(base + bytes).toBeLessThanOrEqual(8 * GiB);
    checkReservedFrames(k);
    expect(k.dmesg()).toContain('  Normal   [mem 0x0000000100000000-0x00000001ffffffff]');
  });
});

describe('boot log', () => {
  it('prints the zone ranges as Linux does', () => {
    const lines = Kernel.boot().dmesg().split('\n');
    const at = lines.findIndex((l) => l.endsWith('] Zone ranges:'));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(lines.slice(at + 1, at + 4).map((l) => l.replace(/^\[ *\d+\.\d{6}\] /, ''))).toEqual([
      '  DMA      [mem 0x0000000000000000-0x0000000000ffffff]',
      '  DMA32    [mem 0x0000000001000000-0x0000000003ffffff]',
      '  Normal   empty',
    ]);
    expect(lines[at]).toBe('[    0.000000] Zone ranges:');
    expect(lines.at(-1)).toBe(''); // ends in a newline
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^\[ *\d+\.\d{6}\] /);
  });

  it('i386 with 2G lists DMA, Normal and HighMem', () => {
    const log = Kernel.boot({ arch: 'i386', memory: '2G' }).dmesg();
    expect(log).toContain('  DMA      [mem 0x0000000000000000-0x0000000000ffffff]');
    expect(log).toContain('  Normal   [mem 0x0000000001000000-0x0000000037ffffff]');
    expect(log).toContain('  HighMem  [mem 0x0000000038000000-0x000000007fffffff]');
  });

  it('lists each reservation and the struct page array', () => {
    const k = Kernel.boot();
    const log = k.dmesg();
    for (const r of k.memblock.reserved) {
      const range = `[${formatAddress(r.base, 16)}-${formatAddress(r.base + r.size - 1, 16)}]`;
      expect(log).toContain(`memblock_reserve: ${range} ${r.owner}`);
    }
    expect(log).toContain('mem_map: 16384 struct pages, 512K');
    expect(log).toContain('Linux version');
  });
});

describe('addresses of a booted machine', () => {
  it('i386 with 2G: pageAddress is null for HighMem frames only', () => {
    const k = Kernel.boot({ arch: 'i386', memory: '2G' });
    const firstHigh = (896 * MiB) / 4096;
    expect(k.pageAddress(0)).toBe(0xc0000000);
    expect(k.pageAddress(firstHigh - 1)).toBe(0xc0000000 + 896 * MiB - 4096);
    expect(k.pageAddress(firstHigh)).toBeNull();
    expect(k.pageAddress(k.memory.frames - 1)).toBeNull();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: k.memory.frames - 1 }), (pfn) => {
        const va = k.pageAddress(pfn);
        if (pfn < firstHigh) {
          expect(va).toBe(0xc0000000 + pfn * 4096);
          expect(k.virtToPage(va as number)).toBe(pfn);
        } else {
          expect(va).toBeNull();
          expect(() => k.physToVirt(pfn * 4096)).toThrow(KernelBug);
        }
      }),
      { numRuns: 300 },
    );
  });

  for (const arch of ARCH_NAMES) {
    it(`${arch}: physToVirt, virtToPhys, virtToPage and pageAddress agree`, () => {
      const k = Kernel.boot({ arch, memory: '64M' });
      fc.assert(
        fc.property(fc.integer({ min: 0, max: k.memory.size - 1 }), (pa) => {
          const va = k.physToVirt(pa);
          expect(va).toBe(k.arch.pageOffset + pa);
          expect(k.virtToPhys(va)).toBe(pa);
          const pfn = Math.floor(pa / k.PAGE_SIZE);
          expect(k.virtToPage(va)).toBe(pfn);
          expect(k.pageAddress(pfn)).toBe(k.physToVirt(pfn * k.PAGE_SIZE));
        }),
        { numRuns: 200 },
      );
    });

    it(`${arch}: rejects addresses outside RAM or the direct map with KernelBug`, () => {
      const k = Kernel.boot({ arch, memory: '64M' });
      const size = k.memory.size;
      for (const pa of [-1, size, size + 4096, 0.5, Number.NaN]) {
        expect(() => k.physToVirt(pa)).toThrow(KernelBug);
      }
      for (const va of [0, 0x1000, k.arch.pageOffset - 4096, k.arch.pageOffset + size]) {
        expect(() => k.virtToPhys(va)).toThrow(KernelBug);
        expect(() => k.virtToPage(va)).toThrow(KernelBug);
      }
      for (const pfn of [-1, k.memory.frames, 1.5]) {
        expect(() => k.pageAddress(pfn)).toThrow(KernelBug);
      }
    });
  }
});

describe('boot errors: KernelError EINVAL naming the option', () => {
  const cases: [string, unknown, string][] = [
    ['unknown option', { memroy: '64M' }, 'memroy'],
    ['unknown option (case)', { Memory: '64M' }, 'Memory'],
    ['bad arch', { arch: 'arm64' }, 'arch'],
    ['bad arch (x86-64)', { arch: 'x86-64' }, 'arch'],
    ['arch not a string', { arch: 64 }, 'arch'],
    ['memory too small', { memory: '512K' }, 'memory'],
    ['memory zero', { memory: 0 }, 'memory'],
    ['memory too large', { memory: '65G' }, 'memory'],
    ['memory far too large', { memory: '1T' }, 'memory'],
    ['memory negative', { memory: -64 * MiB }, 'memory'],
    ['memory fraction', { memory: 64.5 * MiB + 0.5 }, 'memory'],
    ['memory fraction string', { memory: '64.5M' }, 'memory'],
    ['memory NaN', { memory: Number.NaN }, 'memory'],
    ['memory Infinity', { memory: Infinity }, 'memory'],
    ['memory 12Q', { memory: '12Q' }, 'memory'],
    ['memory empty string', { memory: '' }, 'memory'],
    ['memory object', { memory: { size: 64 } }, 'memory'],
    ['memory bigint', { memory: 64n }, 'memory'],
    ['memory unsafe integer', { memory: '0xffffffffffffffffffff' }, 'memory'],
    ['i386 memory above 4G', { arch: 'i386', memory: '5G' }, 'memory'],
    ['i386 memory 4G + a page', { arch: 'i386', memory: 4 * GiB + 4096 }, 'memory'],
    ['slab slubb', { slab: 'slubb' }, 'slab'],
    ['swap too small', { swap: { size: '1' } }, 'swap.size'],
    ['swap one page', { swap: { size: '4K' } }, 'swap.size'],
    ['swap no size', { swap: {} }, 'swap.size'],
    ['swap bad size', { swap: { size: '12Q' } }, 'swap.size'],
    ['swap unknown key', { swap: { size: '64M', path: '/tmp/x' } }, 'swap'],
    ['swap true', { swap: true }, 'swap'],
    ['swap null', { swap: null }, 'swap'],
    ['swap.file empty', { swap: { size: '64M', file: '' } }, 'swap.file'],
    ['swap.file not a string', { swap: { size: '64M', file: 7 } }, 'swap.file'],
    ['cpus 0', { cpus: 0 }, 'cpus'],
    ['cpus 65', { cpus: 65 }, 'cpus'],
    ['cpus 1.5', { cpus: 1.5 }, 'cpus'],
    ['cpus string', { cpus: '2' }, 'cpus'],
    ['seed -1', { seed: -1 }, 'seed'],
    ['seed 1.5', { seed: 1.5 }, 'seed'],
    ['seed 2**32', { seed: 2 ** 32 }, 'seed'],
    ['slubDebug X', { slubDebug: 'X' }, 'slubDebug'],
    ['slubDebug F,', { slubDebug: 'F,' }, 'slubDebug'],
    ['slubDebug non-string', { slubDebug: true }, 'slubDebug'],
    ['failslab probability 101', { failslab: { probability: 101 } }, 'failslab.probability'],
    ['failslab probability -1', { failslab: { probability: -1 } }, 'failslab.probability'],
    ['failslab probability NaN', { failslab: { probability: Number.NaN } }, 'failslab'],
    ['failslab no probability', { failslab: {} }, 'failslab.probability'],
    ['failslab times -2', { failslab: { probability: 5, times: -2 } }, 'failslab.times'],
    ['failslab interval 0', { failslab: { probability: 5, interval: 0 } }, 'failslab.interval'],
    ['failslab seed -1', { failslab: { probability: 5, seed: -1 } }, 'failslab.seed'],
    ['failslab unknown key', { failslab: { probability: 5, verbose: 2 } }, 'verbose'],
    ['failslab not an object', { failslab: 5 }, 'failslab'],
    [
      'failslab ignoreGfpWait non-boolean',
      { failslab: { probability: 5, ignoreGfpWait: 'yes' } },
      'failslab.ignoreGfpWait',
    ],
    [
      'failPageAlloc interval 1.5',
      { failPageAlloc: { probability: 5, interval: 1.5 } },
      'failPageAlloc.interval',
    ],
    ['failPageAlloc unknown key', { failPageAlloc: { probability: 5, space: 1 } }, 'failPageAlloc'],
  ];

  it.each(cases)('%s', (_label, options, option) => {
    const e = bootError(options);
    expect(e.errno).toBe(22);
    expect(e.errno).toBe(Errno.EINVAL);
    expect(e.code).toBe('EINVAL');
    expect(e.name).toBe('KernelError');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toContain(option);
  });

  it('the unknown failslab field is named together with failslab', () => {
    const e = bootError({ failslab: { probability: 5, verbose: 2 } });
    expect(e.message).toContain('failslab');
    expect(e.message).toContain('verbose');
  });

  it('options that are not an object', () => {
    for (const options of [null, 5, 'x86_64']) {
      const e = bootError(options);
      expect(e.code).toBe('EINVAL');
    }
  });
});

describe('determinism', () => {
  const options: BootOptions[] = [
    {},
    { arch: 'i386', memory: '2G', seed: 7 },
    { arch: 'arm64-64k', memory: '1M' },
    { arch: 'arm64-16k', memory: '96M', cpus: 2, slab: 'slab' },
  ];
  it.each(options)('two boots with %j give the same log and reservations', (opts) => {
    const a = Kernel.boot(opts);
    const b = Kernel.boot(opts);
    expect(a.dmesg()).toBe(b.dmesg());
    expect(a.memblock.reserved).toEqual(b.memblock.reserved);
    expect(a.zones.map((z) => [z.name, z.startPfn, z.spanned, z.managed])).toEqual(
      b.zones.map((z) => [z.name, z.startPfn, z.spanned, z.managed]),
    );
    expect(a.config).toEqual(b.config);
    // The struct page arrays hold the same bytes.
    const bytesOf = (k: Kernel) => k.memory.read(k.memMap.base, k.memMap.bytes);
    expect(Buffer.from(bytesOf(a)).equals(Buffer.from(bytesOf(b)))).toBe(true);
  });

  it('different machines log differently', () => {
    const logs = (['x86_64', 'i386', 'arm64-4k'] satisfies ArchName[]).map((arch) =>
      Kernel.boot({ arch }).dmesg(),
    );
    expect(new Set(logs).size).toBe(3);
  });
});

describe('null is not "use the default"', () => {
  it.each([
    'arch',
    'memory',
    'slab',
    'cpus',
    'seed',
    'swap',
    'slubDebug',
    'failslab',
    'failPageAlloc',
  ])('%s: null throws EINVAL naming the option', (option) => {
    const call = () => Kernel.boot({ [option]: null } as unknown as BootOptions);
    expect(call).toThrow(KernelError);
    expect(call).toThrow(option);
  });
});
