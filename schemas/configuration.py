"""A connector's cloud configuration: the JSON document it fetches at the start of each sync.

Every field carries its name and help for people, in French and English (`title_fr`,
`title_en`, `help_fr`, `help_en` in its JSON Schema), and a field that can destroy shop data
says what it does (`risk_fr`, `risk_en`) and at which value (`risk_when`): the web form, the
readable diff and the API read them from this one place.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.sync_event import Identifier

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def labelled(
    default: Any = ...,
    *,
    fr: str,
    en: str,
    help_fr: str,
    help_en: str,
    risk: tuple[str, str, bool] | None = None,
    choices: dict[str, tuple[str, str]] | None = None,
    **constraints: Any,
) -> Any:
    """A field with its words for people; `risk`: (what it does in French, in English, the
    value that does it); `choices`: an enum value's (French, English) name."""
    extra: dict[str, Any] = {"title_fr": fr, "title_en": en, "help_fr": help_fr, "help_en": help_en}
    if risk is not None:
        extra |= {"risk_fr": risk[0], "risk_en": risk[1], "risk_when": risk[2]}
    if choices is not None:
        extra |= {
            "choices_fr": {value: names[0] for value, names in choices.items()},
            "choices_en": {value: names[1] for value, names in choices.items()},
        }
    if callable(default):
        return Field(default_factory=default, json_schema_extra=extra, **constraints)
    return Field(default, json_schema_extra=extra, **constraints)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderSettings(_Section):
    enabled: bool = labelled(
        True,
        fr="Importer les commandes",
        en="Import orders",
        help_fr="Les commandes de la boutique sont créées dans l'ERP.",
        help_en="The shop's orders are created in the ERP.",
    )
    import_statuses: list[Annotated[str, StringConstraints(max_length=64)]] = labelled(
        list,
        fr="Statuts importés",
        en="Imported statuses",
        help_fr="Les statuts de commande de la boutique à importer, un par ligne (aucun : tous).",
        help_en="The shop's order statuses to import, one per line (none: all of them).",
        max_length=50,
    )
    lookback_days: int = labelled(
        7,
        fr="Jours repris",
        en="Days looked back",
        help_fr="Combien de jours de commandes chaque synchronisation relit (1 à 90).",
        help_en="How many days of orders each sync reads again (1 to 90).",
        ge=1,
        le=90,
    )


class ProductSettings(_Section):
    enabled: bool = labelled(
        True,
        fr="Synchroniser les produits",
        en="Sync products",
        help_fr="Les articles de l'ERP sont envoyés à la boutique.",
        help_en="The ERP's items are sent to the shop.",
    )
    stock: bool = labelled(
        True,
        fr="Stocks",
        en="Stock",
        help_fr="Les quantités en stock de l'ERP remplacent celles de la boutique.",
        help_en="The ERP's stock quantities replace the shop's.",
    )
    prices: bool = labelled(
        True,
        fr="Prix",
        en="Prices",
        help_fr="Les prix de vente de l'ERP remplacent ceux de la boutique.",
        help_en="The ERP's selling prices replace the shop's.",
    )
    price_grids: bool = labelled(
        False,
        fr="Grilles de prix",
        en="Price grids",
        help_fr="Les grilles de prix (tarifs par client ou par quantité) de l'ERP sont envoyées.",
        help_en="The ERP's price grids (prices per customer or per quantity) are sent.",
    )
    price_grid_cleanup: bool = labelled(
        False,
        fr="Nettoyer les grilles de prix",
        en="Clean the price grids",
        help_fr="Supprime de la boutique les grilles de prix que l'ERP n'a pas.",
        help_en="Deletes from the shop the price grids the ERP does not have.",
        risk=(
            "Le nettoyage supprime de la boutique, à chaque synchronisation, toute grille de "
            "prix absente de l'ERP ; une grille supprimée ne se récupère pas.",
            "Cleaning deletes from the shop, at every sync, any price grid the ERP does not "
            "have; a deleted grid cannot be recovered.",
            True,
        ),
    )


class CustomerSettings(_Section):
    enabled: bool = labelled(
        True,
        fr="Créer les clients",
        en="Create customers",
        help_fr="Les clients de la boutique sont créés dans l'ERP.",
        help_en="The shop's customers are created in the ERP.",
    )
    account_prefix: Annotated[str, StringConstraints(max_length=16)] = labelled(
        "",
        fr="Préfixe des comptes",
        en="Account prefix",
        help_fr="Ajouté devant le numéro de compte des clients créés (16 caractères au plus).",
        help_en="Put before the account number of the customers created (16 characters at most).",
    )


