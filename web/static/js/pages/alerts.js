// Surveillance: the alerts ERO raised (newest first, firing or resolved, more by the API's
// cursor), the channels they are sent to (e-mail, webhook, Slack: added, tested, deleted, their
// deliveries), the rules that raise them (one card per kind, only the parameters it uses) and
// the settings (quiet hours, time zone, a cap per hour and channel). Members write; a viewer
// reads every section without its controls.

import { ApiError, bilingual, del, get, post, put } from "../api.js";
import { announce, h } from "../dom.js";
import { colon, dateTime, lang, number, t } from "../i18n.js";
import { errorText } from "../schema-form.js";
import { allows } from "../session.js";
import {
  cell, confirmDialog, field, pageHead, problem, reportsHref, roleNote, table,
} from "../widgets.js";
import { copyButton } from "./account.js";

const HERE = "#/surveillance";
const FILTERS = ["all", "firing", "resolved"];
const PAGE = 50;
const CHANNEL_KINDS = ["email", "webhook", "slack"];
// The rule kinds in the order they are shown, and the parameters each one uses (every rule
// object carries all of them; the PUT sends the whole object back).
const PARAMS = {
  new_group: [],
  error_spike: ["threshold", "multiple", "window_minutes", "repeat_minutes"],
  silent_connector: ["factor", "min_minutes", "fixed_minutes", "grace_minutes", "repeat_minutes"],
  stuck_order: ["hours", "repeat_minutes"],
  digest: ["hour"],
};
const DECIMAL = new Set(["multiple", "factor"]);
const channelPath = (channel, rest = "") =>
  `/v1/alerts/channels/${encodeURIComponent(channel.id)}${rest}`;

// A word of the catalog, or a dash for a value it does not know (never the raw key).
function word(prefix, value) {
  const key = `${prefix}_${value}`;
  const text = t(key);
  return text === key ? "—" : text;
}

// ---- errors next to their field ----------------------------------------------------------

// FastAPI's entry types the configurations' words do not cover.
const OWN_ERRORS = {
  greater_than: "alerts_err_gt",
  less_than: "alerts_err_lt",
  float_parsing: "alerts_err_number",
  float_type: "alerts_err_number",
};

// What one entry of a 422 says, in the page's language: its own {fr, en}, our "français /
// English" messages, FastAPI's types by their words; never FastAPI's English.
function entryText(entry) {
  if (typeof entry.ctx?.fr === "string") return bilingual(entry.ctx);
  const halves = String(entry.msg).split(" / ");
  if (halves.length === 2) return bilingual({ fr: halves[0], en: halves[1] });
  if (OWN_ERRORS[entry.type]) return t(OWN_ERRORS[entry.type], entry.ctx);
  const known = errorText(entry);
  return known === entry.msg ? t("alerts_err_invalid") : known;
}

// A form's controls by field name, each with its error line: `control()` makes one.
function fieldSet(prefix) {
  const fields = {};
  const control = (name, label, element, wide = false) => {
    const id = element.id || `${prefix}-${name.replaceAll("_", "-")}`;
    element.id = id;
    const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
    element.setAttribute("aria-describedby", `${id}-error`);
    fields[name] = { element, error };
    return h("div", { class: wide ? "field wide" : "field" },
      h("label", { for: id }, label), element, error);
  };
  const clear = () => {
    for (const { element, error } of Object.values(fields)) {
      error.hidden = true;
      error.textContent = "";
      element.removeAttribute("aria-invalid");
    }
  };
  // The API's refusal beside the fields it names (FastAPI's entries' `loc`, or a `field` in
  // its {code, fr, en}); true when one was placed.
  const show = (error) => {
    const placed = [];
    const place = (name, text) => {
      const at = fields[name];
      if (!at) return;
      at.error.textContent = at.error.textContent ? `${at.error.textContent} ; ${text}` : text;
      at.error.hidden = false;
      at.element.setAttribute("aria-invalid", "true");
      placed.push(at.element);
    };
    for (const entry of error.invalid) {
      const name = [...(entry.loc || [])].reverse().find((part) => fields[part]);
      if (name) place(name, entryText(entry));
    }
    if (typeof error.detail?.field === "string") place(error.detail.field, error.message);
    placed[0]?.focus();
    return placed.length > 0;
  };
  return { fields, control, clear, show };
}

