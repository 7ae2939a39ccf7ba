// « Gérer vos configurations »: the list (one active configuration per connector), a form
// generated from the configuration schema (or the raw JSON, for experts) to create, edit or
// duplicate one, and one configuration's versions (who, when), the readable diff of two, and
// restoring any version as the newest.

import { del, get, post, put } from "../api.js";
import { announce, h, mount } from "../dom.js";
import { dateTime, lang, t } from "../i18n.js";
import {
  clearErrors, errorText, fieldId, fields, pathLabel, placeErrors, readForm, schemaForm, words,
} from "../schema-form.js";
import { allows } from "../session.js";
import { cell, confirmDialog, field, pageHead, problem, roleNote, table } from "../widgets.js";

const here = (params) => `#/configurations${params ? `?${new URLSearchParams(params)}` : ""}`;
const path = (id, rest = "") => `/v1/configurations/${encodeURIComponent(id)}${rest}`;

let schemaAnswer = null;
const schemaOf = async () => (schemaAnswer ??= await get("/v1/configurations/schema"));

// Who wrote a version, as a person reads it: "Name <e-mail>" is the name (or the e-mail); a
// reader token, the token's name.
export function who(actor) {
  const person = /^(.*?)\s*<([^<>]+)>$/.exec(actor);
  if (person) return person[1] || person[2];
  if (actor === "reader") return t("cfg_by_token");
  if (actor.startsWith("reader:")) return t("cfg_by_named_token", { name: actor.slice(7) });
  if (actor === "connector") return t("cfg_by_connector");
  if (actor === "operator") return t("cfg_by_operator");
  if (actor === "system") return t("cfg_by_system");
  return actor;
}

const written = (v) => `${dateTime(v.updated_at)} ${t("by")} ${who(v.updated_by)}`;
const connectorOf = (c) => c.connector_id || t("cfg_every_connector");

function shown(value) {
  if (value === undefined || value === null) return "—";
  if (typeof value === "boolean") return value ? t("cfg_yes") : t("cfg_no");
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// A confirmation dialog made for one question, in `host`, opened at once.
function ask(host, id, title, text, confirmLabel, onConfirm) {
  const dialog = confirmDialog(id, title, text, confirmLabel, onConfirm);
  mount(host, dialog);
  dialog.ask();
}

async function act(work, done, rerender) {
  try {
    const answer = await work();
    announce(done(answer));
  } catch (error) {
    announce(error.message, "problem");
  }
  await rerender();
}

function list(configurations, rerender, member, dialogs) {
  if (!configurations.length) return h("p", {}, t("no_configurations"));
  const remove = (c) => ask(dialogs, "delete-configuration", t("cfg_delete_title", { name: c.name }),
    t("cfg_delete_text"), t("cfg_delete"), () => act(() => del(path(c.configuration_id)),
      () => t("cfg_deleted", { name: c.name }), rerender));
  const activate = (c) => act(() => post(path(c.configuration_id, "/activate")),
    () => t("activated", { name: c.name }), rerender);
  return table(
    t("configurations_title"),
    [t("name"), t("cfg_connector"), t("version"), t("active"), t("updated"), ""],
    configurations.map((c) =>
      h("tr", { dataset: { configuration: c.configuration_id } },
        cell(t("name"), c.name),
        cell(t("cfg_connector"), connectorOf(c)),
        cell(t("version"), String(c.version)),
        cell(t("active"), c.active ? h("span", { class: "badge level-success" }, t("active")) : "—"),
        cell(t("updated"), written(c)),
        cell("", h("div", { class: "row-actions" },
          h("a", { class: "button secondary", href: here({ id: c.configuration_id }) },
            t("show_versions")),
          member ? [
            h("a", { class: "button secondary", href: here({ edit: c.configuration_id }) },
              t("cfg_edit")),
            h("a", { class: "button secondary", href: here({ copy: c.configuration_id }) },
              t("cfg_duplicate")),
            c.active ? null : h("button", { type: "button", onclick: () => activate(c) },
              t("activate")),
            h("button", { type: "button", class: "secondary", onclick: () => remove(c) },
              t("cfg_delete")),
          ] : null))),
    ),
  );
}

function compareForm(id, versions, from, to, before) {
  const select = (name, label, chosen) =>
    field(`d-${name}`, label, h("select", { id: `d-${name}`, name },
      versions.map((v) => h("option", { value: v.version, selected: v.version === chosen },
        String(v.version)))));
  return h(
    "form",
    { class: "row", onsubmit: (event) => {
      event.preventDefault();
      const data = new FormData(event.target);
      const page = before ? { before } : {};
      location.hash = here({ id, ...page, from: data.get("from"), to: data.get("to") });
    } },
    select("from", t("from_version"), from),
    select("to", t("to_version"), to),
    h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, t("compare"))),
  );
}

function diffTable(changes) {
  if (!changes.length) return h("p", {}, t("no_changes"));
  return table(t("compare"), [t("path"), t("change"), t("before"), t("after")],
    changes.map((c) => h("tr", { class: `change-${c.op}`, dataset: { path: c.path } },
      cell(t("path"), (lang() === "en" ? c.label_en : c.label_fr) || c.path),
      cell(t("change"), t(`op_${c.op}`)),
      cell(t("before"), shown(c.before)),
      cell(t("after"), shown(c.after)))), { id: "diff" });
}

