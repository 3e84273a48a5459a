"""Tests of the pure strength model (no database): behaviour, equivalence of its three forms,
bad input, reconnect advice, and the evaluation on real data."""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geflecht.network.strength import (
    CHANNELS,
    KINDS,
    Evidence,
    InvalidInteraction,
    PairState,
    StrengthParams,
    assess_reconnect,
    bulk_strengths,
    compute_strength,
    days_since_epoch,
    reconnect_candidates,
    state_strength,
    strength_label,
    update_state,
    validate_evidence,
    validate_interaction,
)

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
P = StrengthParams()


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def value(evidence, **kwargs) -> float:
    return compute_strength(evidence, now=NOW, **kwargs).value


# --- the model's behaviour -------------------------------------------------------------------


def test_channel_ordering_meeting_video_phone_email_large_event():
    one = [
        value([Evidence(ago(7), "meeting")]),
        value([Evidence(ago(7), "video")]),
        value([Evidence(ago(7), "phone")]),
        value([Evidence(ago(7), "email")]),
        value([Evidence(ago(7), "event", group_size=300)]),
    ]
    assert one == sorted(one, reverse=True)
    assert len(set(one)) == len(one)


def test_two_person_meeting_counts_far_more_than_a_trade_fair_reception():
    two = value([Evidence(ago(7), "meeting")])
    five = value([Evidence(ago(7), "meeting", group_size=5)])
    fair = value([Evidence(ago(7), "event", group_size=300)])
    assert two > five > fair
    # Far more: the evidence above the documented minimum strength, ten times.
    assert two - P.min_strength > 10 * (fair - P.min_strength)


def test_evidence_halves_after_one_half_life():
    fresh = compute_strength([Evidence(ago(0), "phone")], now=NOW).inputs.decayed_evidence
    old = compute_strength([Evidence(ago(P.half_life_days), "phone")], now=NOW)
    assert old.inputs.decayed_evidence == pytest.approx(fresh / 2)
    assert value([Evidence(ago(400), "meeting")]) < value([Evidence(ago(10), "meeting")])


def test_a_known_long_meeting_counts_more_than_a_short_call():
    long = value([Evidence(ago(3), "phone", duration_minutes=90)])
    unknown = value([Evidence(ago(3), "phone")])
    short = value([Evidence(ago(3), "phone", duration_minutes=2)])
    assert long > unknown > short


def test_repetition_has_diminishing_returns():
    values = [value([Evidence(ago(5), "meeting")] * n) for n in range(1, 12)]
    gains = np.diff(values)
    assert np.all(gains > 0)
    assert np.all(np.diff(gains) < 0)
    assert values[-1] < 1.0


def test_reciprocity_raises_strength():
    one_way = [Evidence(ago(5), "email", initiator="a"), Evidence(ago(4), "email", initiator="a")]
    both = [Evidence(ago(5), "email", initiator="a"), Evidence(ago(4), "email", initiator="b")]
    assert value(both) > value(one_way)
    assert compute_strength(both, now=NOW).inputs.reciprocity == "both_ways"
    assert compute_strength(one_way, now=NOW).inputs.reciprocity == "one_way"


def test_one_way_mass_mailings_create_no_tie():
    flagged = [Evidence(ago(d), "email", initiator="a", is_bulk=True) for d in range(30)]
    big_list = [Evidence(ago(d), "email", group_size=400, initiator="a") for d in range(30)]
    assert value(flagged) == P.min_strength
    assert value(big_list) == P.min_strength
    result = compute_strength(big_list, now=NOW)
    assert result.inputs.bulk_ignored == 30
    assert "30 mass mailings ignored" in result.explain()
    reply = Evidence(ago(1), "email", initiator="b")
    assert value([*big_list, reply]) == value([reply])


def test_rating_wins_over_weak_evidence():
    weak = [Evidence(ago(300), "email", initiator="a")]
    assert value(weak, rating=5) == pytest.approx(P.rating_values[4], abs=0.02)
    assert value(weak, rating=1) == pytest.approx(P.rating_values[0], abs=0.02)
    strong = [Evidence(ago(d), "meeting") for d in range(5, 60, 5)]
    assert value(strong, rating=1) > value(weak, rating=1) + 0.3  # strong evidence has a say
    assert value(strong, rating=1) < value(strong)


