/**
 * Reclaim and swap, one documented behaviour at a time: where pages go on
 * the LRU lists, swap-out and swap-in with their counters, pages shared
 * after fork swapped once, both swap stores, file pages dropped or written
 * back, the gfp rules of reclaim, kswapd, MADV_FREE, MADV_PAGEOUT and
 * MADV_WILLNEED, shmem, shrinkers, the what-if policies and determinism.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  __GFP_KSWAPD_RECLAIM,
  __GFP_NOWARN,
  GFP_ATOMIC,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOFS,
  GFP_NOIO,
  GFP_NOWAIT,
  Kernel,
  KernelBug,
  KernelError,
  LRU_ACTIVE_FILE,
  LRU_INACTIVE_ANON,
  LRU_INACTIVE_FILE,
  LRU_UNEVICTABLE,
  MADV_FREE,
  MADV_PAGEOUT,
  MADV_WILLNEED,
  MAP_ANONYMOUS,
  MAP_LOCKED,
  MAP_PRIVATE,
  MAP_SHARED,
  O_CREAT,
  O_RDONLY,
  O_RDWR,
  PG,
  PROT_READ,
  PROT_WRITE,
  type Process,
  pteToSwapEntry,
  type Shrinker,
  SLAB_RECLAIM_ACCOUNT,
} from '../src/index.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

let machine: Kernel | null = null;
afterEach(() => {
  machine?.checkInvariants();
  machine = null;
});

function boot(options: Parameters<typeof Kernel.boot>[0] = {}): Kernel {
  machine = Kernel.boot({ memory: '16M', ...options });
  return machine;
}

function vmstat(k: Kernel, name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(k.proc('/proc/vmstat'));
  if (m === null) throw new Error(`no ${name} in /proc/vmstat`);
  return Number(m[1]);
}

function meminfo(k: Kernel, name: string): number {
  const m = new RegExp(`^${name.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(
    k.proc('/proc/meminfo'),
  );
  if (m === null) throw new Error(`no ${name} in /proc/meminfo`);
  return Number(m[1]);
}

function mapAnon(p: Process, pages: number, flags = ANON): number {
  const va = p.sys.mmap(0, pages * 4096, RW, flags, -1, 0);
  expect(va).toBeGreaterThan(0);
  return va;
}

function pfnAt(p: Process, va: number): number {
  const pte = p.mm.lookupPte(va);
  if (pte === null) throw new Error(`no PTE at ${va}`);
  return pte.pfn;
}

/** The swap slot the PTE of `va` holds, or -1 when it holds none. */
function swapSlotAt(k: Kernel, p: Process, va: number): number {
  const slot = p.mm.pteSlot(va, false);
  if (slot < 0) return -1;
  const lo = k.vm.geo.readLo(slot);
  const hi = k.vm.geo.readHi(slot);
  if ((lo | hi) === 0 || k.vm.geo.format.present(lo, hi)) return -1;
  return pteToSwapEntry(k.arch, lo, hi).offset;
}

