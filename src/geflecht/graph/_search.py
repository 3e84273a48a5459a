"""Compiled search kernels shared by paths, neighbourhoods and risk.

Private module. The kernels work on the snapshot's raw arrays and on the per-thread
workspace (see ``snapshot._Workspace``): every array of length n they write to is
restored by :func:`reset` before the public function returns, so a query costs time
proportional to what it explores, not to n.

Conventions shared by all kernels:

- ``blocked[v] != 0``: v may never be entered (``avoid=``, Yen's root nodes);
- ``allow``: boolean mask of traversable nodes, or an empty array meaning all nodes;
- ``first_mode``: 0 no constraint on the first arc; 1 the first arc must end in a node
  with ``first[v] != 0``; 2 it must not (Yen's banned spur arcs);
- arcs with ``strength < min_s`` are skipped.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit

INF = np.inf


@njit
def _grow_i64(a, need):
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), dtype=np.int64)
    b[: a.shape[0]] = a
    return b


@njit
def _grow_f64(a, need):
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), dtype=np.float64)
    b[: a.shape[0]] = a
    return b


@njit
def _ok(v, blocked, allow):
    if blocked[v] != 0:
        return False
    return allow.shape[0] == 0 or allow[v]


@njit
def layered(
    start, end, indices, strength, weight,
    seeds, hops, min_s, blocked, allow, first, first_mode, stop, skip,
    dist, entry, layer, reach, keep_log=True,
):  # fmt: skip
    """Hop-layered Bellman-Ford from ``seeds`` (distance 0) for ``hops`` layers.

    After layer h, ``dist[v]`` is the least weight of a walk of at most h arcs. Each
    improvement appends a log record ``(node, parent record, dist)``, so the walk that
    produced a value can be rebuilt even after the node improves again in a later
    layer with more arcs; ``entry[v]`` is the record of v's current value. ``reach[v]``
    is the layer in which v was first reached (its BFS hop distance). ``stop`` is a node
    that may be reached but not expanded, ``skip`` one that may not be entered (-1: none).
    With ``keep_log=False`` no records are written (distances and reach only).

    Returns ``(log_node, log_parent, log_dist, nlog, touched, ntouched)``; touched holds
    every node whose ``dist`` was set, for the meet step and for :func:`reset`.
    """
    n = dist.shape[0]
    cap = 256
    log_node = np.empty(cap, np.int64)
    log_parent = np.empty(cap, np.int64)
    log_dist = np.empty(cap, np.float64)
    nlog = 0
    # np.empty of length n costs no time until pages are touched, and a node enters
    # each of these at most once, so no bounds checks or growth are needed.
    touched = np.empty(n, np.int64)
    ntouched = 0
    f_node = np.empty(n, np.int64)
    f_entry = np.empty(n, np.int64)
    f_dist = np.empty(n, np.float64)
    nxt = np.empty(n, np.int64)
    nf = 0
    for i in range(seeds.shape[0]):
        s = seeds[i]
        if dist[s] == INF:
            dist[s] = 0.0
            if keep_log:
                if nlog + 1 > log_node.shape[0]:
                    log_node = _grow_i64(log_node, nlog + 1)
                    log_parent = _grow_i64(log_parent, nlog + 1)
                    log_dist = _grow_f64(log_dist, nlog + 1)
                log_node[nlog] = s
                log_parent[nlog] = -1
                log_dist[nlog] = 0.0
                entry[s] = nlog
                nlog += 1
            touched[ntouched] = s
            ntouched += 1
            reach[s] = 0
            f_node[nf] = s
            f_entry[nf] = entry[s]
            f_dist[nf] = 0.0
            nf += 1
    for h in range(1, hops + 1):
        nn = 0
        last = h == hops
        for fi in range(nf):
            u = f_node[fi]
            if u == stop:
                continue
            du = f_dist[fi]
            eu = f_entry[fi]
            for a in range(start[u], end[u]):
                if min_s > 0.0 and strength[a] < min_s:
                    continue
                v = indices[a]
                nd = du + weight[a]
                if nd >= dist[v]:
                    continue  # the common case: cheapest test first
                if v == skip or not _ok(v, blocked, allow):
                    continue
                if h == 1 and first_mode != 0:
                    if first_mode == 1 and first[v] == 0:
                        continue
                    if first_mode == 2 and first[v] != 0:
                        continue
                if dist[v] == INF:
                    touched[ntouched] = v
                    ntouched += 1
                    reach[v] = h
                dist[v] = nd
                if keep_log:
                    if nlog + 1 > log_node.shape[0]:
                        log_node = _grow_i64(log_node, nlog + 1)
                        log_parent = _grow_i64(log_parent, nlog + 1)
                        log_dist = _grow_f64(log_dist, nlog + 1)
                    log_node[nlog] = v
                    log_parent[nlog] = eu
                    log_dist[nlog] = nd
                    entry[v] = nlog
                    nlog += 1
                if not last and layer[v] != h:
                    layer[v] = h
                    nxt[nn] = v
                    nn += 1
        if nn == 0:
            break
        # The next layer expands the values as they stand at the end of this one;
        # snapshotting them keeps a node improved later in the same layer from being
        # expanded with one arc too many.
        for i in range(nn):
            v = nxt[i]
            f_node[i] = v
            f_entry[i] = entry[v]
            f_dist[i] = dist[v]
        nf = nn
    return log_node, log_parent, log_dist, nlog, touched, ntouched


@njit
def pull(
    start, end, indices, strength, weight, targets, min_s, blocked, allow,
    dist, entry, log_node, log_parent, log_dist, nlog,
):  # fmt: skip
    """One more layer, evaluated only at ``targets`` (undirected: in-arcs = out-arcs).

    Used as the last layer of a multi-source hop-limited search: relaxing every arc of
    the frontier would touch a large part of a big graph, while the targets' own rows
    are small. Returns per target its best ``(dist, record)`` and the extended log.
    """
    nt = targets.shape[0]
    out_d = np.full(nt, INF)
    out_e = np.full(nt, -1, np.int64)
    for i in range(nt):
        t = targets[i]
        best = dist[t]
        best_e = entry[t]
        parent = -1
        for a in range(start[t], end[t]):
            if min_s > 0.0 and strength[a] < min_s:
                continue
            u = indices[a]
            du = dist[u]
            if du == INF or not _ok(u, blocked, allow):
                continue
            nd = du + weight[a]
            if nd < best:
                best = nd
                parent = entry[u]
        if parent >= 0:
            if nlog + 1 > log_node.shape[0]:
                log_node = _grow_i64(log_node, nlog + 1)
                log_parent = _grow_i64(log_parent, nlog + 1)
                log_dist = _grow_f64(log_dist, nlog + 1)
            log_node[nlog] = t
            log_parent[nlog] = parent
            log_dist[nlog] = best
            best_e = nlog
            nlog += 1
        out_d[i] = best
        out_e[i] = best_e
    return out_d, out_e, log_node, log_parent, log_dist, nlog


@njit
def reset(touched, ntouched, dist, entry, layer, reach):
    for i in range(ntouched):
        v = touched[i]
        dist[v] = INF
        entry[v] = -1
        layer[v] = -1
        reach[v] = -1


# ---------------------------------------------------------------------- Dijkstra
@njit
def _heap_push(keys, vals, size, k, v):
    if size + 1 > keys.shape[0]:
        keys = _grow_f64(keys, size + 1)
        vals = _grow_i64(vals, size + 1)
    i = size
    keys[i] = k
    vals[i] = v
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= k:
            break
        keys[i] = keys[p]
        vals[i] = vals[p]
        i = p
    keys[i] = k
    vals[i] = v
    return keys, vals, size + 1


@njit
def _heap_pop(keys, vals, size):
    k0 = keys[0]
    v0 = vals[0]
    size -= 1
    if size > 0:
        k = keys[size]
        v = vals[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and keys[c + 1] < keys[c]:
                c += 1
            if keys[c] >= k:
                break
            keys[i] = keys[c]
            vals[i] = vals[c]
            i = c
        keys[i] = k
        vals[i] = v
    return k0, v0, size


@njit
def bidijkstra(
    start, end, indices, strength, weight, s, t, min_s, blocked, allow, first, first_mode,
    dist_f, dist_b, pred_f, pred_b, done_f, done_b,
):  # fmt: skip
    """Bidirectional Dijkstra from s to t with bans and a first-arc constraint.

    The backward search never enters s, so every path it finds leaves s exactly once
    through an arc the forward search vetted; arcs into s met by the backward search are
    only used to close a candidate path (checking the first-arc rule). Stops when the
    two heap minima sum to at least the best candidate, which is exact for non-negative
    weights (Pohl 1971; see Goldberg and Harrelson 2005 for the stopping rule). Labels
    that cannot beat the best candidate even at the other side's radius are not pushed.

    Returns ``(mu, u, v, touched, ntouched)``: best weight and the arc (u, v) joining the
    forward tree (u) to the backward tree (v); ``u == -1`` when no path exists.
    """
    kf = np.empty(64, np.float64)
    vf = np.empty(64, np.int64)
    kb = np.empty(64, np.float64)
    vb = np.empty(64, np.int64)
    nfh = 0
    nbh = 0
    touched = np.empty(dist_f.shape[0], np.int64)  # free until touched; no growth checks
    nt = 0
    dist_f[s] = 0.0
    touched[nt] = s
    nt += 1
    kf, vf, nfh = _heap_push(kf, vf, nfh, 0.0, s)
    dist_b[t] = 0.0
    touched[nt] = t
    nt += 1
    kb, vb, nbh = _heap_push(kb, vb, nbh, 0.0, t)
    mu = INF
    mu_u = -1
    mu_v = -1
    while nfh > 0 or nbh > 0:
        # Drop stale heap entries so the minima below are real labels.
        while nfh > 0 and (done_f[vf[0]] != 0 or kf[0] > dist_f[vf[0]]):
            _, _, nfh = _heap_pop(kf, vf, nfh)
        while nbh > 0 and (done_b[vb[0]] != 0 or kb[0] > dist_b[vb[0]]):
            _, _, nbh = _heap_pop(kb, vb, nbh)
        top_f = kf[0] if nfh > 0 else INF
        top_b = kb[0] if nbh > 0 else INF
        if top_f + top_b >= mu or (nfh == 0 and nbh == 0):
            break
        if nfh > 0 and (nbh == 0 or nfh <= nbh):
            du, u, nfh = _heap_pop(kf, vf, nfh)
            done_f[u] = 1
            if u == t:
                continue
            for a in range(start[u], end[u]):
                if min_s > 0.0 and strength[a] < min_s:
                    continue
                v = indices[a]
                if v == s or not _ok(v, blocked, allow):
                    continue
                if u == s and first_mode != 0:
                    if first_mode == 1 and first[v] == 0:
                        continue
                    if first_mode == 2 and first[v] != 0:
                        continue
                nd = du + weight[a]
                if dist_b[v] < INF and nd + dist_b[v] < mu:
                    mu = nd + dist_b[v]
                    mu_u = u
                    mu_v = v
                # A node the backward search has not settled is at least top_b from
                # t, so a label with nd + top_b >= mu can never improve on mu: skip
                # it (pruned bidirectional Dijkstra; cuts most late heap pushes).
                if done_b[v] == 0 and nd + top_b >= mu:
                    continue
                if nd < dist_f[v]:
                    if dist_f[v] == INF and dist_b[v] == INF:
                        touched[nt] = v
                        nt += 1
                    dist_f[v] = nd
                    pred_f[v] = u
                    kf, vf, nfh = _heap_push(kf, vf, nfh, nd, v)
        else:
            dv, v, nbh = _heap_pop(kb, vb, nbh)
            done_b[v] = 1
            for a in range(start[v], end[v]):
                if min_s > 0.0 and strength[a] < min_s:
                    continue
                u = indices[a]
                if u == s:
                    ok = True
                    if first_mode == 1 and first[v] == 0:
                        ok = False
                    if first_mode == 2 and first[v] != 0:
                        ok = False
                    if ok and weight[a] + dv < mu:
                        mu = weight[a] + dv
                        mu_u = s
                        mu_v = v
                    continue
                if not _ok(u, blocked, allow):
                    continue
                nd = dv + weight[a]
                if dist_f[u] < INF and dist_f[u] + nd < mu:
                    mu = dist_f[u] + nd
                    mu_u = u
                    mu_v = v
                if done_f[u] == 0 and nd + top_f >= mu:
                    continue
                if nd < dist_b[u]:
                    if dist_f[u] == INF and dist_b[u] == INF:
                        touched[nt] = u
                        nt += 1
                    dist_b[u] = nd
                    pred_b[u] = v
                    kb, vb, nbh = _heap_push(kb, vb, nbh, nd, u)
    return mu, mu_u, mu_v, touched, nt


@njit
def multi_dijkstra(
    start, end, indices, strength, weight, seeds, targets, min_s, blocked, allow,
    dist, pred, done, flag,
):  # fmt: skip
    """Multi-source Dijkstra that stops once every target is settled.

    ``flag`` marks the targets (set by the caller). Returns ``(touched, ntouched)``.
    """
    keys = np.empty(64, np.float64)
    vals = np.empty(64, np.int64)
    nh = 0
    touched = np.empty(64, np.int64)
    nt = 0
    for i in range(seeds.shape[0]):
        s = seeds[i]
        if dist[s] != 0.0:
            dist[s] = 0.0
            pred[s] = -1
            touched = _grow_i64(touched, nt + 1)
            touched[nt] = s
            nt += 1
            keys, vals, nh = _heap_push(keys, vals, nh, 0.0, s)
    remaining = 0
    for i in range(targets.shape[0]):
        if flag[targets[i]] == 1:
            remaining += 1
    while nh > 0 and remaining > 0:
        du, u, nh = _heap_pop(keys, vals, nh)
        if done[u] != 0 or du > dist[u]:
            continue
        done[u] = 1
        if flag[u] == 1:
            remaining -= 1
        for a in range(start[u], end[u]):
            if min_s > 0.0 and strength[a] < min_s:
                continue
            v = indices[a]
            if not _ok(v, blocked, allow):
                continue
            nd = du + weight[a]
            if nd < dist[v]:
                if dist[v] == INF:
                    touched = _grow_i64(touched, nt + 1)
                    touched[nt] = v
                    nt += 1
                dist[v] = nd
                pred[v] = u
                keys, vals, nh = _heap_push(keys, vals, nh, nd, v)
    return touched, nt


@njit
def reset_dijkstra(touched, nt, dist_f, dist_b, pred_f, pred_b, done_f, done_b):
    for i in range(nt):
        v = touched[i]
        dist_f[v] = INF
        dist_b[v] = INF
        pred_f[v] = -1
        pred_b[v] = -1
        done_f[v] = 0
        done_b[v] = 0


# ---------------------------------------------------------------------- one-call queries
@njit
def _expand(
    start, end, indices, strength, weight, f_node, f_entry, f_dist, nf, first_layer,
    min_s, blocked, allow, first, first_mode, stop, skip, mu, other,
    dist, entry, layer, h, touched, nt, log_node, log_parent, log_dist, nlog, nxt,
):  # fmt: skip
    """One layer of :func:`hop_path` for one side; see :func:`layered` for the idea.

    ``other`` is the opposite side's distance array: a node reached by both closes a
    candidate path, and nothing at or above the best candidate ``mu`` is expanded.
    """
    nn = 0
    mu_x = -1
    for fi in range(nf):
        u = f_node[fi]
        du = f_dist[fi]
        if u == stop or du >= mu:
            continue
        eu = f_entry[fi]
        for a in range(start[u], end[u]):
            if min_s > 0.0 and strength[a] < min_s:
                continue
            v = indices[a]
            nd = du + weight[a]
            if nd >= dist[v] or nd >= mu:
                continue
            if v == skip or not _ok(v, blocked, allow):
                continue
            if first_layer and first_mode != 0:
                if first_mode == 1 and first[v] == 0:
                    continue
                if first_mode == 2 and first[v] != 0:
                    continue
            if dist[v] == INF:
                touched[nt] = v
                nt += 1
            dist[v] = nd
            if nlog + 1 > log_node.shape[0]:
                log_node = _grow_i64(log_node, nlog + 1)
                log_parent = _grow_i64(log_parent, nlog + 1)
                log_dist = _grow_f64(log_dist, nlog + 1)
            log_node[nlog] = v
            log_parent[nlog] = eu
            log_dist[nlog] = nd
            entry[v] = nlog
            nlog += 1
            if nd + other[v] < mu:
                mu = nd + other[v]
                mu_x = v
            if layer[v] != h:
                layer[v] = h
                nxt[nn] = v
                nn += 1
    cost = 0
    for i in range(nn):
        v = nxt[i]
        layer[v] = -1
        f_node[i] = v
        f_entry[i] = entry[v]
        f_dist[i] = dist[v]
        cost += end[v] - start[v]
    return nn, cost, mu, mu_x, nt, log_node, log_parent, log_dist, nlog


@njit
def hop_path(
    start, end, indices, strength, weight, s, t, hops, min_s, blocked, allow, first,
    first_mode, dist_f, dist_b, entry_f, entry_b, layer_f, layer_b,
):  # fmt: skip
    """Best s-t walk of at most ``hops`` arcs; returns ``(weight, walk)``.

    Bidirectional hop-layered Bellman-Ford. Any path of at most H arcs splits into a
    prefix of at most ``hf`` arcs and a suffix of at most ``hb`` arcs whenever
    ``hf + hb = H`` and ``hf >= 1``, so the split is free: after the first forward
    layer each layer goes to the side whose frontier has fewer arcs to scan (a hub
    on one side is then expanded as late as possible). The best candidate so far
    prunes both sides (weights are non-negative). The workspace is reset on return;
    an empty walk means no path.
    """
    n = dist_f.shape[0]
    fa_node = np.empty(n, np.int64)
    fa_entry = np.empty(n, np.int64)
    fa_dist = np.empty(n, np.float64)
    fb_node = np.empty(n, np.int64)
    fb_entry = np.empty(n, np.int64)
    fb_dist = np.empty(n, np.float64)
    nxt = np.empty(n, np.int64)
    touched_f = np.empty(n, np.int64)
    touched_b = np.empty(n, np.int64)
    lf_node = np.empty(256, np.int64)
    lf_parent = np.empty(256, np.int64)
    lf_dist = np.empty(256, np.float64)
    lb_node = np.empty(256, np.int64)
    lb_parent = np.empty(256, np.int64)
    lb_dist = np.empty(256, np.float64)
    dist_f[s] = 0.0
    entry_f[s] = 0
    lf_node[0] = s
    lf_parent[0] = -1
    lf_dist[0] = 0.0
    nlf = 1
    touched_f[0] = s
    ntf = 1
    fa_node[0] = s
    fa_entry[0] = 0
    fa_dist[0] = 0.0
    nfa = 1
    dist_b[t] = 0.0
    entry_b[t] = 0
    lb_node[0] = t
    lb_parent[0] = -1
    lb_dist[0] = 0.0
    nlb = 1
    touched_b[0] = t
    ntb = 1
    fb_node[0] = t
    fb_entry[0] = 0
    fb_dist[0] = 0.0
    nfb = 1
    cost_a = 0
    cost_b = end[t] - start[t]
    mu = INF
    mu_x = -1
    hf = 0
    hb = 0
    while hf + hb < hops:
        forward = hf == 0 or nfb == 0 or (nfa > 0 and cost_a <= cost_b)
        if nfa == 0 and nfb == 0:
            break
        if forward:
            hf += 1
            nfa, cost_a, mu, x, ntf, lf_node, lf_parent, lf_dist, nlf = _expand(
                start,
                end,
                indices,
                strength,
                weight,
                fa_node,
                fa_entry,
                fa_dist,
                nfa,
                hf == 1,
                min_s,
                blocked,
                allow,
                first,
                first_mode,
                t,
                -1,
                mu,
                dist_b,
                dist_f,
                entry_f,
                layer_f,
                hf,
                touched_f,
                ntf,
                lf_node,
                lf_parent,
                lf_dist,
                nlf,
                nxt,
            )
        else:
            hb += 1
            nfb, cost_b, mu, x, ntb, lb_node, lb_parent, lb_dist, nlb = _expand(
                start,
                end,
                indices,
                strength,
                weight,
                fb_node,
                fb_entry,
                fb_dist,
                nfb,
                False,
                min_s,
                blocked,
                allow,
                first,
                0,
                -1,
                s,
                mu,
                dist_f,
                dist_b,
                entry_b,
                layer_b,
                hb,
                touched_b,
                ntb,
                lb_node,
                lb_parent,
                lb_dist,
                nlb,
                nxt,
            )
        if x >= 0:
            mu_x = x
    walk = np.empty(0, np.int64)
    if mu_x >= 0:
        kf = 0
        e = entry_f[mu_x]
        while e >= 0:
            kf += 1
            e = lf_parent[e]
        kb = 0
        e = entry_b[mu_x]
        while e >= 0:
            kb += 1
            e = lb_parent[e]
        walk = np.empty(kf + kb - 1, np.int64)
        e = entry_f[mu_x]
        i = kf - 1
        while e >= 0:
            walk[i] = lf_node[e]
            i -= 1
            e = lf_parent[e]
        e = lb_parent[entry_b[mu_x]]
        i = kf
        while e >= 0:
            walk[i] = lb_node[e]
            i += 1
            e = lb_parent[e]
    for i in range(ntf):
        v = touched_f[i]
        dist_f[v] = INF
        entry_f[v] = -1
    for i in range(ntb):
        v = touched_b[i]
        dist_b[v] = INF
        entry_b[v] = -1
    return mu, walk


@njit
def dijkstra_path(
    start, end, indices, strength, weight, s, t, min_s, blocked, allow, first, first_mode,
    dist_f, dist_b, pred_f, pred_b, done_f, done_b,
):  # fmt: skip
    """:func:`bidijkstra`, the walk rebuilt and the workspace reset, in one call."""
    mu, u, v, touched, nt = bidijkstra(
        start,
        end,
        indices,
        strength,
        weight,
        s,
        t,
        min_s,
        blocked,
        allow,
        first,
        first_mode,
        dist_f,
        dist_b,
        pred_f,
        pred_b,
        done_f,
        done_b,
    )
    walk = np.empty(0, np.int64)
    if u >= 0:
        kf = 0
        x = u
        while x >= 0:
            kf += 1
            x = pred_f[x]
        kb = 0
        x = v
        while x >= 0:
            kb += 1
            x = pred_b[x]
        walk = np.empty(kf + kb, np.int64)
        x = u
        i = kf - 1
        while x >= 0:
            walk[i] = x
            i -= 1
            x = pred_f[x]
        x = v
        i = kf
        while x >= 0:
            walk[i] = x
            i += 1
            x = pred_b[x]
    reset_dijkstra(touched, nt, dist_f, dist_b, pred_f, pred_b, done_f, done_b)
    return mu, walk
