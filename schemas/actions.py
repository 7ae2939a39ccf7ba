"""Remote actions a connector runs at its next sync: names, labels and parameters, as data.

The classifier's remediation `action` names (processors/rules.toml) are these names plus
`reset_pc_key`, which is not queued but done by the merchant (POST /v1/pc-key/reset).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, Field


class ActionName(StrEnum):
    REIMPORT_ORDER = "reimport_order"
    CLEAR_CACHE = "clear_cache"
    DIAGNOSE_MISSING_PRODUCTS = "diagnose_missing_products"
    DIAGNOSE_VAT = "diagnose_vat"
    DIAGNOSE_DUPLICATE_CUSTOMERS_SIMPLE = "diagnose_duplicate_customers_simple"
    DIAGNOSE_DUPLICATE_CUSTOMERS_FULL = "diagnose_duplicate_customers_full"
    DIAGNOSE_PRICE_GRIDS = "diagnose_price_grids"
    CLEAN_PRICE_GRIDS = "clean_price_grids"
    DISABLE_SAFETY_MODE = "disable_safety_mode"


RESET_PC_KEY: Final = "reset_pc_key"

SUGGESTIBLE: Final = frozenset({*ActionName, RESET_PC_KEY})


def _suggestible(name: str) -> str:
    if name not in SUGGESTIBLE:
        raise ValueError(f"unknown action {name!r}; known: {', '.join(sorted(SUGGESTIBLE))}")
    return name


# What a remediation may suggest: a remote action to queue, or resetting the PC key.
SuggestedAction = Annotated[str, AfterValidator(_suggestible)]


@dataclass(frozen=True)
class ActionSpec:
    label_fr: str
    label_en: str
    needs_order_reference: bool = False


ACTIONS: dict[ActionName, ActionSpec] = {
    ActionName.REIMPORT_ORDER: ActionSpec(
        "Réimporter une commande", "Reimport an order", needs_order_reference=True
    ),
    ActionName.CLEAR_CACHE: ActionSpec(
        "Effacer le cache E-Connecteur", "Clear the connector cache"
    ),
    ActionName.DIAGNOSE_MISSING_PRODUCTS: ActionSpec(
        "Effectuer un diagnostic Produits absents", "Diagnose missing products"
    ),
    ActionName.DIAGNOSE_VAT: ActionSpec("Effectuer un diagnostic TVA", "Diagnose VAT settings"),
    ActionName.DIAGNOSE_DUPLICATE_CUSTOMERS_SIMPLE: ActionSpec(
        "Effectuer un diagnostic Clients en double (simple)",
        "Diagnose duplicate customers (quick)",
    ),
    ActionName.DIAGNOSE_DUPLICATE_CUSTOMERS_FULL: ActionSpec(
        "Effectuer un diagnostic Clients en double (complet)",
        "Diagnose duplicate customers (full)",
    ),
    ActionName.DIAGNOSE_PRICE_GRIDS: ActionSpec(
        "Effectuer un diagnostic Grilles tarifaires", "Diagnose price grids"
    ),
    ActionName.CLEAN_PRICE_GRIDS: ActionSpec(
        "Nettoyer les grilles tarifaires", "Clean price grids"
    ),
    ActionName.DISABLE_SAFETY_MODE: ActionSpec(
        "Désactiver le mode sécurité", "Disable the safety mode"
    ),
}


RESET_PC_KEY_SPEC: Final = ActionSpec("Réinitialiser la clé PC", "Reset the PC key")


class Suggestion(BaseModel):
    """A remediation's action, as a page offers it: a button with its label in both languages."""

    action: str = Field(description="the remediation's `action`")
    label_fr: str
    label_en: str
    queued: bool = Field(
        description="true: a remote action to queue (POST /v1/actions), the connector runs it "
        "at its next sync; false: `reset_pc_key`, done at once by an owner "
        "(POST /v1/pc-key/reset)"
    )
    needs_order_reference: bool = Field(
        description="the queued action needs `order_reference` (the order to reimport)"
    )


def suggestion(name: str | None) -> Suggestion | None:
    """The button of a remediation's `action` (None: nothing to suggest, or a name this version
    does not know, as an old stored row may hold)."""
    if name == RESET_PC_KEY:
        spec, queued = RESET_PC_KEY_SPEC, False
    elif name in ACTIONS:
        spec, queued = ACTIONS[ActionName(name)], True
    else:
        return None
    return Suggestion(
        action=name,
        label_fr=spec.label_fr,
        label_en=spec.label_en,
        queued=queued,
        needs_order_reference=spec.needs_order_reference,
    )
