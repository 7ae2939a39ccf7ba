"""Remote actions a connector runs at its next sync: names, labels and parameters, as data.

The classifier's remediation `action` names (processors/rules.toml) are these names plus
`reset_pc_key`, which is not queued but done by the merchant (POST /v1/pc-key/reset).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Final

from pydantic import AfterValidator


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
