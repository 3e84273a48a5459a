"""Benchmark of the graph engine against NetworkX, NetworKit and igraph.

For each size a seeded synthetic social graph (``geflecht.graph.social_graph``, mean
degree ~20) is built once and cached as ``.npz``; each library then runs in its own
fresh subprocess (so peak RSS and first-query latency are its own) on the same 200
random pairs:

- best path, unlimited hops (strongest = lightest under weight -log(strength));
- best path with at most 4 hops (geflecht only: the others have no hop-limited
  weighted search; checked against the unlimited answer where that has <= 4 hops);
- the 3 best loopless paths (Yen), unlimited and (geflecht only) with max_hops=4;
- 2nd- and 3rd-degree neighbourhoods (geflecht also computes each node's best
  strength within the radius).

Answers are checked equal across libraries (path weights, neighbourhood counts).
Slow libraries stop an operation after ``--budget`` seconds (at least 10 pairs) and the
table says how many pairs they managed.

Usage::

    .venv/bin/python bench/bench_graph.py --sizes 10000,100000 --out bench/graph_README_section.md
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
LIBS = ("geflecht", "networkx", "networkit", "igraph")
OPS = ("bp", "bp4", "k3", "k3h4", "ego2", "ego3")
OP_NAMES = {
    "bp": "best path, unlimited hops",
    "bp4": "best path, max 4 hops",
    "k3": "3 best paths, unlimited",
    "k3h4": "3 best paths, max 4 hops",
    "ego2": "2nd-degree neighbourhood",
    "ego3": "3rd-degree neighbourhood",
}
# NetworkX needs about this much memory per undirected edge with two attributes
# (measured at 100k nodes); runs that would exceed the limit are skipped.
NX_MEMORY_LIMIT = 8 * 2**30


def rss_mb() -> float:
    """Peak RSS of this process. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec, so a worker would report its parent's peak."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---------------------------------------------------------------------- data
def dataset(n: int, seed: int, mean_degree: float, cache: Path) -> Path:
    path = cache / f"social_{n}_{mean_degree:g}_{seed}.npz"
    if path.exists():
        return path
    sys.path.insert(0, str(REPO / "src"))
    from geflecht.graph import social_graph

    t0 = time.perf_counter()
    G = social_graph(n, mean_degree=mean_degree, seed=seed)
    gen = time.perf_counter() - t0
    u, v, s = G.edges()
    rng = np.random.default_rng(seed + 1)
    pairs = rng.integers(0, n, size=(400, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]][:200]
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, n=n, u=u, v=v, s=s, pairs=pairs, gen=gen)
    return path


# ---------------------------------------------------------------------- workers
MIN_PAIRS = 10


def timed_loop(fn, items, budget: float):
    """Run ``fn`` per item; stop after ``budget`` seconds (but do at least MIN_PAIRS).

    One untimed warm-up call first: it loads geflecht's compiled kernels from numba's
    disk cache (reported separately as first-query latency) and warms caches for all.
    """
    fn(*items[0])
    times, answers = [], []
    start = time.perf_counter()
    for i, item in enumerate(items):
        t0 = time.perf_counter()
        answers.append(fn(*item))
        times.append(time.perf_counter() - t0)
        if i + 1 >= MIN_PAIRS and time.perf_counter() - start > budget:
            break
    return times, answers


