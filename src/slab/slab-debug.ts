/**
 * Slab debugging (`slub_debug=FZPU`, mm/slub.c's debug half): red zones
 * around objects catch writes past either end, poison in free objects
 * catches writes after free, and a track of the last alloc and free says
 * who did what. Checks run on alloc and free; a failure is reported as
 * Linux reports it (`BUG <cache> (...): Right Redzone overwritten`), the
 * damaged bytes are restored (`Restoring ...`), and the allocator goes on.
 *
 * The layout of an object slot with debugging (calculate_sizes):
 *
 * ```
 * | left red zone | object (objectSize) | right red zone to inuse | free pointer | alloc track | free track | pad |
 *   redLeftPad      ^ the pointer users get
 * ```
 */
import { formatAddress } from '../page/address.js';
import { LogLevel } from '../page/kernel-log.js';
import type { PhysicalMemory } from '../page/physical-memory.js';
import {
  POISON_END,
  POISON_FREE,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  SLUB_RED_ACTIVE,
  SLUB_RED_INACTIVE,
} from './slab-flags.js';

/** The geometry debugging needs of a cache. */
export interface DebugLayout {
  readonly name: string;
  readonly flags: number;
  readonly objectSize: number;
  /** End of the object and its right red zone, from the object start (`inuse`). */
  readonly inuse: number;
  /** Bytes of left red zone before each object. */
  readonly redLeftPad: number;
  /** Offset of the tracks from the object start, when SLAB_STORE_USER. */
  readonly trackOffset: number;
  /** Whether objects are poisoned (`__OBJECT_POISON`: POISON and no ctor). */
  readonly poison: boolean;
}

/** Where reports go and what they say. */
export interface DebugSink {
  readonly memory: PhysicalMemory;
  report(cacheName: string, message: string, details?: readonly string[]): void;
  log: { printk(level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7, message: string): void };
  /** `__va` of a physical address. */
  virt(pa: number): number;
}

/** `sizeof(struct track)`: addr, stack handle, cpu, pid, when. */
export function trackSize(pointerSize: number): number {
  return pointerSize === 8 ? 32 : 20;
}

function fill(memory: PhysicalMemory, pa: number, len: number, byte: number): void {
  if (len > 0) memory.write(pa, new Uint8Array(len).fill(byte));
}

/**
 * `init_object`: lays poison and red zones over an object slot. `active`
 * is true for an allocated object (red zone 0xcc, contents left alone),
 * false for a free one (red zone 0xbb, poison 0x6b..0xa5).
 */
export function initObject(
  sink: DebugSink,
  layout: DebugLayout,
  objectPa: number,
  active: boolean,
): void {
  const { memory } = sink;
  const red = active ? SLUB_RED_ACTIVE : SLUB_RED_INACTIVE;
  if ((layout.flags & SLAB_RED_ZONE) !== 0) {
    fill(memory, objectPa - layout.redLeftPad, layout.redLeftPad, red);
    fill(memory, objectPa + layout.objectSize, layout.inuse - layout.objectSize, red);
  }
  if (layout.poison && !active) {
    fill(memory, objectPa, layout.objectSize - 1, POISON_FREE);
    memory.store8(objectPa + layout.objectSize - 1, POISON_END);
  }
}

/** Finds the first byte in `[pa, pa + len)` that is not `byte`; -1 if none. */
function firstMismatch(memory: PhysicalMemory, pa: number, len: number, byte: number): number {
  if (len <= 0) return -1;
  const bytes = memory.read(pa, len);
  for (let i = 0; i < len; i++) if (bytes[i] !== byte) return pa + i;
  return -1;
}

/**
 * `check_object`: verifies the red zones (and, for a free object, the
 * poison). Each damage is reported and repaired. Returns whether all held.
 */
export function checkObject(
  sink: DebugSink,
  layout: DebugLayout,
  objectPa: number,
  active: boolean,
): boolean {
  const { memory } = sink;
  const red = active ? SLUB_RED_ACTIVE : SLUB_RED_INACTIVE;
  let ok = true;
  const damage = (what: string, start: number, len: number, expected: number): void => {
    const first = firstMismatch(memory, start, len, expected);
    if (first < 0) return;
    ok = false;
    const found = memory.load8(first);
    sink.report(layout.name, `${what} overwritten`, [
      `0x${sink.virt(first).toString(16)}-0x${sink.virt(start + len - 1).toString(16)} @offset=${first - objectPa}. First byte 0x${found.toString(16)} instead of 0x${expected.toString(16)}`,
      `Object ${formatAddress(sink.virt(objectPa))}`,
    ]);
    sink.log.printk(
      LogLevel.ERR,
      `FIX ${layout.name}: Restoring ${what} 0x${sink.virt(start).toString(16)}-0x${sink.virt(start + len - 1).toString(16)}=0x${expected.toString(16)}`,
    );
    fill(memory, start, len, expected);
  };
  if ((layout.flags & SLAB_RED_ZONE) !== 0) {
    damage('Left Redzone', objectPa - layout.redLeftPad, layout.redLeftPad, red);
    damage('Right Redzone', objectPa + layout.objectSize, layout.inuse - layout.objectSize, red);
  }
  if (layout.poison && !active) {
    damage('Poison', objectPa, layout.objectSize - 1, POISON_FREE);
    damage('End Poison', objectPa + layout.objectSize - 1, 1, POISON_END);
  }
  return ok;
}

/** `set_track`: records who allocated (or freed) the object: CPU and simulated time. */
export function setTrack(
  sink: DebugSink,
  layout: DebugLayout,
  objectPa: number,
  free: boolean,
  cpu: number,
  when: number,
  pointerSize: number,
): void {
  if ((layout.flags & SLAB_STORE_USER) === 0) return;
  const track = objectPa + layout.trackOffset + (free ? trackSize(pointerSize) : 0);
  // struct track { addr; handle; cpu; pid; when }: mmsim has no caller addresses; it records cpu and when.
  sink.memory.store32(track + pointerSize + 4, cpu);
  sink.memory.store32(track + pointerSize + 8, 0);
  sink.memory.store32(track + pointerSize + 12, when >>> 0);
}

/** Whether a cache does any per-object debug work. */
export function hasObjectDebug(flags: number): boolean {
  return (flags & (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER)) !== 0;
}
