"""Classify one line of a sync run: level, origin, remediation, error group. Pure, no I/O.

Cost: lines of a fleet repeat the same few hundred shapes with different numbers, so results
are cached by the message's *shape* (digit runs masked, HTTP statuses and zeros kept). Rules
and the template never depend on other number values, so every line of one shape classifies
alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.links import OWN_LINKS, KnowledgeLinks
from processors.catalog import Catalog, Rule
from processors.fingerprint import fingerprint, template
from schemas import Classification, ClassifiedEvent, Level, Origin, Remediation, SyncEvent
from schemas.actions import SuggestedAction
from schemas.text import fold

# Status words as connectors write them, folded (lower case, no accents).
_STATUS_LEVELS: dict[str, Level] = {
    **dict.fromkeys(
        (
            "ok", "success", "succes", "successful", "succeeded", "info", "information", "done",
            "termine", "reussi", "valide", "passed", "completed", "complete",
        ),
        Level.SUCCESS,
    ),
    **dict.fromkeys(
        ("warning", "warn", "alerte", "alert", "avertissement", "attention", "notice"),
        Level.ALERT,
    ),
    **dict.fromkeys(
        (
            "error", "erreur", "err", "fatal", "critical", "critique", "echec", "failed",
            "failure", "fail", "ko", "exception", "bloquant", "blocking",
        ),
        Level.ERROR,
    ),
}  # fmt: skip

_ERROR_HINTS = re.compile(
    r"\b(erreur|error|echec|echoue|failed|failure|impossible|fatal|exception|refuse|rejete|"
    r"rejected|timeout|interrompue?|annulee?|bloquee?|cannot|unable|could not)s?\b"
    r"|\w+exception\b|\bn'a pas pu\b|\bne peut pas\b|\bhttp [45]\d\d\b"
    r"|\b[45]\d\d (unauthorized|forbidden|not found|internal server error|bad gateway)"
)
# "0 erreur", "sans erreur", "no errors": a success that names errors.
_NO_ERRORS = re.compile(
    r"\b(0|zero|aucune?|sans|pas d'|no|without|none)\s+(erreurs?|errors?|echecs?|failures?)\b"
)
_ALERT_HINTS = re.compile(
    r"^\s*(attention|avertissement|warning|alerte|warn)\b|\b(tronquee?s?|truncated)\b"
    r"|\b(introuvables?|manquante?s?|not found|missing|ignoree?s? car|skipped because)\b"
)

# A run's summary counts what it did and what failed ("84 nouvelles commandes importées,
# 3 erreurs", "Sync run finished: 311 stock updates, 0 errors"). Each problem it counts is a
# line of its own, so the summary is at most an alert, and its level follows its counts, not
# the status the connector's logger gave it. `_COUNT` reaches a count's noun past at most
# three words ("3 commandes en erreur", "1 284 items updated").
_COUNT = r"\b\d+(?:[  ]\d{3})*\s+(?:[\w'-]+\s+){0,3}?"
_FAILED = (
    r"(?:erreurs?|errors?|echecs?|failures?|failed|en erreur|in error|rejetee?s?|rejected"
    r"|refusee?s?|non (?:importee?s?|exportee?s?|traitee?s?|envoyee?s?|mise?s? a jour)"
    r"|not (?:imported|exported|processed|sent|updated))\b"
)
_WARNED = r"(?:alertes?|warnings?|avertissements?)\b"
_DONE = (
    r"(?:nouvel(?:le)?s?|nouveaux?|new|importee?s?|imported|exportee?s?|exported|mise?s? a jour"
    r"|updated|updates|synchronisee?s?|synced|synchronized|creee?s?|created|publiee?s?"
    r"|published|integree?s?|integrated|envoyee?s?|sent|modifiee?s?|changed|modified"
    r"|verifiee?s?|checked|traitee?s?|processed)\b"
)
_NONE = r"(?:\b0+\s+(?:[\w'-]+\s+){0,3}?|\b(?:zero|aucune?|sans|no|none|without)\s+|\bpas d'\s*)"
_PROBLEMS = re.compile(
    rf"(?P<none>{_NONE}(?:{_FAILED}|{_WARNED}))"
    rf"|(?P<some>{_COUNT}(?:{_FAILED}|{_WARNED})"
    r"|\b(?:avec|with) (?:des |some )?(?:erreurs|errors)\b)"
    rf"|\b(?:{_FAILED}|{_WARNED})\s*[:=]\s*(?:(?P<zero>0+)|\d+)\b"
)
# What every summary that counts problems holds: a cheap test that spares other lines the
# counts' patterns, which try every digit.
_PROBLEM_WORDS = re.compile(r"erreur|error|echec|fail|rejet|refus|alert|warn|avertis|non |not ")
_DONE_COUNT = re.compile(
    rf"{_COUNT}(?<!non )(?<!not ){_DONE}|\b{_DONE}\s+(?:[\w'-]+\s+){{0,3}}?\d"
    r"|\b(?:terminee?|finished|completed|done|fin de|bilan|summary|recapitulatif)\b"
)

# When no rule matches: which system the message talks about.
_CMS_WORDS = re.compile(
    r"\b(prestashop|woocommerce|magento|shopify|wordpress|webservice|site|boutique|shop|api)\b"
)
_ERP_WORDS = re.compile(
    r"\b(sage|ebp|cegid|gestion commerciale|gescom|erp|odbc|sql server|tiers|dossier comptable)\b"
)

# The shape of a message: digit runs masked, except 4xx/5xx statuses, which change the meaning.
# A plain `\d+` with the exception decided per run is ~40 % cheaper than a pattern with
# lookarounds (which defeat the regex engine's scan for a first digit).
_DIGIT_RUNS = re.compile(r"\d+")


def _mask(run: re.Match[str]) -> str:
    digits = run[0]
    if len(digits) == 3 and digits[0] in "45":
        return digits
    # "0 erreur" is a success and "3 erreurs" not: a zero count is a shape of its own.
    return "0" if digits.strip("0") == "" else "#"


def shape(message: str) -> str:
    return _DIGIT_RUNS.sub(_mask, message)


_CACHE_LIMIT = 100_000

CLASSIFIED_CHARS = 2048
"""Classification reads a message's first 2 KiB: what decides its level, origin and rule is at
its start, and a connector posting megabytes of stack trace must cost no more per event than
any other (the rules' patterns scan the whole text they are given)."""

_NO_REMEDIATION = Remediation()
SUMMARY_RULE = "summary"
"""The rule id of a run's summary that counts problems (the catalog's `[summary]` next step)."""


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: Rule
    codes: frozenset[str]
    pattern: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    remediation: Remediation

    def matches(self, code: str, folded: str, operation: str, level: Level) -> bool:
        rule = self.rule
        if level not in rule.levels or (rule.operations and operation not in rule.operations):
            return False
        if code and code in self.codes:
            return True
        return (
            self.pattern is not None
            and self.pattern.search(folded) is not None
            and (self.unless is None or self.unless.search(folded) is None)
        )


def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def normalise_status(status: str | None) -> Level | None:
    """The level an explicit status names ("ERREUR", "Succès", "warning: ..."), or None."""
    if not status:
        return None
    folded = fold(status).strip()
    level = _STATUS_LEVELS.get(folded)
    if level is None and folded:
        level = _STATUS_LEVELS.get(re.split(r"[^a-z]+", folded, maxsplit=1)[0])
    return level


def summary_level(folded: str) -> Level | None:
    """The level of a run's summary, from its counts: an alert when it counts problems, a
    success when every count is zero, an error when the run itself failed ("interrompue",
    "failed after"); None for a line that is no summary."""
    if _PROBLEM_WORDS.search(folded) is None:
        return None
    some = none = False
    for found in _PROBLEMS.finditer(folded):
        if found["none"] or found["zero"]:
            none = True
        else:
            some = True
    if not (some or none) or _DONE_COUNT.search(folded) is None:
        return None
    if _ERROR_HINTS.search(_PROBLEMS.sub(" ", folded)):
        return Level.ERROR
    return Level.ALERT if some else Level.SUCCESS


def infer_level(code: str, folded: str) -> Level:
    """The level of a line whose connector gave no (known) status."""
    folded = _NO_ERRORS.sub("", folded)
    if _ERROR_HINTS.search(folded) or code.startswith(("ERR", "FATAL")):
        return Level.ERROR
    if _ALERT_HINTS.search(folded) or code.startswith("WARN"):
        return Level.ALERT
    return Level.SUCCESS


class Classifier:
    """One catalog, compiled: patterns combined per rule, remediations built once."""

    def __init__(self, catalog: Catalog, links: KnowledgeLinks = OWN_LINKS) -> None:
        """`links`: where the remediations' articles are (ERO's own /aide pages, relative,
        unless the deployment resolved them; see ero/deployment.py)."""
        self.catalog = catalog
        self.links = links
        ordered = sorted(catalog.rules, key=lambda rule: -rule.priority)
        self._rules = tuple(
            _CompiledRule(
                rule=rule,
                codes=frozenset(code.upper() for code in rule.codes),
                pattern=_any_of(rule.patterns),
                unless=_any_of(rule.unless),
                remediation=self._remediation(rule.kb, rule.hint_fr, rule.hint_en, rule.action),
            )
            for rule in ordered
        )
        self._fallbacks = {
            origin: self._remediation(f.kb, f.hint_fr, f.hint_en, f.action)
            for origin, f in catalog.fallbacks.items()
        }
        summary = catalog.summary or catalog.fallbacks[Origin.CONNECTOR]
        self._summary = self._remediation(
            summary.kb, summary.hint_fr, summary.hint_en, summary.action
        )
        self._cache: dict[tuple[str, str | None, str | None, str], Classification] = {}

    def _remediation(
        self, kb: str, hint_fr: str, hint_en: str, action: SuggestedAction | None
    ) -> Remediation:
        return Remediation(
            hint=hint_fr,
            hint_en=hint_en,
            url=self.links.url(kb),
            action=action,
        )

    def explain(
        self, operation: str, status: str | None, code: str | None, message: str
    ) -> Classification:
        message = message[:CLASSIFIED_CHARS]
        key = (operation, status, code, shape(message))
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            found = self._cache[key] = self._classify(operation, status, code, message)
        return found

    def classify(self, event: SyncEvent) -> ClassifiedEvent:
        found = self.explain(event.operation, event.status, event.code, event.message)
        # Every value is built here from validated parts: skip re-validating them.
        return ClassifiedEvent.model_construct(**event.__dict__, **found.fields())

    def _classify(
        self, operation: str, status: str | None, code: str | None, message: str
    ) -> Classification:
        folded = fold(message)
        code = (code or "").strip().upper()
        summary = summary_level(folded)
        level = summary or normalise_status(status) or infer_level(code, folded)
        if summary is Level.ALERT:
            origin, rule_id, remediation = Origin.CONNECTOR, SUMMARY_RULE, self._summary
        else:
            origin, rule_id, remediation = self._explain(code, folded, operation, level)
        message_template = template(message)
        return Classification(
            level=level,
            origin=origin,
            rule_id=rule_id,
            rule_version=self.catalog.version,
            remediation=remediation,
            template=message_template,
            fingerprint=fingerprint(operation, origin.value, message_template),
        )

    def _explain(
        self, code: str, folded: str, operation: str, level: Level
    ) -> tuple[Origin, str, Remediation]:
        if level is Level.SUCCESS:
            return Origin.CONNECTOR, "success", _NO_REMEDIATION
        for compiled in self._rules:
            if compiled.matches(code, folded, operation, level):
                return compiled.rule.origin, compiled.rule.id, compiled.remediation
        origin = self._origin_from_words(folded)
        return origin, f"fallback.{origin.value}", self._fallbacks[origin]

    @staticmethod
    def _origin_from_words(folded: str) -> Origin:
        if _ERP_WORDS.search(folded):
            return Origin.ERP
        if _CMS_WORDS.search(folded):
            return Origin.CMS
        return Origin.CONNECTOR