describe('LRU lists', () => {
  it('new anonymous, page cache and shmem pages start on the inactive lists; MAP_LOCKED pages are unevictable', () => {
    const k = boot();
    const p = k.spawn();
    const a = mapAnon(p, 1);
    p.store32(a, 1);
    expect(k.vm.lru.lruOf(pfnAt(p, a))).toBe(LRU_INACTIVE_ANON);
    const s = mapAnon(p, 1, MAP_SHARED | MAP_ANONYMOUS);
    p.store32(s, 2);
    expect(k.vm.lru.lruOf(pfnAt(p, s))).toBe(LRU_INACTIVE_ANON);
    k.vfs.writeFile('/f', new Uint8Array(4096).fill(7));
    const fd = p.sys.open('/f', O_RDONLY);
    const f = p.sys.mmap(0, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    expect(p.load8(f)).toBe(7);
    expect(k.vm.lru.lruOf(pfnAt(p, f))).toBe(LRU_INACTIVE_FILE);
    const l = mapAnon(p, 2, ANON | MAP_LOCKED);
    expect(k.vm.lru.lruOf(pfnAt(p, l))).toBe(LRU_UNEVICTABLE);
    expect(meminfo(k, 'Unevictable')).toBe(8);
    expect(meminfo(k, 'Mlocked')).toBe(8);
  });

  it('read(2) of the same page twice activates it (mark_page_accessed)', () => {
    const k = boot();
    const p = k.spawn();
    k.vfs.writeFile('/f', new Uint8Array(4096).fill(1));
    const fd = p.sys.open('/f', O_RDONLY);
    const buf = mapAnon(p, 1);
    expect(p.sys.pread(fd, buf, 16, 0)).toBe(16);
    const pfn = k.vfs.cacheHooks === null ? -1 : (k.vm.lru.tail[LRU_INACTIVE_FILE] as number);
    expect(k.vm.lru.lruOf(pfn)).toBe(LRU_INACTIVE_FILE);
    expect(k.memMap.testFlag(pfn, PG.referenced)).toBe(true);
    expect(p.sys.pread(fd, buf, 16, 0)).toBe(16);
    expect(k.vm.lru.lruOf(pfn)).toBe(LRU_ACTIVE_FILE);
  });
});

describe('swap-out and swap-in', () => {
  it('MADV_PAGEOUT writes a page to swap; the next access is a major fault that reads it back', () => {
    const k = boot({ swap: { size: '4M' } });
    const p = k.spawn();
    const a = mapAnon(p, 2);
    p.store32(a, 0xcafe);
    p.store32(a + 4096, 0xbeef);
    const swapFree = meminfo(k, 'SwapFree');
    const [out, inn, maj] = [vmstat(k, 'pswpout'), vmstat(k, 'pswpin'), vmstat(k, 'pgmajfault')];
    expect(p.sys.madvise(a, 4096, MADV_PAGEOUT)).toBe(0);
    expect(vmstat(k, 'pswpout')).toBe(out + 1);
    expect(swapSlotAt(k, p, a)).toBeGreaterThan(0);
    expect(p.mm.counters.swap).toBe(1);
    expect(meminfo(k, 'SwapFree')).toBe(swapFree - 4);
    k.checkInvariants();
    expect(p.load32(a)).toBe(0xcafe);
    expect(vmstat(k, 'pswpin')).toBe(inn + 1);
    expect(vmstat(k, 'pgmajfault')).toBe(maj + 1);
    // The only user of the slot swapped in: the slot is free again.
    expect(meminfo(k, 'SwapFree')).toBe(swapFree);
    expect(meminfo(k, 'SwapCached')).toBe(0);
    expect(p.load32(a + 4096)).toBe(0xbeef);
    expect(vmstat(k, 'pswpin')).toBe(inn + 1);
  });

  it('a page swapped in for reading is written again only if it was dirtied meanwhile', () => {
    const k = boot({ swap: { size: '4M' } });
    const p = k.spawn();
    const a = mapAnon(p, 1);
    p.store32(a, 5);
    p.sys.madvise(a, 4096, MADV_PAGEOUT);
    expect(p.load32(a)).toBe(5);
    const out = vmstat(k, 'pswpout');
    p.sys.madvise(a, 4096, MADV_PAGEOUT);
    // The slot was freed at swap-in, so the page (dirty again) is written once more.
    expect(vmstat(k, 'pswpout')).toBe(out + 1);
    expect(p.load32(a)).toBe(5);
  });

  it('a page shared after fork is written once; its slot counts both PTEs; the second swap-in needs no I/O', () => {
    const k = boot({ swap: { size: '4M' } });
    const p = k.spawn();
    const a = mapAnon(p, 8);
    for (let i = 0; i < 8; i++) p.store32(a + i * 4096, 100 + i);
    const c = p.fork();
    const pfns = Array.from({ length: 8 }, (_, i) => pfnAt(p, a + i * 4096));
    const out = vmstat(k, 'pswpout');
    expect(k.reclaim.reclaimPages(pfns)).toBe(8);
    expect(vmstat(k, 'pswpout')).toBe(out + 8);
    for (let i = 0; i < 8; i++) {
      const slot = swapSlotAt(k, p, a + i * 4096);
      expect(slot).toBeGreaterThan(0);
      expect(swapSlotAt(k, c, a + i * 4096)).toBe(slot);
      expect(k.swap?.area.count(slot)).toBe(2);
    }
    expect(p.mm.counters.swap).toBe(8);
    expect(c.mm.counters.swap).toBe(8);
    k.checkInvariants();
    const [inn, maj] = [vmstat(k, 'pswpin'), vmstat(k, 'pgmajfault')];
    expect(c.load32(a)).toBe(100);
    expect(vmstat(k, 'pswpin')).toBe(inn + 1);
    expect(meminfo(k, 'SwapCached')).toBe(4); // the parent's PTE still holds the slot
    expect(p.load32(a)).toBe(100);
    expect(vmstat(k, 'pswpin')).toBe(inn + 1);
    expect(vmstat(k, 'pgmajfault')).toBe(maj + 1);
    expect(meminfo(k, 'SwapCached')).toBe(0);
    expect(pfnAt(p, a)).toBe(pfnAt(c, a)); // one frame, still copy on write
    c.store32(a, 7);
    expect(p.load32(a)).toBe(100);
    c.exit();
    k.checkInvariants();
    p.exit();
    expect(meminfo(k, 'SwapFree')).toBe(meminfo(k, 'SwapTotal'));
  });

  it('exit frees the swap slots of a swapped-out process', () => {
    const k = boot({ swap: { size: '4M' } });
    const p = k.spawn();
    const a = mapAnon(p, 16);
    for (let i = 0; i < 16; i++) p.store32(a + i * 4096, i);
    p.sys.madvise(a, 16 * 4096, MADV_PAGEOUT);
    expect(meminfo(k, 'SwapTotal') - meminfo(k, 'SwapFree')).toBe(64);
    p.exit();
    expect(meminfo(k, 'SwapFree')).toBe(meminfo(k, 'SwapTotal'));
  });

  it('memory twice the size of RAM is swapped and read back intact, with pswpout and pswpin moving', () => {
    const k = boot({ memory: '8M', swap: { size: '16M' } });
    const p = k.spawn();
    const pages = 3000;
    const a = mapAnon(p, pages);
    for (let i = 0; i < pages; i++) p.store32(a + i * 4096, i ^ 0x5a5a);
    for (let i = 0; i < pages; i++) expect(p.load32(a + i * 4096)).toBe(i ^ 0x5a5a);
    expect(vmstat(k, 'pswpout')).toBeGreaterThan(1000);
    expect(vmstat(k, 'pswpin')).toBeGreaterThan(1000);
    expect(vmstat(k, 'pgmajfault')).toBe(vmstat(k, 'pswpin'));
    expect(vmstat(k, 'pgscan_kswapd') + vmstat(k, 'pgscan_direct')).toBeGreaterThanOrEqual(
      vmstat(k, 'pgsteal_kswapd') + vmstat(k, 'pgsteal_direct'),
    );
  });

  it('a swap area on a host file holds the pages, and /proc/swaps names it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-swap-'));
    try {
      const file = join(dir, 'swapfile');
      const k = boot({ memory: '8M', swap: { size: '16M', file } });
      expect(statSync(file).size).toBe(16 * 2 ** 20);
      const line = k.proc('/proc/swaps').split('\n')[1] ?? '';
      expect(line.startsWith(file)).toBe(true);
      expect(line).toMatch(/\sfile\s/);
      const p = k.spawn();
      const pages = 2500;
      const a = mapAnon(p, pages);
      for (let i = 0; i < pages; i++) p.store32(a + i * 4096, i * 3 + 1);
      for (let i = 0; i < pages; i++) expect(p.load32(a + i * 4096)).toBe(i * 3 + 1);
      expect(vmstat(k, 'pswpout')).toBeGreaterThan(0);
      k.checkInvariants();
      p.exit();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('MADV_WILLNEED reads swapped-out pages into the swap cache; the fault that follows is minor', () => {
    const k = boot({ swap: { size: '4M' } });
    const p = k.spawn();
    const a = mapAnon(p, 4);
    for (let i = 0; i < 4; i++) p.store32(a + i * 4096, i + 1);
    p.sys.madvise(a, 4 * 4096, MADV_PAGEOUT);
    const inn = vmstat(k, 'pswpin');
    expect(p.sys.madvise(a, 4 * 4096, MADV_WILLNEED)).toBe(0);
    expect(vmstat(k, 'pswpin')).toBe(inn + 4);
    expect(meminfo(k, 'SwapCached')).toBe(16);
    k.checkInvariants();
    const maj = vmstat(k, 'pgmajfault');
    for (let i = 0; i < 4; i++) expect(p.load32(a + i * 4096)).toBe(i + 1);
    expect(vmstat(k, 'pgmajfault')).toBe(maj);
    expect(meminfo(k, 'SwapCached')).toBe(0);
  });

  it('shmem pages are swapped out and read back by every process that shares them', () => {
    const k = boot({ swap: { size: '4M' } });
    const p = k.spawn();
    const s = mapAnon(p, 2, MAP_SHARED | MAP_ANONYMOUS);
    p.store32(s, 11);
    p.store32(s + 4096, 12);
    const c = p.fork();
    expect(c.load32(s)).toBe(11);
    const out = vmstat(k, 'pswpout');
    expect(k.reclaim.reclaimPages([pfnAt(p, s), pfnAt(p, s + 4096)])).toBe(2);
    expect(vmstat(k, 'pswpout')).toBe(out + 2);
    expect(p.mm.counters.shmem + c.mm.counters.shmem).toBe(0);
    expect(meminfo(k, 'Shmem')).toBe(0);
    k.checkInvariants();
    expect(c.load32(s + 4096)).toBe(12);
    expect(p.load32(s)).toBe(11);
    c.store32(s, 13);
    expect(p.load32(s)).toBe(13);
    c.exit();
    p.exit();
    expect(meminfo(k, 'SwapFree')).toBe(meminfo(k, 'SwapTotal'));
  });

  it('without swap, anonymous pages stay: MADV_PAGEOUT changes nothing', () => {
    const k = boot();
    const p = k.spawn();
    const a = mapAnon(p, 1);
    p.store32(a, 9);
    const before = pfnAt(p, a);
    expect(p.sys.madvise(a, 4096, MADV_PAGEOUT)).toBe(0);
    expect(pfnAt(p, a)).toBe(before);
    expect(vmstat(k, 'pswpout')).toBe(0);
  });
});

describe('file pages', () => {
  it('clean page cache pages are dropped and read again from the disk', () => {
    const k = boot();
    const p = k.spawn();
    const data = new Uint8Array(8 * 4096).map((_, i) => i & 0xff);
    k.vfs.writeFile('/f', data);
    const fd = p.sys.open('/f', O_RDONLY);
    const f = p.sys.mmap(0, data.length, PROT_READ, MAP_PRIVATE, fd, 0);
    for (let i = 0; i < 8; i++) expect(p.load8(f + i * 4096 + 5)).toBe(5);
    expect(meminfo(k, 'Cached')).toBe(32);
    const pfns = Array.from({ length: 8 }, (_, i) => pfnAt(p, f + i * 4096));
    const pgpgin = vmstat(k, 'pgpgin');
    expect(k.reclaim.reclaimPages(pfns)).toBe(8);
    expect(meminfo(k, 'Cached')).toBe(0);
    expect(p.mm.counters.file).toBe(0);
    expect(p.read(f, data.length)).toEqual(data);
    expect(vmstat(k, 'pgpgin')).toBe(pgpgin + 32);
  });

  it('dirty MAP_SHARED pages are written back before they are dropped', () => {
    const k = boot();
    const p = k.spawn();
    k.vfs.writeFile('/f', new Uint8Array(2 * 4096));
    const fd = p.sys.open('/f', O_RDWR);
    const f = p.sys.mmap(0, 2 * 4096, RW, MAP_SHARED, fd, 0);
    p.store32(f, 0x01020304);
    p.store32(f + 4096, 0x05060708);
    const pfns = [pfnAt(p, f), pfnAt(p, f + 4096)];
    const writes = k.vfs.disk.writes;
    expect(k.reclaim.reclaimPages(pfns)).toBe(2);
    expect(k.vfs.disk.writes).toBe(writes + 2);
    expect(meminfo(k, 'Cached')).toBe(0);
    const bytes = k.vfs.readFile('/f');
    expect(new DataView(bytes.buffer).getUint32(0, true)).toBe(0x01020304);
    expect(new DataView(bytes.buffer).getUint32(4096, true)).toBe(0x05060708);
    expect(p.load32(f + 4096)).toBe(0x05060708);
  });
});

describe('what reclaim may do for each gfp mask', () => {
  /** A machine whose memory is mostly dirty page cache and swappable anonymous memory. */
  function pressured(): { k: Kernel; p: Process } {
    const k = boot({ arch: 'i386', memory: '32M', swap: { size: '16M' } });
    const p = k.spawn();
    const fd = p.sys.open('/big', O_RDWR | O_CREAT);
    const buf = mapAnon(p, 16);
    for (let i = 0; i < 16; i++) p.store32(buf + i * 4096, i);
    for (let i = 0; i < 200; i++) expect(p.sys.write(fd, buf, 16 * 4096)).toBe(16 * 4096);
    const a = mapAnon(p, 2500);
    for (let i = 0; i < 2500; i++) p.store32(a + i * 4096, i);
    return { k, p };
  }

  /** Allocates with `gfp` until it fails or `limit` frames are taken; returns them. */
  function exhaust(k: Kernel, gfp: number, limit: number): number[] {
    const got: number[] = [];
    while (got.length < limit) {
      const pfn = k.allocPages(gfp, 0);
      if (pfn === null) break;
      got.push(pfn);
    }
    return got;
  }

  it('GFP_ATOMIC and GFP_NOWAIT never reclaim directly', () => {
    for (const gfp of [GFP_ATOMIC, GFP_NOWAIT]) {
      const { k } = pressured();
      const scanned = vmstat(k, 'pgscan_direct');
      const stalls = vmstat(k, 'allocstall_normal') + vmstat(k, 'allocstall_dma');
      const held = exhaust(k, gfp | __GFP_NOWARN, 100_000);
      expect(held.length).toBeGreaterThan(0);
      expect(vmstat(k, 'pgscan_direct')).toBe(scanned);
      expect(vmstat(k, 'allocstall_normal') + vmstat(k, 'allocstall_dma')).toBe(stalls);
      for (const pfn of held) k.freePages(pfn, 0);
    }
  });

  it('GFP_KERNEL reclaims directly, counted in allocstall_normal, writing swap and dirty files', () => {
    const { k } = pressured();
    const stalls = vmstat(k, 'allocstall_normal');
    const [out, writes] = [vmstat(k, 'pswpout'), k.vfs.disk.writes];
    const held = exhaust(k, GFP_KERNEL, 2000);
    expect(held.length).toBe(2000);
    expect(vmstat(k, 'allocstall_normal')).toBeGreaterThan(stalls);
    expect(vmstat(k, 'pgsteal_direct')).toBeGreaterThan(0);
    expect(vmstat(k, 'pswpout') - out + (k.vfs.disk.writes - writes)).toBeGreaterThan(0);
    for (const pfn of held) k.freePages(pfn, 0);
  });

  it('GFP_NOIO reclaims without swap writes or file writeback; GFP_NOFS swaps but writes no file', () => {
    // Without __GFP_KSWAPD_RECLAIM, so that only the caller's own (direct) reclaim runs.
    for (const [gfp, maySwap] of [
      [GFP_NOIO & ~__GFP_KSWAPD_RECLAIM, false],
      [GFP_NOFS & ~__GFP_KSWAPD_RECLAIM, true],
    ] as const) {
      const { k } = pressured();
      const [out, writes, steal] = [
        vmstat(k, 'pswpout'),
        k.vfs.disk.writes,
        vmstat(k, 'pgsteal_direct'),
      ];
      const held = exhaust(k, gfp | __GFP_NOWARN, 3000);
      expect(k.vfs.disk.writes).toBe(writes);
      if (maySwap) {
        expect(vmstat(k, 'pswpout')).toBeGreaterThan(out);
        expect(vmstat(k, 'pgsteal_direct')).toBeGreaterThan(steal);
      } else {
        // Every page here is dirty: without I/O nothing can be reclaimed, so the request fails.
        expect(vmstat(k, 'pswpout')).toBe(out);
        expect(held.length).toBeLessThan(3000);
      }
      for (const pfn of held) k.freePages(pfn, 0);
    }
  });

  it('kswapd, woken by a GFP_NOIO request, is not bound by its mask', () => {
    const k = boot({ memory: '16M', swap: { size: '16M' } });
    const p = k.spawn();
    const a = mapAnon(p, 3000);
    for (let i = 0; i < 3000; i++) p.store32(a + i * 4096, i);
    const out = vmstat(k, 'pswpout');
    const held = exhaust(k, GFP_NOIO | __GFP_NOWARN, 3000);
    expect(vmstat(k, 'pgscan_kswapd')).toBeGreaterThan(0);
    expect(vmstat(k, 'pswpout')).toBeGreaterThan(out);
    for (const pfn of held) k.freePages(pfn, 0);
  });
});

describe('kswapd', () => {
  it('is woken when a zone falls below its low watermark and reclaims on the way out, up to high', () => {
    const k = boot({ memory: '16M', swap: { size: '16M' } });
    const p = k.spawn();
    const a = mapAnon(p, 5000);
    const runs = vmstat(k, 'pageoutrun');
    for (let i = 0; i < 5000; i++) p.store32(a + i * 4096, i);
    expect(vmstat(k, 'pageoutrun')).toBeGreaterThan(runs);
    expect(vmstat(k, 'pgscan_kswapd')).toBeGreaterThan(0);
    expect(vmstat(k, 'pgsteal_kswapd')).toBeGreaterThan(0);
    expect(k.reclaim.kswapdPending).toBe(false);
    const zone = k.zones.find((z) => z.managed > 0 && z.name === 'DMA');
    expect(zone).toBeDefined();
    k.kswapd();
    if (zone !== undefined) expect(zone.freePages + zone.pcpPages).toBeGreaterThan(zone.high);
  });

  it('does not run while nothing woke it: an idle machine with free memory scans nothing', () => {
    const k = boot();
    const p = k.spawn();
    const a = mapAnon(p, 100);
    for (let i = 0; i < 100; i++) p.store32(a + i * 4096, i);
    expect(vmstat(k, 'pageoutrun')).toBe(0);
    expect(vmstat(k, 'pgscan_kswapd')).toBe(0);
  });
});

describe('MADV_FREE under reclaim', () => {
  it('clean lazily freed pages are dropped (pglazyfreed) and read zero; rewritten ones keep their data', () => {
    const k = boot();
    const p = k.spawn();
    const a = mapAnon(p, 4);
    for (let i = 0; i < 4; i++) p.store32(a + i * 4096, 40 + i);
    expect(p.sys.madvise(a, 4 * 4096, MADV_FREE)).toBe(0);
    p.store32(a + 3 * 4096, 99); // written again: no longer free
    const pfns = Array.from({ length: 4 }, (_, i) => pfnAt(p, a + i * 4096));
    expect(k.reclaim.reclaimPages(pfns)).toBe(3);
    expect(vmstat(k, 'pglazyfreed')).toBe(3);
    for (let i = 0; i < 3; i++) expect(p.load32(a + i * 4096)).toBe(0);
    expect(p.load32(a + 3 * 4096)).toBe(99);
    expect(k.memMap.testFlag(pfnAt(p, a + 3 * 4096), PG.swapbacked)).toBe(true);
  });
});

describe('shrinkers', () => {
  it('direct reclaim asks registered shrinkers to free objects, and counts the slab pages freed', () => {
    const k = boot({ memory: '8M' });
    const cache = k.kmemCacheCreate('dentry', 256, { flags: SLAB_RECLAIM_ACCOUNT });
    const objects: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const obj = cache.alloc(GFP_KERNEL);
      if (obj === null) break;
      objects.push(obj);
    }
    expect(meminfo(k, 'SReclaimable')).toBeGreaterThan(0);
    let asked = 0;
    const shrinker: Shrinker = {
      name: 'dentry',
      countObjects: () => objects.length,
      scanObjects: (nr) => {
        asked += nr;
        let freed = 0;
        while (freed < nr && objects.length > 0) {
          cache.free(objects.pop() as number);
          freed++;
        }
        return freed;
      },
    };
    k.registerShrinker(shrinker);
    expect(() => k.registerShrinker(shrinker)).toThrow(KernelBug);
    const held: number[] = [];
    for (let i = 0; i < 1800; i++) {
      const pfn = k.allocPages(GFP_KERNEL, 0);
      if (pfn === null) break;
      held.push(pfn);
    }
    expect(asked).toBeGreaterThan(0);
    expect(vmstat(k, 'slabs_scanned')).toBe(asked);
    expect(held.length).toBe(1800);
    for (const pfn of held) k.freePages(pfn, 0);
    for (const obj of objects) cache.free(obj);
    k.unregisterShrinker(shrinker);
    expect(() => k.unregisterShrinker(shrinker)).toThrow(KernelBug);
  });
});

