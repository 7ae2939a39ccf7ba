// A form generated from a JSON Schema whose fields name themselves in both languages (title_fr,
// help_fr, choices_fr and their _en): booleans as checkboxes, enums as selects, numbers with
// their bounds, lists of words one a line, free objects as JSON. The API's 422 is the judge of
// what is valid (the form does not validate in the browser); its errors are placed next to the
// fields they name.

import { h } from "./dom.js";
import { lang, t } from "./i18n.js";

// A field's words in the page's language: words(node, "title"), words(node, "help").
export const words = (node, name) => node[`${name}_${lang()}`] ?? node[`${name}_fr`];

const ID = "cfg";
export const fieldId = (path) => [ID, ...path].join("-");

function resolved(schema, node) {
  const ref = node.$ref;
  return ref ? { ...schema.$defs[ref.split("/").pop()], ...node } : node;
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

// Every field of the schema, with its path and what it is (its value read from `value`, or
// its default): [{path, node, value}], depth first.
export function fields(schema, value, path = [], node = schema) {
  const found = [];
  const here = resolved(schema, node);
  for (const [key, child] of Object.entries(here.properties || {})) {
    const own = isObject(value) && key in value ? value[key] : child.default;
    found.push({ path: [...path, key], node: resolved(schema, child), value: own });
    found.push(...fields(schema, own, [...path, key], child));
  }
  return found;
}

function describedBy(id, node) {
  return words(node, "help") ? `${id}-help ${id}-error` : `${id}-error`;
}

function around(id, node, label, control, kind = "field") {
  return h("div", { class: kind, dataset: { field: id } },
    kind === "check" ? [control, label] : [label, control],
    words(node, "help") ? h("p", { class: "field-help", id: `${id}-help` }, words(node, "help")) : null,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }));
}

function control(path, node, value, required) {
  const id = fieldId(path);
  const data = { path: JSON.stringify(path) };
  const common = { id, name: id, "aria-describedby": describedBy(id, node) };
  const label = h("label", { for: id }, words(node, "title"));
  if (node.type === "boolean") {
    return around(id, node, label, h("input", { ...common, type: "checkbox", checked: value === true,
      dataset: { ...data, kind: "boolean" } }), "check");
  }
  if (Array.isArray(node.enum)) {
    const choices = words(node, "choices") || {};
    return around(id, node, label, h("select", { ...common, dataset: { ...data, kind: "enum" } },
      required && value === undefined ? h("option", { value: "" }, t("cfg_choose")) : null,
      node.enum.map((one) => h("option", { value: one, selected: one === value },
        choices[one] ?? one))));
  }
  if (node.type === "integer" || node.type === "number") {
    return around(id, node, label, h("input", { ...common, type: "number", inputmode: "numeric",
      min: node.minimum, max: node.maximum, step: node.type === "integer" ? 1 : "any",
      value: value ?? "", dataset: { ...data, kind: "number" } }));
  }
  if (node.type === "array") {
    return around(id, node, label, h("textarea", { ...common, rows: 3,
      dataset: { ...data, kind: "lines" } }, (value || []).join("\n")));
  }
  if (node.type === "object") {
    return around(id, node, label, h("textarea", { ...common, rows: 3, class: "code",
      spellcheck: "false", dataset: { ...data, kind: "json" } },
      JSON.stringify(value ?? {}, null, 2)));
  }
  return around(id, node, label, h("input", { ...common, type: "text", maxlength: node.maxLength,
    value: value ?? "", dataset: { ...data, kind: "text" } }));
}

// The controls of `node`'s properties; an object with properties of its own is a fieldset.
export function schemaForm(schema, value, path = [], node = schema) {
  const here = resolved(schema, node);
  const required = new Set(here.required || []);
  return Object.entries(here.properties || {}).map(([key, raw]) => {
    const child = resolved(schema, raw);
    const own = isObject(value) && key in value ? value[key] : child.default;
    if (child.properties) {
      return h("fieldset", { class: "schema-group", id: fieldId([...path, key]) },
        h("legend", {}, words(child, "title")),
        words(child, "help") ? h("p", { class: "field-help" }, words(child, "help")) : null,
        schemaForm(schema, own, [...path, key], child));
    }
    return control([...path, key], child, own, required.has(key));
  });
}

