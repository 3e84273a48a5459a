"""People you should know: link prediction from shared contacts.

Scores a candidate by the contacts it shares with the user. Resource allocation
(Zhou, Lü and Zhang 2009) weighs a shared contact z by ``1/deg(z)``: a colleague who
knows few people is a stronger hint than a hub who knows everybody. On the e-mail
network of a research institution it beats common neighbours and random guessing
(``bench/recommend_eval.py``, tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._jit import njit
from .exceptions import GraphError
from .snapshot import Graph, _row_positions

__all__ = [
    "METHODS",
    "LinkPredictionReport",
    "LinkPredictionScore",
    "Recommendation",
    "evaluate_link_prediction",
    "link_prediction_scores",
    "recommend",
]

METHODS = (
    "resource_allocation",
    "adamic_adar",
    "common_neighbours",
    "jaccard",
    "preferential_attachment",
)
_CODES = {name: i for i, name in enumerate(METHODS)}


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A suggested contact and why.

    Attributes
    ----------
    node : int
        The candidate.
    score : float
        ``structural * (1 + boost)``: what the ranking uses.
    structural : float
        Score of the chosen ``method`` from shared contacts alone.
    boost : float
        Bonus passed in by the caller for this candidate (0.0 if none).
    common_neighbours : int
        Number of shared contacts.
    common : tuple of int
        The shared contacts, strongest hint first (lowest degree first).
    resource_allocation, adamic_adar : float
        Both classic scores, whatever the method, so the UI can explain the ranking.
    """

    node: int
    score: float
    structural: float
    boost: float
    common_neighbours: int
    common: tuple[int, ...]
    resource_allocation: float
    adamic_adar: float


def recommend(
    G: Graph,
    source: int,
    *,
    k: int = 10,
    method: str = "resource_allocation",
    exclude=None,
    boost=None,
) -> list[Recommendation]:
    """Rank people not yet connected to ``source`` who share contacts with it.

    Parameters
    ----------
    G : Graph
    source : int
    k : int, default 10
        Number of recommendations.
    method : {"resource_allocation", "adamic_adar", "common_neighbours", "jaccard", \
"preferential_attachment"}
    exclude : iterable of int or array of bool, optional
        Candidates never to propose (people who declined, private contacts, ...).
    boost : array of float, optional
        Per-node relative bonus ``b >= 0``; the ranking score is
        ``structural * (1 + b)``, so ``b = 0.5`` ranks a candidate as if it had 50 %
        more shared-contact evidence. Being relative, a boost re-orders people with
        shared contacts but never surfaces a stranger on its own.

    Returns
    -------
    list of Recommendation
        At most ``k``, best first; ties by node id.

    References
    ----------
    D. Liben-Nowell and J. Kleinberg, "The link-prediction problem for social
    networks", JASIST 58 (2007). T. Zhou, L. Lü and Y.-C. Zhang, "Predicting missing
    links via local information", Eur. Phys. J. B 71 (2009).

    Examples
    --------
    >>> from geflecht.graph import Graph, recommend
    >>> G = Graph.from_edges(5, [0, 0, 1, 2, 3], [1, 2, 3, 3, 4], [1.0] * 5)
    >>> [(r.node, r.common, round(r.score, 2)) for r in recommend(G, 0)]
    [(3, (1, 2), 1.0)]
    """
    if method not in _CODES:
        raise GraphError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    s = G._check(source)
    start, end, indices, _, _ = G._arrays()
    deg = (G._end - G._start).astype(np.float64)
    nbrs = indices[start[s] : end[s]].astype(np.int64)
    lens = (end[nbrs] - start[nbrs]).astype(np.int64)
    cand = indices[_row_positions(start[nbrs], lens)].astype(np.int64)
    via = np.repeat(nbrs, lens)
    keep = cand != s
    # Rows are sorted, so membership in N(s) is a binary search.
    pos = np.searchsorted(nbrs, cand)
    keep &= ~((pos < len(nbrs)) & (nbrs[np.minimum(pos, len(nbrs) - 1)] == cand))
    if exclude is not None:
        ex = np.asarray(exclude)
        if ex.dtype == bool:
            if ex.shape != (G.n,):
                raise GraphError(f"exclude mask must have length n={G.n}")
            keep &= ~ex[cand]
        elif ex.size:
            keep &= ~np.isin(cand, G._check_many(ex, "exclude"))
    cand, via = cand[keep], via[keep]
    if cand.size == 0:
        return []
    order = np.lexsort((deg[via], cand))
    cand, via = cand[order], via[order]
    starts = np.flatnonzero(np.r_[True, cand[1:] != cand[:-1]])
    uniq = cand[starts]
    cn = np.diff(np.r_[starts, len(cand)]).astype(np.float64)
    ra = np.add.reduceat(1.0 / deg[via], starts)
    aa = np.add.reduceat(1.0 / np.log(deg[via]), starts)
    structural = {
        "resource_allocation": ra,
        "adamic_adar": aa,
        "common_neighbours": cn,
        "jaccard": cn / (deg[s] + deg[uniq] - cn),
        "preferential_attachment": deg[s] * deg[uniq],
    }[method]
    if boost is not None:
        b = np.asarray(boost, dtype=np.float64)
        if b.shape != (G.n,) or np.any(b < 0):
            raise GraphError(f"boost must be a non-negative array of length n={G.n}")
        bonus = b[uniq]
    else:
        bonus = np.zeros(len(uniq))
    score = structural * (1.0 + bonus)
    top = np.lexsort((uniq, -score))[: int(k)]
    bounds = np.r_[starts, len(cand)]
    return [
        Recommendation(
            node=int(uniq[i]),
            score=float(score[i]),
            structural=float(structural[i]),
            boost=float(bonus[i]),
            common_neighbours=int(cn[i]),
            common=tuple(int(x) for x in via[bounds[i] : bounds[i + 1]]),
            resource_allocation=float(ra[i]),
            adamic_adar=float(aa[i]),
        )
        for i in top.tolist()
    ]


