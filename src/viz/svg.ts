/**
 * The few SVG helpers the pictures of src/viz share: escaping, number
 * formatting, element builders, a byte-size formatter and option checks.
 *
 * Every picture is built as an array of strings joined once at the end;
 * nothing here keeps state. Numbers print through {@link fmt}, which rounds
 * to two decimals and drops trailing zeros, so that the same machine state
 * always gives the same bytes (no locale, no clock, no random choice).
 */

/**
 * Font stack for titles and prose (the root `font-family` of every picture).
 *
 * @example
 * ```ts
 * text(0, 12, 'Legend', { 'font-family': SANS });
 * ```
 */
export const SANS = 'DejaVu Sans, Verdana, Helvetica, Arial, sans-serif';
/**
 * Font stack for addresses and numbers (fixed-width, so widths can be estimated).
 *
 * @example
 * ```ts
 * text(0, 12, '0x01000000', { 'font-family': MONO });
 * ```
 */
export const MONO = 'DejaVu Sans Mono, Menlo, Consolas, monospace';

/**
 * Escapes text for an XML text node or a double-quoted attribute value.
 * Characters XML 1.0 cannot carry at all (C0 controls other than tab,
 * newline and carriage return, and lone surrogates) become U+FFFD.
 *
 * @example
 * ```ts
 * escapeXml('a < b & "c"'); // 'a &lt; b &amp; &quot;c&quot;'
 * ```
 */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (
      (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) ||
      (c >= 0xd800 && c <= 0xdfff) ||
      c === 0xfffe ||
      c === 0xffff
    )
      out += '\ufffd';
    else out += ch;
  }
  return out;
}

/**
 * A number as SVG prints it here: at most two decimals, no trailing zeros,
 * no exponent, `-0` as `0`.
 *
 * @example
 * ```ts
 * fmt(1 / 3); // '0.33'
 * fmt(12); // '12'
 * ```
 */
export function fmt(value: number): string {
  const r = Math.round(value * 100) / 100;
  if (r === 0) return '0';
  return r.toFixed(2).replace(/\.?0+$/, '');
}

/**
 * Attribute values an element takes; `undefined` and `null` leave the attribute out.
 *
 * @example
 * ```ts
 * const attrs: Attrs = { x: 0, fill: '#fff', 'font-style': italic ? 'italic' : undefined };
 * ```
 */
export type Attrs = Readonly<Record<string, string | number | undefined | null>>;

/** ` name="value"` for each attribute, in the order given, values escaped. */
function renderAttrs(attrs: Attrs): string {
  let out = '';
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    out += ` ${name}="${typeof value === 'number' ? fmt(value) : escapeXml(value)}"`;
  }
  return out;
}

/**
 * An element with attributes and optional children (already-rendered
 * markup). With no children it is self-closing.
 *
 * @example
 * ```ts
 * el('rect', { x: 1, y: 2, width: 3, height: 4 }); // '<rect x="1" y="2" width="3" height="4"/>'
 * el('g', { class: 'bars' }, [el('rect', { width: 1 })]);
 * ```
 */
export function el(name: string, attrs: Attrs = {}, children?: readonly string[]): string {
  if (children === undefined || children.length === 0) return `<${name}${renderAttrs(attrs)}/>`;
  return `<${name}${renderAttrs(attrs)}>${children.join('')}</${name}>`;
}

/**
 * A `<text>` element holding `content` (escaped).
 *
 * @example
 * ```ts
 * text(10, 20, 'DMA32 & up', { 'font-size': 12 }); // '<text x="10" y="20" font-size="12">DMA32 &amp; up</text>'
 * ```
 */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return `<text${renderAttrs({ x, y, ...attrs })}>${escapeXml(content)}</text>`;
}

/**
 * The whole document: an `<svg>` root with a white background, a
 * `<title>` for screen readers and the body. The root has a `viewBox` of
 * `width` x `height` and no `width` or `height` attribute, so the picture
 * scales to its container (an `<img>` in a page or a README fills the
 * width it is given and keeps its proportions); a program that wants a
 * fixed size sets it on the element that shows the picture.
 *
 * @example
 * ```ts
 * svgDocument(200, 100, 'Empty', []); // '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100" ...'
 * ```
 */
