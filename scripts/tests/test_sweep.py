"""Tuning sweep analysis: grid extraction, tolerance, the smallest qualifying configuration,
heatmap drawing."""
import math
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import synth  # noqa: E402
from lpbench import results, sweep  # noqa: E402


def sweep_run(model):
    """model(slots, waiters, threads) -> (ops_per_s, p999_ns); one repetition each."""
    rows = []
    for t in (8, 32):
        for s in (1, 2, 4, 8):
            for w in (4, 16, 64):
                ops, lat = model(s, w, t)
                r = synth.make_row(synth.bench_name("get_hold", "lockpool-fair", t, slots=s, waiters=w),
                                   t, ops, seed=s * 100 + w)
                r["lat_p999_ns"] = lat
                rows.append(r)
    return results.Run({"context": {}, "benchmarks": rows})


def saturating(s, w, t):
    # Throughput grows with SLOTS up to 4, then flat; too few waiters hurts (EFULL retries).
    ops = 1e6 * min(s, 4) * (0.5 if w < t - s else 1.0)
    return ops, 1e5 / min(s, 4)


class Sweep(unittest.TestCase):
    def test_grid_shape(self):
        g = sweep.grid(sweep_run(saturating), "get_hold", "lockpool-fair")
        self.assertEqual(sorted(g), [8, 32])
        self.assertEqual(len(g[8]), 12)
        self.assertEqual(g[8][(4, 64)], (4e6, 25000.0))

    def test_smallest_within_tolerance(self):
        g = sweep.grid(sweep_run(saturating), "get_hold", "lockpool-fair")
        # SLOTS=4 is the knee; at 32 threads MAX_WAITERS must be >= 28 -> 64.
        self.assertEqual(sweep.recommend(g, tolerance=0.05), (4, 64))

    def test_tolerance_widens_choice(self):
        g = sweep.grid(sweep_run(lambda s, w, t: (1e6 * (1 + 0.02 * s), 1e4)), "get_hold", "lockpool-fair")
        self.assertEqual(sweep.recommend(g, tolerance=0.2), (1, 4))
        self.assertEqual(sweep.recommend(g, tolerance=0.001), (8, 4))

    def test_latency_factor_excludes_slow_tails(self):
        g = sweep.grid(sweep_run(lambda s, w, t: (1e6, 1e4 * (10 if s == 1 else 1))), "get_hold", "lockpool-fair")
        self.assertEqual(sweep.recommend(g, tolerance=0.05, lat_factor=2.0), (2, 4))

    def test_heatmap_and_summary(self):
        g = sweep.grid(sweep_run(saturating), "get_hold", "lockpool-fair")
        rec = sweep.recommend(g)
        with tempfile.TemporaryDirectory() as d:
            path = sweep.heatmaps(g, d, "get_hold", "lockpool-fair", "test machine", rec)
            with open(path, "rb") as f:
                self.assertEqual(f.read(4), b"\x89PNG")
        lines = sweep.summary_lines(g, rec, 0.05, 2.0)
        self.assertIn("RECOMMENDED: SLOTS=4 MAX_WAITERS=64", lines[-1])


if __name__ == "__main__":
    unittest.main()


def sizing_run(model, workload="sqlite_pool", waiters=(16, 64)):
    """model(slots, threads) -> (ops_per_s, query_p99_ns); one repetition per (slots, waiters, threads)."""
    rows = []
    for t in (4, 16, 64):
        for s in (1, 2, 4, 8, 16):
            for w in waiters:
                ops, lat = model(s, t)
                r = synth.make_row(synth.bench_name(workload, "lockpool-barging", t, slots=s, waiters=w), t,
                                   ops * (0.5 if w < 64 else 1.0), seed=s)
                r["query_p99_ns"] = lat
                r["lat_p99_ns"] = lat / 2
                r["cpu_s"] = 2.0 * s  # more connections, more CPU per query (toy)
                rows.append(r)
    return results.Run({"context": {}, "benchmarks": rows})


