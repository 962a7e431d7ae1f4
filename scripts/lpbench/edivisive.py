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
computed from each point's count and sum of smaller earlier points: a bottom-up merge over
log2(n) levels, each grouping the points by block in rank order with one stable sort of small
integers (numpy's radix sort, linear), so O(n log n): a few milliseconds per split search over
a 5 000-run series. A shuffle of the permutation test moves each point's rank and its sum of
distances to all points with it (they depend on its value only), so only the order-dependent
sums are computed again, and no float sort. The permutation test stops as soon as the answer
cannot change any more (more than alpha (1 + R) - 1 shuffles already reached Q), which makes
the common case, no change, cheap."""
import math
from collections import namedtuple

import numpy as np

Change = namedtuple("Change", "index pvalue permutations before_median after_median before_n after_n stat")

_DIRECT_MAX = 128   # up to this the n x n distance matrix is the faster route (measured: 0.08 against
                    # 0.22 ms at 100 points, 0.68 against 0.49 ms at 200)
_DENSE = 32         # block size of the dense first step of _smaller_before


def _ranks(x):
    """(by_rank, rank): the indices of x in ascending order (ties in index order), and its inverse."""
    by_rank = np.argsort(x, kind="stable")
    rank = np.empty(len(x), dtype=np.int64)
    rank[by_rank] = np.arange(len(x))
    return by_rank, rank


def _sums_to_every(x, by_rank):
    """every[k] = sum over all i of |x_i - x_k|: a function of x_k's value only."""
    n = len(x)
    xs = x[by_rank]
    cs = np.cumsum(xs)
    j = np.arange(n)
    every = np.empty(n)
    every[by_rank] = xs * j - (cs - xs) + (cs[-1] - cs) - xs * (n - 1 - j)
    return every


def _smaller_before(x, by_rank, rank):
    """For each k: (number, sum) of the x_i with i < k and rank_i < rank_k."""
    n = len(x)
    # Pairs inside blocks of _DENSE points: one dense comparison, cheaper than five levels.
    m = -(-n // _DENSE) * _DENSE
    xr = np.zeros(m)
    xr[:n] = x
    rr = np.full(m, -1, dtype=np.int64)       # padding ranks below every real one: never "smaller"
    rr[:n] = rank
    xb, rb = xr.reshape(-1, _DENSE), rr.reshape(-1, _DENSE)
    earlier = np.tri(_DENSE, _DENSE, -1, dtype=bool)          # [k, i]: i < k
    smaller = ((rb[:, None, :] < rb[:, :, None]) & earlier & (rb[:, None, :] >= 0)).astype(float)
    cnt = smaller.sum(axis=2).reshape(-1)[:n]
    sm = np.matmul(smaller, xb[:, :, None]).reshape(-1)[:n]
    xs = x[by_rank]
    width = _DENSE
    # Every pair i < k is split by exactly one level: i in the left half, k in the right half
    # of the same block of 2 * width. Per level, the points are grouped by block keeping rank
    # order inside each block: a stable sort of the block numbers taken in rank order (small
    # integers: numpy's radix sort, linear). Block b then starts at b * 2 * width, and the
    # running count and sum of its left-half points give each right-half point its pairs.
    while width < n:
        shift = (2 * width).bit_length() - 1
        g = np.argsort((by_rank >> shift).astype(np.int16 if (n >> shift) < 32767 else np.int32), kind="stable")
        order = by_rank[g]
        left = ((order >> (shift - 1)) & 1) == 0
        cl = np.cumsum(left)
        sl = np.cumsum(np.where(left, xs[g], 0.0))
        ends = np.arange(2 * width, n, 2 * width) - 1           # last position of each block but the last
        base_c = np.repeat(np.concatenate(([0], cl[ends])), 2 * width)[:n]
        base_s = np.repeat(np.concatenate(([0.0], sl[ends])), 2 * width)[:n]
        right = ~left
        tgt = order[right]
        cnt[tgt] += (cl - base_c)[right]
        sm[tgt] += (sl - base_s)[right]
        width *= 2
    return cnt, sm


def _prefix_suffix_sums(x, by_rank=None, rank=None, every=None):
    """(before, after): before[k] = sum_{i<k} |x_i - x_k|, after[i] = sum_{k>i} |x_i - x_k|.
    by_rank, rank (see _ranks) and every (see _sums_to_every) may be given when known: a
    shuffle of a segment moves them with its points instead of sorting again."""
    n = len(x)
    if n <= _DIRECT_MAX:
        d = np.abs(x[:, None] - x[None, :])
        upper = np.triu(d, 1)
        return upper.sum(axis=0), upper.sum(axis=1)
    if by_rank is None:
        by_rank, rank = _ranks(x)
    if every is None:
        every = _sums_to_every(x, by_rank)
    cnt, sm = _smaller_before(x, by_rank, rank)
    k = np.arange(n)
    prefix = np.concatenate(([0.0], np.cumsum(x)[:-1]))
    before = x * cnt - sm + (prefix - sm) - x * (k - cnt)
    return before, every - before


def _split_q(before, after, min_size):
    """Q(tau) for tau = min_size .. n - min_size from the pairwise sums."""
    n = len(before)
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


def split_stats(x, min_size):
    """Q(tau) for tau = min_size .. n - min_size (as an array indexed from min_size), or None."""
    x = np.asarray(x, dtype=float)
    if len(x) < 2 * min_size:
        return None
    return _split_q(*_prefix_suffix_sums(x), min_size)


def _best(q, min_size):
    if q is None or len(q) == 0:
        return None, -math.inf
    i = int(np.argmax(q))
    return i + min_size, float(q[i])


class _Shuffled:
    """A segment for the permutation test. Shuffling it shuffles an index permutation (numpy's
    shuffle draws the same swaps for any array of the same length, so the sequence of
    permutations is the one a shuffle of the values would give); the ranks and the sums over
    all points then move with the points, and only what depends on their order is recomputed."""

    def __init__(self, x):
        self.x = np.array(x, dtype=float)
        self.perm = np.arange(len(self.x))
        if len(self.x) > _DIRECT_MAX:
            self.by_rank, self.rank = _ranks(self.x)
            self.every = _sums_to_every(self.x, self.by_rank)

    def shuffle_stat(self, rng, min_size):
        rng.shuffle(self.perm)
        x = self.x[self.perm]
        if len(x) <= _DIRECT_MAX:
            return _best(_split_q(*_prefix_suffix_sums(x), min_size), min_size)[1]
        inverse = np.empty_like(self.perm)
        inverse[self.perm] = np.arange(len(x))
        sums = _prefix_suffix_sums(x, inverse[self.by_rank], self.rank[self.perm], self.every[self.perm])
        return _best(_split_q(*sums, min_size), min_size)[1]


def best_split(x, min_size):
    return _best(split_stats(x, min_size), min_size)


def permutation_pvalue(segments, observed, min_size, permutations, alpha, rng):
    """(p, shuffles run) for the largest best-split statistic over `segments` (arrays): each
    shuffle permutes every segment on its own, as in Matteson & James, so picking the best of
    several segments is part of what the test accounts for. Stops early once p can no longer
    fall to alpha or below."""
    segs = [_Shuffled(s) for s in segments if len(s) >= 2 * min_size]
    give_up = 0   # fewest hits that make p > alpha whatever the remaining shuffles give
    while (1.0 + give_up) / (1.0 + permutations) <= alpha:
        give_up += 1
    hits = 0
    for r in range(permutations):
        best = -math.inf
        for seg in segs:
            best = max(best, seg.shuffle_stat(rng, min_size))
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