@njit
def _pair_scores(start, end, indices, us, vs, code):
    out = np.zeros(us.shape[0])
    for p in range(us.shape[0]):
        u = us[p]
        v = vs[p]
        du = end[u] - start[u]
        dv = end[v] - start[v]
        if code == 4:
            out[p] = float(du * dv)
            continue
        # Merge of two sorted rows.
        i = start[u]
        j = start[v]
        acc = 0.0
        cn = 0
        while i < end[u] and j < end[v]:
            a = indices[i]
            b = indices[j]
            if a == b:
                dz = end[a] - start[a]
                cn += 1
                if code == 0:
                    acc += 1.0 / dz
                elif code == 1:
                    acc += 1.0 / np.log(dz)
                i += 1
                j += 1
            elif a < b:
                i += 1
            else:
                j += 1
        if code == 2:
            acc = float(cn)
        elif code == 3:
            union = du + dv - cn
            acc = cn / union if union > 0 else 0.0
        out[p] = acc
    return out


def link_prediction_scores(G: Graph, pairs, *, method: str = "resource_allocation") -> np.ndarray:
    """Score arbitrary node pairs, for evaluating a predictor on held-out edges.

    Parameters
    ----------
    G : Graph
    pairs : (u, v) tuple of int arrays, or an int array of shape (k, 2)
    method : str
        One of :data:`METHODS`.

    Returns
    -------
    ndarray of float64
        One score per pair (higher = more likely to be connected).

    Examples
    --------
    >>> from geflecht.graph import Graph, link_prediction_scores
    >>> G = Graph.from_edges(4, [0, 0, 1, 2], [1, 2, 3, 3], [1.0] * 4)
    >>> link_prediction_scores(G, ([0, 1], [3, 2]), method="common_neighbours").tolist()
    [2.0, 2.0]
    """
    if method not in _CODES:
        raise GraphError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if isinstance(pairs, tuple) and len(pairs) == 2:
        us, vs = pairs
    else:
        arr = np.asarray(pairs)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise GraphError("pairs must be (u, v) arrays or an array of shape (k, 2)")
        us, vs = arr[:, 0], arr[:, 1]
    us = G._check_many(us, "u")
    vs = G._check_many(vs, "v")
    if len(us) != len(vs):
        raise GraphError("u and v must have the same length")
    start, end, indices, _, _ = G._arrays()
    return _pair_scores(start, end, indices, us, vs, _CODES[method])


