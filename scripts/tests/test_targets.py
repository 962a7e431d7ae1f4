"""The performance-target table: each verdict computed from the run, on hand-made cases."""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import synth  # noqa: E402
from lpbench import results, targets  # noqa: E402


# The settings a bench records for the modes (lp_design_params): BOUNDED's fairness bound and the
# retry-wake limit, as the targets read them from the run.
PARAMS = {"lockpool-bounded": {"mode": "BOUNDED", "retry_wakes": 4, "fairness_bound_ns": 1000000},
          "lockpool-barging": {"mode": "BARGING", "retry_wakes": 4}, "pthread": {}}


def run_of(rows, cpus=None, params=PARAMS, **context):
    ctx = dict(context, **({} if cpus is None else {"num_cpus": cpus}))
    if params is not None:
        ctx["lp_design_params"] = json.dumps(params)
    return results.Run({"context": ctx, "benchmarks": rows})


def row(workload, design, threads, ops, slots=2, lat_max=None, jain=None, minmax=None, fifo=0.0, rep=0):
    r = synth.make_row(synth.bench_name(workload, design, threads, slots=slots), threads, ops,
                       seed=1, rep=rep, fifo=fifo)
    if lat_max is not None:
        r["lat_max_ns"] = lat_max
    if jain is not None:
        r["jain"] = jain
    if minmax is not None:
        r["minmax_share"] = minmax
    return r


def verdicts(rows, prefix):
    return {r.what: r.verdict for r in rows if r.what.startswith(prefix)}


class FastPath(unittest.TestCase):
    def test_ratios_against_pthread_and_bare_cas(self):
        fp = {"designs": {"lockpool-fair": {"instr_per_pair": 20.0}, "lockpool-barging": {"instr_per_pair": 30.0},
                          "pthread": {"instr_per_pair": 100.0}, "bare-cas": {"instr_per_pair": 15.0}}}
        v = verdicts(targets.fastpath_rows(fp), "lockpool-")
        self.assertEqual(v["lockpool-fair fast-path instr ≤ 0.25× pthread"], targets.MET)       # 0.20
        self.assertEqual(v["lockpool-fair fast-path instr ≤ 1.5× bare-cas"], targets.MET)       # 1.33
        self.assertEqual(v["lockpool-barging fast-path instr ≤ 0.25× pthread"], targets.NOT_MET)  # 0.30
        self.assertEqual(v["lockpool-barging fast-path instr ≤ 1.5× bare-cas"], targets.NOT_MET)  # 2.0
        self.assertEqual(v["lockpool-bounded fast-path instr ≤ 0.25× pthread"], targets.NO_DATA)

    def test_no_fastpath_file(self):
        self.assertTrue(all(r.verdict == targets.NO_DATA for r in targets.fastpath_rows(None)))


class Storm(unittest.TestCase):
    def test_worst_thread_count_decides(self):
        rows = []
        for t, fair, pth, spin in ((1, 1e6, 1e6, 1e6), (2, 20e6, 1e6, 10e6), (4, 9e6, 1e6, 5e6)):
            rows += [row("try_get_storm", "lockpool-fair", t, fair), row("try_get_storm", "pthread", t, pth),
                     row("try_get_storm", "spin-ttas", t, spin)]
        out = targets.storm_rows(run_of(rows))
        v = verdicts(out, "try_get_storm lockpool-fair")
        # 1 thread is not a storm; at 4 threads fair/pthread = 9 < 10, fair/spin = 1.8 >= 1.5.
        self.assertEqual(v["try_get_storm lockpool-fair throughput ≥ 10× pthread"], targets.NOT_MET)
        self.assertEqual(v["try_get_storm lockpool-fair throughput ≥ 1.5× spin-ttas"], targets.MET)
        measured = [r.measured for r in out if r.what.endswith("10× pthread") and "fair" in r.what][0]
        self.assertIn("4 threads", measured)


class Fair(unittest.TestCase):
    def rows(self, jain=1.0, minmax=0.95, fifo=0.0, fair_max=10e3, pth_max=200e3, spin_max=150e3):
        out = []
        for t in (4, 16):  # 2x and 8x SLOTS=2
            out += [row("get_hold", "lockpool-fair", t, 1e6, jain=jain, minmax=minmax, fifo=fifo, lat_max=fair_max),
                    row("get_hold", "pthread", t, 1e6, lat_max=pth_max),
                    row("get_hold", "spin-ttas", t, 1e6, lat_max=spin_max)]
        out.append(row("get_hold", "lockpool-fair", 8, 1e6, jain=0.5))  # 4x SLOTS: not judged
        return out

    def test_all_met(self):
        out = targets.fair_rows(run_of(self.rows()))
        self.assertEqual(len(out), 10)
        self.assertTrue(all(r.verdict == targets.MET for r in out), [(r.what, r.verdict) for r in out])

    def test_each_criterion_can_fail(self):
        for kw, word in ((dict(jain=0.98), "Jain"), (dict(minmax=0.85), "min/max"), (dict(fifo=3.0), "FIFO"),
                         (dict(spin_max=50e3), "spin-ttas")):
            out = targets.fair_rows(run_of(self.rows(**kw)))
            failed = {r.what.split(": ", 1)[1] for r in out if r.verdict == targets.NOT_MET}
            self.assertTrue(failed and all(word in f for f in failed), (kw, failed))

    def test_worst_repetition_counts(self):
        rows = self.rows()
        rows.append(row("get_hold", "lockpool-fair", 4, 1e6, jain=0.9, rep=1))
        out = targets.fair_rows(run_of(rows))
        jain_rows = [r for r in out if "Jain" in r.what and "threads=4" in r.what]
        self.assertEqual(jain_rows[0].verdict, targets.NOT_MET)

    def test_fifo_not_measured(self):
        out = targets.fair_rows(run_of(self.rows(fifo=-1.0)))
        self.assertTrue(all(r.verdict == targets.NO_DATA for r in out if "FIFO" in r.what))

    def test_no_matching_case(self):
        out = targets.fair_rows(run_of([row("get_hold", "lockpool-fair", 3, 1e6)]))
        self.assertEqual([r.verdict for r in out], [targets.NO_DATA])


