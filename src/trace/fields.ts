/**
 * Reading one op's fields: a `Fields` wraps the op's JSON object and has
 * one reader per kind of value a trace writes (labels, strings, integers,
 * byte counts and sizes such as "64K", protections, flag lists, GFP masks,
 * `expect`, 32-bit words).
 *
 * Each reader checks the value and fails with a `TraceSyntaxError` naming
 * the op, the field, what it got (`show`) and what it expects; a missing
 * field either takes the reader's fallback or is reported as required.
 * Every read is recorded, so `done` can reject an unknown field with the
 * list of fields the op does take. What the op means is not known here:
 * that is the op schemas' business (`op-schemas.ts`).
 */

import { checkGfp } from '../gfp/zone.js';
import { Errno } from '../page/errno.js';
import { KernelBug } from '../page/errors.js';
import * as mman from '../vm/mman.js';
import { type OpLocation, TraceSyntaxError } from './errors.js';
import { GFP_NAMES } from './flag-names.js';
import type { Expect, WordValue } from './ops.js';

/** A JSON value, shown in a message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array (${JSON.stringify(value)})`;
  if (value !== null && typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

/**
 * Reads one op's fields and fails, naming the op and the field, on any
 * bad one; `done` rejects fields the op never read.
 */
export class Fields {
  private readonly read = new Set<string>();

  constructor(
    private readonly raw: Readonly<Record<string, unknown>>,
    readonly at: OpLocation,
    readonly op: string,
  ) {}

  fail(detail: string): never {
    throw new TraceSyntaxError(this.at, this.op, detail);
  }

  has(name: string): boolean {
    this.read.add(name);
    return this.raw[name] !== undefined;
  }

  get(name: string): unknown {
    this.read.add(name);
    return this.raw[name];
  }

  private required(name: string, what: string): unknown {
    const v = this.get(name);
    if (v === undefined) this.fail(`"${name}" is required (${what})`);
    return v;
  }

  /** A label: a non-empty string. */
  label(name: string): string {
    const v = this.required(name, 'a label');
    if (typeof v !== 'string' || v === '')
      this.fail(`"${name}" must be a label (a non-empty string), got ${show(v)}`);
    return v;
  }

  optionalLabel(name: string): string | null {
    return this.has(name) ? this.label(name) : null;
  }

  string(name: string, fallback?: string): string {
    const v = fallback === undefined ? this.required(name, 'a string') : this.get(name);
    if (v === undefined) return fallback as string;
    if (typeof v !== 'string') this.fail(`"${name}" must be a string, got ${show(v)}`);
    return v;
  }

