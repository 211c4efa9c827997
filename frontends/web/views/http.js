// http: each agent's answer: status, the phases as a waterfall, the TLS certificate.
import { h, svg } from "../dom.js";
import { ms } from "../rtt.js";

// dns, connect and tls are durations; ttfb and total count from the start (events/model.py).
function phases(t) {
  const out = [];
  let at = 0;
  for (const name of ["dns", "connect", "tls"]) {
    const length = t[`${name}_ms`];
    if (length === null || length === undefined) continue;
    out.push([name, at, length]);
    at += length;
  }
  if (t.ttfb_ms !== null && t.ttfb_ms !== undefined) {
    out.push(["wait", at, Math.max(0, t.ttfb_ms - at)]);
    at = Math.max(at, t.ttfb_ms);
  }
  if (t.total_ms !== null && t.total_ms !== undefined) out.push(["transfer", at, Math.max(0, t.total_ms - at)]);
  return out;
}

function waterfall(timings) {
  const rows = phases(timings);
  const total = Math.max(1e-3, ...rows.map(([, at, length]) => at + length));
  const row = 14; // px per phase; the bars share 280 of the 400 px, after the labels
  const bars = rows.map(([name, at, length], i) => svg("g", {},
    svg("text", { x: 0, y: i * row + 11, class: "label" }, `${name} ${ms(length)}`),
    svg("rect", {
      x: 120 + (280 * at) / total, y: i * row + 2, height: 10,
      width: Math.max(1, (280 * length) / total), class: `phase-${name}`,
    })));
  const box = `0 0 400 ${rows.length * row}`;
  return svg("svg", { class: "waterfall", viewBox: box, role: "img", "aria-label": "phases" }, bars);
}

function certificate(tls) {
  if (!tls) return null;
  const rows = [
    ["TLS", [tls.version, tls.alpn, tls.cipher].filter(Boolean).join(" · ")],
    ["subject", tls.subject], ["issuer", tls.issuer], ["names", tls.sans.join(", ")],
    ["expires", tls.not_after ? `${tls.not_after} (${Math.floor(tls.days_left)} days)` : null],
    ["verified", tls.verified ? "yes" : "no (-k)"],
  ].filter(([, v]) => v);
  return h("dl", { class: "cert" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function redirects(hops) {
  if (!hops.length) return null;
  const step = (hop) => `${hop.status} ${hop.url}${hop.location ? ` → ${hop.location}` : ""}`;
  return h("ol", { class: "redirects", "aria-label": "redirects" }, hops.map((hop) => h("li", {}, step(hop))));
}

export class HttpView {
  constructor(root) {
    this.root = root;
  }

  add(event) {
    if (event.type !== "http") return;
    const status = event.status ? `${event.status} ${event.http_version ?? ""}`.trim() : "no answer";
    this.root.append(h("section", { class: "http", "data-agent": event.agent },
      h("h3", {}, `${event.agent}: ${event.method} ${event.url}`),
      h("p", { class: "status" }, h("strong", {}, status),
        event.address ? ` from ${event.address}` : "", ` · ${event.body_bytes} bytes`),
      event.error ? h("p", { class: "error" }, event.error) : null,
      redirects(event.redirects), waterfall(event.timings), certificate(event.tls)));
  }
}