class BargingBoundedScaling(unittest.TestCase):
    def test_barging_every_case(self):
        rows = [row("get_hold", "lockpool-barging", 4, 3e6), row("get_hold", "pthread", 4, 1e6),
                row("get_hold", "lockpool-barging", 16, 1.4e6), row("get_hold", "pthread", 16, 1e6)]
        (r,) = targets.barging_rows(run_of(rows))
        self.assertEqual(r.verdict, targets.NOT_MET)
        self.assertIn("16 threads", r.measured)

    def test_bounded(self):
        rows = [row("get_hold", "lockpool-bounded", 4, 0.9e6, lat_max=1.5e6),
                row("get_hold", "lockpool-barging", 4, 1e6),
                row("oversubscribed", "lockpool-bounded", 16, 1e6, lat_max=2.5e6)]
        v = {r.what.split(" ")[0] + ("-tp" if "throughput" in r.what else "-lat"): r.verdict
             for r in targets.bounded_rows(run_of(rows))}
        self.assertEqual(v, {"get_hold-tp": targets.MET, "get_hold-lat": targets.MET,
                             "oversubscribed-lat": targets.NOT_MET})

    def test_bounded_latency_limit_is_the_runs_own_bound(self):
        rows = [row("get_hold", "lockpool-bounded", 4, 0.9e6, lat_max=5e6), row("get_hold", "lockpool-barging", 4, 1e6)]
        params = json.loads(json.dumps(PARAMS))
        lat = lambda run: next(r for r in targets.bounded_rows(run) if r.what.startswith("get_hold lockpool-bounded max"))  # noqa: E731
        r = lat(run_of(rows))
        self.assertEqual((r.what, r.verdict), ("get_hold lockpool-bounded max get latency ≤ 2× its bound (2.00 ms)",
                                               targets.NOT_MET))
        params["lockpool-bounded"]["fairness_bound_ns"] = 3000000
        r = lat(run_of(rows, params=params))
        self.assertEqual((r.what, r.verdict), ("get_hold lockpool-bounded max get latency ≤ 2× its bound (6.00 ms)",
                                               targets.MET))
        r = lat(run_of(rows, params=None))
        self.assertEqual(r.verdict, targets.NO_DATA)
        self.assertIn("does not record", r.measured)

    def test_retry_wakes_from_the_design_params_first(self):
        run = run_of([], params={"lockpool-barging": {"retry_wakes": 7}}, lp_retry_wakes="default (4)")
        self.assertEqual(targets.retry_wakes(run), "7")
        self.assertEqual(targets.retry_wakes(run_of([], params=None, lp_retry_wakes="default (4)")), "4")
        self.assertIsNone(targets.retry_wakes(run_of([], params=None)))

    def test_scaling_to_16_threads(self):
        rows = []
        for t, ops in ((1, 10e6), (2, 12e6), (4, 8e6), (16, 5e6)):
            rows.append(row("get_hold", "lockpool-fair", t, ops))
        for t, ops in ((1, 10e6), (16, 7e6)):
            rows.append(row("get_hold", "lockpool-barging", t, ops))
        v = {r.what.split(" ")[0]: r.verdict for r in targets.scaling_rows(run_of(rows))}
        self.assertEqual(v["lockpool-fair"], targets.NOT_MET)      # 5/12 = 42%
        self.assertEqual(v["lockpool-barging"], targets.MET)       # 70%
        self.assertEqual(v["lockpool-bounded"], targets.NO_DATA)

    def test_single_thread_count_is_not_judged(self):
        rows = [row("oversubscribed", "lockpool-fair", 16, 5e6), row("get_hold", "lockpool-fair", 8, 9e6)]
        v = {r.what.split(" ")[0]: r.verdict for r in targets.scaling_rows(run_of(rows))}
        self.assertEqual(v["lockpool-fair"], targets.NO_DATA)