def worker(lib: str, path: Path, budget: float) -> dict:
    t_import = time.perf_counter()
    data = np.load(path)
    n = int(data["n"])
    u, v, s = data["u"], data["v"], data["s"]
    pairs = [tuple(int(x) for x in p) for p in data["pairs"]]
    sources = [(p[0],) for p in pairs]
    w = -np.log(s)
    out: dict = {"lib": lib, "n": n, "m": len(u), "ops": {}}
    base_rss = current_rss_mb()
    ops = out["ops"]

    def record(op, fn, items):
        times, answers = timed_loop(fn, items, budget)
        ops[op] = {"times": times, "answers": answers}

    if lib == "geflecht":
        sys.path.insert(0, str(REPO / "src"))
        from geflecht.graph import Graph, best_path, ego_layers, k_best_paths

        out["import_s"] = time.perf_counter() - t_import
        t0 = time.perf_counter()
        G = Graph.from_edges(n, u, v, s)
        out["build_s"] = time.perf_counter() - t0
        out["graph_mb"] = sum(a.nbytes for a in G.csr()) / 2**20
        t0 = time.perf_counter()
        best_path(G, *pairs[0])
        out["first_query_s"] = time.perf_counter() - t0

        def wt(p):
            return float(sum(-math.log(x) for x in p.strengths))

        def bp(a, b, hops):
            try:
                return wt(best_path(G, a, b, max_hops=hops))
            except Exception:
                return None

        def kb(a, b, hops):
            try:
                return [wt(p) for p in k_best_paths(G, a, b, 3, max_hops=hops)]
            except Exception:
                return []

        def hops_of(a, b):
            try:
                return best_path(G, a, b, max_hops=None).hops
            except Exception:
                return None

        record("bp", lambda a, b: bp(a, b, None), pairs)
        record("bp4", lambda a, b: bp(a, b, 4), pairs)
        record("k3", lambda a, b: kb(a, b, None), pairs)
        record("k3h4", lambda a, b: kb(a, b, 4), pairs)
        record("ego2", lambda a: list(ego_layers(G, a, radius=2).counts), sources)
        record("ego3", lambda a: list(ego_layers(G, a, radius=3).counts), sources)
        out["unlimited_hops"] = [hops_of(a, b) for a, b in pairs]
        # Incremental update: a few hundred changes, and a GDPR erasure.
        rng = np.random.default_rng(7)
        a = rng.integers(0, n, 300)
        b = (a + rng.integers(1, n, 300)) % n
        dels = rng.choice(len(u), 100, replace=False)
        t0 = time.perf_counter()
        H = G.with_changes(upserts=(a, b, rng.uniform(0.05, 1, 300)),
                           deletions=(u[dels], v[dels]))  # fmt: skip
        out["changes_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        H.remove_nodes(rng.integers(0, n, 10))
        out["erase_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        best_path(H, *pairs[1])
        out["query_after_changes_s"] = time.perf_counter() - t0

    elif lib == "networkx":
        import networkx as nx

        out["import_s"] = time.perf_counter() - t_import
        t0 = time.perf_counter()
        H = nx.Graph()
        H.add_nodes_from(range(n))
        H.add_edges_from(
            (a, b, {"weight": x, "strength": y})
            for a, b, x, y in zip(u.tolist(), v.tolist(), w.tolist(), s.tolist(), strict=True)
        )
        out["build_s"] = time.perf_counter() - t0
        out["graph_mb"] = current_rss_mb() - base_rss

        def bp(a, b):
            try:
                return float(nx.bidirectional_dijkstra(H, a, b, weight="weight")[0])
            except nx.NetworkXNoPath:
                return None

        def kb(a, b):
            try:
                gen = nx.shortest_simple_paths(H, a, b, weight="weight")
                return [nx.path_weight(H, p, "weight") for p in itertools.islice(gen, 3)]
            except nx.NetworkXNoPath:
                return []

        def ego(a, r):
            d = nx.single_source_shortest_path_length(H, a, cutoff=r)
            return [sum(1 for x in d.values() if x == k) for k in range(1, r + 1)]

        record("bp", bp, pairs)
        record("k3", kb, pairs)
        record("ego2", lambda a: ego(a, 2), sources)
        record("ego3", lambda a: ego(a, 3), sources)

    elif lib == "networkit":
        import networkit as nk

        nk.engineering.setNumberOfThreads(1)
        out["import_s"] = time.perf_counter() - t_import
        t0 = time.perf_counter()
        H = nk.GraphFromCoo((w, (u, v)), n=n, weighted=True, directed=False)
        out["build_s"] = time.perf_counter() - t0
        out["graph_mb"] = current_rss_mb() - base_rss

        def bp(a, b):
            # storePred=False segfaults in networkit 11.2.2; the default stores them.
            d = nk.distance.BidirectionalDijkstra(H, a, b).run().getDistance()
            return None if d > 1e300 else float(d)

        record("bp", bp, pairs)

    elif lib == "igraph":
        import igraph as ig

        out["import_s"] = time.perf_counter() - t_import
        t0 = time.perf_counter()
        H = ig.Graph(n=n, edges=np.column_stack([u, v]), directed=False)
        H.es["weight"] = w
        out["build_s"] = time.perf_counter() - t0
        out["graph_mb"] = current_rss_mb() - base_rss

        def pw(p):
            return float(sum(H.es[H.get_eid(x, y)]["weight"] for x, y in itertools.pairwise(p)))

        def bp(a, b):
            p = H.get_shortest_path(a, b, weights="weight", output="vpath")
            return pw(p) if p else None

        def kb(a, b):
            ps = H.get_k_shortest_paths(a, b, k=3, weights="weight", output="vpath")
            return [pw(p) for p in ps if p]

        def ego(a, r):
            layers = [H.neighborhood(a, order=k, mindist=k) for k in range(1, r + 1)]
            return [len(x) for x in layers]

        record("bp", bp, pairs)
        record("k3", kb, pairs)
        record("ego2", lambda a: ego(a, 2), sources)
        record("ego3", lambda a: ego(a, 3), sources)
    else:
        raise SystemExit(f"unknown library {lib}")
    out["peak_rss_mb"] = rss_mb()
    return out


# ---------------------------------------------------------------------- driver
def run_worker(lib: str, path: Path, budget: float) -> dict | None:
    cmd = [sys.executable, __file__, "--worker", lib, "--data", str(path), "--budget", str(budget),
           "--min-pairs", str(MIN_PAIRS)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"  {lib} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def stats(times: list[float]) -> tuple[float, float]:
    a = np.array(times) * 1000
    return float(np.median(a)), float(np.percentile(a, 99))


def same(x, y) -> bool:
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x, list):
        return len(x) == len(y) and all(same(a, b) for a, b in zip(x, y, strict=True))
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


def check(ref: dict, other: dict) -> dict[str, str]:
    """Compare answers pair by pair; returns op -> 'equal' or a mismatch count."""
    notes = {}
    for op, res in other["ops"].items():
        pairs = list(zip(ref["ops"][op]["answers"], res["answers"], strict=False))
        bad = sum(not same(x, y) for x, y in pairs)
        notes[op] = "equal" if bad == 0 else f"{bad}/{len(pairs)} differ"
    return notes


def check_hop_limit(ref: dict) -> str:
    """bp4 must equal bp where the unlimited best path has <= 4 hops, else be >= it."""
    bad = 0
    for h, x, y in zip(ref["unlimited_hops"], ref["ops"]["bp"]["answers"],
                       ref["ops"]["bp4"]["answers"], strict=False):  # fmt: skip
        if h is None:
            bad += y is not None
        elif h <= 4:
            bad += y is None or not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
        else:
            bad += y is not None and y < x - 1e-12
    return "consistent" if bad == 0 else f"{bad} inconsistent"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--libs", default=",".join(LIBS))
    ap.add_argument("--mean-degree", type=float, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per library and op")
    ap.add_argument("--cache", default="/tmp/geflecht-bench")
    ap.add_argument("--out", default=None, help="write the markdown table here")
    ap.add_argument("--json", default=None, help="append raw results here")
    ap.add_argument("--min-pairs", type=int, default=10, help="pairs run despite the budget")
    ap.add_argument(
        "--merge", default=None, help="JSON from an earlier --json run: take libraries not run now"
    )
    ap.add_argument(
        "--render", default=None, help="only re-render the tables of an earlier --json file"
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    global MIN_PAIRS
    MIN_PAIRS = args.min_pairs

    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.data), args.budget)))
        return

    if args.render:
        lines = []
        for line in Path(args.render).read_text().splitlines():
            for entry in json.loads(line):
                lines += section(entry["n"], entry["gen_s"], entry["results"])
        print(header(args) + "\n".join(lines))
        return

    sizes = [int(x) for x in args.sizes.split(",")]
    libs = args.libs.split(",")
    lines = []
    # Measured at 100k nodes / 1M edges: 436 MB. Used when no smaller size ran first.
    nx_mb_per_edge = 436 / 1_000_000
    earlier = {}
    if args.merge:
        for line in Path(args.merge).read_text().splitlines():
            for entry in json.loads(line):
                earlier.setdefault(entry["n"], {}).update(entry["results"])
    all_results = []
    for n in sizes:
        t0 = time.perf_counter()
        path = dataset(n, args.seed, args.mean_degree, Path(args.cache))
        gen = float(np.load(path)["gen"])
        print(f"n={n}: data ready ({time.perf_counter() - t0:.1f} s, generated in {gen:.1f} s)",
              file=sys.stderr)  # fmt: skip
        results = {k: v for k, v in earlier.get(n, {}).items() if k not in libs}
        for lib in libs:
            m = len(np.load(path)["u"])
            too_big = nx_mb_per_edge and nx_mb_per_edge * m * 2**20 > NX_MEMORY_LIMIT
            if lib == "networkx" and too_big:
                est = nx_mb_per_edge * m / 1024
                print(f"  networkx skipped (would need ~{est:.0f} GB)", file=sys.stderr)
                results[lib] = {"skipped": f"skipped: would need ~{est:.0f} GB"}
                continue
            t1 = time.perf_counter()
            r = run_worker(lib, path, args.budget)
            if r is None:
                continue
            results[lib] = r
            if lib == "networkx":
                nx_mb_per_edge = r["graph_mb"] / r["m"]
            print(f"  {lib}: {time.perf_counter() - t1:.1f} s", file=sys.stderr)
        all_results.append({"n": n, "gen_s": gen, "results": results})
        lines += section(n, gen, results)
    if args.json:
        with open(args.json, "a") as fh:
            fh.write(json.dumps(all_results) + "\n")
    text = header(args) + "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


