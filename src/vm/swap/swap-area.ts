/**
 * One swap area: Linux's `struct swap_info_struct` (mm/swapfile.c) with the
 * swap cache of mm/swap_state.c folded in, over a {@link SwapStore} that
 * holds the pages. Follows Linux 6.x semantics; the slot allocator is far
 * simpler than Linux's per-cluster one (see "Allocation order").
 *
 * Slots. The store's slot 0 holds the swap header (the first page of a
 * swap device, written by mkswap) and is never handed out, so an area of
 * `store.slots` pages has `total = store.slots - 1` usable slots, numbered
 * `1 .. total`. Every slot-taking method rejects slot 0.
 *
 * State, in three `Int32Array`s over one `SharedArrayBuffer` (so a whole
 * area can be snapshotted by copying it), indexed by slot:
 *
 * - `swapMap[slot]`: the swap count, references from page-table entries and
 *   shmem objects (Linux's `swap_map` byte without its `SWAP_HAS_CACHE`
 *   bit; mmsim needs no count continuation, a count may reach 2^31 - 1).
 * - `swapCache[slot]`: the pfn of the page in the swap cache for that slot,
 *   or -1 (Linux's `SWAP_HAS_CACHE` bit plus the swap cache's xarray/swap
 *   table entry).
 * - a stack of free slots with `free` entries on it.
 *
 * A slot is in one of three states:
 *
 * | state        | count | cache | on the free stack |
 * | ------------ | ----- | ----- | ----------------- |
 * | free         | 0     | -1    | yes               |
 * | cached only  | 0     | pfn   | no (just allocated by `allocSlot`, or every PTE reference gone while the page stays cached) |
 * | referenced   | >= 1  | either | no               |
 *
 * Invariants ({@link SwapArea.checkInvariants}): the free stack holds
 * exactly the slots with count 0 and no cached page, each once; slot 0 has
 * count 0, no cached page and is not on the stack; `cached` equals the
 * number of slots with a cached page. `used` counts cached-only slots too,
 * as Linux's `inuse_pages` does (a slot is busy from `folio_alloc_swap`
 * until both its count and its cache are gone).
 *
 * Every operation is O(1): a few typed-array slots and a push or pop.
 * Rejected calls throw {@link KernelBug} before changing anything.
 *
 * Allocation order. A fresh area hands out slots 1, 2, 3, ... in ascending
 * order; a freed slot goes on top of the stack and is the next one handed
 * out. (Linux allocates in per-CPU clusters and avoids immediate reuse to
 * keep swap writes sequential; mmsim has no disk geometry to keep, and a
 * stack is O(1) and deterministic.)
 *
 * /proc/swaps. {@link renderSwaps} follows `swap_show` in mm/swapfile.c of
 * Linux 6.x: the header `Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority`,
 * then per area `seq_file_path(file, " \t\n\\")` (those four characters
 * escaped as `\ooo` octal), then `%*s` with width `len < 40 ? 40 - len : 1`
 * of `" "` (spaces up to column 40, at least one), then
 * `"%s\t%lu\t%s%lu\t%s%d\n"` of `"partition"` or `"file\t"`, Size KiB,
 * a second tab if Size < 10000000, Used KiB, a second tab if Used <
 * 10000000, and the priority. `len` counts bytes, so a non-ASCII path pads
 * by its UTF-8 length.
 */
import { KernelBug } from '../../page/errors.js';
import type { PhysicalMemory } from '../../page/physical-memory.js';
import type { SwapStore } from './swap-store.js';

/**
 * Swap types (areas) a machine can have: the 5-bit type field of a swap
 * PTE (`MAX_SWAPFILES_SHIFT`) less the types Linux reserves at the top.
 * Linux reserves them for PTE markers, migration, hwpoison and
 * device-private entries; mmsim models only the PTE marker type (type 31,
 * `SWP_PTE_MARKER` in vm/pte.ts, which guard regions use), so 31 types
 * remain.
 */
export const MAX_SWAPFILES = 31;

/** Measures a mangled path in bytes, as `seq_file_path` returns its length. */
const utf8 = new TextEncoder();

/** Largest swap count a slot can hold (the `Int32Array` limit). */
const MAX_SWAP_COUNT = 2 ** 31 - 1;