// ---- Alertes ----------------------------------------------------------------------------

function stateBadge(state) {
  return h("span", { class: `badge alert-state alert-${state}`, dataset: { state } },
    word("alert_state", state));
}

// The alert's report_url is a path and hash of this app ("/#/rapports?…"), or the API's
// /v1/reports query: either opens here. Nothing else becomes a link.
function reportHref(url) {
  if (typeof url !== "string" || !url) return null;
  if (url.startsWith("/v1/reports")) return reportsHref(url);
  if (url.startsWith("#/")) return url;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  return null;
}

function deliveryList(deliveries, names) {
  if (!deliveries.length) return h("span", { class: "muted" }, t("alerts_no_delivery"));
  return h("ul", { class: "plain alert-deliveries" }, deliveries.map((d) => {
    const name = names.get(d.channel_id) || t("alerts_channel_gone");
    return h("li", { dataset: { channelId: d.channel_id, state: d.state } },
      `${colon(name)}${word("delivery_state", d.state)}`);
  }));
}

function alertRow(alert, names) {
  const href = reportHref(alert.report_url);
  const summary = lang() === "en" ? alert.summary_en || alert.summary_fr
    : alert.summary_fr || alert.summary_en;
  return h("tr", { class: `alert alert-${alert.state}`,
    dataset: { alertId: alert.alert_id, kind: alert.kind, state: alert.state } },
  cell(t("alerts_kind"), word("alert_kind", alert.kind)),
  cell(t("alerts_state"), stateBadge(alert.state)),
  cell(t("connector"), alert.connector_id || "—"),
  cell(t("alerts_summary"), h("span", { class: "message" }, summary || "—")),
  cell(t("alerts_fired_at"), h("time", { datetime: alert.fired_at }, dateTime(alert.fired_at))),
  cell(t("alerts_resolved_at"), alert.resolved_at
    ? h("time", { datetime: alert.resolved_at }, dateTime(alert.resolved_at)) : "—"),
  cell(t("alerts_deliveries"), deliveryList(alert.deliveries || [], names)),
  cell("", href ? h("a", { class: "alert-report", href }, t("alerts_report_link")) : null));
}

function stateFilter(chosen) {
  return h("nav", { class: "state-filter", "aria-label": t("alerts_filter") },
    h("ul", { class: "plain row" }, FILTERS.map((state) =>
      h("li", {}, h("a", {
        href: state === "all" ? HERE : `${HERE}?etat=${state}`,
        class: state === chosen ? "button" : "button secondary",
        "aria-current": state === chosen ? "page" : null,
        dataset: { state },
      }, t(`alerts_filter_${state}`))))));
}

function alertsSection(chosen, first, names) {
  const title = h("h2", { id: "alerts-title" }, t("alerts_section_alerts"));
  const head = [title, stateFilter(chosen)];
  const wrap = (...content) => h("section", { class: "card alerts-section", id: "alerts-list",
    "aria-labelledby": "alerts-title" }, ...head, ...content);
  if (first.error) return wrap(problem(first.error.message));
  const page = first.value;
  if (!page.alerts.length) return wrap(h("p", { id: "alerts-none" }, t("alerts_none")));
  const rows = page.alerts.map((a) => alertRow(a, names));
  const list = table(t("alerts_section_alerts"), [t("alerts_kind"), t("alerts_state"),
    t("connector"), t("alerts_summary"), t("alerts_fired_at"), t("alerts_resolved_at"),
    t("alerts_deliveries"), ""], rows, { id: "alerts" });
  const note = h("div", { "aria-live": "polite" });
  let cursor = page.next_cursor;
  const more = h("button", { type: "button", class: "secondary", id: "alerts-more",
    hidden: !cursor, onclick: async () => {
      more.disabled = true;
      try {
        const next = await get("/v1/alerts", query(chosen, cursor));
        list.querySelector("tbody").append(...next.alerts.map((a) => alertRow(a, names)));
        cursor = next.next_cursor;
        more.hidden = !cursor;
        note.replaceChildren();
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        note.replaceChildren(problem(error.message));
      } finally {
        more.disabled = false;
      }
    } }, t("alerts_more"));
  return wrap(list, h("div", { class: "pager" }, more), note);
}

