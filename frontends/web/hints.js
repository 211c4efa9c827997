// Hints under the command box, from the commands' JSON Schemas (the API's OpenAPI document,
// fetched the first time the box is used, not with the page) and the agent list.
import { schemas } from "./api.js";
import { h, replace } from "./dom.js";

export class Hints {
  constructor(box, out) {
    this.box = box;
    this.out = out;
    this.schemas = null;
    this.agents = [];
    this.loading = null;
  }

  async load() {
    this.loading ??= schemas().then((found) => (this.schemas = found)).catch(() => null);
    await this.loading;
    this.show();
  }

  show() {
    const words = this.box.value.trimStart().split(/\s+/);
    const last = words.length > 1 ? words[words.length - 2] : "";
    if (["from", "-s", "--from"].includes(last) && this.agents.length) {
      replace(this.out, h("p", {}, "agents: ", this.agents.map((a) => a.name).join(", ")));
      return;
    }
    const schema = this.schemas?.[words[0]];
    if (!schema) {
      const names = this.schemas ? Object.keys(this.schemas).join(", ") : "";
      replace(this.out, names ? h("p", {}, `commands: ${names}, list, help, version`) : null);
      return;
    }
    const options = Object.entries(schema.properties)
      .filter(([name]) => !["command", "background"].includes(name))
      .map(([name, p]) => h("li", {}, h("code", {}, name), ` ${p.description ?? ""}`, range(p)));
    const about = h("p", {}, h("strong", {}, words[0]), `: ${schema.description}`);
    replace(this.out, about, h("ul", {}, options));
  }
}

/** What a schema allows, in a few words: `(1–100; default 4)`. */
function range(property) {
  const { minimum, maximum, default: fallback } = property;
  const bounds = [];
  if (minimum !== undefined && maximum !== undefined) bounds.push(`${minimum}–${maximum}`);
  if (property.enum) bounds.push(property.enum.filter((v) => v !== null).join("|"));
  if (![undefined, null, false].includes(fallback)) bounds.push(`default ${fallback}`);
  return bounds.length ? ` (${bounds.join("; ")})` : "";
}
