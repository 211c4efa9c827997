// Everything the page does goes through the HTTP API (/api/v1): no other server logic.
import { headers } from "./auth.js";

const API = "/api/v1";
const JSON_TYPE = { "Content-Type": "application/json" };

/** A refusal of the API: `{code, message, word?, usage?}` and the HTTP status. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.word = error.word;
    this.usage = error.usage;
  }
}

async function refusal(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy's page; the status says enough
  }
  const error = body?.error ?? { code: `http_${response.status}`, message: response.statusText };
  return new ApiError(response.status, error);
}

async function call(path, init = {}) {
  const response = await fetch(API + path, init);
  if (!response.ok) throw await refusal(response);
  return response;
}

/** Who reads a measurement: its owner (the token), or anyone with its read key (no token:
 * the API reads a key only from a caller who gives no token). */
function reading(id, key, tail = "") {
  const query = key ? `?key=${encodeURIComponent(key)}` : "";
  return [`/measurements/${encodeURIComponent(id)}${tail}${query}`, key ? {} : { headers: headers() }];
}

/** The events of an NDJSON answer, one object each, as they arrive. */
export async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const lines = (rest + value).split("\n");
    rest = lines.pop();
    for (const line of lines) if (line) yield JSON.parse(line);
  }
  if (rest) yield JSON.parse(rest);
}

/** Run a measurement: its live NDJSON answer (aborting `signal` hangs up, which cancels it). */
export function measure(command, signal) {
  const body = JSON.stringify({ command });
  const init = { method: "POST", headers: { ...JSON_TYPE, ...headers() }, body, signal };
  return call("/measurements", init);
}

/** Answer a command that is not a measurement (list, help, version): `{command, text, ...}`. */
export async function answer(command) {
  const body = JSON.stringify({ command });
  const init = { method: "POST", headers: { ...JSON_TYPE, ...headers() }, body };
  return (await call("/commands", init)).json();
}

/** Replay a stored measurement, then follow it while it runs (until `signal` aborts). */
export function follow(id, key, signal) {
  const [path, init] = reading(id, key, "/events");
  return call(path, { ...init, signal });
}

/** The stored measurement, as the API's own bytes (Download JSON). */
export async function stored(id, key) {
  const [path, init] = reading(id, key);
  return (await call(path, init)).blob();
}

/** The measurement's picture (PNG). */
export async function picture(id, key) {
  const [path, init] = reading(id, key, "/picture.png");
  return (await call(path, init)).blob();
}

/** Cancel a running measurement of ours; `{id, status}` once it has ended. */
export async function cancel(id) {
  const path = `/measurements/${encodeURIComponent(id)}`;
  return (await call(path, { method: "DELETE", headers: headers() })).json();
}

/** The live agents. */
export async function agents() {
  return (await (await call("/agents")).json()).agents;
}

/** The commands' JSON Schemas, by command name (from the OpenAPI document). */
export async function schemas() {
  const document = await (await call("/openapi.json")).json();
  const found = {};
  for (const schema of Object.values(document.components.schemas)) {
    const name = schema.properties?.command?.const;
    if (name) found[name] = schema;
  }
  return found;
}

/** Who is signed in: `/auth/session`'s answer, or null where the hub has no sign-in (404). */
export async function session() {
  const response = await fetch("/auth/session");
  if (response.status === 404) return null;
  if (!response.ok) throw await refusal(response);
  return response.json();
}

/** End this browser's session. The hub answers 303 to `/`, which the page does not load. */
export async function logout() {
  const response = await fetch("/auth/logout", { method: "POST", redirect: "manual" });
  if (response.type !== "opaqueredirect" && !response.ok) throw await refusal(response);
}

/** The signed-in person's API tokens (`{id, label, scopes, expires_at, state}`). */
export async function tokens() {
  return (await (await call("/tokens", { headers: headers() })).json()).tokens;
}

/** A new API token: `{token, id, ...}`, the token shown this once. */
export async function issueToken(label, scopes, ttlSeconds) {
  const body = JSON.stringify({ label, scopes, ttl_s: ttlSeconds });
  const init = { method: "POST", headers: { ...JSON_TYPE, ...headers() }, body };
  return (await call("/tokens", init)).json();
}

/** Revoke one of the person's tokens. */
export async function revokeToken(id) {
  const path = `/tokens/${encodeURIComponent(id)}`;
  return (await call(path, { method: "DELETE", headers: headers() })).json();
}
