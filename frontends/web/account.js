// The sign-in area and a signed-in person's API tokens. The hub says who is signed in
// (`/auth/session`; 404 where it has no sign-in, and then none of this shows); the cookie
// goes with every same-origin fetch, and auth.js keeps the pasted token out of the way.
import * as api from "./api.js";
import { setSession, signedIn } from "./auth.js";
import { $, h, replace } from "./dom.js";

const DAY_S = 86_400;

/** Ask the hub who is signed in and show the sign-in area to match; `changed` runs after. */
export async function loadAccount(changed) {
  let session = null;
  try {
    session = await api.session();
  } catch {
    // The hub could not say (a restart, a proxy's error page): the page works as it does
    // without sign-in, and the next load asks again.
  }
  setSession(session);
  showError(null);
  const person = signedIn();
  $("account").hidden = session === null;
  nextHere();
  $("sign-in").hidden = Boolean(person);
  $("sign-out").hidden = !person;
  $("tokens").hidden = !person;
  hideIssued();
  if (person) {
    scopeBoxes(person.scopes);
    await listTokens();
  }
  changed();
}

/** The sign-in link comes back to this address (path and query only: the hub takes no other). */
function nextHere() {
  const next = new URLSearchParams({ next: location.pathname + location.search });
  $("sign-in").href = `/auth/login?${next}`;
}

function scopeBoxes(scopes) {
  // Least privilege by default: only `measure` is ticked when the person holds it.
  const ticked = (scope) => scope === "measure" || scopes.length === 1;
  const boxes = scopes.map((scope) =>
    h("label", { class: "check" },
      h("input", { type: "checkbox", name: "scopes", value: scope, checked: ticked(scope) }),
      ` ${scope}`));
  replace($("issue-scopes"), h("legend", {}, "Scopes (up to yours)"), boxes);
}

function showError(error) {
  const out = $("tokens-error");
  out.hidden = !error;
  replace(out, error ? `${error.message}${error.code ? ` (${error.code})` : ""}` : null);
}

function day(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

async function listTokens() {
  let tokens;
  try {
    tokens = await api.tokens();
  } catch (error) {
    return showError(error);
  }
  const rows = tokens.map((t) => {
    const name = t.label || t.id;
    const when = t.state === "active" ? `expires ${day(t.expires_at)}` : t.state;
    return h("li", { "data-state": t.state },
      h("span", { class: "label" }, name),
      h("span", { class: "caps" }, t.scopes.join(", ") || "no scopes"),
      h("span", { class: "state" }, when),
      t.state === "active"
        ? h("button", { type: "button", "data-id": t.id, "aria-label": `Revoke ${name}` }, "Revoke")
        : null);
  });
  replace($("token-list"), rows.length ? rows : h("li", { class: "note" }, "No tokens yet."));
}

async function issue(form) {
  const data = new FormData(form);
  const scopes = data.getAll("scopes");
  if (!scopes.length) return showError({ message: "pick at least one scope" });
  showError(null);
  try {
    const ttl = Number(data.get("days")) * DAY_S;
    const made = await api.issueToken(data.get("label").trim(), scopes, ttl);
    form.reset();
    showIssued(made.token);
  } catch (error) {
    showError(error);
  }
  await listTokens();
}

/** The MCP client configuration, as examples/mcp/vscode_mcp.json has it. */
function mcpConfig(token) {
  const headers = { Authorization: `Bearer ${token}` };
  const server = { type: "http", url: `${location.origin}/mcp`, headers };
  return JSON.stringify({ servers: { cloudping: server } }, null, 2);
}

function showIssued(token) {
  $("issued").hidden = false;
  $("issued-token").value = token;
  replace($("copy-token"), "Copy");
  replace($("copy-config"), "Copy configuration");
  replace($("mcp-config"), mcpConfig(token));
  $("issued-token").focus();
  $("issued-token").select();
}

function hideIssued() {
  $("issued").hidden = true;
  $("issued-token").value = ""; // shown once: gone from the page when done
  replace($("mcp-config"));
}

async function copy(text, button, fallback) {
  try {
    await navigator.clipboard.writeText(text);
    replace(button, "Copied");
  } catch {
    fallback(); // no clipboard here: selected for a manual copy
  }
}

async function revoke(button) {
  button.disabled = true;
  try {
    await api.revokeToken(button.dataset.id);
    showError(null);
  } catch (error) {
    showError(error);
  }
  await listTokens();
  $("token-list").focus(); // the button is gone: the keyboard goes on from the list
}

/** Wire the area's controls; `changed` runs when who the page is changes. */
export function startAccount(changed) {
  $("sign-in").addEventListener("click", nextHere); // the address may have changed since
  $("sign-out").addEventListener("click", async () => {
    try {
      await api.logout();
      await loadAccount(changed);
    } catch (error) {
      showError(error); // still signed in: the area stays as it is
    }
  });
  $("issue-form").addEventListener("submit", (event) => {
    event.preventDefault();
    issue(event.target);
  });
  $("copy-token").addEventListener("click", (event) =>
    copy($("issued-token").value, event.target, () => $("issued-token").select()));
  $("copy-config").addEventListener("click", (event) =>
    copy($("mcp-config").textContent, event.target,
      () => getSelection().selectAllChildren($("mcp-config"))));
  $("issued-done").addEventListener("click", hideIssued);
  $("token-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-id]");
    if (button) revoke(button);
  });
  return loadAccount(changed);
}