class SameRunBounds(unittest.TestCase):
    """The malloc baseline's ceiling / floor appended to unmet lines; verdicts unchanged."""

    @staticmethod
    def hold(t, barging, pthread, malloc=None):
        out = [row("get_hold", "lockpool-barging", t, barging), row("get_hold", "pthread", t, pthread)]
        return out + ([row("get_hold", "malloc", t, malloc)] if malloc is not None else [])

    def barging(self, rows):
        (r,) = targets.barging_rows(run_of(rows, cpus=2))
        self.assertEqual(r.verdict, targets.NOT_MET)
        return r

    def test_ceiling_below_target_at_the_worst_case(self):
        r = self.barging(self.hold(4, 3e6, 1e6, 3.5e6) + self.hold(16, 1.2e6, 1e6, 1.3e6))
        self.assertEqual(r.measured, "worst 1.20× (slots=2, 16 threads); no-pool ceiling there 1.30× "
                                     "(malloc ÷ pthread): 1.5× is above what any pool can reach in this run")
        self.assertEqual(r.bound, targets.UNREACHABLE)

    def test_ceiling_above_target_everywhere_is_reachable(self):
        r = self.barging(self.hold(4, 3e6, 1e6, 3.5e6) + self.hold(16, 1.2e6, 1e6, 2e6))
        self.assertIn("no-pool ceiling there 2.00× (malloc ÷ pthread), ≥ 1.5× in every case: reachable",
                      r.measured)
        self.assertEqual(r.bound, targets.REACHABLE)

    def test_ceiling_below_target_in_another_case(self):
        # Worst BARGING case is 16 threads (ceiling 2x there), but at 4 threads malloc only reaches 1.48x.
        r = self.barging(self.hold(4, 1.45e6, 1e6, 1.48e6) + self.hold(16, 1.2e6, 1e6, 2e6))
        self.assertIn("no-pool ceiling there 2.00×, 1.48× at slots=2, 4 threads (malloc ÷ pthread): 1.5× is "
                      "above", r.measured)
        self.assertEqual(r.bound, targets.UNREACHABLE)

    def test_ceiling_just_below_target_never_prints_as_reaching_it(self):
        r = self.barging(self.hold(16, 1.2e6, 1e6, 1.4999e6))
        self.assertIn("ceiling there 1.49×", r.measured)
        self.assertEqual(r.bound, targets.UNREACHABLE)

    def test_ceiling_outrun_by_a_design_is_no_ceiling(self):
        rows = self.hold(16, 1.2e6, 1e6, 1.3e6) + [row("get_hold", "spin-ttas", 16, 1.6e6)]
        r = self.barging(rows)
        self.assertIn("no same-run ceiling in 1 of 1 cases (a design's throughput beats malloc's)", r.measured)
        self.assertIsNone(r.bound)

    def test_met_line_gets_no_bound(self):
        (r,) = targets.barging_rows(run_of(self.hold(16, 2e6, 1e6, 1.2e6), cpus=2))
        self.assertEqual((r.verdict, r.measured, r.bound),
                         (targets.MET, "worst 2.00× (slots=2, 16 threads)", None))

    def fair(self, cpus, malloc_max=None, spin_max=150e3):
        rows = []
        for t in (4, 16):  # 2x and 8x SLOTS=2
            rows += [row("get_hold", "lockpool-fair", t, 1e6, lat_max=100e3),
                     row("get_hold", "pthread", t, 1e6, lat_max=200e3),
                     row("get_hold", "spin-ttas", t, 1e6, lat_max=spin_max)]
            if malloc_max is not None:
                rows.append(row("get_hold", "malloc", t, 2e6, lat_max=malloc_max))
        out = targets.fair_rows(run_of(rows, cpus))
        return {(r.what.split(" ")[2], r.what.rsplit(" ", 1)[1]): r for r in out if "latency" in r.what}

    def test_floor_above_what_fair_needs_is_unreachable(self):
        r = self.fair(cpus=16, malloc_max=50e3)[("threads=4", "pthread")]
        self.assertEqual(r.verdict, targets.NOT_MET)
        self.assertEqual(r.measured, "lockpool-fair 100.0 µs, pthread 200.0 µs: pthread ÷ lockpool-fair = 2.00×; unreachable: "
                                     "needs ≤ 20.0 µs, below the no-wait floor 50.0 µs "
                                     "(malloc's max in this case)")
        self.assertEqual(r.bound, targets.UNREACHABLE)

    def test_floor_below_what_fair_needs_is_reachable(self):
        rows = self.fair(cpus=16, malloc_max=5e3)
        self.assertTrue(rows[("threads=16", "spin-ttas")].measured.endswith(
            "; floor 5.0 µs (malloc's max in this case): reachable"))
        self.assertEqual({r.bound for r in rows.values()}, {targets.REACHABLE})

    def test_no_floor_with_more_threads_than_cpus(self):
        rows = self.fair(cpus=8, malloc_max=50e3)
        self.assertEqual(rows[("threads=4", "pthread")].bound, targets.UNREACHABLE)
        r = rows[("threads=16", "pthread")]
        self.assertTrue(r.measured.endswith("; no same-run floor: 16 threads > 8 CPUs"), r.measured)
        self.assertIsNone(r.bound)

    def test_no_floor_where_a_design_got_under_mallocs_max(self):
        r = self.fair(cpus=16, malloc_max=50e3, spin_max=40e3)[("threads=4", "spin-ttas")]
        self.assertTrue(r.measured.endswith("; no same-run floor: spin-ttas's max beats malloc's here"),
                        r.measured)
        self.assertIsNone(r.bound)

    def test_fair_rows_unchanged_without_malloc_or_cpu_count(self):
        plain = {k: r.measured for k, r in self.fair(cpus=16).items()}
        self.assertEqual(plain[("threads=4", "pthread")],
                         "lockpool-fair 100.0 µs, pthread 200.0 µs: pthread ÷ lockpool-fair = 2.00×")
        self.assertEqual({k: r.measured for k, r in self.fair(cpus=None, malloc_max=50e3).items()}, plain)

    def bounded(self, cpus, malloc_max):
        rows = [row("get_hold", "lockpool-barging", 4, 1e6, lat_max=10e6)]
        for t, m in zip((4, 16), malloc_max):
            rows += [row("get_hold", "lockpool-bounded", t, 1e6, lat_max=5e6),
                     row("get_hold", "malloc", t, 2e6, lat_max=m)]
        (r,) = [r for r in targets.bounded_rows(run_of(rows, cpus)) if r.what.startswith("get_hold lockpool-bounded max")]
        self.assertEqual(r.verdict, targets.NOT_MET)
        return r

    def test_bounded_floor_above_two_bounds_is_unreachable(self):
        r = self.bounded(16, (0.5e6, 3e6))
        self.assertEqual(r.measured, "5.00 ms (4 threads); unreachable: needs ≤ 2.00 ms in every case, below "
                                     "the no-wait floor 3.00 ms (malloc's max at slots=2, 16 threads)")
        self.assertEqual(r.bound, targets.UNREACHABLE)

    def test_bounded_floor_below_two_bounds_is_reachable(self):
        r = self.bounded(16, (0.5e6, 1e6))
        self.assertTrue(r.measured.endswith("; floor 1.00 ms (malloc's max, highest at slots=2, 16 threads): "
                                            "reachable"), r.measured)
        self.assertEqual(r.bound, targets.REACHABLE)

    def test_bounded_floor_on_some_cases_only(self):
        r = self.bounded(8, (0.5e6, 3e6))  # 16 threads > 8 CPUs: malloc's 3 ms is no floor there
        self.assertTrue(r.measured.endswith("; floor 500.0 µs (malloc's max, highest at slots=2, 4 threads): "
                                            "reachable there, but no same-run floor in 1 of 2 cases (more threads "
                                            "than CPUs)"), r.measured)
        self.assertIsNone(r.bound)

    def test_summary_counts_unmet_lines_by_bound(self):
        rows = (targets.barging_rows(run_of(self.hold(16, 1.2e6, 1e6, 1.3e6), cpus=2))
                + [self.bounded(16, (0.5e6, 3e6)), self.bounded(16, (0.5e6, 1e6)), self.bounded(8, (0.5e6, 3e6))])
        self.assertTrue(targets.bound_summary(rows).startswith(
            "Same-run bounds (malloc: no-pool ceiling, no-wait floor): 2 of the 4 unmet lines are beyond what "
            "any pool could reach in this run, 1 within it, 1 without one"), targets.bound_summary(rows))

    def test_synthetic_runs_with_and_without_malloc(self):
        ctx = {"num_cpus": 16}
        without = results.Run(synth.make_run(context=ctx))
        rows = targets.all_rows(without)
        self.assertTrue(all(r.bound is None for r in rows))
        self.assertEqual(targets.bound_summary(rows), "")
        self.assertFalse(any("same-run" in r.measured or "ceiling" in r.measured or "floor" in r.measured
                             for r in rows))
        # With malloc the verdicts stay those of the measured ratios.
        with_malloc = results.Run(synth.make_run(designs=synth.DESIGNS + ["malloc"], context=ctx))
        self.assertEqual([(r.what, r.verdict) for r in targets.all_rows(with_malloc)],
                         [(r.what, r.verdict) for r in rows])


