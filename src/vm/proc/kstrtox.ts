/**
 * The kernel's number parsing for /proc writes (lib/kstrtox.c,
 * include/linux/ctype.h): the pieces `kstrtoint` and the sysctl handlers'
 * `proc_get_long` share. Base 0 reads `0x1f` as hex and `017` as octal,
 * anything else as decimal; the digits end at the first character that is
 * not a digit of the base.
 */

/** `isspace`: space, tab, newline, vertical tab, form feed, carriage return. */
export function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/** The value of a digit in bases up to 16, or 99 for a character that is none. */
export function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return 99;
}

/**
 * `_parse_integer_fixup_radix` with base 0, then `_parse_integer`: the
 * digits of `s` from `at`. Returns the value, where the digits end and
 * whether the value passed 2**64 - 1 (`KSTRTOX_OVERFLOW`).
 */
export function parseIntegerBase0(
  s: string,
  at: number,
): {
  readonly value: bigint;
  readonly begin: number;
  readonly end: number;
  readonly overflow: boolean;
} {
  let base = 10;
  let p = at;
  if (s[p] === '0') {
    if ((s[p + 1] === 'x' || s[p + 1] === 'X') && digitValue(s[p + 2]) < 16) {
      base = 16;
      p += 2;
    } else {
      base = 8;
    }
  }
  const begin = p;
  let value = 0n;
  let overflow = false;
  const big = BigInt(base);
  while (digitValue(s[p]) < base) {
    if (!overflow) {
      value = value * big + BigInt(digitValue(s[p]));
      if (value >= 1n << 64n) overflow = true;
    }
    p++;
  }
  return { value, begin, end: p, overflow };
}

/**
 * `kstrtoint(s, 0)`: the int `s` holds (an optional `-`, an optional `+`,
 * digits in base 0, an optional trailing newline and nothing else), or the
 * errno: EINVAL for anything else, ERANGE for a value no int holds.
 *
 * @example
 * ```ts
 * kstrtoint('-0x10\n'); // -16
 * kstrtoint('5 6');     // 'EINVAL'
 * ```
 */
export function kstrtoint(s: string): number | 'EINVAL' | 'ERANGE' {
  let p = 0;
  const neg = s[0] === '-';
  if (neg) p++;
  if (s[p] === '+') p++;
  const parsed = parseIntegerBase0(s, p);
  if (parsed.end === parsed.begin) return 'EINVAL';
  if (parsed.overflow) return 'ERANGE';
  p = parsed.end;
  if (s[p] === '\n') p++;
  if (p !== s.length) return 'EINVAL';
  const signed = neg ? -parsed.value : parsed.value;
  if (signed < -(2n ** 31n) || signed > 2n ** 31n - 1n) return 'ERANGE';
  return Number(signed);
}
