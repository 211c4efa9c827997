// The page: a command box in the shared grammar, live results from the API, stored ones at
// /m/<id>. The command text is the truth: forms and agent picks only write it, and the URL
// holds it (/?c=...), so a link reruns it.
import * as api from "./api.js";
import { AgentList, pickedIn, withAgents } from "./agents.js";
import { startAccount } from "./account.js";
import { setToken, signedIn, who } from "./auth.js";
import { $, h, replace } from "./dom.js";
import { Hints } from "./hints.js";
import { DnsView } from "./views/dns.js";
import { HttpView } from "./views/http.js";
import { Matrix } from "./views/matrix.js";
import { PathView } from "./views/path.js";
import { ScanView } from "./views/scan.js";

const VIEWS = {
  ping: Matrix, tcping: Matrix, traceroute: PathView, trace: PathView, mtr: PathView,
  scan: ScanView, probe: ScanView, dns: DnsView, http: HttpView,
};

const box = $("command");
const hints = new Hints(box, $("hint"));
const agentList = new AgentList($("agent-list"), (names) => {
  box.value = withAgents(box.value, names);
  hints.show();
});
let current = null; // the measurement shown: {id, key (null: ours, read with the token), share}
let watching = { hangUp: new AbortController(), ended: true }; // the stream shown

/** The next stream to show. The one before is hung up if its measurement has not ended (the
 * hub cancels a live run of ours when we hang up: the page shows one at a time). */
function nextStream() {
  if (!watching.ended) watching.hangUp.abort();
  watching = { hangUp: new AbortController(), ended: false };
  return watching;
}

function firstWord(text) {
  return text.trim().split(/\s+/)[0].toLowerCase();
}

function showError(error) {
  const out = $("command-error");
  out.hidden = !error;
  box.setAttribute("aria-invalid", String(Boolean(error)));
  if (!error) return replace(out);
  replace(out, error.message, error.usage ? h("code", { class: "usage" }, error.usage) : null);
  const bad = [...box.value.matchAll(/\S+/g)].find((word) => word[0] === error.word);
  if (bad) box.setSelectionRange(bad.index, bad.index + bad[0].length); // the bad word, selected
}

function status(text, state) {
  const out = $("status");
  out.dataset.state = state;
  replace(out, text);
}

function begin() {
  $("result").hidden = false;
  $("share-link").hidden = true;
  replace($("view"));
  current = null;
}

async function run(text, { push = true } = {}) {
  showError(null);
  if (push) history.pushState(null, "", `/?${new URLSearchParams({ c: text })}`);
  agentList.tick(pickedIn(text));
  // list, help, version (and COMMAND --help) are answers, not measurements
  if (!VIEWS[firstWord(text)] || /(^|\s)(-h|--help)(\s|$)/.test(text)) return answer(text);
  const stream = nextStream();
  status("starting…", "starting");
  try {
    await show(await api.measure(text, stream.hangUp.signal), null, stream);
  } catch (error) {
    if (stream === watching) fail(error);
  }
}

async function answer(text) {
  nextStream();
  status("asking…", "starting");
  try {
    const result = await api.answer(text);
    begin();
    status(`${firstWord(text)}`, "done");
    $("view").append(h("pre", { class: "answer" }, result.text));
  } catch (error) {
    fail(error);
  }
}

function fail(error) {
  if (error.code === "bad_command" || error.status === 400) {
    showError(error);
    status("not run", "refused");
  } else {
    begin();
    status(`${error.message} (${error.code})`, "error");
  }
}