async function versionsOf(params, member, rerender, dialogs) {
  const id = params.get("id");
  const before = params.get("before");
  // A page of versions (the API's newest 100, `before` pages back), and the newest of all.
  const [versions, newest] = await Promise.all([get(path(id, "/versions"), { before }),
    before ? get(path(id, "/versions"), { limit: 1 }) : null]);
  const last = newest ? newest[0] : versions[versions.length - 1];
  const to = Number(params.get("to")) || versions[versions.length - 1]?.version || last.version;
  const from = Number(params.get("from")) || Math.max(1, to - 1);
  const diff = from !== to
    ? await get(path(id, "/diff"), { from_version: from, to_version: to })
    : { changes: [] };
  const schema = member ? await schemaOf() : null;
  // Restoring is saving: what the version turns risky is said too.
  const restore = (v) => ask(dialogs, "restore-version", t("cfg_restore_title", { version: v.version }),
    [t("cfg_restore_text", { version: v.version, next: last.version + 1 }),
      riskText(schema, last.document, v.document)].filter(Boolean).join(" "), t("cfg_restore"),
    () => act(() => post(path(id, `/versions/${v.version}/restore`)),
      (answer) => t("cfg_restored", { version: v.version, next: answer.version }), async () => {
        location.hash = here({ id });
        await rerender();
      }));
  const restorable = (v) => member && !last.deleted && v.version !== last.version && !v.deleted;
  return [
    h("h2", {}, t("versions_of", { name: last.name })),
    table(t("versions_of", { name: last.name }),
      [t("version"), t("updated"), t("name"), t("cfg_connector"), ""],
      versions.map((v) => h("tr", { dataset: { version: v.version } },
        cell(t("version"), String(v.version), v.deleted ? ` (${t("deleted")})` : ""),
        cell(t("updated"), written(v)),
        cell(t("name"), v.name),
        cell(t("cfg_connector"), connectorOf(v)),
        cell("", restorable(v) ? h("button", { type: "button", class: "secondary",
          onclick: () => restore(v) }, t("cfg_restore")) : null))), { id: "versions" }),
    before || versions[0]?.version > 1 ? h("p", { class: "pager" },
      before ? h("a", { href: here({ id }) }, t("cfg_newest_versions")) : null,
      versions[0]?.version > 1
        ? h("a", { href: here({ id, before: versions[0].version }) }, t("cfg_older_versions"))
        : null) : null,
    compareForm(id, versions, from, to, before),
    diffTable(diff.changes),
  ];
}

// What the settings `after` turns risky that `before` were not do, said (a new configuration
// starts from the schema's defaults, which are never risky); "" when none.
function riskText(schema, before, after) {
  const was = new Map(fields(schema, before).map((f) => [f.path.join("/"), f.value]));
  return fields(schema, after).filter((f) => words(f.node, "risk")
    && f.value === f.node.risk_when && was.get(f.path.join("/")) !== f.node.risk_when)
    .map((f) => `${pathLabel(schema, f.path)} : ${words(f.node, "risk")}`).join(" ");
}

