/**
 * Tests of the standalone replacement policies (src/vm/reclaim/policy):
 * hand-checked miss counts on Belady's trace, input validation, properties
 * over random traces (OPT is optimal, LRU and OPT are stack algorithms,
 * hits + misses = length, the simulator never overfills memory nor evicts a
 * page that is not resident), model-based tests that run each policy
 * object beside a plain-array model of it and compare after every command,
 * the LRU-2Q rules of mm/vmscan.c and mm/swap.c one by one, and the trace
 * generators.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelBug } from '../src/page/errors.js';
import {
  ClockPolicy,
  createPolicy,
  FifoPolicy,
  hotColdTrace,
  Lru2QPolicy,
  LruPolicy,
  loopingTrace,
  OptPolicy,
  POLICY_NAMES,
  type PolicyName,
  type ReplacementPolicy,
  scanPollutedTrace,
  simulatePolicy,
  simulateTrace,
  zipfTrace,
} from '../src/vm/reclaim/policy/index.js';

/** The classic trace of Belady, Nelson and Shedler (1969). */
const BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

const misses = (policy: PolicyName, trace: number[], frames: number): number =>
  simulatePolicy(policy, trace, frames).misses;

// --- plain-array models --------------------------------------------------------

type ModelName = Exclude<PolicyName, 'opt'>;

/** Tests and clears a bit of a bit set, as the simulator's `referenced` does. */
function testAndClear(bits: Set<number>, page: number): boolean {
  return bits.delete(page);
}

/**
 * The four online policies written the obvious way over arrays. `pages` is
 * in eviction order for FIFO and LRU (oldest / least recent first) and in
 * hand order for CLOCK; LRU-2Q has its two lists, newest first, and the set
 * of pages with PG_referenced.
 */
class ArrayModel {
  pages: number[] = [];
  active: number[] = [];
  inactive: number[] = [];
  readonly pgReferenced = new Set<number>();
  /** The simulator's reference bits, as the model sees them. */
  readonly bits = new Set<number>();

  constructor(readonly name: ModelName) {}

  get size(): number {
    return this.name === 'lru-2q' ? this.active.length + this.inactive.length : this.pages.length;
  }

  has(page: number): boolean {
    return this.name === 'lru-2q'
      ? this.active.includes(page) || this.inactive.includes(page)
      : this.pages.includes(page);
  }

  insert(page: number): void {
    if (this.name === 'lru-2q') this.inactive.unshift(page);
    else this.pages.push(page); // newest last; for CLOCK, just behind the hand
  }

  access(page: number): void {
    if (this.name === 'lru') {
      this.pages.splice(this.pages.indexOf(page), 1);
      this.pages.push(page);
    } else if (this.name === 'lru-2q') {
      // mark_page_accessed
      if (!this.pgReferenced.has(page)) this.pgReferenced.add(page);
      else if (!this.active.includes(page)) {
        this.inactive.splice(this.inactive.indexOf(page), 1);
        this.active.unshift(page);
        this.pgReferenced.delete(page);
      }
    }
  }

  remove(page: number): void {
    for (const list of [this.pages, this.active, this.inactive]) {
      const i = list.indexOf(page);
      if (i >= 0) list.splice(i, 1);
    }
    this.pgReferenced.delete(page);
  }

  evict(bits: Set<number>): number {
    const size = this.size;
    if (size === 0) return -1;
    if (this.name === 'fifo' || this.name === 'lru') return this.pages.shift() as number;
    if (this.name === 'clock') {
      for (let k = size; k > 0 && testAndClear(bits, this.pages[0] as number); k--)
        this.pages.push(this.pages.shift() as number);
      return this.pages.shift() as number;
    }
    for (let scans = 1; ; scans++) {
      while (this.inactive.length < this.active.length) {
        const p = this.active.pop() as number;
        testAndClear(bits, p);
        this.inactive.unshift(p);
      }
      const p = this.inactive.pop() as number;
      const young = testAndClear(bits, p) && scans <= size;
      if (!young) {
        this.pgReferenced.delete(p);
        return p;
      }
      if (this.pgReferenced.has(p)) this.active.unshift(p);
      else {
        this.pgReferenced.add(p);
        this.inactive.unshift(p);
      }
    }
  }
}

/** simulatePolicy, the slow way, over the array model. */
function referenceSimulate(name: ModelName, trace: number[], frames: number): number {
  const m = new ArrayModel(name);
  let miss = 0;
  for (const p of trace) {
    if (m.has(p)) {
      m.bits.add(p);
      m.access(p);
      continue;
    }
    miss++;
    if (m.size === frames) {
      const v = m.evict(m.bits);
      m.bits.delete(v);
    }
    m.insert(p);
    m.bits.add(p);
  }
  return miss;
}

/** Belady's MIN by brute force: O(n * frames * n). */
function beladyMisses(trace: number[], frames: number): number {
  const mem: number[] = [];
  let miss = 0;
  trace.forEach((p, i) => {
    if (mem.includes(p)) return;
    miss++;
    if (mem.length === frames) {
      let victim = 0;
      let farthest = -1;
      mem.forEach((q, j) => {
        const next = trace.indexOf(q, i + 1);
        const at = next === -1 ? Number.POSITIVE_INFINITY : next;
        if (at > farthest) {
          farthest = at;
          victim = j;
        }
      });
      mem.splice(victim, 1);
    }
    mem.push(p);
  });
  return miss;
}

