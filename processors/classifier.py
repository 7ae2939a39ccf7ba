"""Classify one SyncEvent: level, origin, remediation. Pure and fast: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

from processors.catalog import Catalog, Rule
from processors.fingerprint import fingerprint, template
from schemas import ClassifiedEvent, Level, Origin, Remediation, SyncEvent
from schemas.remote_actions import RemoteAction
from schemas.text import fold

# Status words as connectors write them, folded (lower case, no accents).
_STATUS_LEVELS: dict[str, Level] = {
    **dict.fromkeys(
        (
            "ok",
            "success",
            "succes",
            "successful",
            "info",
            "information",
            "done",
            "termine",
            "reussi",
            "valide",
        ),
        Level.SUCCESS,
    ),
    **dict.fromkeys(
        ("warning", "warn", "alerte", "alert", "avertissement", "attention", "notice"),
        Level.ALERT,
    ),
    **dict.fromkeys(
        (
            "error",
            "erreur",
            "err",
            "fatal",
            "critical",
            "critique",
            "echec",
            "failed",
            "failure",
            "ko",
            "exception",
        ),
        Level.ERROR,
    ),
}

_ERROR_HINTS = re.compile(
    r"\b(erreur|error|echec|failed|failure|impossible|fatal|exception|refuse|timeout)\b"
    r"|\bhttp [45]\d\d\b|\b[45]\d\d (unauthorized|forbidden|not found|internal server error)"
)
_ALERT_HINTS = re.compile(
    r"^\s*(attention|avertissement|warning|alerte)\b|\b(ignore|tronque)e?s?\b"
)

_NO_REMEDIATION = Remediation()

# Fallback origin when no rule matches: which system the message talks about.
_CMS_WORDS = re.compile(
    r"\b(prestashop|woocommerce|magento|shopify|wordpress|webservice|site|boutique|shop|api)\b"
)
_ERP_WORDS = re.compile(
    r"\b(sage|ebp|cegid|gestion commerciale|erp|odbc|sql server|tiers|dossier comptable)\b"
)


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: Rule
    codes: frozenset[str]
    pattern: re.Pattern[str] | None
    remediation: Remediation

    def matches(self, code: str, folded: str, operation: str, level: Level) -> bool:
        rule = self.rule
        if level not in rule.levels or (rule.operations and operation not in rule.operations):
            return False
        if code and code in self.codes:
            return True
        return self.pattern is not None and self.pattern.search(folded) is not None


def normalise_status(status: str | None) -> Level | None:
    """The level an explicit status names, or None when it is missing or unknown."""
    if not status:
        return None
    return _STATUS_LEVELS.get(fold(status).strip())


def infer_level(code: str, folded: str) -> Level:
    if _ERROR_HINTS.search(folded) or code.upper().startswith(("ERR", "FATAL")):
        return Level.ERROR
    if _ALERT_HINTS.search(folded) or code.upper().startswith("WARN"):
        return Level.ALERT
    return Level.SUCCESS


class Classifier:
    """One catalog, compiled: patterns combined per rule, remediations built once."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        ordered = sorted(catalog.rules, key=lambda rule: -rule.priority)
        self._rules = tuple(
            _CompiledRule(
                rule=rule,
                codes=frozenset(code.upper() for code in rule.codes),
                pattern=re.compile("|".join(f"(?:{p})" for p in rule.patterns))
                if rule.patterns
                else None,
                remediation=self._remediation(rule.kb, rule.hint_fr, rule.hint_en, rule.action),
            )
            for rule in ordered
        )
        self._fallbacks = {
            origin: self._remediation(f.kb, f.hint_fr, f.hint_en, f.action)
            for origin, f in catalog.fallbacks.items()
        }

    def _remediation(
        self, kb: str, hint_fr: str, hint_en: str, action: RemoteAction | None
    ) -> Remediation:
        return Remediation(
            hint=hint_fr,
            hint_en=hint_en,
            url=self.catalog.kb_url(kb),
            action=action.value if action else None,
        )

    def classify(self, event: SyncEvent) -> ClassifiedEvent:
        folded = fold(event.message)
        code = (event.code or "").strip().upper()
        level = normalise_status(event.status) or infer_level(code, folded)
        origin, rule_id, remediation = self._explain(code, folded, event.operation, level)
        message_template = template(event.message)
        # Every value is built here from validated parts: skip re-validating them.
        return ClassifiedEvent.model_construct(
            **event.__dict__,
            level=level,
            origin=origin,
            remediation=remediation,
            rule_id=rule_id,
            rule_version=self.catalog.version,
            template=message_template,
            fingerprint=fingerprint(event.operation, origin.value, message_template),
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
