/**
 * Who owns each frame: one owner code per pfn, read from the struct page
 * array alone, in the spirit of Linux's page_owner and of
 * tools/mm/page-types (which classify frames from /proc/kpageflags).
 *
 * One pass over the frames, a block at a time, plus a walk of the per-CPU
 * lists; the result is a single `Uint32Array` (nothing else is allocated per
 * frame). The rules, in the order they are tried:
 *
 * | frame                                                  | owner                         |
 * | ------------------------------------------------------ | ----------------------------- |
 * | in a block on a per-CPU list                           | free, order 0 (as buddyinfo does not count it, the picture shows it as the smallest free) |
 * | in a free buddy block (head: PageBuddy, order in `private`) | free, that order          |
 * | in an allocated block whose head has PG_slab           | slab, the cache in `mapping` (SLOB's shared heap: id 0) |
 * | in an allocated block whose head is PageLargeKmalloc   | large kmalloc                 |
 * | an allocated frame that is PageTable                   | page table                    |
 * | ... with PG_swapcache                                  | swap cache                    |
 * | ... with PG_anon                                       | anonymous                     |
 * | ... with PG_swapbacked (and not PG_anon)               | shmem                         |
 * | ... on an LRU list (PG_lru) otherwise                  | file cache                    |
 * | ... none of these                                      | kernel (an allocation of the kernel's own) |
 * | PG_reserved, or in no allocator's hands                | reserved                      |
 *
 * Block walking makes the pass cost O(frames) with one typed-array fill per
 * block: a free block of order 10 is 1024 frames filled at once.
 */
import { MIGRATE_PCPTYPES } from '../gfp/migratetype.js';
import type { Kernel } from '../kernel.js';
import {
  ALLOC_ORDER_MASK,
  ALLOC_ORDER_SHIFT,
  PAGE_TYPE_SHIFT,
  PageType,
  PG,
} from '../page/page-flags.js';
import { describeValue } from '../page/validate.js';

/** The largest free-block order (`MAX_PAGE_ORDER`). */
const MAX_ORDER = 10;

/**
 * Owner codes, one per frame in {@link FrameOwners.owner}.
 *
 * Codes `free + order` (0..10) are free frames by the order of the block
 * they lie in; codes from `slab` up are slab pages, `slab + cache id`.
 *
 * @example
 * ```ts
 * const owners = classifyFrames(k);
 * owners.owner[pfn] === Owner.anon; // an anonymous page
 * owners.owner[pfn] === Owner.free + 3; // inside a free block of order 3
 * ```
 */
export const Owner = {
  /** Free in a block of order 0; `free + order` for larger blocks. */
  free: 0,
  /** A page-table page (`PageTable`). */
  pageTable: 11,
  /** An anonymous page (PG_anon). */
  anon: 12,
  /** A shmem page: swap-backed, not anonymous (shared anonymous memory). */
  shmem: 13,
  /** A page-cache page of a file. */
  file: 14,
  /** A page in the swap cache (PG_swapcache). */
  swapCache: 15,
  /** Reserved at boot (PG_reserved): firmware, kernel image, mem_map ... */
  reserved: 16,
  /** Allocated by the kernel for itself, none of the above (the zero page, `allocPages` callers). */
  kernel: 17,
  /** A kmalloc too large for the kmalloc caches (`PageLargeKmalloc`). */
  largeKmalloc: 18,
  /** Slab pages of cache `id` have code `slab + id`. */
  slab: 32,
} as const;

/**
 * The kind of owner a code names, without its order or cache.
 *
 * @example
 * ```ts
 * const kind: OwnerKind = ownerKindOf(Owner.slab + 7); // 'slab'
 * ```
 */
export type OwnerKind =
  | 'free'
  | 'slab'
  | 'page-table'
  | 'anon'
  | 'shmem'
  | 'file'
  | 'swap-cache'
  | 'reserved'
  | 'kernel'
  | 'large-kmalloc';

/**
 * Owner kinds in the order pictures list them.
 *
 * @example
 * ```ts
 * OWNER_KINDS.indexOf('free'); // 0: free memory is listed first
 * ```
 */
export const OWNER_KINDS: readonly OwnerKind[] = Object.freeze([
  'free',
  'slab',
  'large-kmalloc',
  'kernel',
  'page-table',
  'anon',
  'shmem',
  'swap-cache',
  'file',
  'reserved',
]);

/**
 * The owner of every frame of a machine, at one moment ({@link classifyFrames}).
 *
 * @example
 * ```ts
 * const { frames, owner, slabNames } = classifyFrames(k);
 * slabNames.get(owner[pfn] - Owner.slab); // e.g. 'kmalloc-64', for a slab frame
 * ```
 */