function query(chosen, cursor) {
  const params = { limit: PAGE };
  if (chosen !== "all") params.state = chosen;
  if (cursor) params.cursor = cursor;
  return params;
}

// ---- Canaux -----------------------------------------------------------------------------

function target(channel) {
  if (channel.kind === "email") return (channel.emails || []).join(", ") || "—";
  if (!channel.url) return "—";
  // A Slack address is its own credential: its host only.
  if (channel.kind === "slack") {
    try {
      return new URL(channel.url).host;
    } catch {
      return "—";
    }
  }
  return channel.url;
}

function deliveryItem(d) {
  const facts = [word("delivery_purpose", d.purpose),
    `${colon(t("delivery_created"))}${dateTime(d.created_at)}`];
  if (d.delivered_at) facts.push(`${colon(t("delivery_delivered_at"))}${dateTime(d.delivered_at)}`);
  else if (d.next_attempt_at) {
    facts.push(`${colon(t("delivery_next_at"))}${dateTime(d.next_attempt_at)}`);
  }
  facts.push(`${colon(t("delivery_attempts"))}${number(d.attempts ?? 0)}`);
  return h("li", { class: "delivery", dataset: { state: d.state, purpose: d.purpose } },
    h("strong", {}, word("delivery_state", d.state)), ` — ${facts.join(" — ")}`,
    d.last_error ? h("p", { class: "delivery-error" },
      `${colon(t("delivery_last_error"))}${d.last_error}`) : null);
}

// The channel's deliveries, read each time it is opened.
function history(channel) {
  const body = h("div", { class: "channel-history-body" });
  const load = async () => {
    body.replaceChildren(h("p", { class: "muted" }, t("loading")));
    try {
      const answer = await get(channelPath(channel, "/deliveries"));
      body.replaceChildren(answer.deliveries.length
        ? h("ol", { class: "plain channel-deliveries" }, answer.deliveries.map(deliveryItem))
        : h("p", { class: "muted" }, t("channel_history_none")));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      body.replaceChildren(problem(error.message));
    }
  };
  const panel = h("details", { class: "group-details channel-history", ontoggle: (event) => {
    if (event.target.open) load();
  } }, h("summary", {}, t("channel_history")), body);
  panel.reload = () => (panel.open ? load() : null);
  return panel;
}

function channelRow(channel, member, rerender) {
  const panel = history(channel);
  const note = h("span", { class: "note channel-note", role: "status" });
  let controls = null;
  if (member) {
    const test = h("button", { type: "button", class: "secondary channel-test",
      onclick: async () => {
        test.disabled = true;
        note.replaceChildren();
        try {
          const sent = await post(channelPath(channel, "/test"));
          if (sent.state === "delivered") {
            note.replaceChildren(h("span", { class: "done" }, t("channel_test_sent")));
          } else {
            const why = sent.error || sent.detail;
            note.replaceChildren(h("span", { class: "problem" }, why
              ? t("channel_test_failed", { error: why }) : t("channel_test_failed_plain")));
          }
          panel.reload();
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          note.replaceChildren(h("span", { class: "problem" }, error.message));
        } finally {
          test.disabled = false;
        }
      } }, t("channel_test"));
    const dialog = confirmDialog(`delete-channel-${channel.id}`,
      t("channel_delete_title", { name: channel.name }), t("channel_delete_text"),
      t("channel_delete"), async () => {
        try {
          await del(channelPath(channel));
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          note.replaceChildren(h("span", { class: "problem" }, error.message));
          return;
        }
        await rerender();
        announce(t("channel_deleted", { name: channel.name }));
      });
    controls = h("div", { class: "row buttons channel-buttons" }, test,
      h("button", { type: "button", class: "danger channel-delete", onclick: () => dialog.ask() },
        t("channel_delete")), dialog);
  }
  return h("tr", { class: "channel", dataset: { channelId: channel.id, kind: channel.kind } },
    cell(t("channel_name"), h("span", { class: "channel-name" }, channel.name)),
    cell(t("channel_kind"), word("channel_kind", channel.kind)),
    cell(t("channel_target"), h("span", { class: "message" }, target(channel))),
    cell(t("created"), dateTime(channel.created_at)),
    cell("", controls, note, panel));
}

