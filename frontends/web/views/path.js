// traceroute and mtr: the hop table of each agent, behind one tab per agent; live from the
// hop events, then the agent's summary (mtr's statistics) replaces what was counted.
import { h, replace } from "../dom.js";
import { ms, percent, rttClass } from "../rtt.js";
import { Tabs } from "./tabs.js";

const COLUMNS = ["hop", "host", "network", "loss", "last", "avg", "best", "worst"];

function place(probe) {
  const network = probe.asn ? `AS${probe.asn}${probe.as_name ? ` ${probe.as_name}` : ""}` : "";
  const where = [probe.city, probe.country].filter(Boolean).join(", ");
  return [network, where].filter(Boolean).join(" · ");
}

class Hops {
  constructor(panel) {
    this.rows = new Map(); // ttl -> {hosts: Map(address -> probe), sent, rtts}
    this.summary = null;
    this.body = h("tbody");
    const head = h("tr", {}, COLUMNS.map((c) => h("th", { scope: "col" }, c)));
    panel.append(h("table", { class: "hops" }, h("thead", {}, head), this.body));
  }

  add(event) {
    if (event.type === "summary") this.summary = event;
    else {
      const row = this.rows.get(event.ttl) ?? { hosts: new Map(), sent: 0, rtts: [] };
      for (const probe of event.probes) {
        row.sent += 1;
        if (probe.address) row.hosts.set(probe.address, probe);
        if (probe.rtt_ms !== null && probe.rtt_ms !== undefined) row.rtts.push(probe.rtt_ms);
      }
      this.rows.set(event.ttl, row);
    }
    this.draw();
  }

  draw() {
    const rows = this.summary ? this.fromSummary() : this.fromHops();
    replace(this.body, rows.map((r) =>
      h("tr", { "data-ttl": r.ttl },
        h("td", {}, r.ttl), h("td", { class: "host" }, r.host || "*"), h("td", {}, r.network),
        h("td", {}, percent(r.loss)),
        ...[r.last, r.avg, r.best, r.worst].map((v) => h("td", { class: rttClass(v) }, ms(v))))));
  }

  fromHops() {
    return [...this.rows.entries()].sort((a, b) => a[0] - b[0]).map(([ttl, row]) => {
      const probes = [...row.hosts.values()];
      const rtts = row.rtts;
      return {
        ttl,
        host: probes.map((p) => (p.name ? `${p.name} (${p.address})` : p.address)).join(", "),
        network: probes.map(place).filter(Boolean).join("; "),
        loss: row.sent ? (100 * (row.sent - rtts.length)) / row.sent : 0,
        last: rtts.length ? rtts[rtts.length - 1] : null,
        avg: rtts.length ? rtts.reduce((a, b) => a + b, 0) / rtts.length : null,
        best: rtts.length ? Math.min(...rtts) : null,
        worst: rtts.length ? Math.max(...rtts) : null,
      };
    });
  }

  fromSummary() {
    return this.summary.hops.map((hop) => {
      const seen = this.rows.get(hop.ttl);
      const probes = seen ? [...seen.hosts.values()] : [];
      return {
        ttl: hop.ttl,
        host: hop.addresses.map((a, i) => (hop.names[i] ? `${hop.names[i]} (${a})` : a)).join(", "),
        network: probes.map(place).filter(Boolean).join("; "),
        loss: hop.loss,
        last: hop.last_ms, avg: hop.avg_ms, best: hop.best_ms, worst: hop.worst_ms,
      };
    });
  }
}

export class PathView {
  constructor(root, measurement) {
    const agents = [...measurement.agents].sort();
    this.tabs = new Tabs(root, agents, "agents");
    this.hops = new Map(agents.map((a) => [a, new Hops(this.tabs.panel(a))]));
  }

  add(event) {
    if (event.type === "hop" || (event.type === "summary" && event.hops)) {
      this.hops.get(event.agent)?.add(event);
    }
  }
}
