/**
 * Replacement policies over traces (src/vm/reclaim/policy), 1,000 frames:
 *
 * 1. Misses of each policy relative to OPT (Belady's optimum) on generated,
 *    deterministic traces of 1,000,000 references: a loop slightly larger
 *    than memory, hot/cold (90% of references on 10% of the pages), Zipf
 *    (s = 1) and scan-polluted (a hot working set interrupted by long scans
 *    of pages used once; with the hot set at 40% and at 80% of memory).
 *    Printed as a table; no timing involved.
 * 2. Throughput of `simulatePolicy` per trace step for each policy, against
 *    a bare loop over the same trace that only checks membership in a
 *    Uint8Array (what any simulator must do at least), on the Zipf trace
 *    (about 30% misses) and on the loop (every reference a miss for all but
 *    OPT).
 */
import {
  hotColdTrace,
  loopingTrace,
  POLICY_NAMES,
  scanPollutedTrace,
  simulatePolicy,
  zipfTrace,
} from '../src/vm/reclaim/policy/index.js';
import { compare } from './harness.js';

const FRAMES = 1000;
const LENGTH = 1_000_000;

const traces: readonly { readonly name: string; readonly trace: number[] }[] = [
  { name: 'looping (1,100 pages)', trace: loopingTrace(1100, LENGTH) },
  {
    name: 'hot/cold (90% on 1,000 of 10,000)',
    trace: hotColdTrace({ length: LENGTH, pages: 10_000, hotFraction: 0.1, hotProbability: 0.9 }),
  },
  { name: 'zipf (s=1, 10,000 pages)', trace: zipfTrace({ length: LENGTH, pages: 10_000, s: 1 }) },
  {
    name: 'scan-polluted (hot 400)',
    trace: scanPollutedTrace({ length: LENGTH, hotPages: 400, hotRun: 4000, scanLength: 2000 }),
  },
  {
    name: 'scan-polluted (hot 800)',
    trace: scanPollutedTrace({ length: LENGTH, hotPages: 800, hotRun: 4000, scanLength: 2000 }),
  },
];

// --- 1. misses relative to OPT -----------------------------------------------------

const nameWidth = Math.max(...traces.map((t) => t.name.length)) + 2;
const col = 10;
console.log(
  `\nmisses relative to OPT (${LENGTH.toLocaleString('en-US')} references, ${FRAMES.toLocaleString('en-US')} frames); in brackets, the miss rate`,
);
console.log(
  `  ${'trace'.padEnd(nameWidth)}${'OPT misses'.padStart(12)}${POLICY_NAMES.map((p) => p.padStart(col + 9)).join('')}`,
);
for (const { name, trace } of traces) {
  const results = POLICY_NAMES.map((p) => simulatePolicy(p, trace, FRAMES).misses);
  const opt = results[POLICY_NAMES.indexOf('opt')] as number;
  const cells = results.map((m) => {
    const ratio = (m / opt).toFixed(2);
    const rate = `(${((100 * m) / trace.length).toFixed(1)}%)`;
    return `${ratio.padStart(col)}${rate.padStart(9)}`;
  });
  console.log(
    `  ${name.padEnd(nameWidth)}${opt.toLocaleString('en-US').padStart(12)}${cells.join('')}`,
  );
}

// --- 2. throughput -----------------------------------------------------------------

for (const which of [2, 0]) {
  const entry = traces[which];
  if (entry === undefined) throw new Error('no such trace');
  const { name, trace } = entry;
  const n = trace.length;
  const seen = new Uint8Array(trace.reduce((m, p) => Math.max(m, p), 0) + 1);
  await compare(
    `simulatePolicy per trace step: ${name}, ${n.toLocaleString('en-US')} references, ${FRAMES.toLocaleString('en-US')} frames`,
    {
      name: 'bare: Uint8Array membership',
      ops: n,
      fn: () => {
        seen.fill(0);
        let hits = 0;
        for (let i = 0; i < n; i++) {
          const p = trace[i] as number;
          if (seen[p] === 1) hits++;
          else seen[p] = 1;
        }
        return hits;
      },
    },
    POLICY_NAMES.map((p) => ({
      name: p,
      ops: n,
      fn: () => simulatePolicy(p, trace, FRAMES),
    })),
  );
}