function secretBox(created) {
  return [
    h("h3", { tabindex: "-1", id: "channel-secret-title" },
      t("channel_secret_title", { name: created.name })),
    h("p", { class: "warning" }, t("channel_secret_once")),
    h("p", {}, h("code", { id: "channel-secret-value", class: "secret" }, created.secret)),
    copyButton(created.secret),
    h("p", { class: "muted", id: "channel-secret-recipe" }, t("channel_secret_recipe")),
  ];
}

function channelForm(rerender) {
  const form = fieldSet("channel");
  const outcome = h("div", { "aria-live": "polite" });
  const kind = h("select", { name: "kind" },
    CHANNEL_KINDS.map((k) => h("option", { value: k }, word("channel_kind", k))));
  const emails = form.control("emails", t("channel_emails"),
    h("input", { name: "emails", autocomplete: "off", maxlength: 2000 }), true);
  const url = form.control("url", t("channel_url"),
    h("input", { name: "url", type: "url", placeholder: "https://", autocomplete: "off",
      maxlength: 2048 }), true);
  const shown = () => {
    emails.hidden = kind.value !== "email";
    url.hidden = kind.value === "email";
  };
  kind.addEventListener("change", shown);
  shown();
  const submit = async (event) => {
    event.preventDefault();
    form.clear();
    outcome.replaceChildren();
    const data = new FormData(event.target);
    const chosen = String(data.get("kind"));
    const body = {
      kind: chosen,
      name: String(data.get("name")).trim(),
      emails: chosen === "email"
        ? String(data.get("emails")).split(",").map((e) => e.trim()).filter(Boolean) : [],
      url: chosen === "email" ? null : String(data.get("url")).trim() || null,
    };
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    let created;
    try {
      created = await post("/v1/alerts/channels", body);
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (!form.show(error)) outcome.replaceChildren(problem(error.message));
      return;
    }
    await rerender();
    announce(t("channel_added", { name: created.name }));
    // After the page is drawn again: a webhook's secret, once.
    const box = document.getElementById("channel-secret");
    if (created.secret && box) {
      box.replaceChildren(...secretBox(created));
      box.querySelector("h3").focus();
    }
  };
  return h("form", { id: "channel-form", class: "channel-form", onsubmit: submit,
    novalidate: true },
    h("h3", {}, t("channel_add")),
    h("div", { class: "row" },
      form.control("kind", t("channel_kind"), kind),
      form.control("name", t("channel_name"),
        h("input", { name: "name", required: true, maxlength: 200, autocomplete: "off" }))),
    emails, url,
    h("div", { class: "row buttons" },
      h("button", { type: "submit", class: "primary" }, t("channel_add_submit"))),
    outcome);
}

function channelsSection(answer, member, rerender) {
  const content = [h("h2", { id: "channels-title" }, t("alerts_section_channels")),
    h("p", { class: "muted" }, t("channels_intro"))];
  if (answer.error) content.push(problem(answer.error.message));
  else if (answer.value.channels.length) {
    content.push(table(t("alerts_section_channels"), [t("channel_name"), t("channel_kind"),
      t("channel_target"), t("created"), ""],
    answer.value.channels.map((c) => channelRow(c, member, rerender)), { id: "channels" }));
  } else content.push(h("p", { id: "channels-none" }, t("channels_none")));
  if (member) {
    content.push(h("div", { id: "channel-secret", class: "new-key", "aria-live": "polite" }),
      channelForm(rerender));
  }
  return h("section", { class: "card alerts-section", id: "alerts-channels",
    "aria-labelledby": "channels-title" }, content);
}

