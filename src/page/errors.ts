/**
 * The three ways mmsim reports that something went wrong.
 *
 * - {@link KernelBug}: the caller broke a rule of a kernel-internal function
 *   (a bad order, an unknown GFP bit, a double free). Linux would hit a
 *   `BUG()` or `WARN()`; mmsim throws before changing any state.
 * - {@link KernelError}: an operation failed with an errno, for APIs that
 *   throw rather than return `-errno` (boot configuration, `k.proc`).
 * - {@link SegmentationFault}: a user-mode access the MMU refused, carrying
 *   the signal the kernel would deliver (see sigaction(2) for `si_code`).
 */
import { showAddress } from './address.js';
import { Errno, type ErrnoCode } from './errno.js';

/**
 * A misuse of a kernel-internal function. The message names the function,
 * the bad value and the rule broken, e.g.
 * `allocPages: order 11 is above MAX_ORDER (10)`.
 */
export class KernelBug extends Error {
  override readonly name = 'KernelBug';
}

/** An operation that failed with a Linux errno. */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  /** The positive errno number (`Errno.ENOMEM === 12`). */
  readonly errno: number;
  /** The symbolic errno name (`'ENOMEM'`). */
  readonly code: ErrnoCode;

  constructor(code: ErrnoCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
    this.errno = Errno[code];
  }
}

/** The signal a faulting user access raises. */
export type FaultSignal = 'SIGSEGV' | 'SIGBUS';

/**
 * `si_code` values of a fault (sigaction(2)): `SEGV_MAPERR` (no mapping),
 * `SEGV_ACCERR` (mapping forbids the access), `BUS_ADRERR` (page past the
 * end of a mapped file), `SI_KERNEL` (general protection fault: a
 * non-canonical address).
 */
export type FaultCode = 'SEGV_MAPERR' | 'SEGV_ACCERR' | 'BUS_ADRERR' | 'SI_KERNEL';

/** A user-mode memory access that the kernel answers with a signal. */
export class SegmentationFault extends Error {
  override readonly name = 'SegmentationFault';
  readonly signal: FaultSignal;
  readonly siCode: FaultCode;
  /** The faulting virtual address (signed form on 64-bit architectures). */
  readonly address: number;

  constructor(signal: FaultSignal, siCode: FaultCode, address: number, message?: string) {
    super(message ?? `${signal} (${siCode}) at address ${showAddress(address)}`);
    this.signal = signal;
    this.siCode = siCode;
    this.address = address;
  }
}

/**
 * The machine cannot go on (`panic()`), e.g. "System is deadlocked on
 * memory" when an allocation that may not fail finds nothing to reclaim
 * and nothing to kill.
 */
export class KernelPanic extends Error {
  override readonly name = 'KernelPanic';
}
