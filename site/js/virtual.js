// The scroll geometry of a virtual list: the page draws a window of rows (or
// of the log strip's entries), and spacers before and after it stand in for
// the rest, so that the list's scrollbar spans all of them.
//
// A browser caps how large an element may be: Chromium at 2^25 px (about
// 33.5 million), Firefox at about 17.9 million. Past that a spacer's size is
// cut short, and a list drawn one row per row height breaks: the log strip's
// entries (123 px each) stopped being drawn at all past about 272,000 log
// entries in Chromium (145,000 in Firefox), and the change stream's events
// (32 px) would past a million. So a list longer than MAX_SCROLL_PX at its
// own row size counts each row it does not draw smaller (`unit` px instead
// of `pitch`), keeping the whole list within MAX_SCROLL_PX; the rows drawn
// keep their size, so scrolling through them is as smooth as ever, and
// dragging the scrollbar reaches any row. Under MAX_SCROLL_PX nothing
// changes: unit equals pitch.
//
// A geometry is {start, drawn, total, pitch, unit}: the window's first row,
// how many rows it draws, how many rows the list has, a drawn row's size and
// an undrawn row's, in px. Offsets count from the first spacer's start.

export const MAX_SCROLL_PX = 8_000_000;

/** The size, in px, a row not drawn stands for in a list of `total` rows of `pitch` px. */
export function unitOf(total, pitch) {
  return total * pitch <= MAX_SCROLL_PX ? pitch : MAX_SCROLL_PX / total;
}

/** The fraction of a row's size a row not drawn takes (1 when the list fits). */
export function scaleOf(total, pitch) {
  return unitOf(total, pitch) / pitch;
}

/** The geometry of a window of `drawn` rows at `start` in a list of `total` rows of `pitch` px. */
export function geometry(start, drawn, total, pitch) {
  return { start, drawn, total, pitch, unit: unitOf(total, pitch) };
}

/** Where row `row` begins, in px. */
export function offsetOf(row, g) {
  const { start, drawn, pitch, unit } = g;
  if (row <= start) return row * unit;
  if (row <= start + drawn) return start * unit + (row - start) * pitch;
  return start * unit + drawn * pitch + (row - start - drawn) * unit;
}

/** The row under offset `px` (the first row when px is before them all, the last when after). */
export function rowAt(px, g) {
  const { start, drawn, total, pitch, unit } = g;
  if (total === 0) return 0;
  const windowStart = start * unit, windowEnd = windowStart + drawn * pitch;
  // (A row's own offset, worked out in floating point, may come out a
  // hair under it: `down` rounds down all the same.)
  const down = (x) => Math.floor(x + 1e-7);
  let row;
  if (unit === pitch) row = down(px / pitch);
  else if (px < windowStart) row = down(px / unit);
  else if (px < windowEnd) row = start + down((px - windowStart) / pitch);
  else row = start + drawn + down((px - windowEnd) / unit);
  return Math.max(0, Math.min(total - 1, row));
}

/**
 * The first of `visible` rows under a view at offset `px` (`atEnd`: the
 * view is scrolled to the end): rowAt(px), except at the end of a list that
 * counts the rows it does not draw smaller, where it is the last rows (the
 * row at the offset would leave them out of a window drawn at full size).
 */
export function firstUnder(px, atEnd, visible, g) {
  return atEnd && g.unit !== g.pitch ? Math.max(0, g.total - visible) : rowAt(px, g);
}

/**
 * Where to scroll, after a window `to` replaces a window `from`, to keep on
 * screen what was at offset `px`: the same row, the same fraction into it.
 * While the list fits (unit equals pitch) a row's offset never changes, and
 * this is `px`.
 */
export function keepRow(px, from, to) {
  const row = rowAt(px, from);
  const into = Math.min(1, Math.max(0, (px - offsetOf(row, from)) / sizeOf(row, from)));
  return offsetOf(row, to) + into * sizeOf(row, to);
}

function sizeOf(row, g) {
  return row >= g.start && row < g.start + g.drawn ? g.pitch : g.unit;
}