/** Options of {@link SwapArea}. */
export interface SwapAreaOptions {
  /** The swap type (index in `swap_info[]`), 0 .. MAX_SWAPFILES - 1; default 0. */
  readonly type?: number;
  /**
   * The priority, -32768 .. 32767; default -2, what Linux gives the first
   * area enabled without `SWAP_FLAG_PREFER` (`least_priority` starts at -1
   * and each such `swapon` takes `--least_priority`).
   */
  readonly priority?: number;
}

/**
 * A swap area: slots with their swap counts, the swap cache, and the store
 * holding the pages.
 *
 * Counterpart: `struct swap_info_struct` (mm/swapfile.c) plus the swap cache
 * (mm/swap_state.c).
 *
 * @example
 * ```ts
 * const area = new SwapArea(new SimSwapStore(257, 4096)); // 256 usable slots
 * const slot = area.allocSlot(pfn); // in the swap cache, count 0
 * area.writePage(slot, memory, pfn); // swap_writepage
 * area.dup(slot); // the PTE now holds the swap entry
 * area.cacheDelete(slot); // reclaim drops the page from the swap cache
 * area.put(slot); // the last PTE goes away: the slot is free again
 * ```
 */
export class SwapArea {
  /** The swap type: which `swap_info[]` entry this area is. */
  readonly type: number;
  /** The priority shown in /proc/swaps (higher is used first). */
  readonly priority: number;
  /** Where the pages are. */
  readonly store: SwapStore;
  /** Usable slots, `store.slots - 1` (Linux's `si->pages`). */
  readonly total: number;
  /**
   * Swap count of each slot, indexed by slot (Linux's `swap_map` without
   * `SWAP_HAS_CACHE`). Read it freely; change it only through the methods.
   */
  readonly swapMap: Int32Array;
  /**
   * The swap cache: the pfn cached for each slot, or -1. Read it freely;
   * change it only through the methods.
   */
  readonly swapCache: Int32Array;
  /** Free slots; `freeStack[0 .. nrFree)` are live, the top is handed out next. */
  private readonly freeStack: Int32Array;
  private nrFree: number;
  private nrCached = 0;

  /**
   * Sets up an area over `store`: every slot but the header free, nothing
   * cached. Counterpart: `swapon` (`setup_swap_map`).
   *
   * @param store - the backing store; it needs at least 2 slots (header and one page).
   * @param options - type and priority.
   * @throws KernelBug on a store with fewer than 2 slots, or a bad type or priority.
   */
  constructor(store: SwapStore, options: SwapAreaOptions = {}) {
    const slots = store.slots;
    if (!Number.isInteger(slots) || slots < 2 || slots > MAX_SWAP_COUNT) {
      throw new KernelBug(
        `SwapArea: store has ${slots} slots; it needs an integer from 2 to ${MAX_SWAP_COUNT} (slot 0 is the swap header)`,
      );
    }
    const type = options.type ?? 0;
    if (!Number.isInteger(type) || type < 0 || type >= MAX_SWAPFILES) {
      throw new KernelBug(
        `SwapArea: type ${type} is not an integer from 0 to ${MAX_SWAPFILES - 1}`,
      );
    }
    const priority = options.priority ?? -2;
    if (!Number.isInteger(priority) || priority < -32768 || priority > 32767) {
      throw new KernelBug(`SwapArea: priority ${priority} is not an integer from -32768 to 32767`);
    }
    const total = slots - 1;
    const state = new SharedArrayBuffer((2 * slots + total) * 4);
    this.type = type;
    this.priority = priority;
    this.store = store;
    this.total = total;
    this.swapMap = new Int32Array(state, 0, slots);
    this.swapCache = new Int32Array(state, slots * 4, slots);
    this.freeStack = new Int32Array(state, 2 * slots * 4, total);
    this.swapCache.fill(-1);
    // Top of the stack is the last entry: slot 1 there, slot `total` at the bottom.
    for (let i = 0; i < total; i++) this.freeStack[i] = total - i;
    this.nrFree = total;
  }

  /** Free slots. */
  get free(): number {
    return this.nrFree;
  }

  /** Slots in use: `total - free` (Linux's `inuse_pages`, cached-only slots included). */
  get used(): number {
    return this.total - this.nrFree;
  }

