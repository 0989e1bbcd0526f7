/**
 * Labels and the iteration placeholder: which labels an op names, and how
 * `{i}` in a label inside a `repeat` becomes the iteration's number.
 *
 * Shared by the parser (which rejects `{i}` outside a repeat), the label
 * checker (which resolves labels per iteration) and the replayer (which
 * binds the resolved names), so all three read a label the same way.
 */
import type { TraceOp } from './ops.js';

/** Whether a label uses the iteration placeholder `{i}`. */
export function isTemplate(label: string): boolean {
  return label.includes('{i}');
}

/** `label` with `{i}` replaced by `iteration` (unchanged outside a repeat). */
export function resolveLabel(label: string, iteration: number | undefined): string {
  return iteration === undefined || !isTemplate(label)
    ? label
    : label.replaceAll('{i}', String(iteration));
}

/** The labels an op names (what it defines and what it uses); none for a repeat. */
export function labelsOf(op: TraceOp): string[] {
  const labels: string[] = [];
  for (const key of ['as', 'proc', 'map', 'obj', 'cache'] as const) {
    const v = (op as unknown as Record<string, unknown>)[key];
    if (typeof v === 'string' && v !== '') labels.push(v);
  }
  if (op.op === 'spawn') labels.push(op.name);
  return labels;
}
