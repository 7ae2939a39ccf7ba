from __future__ import annotations

import pytest

from processors.fingerprint import fingerprint, template


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "L'article 'TSHIRT-BL-M' est absent de la gestion commerciale : la commande 000146",
            "L'article 'KIT-04' est absent de la gestion commerciale : la commande WC-2291",
        ),
        (
            "Client en doublon détecté : l'adresse jean.dupont@example.fr correspond à 2 tiers",
            "Client en doublon détecté : l'adresse m.martin@shop.com correspond à 3 tiers",
        ),
        (
            "Écart de TVA de 0,02 EUR entre le site et la gestion commerciale sur la commande 151",
            "Écart de TVA de 12,50 € entre le site et la gestion commerciale sur la commande #8",
        ),
        (
            "Licence expirée le 2026-10-31, synchronisation désactivée",
            "Licence expirée le 2027-01-15, synchronisation désactivée",
        ),
        ("Stock mis à jour pour 1 284 articles", "Stock mis à jour pour 12 articles"),
        ("Taux de TVA 5,5 % introuvable", "Taux de TVA 20 % introuvable"),
    ],
)
def test_variable_parts_do_not_split_a_group(first: str, second: str) -> None:
    assert template(first) == template(second)
    assert fingerprint("order.import", "erp", template(first)) == fingerprint(
        "order.import", "erp", template(second)
    )


def test_different_problems_stay_apart() -> None:
    assert template("Erreur HTTP 500 du site") != template("Erreur HTTP 401 du site")
    base = template("Article absent")
    assert fingerprint("order.import", "erp", base) != fingerprint("stock.export", "erp", base)
    assert fingerprint("order.import", "erp", base) != fingerprint("order.import", "cms", base)


def test_fingerprint_is_an_unsigned_64_bit_integer_and_ignores_case() -> None:
    value = fingerprint("order.import", "erp", "Article absent")
    assert 0 <= value < 2**64
    assert value == fingerprint("order.import", "erp", "ARTICLE ABSENT")