  /** Pages in the swap cache of this area. */
  get cached(): number {
    return this.nrCached;
  }

  /**
   * Takes a free slot for page `pfn` and puts the page in its swap cache
   * entry with swap count 0: what reclaim does before writing a page out.
   * The lowest free slot on a fresh area; the most recently freed one after.
   *
   * Counterpart: `folio_alloc_swap` + `add_to_swap_cache` (mm/swap_state.c;
   * `swap_cache_add_folio` in the 6.18 swap-table rework).
   *
   * @returns the slot, or -1 when the area is full (not an error).
   * @throws KernelBug when `pfn` is not an integer from 0 to 2^31 - 1.
   */
  allocSlot(pfn: number): number {
    this.checkPfn('allocSlot', pfn);
    if (this.nrFree === 0) return -1;
    const slot = this.freeStack[--this.nrFree] as number;
    this.swapCache[slot] = pfn;
    this.nrCached++;
    return slot;
  }

  /**
   * The swap count of `slot`: references from PTEs and shmem objects, the
   * swap cache not included. 0 for a free slot.
   *
   * Counterpart: `swap_count(si->swap_map[offset])` (`__swap_count`).
   * @throws KernelBug on a slot out of range.
   */
  count(slot: number): number {
    this.checkSlot('count', slot);
    return this.swapMap[slot] as number;
  }

  /**
   * Adds one reference to `slot` (a PTE or shmem object now holds its swap
   * entry). The slot must be in use: referenced, or just allocated and only
   * in the swap cache.
   *
   * Counterpart: `swap_duplicate` (`__swap_duplicate` with usage 1).
   * @throws KernelBug on a slot out of range or free, or a count at its limit.
   */
  dup(slot: number): void {
    this.checkSlot('dup', slot);
    const count = this.swapMap[slot] as number;
    if (count === 0 && this.swapCache[slot] === -1) {
      throw new KernelBug(`SwapArea.dup: slot ${slot} of swap type ${this.type} is free`);
    }
    if (count === MAX_SWAP_COUNT) {
      throw new KernelBug(
        `SwapArea.dup: slot ${slot} of swap type ${this.type} already has the largest count ${MAX_SWAP_COUNT}`,
      );
    }
    this.swapMap[slot] = count + 1;
  }

  /**
   * Drops one reference to `slot`. When the count reaches 0 and no page is
   * in the swap cache, the slot is free again.
   *
   * Counterpart: `swap_free` (`swap_free_nr`, `swap_entry_put`).
   * @returns the new count.
   * @throws KernelBug on a slot out of range or free, or a count already 0
   * (a double free: only the swap cache holds the slot).
   */
  put(slot: number): number {
    this.checkSlot('put', slot);
    const count = this.swapMap[slot] as number;
    if (count === 0) {
      throw new KernelBug(
        this.swapCache[slot] === -1
          ? `SwapArea.put: slot ${slot} of swap type ${this.type} is free`
          : `SwapArea.put: slot ${slot} of swap type ${this.type} has count 0, only the swap cache holds it (a double free)`,
      );
    }
    this.swapMap[slot] = count - 1;
    if (count === 1 && this.swapCache[slot] === -1) this.pushFree(slot);
    return count - 1;
  }

  /**
   * The pfn of the page in the swap cache for `slot`, or -1. Takes no
   * reference on the page.
   *
   * Counterpart: `swap_cache_get_folio` (without the folio reference).
   * @throws KernelBug on a slot out of range.
   */
  cacheLookup(slot: number): number {
    this.checkSlot('cacheLookup', slot);
    return this.swapCache[slot] as number;
  }

  /**
   * Puts page `pfn` in the swap cache for `slot`, a slot with references
   * and no cached page: what swap-in does with the page it reads the slot
   * into (and readahead with its extra pages).
   *
   * Counterpart: `add_to_swap_cache` (`swap_cache_add_folio` since 6.18).
   * @throws KernelBug on a slot out of range, free or already cached, or a
   * pfn that is not an integer from 0 to 2^31 - 1.
   */
  cacheAdd(slot: number, pfn: number): void {
    this.checkSlot('cacheAdd', slot);
    this.checkPfn('cacheAdd', pfn);
    const cachedPfn = this.swapCache[slot] as number;
    if (cachedPfn !== -1) {
      throw new KernelBug(
        `SwapArea.cacheAdd: slot ${slot} of swap type ${this.type} already has pfn ${cachedPfn} in the swap cache`,
      );
    }
    if (this.swapMap[slot] === 0) {
      throw new KernelBug(`SwapArea.cacheAdd: slot ${slot} of swap type ${this.type} is free`);
    }
    this.swapCache[slot] = pfn;
    this.nrCached++;
  }

