/**
 * The shipped example traces are found by name, so `mmsim replay fork-cow`
 * (or the README's `examples/traces/fork-cow.jsonl`) works from an install;
 * scripts/check-consumer.ts runs the same lookup from a packed install.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  exampleTraceNames,
  exampleTracePath,
  exampleTracesDir,
} from '../src/cli/example-traces.js';

const traces = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'traces');

describe('example traces', () => {
  it('finds the examples folder from the module', () => {
    expect(exampleTracesDir()).toBe(traces);
  });

  it('lists every .jsonl of the folder by name', () => {
    const files = readdirSync(traces).filter((f) => f.endsWith('.jsonl'));
    expect(exampleTraceNames()).toEqual(files.map((f) => f.replace(/\.jsonl$/, '')).sort());
    expect(exampleTraceNames()).toContain('fork-cow');
  });

  it.each([
    'fork-cow',
    'fork-cow.jsonl',
    'examples/traces/fork-cow.jsonl',
    './examples/traces/fork-cow.jsonl',
    'examples\\traces\\fork-cow.jsonl',
  ])('resolves %s to the shipped fork-cow.jsonl', (arg) => {
    expect(exampleTracePath(arg)).toBe(join(traces, 'fork-cow.jsonl'));
  });

  it.each([
    'no-such-example',
    'other/dir/fork-cow.jsonl',
    '/abs/examples/traces/fork-cow.jsonl',
    '../examples/traces/fork-cow.jsonl',
    'Fork-Cow',
    '-',
    '',
  ])('does not resolve %j', (arg) => {
    expect(exampleTracePath(arg)).toBeUndefined();
  });
});