function setAt(target, path, value) {
  let here = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(here[key])) here[key] = {};
    here = here[key];
  }
  if (value === undefined) delete here[path[path.length - 1]];
  else here[path[path.length - 1]] = value;
}

function valueOf(element) {
  const text = element.value;
  switch (element.dataset.kind) {
    case "boolean": return element.checked;
    case "enum": return text === "" ? undefined : text;
    // What is not a number is sent as typed: the API's 422 names it.
    case "number": return text === "" ? undefined : Number.isFinite(Number(text)) ? Number(text) : text;
    case "lines": return text.split("\n").map((line) => line.trim()).filter(Boolean);
    case "json": {
      if (!text.trim()) return {};
      try {
        return JSON.parse(text);
      } catch {
        throw { loc: JSON.parse(element.dataset.path), type: "json_invalid" };
      }
    }
    default: return text;
  }
}

// The document the form holds, over `base` (what it was built from: keys the form does not
// show are kept, and sent); throws a list of {loc, type} for what cannot be read at all.
export function readForm(root, base) {
  const document = structuredClone(base || {});
  const problems = [];
  for (const element of root.querySelectorAll("[data-path]")) {
    try {
      setAt(document, JSON.parse(element.dataset.path), valueOf(element));
    } catch (problem) {
      problems.push(problem);
    }
  }
  if (problems.length) throw problems;
  return document;
}

// A 422 entry in the page's language, from its type and context (FastAPI's English otherwise).
const KNOWN = {
  greater_than_equal: "cfg_err_ge",
  less_than_equal: "cfg_err_le",
  string_too_long: "cfg_err_too_long",
  string_too_short: "cfg_err_too_short",
  too_long: "cfg_err_too_many",
  int_parsing: "cfg_err_int",
  int_from_float: "cfg_err_int",
  int_type: "cfg_err_int",
  literal_error: "cfg_err_choice",
  enum: "cfg_err_choice",
  missing: "cfg_err_missing",
  extra_forbidden: "cfg_err_unknown",
  json_invalid: "cfg_err_json",
  model_type: "cfg_err_object",
  dict_type: "cfg_err_object",
  bool_type: "cfg_err_bool",
  bool_parsing: "cfg_err_bool",
  string_type: "cfg_err_text",
};

export function errorText(entry) {
  const key = KNOWN[entry.type];
  return key ? t(key, entry.ctx) : entry.msg;
}

export function clearErrors(root) {
  for (const slot of root.querySelectorAll(".field-error")) {
    slot.hidden = true;
    slot.replaceChildren();
  }
  for (const control of root.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
  }
}

// Each error next to the field its `loc` names (the nearest field shown, for a key inside a
// free object); returns the ones no field of `root` shows.
export function placeErrors(root, entries) {
  const unplaced = [];
  for (const entry of entries) {
    const path = (entry.loc || []).filter((part) => part !== "body").map(String);
    let slot = null;
    for (let end = path.length; end > 0 && !slot; end -= 1) {
      slot = root.querySelector(`#${CSS.escape(fieldId(path.slice(0, end)))}-error`);
      if (slot) root.querySelector(`#${CSS.escape(fieldId(path.slice(0, end)))}`)
        ?.setAttribute("aria-invalid", "true");
    }
    if (!slot) {
      unplaced.push(entry);
      continue;
    }
    slot.hidden = false;
    slot.append(h("span", {}, errorText(entry)), " ");
  }
  return unplaced;
}

// The names of a path through the schema ("Commandes › Jours repris"), for errors shown apart.
export function pathLabel(schema, path) {
  const names = [];
  let node = schema;
  for (const key of path) {
    const child = node && resolved(schema, node).properties?.[key];
    names.push(child ? words(resolved(schema, child), "title") : key);
    node = child ? resolved(schema, child) : null;
  }
  return names.join(" › ");
}
