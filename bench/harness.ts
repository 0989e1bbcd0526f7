/**
 * A small layer over mitata's `measure`: every benchmark runs a baseline and
 * the subjects in the same process, one after the other, and prints each
 * subject's time per operation next to the baseline's and the ratio
 * `baseline time / subject time` (1.0 means as fast as the baseline;
 * higher is faster).
 */
import { measure } from 'mitata';

/** One measured case: `fn` performs `ops` operations per call. */
export interface Case {
  readonly name: string;
  readonly fn: () => unknown;
  readonly ops?: number;
}

/** The figures of one comparison. */
export interface Comparison {
  readonly title: string;
  readonly baseline: { readonly name: string; readonly nsPerOp: number };
  readonly subjects: readonly {
    readonly name: string;
    readonly nsPerOp: number;
    readonly ratio: number;
  }[];
}

async function nsPerOp(c: Case): Promise<number> {
  const stats = await measure(c.fn, { min_cpu_time: 300e6 });
  return stats.p50 / (c.ops ?? 1);
}

/** Measures `baseline` and each subject, prints a table and returns the figures. */
export async function compare(
  title: string,
  baseline: Case,
  subjects: readonly Case[],
): Promise<Comparison> {
  const base = await nsPerOp(baseline);
  const rows = [];
  for (const s of subjects) {
    const ns = await nsPerOp(s);
    rows.push({ name: s.name, nsPerOp: ns, ratio: base / ns });
  }
  const width = Math.max(baseline.name.length, ...subjects.map((s) => s.name.length)) + 2;
  console.log(`\n${title}`);
  console.log(`  ${'case'.padEnd(width)}${'ns/op'.padStart(12)}${'ratio'.padStart(12)}`);
  console.log(
    `  ${baseline.name.padEnd(width)}${base.toFixed(1).padStart(12)}${'  (baseline)'.padStart(12)}`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(width)}${r.nsPerOp.toFixed(1).padStart(12)}${r.ratio.toFixed(2).padStart(12)}`,
    );
  }
  return { title, baseline: { name: baseline.name, nsPerOp: base }, subjects: rows };
}