class FastpathBreakdown(unittest.TestCase):
    def test_unmet_row_says_where_the_instructions_go(self):
        fp = {"designs": {
            "lockpool-fair": {"instr_per_pair": 81.0, "functions": {
                "lp_try_get": 31.0, "lp_put": 21.0, "run_pairs": 13.0, "lockpool_try_get": 12.0,
                "lockpool_put": 4.0}},
            "pthread": {"instr_per_pair": 184.0}, "bare-cas": {"instr_per_pair": 23.0}}}
        rows = [r for r in targets.fastpath_rows(fp) if "lockpool-fair" in r.what]
        self.assertEqual(len(rows), 2)
        for r in rows:
            self.assertEqual(r.verdict, targets.NOT_MET)
            self.assertIn("per pair: library lp_* 52.0, adapter lockpool_* 16.0, driver loop 13.0", r.measured)

    def test_met_row_and_missing_functions_stay_bare(self):
        fp = {"designs": {"lockpool-fair": {"instr_per_pair": 30.0, "functions": {"lp_put": 10.0}},
                          "pthread": {"instr_per_pair": 184.0}, "bare-cas": {"instr_per_pair": 23.0}}}
        rows = [r for r in targets.fastpath_rows(fp) if "lockpool-fair" in r.what]
        self.assertEqual([r.verdict for r in rows], [targets.MET, targets.MET])  # 0.16×, 1.30×
        self.assertTrue(all("per pair" not in r.measured for r in rows))
        self.assertEqual(targets.fastpath_breakdown(None), "")


class Reasons(unittest.TestCase):
    def _rows(self, fair_fifo=0.0, fair16=1e5):
        rows = []
        for t, fair_ops in ((2, 4e6), (16, fair16)):
            for d, ops in (("lockpool-fair", fair_ops), ("lockpool-barging", 5e6 if t == 2 else 2e6),
                           ("lockpool-bounded", 5e6 if t == 2 else 3e6), ("spin-ticket", 3e6 if t == 2 else 1e4),
                           ("lockpool-barging-wakeall", 5e6 if t == 2 else 1e6)):
                rows.append(row("oversubscribed", d, t, ops))
        for t in (2, 8):
            rows.append(row("get_hold", "lockpool-fair", t, 1e6, slots=1, fifo=fair_fifo, jain=0.9999 if t == 2 else 0.97,
                            minmax=0.99 if t == 2 else 0.7, lat_max=5e6))
            rows.append(row("get_hold", "pthread", t, 1e6, slots=1, lat_max=6e6))
            rows.append(row("get_hold", "spin-ttas", t, 1e6, slots=1, lat_max=9e6))
            rows.append(row("get_hold", "lockpool-barging", t, 1.2e6, slots=1))
            rows.append(row("get_hold", "lockpool-bounded", t, 1.1e6, slots=1, lat_max=30e6))
            rows.append(row("get_hold", "malloc", t, 2e6, slots=1, lat_max=1e6))
        return run_of(rows, cpus=2, lp_retry_wakes="default (4)")

    def test_one_paragraph_per_unmet_target_with_its_figures(self):
        run = self._rows()
        fp = {"designs": {"lockpool-fair": {"instr_per_pair": 81.0, "functions": {
            "lp_try_get": 31.0, "lp_put": 21.0, "run_pairs": 13.0, "lockpool_try_get": 12.0, "lockpool_put": 4.0}},
            "pthread": {"instr_per_pair": 184.0}, "bare-cas": {"instr_per_pair": 23.0}}}
        rows = targets.all_rows(run, fp)
        why = dict((t, text) for t, text in targets.reasons(run, rows, fp) if t != "fair")
        why3 = [text for t, text in targets.reasons(run, rows, fp) if t == "fair"]
        self.assertIn("library lp_* 52.0", why["fast-path"])
        self.assertIn("46 instructions", why["fast-path"])                     # 0.25 x 184
        self.assertIn("0 FIFO violations in every repetition", why3[0])  # fairness rows unmet at 8 threads
        self.assertIn("Jain 0.9999", why3[0])                           # threads <= CPUs
        self.assertIn("has 1.00 ms as its smallest worst case", why3[1])  # latency rows unmet
        self.assertIn("lockpool-fair keeps 2%", why["scaling"])                        # 1e5 / 4e6
        self.assertIn("spin-ticket 0%", why["scaling"])
        self.assertIn("lockpool-barging keeps 40% and lockpool-bounded 60%, with at most 4 waiters", why["scaling"])
        self.assertIn("(lockpool-barging-wakeall) keeps 20%", why["scaling"])  # the same run without the limit
        self.assertIn("Below 50%", why["scaling"])                              # BARGING's row is unmet
        self.assertIn("30.00 ms", why["bounded"])

    def test_storm_reason_compares_each_design_with_its_own_uncontended_rate(self):
        rows = [row("uncontended", d, 1, ops, slots=16) for d, ops in (("lockpool-fair", 60e6), ("pthread", 80e6))]
        rows += [row("try_get_storm", d, 8, ops, slots=16) for d, ops in
                 (("lockpool-fair", 114e6), ("lockpool-barging", 108e6), ("lockpool-bounded", 120e6),
                  ("pthread", 12e6), ("spin-ttas", 2e6))]
        run = run_of(rows, cpus=2)
        why = dict(targets.reasons(run, targets.all_rows(run)))
        self.assertIn("slowest mode completes 108M pairs/s", why["storm"])
        self.assertIn("90% of 2 CPUs × its own single-thread uncontended rate (60M/s)", why["storm"])  # 108/120
        self.assertIn("pthread reaches 12.0M/s, 8% of its own 2 × 80M/s", why["storm"])               # 12/160

    def test_scaling_reason_without_a_mode_below_half_names_no_fix(self):
        rows = [row("oversubscribed", d, t, ops) for t in (2, 16)
                for d, ops in (("lockpool-fair", 4e6 if t == 2 else 1e5), ("lockpool-barging", 5e6 if t == 2 else 4e6),
                               ("lockpool-bounded", 5e6 if t == 2 else 3e6))]
        run = run_of(rows, cpus=2, params={"lockpool-barging": {"retry_wakes": 3}})  # the run's own limit
        text = dict(targets.reasons(run, targets.all_rows(run)))["scaling"]
        self.assertIn("lockpool-barging keeps 80% and lockpool-bounded 60%, with at most 3 waiters", text)
        self.assertIn("at 16 threads on 2 slots", text)
        self.assertNotIn("Below 50%", text)
        self.assertNotIn("wakeall", text)                                  # not in this run

    def test_fifo_violations_are_not_called_queue_order(self):
        run = self._rows(fair_fifo=12.0)
        rows = targets.all_rows(run)
        why3 = [text for t, text in targets.reasons(run, rows) if t == "fair"]
        self.assertIn("reach 12 per million", why3[0])
        self.assertNotIn("queue order", why3[0])

    def test_nothing_unmet_no_reasons(self):
        self.assertEqual(targets.reasons(run_of([], cpus=2), []), [])


