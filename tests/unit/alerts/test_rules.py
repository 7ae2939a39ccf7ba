"""The rules as pure functions: a connector's rhythm, how long it may be silent, and which
conditions hold for a licence given what was observed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.conditions import Group, StuckOrder
from alerts.rules import MIN_RUNS, Condition, Observed, Rhythm, holding, rhythm, silence_allowed
from alerts.store import LicenceAlerting
from schemas.alerts import ChannelDoc, RuleDoc

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
LICENCE = "lic-1"
CHANNEL = ChannelDoc(
    channel_id="ch-1", kind="email", name="Ops", emails=["ops@example.com"], created_at=NOW
)


def minutes(m: int) -> timedelta:
    return timedelta(minutes=m)


def config(*rules: RuleDoc) -> LicenceAlerting:
    return LicenceAlerting(LICENCE, (CHANNEL,), {r.kind: r for r in rules})


def group(
    first: timedelta,
    last: timedelta,
    *,
    licence: str = LICENCE,
    connectors: tuple[str, ...] = ("c1",),
) -> Group:
    """A group (fingerprint 1) first and last seen `first` and `last` before NOW."""
    return Group(licence, 1, NOW - first, NOW - last, 5, "import_order", "boom", connectors)


def kinds(conditions: list[Condition]) -> list[str]:
    return [c.kind for c in conditions]


# rhythm


def test_rhythm_counts_runs_from_active_minutes_and_takes_the_median_interval() -> None:
    # Runs start at 0, 10, 40 and 60 (0-2 and 40-41 are one run each): intervals 10, 30, 20.
    at = [NOW + minutes(m) for m in (0, 1, 2, 10, 40, 41, 60)]
    assert rhythm(at, at[-1]) == Rhythm(at[-1], minutes(20))


def test_rhythm_is_not_trusted_below_min_runs() -> None:
    # Contiguous minutes are a single run: MIN_RUNS - 1 runs however many minutes.
    at = [NOW + minutes(30 * run + m) for run in range(MIN_RUNS - 1) for m in range(5)]
    assert rhythm(at, NOW) == Rhythm(NOW, None)


# silence_allowed


def test_a_fixed_period_gets_its_grace_whatever_the_rhythm() -> None:
    assert silence_allowed(60, 10, 3.0, 30, minutes(500)) == minutes(70)


def test_a_learned_rhythm_is_multiplied_by_the_factor() -> None:
    assert silence_allowed(None, 10, 3.0, 30, minutes(20)) == minutes(60)


def test_a_learned_rhythm_never_allows_less_than_the_floor() -> None:
    assert silence_allowed(None, 10, 3.0, 30, minutes(5)) == minutes(30)


def test_no_silence_is_judged_without_a_rhythm() -> None:
    assert silence_allowed(None, 10, 3.0, 30, None) is None


# holding: new groups and regressions


def test_a_group_first_seen_within_the_hour_is_new() -> None:
    [condition] = holding(config(), Observed(groups=[group(minutes(10), minutes(1))]), NOW)
    assert condition.kind == "new_group"
    assert condition.key == "new_group||1"
    assert condition.started_at == NOW - minutes(10)
    assert condition.connector_id == "c1"
    assert not condition.repeats


def test_an_older_group_is_not_new_unless_its_key_is_already_firing() -> None:
    observed = Observed(groups=[group(timedelta(hours=2), minutes(1))])
    assert holding(config(), observed, NOW) == []
    assert kinds(holding(config(), observed, NOW, firing={"new_group||1"})) == ["new_group"]


def test_a_group_quiet_for_the_last_hour_holds_nothing_even_if_firing() -> None:
    observed = Observed(groups=[group(timedelta(hours=3), timedelta(hours=2))])
    assert holding(config(), observed, NOW, firing={"new_group||1"}) == []


def test_a_group_on_several_connectors_names_none() -> None:
    observed = Observed(groups=[group(minutes(10), minutes(1), connectors=("c1", "c2"))])
    assert [c.connector_id for c in holding(config(), observed, NOW)] == [None]


def test_another_licences_group_is_ignored() -> None:
    observed = Observed(groups=[group(minutes(10), minutes(1), licence="lic-2")])
    assert holding(config(), observed, NOW) == []


def test_a_resolved_group_with_a_later_event_is_a_regression() -> None:
    resolved_at = NOW - minutes(30)
    observed = Observed(
        groups=[group(timedelta(days=3), minutes(5))],
        resolved_groups={(LICENCE, 1): resolved_at},
    )
    [condition] = holding(config(), observed, NOW)
    assert (condition.kind, condition.key) == ("regression", "regression||1")
    assert condition.started_at == resolved_at


def test_a_resolved_group_without_a_later_event_is_no_regression() -> None:
    observed = Observed(
        groups=[group(timedelta(days=3), minutes(40))],
        resolved_groups={(LICENCE, 1): NOW - minutes(30)},
    )
    assert holding(config(), observed, NOW) == []


# holding: error spikes (defaults: threshold 20, multiple 3, window 15 min)

SPIKE = RuleDoc(kind="error_spike", threshold=20, multiple=3.0, window_minutes=15)
USUAL_10_PER_WINDOW = 10 * 4 * 24 * 7  # 10 errors per 15 min over 7 days


@pytest.mark.parametrize(
    ("errors", "usual_7d", "fires"),
    [
        (19, 0, False),  # below the threshold
        (20, 0, True),  # at the threshold, nothing usual
        (29, USUAL_10_PER_WINDOW, False),  # above the threshold, below 3 x the usual 10
        (30, USUAL_10_PER_WINDOW, True),  # 3 x the usual 10
    ],
)
def test_a_spike_needs_the_threshold_and_the_multiple_of_the_usual_rate(
    errors: int, usual_7d: int, fires: bool
) -> None:
    observed = Observed(errors={(LICENCE, "c1"): errors}, usual_errors={(LICENCE, "c1"): usual_7d})
    conditions = holding(config(SPIKE), observed, NOW)
    assert kinds(conditions) == (["error_spike"] if fires else [])
    assert all(c.connector_id == "c1" and c.started_at == NOW for c in conditions)


# holding: silent connectors (defaults: factor 3, floor 30 min, grace 10 min)


@pytest.mark.parametrize(
    ("rule", "median", "silent_for", "fires"),
    [
        (RuleDoc(kind="silent_connector"), minutes(20), minutes(60), False),
        (RuleDoc(kind="silent_connector"), minutes(20), minutes(61), True),
        (RuleDoc(kind="silent_connector"), minutes(5), minutes(29), False),  # the floor
        (RuleDoc(kind="silent_connector"), minutes(5), minutes(31), True),
        (RuleDoc(kind="silent_connector"), None, timedelta(days=6), False),
        (RuleDoc(kind="silent_connector", fixed_minutes=120), None, minutes(130), False),
        (RuleDoc(kind="silent_connector", fixed_minutes=120), None, minutes(131), True),
    ],
)
def test_a_connector_is_silent_only_past_its_allowed_silence(
    rule: RuleDoc, median: timedelta | None, silent_for: timedelta, fires: bool
) -> None:
    observed = Observed(rhythms={(LICENCE, "c1"): Rhythm(NOW - silent_for, median)})
    conditions = holding(config(rule), observed, NOW)
    assert kinds(conditions) == (["silent_connector"] if fires else [])
    assert all(c.started_at == NOW - silent_for for c in conditions)


# holding: stuck orders (default: 4 hours)


@pytest.mark.parametrize(
    ("failing_for", "fires"),
    [(timedelta(hours=4) - minutes(1), False), (timedelta(hours=4), True)],
)
def test_an_order_is_stuck_only_after_the_rules_hours(failing_for: timedelta, fires: bool) -> None:
    order = StuckOrder(LICENCE, "c1", "CMD-42", NOW - failing_for, "stock refused")
    conditions = holding(config(RuleDoc(kind="stuck_order", hours=4)), Observed(stuck=[order]), NOW)
    assert [(c.kind, c.key) for c in conditions] == (
        [("stuck_order", "stuck_order|c1|CMD-42")] if fires else []
    )


# holding: disabled rules


EVERYTHING = Observed(
    groups=[group(minutes(10), minutes(1))],
    errors={(LICENCE, "c1"): 1000},
    rhythms={(LICENCE, "c2"): Rhythm(NOW - timedelta(days=1), minutes(5))},
    stuck=[StuckOrder(LICENCE, "c1", "CMD-42", NOW - timedelta(days=1), "stock refused")],
)


def test_every_rule_holds_on_what_was_observed() -> None:
    assert sorted(kinds(holding(config(), EVERYTHING, NOW))) == [
        "error_spike",
        "new_group",
        "silent_connector",
        "stuck_order",
    ]


def test_disabled_rules_yield_nothing() -> None:
    off = [
        RuleDoc(kind=k, enabled=False)
        for k in ("new_group", "error_spike", "silent_connector", "stuck_order")
    ]
    assert holding(config(*off), EVERYTHING, NOW) == []
    assert kinds(holding(config(off[0]), EVERYTHING, NOW, firing={"new_group||1"})) == [
        "error_spike",
        "silent_connector",
        "stuck_order",
    ]
