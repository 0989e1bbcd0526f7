/**
 * Watermarks, lowmem reserves and per-CPU list sizes, computed as
 * mm/page_alloc.c computes them once the zones know their managed pages
 * (`init_per_zone_wmark_min`, `__setup_per_zone_wmarks`,
 * `setup_per_zone_lowmem_reserve`, `zone_batchsize`, `zone_highsize`).
 */
import type { ZoneName } from '../page/arch.js';
import { checkCount, checkPageSize } from '../page/validate.js';
import {
  PCP_BATCH,
  PCP_HIGH,
  PCP_HIGH_MAX,
  PCP_HIGH_MIN,
  WMARK_HIGH,
  WMARK_LOW,
  WMARK_MIN,
  WMARK_PROMO,
  type Zone,
} from './zone.js';

/** `watermark_scale_factor` default: the kswapd gap is 0.1% of the zone. */
export const WATERMARK_SCALE_FACTOR = 10;
/** `SWAP_CLUSTER_MAX`: the floor of a HighMem zone's min watermark. */
const SWAP_CLUSTER_MAX = 32;
/** `MIN_PERCPU_PAGELIST_HIGH_FRACTION`: high_max is at most 1/8 of the zone. */
const MIN_PERCPU_PAGELIST_HIGH_FRACTION = 8;

/** `sysctl_lowmem_reserve_ratio` by zone. */
const LOWMEM_RESERVE_RATIO: Readonly<Record<ZoneName, number>> = {
  DMA: 256,
  DMA32: 256,
  Normal: 32,
  HighMem: 0,
  Movable: 0,
};

/** Whether a zone is HighMem or Movable: the zones min_free_kbytes is not drawn from. */
function isHighOrMovable(zone: Zone): boolean {
  return zone.name === 'HighMem' || zone.name === 'Movable';
}

/** `int_sqrt`. */
function intSqrt(x: number): number {
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/**
 * `calculate_min_free_kbytes`: sqrt(lowmem_kbytes * 16), clamped to
 * 128 KiB .. 256 MiB. Lowmem is what GFP_USER can use: every zone up to
 * Normal (`nr_free_buffer_pages`).
 */
export function calculateMinFreeKbytes(zones: readonly Zone[], pageSize: number): number {
  checkPageSize('calculateMinFreeKbytes', pageSize);
  let lowmemPages = 0;
  for (const zone of zones) if (!isHighOrMovable(zone)) lowmemPages += zone.managed;
  const lowmemKbytes = lowmemPages * (pageSize / 1024);
  return Math.min(262144, Math.max(128, intSqrt(lowmemKbytes * 16)));
}

/**
 * `__setup_per_zone_wmarks`: min_free_kbytes is split over the lowmem zones
 * in proportion to their size; HighMem and Movable get a small fixed min;
 * low and high sit above min by max(min/4, managed * scale / 10000), with
 * `scaleFactor` the `vm.watermark_scale_factor` sysctl (default 10).
 */
export function setupPerZoneWmarks(
  zones: readonly Zone[],
  minFreeKbytes: number,
  pageSize: number,
  scaleFactor: number = WATERMARK_SCALE_FACTOR,
): void {
  const pagesMin = Math.floor(minFreeKbytes / (pageSize / 1024));
  let lowmemPages = 0;
  for (const zone of zones) if (!isHighOrMovable(zone)) lowmemPages += zone.managed;
  for (const zone of zones) {
    const share = lowmemPages === 0 ? 0 : Math.floor((pagesMin * zone.managed) / lowmemPages);
    const min = isHighOrMovable(zone)
      ? Math.min(128, Math.max(SWAP_CLUSTER_MAX, Math.floor(zone.managed / 1024)))
      : share;
    // mult_frac(managed, scale, 10000); `share >> 2` as u64 (a share may pass 2**31 pages).
    const gap = Math.max(Math.floor(share / 4), Math.floor((zone.managed * scaleFactor) / 10000));
    zone.watermark[WMARK_MIN] = min;
    zone.watermark[WMARK_LOW] = min + gap;
    zone.watermark[WMARK_HIGH] = min + 2 * gap;
    zone.watermark[WMARK_PROMO] = min + 3 * gap;
  }
}

/**
 * `setup_per_zone_lowmem_reserve`: zone i keeps back, from a request that
 * could have used zone j > i, the managed pages of zones i+1..j divided by
 * zone i's ratio (DMA 256, DMA32 256, Normal 32).
 */
export function setupLowmemReserve(zones: readonly Zone[]): void {
  for (const zone of zones) {
    const ratio = LOWMEM_RESERVE_RATIO[zone.name];
    const clear = ratio === 0 || zone.managed === 0;
    const reserve = new Array<number>(zones.length).fill(0);
    let upper = 0;
    for (let j = zone.index + 1; j < zones.length; j++) {
      upper += (zones[j] as Zone).managed;
      reserve[j] = clear ? 0 : Math.floor(upper / ratio);
    }
    zone.lowmemReserve = reserve;
  }
}

/** `rounddown_pow_of_two`. */
function roundDownPowerOfTwo(x: number): number {
  return 2 ** Math.floor(Math.log2(x));
}

/**
 * `zone_batchsize`: 0.1% of the zone or 1 MiB, whichever is smaller, cut
 * to a quarter and clamped to 2**n - 1.
 */
export function zoneBatchsize(managed: number, pageSize: number): number {
  checkCount('zoneBatchsize', 'managed', managed);
  checkPageSize('zoneBatchsize', pageSize);
  let batch = Math.min(Math.floor(managed / 1024), Math.floor((1024 * 1024) / pageSize));
  batch = Math.floor(batch / 4);
  if (batch < 1) batch = 1;
  return roundDownPowerOfTwo(batch + Math.floor(batch / 2)) - 1;
}

/**
 * `zone_highsize`: the low watermark (or 1/8 of the zone for high_max)
 * split over the CPUs, and at least four batches.
 */
export function zoneHighsize(zone: Zone, batch: number, cpus: number, fraction: number): number {
  const total = fraction === 0 ? zone.low : Math.floor(zone.managed / fraction);
  return Math.max(Math.floor(total / cpus), batch << 2);
}

/**
 * Sets every CPU's pcp `batch`, `high_min`, `high_max` and `high` for a
 * zone. mmsim does not auto-tune `high` between high_min and high_max as
 * Linux does under load: `high` stays at high_min.
 */
export function setupPcp(zone: Zone, pageSize: number, cpus: number): void {
  // zone_set_pageset_high_and_batch: a zone too small for a batch still moves one frame at a time.
  const batch = Math.max(1, zoneBatchsize(zone.managed, pageSize));
  const highMin = zoneHighsize(zone, batch, cpus, 0);
  const highMax = zoneHighsize(zone, batch, cpus, MIN_PERCPU_PAGELIST_HIGH_FRACTION);
  for (const p of zone.pcp) {
    p.ints[PCP_BATCH] = batch;
    p.ints[PCP_HIGH_MIN] = highMin;
    p.ints[PCP_HIGH_MAX] = Math.max(highMin, highMax);
    p.ints[PCP_HIGH] = highMin;
  }
}
