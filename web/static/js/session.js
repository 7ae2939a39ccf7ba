// The reader token lives in sessionStorage: closing the tab signs out, nothing persists on disk.

const TOKEN = "ero.token";
const REASON = "ero.signin-reason";

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function signIn(value) {
  sessionStorage.setItem(TOKEN, value);
  sessionStorage.removeItem(REASON);
}

// Forget the token; `reason` is shown on the sign-in page (the API's own words).
export function signOut(reason) {
  sessionStorage.removeItem(TOKEN);
  if (reason) sessionStorage.setItem(REASON, reason);
  else sessionStorage.removeItem(REASON);
}

export function takeReason() {
  const reason = sessionStorage.getItem(REASON);
  sessionStorage.removeItem(REASON);
  return reason;
}