async function show(response, key, stream) {
  begin();
  status("running…", "running");
  $("stop").disabled = Boolean(key); // a shared link reads; only the owner may stop
  const errors = h("ul", { class: "errors" });
  let view = null;
  try {
    for await (const event of api.events(response)) {
      if (stream !== watching) return; // another measurement took the view
      if (event.type === "measurement") {
        current = { id: event.id, key, share: key ?? event.read_key };
        document.title = `${event.command} · cloudping`;
        const kind = VIEWS[firstWord(event.command)];
        $("view").append(h("p", { class: "command" }, h("code", {}, event.command)), errors);
        view = kind ? new kind($("view"), event, () => api.picture(current.id, current.key)) : null;
        if (!box.value) box.value = event.command;
      } else if (event.type === "error") {
        errors.append(h("li", { class: "error" }, `${event.agent ?? "hub"}: ${event.message} (${event.code})`));
      } else if (event.type === "end") {
        stream.ended = true;
        status(`${event.status} in ${(event.duration_ms / 1000).toFixed(1)} s`, event.status);
      }
      view?.add(event);
    }
  } catch (error) {
    if (stream === watching) status(`the stream broke off: ${error.message}`, "error");
  } finally {
    stream.ended = true;
    if (stream === watching) $("stop").disabled = true;
  }
}

async function stop() {
  if (!current) return;
  $("stop").disabled = true;
  try {
    await api.cancel(current.id);
  } catch (error) {
    status(`${error.message} (${error.code})`, "error");
  }
}

async function share() {
  if (!current) return;
  const link = `${location.origin}/m/${current.id}?key=${encodeURIComponent(current.share)}`;
  const out = $("share-link");
  out.hidden = false;
  const field = h("input", { readonly: true, value: link, "aria-label": "link to this result" });
  replace(out, field);
  try {
    await navigator.clipboard.writeText(link);
    out.append(" copied");
  } catch {
    field.select(); // no clipboard here: the link is selected for a manual copy
  }
}

async function download(fetchBlob, extension) {
  if (!current) return;
  try {
    const url = URL.createObjectURL(await fetchBlob(current.id, current.key));
    const link = $("download");
    link.href = url;
    link.download = `cloudping-${current.id}.${extension}`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    status(`${error.message} (${error.code})`, "error");
  }
}

function quickCommand(form) {
  const data = new FormData(form);
  const words = [data.get("command")];
  if (data.get("count")) words.push(data.get("command") === "traceroute" ? "-q" : "-c", data.get("count"));
  if (data.get("family")) words.push(`-${data.get("family")}`);
  words.push(data.get("target").trim());
  return withAgents(words.join(" "), agentList.picked());
}

function showWho() {
  replace($("who"), who());
  $("signin").hidden = Boolean(signedIn()); // signed in, the cookie says who: no token to paste
}

async function loadAgents() {
  try {
    const agents = await api.agents();
    hints.agents = agents;
    agentList.show(agents);
    agentList.tick(pickedIn(box.value));
  } catch (error) {
    replace($("agent-list"), h("li", { class: "error" }, error.message));
  }
}

/** Show what the address names: a stored measurement, or a command, run when the page is
 * opened from a link (`rerun`) but only written back into the box on Back and Forward. */
function route({ rerun }) {
  const path = location.pathname.match(/^\/m\/([^/]+)$/);
  const params = new URLSearchParams(location.search);
  if (path) {
    const key = params.get("key");
    const stream = nextStream();
    const id = decodeURIComponent(path[1]);
    api.follow(id, key, stream.hangUp.signal).then((r) => show(r, key, stream), fail);
  } else if (params.get("c")) {
    box.value = params.get("c");
    if (rerun) run(box.value, { push: false });
  }
}

$("command-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (box.value.trim()) run(box.value.trim());
});
box.addEventListener("input", () => hints.show());
box.addEventListener("focus", () => hints.load(), { once: true });
$("stop").addEventListener("click", stop);
$("share").addEventListener("click", share);
$("download-png").addEventListener("click", () => download(api.picture, "png"));
$("download-json").addEventListener("click", () => download(api.stored, "json"));
$("quick-form").addEventListener("submit", (event) => {
  event.preventDefault();
  box.value = quickCommand(event.target);
  box.focus();
});
$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  setToken($("token").value.trim());
  $("token").value = "";
  showWho();
  $("signin").open = false;
});
$("token-forget").addEventListener("click", () => {
  setToken(null);
  showWho();
});
addEventListener("popstate", () => route({ rerun: false }));
showWho();
loadAgents();
// A link's command runs once the page knows who it is (signed in or not).
startAccount(showWho).then(() => route({ rerun: true }));
