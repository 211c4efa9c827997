// The one RTT colour scale of every picture and page (cloudping/render/colours.py): green
// below 100 ms, orange below 250 ms, red above, grey for no answer. The colours are in
// page.css under these class names.

/** The class of an answer that took `ms` (null: nothing answered). */
export function rttClass(ms) {
  if (ms === null || ms === undefined) return "rtt-none";
  if (ms < 100) return "rtt-fast";
  return ms < 250 ? "rtt-mid" : "rtt-slow";
}

/** Milliseconds as people read them: 0.42 ms, 12.3 ms, 180 ms; a dash for nothing. */
export function ms(value) {
  if (value === null || value === undefined) return "–";
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ms`;
}

/** A percentage without needless decimals. */
export function percent(value) {
  return `${Number.isInteger(value) ? value : value.toFixed(1)} %`;
}
