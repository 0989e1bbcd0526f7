/**
 * Addresses as JS numbers.
 *
 * Physical addresses are `0 <= pa < memory`; a frame is named by its frame
 * number (`Pfn`, `pa >> PAGE_SHIFT`). On 64-bit architectures a virtual
 * address is held as the *signed* value of the 64-bit address: a canonical
 * 48-bit address is the sign extension of bit 47, so every canonical address
 * is an integer in `[-2**47, 2**47)` and is exact in a double. Kernel-half
 * addresses are negative (`0xffff888000000000` is `-0x778000000000`). On
 * 32-bit architectures virtual addresses are `[0, 2**32)`.
 *
 * The branded types below mark which kind of number a function returns;
 * every function accepts plain numbers.
 */
import type { Arch } from './arch.js';
import { KernelBug } from './errors.js';
import { checkInteger, describeValue } from './validate.js';

declare const brand: unique symbol;
/** A page frame number. */
export type Pfn = number & { readonly [brand]: 'Pfn' };
/** A physical address. */
export type PhysAddr = number & { readonly [brand]: 'PhysAddr' };
/** A virtual address in mmsim's signed form. */
export type VirtAddr = number & { readonly [brand]: 'VirtAddr' };

const TWO_64 = 2 ** 64;
const TWO_64N = 1n << 64n;

/**
 * Whether `va` is a canonical virtual address of a `vaBits`-bit address
 * space in mmsim's form: for 64-bit spaces (48 bits) an integer in
 * `[-2**(vaBits-1), 2**(vaBits-1))`; for 32 bits an integer in `[0, 2**32)`.
 *
 * A `bigint` is read as the unsigned 64-bit address (`0xffff888000000000n`)
 * and is canonical when bits 63..vaBits-1 are all equal.
 */
export function isCanonical(va: number | bigint, vaBits = 48): boolean {
  if (!(Number.isInteger(vaBits) && vaBits >= 32 && vaBits <= 64)) {
    throw new RangeError(
      `isCanonical: vaBits ${describeValue(vaBits)} is not an integer from 32 to 64`,
    );
  }
  if (typeof va === 'bigint') {
    if (va < 0n || va >= TWO_64N) return false;
    if (vaBits === 32) return va < 1n << 32n;
    const top = va >> BigInt(vaBits - 1);
    return top === 0n || top === (1n << BigInt(65 - vaBits)) - 1n;
  }
  if (!Number.isInteger(va)) return false;
  if (vaBits === 32) return va >= 0 && va < 2 ** 32;
  const half = 2 ** (vaBits - 1);
  return va >= -half && va < half;
}

/**
 * Converts an address to mmsim's signed form: a `bigint` is read as an
 * unsigned 64-bit address (`0xffff888000000000n`); a number is taken as the
 * signed form already, or as an unsigned address at or above `2**63` when
 * it is exactly representable.
 *
 * @throws RangeError if the address is not a canonical 48-bit address.
 */
export function virtAddr(x: number | bigint): VirtAddr {
  if (typeof x !== 'number' && typeof x !== 'bigint') {
    throw new RangeError(`virtAddr: ${describeValue(x)} is not a canonical 48-bit address`);
  }
  if (typeof x === 'bigint') {
    if (!isCanonical(x, 48)) {
      throw new RangeError(`virtAddr: 0x${x.toString(16)} is not a canonical 48-bit address`);
    }
    return Number(BigInt.asIntN(64, x)) as VirtAddr;
  }
  const signed = Number.isInteger(x) && x >= 2 ** 63 && x < TWO_64 ? x - TWO_64 : x;
  if (!isCanonical(signed, 48)) {
    throw new RangeError(`virtAddr: ${x} is not a canonical 48-bit address`);
  }
  return signed as VirtAddr;
}

/**
 * The unsigned hexadecimal form of an address, as the kernel prints it:
 * `formatAddress(-0x778000000000) === '0xffff888000000000'`.
 *
 * @param width - minimum number of hex digits (zero-padded), default none.
 */
export function formatAddress(va: number, width = 0): string {
  if (!Number.isInteger(va)) {
    throw new RangeError(`formatAddress: ${describeValue(va)} is not an integer`);
  }
  if (!(Number.isInteger(width) && width >= 0 && width <= 64)) {
    throw new RangeError(
      `formatAddress: width ${describeValue(width)} is not an integer from 0 to 64`,
    );
  }
  const hex = va < 0 ? (BigInt(va) + TWO_64N).toString(16) : va.toString(16);
  return `0x${hex.padStart(width, '0')}`;
}

/** The frame holding physical address `pa` (`PHYS_PFN`). */
export function physToPfn(arch: Arch, pa: number): Pfn {
  checkInteger('physToPfn', 'physical address', pa);
  return Math.floor(pa / arch.pageSize) as Pfn;
}

/** The physical address of the first byte of frame `pfn` (`PFN_PHYS`). */
export function pfnToPhys(arch: Arch, pfn: number): PhysAddr {
  checkInteger('pfnToPhys', 'pfn', pfn);
  return (pfn * arch.pageSize) as PhysAddr;
}

/**
 * Whether a physical address lies in the kernel's direct map: all of RAM
 * on 64-bit profiles, lowmem (below 896 MiB) on i386. Nothing at or above
 * the profile's largest RAM (`maxMemory`) is mapped, so `__va` never lands
 * outside the kernel half and `__pa` of a user address is refused.
 */
export function inDirectMap(arch: Arch, pa: number): boolean {
  return typeof pa === 'number' && pa >= 0 && pa < Math.min(arch.directMapLimit, arch.maxMemory);
}

/**
 * The direct-map virtual address of physical address `pa` (`__va`).
 *
 * @throws KernelBug if `pa` is not an integer or lies outside the direct map
 *   (HighMem on i386 has no permanent kernel address: use `kmap`).
 */
export function physToVirt(arch: Arch, pa: number): VirtAddr {
  if (typeof pa !== 'number' || !Number.isInteger(pa) || !inDirectMap(arch, pa)) {
    throw new KernelBug(`physToVirt: physical address ${showAddress(pa)} is not in the direct map`);
  }
  return (arch.pageOffset + pa) as VirtAddr;
}

/**
 * The physical address behind a direct-map virtual address (`__pa`).
 *
 * @throws KernelBug if `va` is not a direct-map address.
 */
export function virtToPhys(arch: Arch, va: number): PhysAddr {
  // typeof first: arithmetic on a BigInt or an object would throw or coerce.
  const pa = typeof va === 'number' ? va - arch.pageOffset : Number.NaN;
  if (!Number.isInteger(va) || !inDirectMap(arch, pa) || !isCanonical(va, arch.vaBits)) {
    throw new KernelBug(`virtToPhys: ${showAddress(va)} is not a direct-map address`);
  }
  return pa as PhysAddr;
}

/**
 * An address for an error message: unsigned hex (as the kernel prints it)
 * when it is an integer that fits 64 bits, and any other value as
 * `describeValue` shows it (never running user code, never throwing).
 */
export function showAddress(x: unknown): string {
  return typeof x === 'number' && Number.isInteger(x) && x >= -(2 ** 63) && x < 2 ** 64
    ? formatAddress(x)
    : describeValue(x);
}