def test_kinds_set_a_floor():
    assert value([], kind="family") >= P.kind_floors["family"]
    assert value([], kind="former_colleague") >= P.kind_floors["former_colleague"]
    lots = [Evidence(ago(d), "meeting") for d in range(1, 30)]
    assert value(lots, kind="family") == value(lots)  # a floor, not a bonus
    assert compute_strength([], now=NOW, kind="family").inputs.kind_floor_applied


def test_nothing_known_gives_the_documented_minimum():
    result = compute_strength([], now=NOW)
    assert result.value == P.min_strength > 0
    assert result.label == "weak"


def test_labels_are_stable_codes():
    assert [strength_label(v) for v in (0.05, 0.4, 0.82, 0.95)] == [
        "weak",
        "medium",
        "strong",
        "very_strong",
    ]


def _issue_example():
    evidence = [Evidence(ago(21 + 60 * i), "meeting") for i in range(5)]
    evidence += [
        Evidence(ago(25 + 28 * i), "phone", duration_minutes=20, initiator="ab"[i % 2])
        for i in range(12)
    ]
    evidence += [Evidence(ago(500), "email", initiator="a")]
    evidence += [Evidence(ago(30 + i), "email", initiator="ab"[i % 2]) for i in range(4)]
    return compute_strength(evidence, now=NOW, rating=4)


def test_explanation_names_counts_last_meeting_reciprocity_and_rating():
    text = _issue_example().explain()
    assert text.startswith(("strong (0.", "very strong (0."))
    assert "5 in-person meetings, 12 calls and 4 e-mails in the last 12 months" in text
    assert "last met 3 weeks ago" in text
    assert "both ways" in text
    assert text.endswith("your own rating: 4/5")


def test_explanation_in_german():
    text = _issue_example().explain("de")
    assert "(0," in text
    assert "5 persönliche Treffen, 12 Telefonate und 4 E-Mails in den letzten 12 Monaten" in text
    assert "zuletzt getroffen vor 3 Wochen" in text
    assert text.endswith("eigene Bewertung: 4/5")
    with pytest.raises(ValueError, match="language"):
        _issue_example().explain("fr")


def test_explanation_of_an_e_mail_only_pair_says_answered_both_ways():
    mails = [Evidence(ago(10 + i), "email", initiator="ab"[i % 2]) for i in range(4)]
    text = compute_strength(mails, now=NOW).explain()
    assert "4 e-mails in the last 12 months" in text
    assert "e-mails answered both ways" in text


def test_result_reports_its_parameters_and_inputs():
    result = _issue_example()
    record = result.as_dict()
    assert record["params"]["half_life_days"] == P.half_life_days
    assert record["inputs"]["counts_total"] == {"meeting": 5, "phone": 12, "email": 5}
    assert record["inputs"]["rating"] == 4
    assert record["inputs"]["last_meeting"] == ago(21).isoformat()


# --- parameters ------------------------------------------------------------------------------


def test_params_can_be_overridden_and_round_trip():
    params = StrengthParams.from_mapping(
        {"half_life_days": 30, "channel_weights": {"email": 0.1}, "kind_floors": {"friend": 0.4}}
    )
    assert params.half_life_days == 30.0
    assert params.channel_weights["email"] == 0.1
    assert params.channel_weights["meeting"] == P.channel_weights["meeting"]
    assert params.kind_floors["friend"] == 0.4
    assert StrengthParams.from_mapping(params.as_dict()) == params
    assert StrengthParams.from_mapping(None) == P


@pytest.mark.parametrize(
    ("override", "name"),
    [
        ({"half_life": 30}, "half_life"),
        ({"half_life_days": 0}, "half_life_days"),
        ({"half_life_days": "ninety"}, "half_life_days"),
        ({"channel_weights": {"fax": 1.0}}, "fax"),
        ({"channel_weights": {"email": -1}}, "channel_weights.email"),
        ({"kind_floors": {"family": 2}}, "kind_floors.family"),
        ({"rating_values": [0.1, 0.2]}, "rating_values"),
        ({"bulk_threshold": 2.5}, "bulk_threshold"),
        ({"min_strength": 0}, "min_strength"),
    ],
)
def test_bad_params_name_the_key(override, name):
    with pytest.raises(ValueError, match=name):
        StrengthParams.from_mapping(override)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        (Evidence(ago(1), "meeting", group_size=1), "at least two participants"),
        (Evidence(ago(1), "meeting", group_size=0), "at least two participants"),
        (Evidence(NOW + timedelta(days=2), "meeting"), "in the future"),
        (Evidence(ago(1), "fax"), "unknown channel 'fax'"),
        (Evidence(datetime(2026, 1, 1), "meeting"), "no time zone"),
        (Evidence(ago(1), "email", initiator="c"), "unknown initiator"),
        (Evidence(ago(1), "phone", duration_minutes=-5), "duration"),
    ],
)
def test_invalid_interactions_are_rejected_and_change_nothing(evidence, message):
    with pytest.raises(InvalidInteraction, match=message):
        validate_evidence(evidence, now=NOW)
    good = [Evidence(ago(3), "meeting")]
    with pytest.raises(InvalidInteraction):
        compute_strength([*good, evidence], now=NOW)
    state = update_state(PairState(), good[0], now=NOW)
    with pytest.raises(InvalidInteraction):
        update_state(state, evidence, now=NOW)
    assert state_strength(state, now=NOW) == pytest.approx(value(good))


