/**
 * The page allocator's /proc files, by path.
 */
import type { BuddyAllocator } from '../buddy-allocator.js';
import { renderBuddyinfo } from './buddyinfo.js';
import { renderPagetypeinfo } from './pagetypeinfo.js';
import { renderZoneinfo } from './zoneinfo.js';

/** Renderers of the page allocator's /proc files. */
export const BUDDY_PROC_FILES: Readonly<Record<string, (buddy: BuddyAllocator) => string>> = {
  '/proc/buddyinfo': renderBuddyinfo,
  '/proc/pagetypeinfo': renderPagetypeinfo,
  '/proc/zoneinfo': renderZoneinfo,
};

export { renderBuddyinfo, renderPagetypeinfo, renderZoneinfo };
