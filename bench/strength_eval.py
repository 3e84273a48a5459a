"""Does the strength model predict who keeps interacting? An evaluation on real timed data.

For a cut time ``t`` and every pair with interactions before ``t`` we compute three scores
from the interactions before ``t`` only:

1. ``strength``: the model (:func:`geflecht.network.strength.bulk_strengths`, default params);
2. ``count``: the plain number of interactions;
3. ``recency``: minus the days since the last interaction.

The label is whether the pair interacts again in ``(t, t + window]``. Each score's ROC AUC
(Mann-Whitney rank statistic) says how well it ranks pairs that keep in touch above those that
do not. A second task on the Copenhagen data uses the declared Facebook friendships as label.

Data (see ../shared/data/*/SOURCE.txt):

* Enron sent mail (76 mailboxes, 22,553 messages, 1999-12 to 2001-06): every message is an
  e-mail from the sender to each To/Cc/Bcc recipient, group size = all distinct addresses.
  Only pairs whose mailbox owner also sent mail after ``t`` are scored: for the others the
  future is not observed at all.
* Copenhagen Networks Study (about 800 students, 4 weeks): calls (phone, with duration;
  missed calls have duration 0) and SMS (message), caller/sender as initiator.

Run ``python bench/strength_eval.py`` (writes bench/strength_README_section.md with
``--write``). ``evaluate_all(small=True)`` is the fast slice used by the tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import itertools
import mailbox
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from geflecht.network.strength import (
    CHANNELS,
    StrengthParams,
    bulk_strengths,
    days_since_epoch,
)

HERE = Path(__file__).resolve().parent


def find_shared_data(start: Path = HERE) -> Path | None:
    """../shared/data next to the repository root (the folder holding pyproject.toml)."""
    for folder in [start, *start.parents]:
        if (folder / "pyproject.toml").exists():
            data = folder.parent / "shared" / "data"
            return data if data.is_dir() else None
    return None


@dataclass
class Interactions:
    """Flat pair-level interaction rows (one row per interaction and pair)."""

    name: str
    a: np.ndarray  # person ids, a < b
    b: np.ndarray
    days: np.ndarray  # days since epoch (or since the study start)
    channel: np.ndarray  # codes into CHANNELS
    group_size: np.ndarray
    duration: np.ndarray  # minutes, NaN unknown
    initiator: np.ndarray  # 0 unknown, 1 a, 2 b
    owner_last_day: dict[int, float] | None = None  # Enron: last sent mail per mailbox owner

    def __len__(self) -> int:
        return len(self.a)


def _rows(name: str, rows: list[tuple], owner_last_day=None) -> Interactions:
    arr = np.array(rows, dtype=np.float64).reshape(-1, 7)
    a, b = arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64)
    sender_is_a = arr[:, 6] == 1
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    # initiator from the canonical pair's point of view: 1 if the smaller id sent it.
    initiator = np.where(arr[:, 6] == 0, 0, np.where((a == lo) == sender_is_a, 1, 2))
    return Interactions(
        name=name,
        a=lo,
        b=hi,
        days=arr[:, 2],
        channel=arr[:, 3].astype(np.int64),
        group_size=arr[:, 4].astype(np.int64),
        duration=arr[:, 5],
        initiator=initiator,
        owner_last_day=owner_last_day,
    )


def load_enron(data: Path, max_files: int | None = None) -> Interactions:
    """Sender-recipient e-mail rows from the Enron sent-mail mboxes (deduplicated)."""
    files = sorted(glob.glob(str(data / "enron-mbox" / "sent_mail" / "*_sent_mail")))
    if max_files is not None:
        files = files[:max_files]
    ids: dict[str, int] = {}
    seen: set = set()
    rows: list[tuple] = []
    owner_last: dict[int, float] = {}
    email_code = CHANNELS.index("email")
    for path in files:
        for msg in mailbox.mbox(path):
            try:
                when = parsedate_to_datetime(msg["Date"])
            except (TypeError, ValueError):
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            sender = (getaddresses([msg.get("From", "")]) or [("", "")])[0][1].lower()
            heads = [msg.get_all(h, []) for h in ("To", "Cc", "Bcc")]
            recipients = {
                addr.lower() for _, addr in getaddresses([v for h in heads for v in h]) if addr
            } - {sender}
            key = msg.get("Message-ID") or (sender, msg["Date"], msg.get("Subject"))
            if not sender or not recipients or key in seen:
                continue
            seen.add(key)
            # Copies of one message filed twice have different Message-IDs; drop them too.
            key2 = (sender, when, msg.get("Subject"), frozenset(recipients))
            if key2 in seen:
                continue
            seen.add(key2)
            day = days_since_epoch(when)
            s = ids.setdefault(sender, len(ids))
            owner_last[s] = max(owner_last.get(s, day), day)
            size = len(recipients) + 1
            for r in sorted(recipients):
                rows.append((s, ids.setdefault(r, len(ids)), day, email_code, size, np.nan, 1))
    return _rows("Enron sent mail", rows, owner_last)


def load_copenhagen(data: Path) -> Interactions:
    """Calls and SMS of the Copenhagen Networks Study; time in days since the study start."""
    folder = data / "copenhagen-networks"
    rows: list[tuple] = []
    calls = np.loadtxt(folder / "calls.csv", delimiter=",", skiprows=1, dtype=np.int64)
    phone = CHANNELS.index("phone")
    for ts, caller, callee, seconds in calls:
        if caller == callee:
            continue
        minutes = max(seconds, 0) / 60.0  # -1 = missed call: an attempt, minimum weight
        rows.append((caller, callee, ts / 86400.0, phone, 2, minutes, 1))
    sms = np.loadtxt(folder / "sms.csv", delimiter=",", skiprows=1, dtype=np.int64)
    message = CHANNELS.index("message")
    for ts, sender, recipient in sms:
        if sender != recipient:
            rows.append((sender, recipient, ts / 86400.0, message, 2, np.nan, 1))
    return _rows("Copenhagen calls+SMS", rows)


def load_facebook_pairs(data: Path) -> set[tuple[int, int]]:
    pairs = np.loadtxt(data / "copenhagen-networks" / "fb_friends.csv", delimiter=",", dtype=int)
    return {(min(a, b), max(a, b)) for a, b in pairs}


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney U statistic (ties count one half)."""
    labels = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def scores_at(
    inter: Interactions, t: float, params: StrengthParams
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Pairs with interactions before ``t`` and their three scores at ``t``."""
    before = inter.days < t
    key = inter.a[before] * (1 << 32) + inter.b[before]
    pairs, pair_index = np.unique(key, return_inverse=True)
    n = len(pairs)
    strength = bulk_strengths(
        pair_index,
        inter.days[before],
        inter.channel[before],
        inter.group_size[before],
        inter.duration[before],
        inter.initiator[before],
        t,
        n,
        params,
    )
    count = np.bincount(pair_index, minlength=n).astype(np.float64)
    last = np.full(n, -np.inf)
    np.maximum.at(last, pair_index, inter.days[before])
    return pairs, {"strength": strength, "count": count, "recency": -(t - last)}


@dataclass
class TaskResult:
    task: str
    cut: str
    pairs: int
    positives: int
    auc: dict[str, float]
    #: 95% paired-bootstrap interval of strength AUC minus the baseline's AUC.
    diff_ci: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)

    @property
    def strength_wins(self) -> bool:
        return self.auc["strength"] > max(self.auc["count"], self.auc["recency"])

    def verdict(self, baseline: str) -> str:
        """ "better", "worse" or "tie" by the bootstrap interval (point values without one)."""
        if baseline not in self.diff_ci:
            return "better" if self.auc["strength"] > self.auc[baseline] else "not better"
        lo, hi = self.diff_ci[baseline]
        return "better" if lo > 0 else "worse" if hi < 0 else "tie"


def paired_bootstrap(
    scores: dict[str, np.ndarray], label: np.ndarray, *, resamples: int = 200, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """95% intervals of AUC(strength) - AUC(baseline) over pairs resampled with replacement."""
    rng = np.random.default_rng(seed)
    diffs: dict[str, list[float]] = {"count": [], "recency": []}
    for _ in range(resamples):
        idx = rng.integers(0, len(label), len(label))
        base = auc(scores["strength"][idx], label[idx])
        for name in diffs:
            diffs[name].append(base - auc(scores[name][idx], label[idx]))
    return {
        name: (float(np.nanpercentile(d, 2.5)), float(np.nanpercentile(d, 97.5)))
        for name, d in diffs.items()
    }


def future_contact_task(
    inter: Interactions,
    t: float,
    window: float,
    params: StrengthParams,
    cut_label: str,
    *,
    bootstrap: bool = False,
) -> TaskResult:
    pairs, scores = scores_at(inter, t, params)
    after = (inter.days >= t) & (inter.days < t + window)
    future = np.unique(inter.a[after] * (1 << 32) + inter.b[after])
    label = np.isin(pairs, future)
    keep = np.ones(len(pairs), dtype=bool)
    if inter.owner_last_day is not None:
        # Only pairs whose mailbox we can still see after t: one of them sent mail after t.
        active = np.array(
            [o for o, last in inter.owner_last_day.items() if last >= t], dtype=np.int64
        )
        keep = np.isin(pairs >> 32, active) | np.isin(pairs & 0xFFFFFFFF, active)
    return TaskResult(
        task=f"{inter.name}: contact again within {window:g} days",
        cut=cut_label,
        pairs=int(keep.sum()),
        positives=int(label[keep].sum()),
        auc={k: auc(v[keep], label[keep]) for k, v in scores.items()},
        diff_ci=paired_bootstrap({k: v[keep] for k, v in scores.items()}, label[keep])
        if bootstrap
        else {},
    )


def friendship_task(
    inter: Interactions,
    friends: set[tuple[int, int]],
    params: StrengthParams,
    *,
    bootstrap: bool = False,
) -> TaskResult:
    t = float(inter.days.max()) + 1e-6
    pairs, scores = scores_at(inter, t, params)
    label = np.array([(int(p >> 32), int(p & 0xFFFFFFFF)) in friends for p in pairs])
    return TaskResult(
        task=f"{inter.name}: declared Facebook friends",
        cut="end of the 4 weeks",
        pairs=len(pairs),
        positives=int(label.sum()),
        auc={k: auc(v, label) for k, v in scores.items()},
        diff_ci=paired_bootstrap(scores, label) if bootstrap else {},
    )


#: Tuning splits: parameters are chosen on these alone (``tune``), never on the reported cuts.
#: Enron: an earlier cut than any reported one; Copenhagen: day 7, labels from days 7-14.
TUNING_ENRON_CUT: tuple[str, float] = ("2000-04-01", 90.0)
TUNING_COPENHAGEN_CUT: tuple[float, float] = (7.0, 7.0)

#: Enron cut dates and windows: the mail runs from 1999-12 to 2001-05 (few after).
ENRON_CUTS: list[tuple[str, float]] = [
    ("2000-07-01", 90.0),
    ("2000-10-01", 90.0),
    ("2001-01-01", 120.0),
]


def _day(text: str) -> float:
    return days_since_epoch(datetime.fromisoformat(text).replace(tzinfo=UTC))


def evaluate_all(
    data: Path, params: StrengthParams | None = None, *, small: bool = False
) -> list[TaskResult]:
    """All evaluation tasks; ``small`` = a fast slice (20 Enron mailboxes, one cut)."""
    params = params or StrengthParams()
    boot = not small
    results = []
    enron = load_enron(data, max_files=20 if small else None)
    for cut, window in ENRON_CUTS[1:2] if small else ENRON_CUTS:
        results.append(future_contact_task(enron, _day(cut), window, params, cut, bootstrap=boot))
    cph = load_copenhagen(data)
    results.append(future_contact_task(cph, 14.0, 14.0, params, "day 14 of 28", bootstrap=boot))
    results.append(friendship_task(cph, load_facebook_pairs(data), params, bootstrap=boot))
    return results


#: The grid searched on the tuning splits (the other parameters at their defaults).
TUNING_GRID: dict[str, tuple[float, ...]] = {
    "half_life_days": (30.0, 90.0, 180.0, 365.0),
    "rhythm_prior_gap_days": (1.0, 3.0, 7.0, 14.0, 30.0),
    "rhythm_exponent": (0.0, 0.25, 0.5, 0.75, 1.0),
}


def tune(data: Path) -> list[tuple[dict, float, float]]:
    """Mean strength AUC of every grid point on the two tuning splits, best first.

    Returns ``(override, enron_auc, copenhagen_auc)`` rows; the defaults of
    :class:`StrengthParams` are the best row (ties broken towards the simpler model).
    """
    enron, cph = load_enron(data), load_copenhagen(data)
    e_cut, e_window = TUNING_ENRON_CUT
    c_cut, c_window = TUNING_COPENHAGEN_CUT
    rows = []
    names = list(TUNING_GRID)
    for values in itertools.product(*(TUNING_GRID[n] for n in names)):
        override = dict(zip(names, values, strict=True))
        if override["rhythm_exponent"] == 0 and override["rhythm_prior_gap_days"] != 1.0:
            continue  # the prior gap is irrelevant without the rhythm factor
        params = StrengthParams.from_mapping(override)
        e = future_contact_task(enron, _day(e_cut), e_window, params, e_cut)
        c = future_contact_task(cph, c_cut, c_window, params, "day 7")
        rows.append((override, e.auc["strength"], c.auc["strength"]))
    rows.sort(key=lambda r: -(r[1] + r[2]))
    return rows


SENSITIVITY: dict[str, dict] = {
    "defaults": {},
    "no rhythm factor (exponent 0)": {"rhythm_exponent": 0.0},
    "rhythm exponent 0.5": {"rhythm_exponent": 0.5},
    "rhythm prior gap 14 days": {"rhythm_prior_gap_days": 14.0},
    "half-life 30 days": {"half_life_days": 30},
    "half-life 180 days": {"half_life_days": 180},
    "half-life 365 days": {"half_life_days": 365},
    "half-life 10 years (almost no decay)": {"half_life_days": 3650},
    "no group-size discount (exponent 0)": {"group_exponent": 0.0},
    "steeper group discount (exponent 0.5)": {"group_exponent": 0.5},
    "even split (exponent 1)": {"group_exponent": 1.0},
    "no reciprocity bonus": {"reciprocity_bonus": 0.0},
}


def sensitivity(data: Path) -> list[tuple[str, list[TaskResult]]]:
    """Strength AUC on the reported tasks when one parameter differs from the defaults."""
    enron, cph = load_enron(data), load_copenhagen(data)
    out = []
    for name, override in SENSITIVITY.items():
        params = StrengthParams.from_mapping(override)
        tasks = [future_contact_task(enron, _day(c), w, params, c) for c, w in ENRON_CUTS]
        tasks.append(future_contact_task(cph, 14.0, 14.0, params, "day 14 of 28"))
        out.append((name, tasks))
    return out


def markdown(
    results: list[TaskResult],
    sens: list[tuple[str, list[TaskResult]]],
    seconds: float,
    tuning: list[tuple[dict, float, float]] | None = None,
) -> str:
    lines = [
        "## Relationship strength: does it predict future contact?",
        "",
        "`bench/strength_eval.py` scores every pair with interactions before a cut time `t`",
        "by (1) the strength model with its default parameters, (2) the plain count of",
        "interactions before `t`, (3) recency alone (days since the last interaction), and",
        "measures each score's ROC AUC for the label shown (0.5 = chance, 1 = perfect).",
        "Enron: one e-mail row per sender-recipient pair; only pairs whose mailbox owner still",
        "sends mail after `t` are scored. Copenhagen: calls (phone, with duration) and SMS.",
        f"The defaults were chosen on two tuning splits only (Enron cut {TUNING_ENRON_CUT[0]},",
        f"Copenhagen day {TUNING_COPENHAGEN_CUT[0]:g}; table at the end); every row below is a",
        "test split whose labels played no part in choosing them.",
        "",
        "| task | cut `t` | pairs | positives | strength | count | recency "
        "| strength vs count / recency |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.task} | {r.cut} | {r.pairs:,} | {r.positives:,} | "
            f"{r.auc['strength']:.3f} | {r.auc['count']:.3f} | {r.auc['recency']:.3f} | "
            f"{r.verdict('count')} / {r.verdict('recency')} |"
        )
    if any(r.diff_ci for r in results):
        lines += [
            "",
            "Is the difference real? 95% paired-bootstrap intervals (200 resamples of the pairs)",
            "of strength AUC minus baseline AUC; an interval containing 0 is a tie (the verdicts",
            "in the last column above).",
            "",
            "| task | cut `t` | strength - count | strength - recency |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r.task} | {r.cut} | "
            + " | ".join(
                f"{r.diff_ci[k][0]:+.3f} .. {r.diff_ci[k][1]:+.3f}" for k in ("count", "recency")
            )
            + " |"
            for r in results
            if r.diff_ci
        ]
    if sens:
        cuts = [r.cut for r in sens[0][1]]
        lines += [
            "",
            "Sensitivity on the test tasks: strength AUC when one parameter differs from the",
            "defaults (count and recency do not depend on the parameters; see above). Shown for",
            "understanding only: the defaults were not picked from this table.",
            "",
            "| variant | " + " | ".join(f"cut {c}" for c in cuts) + " |",
            "|---|" + "---:|" * len(cuts),
        ]
        lines += [
            f"| {name} | " + " | ".join(f"{r.auc['strength']:.3f}" for r in rs) + " |"
            for name, rs in sens
        ]
    if tuning:
        lines += [
            "",
            f"Tuning (`--tune`): strength AUC on the tuning splits for {len(tuning)} grid points",
            "of half-life x rhythm prior gap x rhythm exponent; the ten best and the best without",
            "the rhythm factor. The defaults are the best row.",
            "",
            "| half-life | prior gap | rhythm exponent | Enron 2000-04-01 | Copenhagen day 7 "
            "| mean |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        best_plain = next(r for r in tuning if r[0]["rhythm_exponent"] == 0)
        for override, e, c in [*tuning[:10], best_plain]:
            lines.append(
                f"| {override['half_life_days']:g} | {override['rhythm_prior_gap_days']:g} | "
                f"{override['rhythm_exponent']:g} | {e:.3f} | {c:.3f} | {(e + c) / 2:.4f} |"
            )
    lines += ["", f"Evaluation time: {seconds:.1f} s (`python bench/strength_eval.py --write`)."]
    return "\n".join(lines) + "\n"


START, END = "<!-- strength-eval:start -->", "<!-- strength-eval:end -->"


def write_section(path: Path, text: str) -> None:
    """Replace the generated part of the README section, keeping the hand-written rest."""
    block = f"{START}\n{text}{END}"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in old and END in old:
        new = old[: old.index(START)] + block + old[old.index(END) + len(END) :]
    else:
        new = block + "\n" + old
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="the shared data folder")
    parser.add_argument("--small", action="store_true", help="the fast slice only")
    parser.add_argument("--write", action="store_true", help="write strength_README_section.md")
    parser.add_argument(
        "--tune", action="store_true", help="also search the parameter grid on the tuning splits"
    )
    args = parser.parse_args(argv)
    data = args.data or find_shared_data()
    if data is None:
        print("shared data not found (expected ../shared/data next to the repo)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = evaluate_all(data, small=args.small)
    sens = [] if args.small else sensitivity(data)
    tuning = tune(data) if args.tune else None
    seconds = time.perf_counter() - started
    text = markdown(results, sens, seconds, tuning)
    print(text)
    print("parameters:", StrengthParams().as_dict())
    if args.write:
        write_section(HERE / "strength_README_section.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
