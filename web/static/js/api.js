// The JSON API, called with the reader token. Every figure a page shows comes from here.

import { lang } from "./i18n.js";
import * as session from "./session.js";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The API's error body in one sentence: a string, FastAPI's validation list, {message}, or
// {code, fr, en}.
export function describe(body, fallback) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join(" ; ");
  }
  if (detail && typeof detail.message === "string") return detail.message;
  if (detail && typeof detail.fr === "string") return lang() === "en" ? detail.en : detail.fr;
  return fallback;
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

// 401 and 403 mean the token is no good (unknown, not a reader token, licence not active):
// the app goes back to sign-in and shows the API's message.
export const unauthorised = new EventTarget();

export async function request(path, { method = "GET", params, body } = {}) {
  const headers = { Authorization: `Bearer ${session.token() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path + queryString(params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.ok && response.headers.get("Content-Type")?.startsWith("application/json")) {
    return response.json();
  }
  if (response.ok) return response;
  const message = describe(await response.json().catch(() => null), `HTTP ${response.status}`);
  if (response.status === 401 || response.status === 403) {
    unauthorised.dispatchEvent(new CustomEvent("signout", { detail: message }));
  }
  throw new ApiError(response.status, message);
}

export const get = (path, params) => request(path, { params });
export const post = (path, body) => request(path, { method: "POST", body });