def header(args) -> str:
    import networkx

    try:
        import igraph
        import networkit

        versions = f"networkx {networkx.__version__}, networkit {networkit.__version__}, "
        versions += f"igraph {igraph.__version__}"
    except ImportError:
        versions = f"networkx {networkx.__version__}"
    try:
        import numba

        versions = f"numba {numba.__version__}, numpy {np.__version__}, " + versions
    except ImportError:
        pass
    cpu = platform.processor() or platform.machine()
    return (
        "## Graph engine benchmark\n\n"
        f"Measured with `bench/bench_graph.py --sizes {args.sizes}` on {os.cpu_count()} cores "
        f"({cpu}, Python {platform.python_version()}; {versions}). Synthetic social graphs "
        f"(`social_graph`, mean degree {args.mean_degree:g}, seed {args.seed}), 200 random pairs; "
        "each library in a fresh process, single-threaded; times in milliseconds "
        "(median / p99). Answers are checked equal to geflecht's (path weights, layer "
        "sizes).\n\n"
    )


def section(n: int, gen: float, results: dict) -> list[str]:
    ref = results.get("geflecht")
    m = ref["m"] if ref else next(r["m"] for r in results.values() if "m" in r)
    out = [f"### {n:,} nodes, {m:,} edges ({2 * m:,} arcs; generated in {gen:.1f} s)", ""]
    libs = [x for x in LIBS if x in results]
    out.append("| operation | " + " | ".join(libs) + " |")
    out.append("|---|" + "---|" * len(libs))
    notes = {
        lib: check(ref, r) for lib, r in results.items() if ref and "ops" in r and lib != "geflecht"
    }
    for op in OPS:
        cells = []
        for lib in libs:
            r = results[lib]
            if "ops" not in r or op not in r["ops"]:
                cells.append(r.get("skipped", "n/a") if "ops" not in r else "n/a")
                continue
            med, p99 = stats(r["ops"][op]["times"])
            cell = f"{med:.3g} / {p99:.3g}"
            done = len(r["ops"][op]["times"])
            if done < len(ref["ops"][op]["times"]) if ref else False:
                cell += f" ({done} pairs)"
            if lib != "geflecht" and ref:
                med_ref = stats(ref["ops"][op]["times"])[0]
                ratio = med / med_ref
                shown = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.2g}"
                cell += f" [{shown}x; {notes[lib][op]}]"
            cells.append(cell)
        out.append(f"| {OP_NAMES[op]} | " + " | ".join(cells) + " |")
    rows = [
        ("graph build (s)", "build_s", "{:.2f}"),
        ("graph memory (MB)", "graph_mb", "{:.0f}"),
        ("peak RSS of the process (MB)", "peak_rss_mb", "{:.0f}"),
        ("import (s)", "import_s", "{:.2f}"),
    ]
    for label, key, fmt in rows:
        cells = [fmt.format(results[lib][key]) if key in results[lib] else "" for lib in libs]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out.append("")
    if ref:
        out.append(
            f"geflecht: first query in a fresh process {ref['first_query_s'] * 1000:.0f} ms "
            "(numba kernels loaded from the on-disk cache); "
            f"`with_changes` with 300 upserts + 100 deletions {ref['changes_s'] * 1000:.1f} ms, "
            f"`remove_nodes` of 10 people {ref['erase_s'] * 1000:.1f} ms, first query on the "
            f"changed snapshot {ref['query_after_changes_s'] * 1000:.1f} ms; hop-limited answers "
            f"{check_hop_limit(ref)} with the unlimited ones. "
            "`[Nx]` = median time relative to geflecht."
        )
        out.append("")
    return out


if __name__ == "__main__":
    main()