  /**
   * Removes the cached page of `slot` from the swap cache. If no reference
   * is left, the slot is free again.
   *
   * Counterpart: `delete_from_swap_cache` (`swap_cache_del_folio` since
   * 6.18), with the `put_swap_folio` that drops `SWAP_HAS_CACHE`.
   * @throws KernelBug on a slot out of range or with no cached page.
   */
  cacheDelete(slot: number): void {
    this.checkSlot('cacheDelete', slot);
    if (this.swapCache[slot] === -1) {
      throw new KernelBug(
        `SwapArea.cacheDelete: slot ${slot} of swap type ${this.type} has no page in the swap cache`,
      );
    }
    this.swapCache[slot] = -1;
    this.nrCached--;
    if (this.swapMap[slot] === 0) this.pushFree(slot);
  }

  /**
   * Whether `slot` is free: no references and no cached page.
   * @throws KernelBug on a slot out of range (slot 0, the header, included).
   */
  isFree(slot: number): boolean {
    this.checkSlot('isFree', slot);
    return this.swapMap[slot] === 0 && this.swapCache[slot] === -1;
  }

  /**
   * Reads `slot` from the store into frame `pfn` of `memory`.
   * Counterpart: `swap_read_folio`.
   * @throws KernelBug on a slot out of range or free, or what the store rejects.
   */
  readPage(slot: number, memory: PhysicalMemory, pfn: number): void {
    this.checkInUse('readPage', slot);
    this.store.readPage(slot, memory, pfn);
  }

  /**
   * Writes frame `pfn` of `memory` to `slot` in the store.
   * Counterpart: `swap_writepage`.
   * @throws KernelBug on a slot out of range or free, or what the store rejects.
   */
  writePage(slot: number, memory: PhysicalMemory, pfn: number): void {
    this.checkInUse('writePage', slot);
    this.store.writePage(slot, memory, pfn);
  }

  /**
   * Checks the area's invariants by a full recount (O(total), for tests and
   * debug checks): the free stack holds exactly the slots with count 0 and
   * no cached page, each once; the header slot is neither free nor used;
   * `free` and `cached` agree with the recount.
   * @throws KernelBug naming the first invariant found broken.
   */
  checkInvariants(): void {
    const who = `SwapArea.checkInvariants (swap type ${this.type})`;
    if (this.swapMap[0] !== 0 || this.swapCache[0] !== -1) {
      throw new KernelBug(
        `${who}: header slot 0 is in use (count ${this.swapMap[0]}, cached pfn ${this.swapCache[0]})`,
      );
    }
    if (!Number.isInteger(this.nrFree) || this.nrFree < 0 || this.nrFree > this.total) {
      throw new KernelBug(`${who}: free count ${this.nrFree} is outside 0..${this.total}`);
    }
    const onStack = new Uint8Array(this.total + 1);
    for (let i = 0; i < this.nrFree; i++) {
      const slot = this.freeStack[i] as number;
      if (slot === 0) throw new KernelBug(`${who}: header slot 0 is on the free stack`);
      if (slot < 1 || slot > this.total) {
        throw new KernelBug(
          `${who}: free stack entry ${i} holds slot ${slot}, outside 1..${this.total}`,
        );
      }
      if (onStack[slot] !== 0) {
        throw new KernelBug(`${who}: slot ${slot} is on the free stack twice`);
      }
      onStack[slot] = 1;
      if (this.swapMap[slot] !== 0 || this.swapCache[slot] !== -1) {
        throw new KernelBug(
          `${who}: slot ${slot} is on the free stack but in use (count ${this.swapMap[slot]}, cached pfn ${this.swapCache[slot]})`,
        );
      }
    }
    let cached = 0;
    for (let slot = 1; slot <= this.total; slot++) {
      const count = this.swapMap[slot] as number;
      const pfn = this.swapCache[slot] as number;
      if (count < 0) throw new KernelBug(`${who}: slot ${slot} has negative count ${count}`);
      if (pfn < -1) throw new KernelBug(`${who}: slot ${slot} has cached pfn ${pfn}`);
      if (pfn !== -1) cached++;
      if (count === 0 && pfn === -1 && onStack[slot] === 0) {
        throw new KernelBug(`${who}: slot ${slot} is free but not on the free stack (leaked)`);
      }
    }
    if (cached !== this.nrCached) {
      throw new KernelBug(
        `${who}: cached counter ${this.nrCached} but ${cached} slots have a cached page`,
      );
    }
  }