describe('what-if replacement policies', () => {
  it.each(['fifo', 'lru', 'clock'] as const)('%s reclaims with data intact', (reclaimPolicy) => {
    const k = boot({ memory: '8M', swap: { size: '16M' }, reclaimPolicy });
    const p = k.spawn();
    const pages = 2500;
    const a = mapAnon(p, pages);
    for (let i = 0; i < pages; i++) p.store32(a + i * 4096, i + 7);
    for (let i = 0; i < pages; i += 3) expect(p.load32(a + i * 4096)).toBe(i + 7);
    expect(vmstat(k, 'pswpout')).toBeGreaterThan(0);
  });

  it('refuses opt (it needs the future) and unknown names', () => {
    expect(() => Kernel.boot({ reclaimPolicy: 'opt' as 'fifo' })).toThrow(KernelError);
    expect(() => Kernel.boot({ reclaimPolicy: 'mru' as 'fifo' })).toThrow(/reclaimPolicy/);
  });
});

describe('determinism', () => {
  it('the same workload on the same boot options gives the same /proc/vmstat and /proc/meminfo', () => {
    const run = (): string => {
      const k = Kernel.boot({ memory: '8M', swap: { size: '8M' }, seed: 3 });
      const p = k.spawn();
      const a = mapAnon(p, 2200);
      for (let i = 0; i < 2200; i++) p.store32(a + ((i * 7) % 2200) * 4096, i);
      const c = p.fork();
      for (let i = 0; i < 2200; i += 5) c.store32(a + i * 4096, 1);
      k.allocPages(GFP_HIGHUSER_MOVABLE, 0);
      return k.proc('/proc/vmstat') + k.proc('/proc/meminfo');
    };
    expect(run()).toBe(run());
  });
});

