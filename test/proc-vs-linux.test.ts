/**
 * mmsim's /proc files against the same files read on a real Linux 6.18
 * machine (test/fixtures/linux-6.18): the numbers differ, the layout may
 * not. Each comparison reduces both files to their labels and column
 * shapes, line by line.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../src/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'linux-6.18');
const real = (name: string) => readFileSync(join(fixtures, name), 'utf8');

/** A line with every number replaced by N, keeping the spacing. */
function shape(line: string): string {
  return line.replace(/\d+/g, (digits) => 'N'.padStart(digits.length, ' '));
}

/** The label sequence of one zone's block in /proc/zoneinfo. */
function zoneLabels(text: string, zone: string): string[] {
  const block =
    text.split(/^Node 0, zone/m).find((b) => b.trim().split('\n')[0]?.trim() === zone) ?? '';
  return block
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((l) => l !== '');
}

describe('the /proc files have Linux 6.18’s layout', () => {
  const k = Kernel.boot({ memory: '8G', cpus: 2 });

  it('/proc/zoneinfo lists the same items, in the same order, for every zone', () => {
    const ours = k.proc('/proc/zoneinfo');
    const theirs = real('zoneinfo');
    for (const zone of ['DMA', 'DMA32', 'Normal', 'Movable']) {
      expect(zoneLabels(ours, zone)).toEqual(zoneLabels(theirs, zone));
    }
  });

  it('/proc/buddyinfo lines have the same columns', () => {
    // "Node %d, zone %8s " then "%6lu " per order.
    const layout = (line: string) => {
      const head = /^Node \d+, zone +\S+ /.exec(line)?.[0] ?? '';
      const rest = line.slice(head.length);
      const fields = rest.match(/.{7}/g) ?? [];
      return {
        head: head.length,
        fields: fields.length,
        ok: fields.every((f) => /^ *\d+ $/.test(f)) && rest.length === fields.length * 7,
      };
    };
    const theirs = real('buddyinfo').trimEnd().split('\n').map(layout);
    const ours = k.proc('/proc/buddyinfo').trimEnd().split('\n').map(layout);
    expect(ours).toEqual(theirs);
  });

  it('/proc/pagetypeinfo has the same headers and row layout', () => {
    const theirs = real('pagetypeinfo').split('\n');
    const ours = k.proc('/proc/pagetypeinfo').split('\n');
    expect(ours.slice(0, 4)).toEqual(theirs.slice(0, 4));
    const row = (l: string) => l.replace(/ +\d+ /g, ' N ');
    const theirRows = new Set(theirs.filter((l) => l.startsWith('Node    0')).map(row));
    for (const l of ours.filter((x) => x.startsWith('Node    0')))
      expect(theirRows.has(row(l))).toBe(true);
    const blockHeader = theirs.find((l) => l.startsWith('Number of blocks type')) as string;
    // The real machine has CMA; mmsim does not, so its header lacks that one column.
    expect(ours.find((l) => l.startsWith('Number of blocks type'))).toBe(
      blockHeader.replace('          CMA ', ''),
    );
  });

  it('/proc/slabinfo has the same two header lines and column widths', () => {
    const theirs = real('slabinfo').split('\n');
    const ours = k.proc('/proc/slabinfo').split('\n');
    expect(ours.slice(0, 2)).toEqual(theirs.slice(0, 2));
    const kmalloc64 = (lines: string[]) =>
      shape(lines.find((l) => l.startsWith('kmalloc-64 ')) as string);
    expect(kmalloc64(ours).replace(/N/g, '').length).toBe(
      kmalloc64(theirs).replace(/N/g, '').length,
    );
  });
});