if __name__ == "__main__":
    unittest.main()


def sqlite_row(design, threads, ops, p99, slots=4, share=0.5, reacq=0.5, rep=0):
    r = synth.make_row(synth.bench_name("sqlite_pool", design, threads, slots=slots, think_ns=5000), threads, ops,
                       seed=1, rep=rep)
    r.update({"query_p50_ns": p99 / 10, "query_p90_ns": p99 / 2, "query_p99_ns": p99, "query_p999_ns": 2 * p99,
              "query_max_ns": 4 * p99, "busy_retries": 3, "sqlite_share": share, "conns_opened": slots,
              "conns_by_design": 1, "reacquire_frac": reacq})
    return r


class Sqlite(unittest.TestCase):
    def test_stand_ins_judged_until_the_default_design_runs(self):
        rows = [sqlite_row(d, t, ops, p99) for t in (8, 32) for d, ops, p99 in
                (("lockpool-fair", 50e3, 9e5), ("lockpool-barging", 90e3, 4e5), ("pthread", 60e3, 5e5))]
        v = verdicts(targets.sqlite_rows(run_of(rows, cpus=2)), "sqlite_pool")
        self.assertEqual(len(v), 8)  # 2 stand-ins x 2 cases x (throughput, p99)
        self.assertEqual(v["sqlite_pool slots=4 threads=8: lockpool-barging queries/s ≥ 1.0× pthread"], targets.MET)
        self.assertEqual(v["sqlite_pool slots=4 threads=32: lockpool-barging p99 query latency ≤ pthread's"],
                         targets.MET)
        self.assertEqual(v["sqlite_pool slots=4 threads=8: lockpool-fair queries/s ≥ 1.0× pthread"], targets.NOT_MET)
        self.assertEqual(v["sqlite_pool slots=4 threads=32: lockpool-fair p99 query latency ≤ pthread's"],
                         targets.NOT_MET)
        # With the default design in the run, only it is judged.
        rows += [sqlite_row("lockpool", t, 61e3, 5e5) for t in (8, 32)]
        v = verdicts(targets.sqlite_rows(run_of(rows, cpus=2)), "sqlite_pool")
        self.assertEqual(set(v.values()), {targets.MET})
        self.assertTrue(all(": lockpool " in k for k in v), v)

    def test_only_cases_with_waiters_are_judged(self):
        rows = [sqlite_row(d, 4, ops, 1e5) for d, ops in (("lockpool-barging", 1e3), ("pthread", 1e6))]
        rows += [sqlite_row(d, 8, 1e5, 1e5) for d in ("lockpool-barging", "pthread")]
        v = verdicts(targets.sqlite_rows(run_of(rows)), "sqlite_pool")
        self.assertTrue(v and all("threads=8" in k for k in v), v)  # 4 threads < 2 x 4 slots: not judged
        self.assertEqual(set(v.values()), {targets.MET})

    def test_medians_decide(self):
        rows = [sqlite_row("pthread", 8, 100e3, 1e5, rep=r) for r in range(3)]
        rows += [sqlite_row("lockpool-barging", 8, ops, 1e5, rep=r) for r, ops in enumerate((10e3, 101e3, 102e3))]
        v = verdicts(targets.sqlite_rows(run_of(rows)), "sqlite_pool slots=4 threads=8: lockpool-barging queries")
        self.assertEqual(list(v.values()), [targets.MET])

    def test_no_data(self):
        rows = [sqlite_row("lockpool-barging", 8, 1e5, 1e5)]
        out = targets.sqlite_rows(run_of(rows))
        self.assertEqual([r.verdict for r in out], [targets.NO_DATA])

    def test_reason_gives_the_measured_shares(self):
        rows = [sqlite_row("lockpool-fair", 8, 50e3, 9e5, share=0.12, reacq=0.0),
                sqlite_row("lockpool-barging", 8, 90e3, 4e5, share=0.45, reacq=0.8),
                sqlite_row("pthread", 8, 60e3, 5e5, share=0.3, reacq=0.77)]
        run = run_of(rows, cpus=2)
        rs = targets.all_rows(run)
        why = dict(targets.reasons(run, rs))
        self.assertIn("sqlite", why)
        self.assertIn("lockpool-fair 12% inside SQLite", why["sqlite"])
        self.assertIn("pthread 30% inside SQLite", why["sqlite"])
        self.assertIn("FIFO collapse", why["sqlite"])
        self.assertNotIn("lockpool-barging 45%", why["sqlite"])  # met: not explained
        self.assertNotIn("lockpool-barging lets", why["sqlite"])
        rows = [sqlite_row("lockpool-barging", 8, 30e3, 9e5, share=0.45, reacq=0.99),
                sqlite_row("pthread", 8, 60e3, 5e5, share=0.3, reacq=0.77)]
        run = run_of(rows, cpus=2)
        why = dict(targets.reasons(run, targets.all_rows(run)))
        self.assertIn("lockpool-barging 45% inside SQLite, 99% of grants back to the releasing thread", why["sqlite"])
        self.assertIn("lockpool-barging lets the releasing thread take its connection straight back", why["sqlite"])
        self.assertNotIn("FIFO collapse", why["sqlite"])


