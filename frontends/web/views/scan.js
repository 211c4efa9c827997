// scan: the sweep's bitmap (the API's picture.png: one square per address, coloured by the
// RTT scale) with its legend, counted live, redrawn every few seconds while the sweep runs
// and once more when it has ended.
import { h, replace } from "../dom.js";

const REFRESH_MS = 2000; // a /16 sweeps for minutes: show it filling, without a draw per reply

const LEGEND = [
  ["rtt-fast", "< 100 ms"], ["rtt-mid", "< 250 ms"], ["rtt-slow", "≥ 250 ms"],
  ["unreachable", "unreachable"], ["rtt-none", "no answer"], ["not-probed", "not probed"],
];

export class ScanView {
  constructor(root, measurement, picture) {
    this.picture = picture; // () => Promise<Blob>, the measurement's PNG
    this.started = false; // the picture has something to draw once a job has started
    this.drawn = -Infinity;
    this.drawing = null;
    this.url = null;
    this.counts = new Map(); // agent -> {alive, unreachable, total}
    this.status = h("p", { class: "counts", role: "status" });
    this.figure = h("figure", { class: "bitmap" });
    this.ranges = h("p", { class: "note" });
    const legend = h("ul", { class: "legend", "aria-label": "legend" },
      LEGEND.map(([cls, label]) => h("li", {}, h("span", { class: `swatch ${cls}` }), label)));
    root.append(this.status, this.figure, legend, this.ranges);
  }

  add(event) {
    if (event.type === "start") this.started = true;
    if (event.type === "scan") {
      const count = this.counts.get(event.agent) ?? { alive: 0, unreachable: 0, seen: 0 };
      count.seen += 1;
      if (event.state === "alive") count.alive += 1;
      if (event.state === "unreachable") count.unreachable += 1;
      this.counts.set(event.agent, count);
    } else if (event.type === "summary" && event.alive_ranges) {
      this.counts.set(event.agent, { alive: event.alive, unreachable: event.unreachable, seen: event.probed });
      replace(this.ranges, `${event.agent}: alive ${event.alive_ranges.join(", ") || "none"}`);
    } else if (event.type === "end" && this.started) {
      this.refresh(true);
    }
    if (event.type === "scan" && this.started) this.refresh(false);
    replace(this.status, [...this.counts].map(([agent, c]) =>
      `${agent}: ${c.alive} alive, ${c.unreachable} unreachable of ${c.seen} answered or probed`).join("; "));
  }

  refresh(final) {
    const now = performance.now();
    if (!final && (this.drawing || now - this.drawn < REFRESH_MS)) return;
    this.drawn = now;
    this.drawing = (this.drawing ?? Promise.resolve()).then(() => this.draw()).finally(() => (this.drawing = null));
  }

  async draw() {
    try {
      const url = URL.createObjectURL(await this.picture());
      if (this.url) URL.revokeObjectURL(this.url);
      this.url = url;
      const img = h("img", { src: url, alt: "scan bitmap: one square per address" });
      replace(this.figure, img, h("figcaption", {}, "one square per address, in address order"));
    } catch (error) {
      replace(this.figure, h("p", { class: "error" }, error.message));
    }
  }
}
