// dns: each agent's answer, section by section (answer, authority, additional).
import { h } from "../dom.js";
import { ms } from "../rtt.js";

const SECTIONS = ["answers", "authority", "additional"];
const COLUMNS = ["name", "ttl", "type", "data"];

function records(title, rows) {
  if (!rows.length) return null;
  const head = h("tr", {}, COLUMNS.map((c) => h("th", { scope: "col" }, c)));
  const body = rows.map((r) =>
    h("tr", {}, h("td", {}, r.name), h("td", {}, r.ttl), h("td", {}, r.type),
      h("td", { class: "data" }, r.data)));
  return h("table", { class: "records" },
    h("caption", {}, title), h("thead", {}, head), h("tbody", {}, body));
}

function facts(event) {
  const timed = (label, value) => (value === null || value === undefined ? null : `${label} ${ms(value)}`);
  return [
    event.rcode, event.flags.join(" "), timed("query", event.query_ms),
    timed("connect", event.connect_ms), event.size ? `${event.size} bytes` : null,
  ].filter(Boolean).join(" · ");
}

export class DnsView {
  constructor(root) {
    this.root = root;
  }

  add(event) {
    if (event.type !== "dns") return;
    const asked = `${event.qname ?? event.target} ${event.qtype}`;
    this.root.append(h("section", { class: "dns", "data-agent": event.agent },
      h("h3", {}, `${event.agent}: ${asked} @ ${event.server} (${event.transport})`),
      h("p", { class: "facts" }, facts(event)),
      event.error ? h("p", { class: "error" }, event.error) : null,
      SECTIONS.map((s) => records(s, event[s] ?? []))));
  }
}