export function svgDocument(
  width: number,
  height: number,
  title: string,
  body: readonly string[],
  rootAttrs: Attrs = {},
): string {
  const w = fmt(width);
  const h = fmt(height);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}"` +
    `${renderAttrs({ role: 'img', ...rootAttrs })}>\n` +
    `<title>${escapeXml(title)}</title>\n` +
    `${el('rect', { width: w, height: h, fill: '#ffffff' })}\n` +
    `${body.join('\n')}\n</svg>\n`
  );
}

/**
 * A byte count in binary units, as a person reads it: `4 KiB`, `1.5 MiB`,
 * `16 GiB` (at most two decimals, trailing zeros dropped).
 *
 * @example
 * ```ts
 * formatBytes(64 * 2 ** 20); // '64 MiB'
 * formatBytes(1536); // '1.5 KiB'
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${fmt(value)} ${units[unit]}`;
}

/**
 * Checks an optional integer option: `undefined` gives `fallback`, anything
 * else must be an integer in `[min, max]`.
 *
 * @throws RangeError naming the function, the option and the value.
 *
 * @example
 * ```ts
 * intOption('renderMemoryMap', 'width', undefined, 1000, 320, 20000); // 1000
 * intOption('renderMemoryMap', 'width', 10, 1000, 320, 20000); // throws RangeError
 * ```
 */
export function intOption(
  fn: string,
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${fn}: option ${name} is ${describe(value)}, expected an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/**
 * Checks an optional string option: `undefined` gives `undefined`, anything
 * else must be a string.
 *
 * @throws RangeError naming the function, the option and the value.
 *
 * @example
 * ```ts
 * stringOption('renderBuddyInfo', 'title', 'Free blocks'); // 'Free blocks'
 * ```
 */
export function stringOption(fn: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new RangeError(`${fn}: option ${name} is ${describe(value)}, expected a string`);
  }
  return value;
}

/**
 * Checks that `options` is an object (or `undefined`) and has no key
 * outside `known`, so that a misspelt option is reported, not ignored.
 *
 * @throws RangeError naming the function and the unknown option.
 *
 * @example
 * ```ts
 * checkOptionKeys('renderBuddyInfo', { width: 800 }, ['width', 'title']); // passes
 * ```
 */
export function checkOptionKeys(fn: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new RangeError(`${fn}: options is ${describe(options)}, expected an object`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new RangeError(
        `${fn}: unknown option ${JSON.stringify(key)} (known: ${known.join(', ')})`,
      );
    }
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  if (value === undefined) return 'undefined';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Approximate rendered width of `s` at `fontSize` in a fixed-width font
 * (DejaVu Sans Mono advances 0.602 em). Used to lay out labels without
 * measuring text.
 *
 * @example
 * ```ts
 * monoWidth('0x1000', 12); // about 43
 * ```
 */
export function monoWidth(s: string, fontSize: number): number {
  return [...s].length * fontSize * 0.602;
}

/**
 * A generous estimate of the width of `s` at `fontSize` in a proportional
 * sans-serif font (DejaVu Sans is among the widest), for layout only.
 *
 * @example
 * ```ts
 * sansWidth('anonymous', 12); // about 66
 * ```
 */
export function sansWidth(s: string, fontSize: number): number {
  let em = 0;
  for (const ch of s) {
    if ("iljtf.,:;|!' ()[]".includes(ch)) em += 0.34;
    else if ('mwMW%@'.includes(ch)) em += 0.92;
    else if (ch >= 'A' && ch <= 'Z') em += 0.7;
    else if (ch >= '0' && ch <= '9') em += 0.64;
    else em += 0.58;
  }
  return em * fontSize;
}

/**
 * Breaks `s` at spaces into lines no wider than `maxWidth` at `fontSize`
 * (by {@link sansWidth}); a word longer than a line stays whole.
 *
 * @example
 * ```ts
 * wrapText('a fairly long line of text', 60, 12); // ['a fairly', 'long line', 'of text']
 * ```
 */
export function wrapText(s: string, maxWidth: number, fontSize: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`;
    if (line !== '' && sansWidth(next, fontSize) > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}
