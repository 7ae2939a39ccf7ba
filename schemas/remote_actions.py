"""The remote actions a connector can run at its next sync: the names shared by every stage."""

from __future__ import annotations

from enum import StrEnum


class RemoteAction(StrEnum):
    REIMPORT_ORDER = "reimport_order"
    CLEAR_CACHE = "clear_cache"
    DIAGNOSE_MISSING_PRODUCTS = "diagnose_missing_products"
    DIAGNOSE_VAT = "diagnose_vat"
    DIAGNOSE_DUPLICATE_CUSTOMERS_SIMPLE = "diagnose_duplicate_customers_simple"
    DIAGNOSE_DUPLICATE_CUSTOMERS_FULL = "diagnose_duplicate_customers_full"
    DIAGNOSE_PRICE_GRIDS = "diagnose_price_grids"
    CLEAN_PRICE_GRIDS = "clean_price_grids"
    DISABLE_SAFETY_MODE = "disable_safety_mode"
    RESET_PC_KEY = "reset_pc_key"
