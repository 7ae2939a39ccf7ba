"""What a refused line (or any refused field of an API call) is told, field by field: a stable
code for programs, English and French text for people.

A pydantic error names its own stable type (`missing`, `string_too_long`...): that is the code,
and this module gives its French text. Our own checks raise `line_error` with both texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticCustomError

# French for the errors a SyncEvent line or an API call can raise; `{name}` is filled from the
# error's context.
_FRENCH: Mapping[str, str] = {
    "missing": "champ obligatoire absent",
    "extra_forbidden": "champ inconnu du contrat de l’API",
    "string_type": "doit être une chaîne de caractères",
    "string_too_short": "doit contenir au moins {min_length} caractère(s)",
    "string_too_long": "doit contenir au plus {max_length} caractères",
    "uuid_parsing": "doit être un UUID",
    "uuid_type": "doit être un UUID",
    "datetime_parsing": "doit être une date RFC 3339",
    "datetime_from_date_parsing": "doit être une date RFC 3339",
    "datetime_type": "doit être une date RFC 3339",
    "timezone_aware": "la date doit porter son décalage horaire (ex. +01:00 ou Z)",
    "int_parsing": "doit être un entier",
    "int_type": "doit être un entier",
    "int_parsing_size": "entier trop grand",
    "int_from_float": "doit être un entier",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "dict_type": "doit être un objet JSON",
    "model_type": "la ligne doit être un objet JSON",
    "model_attributes_type": "la ligne doit être un objet JSON",
    "too_long": "au plus {max_length} éléments",
    "too_short": "au moins {min_length} élément(s)",
    "list_type": "doit être une liste JSON",
    "greater_than": "doit être supérieur à {gt}",
    "less_than": "doit être inférieur à {lt}",
    "float_parsing": "doit être un nombre",
    "float_type": "doit être un nombre",
    "finite_number": "doit être un nombre fini",
    "bool_parsing": "doit être vrai ou faux (true / false)",
    "bool_type": "doit être vrai ou faux (true / false)",
    "enum": "doit être l’une des valeurs : {expected}",
    "literal_error": "doit être l’une des valeurs : {expected}",
    "string_pattern_mismatch": "ne respecte pas le format attendu",
    "string_unicode": "doit être du texte Unicode",
    "date_parsing": "doit être une date AAAA-MM-JJ",
    "date_type": "doit être une date AAAA-MM-JJ",
    "url_parsing": "doit être une adresse web (URL)",
    "url_type": "doit être une adresse web (URL)",
    "url_scheme": "doit être une adresse web en http ou https",
    "json_invalid": "le corps n’est pas du JSON valide",
    "json_type": "doit être du JSON",
    "union_tag_invalid": "type inconnu ; attendu : {expected_tags}",
    "union_tag_not_found": "le champ {discriminator} manque",
    "too_many_errors": "d’autres erreurs ne sont pas montrées",
}
_FALLBACK = "valeur refusée"


def french(code: str, context: Mapping[str, Any] | None) -> str:
    """The French text of a pydantic error type (its own text is English)."""
    context = context or {}
    if "reason_fr" in context:
        return str(context["reason_fr"])
    template = _FRENCH.get(code, _FALLBACK)
    try:
        return template.format(**context)
    except (KeyError, IndexError, ValueError):
        return _FALLBACK


def line_error(code: str, english: str, french_text: str) -> PydanticCustomError:
    """An error raised by one of our validators, with its stable code and both texts."""
    return PydanticCustomError(code, english, {"reason_fr": french_text})