// ---- Règles -----------------------------------------------------------------------------

function numberInput(name, value, member) {
  const attrs = { type: "number", name, min: 0, step: DECIMAL.has(name) ? "any" : 1,
    value: value ?? "", disabled: !member, inputmode: DECIMAL.has(name) ? "decimal" : "numeric" };
  if (name === "hour") attrs.max = 23;
  return h("input", attrs);
}

function ruleCard(rule, channels, member) {
  const kind = rule.kind;
  const id = `rule-${kind.replaceAll("_", "-")}`;
  const form = fieldSet(id);
  const outcome = h("div", { "aria-live": "polite" });
  const name = word("rule_kind", kind);
  const enabled = h("input", { type: "checkbox", id: `${id}-enabled`, name: "enabled",
    checked: Boolean(rule.enabled), disabled: !member });
  form.fields.enabled = { element: enabled, error: h("p", { class: "field-error", hidden: true }) };
  const params = (PARAMS[kind] || []).map((param) =>
    form.control(param, t(`rule_${param}`), numberInput(param, rule[param], member)));
  const chosen = new Set(rule.channels || []);
  const boxes = channels.map((c, index) => h("label", { class: "inline",
    for: `${id}-channel-${index}` },
  h("input", { type: "checkbox", id: `${id}-channel-${index}`, value: c.id,
    checked: chosen.has(c.id), disabled: !member, class: "rule-channel" }), " ", c.name));
  const channelsError = h("p", { class: "field-error", id: `${id}-channels-error`, hidden: true });
  const channelBox = h("fieldset", { class: "checks rule-channels",
    "aria-describedby": `${id}-channels-error` },
  h("legend", {}, t("rule_channels")),
  boxes.length ? boxes : h("p", { class: "muted" }, t("rule_channels_none")), channelsError);
  form.fields.channels = { element: channelBox, error: channelsError };
  const submit = async (event) => {
    event.preventDefault();
    form.clear();
    outcome.replaceChildren();
    const { kind: _kind, ...body } = rule;
    body.enabled = enabled.checked;
    const ticked = [...channelBox.querySelectorAll("input.rule-channel:checked")]
      .map((box) => box.value);
    body.channels = ticked.length ? ticked : null;
    for (const param of PARAMS[kind] || []) {
      const value = form.fields[param].element.value.trim();
      body[param] = value === "" ? null : Number(value);
    }
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const saved = await put(`/v1/alerts/rules/${encodeURIComponent(kind)}`, body);
      Object.assign(rule, saved, { kind });
      outcome.replaceChildren(h("p", { class: "done", role: "status" },
        t("rule_saved", { name })));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (!form.show(error)) outcome.replaceChildren(problem(error.message));
    } finally {
      button.disabled = false;
    }
  };
  return h("form", { class: "card rule", id, dataset: { kind }, onsubmit: submit,
    novalidate: true, "aria-labelledby": `${id}-title` },
  h("h3", { id: `${id}-title` }, name),
  h("p", { class: "muted" }, word("rule_note", kind)),
  h("label", { class: "inline", for: enabled.id }, enabled, " ", t("rule_enabled")),
  params.length ? h("div", { class: "row" }, params) : null,
  channelBox,
  member ? h("div", { class: "row buttons" },
    h("button", { type: "submit", class: "primary" }, t("rule_save"))) : null,
  outcome);
}

function rulesSection(answer, channels, member) {
  const content = [h("h2", { id: "rules-title" }, t("alerts_section_rules")),
    h("p", { class: "muted" }, t("rules_intro"))];
  if (answer.error) content.push(problem(answer.error.message));
  else {
    const order = Object.keys(PARAMS);
    const rank = (kind) => (order.includes(kind) ? order.indexOf(kind) : order.length);
    const rules = [...answer.value.rules].sort((a, b) => rank(a.kind) - rank(b.kind));
    content.push(h("div", { class: "rules", id: "rules" },
      rules.map((rule) => ruleCard(rule, channels, member))));
  }
  return h("section", { class: "alerts-section", id: "alerts-rules",
    "aria-labelledby": "rules-title" }, content);
}

