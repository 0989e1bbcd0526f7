/**
 * The simulated clock: time derived from the machine's event counters,
 * so that it moves with faults, allocations, reclaim and swap I/O, never
 * goes back, and is the same for the same work. dmesg timestamps and
 * /proc/uptime read it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EVENT_COST_NS,
  Kernel,
  KernelBug,
  MAP_ANONYMOUS,
  MAP_NORESERVE,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
  renderUptime,
  SimClock,
  VmEvents,
} from '../src/index.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

/** The seconds of each dmesg line's `[%5lu.%06lu]` prefix. */
function timestamps(dmesg: string): number[] {
  return dmesg
    .trimEnd()
    .split('\n')
    .map((line) => {
      const m = /^\[\s*(\d+)\.(\d{6})\] /.exec(line);
      if (m === null) throw new Error(`no timestamp: ${line}`);
      return Number(m[1]) * 1e6 + Number(m[2]);
    });
}

/** A workload that faults, allocates, swaps and finally runs out of memory. */
function workload(k: Kernel, pages: number): void {
  const P = k.PAGE_SIZE;
  const p = k.spawn({ name: 'work' });
  const va = p.sys.mmap(0, pages * P, RW, ANON | MAP_NORESERVE, -1, 0);
  if (va < 0) throw new Error(`mmap: ${va}`);
  try {
    for (let i = 0; i < pages; i++) p.store8(va + i * P, i & 0xff);
    for (let i = 0; i < pages; i += 3) p.load8(va + i * P);
  } catch {
    // The OOM killer took it.
  }
}

describe('SimClock', () => {
  it('is the weighted sum of the event counters', () => {
    const events = new VmEvents();
    const clock = new SimClock(events);
    expect(clock.nowNs()).toBe(0);
    events.count('pgfault', 1000);
    expect(clock.nowNs()).toBe(1000 * (EVENT_COST_NS.pgfault as number));
    events.count('pswpout', 2);
    events.count('nr_slab_reclaimable', 99); // not an event the clock reads
    expect(clock.nowNs()).toBe(
      1000 * (EVENT_COST_NS.pgfault as number) + 2 * (EVENT_COST_NS.pswpout as number),
    );
  });

  it('never goes back, whatever events are counted', () => {
    const names = Object.keys(EVENT_COST_NS);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...names), fc.integer({ min: 0, max: 1000 }))),
        (counts) => {
          const events = new VmEvents();
          const clock = new SimClock(events);
          let last = clock.nowNs();
          for (const [name, n] of counts) {
            events.count(name, n);
            const now = clock.nowNs();
            expect(now).toBeGreaterThanOrEqual(last);
            last = now;
          }
        },
      ),
    );
  });

  it('takes other costs, and refuses a negative or non-finite one', () => {
    const events = new VmEvents();
    events.count('pgfault', 3);
    expect(new SimClock(events, { pgfault: 7 }).nowNs()).toBe(21);
    expect(() => new SimClock(events, { pgfault: -1 })).toThrow(KernelBug);
    expect(() => new SimClock(events, { pgfault: Number.NaN })).toThrow(KernelBug);
  });
});

describe('the machine clock', () => {
  it('dmesg timestamps advance with the work and never go back; the OOM report is stamped later', () => {
    const k = Kernel.boot({ memory: '16M', swap: { size: '4M' } });
    const boot = timestamps(k.dmesg());
    expect(boot[0]).toBe(0);
    workload(k, 6000);
    const log = k.dmesg();
    expect(log).toContain('Out of memory: Killed process');
    const all = timestamps(log);
    for (let i = 1; i < all.length; i++)
      expect(all[i]).toBeGreaterThanOrEqual(all[i - 1] as number);
    const oomLine = log.split('\n').findIndex((l) => l.includes('invoked oom-killer'));
    expect(all[oomLine]).toBeGreaterThan(boot[boot.length - 1] as number);
    expect(all[oomLine]).toBeGreaterThan(1000); // more than a millisecond of simulated work
  });

  it('the same boot options and work give the same timestamps; different work, different ones', () => {
    const run = (pages: number) => {
      const k = Kernel.boot({ memory: '16M', swap: { size: '4M' }, seed: 7 });
      workload(k, pages);
      return { dmesg: k.dmesg(), uptime: k.proc('/proc/uptime') };
    };
    const a = run(6000);
    expect(run(6000)).toEqual(a);
    expect(run(5000).dmesg).not.toBe(a.dmesg);
  });

  it('/proc/uptime: two figures with two decimals; idle is the other CPUs the whole time', () => {
    for (const cpus of [1, 2, 4]) {
      const k = Kernel.boot({ memory: '32M', cpus, swap: { size: '16M' } });
      const before = k.proc('/proc/uptime');
      expect(before).toMatch(/^\d+\.\d\d \d+\.\d\d\n$/);
      workload(k, 12000);
      const text = k.proc('/proc/uptime');
      const [up, idle] = text.trim().split(' ').map(Number) as [number, number];
      expect(up).toBeGreaterThan(Number(before.split(' ')[0]));
      const ns = k.clock.nowNs();
      expect(text).toBe(renderUptime(ns, cpus));
      expect(up).toBe(Math.floor(ns / 1e7) / 100);
      expect(idle).toBe(Math.floor((ns * (cpus - 1)) / 1e7) / 100);
      // Reading /proc is not work.
      expect(k.proc('/proc/uptime')).toBe(text);
    }
  });

  it('renderUptime truncates to hundredths', () => {
    expect(renderUptime(0, 1)).toBe('0.00 0.00\n');
    expect(renderUptime(1_239_999_999, 1)).toBe('1.23 0.00\n');
    expect(renderUptime(1_234_567_890, 3)).toBe('1.23 2.46\n');
    expect(renderUptime(3600e9 + 5e7, 2)).toBe('3600.05 3600.05\n');
  });
});
