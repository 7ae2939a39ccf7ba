from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from processors.catalog import load_catalog
from processors.classifier import Classifier, shape
from schemas import ClassifiedEvent, Level, Origin, SyncEvent

CLASSIFIER = Classifier(load_catalog())


def classify(
    message: str,
    status: str | None = None,
    code: str | None = None,
    operation: str = "order.import",
) -> ClassifiedEvent:
    return CLASSIFIER.classify(
        SyncEvent.model_validate(
            {
                "connector_id": "c",
                "occurred_at": "2026-11-28T10:00:00+01:00",
                "operation": operation,
                "message": message,
                "status": status,
                "code": code,
            }
        )
    )


def test_the_shared_corpus_is_classified_as_labelled(corpus_path: Path) -> None:
    for raw in corpus_path.read_text().splitlines():
        row = orjson.loads(raw)
        result = classify(row["message"], row["status"], row["code"], row["operation"])
        expected = row["expected"]
        got = (result.level.value, result.origin.value, result.remediation.action)
        assert got == (expected["level"], expected["origin"], expected["action"]), row["message"]


@pytest.mark.parametrize(
    ("status", "level"),
    [
        ("ok", Level.SUCCESS),
        ("OK", Level.SUCCESS),
        ("succès", Level.SUCCESS),
        ("info", Level.SUCCESS),
        ("warning", Level.ALERT),
        ("Alerte", Level.ALERT),
        ("avertissement", Level.ALERT),
        ("error", Level.ERROR),
        ("ERREUR", Level.ERROR),
        ("fatal", Level.ERROR),
    ],
)
def test_explicit_status_in_any_form_wins(status: str, level: Level) -> None:
    assert (
        classify(
            "Erreur : rien ne va" if level is not Level.ERROR else "tout va bien", status
        ).level
        is level
    )


@pytest.mark.parametrize(
    ("message", "level"),
    [
        ("Synchronisation terminée en 12 s", Level.SUCCESS),
        ("Erreur : connexion refusée", Level.ERROR),
        ("Unhandled exception in OrderSync", Level.ERROR),
        ("HTTP 503 returned by the shop", Level.ERROR),
        ("Attention : 3 produits sans prix", Level.ALERT),
        ("Warning: image missing for SKU-1", Level.ALERT),
    ],
)
def test_level_is_inferred_when_status_is_missing(message: str, level: Level) -> None:
    assert classify(message).level is level


@pytest.mark.parametrize(
    ("message", "origin"),
    [
        ("The WooCommerce webservice answered 500 Internal Server Error", Origin.CMS),
        ("Item SKU-9 not found in the ERP", Origin.ERP),
        ("Unhandled exception NullReferenceException", Origin.CONNECTOR),
        ("Le serveur Cegid ne répond pas", Origin.ERP),
    ],
)
def test_origin_generalises_to_new_wording(message: str, origin: Origin) -> None:
    assert classify(message, "error").origin is origin


def test_every_alert_or_error_gets_a_next_step_even_without_a_matching_rule() -> None:
    result = classify("Quelque chose d'inédit s'est produit", "error")
    assert result.rule_id == "fallback.connector"
    assert result.remediation.hint
    assert result.remediation.url
    assert classify("Commande importée", "ok").remediation.hint is None


def test_a_shape_masks_digit_runs_but_keeps_http_statuses() -> None:
    assert (
        shape("Commande 000146 : HTTP 404, stock 1450 (45)") == "Commande # : HTTP 404, stock # (#)"
    )
    assert shape("erreur 500 puis 5000 puis 4041") == "erreur 500 puis # puis #"
    assert shape("réf A450B") == "réf A450B"  # a 4xx/5xx-like run is kept wherever it stands
    assert shape("0 erreur, 00 alerte, 10 errors") == "0 erreur, 0 alerte, # errors"


def test_lines_of_one_shape_share_a_cached_classification_but_statuses_do_not() -> None:
    classifier = Classifier(load_catalog())
    first = classifier.explain("order.import", "error", None, "Commande 000146 : erreur HTTP 500")
    second = classifier.explain("order.import", "error", None, "Commande 998877 : erreur HTTP 500")
    assert second is first
    unauthorized = classifier.explain(
        "order.import", "error", None, "Commande 998877 : erreur HTTP 401 Unauthorized (clé API)"
    )
    assert unauthorized.rule_id == "cms.auth"
    assert first.rule_id == "cms.http_error"


@pytest.mark.parametrize(
    ("status", "message", "level"),
    [
        ("success", "Sync run finished in 9 s: 4 orders, 2 errors", Level.ALERT),
        ("error", "Import terminé : 12 commandes importées, 0 erreur", Level.SUCCESS),
        ("warning", "Stocks terminés : 846 articles mis à jour, sans erreur", Level.SUCCESS),
        (None, "Product export done: 10 products published, 1 warning", Level.ALERT),
        ("info", "Sync run failed after 3 s: 2 orders imported, 1 error", Level.ERROR),
        (None, "Commande 4471 non importée : 2 erreurs de validation", Level.ERROR),
        ("ok", "Stock sync summary: 512 updated, errors: 0", Level.SUCCESS),
    ],
)
def test_a_run_summary_is_as_its_counts_say_whatever_its_status(
    status: str | None, message: str, level: Level
) -> None:
    result = classify(message, status, operation="sync.run")
    assert result.level is level
    if level is Level.ALERT:
        assert result.rule_id == "summary"
        assert (result.remediation.hint, result.remediation.hint_en) == (
            CLASSIFIER.catalog.summary and CLASSIFIER.catalog.summary.hint_fr,
            CLASSIFIER.catalog.summary and CLASSIFIER.catalog.summary.hint_en,
        )


def test_a_zero_count_is_never_served_the_cached_answer_of_a_non_zero_one() -> None:
    classifier = Classifier(load_catalog())
    clean = classifier.explain("sync.run", "success", None, "Run finished: 4 orders, 0 errors")
    failed = classifier.explain("sync.run", "success", None, "Run finished: 4 orders, 3 errors")
    assert (clean.level, failed.level) == (Level.SUCCESS, Level.ALERT)


def test_every_rule_and_next_step_is_said_in_french_and_in_english() -> None:
    import tomllib

    from processors.catalog import DEFAULT_CATALOG

    data = tomllib.loads(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    said = [*data["rules"], *data["fallbacks"].values(), data["summary"]]
    for entry in said:
        assert entry.get("hint_fr", "").strip(), entry
        assert entry.get("hint_en", "").strip(), entry
        assert entry["hint_fr"] != entry["hint_en"], entry


def test_accuracy_on_the_labelled_corpora_meets_the_targets(corpus_path: Path) -> None:
    from processors.evaluation import BUNDLED_CORPORA, RULE, evaluate

    assert corpus_path in BUNDLED_CORPORA
    for path in BUNDLED_CORPORA:
        scores = evaluate(CLASSIFIER, str(path), path.read_bytes().splitlines())
        assert scores.lines > 30
        assert scores.accuracy("level") >= 0.97, scores.misses
        assert scores.accuracy("origin") >= 0.90, scores.misses
        assert scores.accuracy("action") >= 0.90, scores.misses
        assert not scores.ruled or scores.accuracy(RULE) >= 0.95, scores.misses
