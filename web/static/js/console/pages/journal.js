// Journal: what the vendor's operators did across the fleet (licences opened, suspended,
// accounts attached, notifications published, rejected lines replayed), newest first, each
// with who did it.

import { get } from "../../api.js";
import { h } from "../../dom.js";
import { dateTime, t } from "../../i18n.js";
import { cell, pageHead, table } from "../../widgets.js";
import { changeText, licenceLink } from "../common.js";

const EVERY_LICENCE = "*";

function row(entry) {
  return h("tr", { dataset: { kind: entry.kind } },
    cell(t("date"), dateTime(entry.issued_at)),
    cell(t("console_who"), h("span", { class: "actor" }, entry.actor)),
    cell(t("console_licence"), entry.licence_id === EVERY_LICENCE ? t("console_every_licence")
      : licenceLink(entry.licence_id, entry.licence_name)),
    cell(t("console_what"), changeText(entry)));
}

export async function render() {
  const journal = await get("/v1/admin/audit", { limit: 200 });
  return [
    pageHead(t("console_nav_journal")),
    h("p", { class: "muted" }, t("console_journal_intro")),
    journal.items.length
      ? table(t("console_nav_journal"), [t("date"), t("console_who"), t("console_licence"),
        t("console_what")], journal.items.map(row), { id: "journal" })
      : h("p", { class: "muted" }, t("console_no_audit")),
  ];
}
