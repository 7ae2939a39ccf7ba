"""A connector's cloud configuration: the JSON document it fetches at the start of each sync."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderSettings(_Section):
    enabled: bool = True
    import_statuses: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=50, description="Shop order statuses to import."
    )
    lookback_days: int = Field(7, ge=1, le=90)


class ProductSettings(_Section):
    enabled: bool = True
    stock: bool = True
    prices: bool = True
    price_grids: bool = False


class CustomerSettings(_Section):
    enabled: bool = True
    account_prefix: Annotated[str, StringConstraints(max_length=16)] = ""


class ConnectorConfiguration(_Section):
    """Version 1 of the document; unknown fields are refused so a typo never passes silently."""

    erp: Literal["sage100", "sage50", "ebp", "cegid", "divalto", "other"]
    shop: Literal["prestashop", "woocommerce", "magento", "shopify", "other"]
    schedule_minutes: int = Field(15, ge=5, le=1440)
    safety_mode: bool = True
    orders: OrderSettings = OrderSettings()
    products: ProductSettings = ProductSettings()
    customers: CustomerSettings = CustomerSettings()
    options: dict[
        Annotated[str, StringConstraints(max_length=64)],
        Annotated[str, StringConstraints(max_length=1024)] | int | bool,
    ] = Field(default_factory=dict, max_length=64)


class ConfigurationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    document: ConnectorConfiguration
