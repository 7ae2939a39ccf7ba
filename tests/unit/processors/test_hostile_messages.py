"""Classification is linear in the message and bounded per event: the worst messages we know
(16 KiB of digits and separators, dashes, dots, `@`, quotes) take milliseconds, not seconds.
The bound is generous (the unbounded masks took 1 to 8 s here); `ero-bench classify` gives the
figures."""

from __future__ import annotations

import time

import pytest

from processors.catalog import load_catalog
from processors.classifier import CLASSIFIED_CHARS, Classifier, shape
from processors.fingerprint import TEMPLATED_CHARS, template
from processors.hostile import HOSTILE_CHARS, hostile_messages

BOUND_SECONDS = 0.25
HOSTILE = hostile_messages()


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_message_is_classified_within_the_bound(kind: str) -> None:
    message = HOSTILE[kind]
    assert len(message) == HOSTILE_CHARS
    classifier = Classifier(load_catalog())
    started = time.perf_counter()
    found = classifier.explain(f"op.{kind}", "erreur", None, message)  # a new shape: uncached
    assert time.perf_counter() - started < BOUND_SECONDS, kind
    assert found.template == template(message[:CLASSIFIED_CHARS])


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_every_mask_is_linear(kind: str) -> None:
    """Sixteen times the text, about sixteen times the work (a quadratic mask gives 256): timed
    on the masks alone, without the length cap, on a sixteenth and on the whole message. The
    ratio allowed is four times the linear one, so a loaded machine does not fail it, while the
    quadratic masks of before were sixteen times over it."""
    from processors.fingerprint import _MASKS

    def masks(text: str) -> float:
        started = time.perf_counter()
        for pattern, mask in _MASKS:
            pattern.sub(mask, text)
        return time.perf_counter() - started

    message = HOSTILE[kind]
    part = min(masks(message[: HOSTILE_CHARS // 16]) for _ in range(5))
    whole = min(masks(message) for _ in range(5))
    assert whole < 64 * part + 0.005, f"{kind}: {part * 1000:.2f} -> {whole * 1000:.2f} ms"


def test_only_the_start_of_a_long_message_is_read() -> None:
    head = "Article TSHIRT-BL-M absent de la gestion commerciale "
    long = head + "x" * 100_000
    classifier = Classifier(load_catalog())
    assert classifier.explain("order.import", "erreur", None, long) == classifier.explain(
        "order.import", "erreur", None, long[:CLASSIFIED_CHARS]
    )
    assert template(long) == template(long[:TEMPLATED_CHARS])
    assert shape(long[:CLASSIFIED_CHARS]) != shape(long)