def test_validate_interaction_for_the_django_action():
    with pytest.raises(InvalidInteraction, match="got 1"):
        validate_interaction(occurred_at=ago(1), channel="email", participants=1, now=NOW)
    validate_interaction(
        occurred_at=NOW + timedelta(minutes=1), channel="email", participants=2, now=NOW
    )


def test_bulk_rejects_invalid_rows():
    args = dict(
        pair_index=[0],
        occurred_at_days=[days_since_epoch(ago(1))],
        channel_code=[0],
        group_size=[2],
        duration=[np.nan],
        initiator=[0],
        now_days=days_since_epoch(NOW),
        n_pairs=1,
    )
    assert bulk_strengths(**args)[0] == pytest.approx(value([Evidence(ago(1), "meeting")]))
    for key, bad, message in [
        ("group_size", [1], "participants"),
        ("channel_code", [len(CHANNELS)], "channel"),
        ("occurred_at_days", [days_since_epoch(NOW) + 1], "future"),
    ]:
        with pytest.raises(InvalidInteraction, match=message):
            bulk_strengths(**{**args, key: bad})


# --- the three forms agree -------------------------------------------------------------------

evidence_st = st.builds(
    Evidence,
    occurred_at=st.floats(min_value=0, max_value=1500).map(ago),
    channel=st.sampled_from(CHANNELS),
    group_size=st.one_of(st.just(2), st.integers(min_value=2, max_value=400)),
    duration_minutes=st.one_of(st.none(), st.floats(min_value=0, max_value=600)),
    initiator=st.sampled_from(["a", "b", None]),
    is_bulk=st.sampled_from([False, False, False, True]),
)
rating_st = st.one_of(st.none(), st.integers(min_value=1, max_value=5))
kind_st = st.one_of(st.none(), st.sampled_from(KINDS))


@settings(max_examples=150, deadline=None)
@given(st.lists(evidence_st, max_size=40), rating_st, kind_st, st.randoms())
def test_incremental_equals_from_scratch_in_any_order(evidence, rating, kind, rnd):
    order = list(evidence)
    rnd.shuffle(order)
    state = PairState()
    for ev in order:
        state = update_state(state, ev, P, now=NOW)
    later = NOW + timedelta(days=10)
    for when in (NOW, later):
        expected = compute_strength(evidence, now=when, rating=rating, kind=kind).value
        got = state_strength(state, now=when, rating=rating, kind=kind)
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert 0 < got <= 1


@settings(max_examples=100, deadline=None)
@given(st.lists(evidence_st, max_size=40), rating_st, kind_st)
def test_strength_is_always_in_the_unit_interval(evidence, rating, kind):
    result = compute_strength(evidence, now=NOW, rating=rating, kind=kind)
    assert 0 < result.value <= 1
    assert result.explain() and result.explain("de")


