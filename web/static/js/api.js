// The JSON API, called with the person's session and the licence they chose. Every figure a
// page shows comes from here.

import { lang, t } from "./i18n.js";
import * as session from "./session.js";

export class ApiError extends Error {
  // `detail`: the API's {code, fr, en, ...} when it sent one; `retryAfter`: seconds (429);
  // `invalid`: a 422's entries ({loc, msg, type, ctx}).
  constructor(status, message, detail = null, retryAfter = null) {
    super(message);
    this.status = status;
    this.detail = detail && typeof detail === "object" && !Array.isArray(detail) ? detail : null;
    this.invalid = Array.isArray(detail) ? detail : [];
    this.code = this.detail?.code ?? null;
    this.retryAfter = retryAfter;
  }

  // The password rules a 422 says are not met: [{code, fr, en}] (its entries at the new
  // password, `type` being the rule's code; every entry carries its own words).
  failedRules() {
    if (Array.isArray(this.detail?.rules)) return this.detail.rules;
    return this.invalid
      .filter((e) => e.loc?.at(-1) === "password" && typeof e.ctx?.fr === "string")
      .map((e) => ({ code: e.type, fr: e.ctx.fr, en: e.ctx.en }));
  }
}

// The API's error body in one sentence: a string, FastAPI's validation list (an entry with
// its own {fr, en} in `ctx` is said in the page's language), {message}, or {code, fr, en}.
export function describe(body, fallback) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((e) => {
      if (typeof e.ctx?.fr === "string") return bilingual(e.ctx);
      // Our own messages say "français / English".
      const halves = String(e.msg).split(" / ");
      if (halves.length === 2) return bilingual({ fr: halves[0], en: halves[1] });
      return `${(e.loc || []).slice(1).join(".")}: ${e.msg}`;
    }).join(" ; ");
  }
  if (detail && typeof detail.message === "string") return detail.message;
  if (detail && typeof detail.fr === "string") return bilingual(detail);
  return fallback;
}

// The API's {fr, en} texts (errors, the 202 answers, the password rules) in the page's language.
export function bilingual(text) {
  return lang() === "en" ? text.en : text.fr;
}

export function queryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== null && one !== undefined && one !== "") search.append(key, one);
    }
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// A 401 means the session is over (expired, revoked, unknown): the app goes back to sign-in
// with the API's message. A 403 `no_licence` means the person holds no active licence: the app
// shows only that; `licence_not_held`, that the licence chosen is no longer theirs: the app
// reads their licences again. Other 403s (a role that may not do this) are the page's to show.
export const unauthorised = new EventTarget();

// 401s that judge what was typed (a password, a code), not the session: the page says so and
// the person stays signed in.
const TYPED = new Set(["invalid_credentials", "totp_required", "totp_invalid"]);

// `anonymous`: the pages before sign-in; no session is sent and no 401 signs anyone out.
// `quiet`: the session is sent, but the caller handles every answer (signing out).
export async function request(
  path, { method = "GET", params, body, anonymous = false, quiet = false } = {},
) {
  const headers = {};
  if (!anonymous && session.token()) {
    headers.Authorization = `Bearer ${session.token()}`;
    if (session.licence()) headers["X-ERO-Licence"] = session.licence();
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path + queryString(params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    // The browser's own words ("Failed to fetch") are neither the page's language nor helpful.
    throw new ApiError(0, t("network_error"));
  }
  if (response.ok && response.headers.get("Content-Type")?.startsWith("application/json")) {
    return response.json();
  }
  if (response.ok) return response;
  const answer = await response.json().catch(() => null);
  const retry = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  const error = new ApiError(response.status, describe(answer, t("http_error", { status: response.status })),
    answer?.detail, Number.isFinite(retry) ? retry : null);
  if (anonymous || quiet) throw error;
  if (response.status === 401 && !TYPED.has(error.code)) {
    unauthorised.dispatchEvent(new CustomEvent("signout", { detail: error.message }));
  } else if (response.status === 403 && error.code === "no_licence") {
    unauthorised.dispatchEvent(new CustomEvent("nolicence", { detail: error.detail }));
  } else if (response.status === 403 && error.code === "licence_not_held") {
    unauthorised.dispatchEvent(new CustomEvent("notheld", { detail: error.message }));
  }
  throw error;
}

export const get = (path, params) => request(path, { params });
export const post = (path, body) => request(path, { method: "POST", body });
export const put = (path, body) => request(path, { method: "PUT", body });
export const del = (path) => request(path, { method: "DELETE" });
// Before sign-in: no session sent.
export const anonymous = (path, body) =>
  request(path, { method: body === undefined ? "GET" : "POST", body, anonymous: true });
