// The session lives in sessionStorage: closing the tab signs out, nothing persists on disk.
// It holds the session token, the licences the person holds (as the sign-in answered them)
// and the licence chosen, which every API call names (X-ERO-Licence).

const TOKEN = "ero.token";
const LICENCES = "ero.licences";
const LICENCE = "ero.licence";
const MESSAGE = "ero.signin-message";
const EMAIL = "ero.signin-email";

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function licences() {
  try {
    return JSON.parse(sessionStorage.getItem(LICENCES) || "[]");
  } catch {
    return [];
  }
}

export function licence() {
  return sessionStorage.getItem(LICENCE);
}

// The licences a person may work in: the active ones.
export function usable(held) {
  return held.filter((l) => l.status === "active");
}

// Keep the licences held; the choice stays if it is still one of them, else the first one.
export function setLicences(held) {
  sessionStorage.setItem(LICENCES, JSON.stringify(held));
  const open = usable(held);
  if (!open.some((l) => l.licence_id === licence())) {
    if (open.length) sessionStorage.setItem(LICENCE, open[0].licence_id);
    else sessionStorage.removeItem(LICENCE);
  }
}

export function choose(licenceId) {
  sessionStorage.setItem(LICENCE, licenceId);
}

// A sign-in's (or a password change's) answer: {session_token, expires_at, licences}.
export function signIn(answer) {
  sessionStorage.setItem(TOKEN, answer.session_token);
  setLicences(answer.licences);
  sessionStorage.removeItem(MESSAGE);
  sessionStorage.removeItem(EMAIL);
}

// Forget the session; `message` is shown on the sign-in page (the API's own words), as a
// problem or as good news (`kind` "done").
export function signOut(message, kind = "problem") {
  for (const key of [TOKEN, LICENCES, LICENCE]) sessionStorage.removeItem(key);
  tell(message, kind);
}

// A message for the sign-in page (and, optionally, the e-mail to fill in there).
export function tell(message, kind = "problem", email = null) {
  if (message) sessionStorage.setItem(MESSAGE, JSON.stringify({ text: message, kind }));
  else sessionStorage.removeItem(MESSAGE);
  if (email) sessionStorage.setItem(EMAIL, email);
}

export function takeMessage() {
  const raw = sessionStorage.getItem(MESSAGE);
  sessionStorage.removeItem(MESSAGE);
  try {
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function takeEmail() {
  const email = sessionStorage.getItem(EMAIL);
  sessionStorage.removeItem(EMAIL);
  return email;
}

// Roles, each including the ones below it (licences.Role on the server).
const RANKS = { viewer: 0, member: 1, owner: 2 };

export function allows(role, needed) {
  return (RANKS[role] ?? -1) >= RANKS[needed];
}