const traceArb = fc.array(fc.nat({ max: 12 }), { maxLength: 200, size: 'max' });
const framesArb = fc.integer({ min: 1, max: 8 });

// --- hand-checked values -----------------------------------------------------

describe('Belady’s trace 1,2,3,4,1,2,5,1,2,3,4,5', () => {
  it('FIFO shows Belady’s anomaly: 9 misses with 3 frames, 10 with 4', () => {
    // 3 frames: 1 2 3 miss; 4 evicts 1, 1 evicts 2, 2 evicts 3, 5 evicts 4;
    // 1 and 2 hit; 3 evicts 1, 4 evicts 2; 5 hits. 9 misses.
    // 4 frames: 1 2 3 4 miss; 1 2 hit; 5 evicts 1, 1 evicts 2, 2 evicts 3,
    // 3 evicts 4, 4 evicts 5, 5 evicts 1. 10 misses.
    expect(simulatePolicy('fifo', BELADY, 3)).toEqual({ hits: 3, misses: 9 });
    expect(simulatePolicy('fifo', BELADY, 4)).toEqual({ hits: 2, misses: 10 });
  });

  it('LRU: 10 misses with 3 frames, 8 with 4', () => {
    // 3 frames (LRU first): [1 2 3]; 4 evicts 1 -> [2 3 4]; 1 evicts 2;
    // 2 evicts 3; 5 evicts 4 -> [1 2 5]; 1, 2 hit -> [5 1 2]; 3 evicts 5;
    // 4 evicts 1; 5 evicts 2. Misses: 1 2 3 4 1 2 5 3 4 5 = 10.
    // 4 frames: 1 2 3 4 miss; 1 2 hit -> [3 4 1 2]; 5 evicts 3; 1 2 hit ->
    // [4 5 1 2]; 3 evicts 4; 4 evicts 5; 5 evicts 1. Misses: 4 + 4 = 8.
    expect(simulatePolicy('lru', BELADY, 3)).toEqual({ hits: 2, misses: 10 });
    expect(simulatePolicy('lru', BELADY, 4)).toEqual({ hits: 4, misses: 8 });
  });

  it('OPT: 7 misses with 3 frames, 6 with 4', () => {
    // 3 frames: 1 2 3 miss; 4: next uses 1@4 2@5 3@9, evict 3; 1 2 hit;
    // 5: next uses 1@7 2@8 4@10, evict 4; 1 2 hit; 3: 1 and 2 never used
    // again, evict one; 4: evict another page never used again; 5 hits.
    // Misses: 1 2 3 4 5 3 4 = 7.
    // 4 frames: 1 2 3 4 miss; 1 2 hit; 5: 4 is used last (@10), evict it;
    // 1 2 3 hit; 4: evict one of 1 2 3 (never used again); 5 hits. 6.
    expect(simulatePolicy('opt', BELADY, 3)).toEqual({ hits: 5, misses: 7 });
    expect(simulatePolicy('opt', BELADY, 4)).toEqual({ hits: 6, misses: 6 });
  });

  it('CLOCK: 9 misses with 3 frames, 10 with 4 (the anomaly too)', () => {
    // A fault sets the page's bit (*). 3 frames, hand first:
    // [1* 2* 3*]; 4: a full turn clears all, evicts 1 -> [2 3 4*];
    // 1 evicts 2 -> [3 4* 1*]; 2 evicts 3 -> [4* 1* 2*]; 5: a full turn,
    // evicts 4 -> [1 2 5*]; 1, 2 hit (bits set) -> [1* 2* 5*]; 3: a full
    // turn, evicts 1 -> [2 5 3*]; 4 evicts 2 -> [5 3* 4*]; 5 hits. 9 misses.
    // 4 frames: [1* 2* 3* 4*]; 1 2 hit; 5: a full turn, evicts 1 ->
    // [2 3 4 5*]; then 1, 2, 3, 4 each evict the unreferenced page at the
    // hand (2, 3, 4, then after a turn 5), and 5 evicts 1. 10 misses.
    expect(simulatePolicy('clock', BELADY, 3)).toEqual({ hits: 3, misses: 9 });
    expect(simulatePolicy('clock', BELADY, 4)).toEqual({ hits: 2, misses: 10 });
  });

  it('LRU-2Q: 10 misses with 3 frames, 8 with 4', () => {
    // Y: accessed bit, R: PG_referenced; lists newest first.
    // 4 frames: I=[4Y 3Y 2Y 1Y]; hits on 1, 2 set R (mark_page_accessed).
    // 5: tail 1 has Y and R -> activate; so does 2: A=[2 1]; tail 3 has Y
    // only -> R, another trip; 4 likewise; 3 again: Y clear -> reclaimed.
    // I=[5Y 4R]. 1, 2 hit (active). 3 reclaims 4 (Y clear); 4: 5 and 3 get
    // a trip, 5 reclaimed; 5 reclaims 3. Misses: 4 + 5 3 4 5 = 8.
    // 3 frames: every page is reclaimed after its trip before it is used a
    // second time, except 1 and 2 (promoted by their hits at 7 and 8), and
    // when 3 arrives the active list is longer than the inactive one, so 1
    // is deactivated and reclaimed. Misses: 1 2 3 4 1 2 5 3 4 5 = 10.
    expect(simulatePolicy('lru-2q', BELADY, 3)).toEqual({ hits: 2, misses: 10 });
    expect(simulatePolicy('lru-2q', BELADY, 4)).toEqual({ hits: 4, misses: 8 });
  });

  it('counts cold misses, and only those when everything fits', () => {
    for (const p of POLICY_NAMES) {
      expect(simulatePolicy(p, BELADY, 5)).toEqual({ hits: 7, misses: 5 });
      expect(simulatePolicy(p, [], 3)).toEqual({ hits: 0, misses: 0 });
      expect(simulatePolicy(p, [7, 7, 7], 1)).toEqual({ hits: 2, misses: 1 });
      expect(simulatePolicy(p, [0, 1, 0, 1], 1)).toEqual({ hits: 0, misses: 4 });
    }
  });

  it('accepts large page numbers (pfns, 64-bit page numbers) with the same result', () => {
    const far = BELADY.map((p) => 2 ** 40 + p * 2 ** 21);
    for (const p of POLICY_NAMES) {
      expect(simulatePolicy(p, far, 3)).toEqual(simulatePolicy(p, BELADY, 3));
      expect(simulateTrace(createPolicy(p, { trace: far }), far, 3)).toEqual(
        simulatePolicy(p, BELADY, 3),
      );
    }
  });
});