def test_bulk_equals_per_pair_on_random_data():
    rng = np.random.default_rng(7)
    n_pairs, m = 60, 3000
    pair = rng.integers(0, n_pairs, m)
    now_days = days_since_epoch(NOW)
    t = now_days - rng.exponential(200, m)
    channel = rng.integers(0, len(CHANNELS), m)
    group = np.where(rng.random(m) < 0.6, 2, rng.integers(2, 500, m))
    duration = np.where(rng.random(m) < 0.5, np.nan, rng.uniform(0, 240, m))
    initiator = rng.integers(0, 3, m)
    flagged = rng.random(m) < 0.05
    ratings = rng.integers(0, 6, n_pairs)
    kinds = rng.integers(-1, len(KINDS), n_pairs)
    params = StrengthParams.from_mapping({"half_life_days": 120, "group_exponent": 0.4})
    got = bulk_strengths(
        pair, t, channel, group, duration, initiator, now_days, n_pairs, params,
        is_bulk=flagged, ratings=ratings, kinds=kinds,
    )  # fmt: skip
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for p in range(n_pairs):
        rows = np.flatnonzero(pair == p)
        evidence = [
            Evidence(
                occurred_at=epoch + timedelta(days=float(t[i])),
                channel=CHANNELS[channel[i]],
                group_size=int(group[i]),
                duration_minutes=None if np.isnan(duration[i]) else float(duration[i]),
                initiator=(None, "a", "b")[initiator[i]],
                is_bulk=bool(flagged[i]),
            )
            for i in rows
        ]
        expected = compute_strength(
            evidence,
            now=NOW,
            rating=int(ratings[p]) or None,
            kind=KINDS[kinds[p]] if kinds[p] >= 0 else None,
            params=params,
        ).value
        assert got[p] == pytest.approx(expected, rel=1e-9), p
    assert np.all((got > 0) & (got <= 1))


# --- reconnect -------------------------------------------------------------------------------


def _rhythm(every: float, last: float, n: int = 10):
    return [Evidence(ago(last + every * i), "phone", initiator="a") for i in range(n)]


def test_important_contact_silent_for_eight_usual_gaps_needs_reconnect():
    history = [*_rhythm(14, 200), Evidence(ago(250), "meeting")]
    advice = assess_reconnect(history, strength_then=0.7, strength_now=0.4, importance="A", now=NOW)
    assert advice is not None and advice.reason == "silent"
    assert advice.usual_gap_days == 14
    assert advice.silence_days == pytest.approx(200)
    assert advice.last_meeting == ago(250)
    assert advice.next_step == "meet"


def test_contact_within_its_rhythm_needs_nothing():
    assert (
        assess_reconnect(
            _rhythm(14, 20), strength_then=0.7, strength_now=0.65, importance="A", now=NOW
        )
        is None
    )
    # Unimportant and never strong: no advice even when silent.
    assert (
        assess_reconnect(
            _rhythm(14, 400), strength_then=0.2, strength_now=0.05, importance="C", now=NOW
        )
        is None
    )


def test_strength_fallen_by_the_configured_share_is_declined():
    history = [*_rhythm(60, 10, n=3), Evidence(ago(30), "meeting")]
    advice = assess_reconnect(
        history, strength_then=0.8, strength_now=0.3, importance=None, now=NOW
    )
    assert advice is not None and advice.reason == "declined"
    assert advice.decline_share == pytest.approx(0.625)
    assert advice.next_step == "call"  # met a month ago
    strict = StrengthParams.from_mapping({"reconnect_decline_share": 0.7})
    assert (
        assess_reconnect(
            history, strength_then=0.8, strength_now=0.3, importance=None, now=NOW, params=strict
        )
        is None
    )


def test_too_short_a_history_has_no_rhythm():
    advice = assess_reconnect(
        _rhythm(7, 300, n=2), strength_then=None, strength_now=0.1, importance="B", now=NOW
    )
    assert advice is None


def test_reconnect_candidates_lists_only_pairs_needing_attention():
    found = reconnect_candidates(
        {
            "quiet": (_rhythm(14, 200), 0.7, 0.3, "A"),
            "fine": (_rhythm(14, 5), 0.7, 0.7, "A"),
            "quieter": (_rhythm(7, 300), 0.9, 0.2, "B"),
        },
        now=NOW,
    )
    assert list(found) == ["quieter", "quiet"]


# --- evaluation on real data -----------------------------------------------------------------


