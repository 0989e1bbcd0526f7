/**
 * The kernel log: a ring buffer of printk records, read back by `dmesg`.
 *
 * Records carry a log level (`KERN_ERR`, `KERN_WARNING`, ...) and a time
 * from the machine's simulated clock, never the host's, so that the same
 * seed gives the same log. When the buffer is full the oldest records are
 * dropped, as with the kernel's `log_buf_len` (default 128 KiB,
 * CONFIG_LOG_BUF_SHIFT=17).
 */
import { checkCount } from './validate.js';

/** Console log levels (include/linux/kern_levels.h). */
export const LogLevel = {
  EMERG: 0,
  ALERT: 1,
  CRIT: 2,
  ERR: 3,
  WARNING: 4,
  NOTICE: 5,
  INFO: 6,
  DEBUG: 7,
} as const;

/** A log level number, 0 (EMERG) to 7 (DEBUG). */
export type LogLevelValue = (typeof LogLevel)[keyof typeof LogLevel];

/** One line of the kernel log. */
export interface LogRecord {
  /** Sequence number, counting every record ever logged. */
  readonly seq: number;
  readonly level: LogLevelValue;
  /** Simulated time since boot, in nanoseconds. */
  readonly timeNs: number;
  readonly text: string;
}

/** Options of {@link KernelLog.dmesg}. */
export interface DmesgOptions {
  /** Print only records at this level or more severe (a lower number). */
  readonly level?: LogLevelValue;
  /** Prefix each line with `[seconds.micros]`, as dmesg does (default true). */
  readonly timestamps?: boolean;
}

/** The default ring-buffer size: 128 KiB. */
export const LOG_BUF_LEN = 128 * 1024;

/** A printk ring buffer over a simulated clock. */
export class KernelLog {
  private records: LogRecord[] = [];
  private first = 0;
  private bytes = 0;
  private seq = 0;

  /**
   * @param clock - returns the simulated time since boot in nanoseconds.
   * @param capacity - bytes of text the buffer keeps.
   */
  constructor(
    private readonly clock: () => number = () => 0,
    readonly capacity: number = LOG_BUF_LEN,
  ) {}

  /**
   * Logs a message; a message with newlines becomes one record a line. A
   * trailing newline ends the message, as in `printk("...\n")`, and adds
   * no empty record.
   */
  printk(level: LogLevelValue, message: string): void {
    const body = message.endsWith('\n') ? message.slice(0, -1) : message;
    for (const text of body.split('\n')) {
      this.records.push({ seq: this.seq++, level, timeNs: this.clock(), text });
      this.bytes += text.length + 1;
    }
    while (this.bytes > this.capacity && this.first < this.records.length) {
      this.bytes -= (this.records[this.first] as LogRecord).text.length + 1;
      this.first++;
    }
    if (this.first > 1024 && this.first * 2 > this.records.length) {
      this.records = this.records.slice(this.first);
      this.first = 0;
    }
  }

  /** The records still in the buffer, oldest first. */
  entries(): readonly LogRecord[] {
    return this.records.slice(this.first);
  }

  /** The log as `dmesg` prints it, one record a line, ending in a newline. */
  dmesg(options: DmesgOptions = {}): string {
    const { level = LogLevel.DEBUG, timestamps = true } = options;
    let out = '';
    for (let i = this.first; i < this.records.length; i++) {
      const r = this.records[i] as LogRecord;
      if (r.level > level) continue;
      out += timestamps ? `${formatTimestamp(r.timeNs)} ${r.text}\n` : `${r.text}\n`;
    }
    return out;
  }

  /** Empties the buffer (`dmesg --clear`). */
  clear(): void {
    this.records = [];
    this.first = 0;
    this.bytes = 0;
  }
}

/** `[%5lu.%06lu]`, as printk prints its timestamps. */
export function formatTimestamp(ns: number): string {
  checkCount('formatTimestamp', 'ns', ns);
  const micros = Math.floor(ns / 1000);
  const seconds = Math.floor(micros / 1e6);
  return `[${String(seconds).padStart(5, ' ')}.${String(micros % 1e6).padStart(6, '0')}]`;
}
