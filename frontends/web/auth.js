// Who the page is to the API. Until sign-in exists, a token pasted once and kept in this
// tab's sessionStorage (gone when the tab closes); without one the page is a guest where
// the hub allows guests. The sign-in issue adds a session cookie, which same-origin fetches
// carry by themselves: then `headers()` has nothing to add and the token form goes.

const KEY = "cloudping.token";

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

/** The headers that say who asks (none for a guest). */
export function headers() {
  const value = token();
  return value ? { Authorization: `Bearer ${value}` } : {};
}
