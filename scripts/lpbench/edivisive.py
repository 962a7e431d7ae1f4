"""Change points in a series with E-Divisive means (Matteson & James, "A Nonparametric Approach
for Multiple Change Point Analysis of Multivariate Data", JASA 2014), the method behind
MongoDB's performance change detection and Hunter/Otava.

For a segment x[0:n] and a split tau, the energy statistic (alpha = 1, univariate)

    Q(tau) = tau (n - tau) / n * ( 2/(tau (n - tau)) sum_{i<tau<=j} |x_i - x_j|
                                   - 1/C(tau, 2)       sum_{i<k<tau}   |x_i - x_k|
                                   - 1/C(n - tau, 2)   sum_{tau<=j<k}  |x_j - x_k| )

grows when the two sides differ in location or spread. Binary segmentation: take the segment
whose best split has the largest Q, and accept that split if a permutation test says so
(shuffle every segment on its own, recompute the largest best Q; p = (1 + #shuffles at least
as large) / (1 + shuffles)); stop at the first split the test rejects. No normality is assumed, and one outlier
moves Q little: a split must put whole groups of points apart.

All Q(tau) of a segment come from the pairwise sums within prefixes and suffixes, which are
computed from each point's count and sum of smaller earlier points: O(n log^2 n) with numpy,
so a 5 000-run series costs milliseconds per evaluation. The permutation test stops as soon
as the answer cannot change any more (more than alpha (1 + R) - 1 shuffles already reached
Q), which makes the common case, no change, cheap."""
import math
from collections import namedtuple

import numpy as np

Change = namedtuple("Change", "index pvalue permutations before_median after_median before_n after_n stat")

_DIRECT_MAX = 400   # below this the n x n distance matrix is the faster route
_DENSE = 32         # block size of the dense first step of _smaller_before


