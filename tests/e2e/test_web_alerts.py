"""« Surveillance » in a real headless Chromium against the suite's pipeline: a member adds a
webhook channel pointing at a real HTTP receiver, is shown its secret once, sends it a test (the
receiver gets one POST, signed with that secret) and reads it in the channel's history; a member
changes the error-spike threshold and the API reads it back (a refused value shown beside its
field), then the quiet hours, time zone and cap; an alert fired by a new error is listed with
its delivery, filtered, in English, and opens its report; a viewer reads every section without
a write control. Each licence and channel is the test's own: the suite's pipeline is shared."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.support import browser as web
from tests.support.accounts import person, session_client
from tests.support.browser import visit
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import HookReceiver, SmtpServer

pytestmark = pytest.mark.pipeline


def _tag() -> str:
    return uuid.uuid4().hex[:6]


def _signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The ERO-Signature header as the page tells a receiver to check it:
    t=<timestamp>,v1=<HMAC-SHA256 hex of "t.body">, keyed with the secret shown."""
    header = {k.lower(): v for k, v in headers.items()}["ero-signature"]
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def test_a_member_adds_a_webhook_channel_sees_its_secret_and_sends_it_a_test(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence(f"boutique de la surveillance {_tag()}")
    member = person(pipeline, smtp_server, licence.licence_id, role="member")
    name = f"Webhook atelier {_tag()}"
    with HookReceiver().running() as receiver:
        url = f"{receiver.url}/alertes-{_tag()}"
        web.sign_in(page, pipeline.url, member.email, member.password)
        page.get_by_role("navigation").get_by_role("link", name="Surveillance").click()
        expect(page.locator("main[data-page='surveillance']")).to_be_visible()
        for title in ("Alertes", "Canaux", "Règles", "Réglages"):
            expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()

        form = page.locator("#channel-form")
        form.get_by_label("Type de canal").select_option("webhook")
        expect(form.get_by_label("Adresse (URL)")).to_be_visible()
        expect(form.get_by_label("Adresses e-mail (séparées par des virgules)")).to_be_hidden()
        form.get_by_label("Nom", exact=True).fill(name)
        form.get_by_label("Adresse (URL)").fill(url)
        form.get_by_role("button", name="Ajouter").click()

        # The secret, once, with what to do with it.
        secret = page.locator("#channel-secret-value")
        expect(secret).to_be_visible()
        shown = secret.inner_text().strip()
        assert len(shown) >= 16
        expect(page.locator("#channel-secret")).to_contain_text("ERO-Signature")
        expect(page.locator("#channel-secret")).to_contain_text("conservez-le")
        row = page.locator("#channels tr.channel", has_text=name)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Webhook")
        expect(row).to_contain_text(url)
        with session_client(pipeline, member, licence.licence_id) as api:
            listed = api.get("/v1/alerts/channels").json()["channels"]
        mine = [c for c in listed if c["name"] == name]
        assert len(mine) == 1, listed
        assert mine[0]["kind"] == "webhook"
        assert mine[0]["url"] == url
        assert mine[0]["secret"] is None  # only the creation's answer carries it
        web.shot_both_widths(page, "alerts-channel-secret")

        row.get_by_role("button", name="Envoyer un test").click()
        expect(row.locator(".channel-note")).to_have_text("Test envoyé")
        wait_until(lambda: len(receiver.requests) == 1, timeout=30)
        path, headers, body = receiver.requests[0]
        assert path == url.removeprefix(receiver.url)
        assert _signed(shown, headers, body), headers

        row.get_by_text("Historique", exact=True).click()
        delivery = row.locator(".channel-deliveries li.delivery")
        expect(delivery).to_have_count(1)
        expect(delivery).to_have_attribute("data-purpose", "test")
        expect(delivery).to_have_attribute("data-state", "delivered")
        expect(delivery).to_contain_text("Envoyé")

        # In English, the same page says it in English.
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", name="Channels", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Send a test")).to_have_count(1)
        web.shot_both_widths(page, "alerts-member-en")
    assert len(receiver.requests) == 1