OptionKey = Annotated[str, StringConstraints(max_length=64)]
OptionValue = Annotated[str, StringConstraints(max_length=1024)] | int | bool


class ConnectorConfiguration(_Section):
    """Version 1 of the document; unknown fields are refused so a typo never passes silently."""

    erp: Literal["sage100", "sage50", "ebp", "cegid", "divalto", "other"] = labelled(
        fr="ERP",
        en="ERP",
        help_fr="Le logiciel de gestion auquel le connecteur se relie.",
        help_en="The management software the connector links to.",
        choices={
            "sage100": ("Sage 100", "Sage 100"),
            "sage50": ("Sage 50", "Sage 50"),
            "ebp": ("EBP", "EBP"),
            "cegid": ("Cegid", "Cegid"),
            "divalto": ("Divalto", "Divalto"),
            "other": ("Autre", "Other"),
        },
    )
    shop: Literal["prestashop", "woocommerce", "magento", "shopify", "other"] = labelled(
        fr="Boutique",
        en="Shop",
        help_fr="La solution de la boutique en ligne.",
        help_en="The online shop's platform.",
        choices={
            "prestashop": ("PrestaShop", "PrestaShop"),
            "woocommerce": ("WooCommerce", "WooCommerce"),
            "magento": ("Magento", "Magento"),
            "shopify": ("Shopify", "Shopify"),
            "other": ("Autre", "Other"),
        },
    )
    schedule_minutes: int = labelled(
        15,
        fr="Intervalle de synchronisation (minutes)",
        en="Sync interval (minutes)",
        help_fr="Le temps entre deux synchronisations, de 5 à 1440 minutes.",
        help_en="The time between two syncs, from 5 to 1440 minutes.",
        ge=5,
        le=1440,
    )
    safety_mode: bool = labelled(
        True,
        fr="Mode de sécurité",
        en="Safety mode",
        help_fr="Le connecteur refuse les changements massifs (suppressions, remises à zéro).",
        help_en="The connector refuses mass changes (deletions, resets to zero).",
        risk=(
            "Sans le mode de sécurité, le connecteur applique sans les retenir les changements "
            "massifs : suppressions de produits, stocks ou prix remis à zéro dans la boutique.",
            "Without the safety mode, the connector applies mass changes without holding them "
            "back: products deleted, stock or prices reset to zero in the shop.",
            False,
        ),
    )
    orders: OrderSettings = labelled(
        OrderSettings(),
        fr="Commandes",
        en="Orders",
        help_fr="Ce que le connecteur fait des commandes de la boutique.",
        help_en="What the connector does with the shop's orders.",
    )
    products: ProductSettings = labelled(
        ProductSettings(),
        fr="Produits",
        en="Products",
        help_fr="Ce que le connecteur envoie de l'ERP à la boutique.",
        help_en="What the connector sends from the ERP to the shop.",
    )
    customers: CustomerSettings = labelled(
        CustomerSettings(),
        fr="Clients",
        en="Customers",
        help_fr="Ce que le connecteur fait des clients de la boutique.",
        help_en="What the connector does with the shop's customers.",
    )
    options: dict[OptionKey, OptionValue] = labelled(
        dict,
        fr="Options avancées",
        en="Advanced options",
        help_fr="Réglages propres à votre installation, donnés par le support : un objet JSON "
        "(64 au plus).",
        help_en="Settings of your own installation, given by support: a JSON object (64 at most).",
        max_length=64,
    )


class ConfigurationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = labelled(
        fr="Nom",
        en="Name",
        help_fr="Pour reconnaître la configuration (200 caractères au plus).",
        help_en="To tell the configuration apart (200 characters at most).",
    )
    connector_id: Identifier | None = labelled(
        None,
        fr="Connecteur",
        en="Connector",
        help_fr="L'identifiant du connecteur (connector_id de ses rapports) qui charge cette "
        "configuration une fois activée ; vide : tout connecteur qui n'a pas la sienne.",
        help_en="The id of the connector (the connector_id of its reports) that loads this "
        "configuration once activated; empty: any connector that has none of its own.",
    )
    document: ConnectorConfiguration = labelled(
        fr="Réglages",
        en="Settings",
        help_fr="Le document que le connecteur charge.",
        help_en="The document the connector loads.",
    )
