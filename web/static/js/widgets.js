// Small pieces several pages share: level badges, origins, links into the reports, tables.

import { anonymous, ApiError, bilingual } from "./api.js";
import { h } from "./dom.js";
import { lang, t } from "./i18n.js";

export const LEVELS = ["success", "alert", "error"];
export const ORIGINS = ["cms", "erp", "connector"];

// An API report_url (/v1/reports?...) as the Rapports page showing exactly those events.
export function reportsHref(reportUrl) {
  const query = reportUrl.split("?")[1] || "";
  return `#/rapports${query ? `?${query}` : ""}`;
}

export function levelBadge(level) {
  return h("span", { class: `badge level-${level}`, dataset: { level } }, t(`level_${level}`));
}

export function originLabel(origin) {
  return t(`origin_${origin}`);
}

export function pageHead(title, ...extra) {
  return h("div", { class: "page-head" }, h("h1", {}, title), ...extra);
}

export function problem(message) {
  return h("p", { class: "problem", role: "alert" }, t("error_prefix"), message);
}

// A table that becomes one card per row on a phone (each cell shows its column name).
export function table(caption, columns, rows, attrs = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "cards", ...attrs },
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows),
    ),
  );
}

export function cell(label, ...content) {
  return h("td", { "data-label": label }, ...content);
}

// A labelled form control.
export function field(id, label, control, wide = false) {
  return h("div", { class: wide ? "field wide" : "field" }, h("label", { for: id }, label), control);
}

// The knowledge-base article of a remediation. ERO's own articles (/aide/<slug>, relative or
// on this origin) open here, in the reader's language; another knowledge base (ERO_KB_BASE_URL)
// in a new tab. Only web addresses become links.
export function kbLink(remediation) {
  if (!remediation.url) return null;
  let url;
  try {
    url = new URL(remediation.url, location.origin);
  } catch {
    return null;
  }
  if (url.origin === location.origin && url.pathname.startsWith("/aide/")) {
    url.searchParams.set("lang", lang());
    return h("a", { href: url.pathname + url.search, class: "kb-link" }, t("kb_link"));
  }
  if (!/^https?:$/.test(url.protocol) || !/^https?:\/\//i.test(remediation.url)) return null;
  return h("a", { href: url.href, target: "_blank", rel: "noopener", class: "kb-link" },
    t("kb_link"));
}

// A confirmation before a write that cannot be undone; `ask()` opens it. Cancelling gives the
// focus back to what opened it.
export function confirmDialog(id, title, text, confirmLabel, onConfirm) {
  const dialog = h(
    "dialog",
    { id, "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-text` },
    h("form", { method: "dialog" },
      h("h2", { id: `${id}-title` }, title),
      h("p", { id: `${id}-text` }, text),
      h("div", { class: "row buttons" },
        h("button", { value: "cancel", class: "secondary", autofocus: true }, t("cancel")),
        h("button", { value: "confirm", class: "primary danger" }, confirmLabel))),
  );
  let opener = null;
  dialog.ask = () => {
    opener = document.activeElement;
    dialog.returnValue = "";
    dialog.showModal();
  };
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "confirm") onConfirm();
    else opener?.focus();
  });
  return dialog;
}

// Why a page offers no writes: the person's role in this licence is below what they need
// (the server refuses anyway).
export function roleNote(role, needed, what) {
  return h("p", { class: "role-note", id: "role-note", dataset: { role } },
    t(what), " ", t("role_needed", { role: t(`role_${role}`), needed: t(`role_${needed}`) }));
}

// The submit handler of a form whose answer is the API's 202 text, the same whatever the
// e-mail (sign-up, forgotten password): the form gives way to that text, or shows the error.
export function acceptedSubmit(path, bodyOf, outcome) {
  return async (event) => {
    event.preventDefault();
    const form = event.target;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await anonymous(path, bodyOf(new FormData(form)));
      form.hidden = true;
      outcome.replaceChildren(h("p", { class: "done", role: "status", tabindex: "-1" },
        bilingual(answer)));
      outcome.firstChild.focus();
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
    }
  };
}

// A button that shows and hides `panel` (a menu): Escape or a click elsewhere closes it.
const openPanels = new Set();
document.addEventListener("click", (event) => {
  for (const closeIfOutside of openPanels) closeIfOutside(event);
});

export function disclosure(button, panel) {
  const set = (open) => {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) openPanels.add(closeIfOutside);
    else openPanels.delete(closeIfOutside);
  };
  const closeIfOutside = (event) => {
    if (!button.contains(event.target) && !panel.contains(event.target)) set(false);
  };
  const escape = (event) => {
    if (event.key !== "Escape" || panel.hidden) return;
    set(false);
    button.focus();
  };
  if (panel.id) button.setAttribute("aria-controls", panel.id);
  set(false);
  button.addEventListener("click", () => set(panel.hidden));
  button.addEventListener("keydown", escape);
  panel.addEventListener("keydown", escape);
  return button;
}