def test_a_member_changes_the_error_spike_threshold_and_the_api_reads_it_back(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence(f"boutique des règles {_tag()}")
    member = person(pipeline, smtp_server, licence.licence_id, role="member")
    with session_client(pipeline, member, licence.licence_id) as api:
        before = {r["kind"]: r for r in api.get("/v1/alerts/rules").json()["rules"]}
    wanted = int(before["error_spike"]["threshold"] or 0) + 7

    web.sign_in(page, pipeline.url, member.email, member.password)
    visit(page, "surveillance")
    card = page.locator("form.rule[data-kind='error_spike']")
    expect(card.get_by_role("heading")).to_have_text("Pic d'erreurs")
    # Only the fields its kind uses.
    for label in ("Seuil (erreurs)", "Multiple du rythme habituel (×)", "Fenêtre (minutes)"):
        expect(card.get_by_label(label)).to_be_visible()
    expect(card.get_by_label("Bloquée depuis (heures)")).to_have_count(0)
    expect(page.locator("form.rule[data-kind='new_group'] input[type=number]")).to_have_count(0)

    threshold = card.get_by_label("Seuil (erreurs)")
    # A value the API refuses is said beside its field.
    threshold.fill("-5")
    card.get_by_role("button", name="Enregistrer").click()
    expect(threshold).to_have_attribute("aria-invalid", "true")
    expect(card.locator(".field-error:visible")).to_have_count(1)

    threshold.fill(str(wanted))
    card.get_by_role("button", name="Enregistrer").click()
    expect(card.locator(".done")).to_have_text("Règle « Pic d'erreurs » enregistrée.")
    expect(threshold).not_to_have_attribute("aria-invalid", "true")
    with session_client(pipeline, member, licence.licence_id) as api:
        after = {r["kind"]: r for r in api.get("/v1/alerts/rules").json()["rules"]}
    assert after["error_spike"]["threshold"] == wanted
    # The rest of the rule went back as it was.
    for key, value in before["error_spike"].items():
        if key != "threshold":
            assert after["error_spike"][key] == value, key
    assert after["stuck_order"] == before["stuck_order"]

    # Read again by the page itself.
    visit(page, "tableau-de-bord")
    visit(page, "surveillance")
    expect(
        page.locator("form.rule[data-kind='error_spike']").get_by_label("Seuil (erreurs)")
    ).to_have_value(str(wanted))
    web.shot_both_widths(page, "alerts-rules")

    # The settings: an unknown time zone refused beside its field, then quiet hours saved.
    settings = page.locator("#settings-form")
    settings.get_by_label("Fuseau horaire").fill("Mars/Olympe")
    settings.get_by_role("button", name="Enregistrer les réglages").click()
    expect(settings.get_by_label("Fuseau horaire")).to_have_attribute("aria-invalid", "true")
    expect(settings.locator(".field-error:visible")).to_have_count(1)
    settings.get_by_label("Fuseau horaire").fill("Europe/Brussels")
    settings.get_by_label("Début des heures calmes").fill("22:00")
    settings.get_by_label("Fin des heures calmes").fill("07:30")
    settings.get_by_label("Messages au plus par heure et par canal").fill("4")
    settings.get_by_role("button", name="Enregistrer les réglages").click()
    expect(settings.locator(".done")).to_have_text("Réglages enregistrés.")
    with session_client(pipeline, member, licence.licence_id) as api:
        saved = api.get("/v1/alerts/settings").json()
    assert saved["timezone"] == "Europe/Brussels"
    assert saved["quiet_start"].startswith("22:00")
    assert saved["quiet_end"].startswith("07:30")
    assert saved["max_per_hour"] == 4
    visit(page, "tableau-de-bord")
    visit(page, "surveillance")
    expect(settings.get_by_label("Début des heures calmes")).to_have_value(saved["quiet_start"])


def test_a_viewer_reads_the_page_without_write_controls(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence(f"boutique en lecture {_tag()}")
    member = person(pipeline, smtp_server, licence.licence_id, role="member")
    viewer = person(pipeline, smtp_server, licence.licence_id, role="viewer")
    name = f"Équipe logistique {_tag()}"
    with session_client(pipeline, member, licence.licence_id) as api:
        made = api.post(
            "/v1/alerts/channels",
            json={
                "kind": "email",
                "name": name,
                "emails": ["logistique@boutique.example"],
                "url": None,
            },
        )
        assert made.status_code == 201, made.text

    web.sign_in(page, pipeline.url, viewer.email, viewer.password)
    visit(page, "surveillance")
    expect(page.locator("#role-note")).to_contain_text("lecteur")
    row = page.locator("#channels tr.channel", has_text=name)
    expect(row).to_contain_text("logistique@boutique.example")
    # Everything read, nothing offered.
    main = page.locator("main")
    expect(main.locator("#channel-form")).to_have_count(0)
    for button in (
        "Envoyer un test",
        "Supprimer",
        "Enregistrer",
        "Enregistrer les réglages",
        "Ajouter",
    ):
        expect(main.get_by_role("button", name=button, exact=True)).to_have_count(0)
    expect(page.locator("form.rule")).to_have_count(5)
    expect(page.locator("form.rule input:not([disabled])")).to_have_count(0)
    expect(page.locator("#settings-form input:not([readonly])")).to_have_count(0)
    # The history stays readable.
    row.get_by_text("Historique", exact=True).click()
    expect(row.locator(".channel-history-body")).to_contain_text(
        "Rien n'a encore été envoyé à ce canal."
    )
    web.shot_both_widths(page, "alerts-viewer")


def test_the_alerts_raised_are_listed_with_their_deliveries_and_open_their_report(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence(f"boutique alertée {_tag()}")
    member = person(pipeline, smtp_server, licence.licence_id, role="member")
    tag = _tag()
    with HookReceiver().running() as receiver:
        url = f"{receiver.url}/alertes-{tag}"
        with session_client(pipeline, member, licence.licence_id) as api:
            made = api.post(
                "/v1/alerts/channels",
                json={"kind": "webhook", "name": f"ERP {tag}", "emails": [], "url": url},
            )
            assert made.status_code == 201, made.text
            with pipeline.client(licence.connector_key) as connector:
                line = sync_line(
                    connector_id="boutique-alertes",
                    status="erreur",
                    reference=f"CMD-{tag}",
                    message=f"Article REF-{tag} absent de la gestion commerciale",
                )
                assert connector.post("/v1/events", json=[line]).status_code == 202
            alerts = wait_until(
                lambda: (
                    a
                    if (a := api.get("/v1/alerts").json()["alerts"])
                    and all(d["state"] == "delivered" for d in a[0]["deliveries"])
                    and a[0]["deliveries"]
                    else None
                ),
                timeout=60,
            )
        assert [a["kind"] for a in alerts] == ["new_group"]

        web.sign_in(page, pipeline.url, member.email, member.password)
        visit(page, "surveillance")
        row = page.locator("#alerts tbody tr.alert")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Nouveau groupe d'erreurs")
        expect(row.locator(".alert-state")).to_have_text("En cours")
        expect(row).to_contain_text("boutique-alertes")
        expect(row).to_contain_text(alerts[0]["summary_fr"])
        expect(row.locator(".alert-deliveries li")).to_have_text(f"ERP {tag} : Envoyé")
        expect(page.locator("#alerts-more")).to_be_hidden()
        web.shot_both_widths(page, "alerts-list")

        # The filter: none resolved yet.
        page.locator("#alerts-list").get_by_role("link", name="Résolues").click()
        expect(page.locator("#alerts-none")).to_have_text("Aucune alerte.")
        page.locator("#alerts-list").get_by_role("link", name="En cours").click()
        expect(row).to_have_count(1)

        # In English, its English summary.
        page.get_by_role("button", name="English").click()
        expect(row).to_contain_text(alerts[0]["summary_en"])
        expect(row).to_contain_text("New error group")

        row.get_by_role("link", name="See the report").click()
        expect(page.locator("main[data-page='rapports']")).to_be_visible()
        expect(page.locator("tr.report")).to_have_count(1)
        expect(page.locator("tr.report")).to_contain_text(f"REF-{tag}")
