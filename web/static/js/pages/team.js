// Équipe: who works in this licence, with which role. An owner invites by e-mail, changes a
// role, removes a member; the others see the list.

import { ApiError, del, get, post, put } from "../api.js";
import { announce, h } from "../dom.js";
import { t } from "../i18n.js";
import { allows } from "../session.js";
import { cell, confirmDialog, field, pageHead, problem, roleNote, table } from "../widgets.js";

export const ROLES = ["owner", "member", "viewer"];

function roleSelect(id, chosen, attrs = {}) {
  return h("select", { id, name: "role", ...attrs },
    ROLES.map((role) => h("option", { value: role, selected: role === chosen }, t(`role_${role}`))));
}

// A change, then the list drawn again; a refusal (the last owner, a role) stays on the page.
async function write(call, done, rerender) {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    document.getElementById("team-outcome")?.replaceChildren(problem(error.message));
    return;
  }
  await rerender();
  announce(done);
}

function row(member, { owner, me, rerender }) {
  const you = member.user_id === me.user.user_id;
  const who = member.name || member.email;
  const controls = [];
  if (owner) {
    const selectId = `role-${member.user_id}`;
    const select = roleSelect(selectId, member.role, { "aria-label": t("role_of", { name: who }) });
    controls.push(select, " ",
      h("button", { type: "button", class: "secondary", onclick: () => write(
        () => put(`/v1/team/${encodeURIComponent(member.user_id)}`, { role: select.value }),
        t("role_changed", { name: who, role: t(`role_${select.value}`) }), rerender) },
      t("change_role")), " ");
    const dialog = confirmDialog(`remove-${member.user_id}`, t("remove_title", { name: who }),
      t("remove_text"), t("remove_confirm"), () => write(
        () => del(`/v1/team/${encodeURIComponent(member.user_id)}`),
        t("removed", { name: who }), rerender));
    controls.push(h("button", { type: "button", class: "danger", onclick: () => dialog.ask() },
      t("remove")), dialog);
  }
  return h("tr", { dataset: { userId: member.user_id, role: member.role } },
    cell(t("name"), member.name || "—", you ? h("span", { class: "muted" }, ` (${t("you")})`) : null),
    cell(t("email"), member.email),
    cell(t("role"), h("span", { class: "role" }, t(`role_${member.role}`))),
    cell(t("added_by"), member.added_by || "—"),
    owner ? cell("", h("div", { class: "action-control" }, controls)) : null);
}

function inviteForm(rerender) {
  const outcome = h("div", { "aria-live": "polite" });
  const submit = async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const email = String(data.get("email")).trim();
    try {
      await post("/v1/team", { email, role: data.get("role") });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
      return;
    }
    announce(t("invited", { email }));
    await rerender();
  };
  return h("form", { class: "card", id: "invite", onsubmit: submit },
    h("h2", {}, t("invite")),
    h("p", { class: "muted" }, t("invite_intro")),
    h("div", { class: "row" },
      field("invite-email", t("email"), h("input", { id: "invite-email", name: "email",
        type: "email", required: true, autocomplete: "off", spellcheck: "false" })),
      field("invite-role", t("role"), roleSelect("invite-role", "member")),
      h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, t("invite_submit")))),
    outcome);
}

export async function render({ me, role, rerender }) {
  const owner = allows(role, "owner");
  const head = [pageHead(t("nav_team")), h("p", { class: "muted" }, t("team_intro"))];
  let members;
  try {
    members = await get("/v1/team");
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    return [...head, problem(error.message)];
  }
  const columns = [t("name"), t("email"), t("role"), t("added_by")];
  if (owner) columns.push("");
  return [
    ...head,
    owner ? null : roleNote(role, "owner", "team_readonly"),
    h("div", { id: "team-outcome", "aria-live": "assertive" }),
    table(t("nav_team"), columns, members.map((m) => row(m, { owner, me, rerender })),
      { id: "team" }),
    owner ? inviteForm(rerender) : null,
  ];
}
