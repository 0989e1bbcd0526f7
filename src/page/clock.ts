/**
 * The machine's simulated clock: time since boot that moves with the work
 * the machine does, never with the host's clock.
 *
 * Design: nothing on a hot path pays for time. The machine already counts
 * its work in {@link VmEvents} (faults, page allocations and frees, swap
 * and file I/O, pages scanned and reclaimed, OOM kills); the clock is
 * derived from those counters on demand, each one weighed by a nominal cost
 * in nanoseconds ({@link EVENT_COST_NS}). Reading the clock walks a table
 * of a couple of dozen entries; counting an event stays one typed-array
 * add.
 *
 * Properties that follow:
 * - monotonic: every counter in the table only grows (they are event
 *   counts, `vm_event_item`, never the page-state gauges), and every cost
 *   is non-negative, so the time never goes back;
 * - deterministic: the same seed drives the same work, so the same
 *   timestamps, on any host at any speed;
 * - stored with the machine: the time is a function of counters the
 *   machine keeps, so it needs no state of its own.
 *
 * Time passes only while the machine works: a machine left alone does not
 * age, and two log lines with no work between them carry the same time.
 * The costs are nominal, chosen to give plausible magnitudes (a minor
 * fault of about a microsecond, a 4 KiB swap or disk transfer of tens of
 * microseconds), not measurements of any one machine.
 *
 * Consumers: printk timestamps (`[    0.012345]`, `KernelLog`), and
 * `/proc/uptime`.
 */
import { KernelBug } from './errors.js';
import { describeValue } from './validate.js';
import { VmEvents } from './vm-events.js';

/** A source of simulated time since boot (`ktime_get_boottime`), in nanoseconds. */
export interface Clock {
  /** Nanoseconds since boot. Never decreases. */
  nowNs(): number;
}

/**
 * Nominal cost, in nanoseconds, of one count of each event counter the
 * clock reads. Counters that count the same work twice (`pgscan_anon` and
 * `pgscan_file` split what `pgscan_kswapd` and `pgscan_direct` count) are
 * left out, so no work is charged twice.
 */
export const EVENT_COST_NS: Readonly<Record<string, number>> = {
  /** Any page fault: the exception, the VMA lookup, a PTE update, zeroing a page. */
  pgfault: 1_000,
  /** The extra path of a fault that had to wait for I/O (the I/O itself is pswpin or pgpgin). */
  pgmajfault: 2_000,
  /** One page read from swap. */
  pswpin: 40_000,
  /** One page written to swap. */
  pswpout: 40_000,
  /** One KiB read from the disk by the page cache. */
  pgpgin: 10_000,
  /** One KiB written back to the disk. */
  pgpgout: 10_000,
  /** One page taken from the buddy allocator, per zone. */
  pgalloc_dma: 200,
  pgalloc_dma32: 200,
  pgalloc_normal: 200,
  pgalloc_high: 200,
  pgalloc_movable: 200,
  /** One page given back. */
  pgfree: 100,
  /** A direct-reclaim stall, per zone (entering reclaim from an allocation). */
  allocstall_dma: 1_000,
  allocstall_dma32: 1_000,
  allocstall_normal: 1_000,
  allocstall_high: 1_000,
  allocstall_movable: 1_000,
  /** One page scanned on an LRU list by kswapd or direct reclaim. */
  pgscan_kswapd: 100,
  pgscan_direct: 100,
  /** One page reclaimed (unmapped and freed; its I/O is counted apart). */
  pgsteal_kswapd: 300,
  pgsteal_direct: 300,
  /** One page moved between the active and inactive lists. */
  pgrefill: 100,
  pgactivate: 50,
  pgdeactivate: 50,
  /** A lazily freed (MADV_FREE) page dropped by reclaim. */
  pglazyfreed: 300,
  /** One kswapd run (`balance_pgdat`). */
  pageoutrun: 1_000,
  /** One slab object a shrinker was asked to scan. */
  slabs_scanned: 10,
  /** One OOM kill: choosing the victim, the report, tearing it down. */
  oom_kill: 100_000,
};

/**
 * The clock of a machine, derived from its event counters.
 *
 * @example
 * ```ts
 * const events = new VmEvents();
 * const clock = new SimClock(events);
 * events.count('pgfault', 1000);
 * clock.nowNs(); // 1_000_000: a thousand faults at a microsecond each
 * ```
 */
export class SimClock implements Clock {
  private readonly costs: readonly (readonly [string, number])[];

  /**
   * @param events - the machine's event counters.
   * @param costs - nanoseconds per count of each counter (default {@link EVENT_COST_NS}).
   */
  constructor(
    private readonly events: VmEvents,
    costs: Readonly<Record<string, number>> = EVENT_COST_NS,
  ) {
    if (!(events instanceof VmEvents)) {
      throw new KernelBug(`SimClock: ${describeValue(events)} is not a VmEvents`);
    }
    if (typeof costs !== 'object' || costs === null) {
      throw new KernelBug(`SimClock: costs ${describeValue(costs)} is not an object`);
    }
    for (const [name, ns] of Object.entries(costs)) {
      if (typeof ns !== 'number' || !(Number.isFinite(ns) && ns >= 0)) {
        throw new KernelBug(
          `SimClock: cost of ${name} is ${describeValue(ns)}, not a non-negative number`,
        );
      }
    }
    this.costs = Object.entries(costs);
  }

  /** Nanoseconds since boot: the weighted sum of the event counters. */
  nowNs(): number {
    let ns = 0;
    for (const [name, cost] of this.costs) ns += this.events.get(name) * cost;
    return ns;
  }
}