// --- validation ----------------------------------------------------------------

describe('input validation', () => {
  it('rejects a bad policy', () => {
    expect(() => simulatePolicy('mru' as PolicyName, [1], 1)).toThrow(RangeError);
    expect(() => simulatePolicy('mru' as PolicyName, [1], 1)).toThrow(
      /^simulatePolicy: policy 'mru' is not a policy; expected one of 'fifo', 'lru', 'opt', 'clock', 'lru-2q'$/,
    );
    expect(() => simulatePolicy('LRU' as PolicyName, [1], 1)).toThrow(RangeError);
    expect(() => simulatePolicy(3 as unknown as PolicyName, [1], 1)).toThrow(TypeError);
    expect(() => simulatePolicy(undefined as unknown as PolicyName, [1], 1)).toThrow(
      /^simulatePolicy: policy must be one of .* \(got undefined\)$/,
    );
  });

  it('rejects a bad trace, naming the entry', () => {
    const bad = (trace: unknown) => () => simulatePolicy('lru', trace as number[], 2);
    expect(bad('1,2')).toThrow(TypeError);
    expect(bad(null)).toThrow(/^simulatePolicy: trace must be an array of pages \(got null\)$/);
    expect(bad([1, '2'])).toThrow(TypeError);
    expect(bad([1, '2'])).toThrow(/^simulatePolicy: trace\[1\] is '2'; pages must be numbers/);
    expect(bad([0, -1])).toThrow(RangeError);
    expect(bad([0, -1])).toThrow(
      /^simulatePolicy: trace\[1\] is -1; pages must be non-negative safe integers$/,
    );
    expect(bad([1.5])).toThrow(/trace\[0\] is 1.5; pages must be non-negative safe integers/);
    expect(bad([Number.NaN])).toThrow(RangeError);
    expect(bad([2 ** 53])).toThrow(RangeError);
    expect(bad([Number.POSITIVE_INFINITY])).toThrow(RangeError);
    expect(bad([1n])).toThrow(TypeError);
    // biome-ignore lint/suspicious/noSparseArray: a hole is an undefined entry
    expect(bad([1, , 2])).toThrow(/trace\[1\] is undefined/);
  });

  it('rejects bad frames', () => {
    const bad = (frames: unknown) => () => simulatePolicy('fifo', [1], frames as number);
    expect(bad(0)).toThrow(RangeError);
    expect(bad(0)).toThrow(/^simulatePolicy: frames is 0; it must be a positive integer$/);
    expect(bad(-3)).toThrow(RangeError);
    expect(bad(2.5)).toThrow(RangeError);
    expect(bad(Number.NaN)).toThrow(RangeError);
    expect(bad(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(bad('3')).toThrow(TypeError);
    expect(bad('3')).toThrow(/^simulatePolicy: frames must be a positive integer \(got '3'\)$/);
    expect(bad(undefined)).toThrow(TypeError);
  });

  it('validates in argument order and accepts huge frame counts', () => {
    expect(() => simulatePolicy('x' as PolicyName, [-1], 0)).toThrow(/policy/);
    expect(() => simulatePolicy('lru', [-1], 0)).toThrow(/trace\[0\]/);
    expect(simulatePolicy('opt', BELADY, 2 ** 40)).toEqual({ hits: 7, misses: 5 });
  });

  it('createPolicy: OPT needs the trace; names and options are checked', () => {
    expect(() => createPolicy('opt')).toThrow(TypeError);
    expect(() => createPolicy('opt')).toThrow(/^createPolicy: 'opt' needs options.trace/);
    expect(() => createPolicy('opt', {})).toThrow(TypeError);
    expect(() => createPolicy('opt', { trace: [1, -2] })).toThrow(
      /^createPolicy: options.trace\[1\] is -2/,
    );
    expect(() => createPolicy('nru' as PolicyName)).toThrow(RangeError);
    expect(() => createPolicy(7 as unknown as PolicyName)).toThrow(TypeError);
    expect(() => createPolicy('lru', 5 as unknown as object)).toThrow(TypeError);
    expect(() => createPolicy('lru', { capacity: -1 })).toThrow(/options.capacity is -1/);
    // A capacity hint is a hint: a huge one does not allocate up front.
    for (const p of POLICY_NAMES)
      expect(createPolicy(p, { capacity: 2 ** 40, trace: [] }).size).toBe(0);
    expect(() => new OptPolicy([0.5])).toThrow(/^OptPolicy: trace\[0\] is 0.5/);
    for (const p of POLICY_NAMES) {
      const policy = createPolicy(p, { trace: [] });
      expect(policy.name).toBe(p);
      expect(policy.size).toBe(0);
      expect(policy.evict(() => true)).toBe(-1);
    }
    expect(POLICY_NAMES.filter((p) => createPolicy(p, { trace: [] }).needsEveryAccess)).toEqual([
      'lru',
      'opt',
    ]);
  });

  it('simulateTrace checks its policy and catches one that misbehaves', () => {
    const p = new LruPolicy();
    p.insert(1);
    expect(() => simulateTrace(p, [1], 1)).toThrow(/^simulateTrace: policy holds 1 pages/);
    expect(() => simulateTrace(null as unknown as ReplacementPolicy, [1], 1)).toThrow(TypeError);
    expect(() => simulateTrace(new LruPolicy(), [1], 0)).toThrow(/^simulateTrace: frames is 0/);
    const liar = (): ReplacementPolicy => Object.assign(new FifoPolicy(), { evict: () => 99 });
    expect(() => simulateTrace(liar(), [1, 2], 1)).toThrow(KernelBug);
    expect(() => simulateTrace(liar(), [1, 2], 1)).toThrow(
      /^simulateTrace: policy 'fifo' evicted page 99 with 1 pages resident; the victim must be a resident page$/,
    );
    const empty: ReplacementPolicy = Object.assign(new FifoPolicy(), { evict: () => -1 });
    expect(() => simulateTrace(empty, [1, 2], 1)).toThrow(/evicted nothing/);
    const peeker: ReplacementPolicy = Object.assign(new ClockPolicy(), {
      evict: (referenced: (page: number) => boolean) => referenced(42),
    });
    expect(() => simulateTrace(peeker, [1, 2], 1)).toThrow(
      /tested the reference bit of page 42, which is not resident/,
    );
    // A well-behaved policy of one's own runs as the built-in ones do.
    expect(simulateTrace(new Lru2QPolicy(), BELADY, 4)).toEqual(
      simulatePolicy('lru-2q', BELADY, 4),
    );
  });

  it('policy methods reject misuse with KernelBug and change nothing', () => {
    for (const p of POLICY_NAMES) {
      const policy = createPolicy(p, { trace: [5, 6, 5] });
      policy.insert(5);
      const name = policy.constructor.name;
      expect(() => policy.insert(5)).toThrow(KernelBug);
      expect(() => policy.insert(5)).toThrow(
        new RegExp(`^${name}.insert: page 5 is already resident`),
      );
      expect(() => policy.insert(-1)).toThrow(/page -1 is not a non-negative safe integer/);
      expect(() => policy.insert(0.5)).toThrow(KernelBug);
      expect(() => policy.access(6)).toThrow(
        new RegExp(`^${name}.access: page 6 is not resident$`),
      );
      expect(() => policy.remove(6)).toThrow(
        new RegExp(`^${name}.remove: page 6 is not resident$`),
      );
      expect(policy.size).toBe(1);
      expect(policy.has(5)).toBe(true);
      expect(policy.has(6)).toBe(false);
      expect(policy.has(-1)).toBe(false);
      expect(policy.has(Number.NaN)).toBe(false);
      policy.remove(5);
      expect(policy.size).toBe(0);
      expect(policy.evict(() => false)).toBe(-1);
    }
  });
});

// --- properties ----------------------------------------------------------------

describe('properties over random traces', () => {
  it('hits + misses = length, and a miss at least for every distinct page', () => {
    fc.assert(
      fc.property(fc.constantFrom(...POLICY_NAMES), traceArb, framesArb, (p, trace, frames) => {
        const r = simulatePolicy(p, trace, frames);
        expect(r.hits + r.misses).toBe(trace.length);
        expect(r.misses).toBeGreaterThanOrEqual(new Set(trace).size);
      }),
      { numRuns: 300 },
    );
  });

  it('OPT misses exactly as often as brute-force Belady, and never more than any policy', () => {
    fc.assert(
      fc.property(traceArb, framesArb, (trace, frames) => {
        const opt = misses('opt', trace, frames);
        expect(opt).toBe(beladyMisses(trace, frames));
        for (const p of POLICY_NAMES) expect(opt).toBeLessThanOrEqual(misses(p, trace, frames));
      }),
      { numRuns: 300 },
    );
  });

  it('OPT’s victim is always a resident page with the farthest next use (larger memories)', () => {
    const wide = fc.array(fc.nat({ max: 40 }), { maxLength: 300, size: 'max' });
    fc.assert(
      fc.property(wide, fc.integer({ min: 1, max: 24 }), (trace, frames) => {
        const opt = new OptPolicy(trace);
        const resident = new Set<number>();
        const nextUse = (page: number, after: number): number => {
          const i = trace.indexOf(page, after);
          return i === -1 ? Number.POSITIVE_INFINITY : i;
        };
        const checked: ReplacementPolicy = {
          name: 'opt',
          needsEveryAccess: true,
          get size() {
            return opt.size;
          },
          has: (page) => opt.has(page),
          insert(page) {
            opt.insert(page);
            resident.add(page);
          },
          access: (page) => opt.access(page),
          remove: (page) => opt.remove(page),
          evict(referenced) {
            const now = opt.step;
            for (const p of resident) expect(opt.nextUseOf(p)).toBe(nextUse(p, now));
            const farthest = Math.max(...[...resident].map((p) => nextUse(p, now)));
            const victim = opt.evict(referenced);
            expect(nextUse(victim, now)).toBe(farthest);
            resident.delete(victim);
            return victim;
          },
        };
        const r = simulateTrace(checked, trace, frames);
        expect(r.misses).toBe(beladyMisses(trace, frames));
      }),
      { numRuns: 80 },
    );
  });

  it('simulatePolicy agrees with the plain-array model of each online policy', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ModelName>('fifo', 'lru', 'clock', 'lru-2q'),
        traceArb,
        framesArb,
        (p, trace, frames) => {
          expect(misses(p, trace, frames)).toBe(referenceSimulate(p, trace, frames));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('LRU and OPT are stack algorithms: more frames never mean more misses', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const p of ['lru', 'opt'] as const) {
          let last = Number.POSITIVE_INFINITY;
          for (let frames = 1; frames <= 13; frames++) {
            const m = misses(p, trace, frames);
            expect(m).toBeLessThanOrEqual(last);
            last = m;
          }
          expect(last).toBe(new Set(trace).size);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('no policy holds more than `frames` pages or evicts a page that is not resident', () => {
    fc.assert(
      fc.property(fc.constantFrom(...POLICY_NAMES), traceArb, framesArb, (p, trace, frames) => {
        const inner = createPolicy(p, { trace });
        const resident = new Set<number>();
        const guarded: ReplacementPolicy = {
          name: inner.name,
          needsEveryAccess: inner.needsEveryAccess,
          get size() {
            return inner.size;
          },
          has: (page) => inner.has(page),
          insert(page) {
            expect(resident.has(page)).toBe(false);
            inner.insert(page);
            resident.add(page);
            expect(inner.has(page)).toBe(true);
            expect(inner.size).toBe(resident.size);
            expect(inner.size).toBeLessThanOrEqual(frames);
          },
          access(page) {
            expect(resident.has(page)).toBe(true);
            inner.access(page);
          },
          remove(page) {
            inner.remove(page);
            resident.delete(page);
          },
          evict(referenced) {
            expect(resident.size).toBe(frames);
            const victim = inner.evict((page) => {
              expect(resident.has(page)).toBe(true);
              return referenced(page);
            });
            expect(resident.has(victim)).toBe(true);
            expect(inner.has(victim)).toBe(false);
            resident.delete(victim);
            expect(inner.size).toBe(resident.size);
            return victim;
          },
        };
        expect(simulateTrace(guarded, trace, frames)).toEqual(simulatePolicy(p, trace, frames));
      }),
      { numRuns: 100 },
    );
  });

  it('pages across the direct-table limit (2**20) behave like small ones', () => {
    const spread = fc.array(fc.nat({ max: 6 }), { maxLength: 120, size: 'max' });
    fc.assert(
      fc.property(fc.constantFrom(...POLICY_NAMES), spread, framesArb, (p, trace, frames) => {
        // 0..3 stay small, 4..6 land at or above 2**20.
        const big = trace.map((x) => (x < 4 ? x * 1000 : 2 ** 20 - 4 + x));
        const policy = createPolicy(p, { trace: big });
        expect(simulateTrace(policy, big, frames)).toEqual(simulatePolicy(p, trace, frames));
      }),
      { numRuns: 200 },
    );
  });
});

// --- model-based tests of the policy objects -------------------------------------

interface Real {
  readonly policy: FifoPolicy | LruPolicy | ClockPolicy | Lru2QPolicy;
  readonly bits: Set<number>;
}

const PAGES = 5;

function compare(m: ArrayModel, r: Real): void {
  const { policy } = r;
  expect(policy.size).toBe(m.size);
  for (let p = 0; p < PAGES; p++) expect(policy.has(p)).toBe(m.has(p));
  if (policy instanceof Lru2QPolicy) {
    expect(policy.lists()).toEqual({ active: m.active, inactive: m.inactive });
    expect(policy.nrActive).toBe(m.active.length);
    expect(policy.nrInactive).toBe(m.inactive.length);
    for (const p of [...m.active, ...m.inactive]) {
      expect(policy.isReferenced(p)).toBe(m.pgReferenced.has(p));
      expect(policy.isActive(p)).toBe(m.active.includes(p));
    }
  } else {
    expect(policy.pages()).toEqual(m.pages);
  }
  expect([...r.bits].sort()).toEqual([...m.bits].sort());
}

type Cmd = fc.Command<ArrayModel, Real>;

class Insert implements Cmd {
  constructor(readonly page: number) {}
  check = (m: Readonly<ArrayModel>) => !m.has(this.page);
  run(m: ArrayModel, r: Real): void {
    m.insert(this.page);
    m.bits.add(this.page); // the fault references the page
    r.policy.insert(this.page);
    r.bits.add(this.page);
    compare(m, r);
  }
  toString = () => `insert(${this.page})`;
}

class Access implements Cmd {
  constructor(readonly page: number) {}
  check = (m: Readonly<ArrayModel>) => m.has(this.page);
  run(m: ArrayModel, r: Real): void {
    m.bits.add(this.page);
    m.access(this.page);
    r.bits.add(this.page);
    r.policy.access(this.page);
    compare(m, r);
  }
  toString = () => `access(${this.page})`;
}

/** A reference the policy is not told of: only the accessed bit is set (a mapped page). */
class Touch implements Cmd {
  constructor(readonly page: number) {}
  check = (m: Readonly<ArrayModel>) => m.has(this.page);
  run(m: ArrayModel, r: Real): void {
    m.bits.add(this.page);
    r.bits.add(this.page);
    compare(m, r);
  }
  toString = () => `touch(${this.page})`;
}

class Remove implements Cmd {
  constructor(readonly page: number) {}
  check = (m: Readonly<ArrayModel>) => m.has(this.page);
  run(m: ArrayModel, r: Real): void {
    m.remove(this.page);
    m.bits.delete(this.page);
    r.policy.remove(this.page);
    r.bits.delete(this.page);
    compare(m, r);
  }
  toString = () => `remove(${this.page})`;
}

class Evict implements Cmd {
  check = () => true;
  run(m: ArrayModel, r: Real): void {
    const expected = m.evict(m.bits);
    m.bits.delete(expected);
    const victim = r.policy.evict((p) => {
      expect(r.policy.has(p)).toBe(true);
      return testAndClear(r.bits, p);
    });
    r.bits.delete(victim);
    expect(victim).toBe(expected);
    compare(m, r);
  }
  toString = () => 'evict()';
}

/** Misuse: must throw KernelBug and leave everything as it was. */
class Misuse implements Cmd {
  constructor(
    readonly op: 'insert' | 'access' | 'remove',
    readonly page: number,
  ) {}
  check = (m: Readonly<ArrayModel>) =>
    this.page < 0 || (this.op === 'insert' ? m.has(this.page) : !m.has(this.page));
  run(m: ArrayModel, r: Real): void {
    expect(() => r.policy[this.op](this.page)).toThrow(KernelBug);
    compare(m, r);
  }
  toString = () => `${this.op}(${this.page}) throws`;
}

function makePolicy(name: ModelName): Real['policy'] {
  switch (name) {
    case 'fifo':
      return new FifoPolicy(2);
    case 'lru':
      return new LruPolicy(2);
    case 'clock':
      return new ClockPolicy(2);
    case 'lru-2q':
      return new Lru2QPolicy(2);
  }
}

describe('model-based: each policy object against its array model', () => {
  const page = fc.nat({ max: PAGES - 1 });
  const commands = [
    page.map((p) => new Insert(p)),
    page.map((p) => new Insert(p)),
    page.map((p) => new Access(p)),
    page.map((p) => new Access(p)),
    page.map((p) => new Access(p)),
    page.map((p) => new Touch(p)),
    page.map((p) => new Touch(p)),
    page.map((p) => new Remove(p)),
    fc.constant(new Evict()),
    fc.constant(new Evict()),
    fc
      .tuple(
        fc.constantFrom('insert', 'access', 'remove' as const),
        fc.integer({ min: -1, max: 7 }),
      )
      .map(([op, p]) => new Misuse(op, p)),
  ];
  for (const name of ['fifo', 'lru', 'clock', 'lru-2q'] as const) {
    it(name, () => {
      fc.assert(
        fc.property(fc.commands(commands, { maxCommands: 80, size: 'max' }), (cmds) => {
          // Small capacity hints, so that the node arrays have to grow.
          const real: Real = { policy: makePolicy(name), bits: new Set() };
          fc.modelRun(() => ({ model: new ArrayModel(name), real }), cmds);
        }),
        { numRuns: 150 },
      );
    });
  }
});

// --- policy by policy ------------------------------------------------------------

describe('CLOCK', () => {
  it('gives referenced pages a second chance and links new pages behind the hand', () => {
    const c = new ClockPolicy();
    for (const p of [1, 2, 3]) c.insert(p);
    const bits = new Set([1, 3]);
    const asked: number[] = [];
    const ref = (p: number) => {
      asked.push(p);
      return bits.delete(p);
    };
    expect(c.pages()).toEqual([1, 2, 3]);
    expect(c.evict(ref)).toBe(2); // 1 referenced: cleared, skipped
    expect(asked).toEqual([1, 2]);
    expect(bits).toEqual(new Set([3]));
    c.insert(4); // just behind the hand, which now points at 3
    expect(c.pages()).toEqual([3, 1, 4]);
    expect(c.evict(ref)).toBe(1); // 3 referenced, 1 not
    c.remove(4);
    expect(c.pages()).toEqual([3]);
    c.remove(3);
    expect(c.evict(ref)).toBe(-1);
  });

  it('stops after one full turn even if referenced never clears', () => {
    const c = new ClockPolicy();
    for (const p of [1, 2, 3]) c.insert(p);
    let calls = 0;
    expect(
      c.evict(() => {
        calls++;
        return true;
      }),
    ).toBe(1);
    expect(calls).toBe(3);
  });
});

describe('LRU and FIFO', () => {
  it('LRU orders by access, FIFO by insertion, neither reads reference bits', () => {
    const lru = new LruPolicy();
    const fifo = new FifoPolicy();
    for (const p of [1, 2, 3]) {
      lru.insert(p);
      fifo.insert(p);
    }
    lru.access(1);
    fifo.access(1);
    expect(lru.pages()).toEqual([2, 3, 1]);
    expect(fifo.pages()).toEqual([1, 2, 3]);
    const never = () => {
      throw new Error('must not be called');
    };
    expect(lru.evict(never)).toBe(2);
    expect(fifo.evict(never)).toBe(1);
  });
});

describe('OPT', () => {
  it('evicts the page used farthest ahead, never-used-again first', () => {
    const trace = [1, 2, 3, 1, 2, 4, 1, 3];
    const o = new OptPolicy(trace);
    o.insert(1);
    o.insert(2);
    o.insert(3);
    expect(o.step).toBe(3);
    expect([o.nextUseOf(1), o.nextUseOf(2), o.nextUseOf(3)]).toEqual([3, 4, 7]);
    o.access(1);
    o.access(2);
    expect(o.nextUseOf(2)).toBe(Number.POSITIVE_INFINITY);
    expect(o.evict(() => true)).toBe(2); // never used again
    o.insert(4);
    expect(o.evict(() => true)).toBe(4); // never used again
    o.access(1);
    expect(o.evict(() => true)).toBe(1); // 1 is done; 3 is used at 7
    o.access(3);
    expect(o.step).toBe(8);
    expect(() => o.insert(9)).toThrow(/the trace has 8 steps and all have been used/);
  });

  it('rejects calls that do not follow the trace, changing nothing', () => {
    const o = new OptPolicy([1, 2, 1]);
    o.insert(1);
    expect(() => o.insert(3)).toThrow(KernelBug);
    expect(() => o.insert(3)).toThrow(
      /^OptPolicy.insert: step 1 of the trace is page 2, not page 3; each insert or access must follow the trace in order$/,
    );
    expect(() => o.access(1)).toThrow(/step 1 of the trace is page 2, not page 1/);
    expect(o.step).toBe(1);
    expect(o.size).toBe(1);
    o.insert(2);
    o.remove(1); // not a step
    expect(o.step).toBe(2);
    expect(() => o.access(1)).toThrow(/page 1 is not resident/);
    o.insert(1);
    expect(o.size).toBe(2);
  });

  it('keeps its own copy of the trace', () => {
    const trace = [1, 2];
    const o = new OptPolicy(trace);
    trace[1] = 7;
    o.insert(1);
    o.insert(2);
    expect(o.size).toBe(2);
  });
});

describe('LRU-2Q (mm/vmscan.c, mm/swap.c)', () => {
  it('mark_page_accessed: inactive -> referenced -> active -> active,referenced', () => {
    const q = new Lru2QPolicy();
    q.insert(1);
    expect([q.isActive(1), q.isReferenced(1)]).toEqual([false, false]);
    q.access(1);
    expect([q.isActive(1), q.isReferenced(1)]).toEqual([false, true]);
    q.access(1);
    expect([q.isActive(1), q.isReferenced(1)]).toEqual([true, false]);
    q.access(1);
    expect([q.isActive(1), q.isReferenced(1)]).toEqual([true, true]);
    q.access(1);
    expect([q.isActive(1), q.isReferenced(1)]).toEqual([true, true]);
    expect(q.pgactivate).toBe(1);
    expect(() => q.isActive(2)).toThrow(/^Lru2QPolicy.isActive: page 2 is not resident$/);
  });

  it('folio_check_references: reclaim unreferenced, keep once-referenced, activate twice-referenced', () => {
    const q = new Lru2QPolicy();
    for (const p of [1, 2, 3]) q.insert(p);
    q.access(2); // PG_referenced
    const bits = new Set([2, 3]); // accessed bits of 2 and 3
    expect(q.lists().inactive).toEqual([3, 2, 1]);
    expect(q.evict((p) => bits.delete(p))).toBe(1); // tail, not referenced
    expect(q.evict((p) => bits.delete(p))).toBe(3); // 2 activated; 3 kept, then reclaimed
    expect(q.lists()).toEqual({ active: [2], inactive: [] });
    expect(q.isReferenced(2)).toBe(true);
    expect([q.pgscan, q.pgsteal, q.pgactivate]).toEqual([4, 2, 1]);
  });

  it('shrink_active_list: deactivates the active tail while inactive < active', () => {
    const q = new Lru2QPolicy();
    for (const p of [1, 2, 3]) {
      q.insert(p);
      q.access(p);
      q.access(p); // promoted by mark_page_accessed
    }
    q.access(1); // 1: active and PG_referenced
    expect(q.lists()).toEqual({ active: [3, 2, 1], inactive: [] });
    q.insert(4);
    const bits = new Set([1]);
    const asked: number[] = [];
    const victim = q.evict((p) => {
      asked.push(p);
      return bits.delete(p);
    });
    // 1 < 3: the active tail (1) is deactivated, its accessed bit tested
    // and cleared; 2 >= 2 stops. Then the inactive tail 4 is reclaimed.
    expect(asked).toEqual([1, 4]);
    expect(victim).toBe(4);
    expect(bits.size).toBe(0);
    expect(q.lists()).toEqual({ active: [3, 2], inactive: [1] });
    expect(q.isActive(1)).toBe(false);
    // PG_referenced survives deactivation, as in Linux: one more access
    // brings the page straight back to the active list.
    expect(q.isReferenced(1)).toBe(true);
    q.access(1);
    expect(q.isActive(1)).toBe(true);
    expect(q.pgdeactivate).toBe(1);
  });

  it('resists a scan: a page referenced twice survives once-used pages that flush LRU', () => {
    const frames = 8;
    const scan = Array.from({ length: 5 * frames }, (_, i) => 100 + i);
    const trace = [0, 0, ...scan, 0];
    // LRU: 0 is the least recent page once the scan fills memory: evicted.
    expect(simulatePolicy('lru', trace, frames)).toEqual({ hits: 1, misses: scan.length + 2 });
    expect(simulatePolicy('fifo', trace, frames).misses).toBe(scan.length + 2);
    // LRU-2Q: the hit set PG_referenced; when reclaim reaches 0 its accessed
    // bit is set too, so it is activated, and the scan pages, each on the
    // inactive list, are reclaimed around it.
    expect(simulatePolicy('lru-2q', trace, frames)).toEqual({ hits: 2, misses: scan.length + 1 });
    const q = new Lru2QPolicy();
    simulateTrace(q, [0, 0, ...scan], frames);
    expect(q.has(0)).toBe(true);
    expect(q.isActive(0)).toBe(true);
    expect(q.nrActive).toBe(1);
    // A page used only once gets no such protection.
    expect(simulatePolicy('lru-2q', [0, ...scan, 0], frames).misses).toBe(scan.length + 2);
  });

  it('protects a working set that LRU loses on the scan-polluted trace', () => {
    const trace = scanPollutedTrace({ length: 20_000, hotPages: 60, hotRun: 600, scanLength: 300 });
    const q = misses('lru-2q', trace, 100);
    const l = misses('lru', trace, 100);
    expect(q).toBeLessThan(l);
  });

  it('evict terminates even if referenced never clears', () => {
    const q = new Lru2QPolicy();
    for (const p of [1, 2, 3]) q.insert(p);
    expect(q.evict(() => true)).toBeGreaterThan(0);
    expect(q.size).toBe(2);
  });
});

// --- trace generators ----------------------------------------------------------

describe('trace generators', () => {
  it('loopingTrace loops', () => {
    expect(loopingTrace(3, 7)).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(loopingTrace(1, 2)).toEqual([0, 0]);
    expect(() => loopingTrace(0, 5)).toThrow(
      /^loopingTrace: pages is 0; it must be a positive integer$/,
    );
    expect(() => loopingTrace(3, 1.5)).toThrow(RangeError);
  });

  it('are deterministic by seed', () => {
    expect(zipfTrace({ length: 100, pages: 50, seed: 3 })).toEqual(
      zipfTrace({ length: 100, pages: 50, seed: 3 }),
    );
    expect(zipfTrace({ length: 100, pages: 50, seed: 3 })).not.toEqual(
      zipfTrace({ length: 100, pages: 50, seed: 4 }),
    );
    expect(hotColdTrace({ length: 100, pages: 50 })).toEqual(
      hotColdTrace({ length: 100, pages: 50 }),
    );
    expect(scanPollutedTrace({ length: 99, hotPages: 5, hotRun: 7, scanLength: 3 })).toEqual(
      scanPollutedTrace({ length: 99, hotPages: 5, hotRun: 7, scanLength: 3 }),
    );
  });

  it('hotColdTrace puts the given share of references on the hot pages', () => {
    const t = hotColdTrace({ length: 20_000, pages: 1000, seed: 9 });
    expect(t).toHaveLength(20_000);
    expect(t.every((p) => Number.isInteger(p) && p >= 0 && p < 1000)).toBe(true);
    const hot = t.filter((p) => p < 100).length / t.length;
    expect(hot).toBeGreaterThan(0.88);
    expect(hot).toBeLessThan(0.92);
    const allHot = hotColdTrace({ length: 50, pages: 4, hotFraction: 1 });
    expect(allHot.every((p) => p < 4)).toBe(true);
    expect(() => hotColdTrace({ length: 5, pages: 5, hotFraction: 0 })).toThrow(
      /^hotColdTrace: hotFraction is 0; it must be in \(0, 1\]$/,
    );
    expect(() => hotColdTrace({ length: 5, pages: 5, hotProbability: 2 })).toThrow(RangeError);
    expect(() => hotColdTrace({ length: 5, pages: 5, seed: 0.5 })).toThrow(/seed is 0.5/);
  });

  it('zipfTrace follows 1/(k+1)^s', () => {
    const t = zipfTrace({ length: 50_000, pages: 100, seed: 2 });
    const count = new Array<number>(100).fill(0);
    for (const p of t) count[p] = (count[p] ?? 0) + 1;
    const [c0 = 0, c1 = 0, c3 = 0] = [count[0], count[1], count[3]];
    expect(c0 / c1).toBeGreaterThan(1.8);
    expect(c0 / c1).toBeLessThan(2.2);
    expect(c0 / c3).toBeGreaterThan(3.5);
    expect(c0 / c3).toBeLessThan(4.5);
    const flat = zipfTrace({ length: 10_000, pages: 10, s: 0, seed: 2 });
    expect(new Set(flat).size).toBe(10);
    expect(() => zipfTrace({ length: 5, pages: 5, s: -1 })).toThrow(/^zipfTrace: s is -1/);
    expect(() => zipfTrace({ length: 5, pages: 0 })).toThrow(RangeError);
  });

  it('scanPollutedTrace alternates hot runs and scans of fresh pages', () => {
    const t = scanPollutedTrace({ length: 100, hotPages: 5, hotRun: 10, scanLength: 15 });
    expect(t).toHaveLength(100);
    expect(t.slice(0, 10).every((p) => p < 5)).toBe(true);
    expect(t.slice(10, 25)).toEqual(Array.from({ length: 15 }, (_, i) => 5 + i));
    expect(t.slice(25, 35).every((p) => p < 5)).toBe(true);
    expect(t.slice(35, 50)).toEqual(Array.from({ length: 15 }, (_, i) => 20 + i));
    expect(() => scanPollutedTrace({ length: 10, hotPages: 5, hotRun: 0, scanLength: 1 })).toThrow(
      /^scanPollutedTrace: hotRun is 0/,
    );
  });
});
