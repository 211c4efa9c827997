// The agents list: flag, name, place, network, capabilities; picking agents writes the
// command's `from` part (the command text stays the one truth).
import { h, replace } from "./dom.js";

/** The flag of an ISO country code, from Unicode's regional indicator letters. */
export function flag(country) {
  if (!/^[A-Za-z]{2}$/.test(country ?? "")) return "";
  return String.fromCodePoint(...[...country.toUpperCase()].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

// `-s X`, `--from X`, `--from=X` and the word form `from X`: where a command names agents.
const FROM = /(^|\s)(?:(?:-s|--from|from)\s+\S+|--from=\S+)(?=\s|$)/g;

/** `text` with its `from` part naming `names` (none: the hub picks). */
export function withAgents(text, names) {
  const bare = text.replace(FROM, "$1").replace(/\s+/g, " ").trim();
  return names.length ? `${bare} from ${names.join(",")}` : bare;
}

/** The agent names `text` picks by name (to tick their boxes). */
export function pickedIn(text) {
  const found = [];
  for (const match of text.matchAll(/(?:^|\s)(?:-s|--from|from)(?:\s+|=)(\S+)/g)) {
    found.push(...match[1].split(","));
  }
  return found;
}

export class AgentList {
  constructor(list, onPick) {
    this.list = list;
    this.onPick = onPick; // (names) => void
    this.boxes = [];
  }

  show(agents) {
    const id = (agent) => `agent-${agent.name}`;
    this.boxes = agents.map((agent) => h("input", { type: "checkbox", value: agent.name, id: id(agent) }));
    replace(this.list, agents.map((agent, i) => {
      const place = [agent.city, agent.country].filter(Boolean).join(", ");
      const network = agent.asn ? `AS${agent.asn}${agent.isp ? ` ${agent.isp}` : ""}` : "";
      this.boxes[i].addEventListener("change", () => this.onPick(this.picked()));
      return h("li", { "data-agent": agent.name },
        this.boxes[i],
        h("label", { for: id(agent) },
          agent.country ? h("span", { class: "flag", "aria-hidden": "true" }, flag(agent.country)) : null,
          h("strong", {}, agent.name), place ? ` ${place}` : "", network ? ` · ${network}` : ""),
        h("span", { class: "caps" }, agent.capabilities.join(" ")),
        h("span", { class: "state" }, "online"));
    }));
    if (!agents.length) this.list.append(h("li", {}, "no agent is connected"));
  }

  picked() {
    return this.boxes.filter((b) => b.checked).map((b) => b.value);
  }

  tick(names) {
    for (const box of this.boxes) box.checked = names.includes(box.value);
  }
}