class Default(unittest.TestCase):
    """The default design's lines: throughput against the usual pool, FAIR and BARGING, its own
    best, fairness in every held case, latency, and the bypass bound from its recorded setting."""
    PARAMS = dict(PARAMS, lockpool={"mode": "RESTRICTED", "bypass_bound": 64})

    def rows(self, over_ratio=1.5, minmax=0.9, bypass=100.0, uncontended=1.2, wait=110.0):
        out = [row("uncontended", "lockpool", 1, uncontended * 1e7, slots=16),
               row("uncontended", "pthread", 1, 1e7, slots=16)]
        for d, ops in (("lockpool", 1.2e8), ("pthread", 1e7), ("lockpool-fair", 1.1e8)):
            out.append(row("try_get_storm", d, 8, ops, slots=16))
        for w in ("get_hold", "oversubscribed"):
            for t in (4, 16):
                ops = 2e6 if w == "get_hold" else 1e6 * over_ratio
                mine = row(w, "lockpool", t, ops, minmax=minmax, lat_max=1e6)
                mine["max_bypass"] = bypass
                if wait is not None:
                    mine["max_wait_releases"] = wait
                out += [mine, row(w, "pthread", t, 1e6, lat_max=2e6), row(w, "lockpool-barging", t, 1e6)]
        return out

    def verdicts(self, **kw):
        return {r.what: r.verdict for r in targets.default_rows(run_of(self.rows(**kw), params=self.PARAMS))}

    def test_all_met(self):
        v = self.verdicts()
        self.assertEqual(len(v), 12)
        self.assertTrue(all(x == targets.MET for x in v.values()), v)

    def test_each_line_can_fail(self):
        for kw, word in ((dict(uncontended=0.9), "uncontended"), (dict(over_ratio=1.2), "1.3× pthread"),
                         (dict(minmax=0.5), "min/max"), (dict(bypass=64 * 16 + 2 + 15 + 1), "overtook"),
                         (dict(wait=64 * 16 + 2 + 15 + 1), "oldest wait")):
            failed = [w for w, x in self.verdicts(**kw).items() if x == targets.NOT_MET]
            self.assertTrue(failed and all(word in f for f in failed), (kw, failed))

    def test_the_bound_is_the_runs_own(self):
        # 4 threads, 2 slots, bound 64: 4*64+2+3 = 261 is within, 262 is over.
        def line(bypass):
            return [r for r in targets.default_rows(run_of(self.rows(bypass=bypass), params=self.PARAMS))
                    if "overtook" in r.what][0]
        self.assertEqual(line(261).verdict, targets.MET)
        self.assertEqual(line(262).verdict, targets.NOT_MET)
        self.assertIn("2 of 4 cases over", line(262).measured)  # get_hold and oversubscribed at 4 threads
        self.assertIn("T×64", line(262).what)
        no_bound = targets.default_rows(run_of(self.rows(), params=PARAMS))
        self.assertEqual([r.verdict for r in no_bound if "overtook" in r.what], [targets.NO_DATA])

    def test_the_oldest_wait_has_the_same_bound(self):
        # 4 threads, 2 slots, bound 64: 261 releases to others while it waited is within, 262 over.
        def line(**kw):
            return [r for r in targets.default_rows(run_of(self.rows(**kw), params=self.PARAMS))
                    if "oldest wait" in r.what][0]
        self.assertEqual(line(wait=261).verdict, targets.MET)
        self.assertEqual(line(wait=262).verdict, targets.NOT_MET)
        self.assertIn("262 of 261 (get_hold slots=2, 4 threads)", line(wait=262).measured)
        # A run from a bench without the counter is not judged on it, and says so.
        self.assertEqual(line(wait=None).verdict, targets.NO_DATA)
        self.assertEqual(line(wait=-1).verdict, targets.NO_DATA)