export interface FrameOwners {
  /** Frames described (`memory.frames`). */
  readonly frames: number;
  /** An {@link Owner} code per pfn. */
  readonly owner: Uint32Array;
  /** The name of each slab cache that owns frames, by cache id. */
  readonly slabNames: ReadonlyMap<number, string>;
  /** The largest code in {@link FrameOwners.owner}. */
  readonly maxCode: number;
}

const UNSET = 0xffffffff;
const ALLOCATED_BIT = 1 << PG.allocated;
const RESERVED_BIT = 1 << PG.reserved;
const SLAB_BIT = 1 << PG.slab;
const SWAPCACHE_BIT = 1 << PG.swapcache;
const ANON_BIT = 1 << PG.anon;
const SWAPBACKED_BIT = 1 << PG.swapbacked;
const LRU_BIT = 1 << PG.lru;

/**
 * Classifies every frame of `kernel` by owner (see the module comment for
 * the rules). Only reads the machine; O(frames).
 *
 * @example
 * ```ts
 * const k = Kernel.boot({ memory: '16M' });
 * const owners = classifyFrames(k);
 * ownerKey(owners, owners.owner[0] ?? 0); // 'reserved' (the firmware's first page)
 * ```
 */
export function classifyFrames(kernel: Kernel): FrameOwners {
  const m = kernel.memMap;
  const frames = m.frames;
  const flags = m.flags;
  const owner = new Uint32Array(frames).fill(UNSET);

  // Per-CPU lists first: only their head frame says it is on one, and the
  // order is the list's.
  for (const zone of kernel.zones) {
    for (const pcp of zone.pcp) {
      for (let list = 0; list < pcp.heads.length; list++) {
        const order = Math.floor(list / MIGRATE_PCPTYPES);
        let n = 0;
        for (let pfn = pcp.heads[list] as number; pfn >= 0 && pfn < frames; ) {
          owner.fill(Owner.free, pfn, Math.min(frames, pfn + (1 << order)));
          pfn = m.next[pfn] as number;
          if (++n > frames) break; // a corrupt list: checkInvariants reports it
        }
      }
    }
  }

  const slabNames = new Map<number, string>();
  let maxCode: number = Owner.largeKmalloc;
  let pfn = 0;
  while (pfn < frames) {
    if (owner[pfn] !== UNSET) {
      pfn++;
      continue;
    }
    const f = flags[pfn] as number;
    const type = f >>> PAGE_TYPE_SHIFT;
    if (type === PageType.buddy) {
      const order = m.private[pfn] as number;
      const span = order >= 0 && order <= MAX_ORDER ? 1 << order : 1;
      const end = Math.min(frames, pfn + span);
      owner.fill(Owner.free + Math.min(Math.max(order, 0), MAX_ORDER), pfn, end);
      pfn = end;
      continue;
    }
    if ((f & ALLOCATED_BIT) !== 0) {
      const order = (f >>> ALLOC_ORDER_SHIFT) & ALLOC_ORDER_MASK;
      const end = Math.min(frames, pfn + (1 << Math.min(order, MAX_ORDER)));
      if ((f & SLAB_BIT) !== 0) {
        const id = m.mapping[pfn] as number;
        const code = Owner.slab + Math.max(id, 0);
        if (!slabNames.has(id)) slabNames.set(id, slabCacheName(kernel, id));
        if (code > maxCode) maxCode = code;
        owner.fill(code, pfn, end);
      } else if (type === PageType.largeKmalloc) {
        owner.fill(Owner.largeKmalloc, pfn, end);
      } else {
        for (let p = pfn; p < end; p++) owner[p] = allocatedFrameOwner(flags[p] as number);
      }
      pfn = end;
      continue;
    }
    // PG_reserved from boot, or (never, in a consistent machine) in no
    // allocator's hands: either way the page allocator cannot hand it out.
    owner[pfn] = Owner.reserved;
    pfn++;
  }
  return { frames, owner, slabNames, maxCode };
}

/** The owner of one frame of an allocated block that is neither slab nor large kmalloc. */
function allocatedFrameOwner(f: number): number {
  if (f >>> PAGE_TYPE_SHIFT === PageType.table) return Owner.pageTable;
  if ((f & SWAPCACHE_BIT) !== 0) return Owner.swapCache;
  if ((f & ANON_BIT) !== 0) return Owner.anon;
  if ((f & SWAPBACKED_BIT) !== 0) return Owner.shmem;
  if ((f & LRU_BIT) !== 0) return Owner.file;
  if ((f & RESERVED_BIT) !== 0) return Owner.reserved;
  return Owner.kernel;
}

/** The name of the slab cache with `id`, or of SLOB's shared heap (id 0). */
function slabCacheName(kernel: Kernel, id: number): string {
  const cache = kernel.slab.cacheWithId?.(id);
  if (cache !== undefined) return cache.name;
  if (id === 0 && kernel.slab.kind === 'slob') return 'SLOB heap';
  return `cache #${id}`;
}