  integer(name: string, min: number, max: number, fallback?: number): number {
    const v =
      fallback === undefined
        ? this.required(name, `an integer from ${min} to ${max}`)
        : this.get(name);
    if (v === undefined) return fallback as number;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(`"${name}" must be an integer from ${min} to ${max}, got ${show(v)}`);
    }
    return v;
  }

  /**
   * A byte count: an integer, or a size string ("64K", "4M"). `min` 1
   * makes it positive; `signed` allows a negative value ("-64K").
   */
  bytes(name: string, options: { min: 0 | 1; signed?: boolean; fallback?: number }): number {
    const { min, signed = false, fallback } = options;
    const v = fallback === undefined ? this.required(name, 'a number of bytes') : this.get(name);
    if (v === undefined) return fallback as number;
    const kind = signed
      ? 'an integer'
      : min === 1
        ? 'a positive integer'
        : 'a non-negative integer';
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || (!signed && v < min) || (signed && v === 0)) {
        this.fail(`"${name}" must be ${signed ? 'a non-zero integer' : kind}, got ${show(v)}`);
      }
      return v;
    }
    if (typeof v === 'string') {
      const m = /^\s*(-?)\s*(0x[0-9a-f]+|\d+)\s*([kmgt]?)(i?b)?\s*$/i.exec(v);
      if (m !== null && (signed || m[1] === '')) {
        const shift = { '': 0, k: 10, m: 20, g: 30, t: 40 }[(m[3] ?? '').toLowerCase()] ?? 0;
        const n = Number(m[2]) * 2 ** shift * (m[1] === '-' ? -1 : 1);
        if (Number.isSafeInteger(n) && (signed ? n !== 0 : n >= min)) return n;
      }
    }
    this.fail(
      `"${name}" must be ${signed ? 'a non-zero integer' : kind} or a size such as "64K", got ${show(v)}`,
    );
  }

  /** `"rw"`, `"r-x"`, `"none"`, or PROT_* bits as a number. */
  prot(name: string, fallback: number): number {
    const v = this.get(name);
    if (v === undefined) return fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 7) return v;
    if (typeof v === 'string') {
      if (v === 'none' || v === '---') return mman.PROT_NONE;
      let prot = 0;
      let ok = v.length > 0;
      for (const c of v) {
        const bit =
          c === 'r'
            ? mman.PROT_READ
            : c === 'w'
              ? mman.PROT_WRITE
              : c === 'x'
                ? mman.PROT_EXEC
                : c === '-'
                  ? 0
                  : -1;
        if (bit < 0 || (bit !== 0 && (prot & bit) !== 0)) ok = false;
        else prot |= bit;
      }
      if (ok) return prot;
    }
    this.fail(
      `"${name}" must be protection letters from "rwx" (e.g. "rw", "r-x", "none") or a number 0..7, got ${show(v)}`,
    );
  }

  /** A list of names from `table` OR-ed together, or a number; `what` names the bits in messages. */
  flagList(
    name: string,
    table: Readonly<Record<string, number>>,
    fallback: readonly string[],
    what: string,
  ): { bits: number; names: readonly string[] | null } {
    let v = this.get(name);
    if (v === undefined) v = fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { bits: v, names: null };
    if (typeof v === 'string') v = [v];
    const expected = Object.keys(table).join(', ');
    if (!Array.isArray(v))
      this.fail(`"${name}" must be a list of ${what} (${expected}) or a number, got ${show(v)}`);
    let bits = 0;
    for (const item of v) {
      const key =
        typeof item === 'string' ? item.toLowerCase().replace(/^(slab_|map_|ms_)/, '') : '';
      const bit = Object.hasOwn(table, key) ? table[key] : undefined;
      if (bit === undefined)
        this.fail(`"${name}": unknown ${what} ${show(item)} (expected ${expected})`);
      bits |= bit;
    }
    return {
      bits,
      names: v.map((x) =>
        String(x)
          .toLowerCase()
          .replace(/^(slab_|map_|ms_)/, ''),
      ),
    };
  }

  /** A GFP mask: `"GFP_KERNEL|__GFP_ZERO"` or a number. */
  gfp(name: string): number {
    const v = this.get(name) ?? 'GFP_KERNEL';
    let gfp = Number.NaN;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) gfp = v;
    if (typeof v === 'string') {
      gfp = 0;
      for (const part of v.split('|')) {
        const bits = GFP_NAMES.get(part.trim());
        if (bits === undefined)
          this.fail(
            `"${name}": unknown GFP flag ${JSON.stringify(part.trim())} (expected names such as GFP_KERNEL, GFP_ATOMIC, __GFP_ZERO, joined with "|")`,
          );
        gfp |= bits;
      }
    }
    if (Number.isNaN(gfp))
      this.fail(
        `"${name}" must be GFP flags such as "GFP_KERNEL|__GFP_ZERO" or a number, got ${show(v)}`,
      );
    try {
      checkGfp(this.op, gfp);
    } catch (e) {
      if (e instanceof KernelBug) this.fail(`"${name}": ${e.message.replace(`${this.op}: `, '')}`);
      throw e;
    }
    return gfp;
  }

  /** `"ok"` (the default) or an errno name the call must fail with. */
  expect(): Expect {
    const v = this.get('expect');
    if (v === undefined || v === 'ok') return 'ok';
    if (typeof v === 'string' && Object.hasOwn(Errno, v)) return v;
    this.fail(
      `"expect" must be "ok" or an errno name such as "ENOMEM" or "EINVAL", got ${show(v)}`,
    );
  }

  /** A 32-bit word, or `"index"`. */
  word(name: string): WordValue | null {
    const v = this.get(name);
    if (v === undefined) return null;
    if (v === 'index') return 'index';
    if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32)
      return v >>> 0;
    this.fail(`"${name}" must be a 32-bit integer or "index", got ${show(v)}`);
  }

  /** Rejects fields the op did not read. */
  done(): void {
    for (const key of Object.keys(this.raw)) {
      if (key === 'op' || this.read.has(key)) continue;
      const known = [...this.read];
      this.fail(
        `unknown field ${JSON.stringify(key)} (${known.length === 0 ? 'it takes no fields' : `expected ${known.join(', ')}`})`,
      );
    }
  }
}
