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

  it('/proc/<pid>/status has the same lines in the same order', () => {
    const p = k.spawn({ name: 'cat' });
    const labels = (text: string) => text.split('\n').map((l) => l.split(':')[0]);
    expect(labels(k.proc(`/proc/${p.pid}/status`))).toEqual(labels(real('status')));
    p.exit();
  });

  it('/proc/<pid>/smaps has the same fields, widths and VmFlags for a stack', () => {
    const p = k.spawn();
    p.store32(p.mm.startStack - 8, 1);
    const lines = k.proc(`/proc/${p.pid}/smaps`).split('\n');
    const at = lines.findIndex((l) => l.endsWith('[stack]'));
    const theirs = real('smaps-stack').split('\n');
    const from = theirs.findIndex((l) => l.startsWith('Size:'));
    const fields = (ls: string[]) => ls.map((l) => l.replace(/\d+/g, '').replace(/ +/g, ' '));
    expect(fields(lines.slice(at + 1, at + 25))).toEqual(fields(theirs.slice(from, from + 24)));
    // Values are right-aligned to the same column ("%8lu kB" after a 16-wide label).
    expect((lines[at + 1] as string).indexOf(' kB')).toBe((theirs[from] as string).indexOf(' kB'));
    p.exit();
  });

  it('/proc/<pid>/maps pads names to the same column', () => {
    const p = k.spawn();
    const ours =
      k
        .proc(`/proc/${p.pid}/maps`)
        .split('\n')
        .find((l) => l.endsWith('[stack]')) ?? '';
    const theirs =
      real('maps')
        .split('\n')
        .find((l) => l.endsWith('[stack]')) ?? '';
    expect(ours.indexOf('[stack]')).toBe(theirs.indexOf('[stack]'));
    const line = /^[0-9a-f]{12}-[0-9a-f]{12} rw-p 00000000 00:00 0 +\[stack\]$/;
    expect(ours).toMatch(line);
    expect(theirs).toMatch(line);
    p.exit();
  });
});