// ---- Réglages ---------------------------------------------------------------------------

function settingsSection(answer, member) {
  const content = [h("h2", { id: "settings-title" }, t("alerts_section_settings")),
    h("p", { class: "muted" }, t("settings_intro"))];
  if (answer.error) {
    content.push(problem(answer.error.message));
  } else {
    const settings = answer.value;
    const form = fieldSet("settings");
    const outcome = h("div", { "aria-live": "polite" });
    const input = (name, attrs) => h("input", { name, value: settings[name] ?? "",
      readonly: !member, ...attrs });
    const submit = async (event) => {
      event.preventDefault();
      form.clear();
      outcome.replaceChildren();
      const value = (name) => form.fields[name].element.value.trim();
      const body = {
        ...settings,
        quiet_start: value("quiet_start") || null,
        quiet_end: value("quiet_end") || null,
        timezone: value("timezone"),
        max_per_hour: value("max_per_hour") === "" ? null : Number(value("max_per_hour")),
      };
      const button = event.target.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        Object.assign(settings, await put("/v1/alerts/settings", body));
        outcome.replaceChildren(h("p", { class: "done", role: "status" }, t("settings_saved")));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (!form.show(error)) outcome.replaceChildren(problem(error.message));
      } finally {
        button.disabled = false;
      }
    };
    content.push(h("form", { class: "card", id: "settings-form", onsubmit: submit,
      novalidate: true },
    h("div", { class: "row" },
      form.control("quiet_start", t("settings_quiet_start"),
        input("quiet_start", { type: "time" })),
      form.control("quiet_end", t("settings_quiet_end"), input("quiet_end", { type: "time" }))),
    h("p", { class: "muted" }, t("settings_quiet_note")),
    h("div", { class: "row" },
      form.control("timezone", t("settings_timezone"), input("timezone", { maxlength: 64,
        autocomplete: "off", placeholder: "Europe/Paris" })),
      form.control("max_per_hour", t("settings_max_per_hour"),
        input("max_per_hour", { type: "number", min: 1, step: 1, inputmode: "numeric" }))),
    member ? h("div", { class: "row buttons" },
      h("button", { type: "submit", class: "primary" }, t("settings_save"))) : null,
    outcome));
  }
  return h("section", { class: "alerts-section", id: "alerts-settings",
    "aria-labelledby": "settings-title" }, content);
}

// ---- the page ---------------------------------------------------------------------------

// One section's answer, or the error it met: the other sections are drawn anyway. A 401 or a
// licence no longer held is the app's to handle.
function settle(promise) {
  return promise.then((value) => ({ value }), (error) => {
    if (!(error instanceof ApiError) || error.status === 401 || error.code === "no_licence") {
      throw error;
    }
    return { error };
  });
}

export async function render({ params, role, rerender }) {
  const member = allows(role, "member");
  const chosen = FILTERS.includes(params.get("etat")) ? params.get("etat") : "all";
  const [alerts, channels, rules, settings] = await Promise.all([
    settle(get("/v1/alerts", query(chosen))),
    settle(get("/v1/alerts/channels")),
    settle(get("/v1/alerts/rules")),
    settle(get("/v1/alerts/settings")),
  ]);
  const known = channels.value?.channels || [];
  const names = new Map(known.map((c) => [c.id, c.name]));
  return [
    pageHead(t("nav_alerts")),
    h("p", { class: "muted" }, t("alerts_intro")),
    member ? null : roleNote(role, "member", "alerts_readonly"),
    alertsSection(chosen, alerts, names),
    channelsSection(channels, member, rerender),
    rulesSection(rules, known, member),
    settingsSection(settings, member),
  ];
}
