// French first, English on request. The words live in `words/`, one file per area of the
// product (so that areas change without touching each other), merged here into one
// dictionary; a key defined twice is a mistake that tests/unit/web catch. The API itself
// gives hints and action labels in both languages (hint / hint_en, label_fr / label_en).

import base from "./words/base.js";
import configurationWords from "./words/configurations.js";
import consoleWords from "./words/console.js";
import help from "./words/help.js";
import support from "./words/support.js";

const LANG = "ero.lang";

// Every area's words; a new area adds its file here.
const AREAS = [
  base,
  configurationWords,
  consoleWords,
  help,
  support,
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
