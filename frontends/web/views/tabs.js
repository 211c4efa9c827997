// One panel per agent behind a row of tabs (WAI-ARIA tabs: arrow keys move between them).
import { h } from "../dom.js";

export class Tabs {
  constructor(root, names, label) {
    this.list = h("div", { role: "tablist", "aria-label": label, class: "tabs" });
    this.tabs = [];
    this.panels = new Map();
    root.append(this.list);
    names.forEach((name, i) => {
      const [tabId, panelId] = [`tab-${i}`, `panel-${i}`];
      const tab = h("button", { type: "button", role: "tab", id: tabId, "aria-controls": panelId }, name);
      const panel = h("div", { role: "tabpanel", id: panelId, "aria-labelledby": tabId, tabindex: 0 });
      tab.addEventListener("click", () => this.select(i));
      tab.addEventListener("keydown", (e) => this.key(e, i));
      this.tabs.push(tab);
      this.panels.set(name, panel);
      this.list.append(tab);
      root.append(panel);
    });
    this.select(0);
  }

  select(index) {
    this.tabs.forEach((tab, i) => {
      tab.setAttribute("aria-selected", String(i === index));
      tab.tabIndex = i === index ? 0 : -1;
      [...this.panels.values()][i].hidden = i !== index;
    });
  }

  key(event, index) {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = (index + step + this.tabs.length) % this.tabs.length;
    this.select(next);
    this.tabs[next].focus();
  }

  panel(name) {
    return this.panels.get(name);
  }
}
