/**
 * Snapshots of allocator state as text, for checking that a refused call
 * changed nothing (`expectRejected`): the lists and counters /proc shows,
 * the per-CPU page lists, and a hash of the struct page array (every
 * frame's flags, order, refcount and owner), so that a change to any frame
 * shows even where no counter moves.
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import type { Kernel } from '../kernel.js';
import type { PhysicalMemory } from '../page/physical-memory.js';

/** FNV-1a over `len` bytes of RAM at `pa`, in hex. */
export function hashBytes(memory: PhysicalMemory, pa: number, len: number): string {
  const bytes = memory.read(pa, len);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * A page allocator's whole state as text: free lists by order and
 * migratetype, free counts, every CPU's pcp lists, and a hash of the
 * struct page array.
 *
 * @example
 * ```ts
 * const before = buddyState(buddy);
 * // ... a call that must be refused ...
 * buddyState(buddy) === before; // true
 * ```
 */
export function buddyState(buddy: BuddyAllocator): string {
  const lines = buddy.zones.map(
    (z) =>
      `${z.name}: free ${[...z.freeCounts].join(',')} | ${z.freePages} | pcp ${z.pcp
        .map((p) => [...p.ints].join(','))
        .join(';')}`,
  );
  const mm = buddy.memMap;
  lines.push(`mem_map ${hashBytes(buddy.memory, mm.base, mm.bytes)}`);
  return lines.join('\n');
}

/**
 * A machine's allocator state as text: /proc/slabinfo, the page
 * allocator's state ({@link buddyState}) and /proc/buddyinfo. What a call
 * that throws `KernelBug` must leave exactly as it was.
 *
 * @example
 * ```ts
 * expectRejected(() => k.kfree(p), () => kernelState(k), 'a second kfree');
 * ```
 */
export function kernelState(k: Kernel): string {
  return `${k.proc('/proc/slabinfo')}${k.proc('/proc/buddyinfo')}${buddyState(k.buddy)}`;
}