  /**
   * This area's line of /proc/swaps, trailing newline included, as
   * `swap_show` prints it (see the file header for the format).
   *
   * @param pageSizeKiB - KiB per slot (default `store.pageSize / 1024`).
   * @throws KernelBug when `pageSizeKiB` is not a positive integer.
   */
  procSwapsLine(pageSizeKiB: number = this.store.pageSize / 1024): string {
    if (!Number.isInteger(pageSizeKiB) || pageSizeKiB < 1) {
      throw new KernelBug(
        `SwapArea.procSwapsLine: page size ${pageSizeKiB} KiB is not a positive integer`,
      );
    }
    const path = mangleSwapPath(this.store.description);
    const len = utf8.encode(path).length;
    const size = this.total * pageSizeKiB;
    const used = this.used * pageSizeKiB;
    return (
      `${path}${' '.repeat(len < 40 ? 40 - len : 1)}` +
      `${this.store.kind === 'file' ? 'file\t' : 'partition'}\t` +
      `${size}\t${size < 10_000_000 ? '\t' : ''}` +
      `${used}\t${used < 10_000_000 ? '\t' : ''}` +
      `${this.priority}\n`
    );
  }

  private checkSlot(fn: string, slot: number): void {
    if (!Number.isInteger(slot) || slot < 1 || slot > this.total) {
      throw new KernelBug(
        slot === 0
          ? `SwapArea.${fn}: slot 0 is the swap header, never a swap entry`
          : `SwapArea.${fn}: slot ${slot} is outside swap type ${this.type} (1..${this.total})`,
      );
    }
  }

  private checkInUse(fn: string, slot: number): void {
    this.checkSlot(fn, slot);
    if (this.swapMap[slot] === 0 && this.swapCache[slot] === -1) {
      throw new KernelBug(`SwapArea.${fn}: slot ${slot} of swap type ${this.type} is free`);
    }
  }

  private checkPfn(fn: string, pfn: number): void {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn > MAX_SWAP_COUNT) {
      throw new KernelBug(
        `SwapArea.${fn}: pfn ${pfn} is not an integer from 0 to ${MAX_SWAP_COUNT}`,
      );
    }
  }

  private pushFree(slot: number): void {
    this.freeStack[this.nrFree++] = slot;
  }
}

/** The /proc/swaps header line (`swap_show` with `SEQ_START_TOKEN`). */
const SWAPS_HEADER = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';

/**
 * A path as `seq_file_path(m, file, " \t\n\\")` prints it: `mangle_path`
 * writes each of space, tab, newline and backslash as a backslash and three
 * octal digits (`/swap file` prints as `/swap\040file`).
 */
function mangleSwapPath(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * /proc/swaps for the given areas, in Linux 6.x's exact format: the header,
 * then one line per area in swap-type order (as `swap_next` walks
 * `swap_info[]`). See the `swap-area.ts` header for the format.
 *
 * Counterpart: `swap_show` (mm/swapfile.c).
 *
 * @example
 * ```ts
 * renderSwaps([new SwapArea(new SimSwapStore(262145, 4096))]);
 * // 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' +
 * // '/dev/mmsim-swap                         partition\t1048576\t\t0\t\t-2\n'
 * ```
 * @throws KernelBug when two areas have the same swap type.
 */
export function renderSwaps(areas: readonly SwapArea[]): string {
  const sorted = [...areas].sort((a, b) => a.type - b.type);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.type === sorted[i - 1]?.type) {
      throw new KernelBug(`renderSwaps: two areas have swap type ${sorted[i]?.type}`);
    }
  }
  return SWAPS_HEADER + sorted.map((a) => a.procSwapsLine()).join('');
}