def _smaller_before(x):
    """For each k: (number, sum) of the x_i with i < k and x_i < x_k (ties in rank order)."""
    n = len(x)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(x, kind="stable")] = np.arange(n)
    # Pairs inside blocks of _DENSE points: one dense comparison, cheaper than five levels.
    m = -(-n // _DENSE) * _DENSE
    xr = np.zeros(m)
    xr[:n] = x
    rr = np.full(m, -1, dtype=np.int64)       # padding ranks below every real one: never "smaller"
    rr[:n] = rank
    xb, rb = xr.reshape(-1, _DENSE), rr.reshape(-1, _DENSE)
    earlier = np.tri(_DENSE, _DENSE, -1, dtype=bool)          # [k, i]: i < k
    smaller = (rb[:, None, :] < rb[:, :, None]) & earlier & (rb[:, None, :] >= 0)
    cnt = smaller.sum(axis=2).reshape(-1)[:n].astype(float)
    sm = np.einsum("bki,bi->bk", smaller, xb).reshape(-1)[:n]
    idx = np.arange(n)
    width = _DENSE
    # Every pair i < k is split by exactly one level: i in the left half, k in the right half
    # of the same block of 2 * width. Per level, sort by (block, value) and count left points.
    while width < n:
        block = idx // (2 * width)
        right = (idx // width) % 2 == 1
        order = np.argsort(block * n + rank, kind="stable")
        left_sorted = ~right[order]
        cl = np.cumsum(left_sorted)
        sl = np.cumsum(np.where(left_sorted, x[order], 0.0))
        bs = block[order]
        first = np.searchsorted(bs, bs, side="left")
        base_c = np.where(first > 0, cl[first - 1], 0)
        base_s = np.where(first > 0, sl[first - 1], 0.0)
        rs = ~left_sorted
        tgt = order[rs]
        cnt[tgt] += (cl - base_c)[rs]
        sm[tgt] += (sl - base_s)[rs]
        width *= 2
    return cnt, sm


def _prefix_suffix_sums(x):
    """(before, after): before[k] = sum_{i<k} |x_i - x_k|, after[i] = sum_{k>i} |x_i - x_k|."""
    n = len(x)
    if n <= _DIRECT_MAX:
        d = np.abs(x[:, None] - x[None, :])
        upper = np.triu(d, 1)
        return upper.sum(axis=0), upper.sum(axis=1)
    cnt, sm = _smaller_before(x)
    k = np.arange(n)
    prefix = np.concatenate(([0.0], np.cumsum(x)[:-1]))
    before = x * cnt - sm + (prefix - sm) - x * (k - cnt)
    # Sum over all points, from the sorted order.
    order = np.argsort(x, kind="stable")
    xs = x[order]
    cs = np.cumsum(xs)
    total = cs[-1]
    j = np.arange(n)
    all_sorted = xs * j - (cs - xs) + (total - cs) - xs * (n - 1 - j)
    every = np.empty(n)
    every[order] = all_sorted
    return before, every - before


def split_stats(x, min_size):
    """Q(tau) for tau = min_size .. n - min_size (as an array indexed from min_size), or None."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 2 * min_size:
        return None
    before, after = _prefix_suffix_sums(x)
    wp = np.concatenate(([0.0], np.cumsum(before)))            # within x[0:tau]
    ws = np.concatenate((np.cumsum(after[::-1])[::-1], [0.0]))  # within x[tau:n]
    total = wp[n]
    tau = np.arange(min_size, n - min_size + 1, dtype=float)
    t = tau.astype(int)
    cross = total - wp[t] - ws[t]
    m = n - tau
    within_l = np.where(tau > 1, wp[t] / np.maximum(tau * (tau - 1) / 2.0, 1.0), 0.0)
    within_r = np.where(m > 1, ws[t] / np.maximum(m * (m - 1) / 2.0, 1.0), 0.0)
    return tau * m / n * (2.0 * cross / (tau * m) - within_l - within_r)


def best_split(x, min_size):
    q = split_stats(x, min_size)
    if q is None or len(q) == 0:
        return None, -math.inf
    i = int(np.argmax(q))
    return i + min_size, float(q[i])


def permutation_pvalue(segments, observed, min_size, permutations, alpha, rng):
    """(p, shuffles run) for the largest best-split statistic over `segments` (arrays): each
    shuffle permutes every segment on its own, as in Matteson & James, so picking the best of
    several segments is part of what the test accounts for. Stops early once p can no longer
    fall to alpha or below."""
    segs = [np.array(s, dtype=float) for s in segments if len(s) >= 2 * min_size]
    give_up = 0   # fewest hits that make p > alpha whatever the remaining shuffles give
    while (1.0 + give_up) / (1.0 + permutations) <= alpha:
        give_up += 1
    hits = 0
    for r in range(permutations):
        best = -math.inf
        for x in segs:
            rng.shuffle(x)
            best = max(best, best_split(x, min_size)[1])
        if best >= observed * (1.0 - 1e-12):
            hits += 1
            if hits >= give_up:
                return (1.0 + hits) / (1.0 + r + 1), r + 1
    return (1.0 + hits) / (1.0 + permutations), permutations


def change_points(values, alpha=0.05, permutations=99, min_size=3, seed=1):
    """E-Divisive means over one series. Returns [Change], sorted by index; Change.index is the
    first point after the change. Points with NaN are not allowed."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise ValueError("change_points wants a 1-D series of finite numbers")
    if min_size < 2:
        raise ValueError("min_size must be at least 2 (a side of one point has no within-distance)")
    rng = np.random.default_rng(seed)
    cuts = [0, len(x)]
    found = {}
    cache = {}
    while True:
        best = None
        for a, b in zip(cuts[:-1], cuts[1:]):
            if (a, b) not in cache:
                cache[(a, b)] = best_split(x[a:b], min_size)
            tau, q = cache[(a, b)]
            if tau is not None and (best is None or q > best[3]):
                best = (a, b, a + tau, q)
        if best is None:
            break
        a, b, at, q = best
        p, used = permutation_pvalue([x[lo:hi] for lo, hi in zip(cuts[:-1], cuts[1:])], q, min_size,
                                     permutations, alpha, rng)
        if p > alpha:
            break
        found[at] = (p, used, q)
        cuts = sorted(cuts + [at])
    out = []
    for i, at in enumerate(sorted(found)):
        lo = ([0] + sorted(found))[i]
        hi = (sorted(found) + [len(x)])[i + 1]
        p, used, q = found[at]
        out.append(Change(at, p, used, float(np.median(x[lo:at])), float(np.median(x[at:hi])),
                          at - lo, hi - at, q))
    return out
