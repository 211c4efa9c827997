// ping and tcping: a matrix of targets (rows) x agents (columns), updated per reply; each
// cell shows the last RTT, the loss so far and a sparkline, coloured by the average RTT.
import { h, replace, svg } from "../dom.js";
import { ms, percent, rttClass } from "../rtt.js";

const SPARK_BARS = 20;

class Cell {
  constructor() {
    this.rtts = []; // one entry per probe: its RTT, or null for no answer
    this.summary = null;
    this.el = h("td", { class: "cell rtt-none" });
  }

  draw() {
    const answered = this.rtts.filter((r) => r !== null);
    const average = this.summary
      ? this.summary.avg_ms ?? null
      : answered.length ? answered.reduce((a, b) => a + b, 0) / answered.length : null;
    const loss = this.summary
      ? this.summary.loss
      : this.rtts.length ? (100 * (this.rtts.length - answered.length)) / this.rtts.length : 0;
    const last = this.rtts.length ? this.rtts[this.rtts.length - 1] : null;
    this.el.className = `cell ${rttClass(average)}`;
    replace(
      this.el,
      h("span", { class: "rtt" }, last === null ? (this.rtts.length ? "no answer" : "…") : ms(last)),
      h("span", { class: "loss" }, `${percent(loss)} loss`),
      this.summary ? h("span", { class: "avg" }, `avg ${ms(this.summary.avg_ms)}`) : null,
      sparkline(this.rtts),
    );
  }
}

function sparkline(rtts) {
  const shown = rtts.slice(-SPARK_BARS);
  const top = Math.max(1, ...shown.filter((r) => r !== null));
  const bars = shown.map((rtt, i) => {
    const height = rtt === null ? 16 : Math.max(1, (16 * rtt) / top);
    return svg("rect", { x: i * 3, y: 16 - height, width: 2, height, class: rttClass(rtt) });
  });
  return svg("svg", { class: "spark", viewBox: `0 0 ${SPARK_BARS * 3} 16`, "aria-hidden": "true" }, bars);
}

export class Matrix {
  constructor(root, measurement) {
    this.agents = [...measurement.agents].sort();
    this.cells = new Map(); // "target\0agent" -> Cell
    this.body = h("tbody");
    const head = h("tr", {}, h("th", { scope: "col" }, "target"),
      this.agents.map((a) => h("th", { scope: "col" }, a)));
    root.append(h("table", { class: "matrix" }, h("thead", {}, head), this.body));
  }

  row(target) {
    const row = h("tr", { "data-target": target }, h("th", { scope: "row" }, target));
    for (const agent of this.agents) {
      const cell = new Cell();
      cell.el.dataset.agent = agent;
      cell.el.append("…");
      this.cells.set(`${target}\0${agent}`, cell);
      row.append(cell.el);
    }
    this.body.append(row);
  }

  cell(event) {
    const key = `${event.target}\0${event.agent}`;
    if (!this.cells.has(key)) this.row(event.target);
    return this.cells.get(key);
  }

  add(event) {
    if (event.type === "reply" || event.type === "timeout") {
      if (event.duplicate) return;
      const cell = this.cell(event);
      cell.rtts.push(event.type === "reply" ? event.rtt_ms : null);
      cell.draw();
    } else if (event.type === "summary") {
      const cell = this.cell(event);
      cell.summary = event;
      cell.draw();
    }
  }
}