describe('regressions', () => {
  it('a write swap-in of a page the parent already swapped in from the swap cache copies it (shrunk from the pressure model)', () => {
    const k = boot({ swap: { size: '4M' } });
    const p = k.spawn();
    const a = mapAnon(p, 1);
    p.store32(a, 1);
    const c = p.fork();
    expect(k.reclaim.reclaimPages([pfnAt(p, a)])).toBe(1);
    expect(p.load32(a)).toBe(1); // into the swap cache; the child's PTE still holds the slot
    c.store32(a, 2); // the child's swap-in finds the page mapped by the parent
    expect(p.load32(a)).toBe(1);
    expect(c.load32(a)).toBe(2);
    expect(pfnAt(p, a)).not.toBe(pfnAt(c, a));
    k.checkInvariants();
  });
});

describe('checkInvariants sees broken reclaim state', () => {
  /** A machine with one page swapped out and one resident anonymous page. */
  function swappedMachine(): { k: Kernel; p: Process; a: number; slot: number } {
    const k = Kernel.boot({ memory: '16M', swap: { size: '4M' } });
    const p = k.spawn();
    const a = mapAnon(p, 2);
    p.store32(a, 1);
    p.store32(a + 4096, 2);
    p.sys.madvise(a, 4096, MADV_PAGEOUT);
    const slot = swapSlotAt(k, p, a);
    expect(slot).toBeGreaterThan(0);
    k.checkInvariants();
    return { k, p, a, slot };
  }

  it('a swap slot whose count disagrees with the PTEs holding it', () => {
    const { k, slot } = swappedMachine();
    const area = k.swap?.area;
    if (area === undefined) throw new Error('no swap');
    area.swapMap[slot] = 2;
    expect(() => k.checkInvariants()).toThrow(
      new RegExp(`swap slot ${slot} has count 2, but 1 entries hold it`),
    );
  });

  it('a mapped page that is on no LRU list', () => {
    const { k, p, a } = swappedMachine();
    const pfn = pfnAt(p, a + 4096);
    k.vm.lru.del(pfn);
    expect(() => k.checkInvariants()).toThrow(/on no LRU list/);
  });

  it('a page marked as in the swap cache that the swap cache does not hold', () => {
    const { k, p, a } = swappedMachine();
    const pfn = pfnAt(p, a + 4096);
    k.memMap.setFlag(pfn, PG.swapcache);
    k.memMap.private[pfn] = 7;
    expect(() => k.checkInvariants()).toThrow(/PG_swapcache, but slot 7 does not cache it/);
  });
});