function editorView(schema, source, copy, known) {
  const editing = source && !copy;
  let documentBase = source ? source.document : {};
  const nameInput = h("input", { id: fieldId(["name"]), name: "name", type: "text", maxlength: 200,
    required: true, value: source ? (copy ? t("cfg_copy_of", { name: source.name }) : source.name) : "",
    "aria-describedby": `${fieldId(["name"])}-error` });
  const connectorInput = h("input", { id: fieldId(["connector_id"]), name: "connector_id",
    type: "text", maxlength: 128, list: "cfg-connectors", value: source?.connector_id || "",
    "aria-describedby": `${fieldId(["connector_id"])}-help ${fieldId(["connector_id"])}-error` });
  const slot = (id) => h("p", { class: "field-error", id: `${fieldId([id])}-error`, hidden: true });
  const documentForm = h("div", { class: "schema-form", id: "cfg-document-form" },
    schemaForm(schema, documentBase, ["document"]));
  const raw = h("textarea", { id: "cfg-json", class: "code", rows: 20, spellcheck: "false",
    "aria-describedby": "cfg-json-errors" });
  const rawPanel = h("div", { class: "field wide raw-json", hidden: true },
    h("label", { for: "cfg-json" }, t("cfg_raw_label")),
    h("p", { class: "field-help" }, t("cfg_raw_help")), raw);
  const summary = h("div", { id: "cfg-json-errors", class: "form-errors", role: "alert",
    tabindex: "-1" });
  const dialogs = h("div");
  const modeButton = (mode, label) => h("button", { type: "button", class: "secondary",
    dataset: { mode }, "aria-pressed": String(mode === "form"), onclick: () => switchTo(mode) },
  label);
  const modes = h("div", { class: "row buttons mode-switch", role: "group",
    "aria-label": t("cfg_mode") }, modeButton("form", t("cfg_mode_form")),
  modeButton("json", t("cfg_mode_json")));
  const inJson = () => !rawPanel.hidden;

  // Each error next to its field; in the JSON mode, the document's below the text, named.
  function showProblems(entries) {
    clearErrors(form);
    summary.replaceChildren();
    const inDocument = (e) => (e.loc || []).filter((part) => part !== "body")[0] === "document";
    const apart = inJson() ? entries.filter(inDocument) : [];
    const unplaced = placeErrors(form, inJson() ? entries.filter((e) => !inDocument(e)) : entries);
    const named = [...apart, ...unplaced];
    if (named.length) {
      summary.append(problem(t("cfg_fix")), h("ul", {}, named.map((e) => {
        const loc = (e.loc || []).filter((part) => part !== "body" && part !== "document");
        return h("li", {}, loc.length ? `${pathLabel(schema, loc)} : ` : "", errorText(e));
      })));
    }
    if (apart.length) raw.setAttribute("aria-invalid", "true");
    (form.querySelector("[aria-invalid='true']") || summary).focus();
  }

  // The document as the current mode holds it; throws the problems it finds itself.
  function currentDocument() {
    if (!inJson()) return readForm(documentForm, { document: documentBase }).document;
    try {
      return JSON.parse(raw.value);
    } catch {
      throw [{ loc: ["document"], type: "json_invalid" }];
    }
  }

  function switchTo(mode) {
    if ((mode === "json") === inJson()) return;
    let value;
    try {
      value = currentDocument();
    } catch (problems) {
      showProblems(problems);
      return;
    }
    clearErrors(form);
    summary.replaceChildren();
    documentBase = value;
    if (mode === "json") raw.value = JSON.stringify(value, null, 2);
    else mount(documentForm, schemaForm(schema, value, ["document"]));
    rawPanel.hidden = mode !== "json";
    documentForm.hidden = mode === "json";
    for (const button of modes.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    }
  }

  async function send(body) {
    try {
      const saved = editing
        ? await put(path(source.configuration_id), body)
        : await post("/v1/configurations", body);
      announce(t("cfg_saved", { name: saved.name, version: saved.version }));
      location.hash = here({ id: saved.configuration_id });
    } catch (error) {
      if (error.status === 422 && error.invalid.length) showProblems(error.invalid);
      else {
        clearErrors(form);
        summary.replaceChildren(problem(error.message));
      }
    }
  }

  function save(event) {
    event.preventDefault();
    let document;
    try {
      document = currentDocument();
    } catch (problems) {
      showProblems(problems);
      return;
    }
    const body = { name: nameInput.value, connector_id: connectorInput.value.trim() || null,
      document };
    const risks = riskText(schema, editing ? source.document : {}, document);
    if (risks) ask(dialogs, "risky-settings", t("cfg_risk_title"), risks, t("cfg_risk_confirm"),
      () => send(body));
    else send(body);
  }

  const form = h("form", { id: "configuration-form", class: "configuration-form", novalidate: true,
    onsubmit: save },
  h("div", { class: "row" },
    h("div", { class: "field" }, h("label", { for: fieldId(["name"]) }, t("name")), nameInput,
      slot("name")),
    h("div", { class: "field" },
      h("label", { for: fieldId(["connector_id"]) }, t("cfg_connector")), connectorInput,
      h("p", { class: "field-help", id: `${fieldId(["connector_id"])}-help` }, t("cfg_connector_help")),
      slot("connector_id"),
      h("datalist", { id: "cfg-connectors" }, known.map((id) => h("option", { value: id }))))),
  modes, documentForm, rawPanel, summary,
  h("div", { class: "row buttons" },
    h("button", { type: "submit", class: "primary" }, editing ? t("cfg_save") : t("cfg_create")),
    h("a", { class: "button secondary", href: here() }, t("cancel"))));
  const title = editing ? t("cfg_edit_title", { name: source.name })
    : copy ? t("cfg_copy_title", { name: source.name }) : t("cfg_new_title");
  return [h("h2", {}, title), form, dialogs];
}

export async function render({ params, rerender, role }) {
  const configurations = await get("/v1/configurations");
  const member = allows(role, "member");
  const dialogs = h("div");
  const head = pageHead(t("configurations_title"),
    member ? h("a", { class: "button", href: here({ new: 1 }) }, t("cfg_new")) : null);
  const editId = params.get("edit") || params.get("copy");
  if (member && (editId || params.has("new"))) {
    // The connectors to pick from: those heard from lately, and those configured already.
    const [schema, source, board] = await Promise.all([schemaOf(),
      editId ? get(path(editId)) : null, get("/v1/dashboard")]);
    const known = [...new Set([...board.connectors.map((c) => c.connector_id),
      ...configurations.map((c) => c.connector_id).filter(Boolean)])].sort();
    return [head, editorView(schema, source, params.has("copy"), known)];
  }
  return [
    head,
    member ? null : roleNote(role, "member", "configurations_readonly"),
    list(configurations, rerender, member, dialogs),
    params.get("id") ? await versionsOf(params, member, rerender, dialogs) : null,
    dialogs,
  ];
}
