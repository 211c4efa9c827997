// Who the page is to the API, decided here only. A person signed in on the hub (the
// `cloudping_session` cookie, HttpOnly: no script reads it) is who same-origin fetches carry
// by themselves, so the page adds no header. On a hub without sign-in, a token pasted once
// and kept in this tab's sessionStorage (gone when the tab closes) goes as a Bearer header;
// without either the page is a guest where the hub allows guests.

const KEY = "cloudping.token";
let person = null; // /auth/session's answer while someone is signed in

function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

/** The signed-in person (`{subject, label, scopes, expires_at}`), or null. */
export function signedIn() {
  return person;
}

/** What `GET /auth/session` said (null: no sign-in on this hub, or not signed in). */
export function setSession(session) {
  person = session?.signed_in ? session : null;
}

/** The headers that say who asks: none for a signed-in person (the cookie) or a guest. A
 * Bearer header would win over the cookie on the hub, so none goes while signed in. */
export function headers() {
  const value = token();
  return value && !person ? { Authorization: `Bearer ${value}` } : {};
}

/** Who the page is, in words. */
export function who() {
  if (person) return `signed in as ${person.subject}`;
  return token() ? "with your token" : "as a guest";
}