class DefaultSpread(unittest.TestCase):
    """The paragraph under an unmet get_hold throughput or max latency line of the default design:
    both designs' repetitions side by side, whether they overlap, and the oldest wait's releases."""
    PARAMS = dict(PARAMS, lockpool={"mode": "RESTRICTED", "bypass_bound": 64})

    def why(self, mine, theirs, lat_mine=(1e6,), lat_theirs=(2e6,), wait=None):
        rows = []
        for rep, (ops, lat) in enumerate(zip(mine, lat_mine * len(mine))):
            r = row("get_hold", "lockpool", 8, ops, lat_max=lat, rep=rep)
            if wait is not None:
                r["max_wait_releases"] = wait
            rows.append(r)
        for rep, (ops, lat) in enumerate(zip(theirs, lat_theirs * len(theirs))):
            rows.append(row("get_hold", "pthread", 8, ops, lat_max=lat, rep=rep))
        run = run_of(rows, params=self.PARAMS)
        return " ".join(text for t, text in targets.reasons(run, targets.all_rows(run)) if t == "default")

    def test_throughput_miss_inside_the_spread(self):
        text = self.why(mine=(0.9e6, 1.0e6, 1.4e6), theirs=(0.8e6, 1.1e6, 1.2e6))
        self.assertIn("lockpool 1.00M (0.90M–1.40M over 3 repetitions), pthread 1.10M (0.80M–1.20M over 3 "
                      "repetitions), ranges overlap", text)
        self.assertIn("In 1 of 1 the ranges overlap", text)

    def test_throughput_miss_outside_the_spread(self):
        text = self.why(mine=(0.5e6, 0.6e6), theirs=(1.0e6, 1.1e6))
        self.assertIn("ranges apart", text)
        self.assertIn("In 0 of 1 the ranges overlap", text)

    def test_latency_miss_with_the_oldest_wait_in_releases(self):
        # 1M pairs/s median; the oldest wait 3,000 releases: 3 ms at that rate.
        text = self.why(mine=(1e6, 1e6), theirs=(0.5e6, 0.5e6), lat_mine=(3e6, 4e6), lat_theirs=(1e6, 2e6),
                        wait=3000)
        self.assertIn("lockpool 3.50 ms (3.00 ms–4.00 ms over 2 repetitions), pthread 1.50 ms", text)
        self.assertIn("(lockpool's max_wait_releases: 3,000 releases, which at its median 1.00M pairs/s take 3.00 ms)",
                      text)
        self.assertIn("rotation of 64 releases", text)

    def test_met_lines_get_no_paragraph(self):
        self.assertNotIn("per repetition", self.why(mine=(2e6, 2e6), theirs=(1e6, 1e6)))


class DefaultOwnBest(unittest.TestCase):
    """Oversubscribed below its own best: the best and the most-threaded count side by side."""
    PARAMS = dict(PARAMS, lockpool={"mode": "RESTRICTED", "bypass_bound": 64})

    def why(self, ops_by_threads, cpus=2):
        rows = []
        for threads, ops in ops_by_threads.items():
            mine = row("oversubscribed", "lockpool", threads, ops)
            mine.update(vcsw_per_kop=0.5 * threads, asleep_frac=0.05 * threads)
            rows += [mine, row("oversubscribed", "pthread", threads, ops / 3),
                     row("oversubscribed", "lockpool-barging", threads, ops)]
        run = run_of(rows, cpus=cpus, params=self.PARAMS)
        return " ".join(text for t, text in targets.reasons(run, targets.all_rows(run)) if t == "default")

    def test_best_and_most_threads_side_by_side(self):
        text = self.why({2: 6e6, 8: 4e6, 16: 3e6})
        self.assertIn("Its own best against its most threads (medians over repetitions): 2 threads 6.00M pairs/s, "
                      "1.00 voluntary context switches per 1000 pairs, 10% asleep; 16 threads 3.00M pairs/s, "
                      "8.00 voluntary context switches per 1000 pairs, 80% asleep.", text)
        self.assertIn("At the best count the threads fit the CPUs", text)

    def test_a_best_count_above_the_cpus_is_not_said_to_fit(self):
        text = self.why({2: 3e6, 8: 6e6, 16: 3e6})
        self.assertIn("8 threads 6.00M pairs/s", text)
        self.assertNotIn("fit the CPUs", text)

    def test_met_gives_no_such_sentence(self):
        self.assertNotIn("Its own best", self.why({2: 6e6, 16: 5e6}))


