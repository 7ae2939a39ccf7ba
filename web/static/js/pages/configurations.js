// Configurations: the list, one configuration's versions (who, when) and the diff of two.

import { get, post } from "../api.js";
import { announce, h } from "../dom.js";
import { dateTime, t } from "../i18n.js";
import { allows } from "../session.js";
import { cell, field, pageHead, roleNote, table } from "../widgets.js";

const here = (params) => `#/configurations?${params}`;
const json = (value) => (value === undefined || value === null ? "—" : JSON.stringify(value));

async function activate(configuration, rerender) {
  try {
    await post(`/v1/configurations/${encodeURIComponent(configuration.configuration_id)}/activate`);
    announce(t("activated", { name: configuration.name }));
  } catch (error) {
    announce(error.message, "problem");
  }
  await rerender();
}

function list(configurations, rerender, member) {
  if (!configurations.length) return h("p", {}, t("no_configurations"));
  return table(
    t("configurations_title"),
    [t("name"), t("version"), t("active"), t("updated"), ""],
    configurations.map((c) =>
      h("tr", { dataset: { configuration: c.configuration_id } },
        cell(t("name"), c.name),
        cell(t("version"), String(c.version)),
        cell(t("active"), c.active ? h("span", { class: "badge level-success" }, t("active")) : "—"),
        cell(t("updated"), `${dateTime(c.updated_at)} ${t("by")} ${c.updated_by}`),
        cell("", h("a", { class: "button secondary",
          href: here(new URLSearchParams({ id: c.configuration_id })) }, t("show_versions")),
        c.active || !member ? null : [" ", h("button", { type: "button",
          onclick: () => activate(c, rerender) }, t("activate"))])),
    ),
  );
}

function compareForm(id, versions, from, to) {
  const select = (name, label, chosen) =>
    field(`d-${name}`, label, h("select", { id: `d-${name}`, name },
      versions.map((v) => h("option", { value: v.version, selected: v.version === chosen },
        String(v.version)))));
  return h(
    "form",
    { class: "row", onsubmit: (event) => {
      event.preventDefault();
      const data = new FormData(event.target);
      location.hash = here(new URLSearchParams({ id, from: data.get("from"), to: data.get("to") }));
    } },
    select("from", t("from_version"), from),
    select("to", t("to_version"), to),
    h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, t("compare"))),
  );
}

async function versionsOf(params) {
  const id = params.get("id");
  const path = `/v1/configurations/${encodeURIComponent(id)}`;
  const versions = await get(`${path}/versions`);
  const latest = versions[versions.length - 1].version;
  const to = Number(params.get("to")) || latest;
  const from = Number(params.get("from")) || Math.max(1, to - 1);
  const diff = from !== to
    ? await get(`${path}/diff`, { from_version: from, to_version: to })
    : { changes: [] };
  return [
    h("h2", {}, t("versions_of", { name: versions[versions.length - 1].name })),
    table(t("versions_of", { name: id }), [t("version"), t("updated"), t("name")],
      versions.map((v) => h("tr", {},
        cell(t("version"), String(v.version), v.deleted ? ` (${t("deleted")})` : ""),
        cell(t("updated"), `${dateTime(v.updated_at)} ${t("by")} ${v.updated_by}`),
        cell(t("name"), v.name))), { id: "versions" }),
    compareForm(id, versions, from, to),
    diff.changes.length
      ? table(t("compare"), [t("path"), t("change"), t("before"), t("after")],
        diff.changes.map((c) => h("tr", { class: `change-${c.op}` },
          cell(t("path"), h("code", {}, c.path)),
          cell(t("change"), t(`op_${c.op}`)),
          cell(t("before"), h("code", {}, json(c.before))),
          cell(t("after"), h("code", {}, json(c.after))))), { id: "diff" })
      : h("p", {}, t("no_changes")),
  ];
}

export async function render({ params, rerender, role }) {
  const configurations = await get("/v1/configurations");
  const member = allows(role, "member");
  return [
    pageHead(t("configurations_title")),
    member ? null : roleNote(role, "member", "configurations_readonly"),
    list(configurations, rerender, member),
    params.get("id") ? await versionsOf(params) : null,
  ];
}
