/**
 * Counts in prose: "1 process", "2 processes", "0 pages". Every summary
 * and message the CLI prints with a number before a noun goes through
 * {@link plural}, so that none says "1 processes".
 */

/**
 * `n` and the noun, singular for exactly 1.
 *
 * @param n - the count
 * @param singular - the noun for one (`'page'`)
 * @param pluralForm - the noun for any other count (default: `singular` + `'s'`)
 *
 * @example
 * ```ts
 * plural(1, 'process', 'processes'); // '1 process'
 * plural(2, 'process', 'processes'); // '2 processes'
 * plural(0, 'page'); // '0 pages'
 * ```
 */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}
