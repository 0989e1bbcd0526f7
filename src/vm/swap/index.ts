/**
 * Swap: swap areas (`swap_info_struct` with the swap cache) and the stores
 * that hold swapped-out pages. Counterparts: mm/swapfile.c, mm/swap_state.c,
 * mm/page_io.c.
 */
export { MAX_SWAPFILES, renderSwaps, SwapArea, type SwapAreaOptions } from './swap-area.js';
export { FileSwapStore, SimSwapStore, type SwapStore } from './swap-store.js';
