// dns: each agent's answer, section by section (answer, authority, additional).
import { h } from "../dom.js";
import { ms } from "../rtt.js";

const SECTIONS = ["answers", "authority", "additional"];

function records(title, rows) {
  if (!rows.length) return null;
  const head = h("tr", {}, ["name", "ttl", "type", "data"].map((c) => h("th", { scope: "col" }, c)));
  return h("table", { class: "records" }, h("caption", {}, title), h("thead", {}, head),
    h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, r.name), h("td", {}, r.ttl), h("td", {}, r.type), h("td", { class: "data" }, r.data)))));
}

export class DnsView {
  constructor(root) {
    this.root = root;
  }

  add(event) {
    if (event.type !== "dns") return;
    const facts = [
      event.rcode, event.flags.join(" "), event.query_ms !== undefined && event.query_ms !== null ? `query ${ms(event.query_ms)}` : null,
      event.connect_ms ? `connect ${ms(event.connect_ms)}` : null, event.size ? `${event.size} bytes` : null,
    ].filter(Boolean);
    this.root.append(h("section", { class: "dns", "data-agent": event.agent },
      h("h3", {}, `${event.agent}: ${event.qname ?? event.target} ${event.qtype} @ ${event.server} (${event.transport})`),
      h("p", { class: "facts" }, facts.join(" · ")),
      event.error ? h("p", { class: "error" }, event.error) : null,
      SECTIONS.map((s) => records(s, event[s] ?? []))));
  }
}
