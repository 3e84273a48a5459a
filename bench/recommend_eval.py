"""Link-prediction quality of the recommender on SNAP's email-Eu-core network.

The data set has no timestamps, so a random 10% of the ties (fixed seed) is hidden,
every method scores from the remaining 90%, and we report

- AUC: probability that a hidden tie scores above a random non-tie (ties half);
- precision@10: share of each user's top-10 recommendations that are hidden ties,
  averaged over users with at least one hidden tie.

Usage::

    .venv/bin/python bench/recommend_eval.py [--seeds 42,43,44] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from geflecht.graph import Graph  # noqa: E402
from geflecht.graph.recommend import evaluate_link_prediction  # noqa: E402


def load(folder: Path) -> Graph:
    raw = np.loadtxt(folder / "email-Eu-core.txt", dtype=np.int64).reshape(-1, 2)
    n = int(raw.max()) + 1
    raw = raw[raw[:, 0] != raw[:, 1]]
    a = np.minimum(raw[:, 0], raw[:, 1])
    b = np.maximum(raw[:, 0], raw[:, 1])
    key = np.unique(a * n + b)
    return Graph.from_edges(n, key // n, key % n, np.ones(len(key)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--seeds", default="42,43,44,45,46")
    ap.add_argument("--holdout", type=float, default=0.1)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    folder = Path(args.data) / "email-Eu-core"
    if not folder.is_dir():
        raise SystemExit(f"email-Eu-core not found under {args.data}")
    G = load(folder)
    methods = ("resource_allocation", "adamic_adar", "common_neighbours")
    rows: dict[str, list[tuple[float, float]]] = {}
    for seed in (int(x) for x in args.seeds.split(",")):
        report = evaluate_link_prediction(
            G, methods=methods, holdout=args.holdout, k=args.k, seed=seed
        )
        for s in report.scores:
            rows.setdefault(s.method, []).append((s.auc, s.precision_at_k))
    print(
        f"email-Eu-core: {G.n} nodes, {G.m} undirected ties; {args.holdout:.0%} hidden, "
        f"seeds {args.seeds}; mean (min-max) over seeds\n"
    )
    print(f"| method | AUC | precision@{args.k} |")
    print("|---|---|---|")
    for method, values in rows.items():
        auc = np.array([v[0] for v in values])
        prec = np.array([v[1] for v in values])
        print(
            f"| {method} | {auc.mean():.3f} ({auc.min():.3f}-{auc.max():.3f}) | "
            f"{prec.mean():.3f} ({prec.min():.3f}-{prec.max():.3f}) |"
        )


if __name__ == "__main__":
    main()