class DefaultWhy(unittest.TestCase):
    """The paragraph under an unmet default-design line: every figure from the run, each part only
    when its line is unmet, and no claim the run cannot support."""
    PARAMS = dict(PARAMS, lockpool={"mode": "RESTRICTED", "bypass_bound": 64})

    def rows(self, minmax=0.5, cpu=0.5, per_cpu=0.95, jain=0.99, usual=(0.3, 0.6, 0.4), cpu_counters=True,
             over_ratio=1.0, reps=1):
        out = []
        for w in ("get_hold", "oversubscribed"):
            for rep in range(reps):
                # Later repetitions fairer: the least fair is repetition 0.
                mine = row(w, "lockpool", 4, 1e6, minmax=min(1.0, minmax + 0.1 * rep), jain=jain, rep=rep)
                theirs = row(w, "pthread", 4, 1e6, minmax=usual[0], rep=rep)
                barging = row(w, "lockpool-barging", 4, 1e6 * over_ratio, rep=rep)
                if cpu_counters:
                    mine.update(cpu_minmax_share=cpu, ops_per_cpu_minmax_share=per_cpu, cpu_jain=0.97,
                                ops_per_cpu_jain=0.995, vcsw_per_kop=2.5, asleep_frac=0.7)
                    theirs.update(cpu_minmax_share=usual[1], ops_per_cpu_minmax_share=usual[2])
                    barging.update(vcsw_per_kop=0.5, asleep_frac=0.2)
                out += [mine, theirs, barging]
        # Per-thread ops as today's bench writes them: in the detail file, not on the rows.
        return [{k: v for k, v in r.items() if not (k.startswith("t") and k.endswith("_ops"))} for r in out]

    def why(self, detail=None, **kw):
        rows = self.rows(**kw)
        doc = {"context": {"num_cpus": 2, "lp_design_params": json.dumps(self.PARAMS)}, "benchmarks": rows}
        run = results.Run(doc, detail)
        texts = [text for t, text in targets.reasons(run, targets.all_rows(run)) if t == "default"]
        return " ".join(texts)

    def test_shares_side_by_side_and_an_even_share_per_cpu_second_said(self):
        text = self.why()
        self.assertIn("get_hold slots=2, 4 threads (repetition 0): lockpool ops 0.50, CPU time 0.50, "
                      "per CPU-second 0.95; pthread ops 0.30, CPU time 0.60, per CPU-second 0.40", text)
        self.assertIn("In each of the 2 cases, lockpool's ops per CPU-second min/max share is ≥ 0.8", text)
        self.assertNotIn("pool's own unevenness", text)
        self.assertNotIn("asleep for longer", text)  # no per-thread vectors: no claim about them

    def test_the_least_fair_repetition_is_the_one_described(self):
        text = self.why(reps=3)
        self.assertIn("(repetition 0): lockpool ops 0.50", text)

    def test_equal_cpu_uneven_ops_is_the_pools(self):
        text = self.why(cpu=0.95, per_cpu=0.5)
        self.assertIn("CPU time 0.95, per CPU-second 0.50", text)
        self.assertIn("the threads' CPU time was shared within the limit (≥ 0.8) but their ops were not", text)
        self.assertNotIn("per CPU-second it served its threads within the target", text)

    def test_both_uneven(self):
        self.assertIn("both the CPU time and the ops per CPU-second are below 0.8", self.why(cpu=0.5, per_cpu=0.5))

    def test_a_run_without_cpu_counters_says_the_cause_is_not_measured(self):
        text = self.why(cpu_counters=False)
        self.assertIn("This run has no per-thread CPU time", text)
        self.assertNotIn("per CPU-second it served", text)

    def test_nothing_about_shares_when_the_fairness_lines_are_met(self):
        text = self.why(minmax=0.9, jain=0.99)
        self.assertNotIn("Whose unevenness", text)
        self.assertNotIn("no per-thread CPU time", text)

    def test_jain_alone_unmet_gives_the_three_indices(self):
        text = self.why(minmax=0.9, jain=0.9)
        self.assertIn("ops / CPU time / ops per CPU-second: get_hold slots=2, 4 threads 0.900 / 0.970 / 0.995", text)

    def detail(self, cpu_lo, runq_lo, cpu_hi, runq_hi):
        """Per-thread vectors for every row: thread 0 has the least CPU time and ops, thread 3 the most."""
        wall = 1e9
        vecs = {"thread_ops_per_rep": [[100, 150, 150, 200]],
                "thread_wall_ns_per_rep": [[wall] * 4],
                "thread_cpu_ns_per_rep": [[cpu_lo * wall, 0.2 * wall, 0.2 * wall, cpu_hi * wall]],
                "thread_runq_ns_per_rep": [[runq_lo * wall, 0.1 * wall, 0.1 * wall, runq_hi * wall]],
                "thread_vcsw_per_rep": [[1] * 4], "thread_ivcsw_per_rep": [[1] * 4]}
        return {"benchmarks": {r["name"]: vecs for r in self.rows()}}

    def test_cpu_time_lost_asleep_is_the_pools(self):
        text = self.why(detail=self.detail(cpu_lo=0.1, runq_lo=0.1, cpu_hi=0.3, runq_hi=0.2))
        self.assertIn("least-served thread 10% / 10% / 80%, most-served 30% / 20% / 50%", text)
        self.assertIn("asleep 80% vs 50%, waiting for a CPU 10% vs 20%", text)
        self.assertIn("went to being parked in the pool rather than withheld by the scheduler", text)

    def test_cpu_time_lost_in_the_run_queue_is_the_schedulers(self):
        text = self.why(detail=self.detail(cpu_lo=0.1, runq_lo=0.6, cpu_hi=0.3, runq_hi=0.1))
        self.assertIn("asleep 30% vs 60%, waiting for a CPU 60% vs 10%", text)
        self.assertIn("the scheduler withheld the CPU time it lacks", text)

    def test_detail_vectors_reach_each_repetition(self):
        run = results.Run({"benchmarks": self.rows()}, self.detail(0.1, 0.1, 0.3, 0.2))
        s = run.least_sample(run.keys(design="lockpool")[0], "minmax_share")
        self.assertEqual(s.thread_ops, [100.0, 150.0, 150.0, 200.0])
        self.assertEqual(s.threads["wall_ns"], [1e9] * 4)
        self.assertEqual(sorted(s.threads), sorted(results.THREAD_DETAIL))

    def test_oversubscribed_line_gives_the_switches_and_time_asleep(self):
        text = self.why(minmax=0.9, over_ratio=2.0)
        self.assertIn("Measured in oversubscribed at 4 threads (medians over repetitions): lockpool 2.50 voluntary "
                      "context switches per 1000 pairs, 70% of the threads' time asleep; lockpool-barging 0.50", text)
        self.assertNotIn("Whose unevenness", text)


class DefaultStormWhy(unittest.TestCase):
    """The storm line against the FIFO mode: both designs' repetitions and fast paths, from the run."""

    def why(self, mine, fair, fastpath=None):
        rows = [row("try_get_storm", "lockpool", 8, v, slots=16, rep=i) for i, v in enumerate(mine)]
        rows += [row("try_get_storm", "lockpool-fair", 8, v, slots=16, rep=i) for i, v in enumerate(fair)]
        rows += [row("try_get_storm", "pthread", 8, 1e6, slots=16)]
        run = run_of(rows, cpus=2)
        return " ".join(t for k, t in targets.reasons(run, targets.all_rows(run, fastpath), fastpath)
                        if k == "default")

    def test_overlapping_repetitions_and_equal_fast_paths(self):
        fp = {"designs": {"lockpool": {"instr_per_pair": 85.0}, "lockpool-fair": {"instr_per_pair": 85.0}}}
        text = self.why([90e6, 100e6, 120e6], [95e6, 110e6, 130e6], fp)
        self.assertIn("lockpool 100.0M and lockpool-fair 110.0M pairs/s (medians), repetitions lockpool "
                      "90.0M–120.0M, lockpool-fair 95.0M–130.0M: the two ranges overlap, so the difference of the "
                      "medians (0.91×) is within the run-to-run spread", text)
        self.assertIn("lockpool 85.0 and lockpool-fair 85.0 instructions per try_get+put pair: the same count", text)

    def test_separate_repetitions_and_no_fast_path_file(self):
        text = self.why([90e6, 91e6, 92e6], [95e6, 96e6, 97e6])
        self.assertIn("the two ranges do not overlap", text)
        self.assertIn("This run has no fast-path instruction counts", text)

    def test_no_paragraph_when_met(self):
        self.assertEqual(self.why([100e6, 101e6], [90e6, 91e6]), "")