class Sizing(unittest.TestCase):
    @staticmethod
    def knee(s, t):
        # Throughput grows up to min(threads, 4) connections, then falls 1% per extra one.
        k = min(t, 4)
        return 1e5 * min(s, k) * (0.99 ** max(0, s - k)), 1e6 / min(s, k)

    def test_largest_waiters_and_query_p99(self):
        run = sizing_run(self.knee)
        self.assertEqual(sweep.p99_counter(run, "sqlite_pool"), "query_p99_ns")
        sz = sweep.sizing(run, "sqlite_pool", "lockpool-barging")
        self.assertEqual(sorted(sz), [4, 16, 64])
        self.assertEqual(sz[16][4][:2], (4e5, 2.5e5))  # MAX_WAITERS=64 (the largest), not 16
        self.assertEqual(sz[16][4][2:4], (4e5, 4e5))    # one repetition: no spread
        self.assertEqual(sz[16][4][4], 4e5 / 8.0)        # ops / cpu_s
        self.assertEqual(sz[16][4][5], (4e5,))           # the repetitions

    def test_smallest_pool_within_tolerance(self):
        sz = sweep.sizing(sizing_run(self.knee), "sqlite_pool", "lockpool-barging")
        self.assertEqual(sweep.smallest_pool(sz[64], 0.05)[:2], (4, 4e5))
        # 30%: 2 connections (2e5) are still below 0.7 x 4e5; 50% accepts them (2e5 >= 0.5 x 4e5).
        self.assertEqual(sweep.smallest_pool(sz[64], 0.3)[0], 4)
        self.assertEqual(sweep.smallest_pool(sz[64], 0.5)[0], 2)
        self.assertEqual(sweep._quartiles([5, 1, 4, 2, 3]), (2, 4))
        flat = sweep.sizing(sizing_run(lambda s, t: (1e5, 1e5)), "sqlite_pool", "lockpool-barging")
        self.assertEqual(sweep.smallest_pool(flat[4], 0.0)[0], 1)

    def test_get_p99_without_query_latency(self):
        run = sizing_run(self.knee, workload="get_hold")
        for samples in run.samples.values():
            for smp in samples:
                smp.counters["query_p99_ns"] = -1.0  # how the harness fills other workloads' rows
        self.assertEqual(sweep.p99_counter(run, "get_hold"), "lat_p99_ns")
        sz = sweep.sizing(run, "get_hold", "lockpool-barging")
        self.assertEqual(sz[16][4][:2], (4e5, 1.25e5))

    def test_lines_and_curve(self):
        sz = sweep.sizing(sizing_run(self.knee), "sqlite_pool", "lockpool-barging")
        lines = sweep.sizing_lines(sz, 0.05, "queries/s")
        self.assertEqual(len(lines), 3)
        self.assertIn("64 threads: POOL SIZE 4 — 400,000 queries/s (middle half of the repetitions "
                      "400,000–400,000), p99 250.0 µs; best 400,000 at 4", lines[2])
        self.assertIn("per CPU-second: 50,000 at 4, most 50,000 at 1", lines[2])
        self.assertTrue(lines[2].endswith("chosen as the best"), lines[2])
        with tempfile.TemporaryDirectory() as d:
            path = sweep.sizing_curve(sz, d, "sqlite_pool", "lockpool-barging", "test machine", 0.05)
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class SizingUnderNoise(unittest.TestCase):
    """A smaller pool whose repetitions are not significantly slower than the best's qualifies when
    alpha > 0; one that is surely slower does not."""

    @staticmethod
    def series(reps):
        return {s: (sorted(v)[len(v) // 2], 1e5, 0, 0, math.nan, tuple(v)) for s, v in reps.items()}

    def test_overlapping_repetitions_qualify(self):
        # Medians 90 / 100: not within 5%, but the spreads overlap heavily.
        sr = self.series({2: [60, 80, 90, 110, 120], 4: [70, 85, 100, 115, 125]})
        self.assertEqual(sweep.smallest_pool(sr, 0.05, alpha=0.0)[0], 4)
        pick = sweep.smallest_pool(sr, 0.05, alpha=0.05)
        self.assertEqual(pick[0], 2)
        self.assertIn("not significantly below the best", pick[5])
        self.assertIn("over 5 and 5 repetitions", pick[5])

    def test_surely_slower_does_not(self):
        sr = self.series({2: [50, 51, 52, 53, 54], 4: [100, 101, 102, 103, 104]})
        self.assertEqual(sweep.smallest_pool(sr, 0.05, alpha=0.05)[0], 4)

    def test_single_repetitions_decide_by_tolerance_only(self):
        sr = self.series({2: [50], 4: [100]})
        self.assertEqual(sweep.smallest_pool(sr, 0.05, alpha=0.05)[0], 4)


class Tune(unittest.TestCase):
    """lp-sweep --tune: ratios within each harness process, then the median over processes."""

    @staticmethod
    def process(lockpool_ops, pthread_ops, bypass):
        rows = []
        for design, ops in (("lockpool", lockpool_ops), ("pthread", pthread_ops)):
            r = synth.make_row(synth.bench_name("get_hold", design, 8, slots=1, waiters=64), 8, ops, seed=1)
            r["max_bypass"] = bypass if design == "lockpool" else -1
            r["max_wait_releases"] = bypass + 5 if design == "lockpool" else -1
            rows.append(r)
        return results.Run({"context": {}, "benchmarks": rows})

    def test_ratio_within_process(self):
        # The second process ran on a machine twice as slow: its ratio is the same, and the
        # ratio of medians across processes (3e6 / 1.5e6 = 2) would not be.
        runs = [(16, self.process(2e6, 1e6, 100)), (16, self.process(1e6, 0.5e6, 130)),
                (64, self.process(1e6, 2e6, 500))]
        rows = sweep.tune_rows(runs, "lockpool", ["pthread"], "bypass_turns")
        self.assertEqual([(r["value"], r["threads"]) for r in rows], [(16, 8), (64, 8)])
        self.assertAlmostEqual(rows[0]["ratios"]["pthread"], 2.0)
        self.assertAlmostEqual(rows[1]["ratios"]["pthread"], 0.5)
        self.assertEqual(rows[0]["max_bypass"], 130)
        self.assertEqual(rows[0]["max_wait_releases"], 135)
        self.assertEqual(rows[0]["bypass_bound"], 8 * 16 + 1 + 8 - 1)
        self.assertEqual(rows[1]["bypass_bound"], 8 * 64 + 1 + 8 - 1)
        lines = sweep.tune_lines(rows, "bypass_turns", "lockpool", ["pthread"])
        self.assertIn("2.00", lines[2])
        with tempfile.TemporaryDirectory() as d:
            with open(sweep.write_tune_csv(rows, ["pthread"], os.path.join(d, "t.csv"))) as f:
                self.assertEqual(f.readline().split(",")[4], "x_pthread")

    def test_bound_only_for_bypass_turns(self):
        rows = sweep.tune_rows([(4, self.process(1e6, 1e6, 10))], "lockpool", ["pthread"], "retry_wakes")
        self.assertTrue(math.isnan(rows[0]["bypass_bound"]))