/**
 * The kind of owner a code names.
 *
 * @example
 * ```ts
 * ownerKindOf(Owner.free + 3); // 'free'
 * ownerKindOf(Owner.anon); // 'anon'
 * ```
 */
export function ownerKindOf(code: number): OwnerKind {
  if (!(typeof code === 'number' && Number.isInteger(code) && code >= 0)) {
    throw new RangeError(`ownerKindOf: code ${describeValue(code)} is not a non-negative integer`);
  }
  if (code >= Owner.slab) return 'slab';
  if (code <= Owner.free + MAX_ORDER) return 'free';
  switch (code) {
    case Owner.pageTable:
      return 'page-table';
    case Owner.anon:
      return 'anon';
    case Owner.shmem:
      return 'shmem';
    case Owner.file:
      return 'file';
    case Owner.swapCache:
      return 'swap-cache';
    case Owner.largeKmalloc:
      return 'large-kmalloc';
    case Owner.kernel:
      return 'kernel';
    default:
      return 'reserved';
  }
}

/**
 * A code as a string key: `free:<order>`, `slab:<cache name>`, or the kind
 * (`anon`, `page-table`, ...). This is what pictures put in `data-owner`.
 *
 * @example
 * ```ts
 * const owners = classifyFrames(Kernel.boot({ memory: '16M' }));
 * ownerKey(owners, Owner.free + 10); // 'free:10'
 * ```
 */
export function ownerKey(owners: FrameOwners, code: number): string {
  if (!(typeof code === 'number' && Number.isInteger(code) && code >= 0)) {
    throw new RangeError(`ownerKey: code ${describeValue(code)} is not a non-negative integer`);
  }
  const kind = ownerKindOf(code);
  if (kind === 'free') return `free:${code - Owner.free}`;
  if (kind === 'slab') {
    const id = code - Owner.slab;
    return `slab:${owners.slabNames.get(id) ?? `cache #${id}`}`;
  }
  return kind;
}

/**
 * Frames per owner code: element `code` counts the frames whose owner is
 * `code` (an array of `maxCode + 1` counts).
 *
 * @example
 * ```ts
 * const owners = classifyFrames(Kernel.boot({ memory: '16M' }));
 * framesPerCode(owners)[Owner.reserved]; // the frames boot reserved
 * ```
 */
export function framesPerCode(owners: FrameOwners): Float64Array {
  const perCode = new Float64Array(owners.maxCode + 1);
  const o = owners.owner;
  for (let i = 0; i < o.length; i++) {
    const code = o[i] as number;
    perCode[code] = (perCode[code] as number) + 1;
  }
  return perCode;
}

/**
 * Frames per owner key ({@link ownerKey}), in a deterministic order: by
 * kind as {@link OWNER_KINDS} lists them, free orders ascending, slab
 * caches by name.
 *
 * @example
 * ```ts
 * const counts = countFrameOwners(classifyFrames(Kernel.boot({ memory: '16M' })));
 * counts.get('reserved'); // the frames boot reserved
 * ```
 */
export function countFrameOwners(owners: FrameOwners): Map<string, number> {
  const perCode = framesPerCode(owners);
  const byKey = new Map<string, number>();
  for (let code = 0; code <= owners.maxCode; code++) {
    const n = perCode[code] as number;
    if (n === 0) continue;
    const key = ownerKey(owners, code);
    byKey.set(key, (byKey.get(key) ?? 0) + n);
  }
  return new Map([...byKey].sort((a, b) => compareOwnerKeys(a[0], b[0])));
}

/**
 * Orders owner keys by kind ({@link OWNER_KINDS}), then free order, then name.
 *
 * @example
 * ```ts
 * ['anon', 'free:3', 'free:0'].sort(compareOwnerKeys); // ['free:0', 'free:3', 'anon']
 * ```
 */
export function compareOwnerKeys(a: string, b: string): number {
  if (typeof a !== 'string' || typeof b !== 'string') {
    throw new TypeError(
      `compareOwnerKeys: keys ${describeValue(a)} and ${describeValue(b)} must be strings`,
    );
  }
  const kindA = keyKind(a);
  const kindB = keyKind(b);
  if (kindA !== kindB) return OWNER_KINDS.indexOf(kindA) - OWNER_KINDS.indexOf(kindB);
  if (kindA === 'free') return Number(a.slice(5)) - Number(b.slice(5));
  return a < b ? -1 : a > b ? 1 : 0;
}

function keyKind(key: string): OwnerKind {
  const colon = key.indexOf(':');
  return (colon < 0 ? key : key.slice(0, colon)) as OwnerKind;
}
