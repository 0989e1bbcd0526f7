/**
 * Tests of src/page/kernel-log.ts: printk records, dmesg's text form
 * (`[%5lu.%06lu] text`), level filtering and the ring buffer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTimestamp, KernelLog, LOG_BUF_LEN, LogLevel } from '../src/page/index.js';

describe('formatTimestamp', () => {
  it('prints seconds padded to 5 and microseconds to 6 digits', () => {
    expect(formatTimestamp(0)).toBe('[    0.000000]');
    expect(formatTimestamp(1_234_567_890)).toBe('[    1.234567]');
    expect(formatTimestamp(999)).toBe('[    0.000000]'); // below a microsecond
    expect(formatTimestamp(1000)).toBe('[    0.000001]');
    expect(formatTimestamp(59_999_999_999)).toBe('[   59.999999]');
    expect(formatTimestamp(12_345 * 1e9)).toBe('[12345.000000]');
    expect(formatTimestamp(123_456 * 1e9 + 7_000)).toBe('[123456.000007]'); // wider, not cut
  });

  it('agrees with a reference for any time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999 * 1e9 }), (ns) => {
        const us = Math.floor(ns / 1000);
        const s = formatTimestamp(ns);
        expect(s).toMatch(/^\[ *\d+\.\d{6}\]$/);
        expect(s).toHaveLength(14);
        const [sec, micro] = s.slice(1, -1).trim().split('.') as [string, string];
        expect(Number(sec) * 1e6 + Number(micro)).toBe(us);
      }),
    );
  });
});

describe('KernelLog', () => {
  it('formats each record as dmesg does', () => {
    const log = new KernelLog();
    log.printk(LogLevel.INFO, 'Zone ranges:');
    log.printk(LogLevel.WARNING, 'hello');
    expect(log.dmesg()).toBe('[    0.000000] Zone ranges:\n[    0.000000] hello\n');
    expect(log.dmesg({ timestamps: false })).toBe('Zone ranges:\nhello\n');
  });

  it('is empty at first', () => {
    const log = new KernelLog();
    expect(log.dmesg()).toBe('');
    expect(log.entries()).toEqual([]);
    expect(log.capacity).toBe(LOG_BUF_LEN);
    expect(LOG_BUF_LEN).toBe(128 * 1024);
  });

  it('stamps records with the simulated clock', () => {
    let now = 0;
    const log = new KernelLog(() => now);
    log.printk(LogLevel.INFO, 'a');
    now = 1_234_567_890;
    log.printk(LogLevel.INFO, 'b');
    now = 42_000_001_000;
    log.printk(LogLevel.ERR, 'c');
    expect(log.dmesg()).toBe('[    0.000000] a\n[    1.234567] b\n[   42.000001] c\n');
    expect(log.entries().map((r) => r.timeNs)).toEqual([0, 1_234_567_890, 42_000_001_000]);
  });

  it('splits a multi-line message into one record a line', () => {
    const log = new KernelLog(() => 5_000);
    log.printk(LogLevel.ERR, 'line one\nline two\n  indented three');
    expect(log.dmesg()).toBe(
      '[    0.000005] line one\n[    0.000005] line two\n[    0.000005]   indented three\n',
    );
    const entries = log.entries();
    expect(entries.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(entries.every((r) => r.level === LogLevel.ERR)).toBe(true);
  });

  it('a trailing newline ends the message: it adds no empty line', () => {
    // printk("...\n") is the kernel's usual form: the newline terminates the record.
    const log = new KernelLog();
    log.printk(LogLevel.INFO, 'Zone ranges:\n');
    log.printk(LogLevel.INFO, 'a\nb\n');
    expect(log.dmesg({ timestamps: false })).toBe('Zone ranges:\na\nb\n');
    expect(log.entries()).toHaveLength(3);
  });

  it('keeps empty lines inside a message and empty messages', () => {
    const log = new KernelLog();
    log.printk(LogLevel.INFO, 'a\n\nb');
    log.printk(LogLevel.INFO, '');
    expect(log.dmesg({ timestamps: false })).toBe('a\n\nb\n\n');
  });

  it('filters by level: only records at the level or more severe', () => {
    const log = new KernelLog();
    const levels = Object.entries(LogLevel) as [string, (typeof LogLevel)[keyof typeof LogLevel]][];
    for (const [name, level] of levels) log.printk(level, name);
    expect(log.dmesg({ timestamps: false })).toBe(
      'EMERG\nALERT\nCRIT\nERR\nWARNING\nNOTICE\nINFO\nDEBUG\n',
    );
    expect(log.dmesg({ level: LogLevel.ERR, timestamps: false })).toBe('EMERG\nALERT\nCRIT\nERR\n');
    expect(log.dmesg({ level: LogLevel.EMERG })).toBe('[    0.000000] EMERG\n');
    expect(log.dmesg({ level: LogLevel.DEBUG })).toBe(log.dmesg());
    expect(LogLevel).toEqual({
      EMERG: 0,
      ALERT: 1,
      CRIT: 2,
      ERR: 3,
      WARNING: 4,
      NOTICE: 5,
      INFO: 6,
      DEBUG: 7,
    });
  });

  it('drops the oldest records when the buffer is full, keeping the newest', () => {
    // Each record costs its text plus a newline: 'msg-NN' is 7 bytes.
    const log = new KernelLog(() => 0, 70);
    for (let i = 0; i < 25; i++) log.printk(LogLevel.INFO, `msg-${String(i).padStart(2, '0')}`);
    const entries = log.entries();
    expect(entries).toHaveLength(10);
    expect(entries.map((r) => r.text)).toEqual(
      Array.from({ length: 10 }, (_, i) => `msg-${i + 15}`),
    );
    // Sequence numbers count every record ever logged.
    expect(entries.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 15));
    expect(log.dmesg({ timestamps: false })).toBe(entries.map((r) => `${r.text}\n`).join(''));
  });

  it('ring buffer property: the newest records that fit, in order, with consecutive seqs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 400 }),
        fc.array(
          fc.string({ maxLength: 30 }).map((s) => s.replace(/\n/g, ' ')),
          {
            maxLength: 300,
          },
        ),
        (capacity, texts) => {
          const log = new KernelLog(() => 0, capacity);
          for (const t of texts) log.printk(LogLevel.INFO, t);
          // The longest suffix of texts whose cost fits the capacity.
          let bytes = 0;
          let first = texts.length;
          while (first > 0 && bytes + (texts[first - 1] as string).length + 1 <= capacity) {
            first--;
            bytes += (texts[first] as string).length + 1;
          }
          const entries = log.entries();
          expect(entries.map((r) => r.text)).toEqual(texts.slice(first));
          expect(entries.map((r) => r.seq)).toEqual(
            Array.from({ length: texts.length - first }, (_, i) => first + i),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('survives long runs (the buffer compacts) and keeps the newest', () => {
    const log = new KernelLog(() => 0, 1000);
    for (let i = 0; i < 20_000; i++) log.printk(LogLevel.DEBUG, `r${i}`);
    const entries = log.entries();
    expect(entries.at(-1)).toMatchObject({ seq: 19_999, text: 'r19999' });
    const bytes = entries.reduce((n, r) => n + r.text.length + 1, 0);
    expect(bytes).toBeLessThanOrEqual(1000);
    expect(bytes + `r${(entries[0]?.seq ?? 0) - 1}`.length + 1).toBeGreaterThan(1000);
    expect(log.dmesg({ timestamps: false }).split('\n').at(-2)).toBe('r19999');
  });

  it('clear() empties the buffer; sequence numbers carry on', () => {
    const log = new KernelLog();
    log.printk(LogLevel.INFO, 'one\ntwo');
    log.clear();
    expect(log.dmesg()).toBe('');
    expect(log.entries()).toEqual([]);
    log.printk(LogLevel.INFO, 'three');
    expect(log.dmesg()).toBe('[    0.000000] three\n');
    expect(log.entries()[0]?.seq).toBe(2);
  });

  it('clear() resets the byte count: a full buffer holds as much again after clearing', () => {
    const log = new KernelLog(() => 0, 20);
    for (let i = 0; i < 10; i++) log.printk(LogLevel.INFO, 'abcd'); // 5 bytes each
    expect(log.entries()).toHaveLength(4);
    log.clear();
    for (let i = 0; i < 4; i++) log.printk(LogLevel.INFO, 'wxyz');
    expect(log.entries()).toHaveLength(4);
  });

  it('entries() is a snapshot the caller cannot use to change the log', () => {
    const log = new KernelLog();
    log.printk(LogLevel.INFO, 'x');
    const e = log.entries() as unknown as unknown[];
    e.pop();
    expect(log.entries()).toHaveLength(1);
  });
});
