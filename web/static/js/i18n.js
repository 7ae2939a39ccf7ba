// French first, English on request. The words live in `words/`, one file per area of the
// product (so that areas change without touching each other), merged here into one
// dictionary; a key defined twice is a mistake that tests/unit/web catch. The API itself
// gives hints and action labels in both languages (hint / hint_en, label_fr / label_en).

import alerts from "./words/alerts.js";
import base from "./words/base.js";
import configurationWords from "./words/configurations.js";
import consoleWords from "./words/console.js";
import help from "./words/help.js";
import runs from "./words/runs.js";
import support from "./words/support.js";
import timeline from "./words/timeline.js";
import workflow from "./words/workflow.js";

const LANG = "ero.lang";

// Every area's words; a new area adds its file here.
const AREAS = [
  alerts,
  base,
  configurationWords,
  consoleWords,
  help,
  runs,
  support,
  timeline,
  workflow,
];

const WORDS = { fr: {}, en: {} };
for (const area of AREAS) {
  Object.assign(WORDS.fr, area.fr);
  Object.assign(WORDS.en, area.en);
}

export function lang() {
  return localStorage.getItem(LANG) === "en" ? "en" : "fr";
}

export function setLang(value) {
  localStorage.setItem(LANG, value);
  document.documentElement.lang = value;
}

export function t(key, vars) {
  const text = WORDS[lang()][key] ?? WORDS.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars?.[name] ?? ""));
}

// The API's bilingual fields: hint / hint_en, label_fr / label_en.
export function hintOf(remediation) {
  return lang() === "en" ? remediation.hint_en || remediation.hint : remediation.hint;
}

// A label before its value, as each language punctuates it: "Origine : ", "Origin: ".
export function colon(label) {
  return lang() === "en" ? `${label}: ` : `${label} : `;
}

export function labelOf(action) {
  return lang() === "en" ? action.label_en : action.label_fr;
}

const locale = () => (lang() === "en" ? "en-GB" : "fr-FR");

export function dateTime(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "medium" }).format(
    new Date(iso),
  );
}

export function hour(iso) {
  return new Intl.DateTimeFormat(locale(), { weekday: "short", hour: "2-digit", minute: "2-digit" })
    .format(new Date(iso));
}

export function number(value) {
  return new Intl.NumberFormat(locale()).format(value);
}

// How long an operation took, from milliseconds: "850 ms", "1,2 s", "2 min 5 s".
export function duration(ms) {
  if (ms < 1000) return `${number(ms)} ms`;
  if (ms < 60_000) {
    return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(ms / 1000)} s`;
  }
  const seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  return [hours ? `${hours} h` : "", minutes ? `${minutes} min` : "", rest ? `${rest} s` : ""]
    .filter(Boolean).join(" ");
}

// A share (0 to 1) as a percentage; null (nothing counted) as a dash.
export function percent(share) {
  if (share === null) return "—";
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 })
    .format(share);
}

export function day(iso) {
  return new Intl.DateTimeFormat(locale(), { weekday: "short", day: "numeric", month: "short" })
    .format(new Date(iso));
}