def _shared_data() -> Path:
    root = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
    data = root.parent / "shared" / "data"
    needed = [data / "enron-mbox" / "sent_mail", data / "copenhagen-networks" / "calls.csv"]
    if not all(p.exists() for p in needed):
        reason = f"shared evaluation data not found under {data}"
        if os.environ.get("GEFLECHT_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason + " (GEFLECHT_REQUIRE_SHARED_DATA=1)")
        pytest.skip(reason)
    return data


def _load_eval_module():
    root = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
    spec = importlib.util.spec_from_file_location(
        "strength_eval", root / "bench" / "strength_eval.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("strength_eval", module)
    spec.loader.exec_module(module)
    return module


def test_strength_predicts_future_contact_better_than_count_and_recency():
    data = _shared_data()
    evaluation = _load_eval_module()
    results = {
        r.task.split(":")[0] + " " + r.cut: r for r in evaluation.evaluate_all(data, small=True)
    }
    enron = results["Enron sent mail 2000-10-01"].auc
    assert enron["strength"] > enron["count"] + 0.05
    assert enron["strength"] > enron["recency"] + 0.05
    cph = results["Copenhagen calls+SMS day 14 of 28"].auc
    assert cph["strength"] > cph["recency"] + 0.05
    # Four weeks of calls and SMS hardly decay; the rhythm factor is what beats the count.
    assert cph["strength"] > cph["count"] + 0.005
    for r in results.values():
        assert all(0.5 < a <= 1 for a in r.auc.values()), r


def test_auc_matches_the_definition():
    evaluation = _load_eval_module()
    assert evaluation.auc(np.array([1, 2, 3, 4]), np.array([0, 0, 1, 1])) == 1.0
    assert evaluation.auc(np.array([1, 1, 1, 1]), np.array([0, 1, 0, 1])) == 0.5
    assert math.isnan(evaluation.auc(np.array([1, 2]), np.array([1, 1])))


def test_the_model_imports_no_django():
    code = (
        "import sys, geflecht.network.strength; "
        "sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_decline_of_a_tie_that_was_never_strong_is_not_a_reconnect():
    # In rhythm (no silence), and the drop from 0.05 to 0.01 is noise, not a cooling tie.
    history = _rhythm(14, 5)
    quiet = assess_reconnect(
        history, strength_then=0.05, strength_now=0.01, importance="A", now=NOW
    )
    assert quiet is None
    real = assess_reconnect(history, strength_then=0.5, strength_now=0.2, importance="A", now=NOW)
    assert real is not None and real.reason == "declined"


def test_the_silence_factor_is_a_parameter_with_default_eight():
    assert StrengthParams().reconnect_factor == 8
    history = _rhythm(14, 14 * 10)  # silent for ten usual gaps
    kwargs = {"strength_then": 0.7, "strength_now": 0.6, "importance": "B", "now": NOW}
    assert assess_reconnect(history, **kwargs).reason == "silent"
    patient = StrengthParams.from_mapping({"reconnect_factor": 12})
    assert assess_reconnect(history, params=patient, **kwargs) is None


def test_strong_earlier_makes_a_contact_without_importance_important():
    history = _rhythm(14, 200)
    kwargs = {"strength_now": 0.3, "importance": None, "now": NOW}
    assert assess_reconnect(history, strength_then=0.65, **kwargs) is not None
    assert assess_reconnect(history, strength_then=0.55, **kwargs) is None


def test_an_upcoming_event_the_person_attends_is_the_suggested_meeting():
    history = [*_rhythm(14, 200), Evidence(ago(250), "meeting")]
    kwargs = {"strength_then": 0.7, "strength_now": 0.4, "importance": "A", "now": NOW}
    fairs = [("Hannover Messe", NOW + timedelta(days=60)), ("Motek", NOW + timedelta(days=20))]
    advice = assess_reconnect(history, upcoming_events=fairs, **kwargs)
    assert advice.next_step == "meet_at_event"
    assert (advice.event, advice.event_date) == ("Motek", NOW + timedelta(days=20))
    assert advice.as_dict()["event_date"] == (NOW + timedelta(days=20)).isoformat()
    # Past events and events beyond the horizon are no suggestion.
    far = [("EMO", NOW + timedelta(days=200)), ("last year", NOW - timedelta(days=5))]
    assert assess_reconnect(history, upcoming_events=far, **kwargs).next_step == "meet"


def test_silence_long_for_the_pairs_own_rhythm_weakens_the_tie_more():
    weekly = [Evidence(ago(90 + 7 * i), "phone", initiator="a") for i in range(6)]
    quarterly = [Evidence(ago(90 + 91 * i), "phone", initiator="a") for i in range(6)]
    w, q = (compute_strength(h, now=NOW) for h in (weekly, quarterly))
    # Both were last in touch 90 days ago; that is 13 usual gaps for one, one for the other.
    assert w.inputs.usual_gap_days == pytest.approx((35 + 1) / 5)
    assert w.inputs.rhythm_factor < q.inputs.rhythm_factor < 1
    assert "usually in touch every week, much quieter lately" in w.explain()
    assert "üblicherweise Kontakt alle 3 Monate" in q.explain("de")
    # The same evidence without the rhythm factor: only the decay counts.
    off = StrengthParams.from_mapping({"rhythm_exponent": 0})
    assert compute_strength(weekly, now=NOW, params=off).inputs.rhythm_factor == 1
    assert compute_strength(weekly, now=NOW, params=off).value > w.value