@dataclass(frozen=True, slots=True)
class LinkPredictionScore:
    """Quality of one predictor on held-out ties.

    Attributes
    ----------
    method : str
        A name from :data:`METHODS`, or ``"random"`` for the baseline.
    auc : float
        Probability that a held-out tie scores above a random non-tie (ties count
        half), as in Lü and Zhou (2011).
    precision_at_k : float
        Mean over users with at least one held-out tie of the share of their top-``k``
        recommendations that are held-out ties.
    """

    method: str
    auc: float
    precision_at_k: float


@dataclass(frozen=True, slots=True)
class LinkPredictionReport:
    holdout: float
    seed: int | None
    k: int
    hidden: int
    users: int
    scores: tuple[LinkPredictionScore, ...]

    def by_method(self) -> dict[str, LinkPredictionScore]:
        return {s.method: s for s in self.scores}


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    # Mann-Whitney U from ranks, with ties sharing their average rank.
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([pos, neg]))
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def evaluate_link_prediction(
    G: Graph,
    *,
    methods=("resource_allocation", "adamic_adar", "common_neighbours"),
    holdout: float = 0.1,
    k: int = 10,
    negatives: int = 10,
    seed: int | None = None,
) -> LinkPredictionReport:
    """Hide a random share of ties, predict them from the rest, and score the methods.

    Parameters
    ----------
    G : Graph
    methods : sequence of str
        Methods to compare; a ``"random"`` baseline is always added.
    holdout : float, default 0.1
        Share of edges hidden (chosen uniformly with ``seed``).
    k : int, default 10
        Length of each user's recommendation list for precision.
    negatives : int, default 10
        Non-ties sampled per hidden tie for the AUC.
    seed : int, optional

    Returns
    -------
    LinkPredictionReport

    References
    ----------
    L. Lü and T. Zhou, "Link prediction in complex networks: a survey", Physica A 390
    (2011).
    """
    rng = np.random.default_rng(seed)
    n = G.n
    u, v, s = G.edges()
    hide = rng.random(len(u)) < holdout
    train = Graph.from_edges(n, u[~hide], v[~hide], s[~hide])
    hu, hv = u[hide], v[hide]
    existing = set((u * n + v).tolist())
    neg_u: list[int] = []
    neg_v: list[int] = []
    while len(neg_u) < negatives * len(hu):
        a, b = (int(x) for x in rng.integers(0, n, 2))
        if a != b and min(a, b) * n + max(a, b) not in existing:
            neg_u.append(a)
            neg_v.append(b)
    neg = (np.array(neg_u), np.array(neg_v))
    hidden_of: dict[int, set[int]] = {}
    for a, b in zip(hu.tolist(), hv.tolist(), strict=True):
        hidden_of.setdefault(a, set()).add(b)
        hidden_of.setdefault(b, set()).add(a)
    users = sorted(hidden_of)
    results = []
    for method in (*methods, "random"):
        if method == "random":
            auc = _auc(rng.random(len(hu)), rng.random(len(neg[0])))
            hits = []
            for x in users:
                candidates = np.setdiff1d(np.arange(n), train.neighbors(x))
                candidates = candidates[candidates != x]
                pick = rng.choice(candidates, size=min(k, len(candidates)), replace=False)
                hits.append(len(hidden_of[x] & set(pick.tolist())) / k)
        else:
            pos = link_prediction_scores(train, (hu, hv), method=method)
            auc = _auc(pos, link_prediction_scores(train, neg, method=method))
            hits = [
                len(hidden_of[x] & {r.node for r in recommend(train, x, k=k, method=method)}) / k
                for x in users
            ]
        results.append(LinkPredictionScore(method, auc, float(np.mean(hits)) if hits else 0.0))
    return LinkPredictionReport(
        float(holdout), seed, int(k), int(hide.sum()), len(users), tuple(results)
    )
