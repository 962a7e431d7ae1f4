"""Parsing of lockpool-bench JSON: names, repetitions, percentiles, fairness, histograms."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth  # noqa: E402
from lpbench import results  # noqa: E402


class NameParsing(unittest.TestCase):
    def test_full_name(self):
        k = results.parse_name("get_hold/lockpool-fair/slots:4/waiters:32/hold_ns:200/think_ns:50"
                               "/real_time/threads:16")
        self.assertEqual(k, results.Key("get_hold", "lockpool-fair", 4, 32, 200, 50, 16))

    def test_round_trip(self):
        k = results.Key("try_get_storm", "spin-ttas", 1, 2, 0, 0, 8)
        self.assertEqual(results.parse_name(results.key_name(k)), k)

    def test_no_threads_suffix_means_one_thread(self):
        k = results.parse_name("uncontended/pthread/slots:1/waiters:1/hold_ns:0/think_ns:0/real_time")
        self.assertEqual(k.threads, 1)

    def test_min_time_suffix(self):
        k = results.parse_name("async/ck-mcs/slots:2/waiters:8/hold_ns:0/think_ns:0/min_time:0.500"
                               "/real_time/threads:4")
        self.assertEqual((k.design, k.threads), ("ck-mcs", 4))

    def test_foreign_names_rejected(self):
        for bad in ("BM_Foo/8", "get_hold/pthread/slots:x/waiters:1/hold_ns:0/think_ns:0", ""):
            self.assertIsNone(results.parse_name(bad))


class CurrentFormat(unittest.TestCase):
    """Per-thread ops from the detail file, manual_time names, the renamed counter: read the
    same as the older per-row form."""

    def test_same_values_as_the_older_form(self):
        old = synth.make_run(seed=9, reps=3, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                             threads=[2, 4])
        for r in old["benchmarks"]:
            r["cv"] = r.pop("cv_thread_ops")  # as the reference run spells it
        new, detail = synth.current_format(old)
        a, b = results.Run(old), results.Run(new, detail)
        self.assertEqual(list(a.samples), list(b.samples))
        for k in a.samples:
            self.assertTrue(b.name_of(k).endswith("/manual_time/threads:%d" % k.threads))
            self.assertEqual(a.thread_ops(k), b.thread_ops(k))
            self.assertTrue(a.values(k, "cv_thread_ops"))
            self.assertEqual(a.values(k, "cv_thread_ops"), b.values(k, "cv_thread_ops"))
            self.assertEqual(a.values(k, "jain"), b.values(k, "jain"))
            self.assertTrue(all(s.thread_ops for s in b.samples[k]))


class RunLoading(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = synth.make_run(seed=7, reps=3, designs=["lockpool-fair", "pthread"],
                                 workloads=["get_hold"], threads=[1, 4])
        cls.bench = results.Run(cls.doc, synth.make_detail(cls.doc))

    def test_grouping_by_key_and_repetitions(self):
        self.assertEqual(len(self.bench.samples), 4)
        for samples in self.bench.samples.values():
            self.assertEqual(sorted(s.repetition for s in samples), [0, 1, 2])

    def test_median_over_repetitions(self):
        key = self.bench.keys(design="pthread", threads=4)[0]
        raw = sorted(r["ops_per_s"] for r in self.doc["benchmarks"] if r["name"] == results.key_name(key))
        self.assertEqual(self.bench.median(key, "ops_per_s"), raw[1])

    def test_percentiles_in_order(self):
        key = self.bench.keys(design="lockpool-fair", threads=4)[0]
        p = self.bench.percentiles(key)
        self.assertEqual(list(p), ["p50", "p90", "p99", "p99.9", "p99.99", "max"])
        self.assertEqual(list(p.values()), sorted(p.values()))
        self.assertEqual(p["p99.9"], 2000.0)

    def test_thread_ops_vector(self):
        key = self.bench.keys(design="pthread", threads=4)[0]
        ops = self.bench.thread_ops(key)
        self.assertEqual(len(ops), 4)
        self.assertTrue(all(x > 0 for x in ops))

    def test_designs_lockpool_first(self):
        self.assertEqual(self.bench.designs(), ["lockpool-fair", "pthread"])

    def test_context_and_workloads(self):
        self.assertEqual(self.bench.context["lp_pin_policy"], "spread")
        self.assertEqual(self.bench.workloads(), ["get_hold"])
        self.assertEqual(self.bench.threads(), [1, 4])

    def test_aggregate_rows_ignored_when_iterations_exist(self):
        doc = synth.make_run(seed=1, reps=2, designs=["pthread"], workloads=["get_hold"], threads=[2])
        it = doc["benchmarks"][0]
        doc["benchmarks"].append(dict(it, name=it["name"] + "_median", run_type="aggregate",
                                      aggregate_name="median", ops_per_s=1.0))
        run = results.Run(doc)
        self.assertEqual(len(run.samples), 1)
        self.assertNotEqual(run.median(run.keys()[0], "ops_per_s"), 1.0)

    def test_aggregates_only_output_falls_back_to_median_rows(self):
        doc = synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["get_hold"], threads=[2])
        it = doc["benchmarks"][0]
        doc["benchmarks"] = [dict(it, name=it["name"] + "_median", run_type="aggregate",
                                  aggregate_name="median", ops_per_s=123.0),
                             dict(it, name=it["name"] + "_mean", run_type="aggregate",
                                  aggregate_name="mean", ops_per_s=999.0)]
        run = results.Run(doc)
        self.assertEqual(run.median(run.keys()[0], "ops_per_s"), 123.0)

    def test_registration_order_restored_after_interleaving(self):
        import random
        doc = synth.make_run(seed=1, reps=2, designs=["lockpool-fair", "pthread", "spin-ttas"],
                             workloads=["get_hold", "try_get_storm"], threads=[2])
        for r in doc["benchmarks"]:
            d = r["name"].split("/")[1]
            r["family_index"] = ["lockpool-fair", "pthread", "spin-ttas"].index(d)
        random.Random(4).shuffle(doc["benchmarks"])
        run = results.Run(doc)
        self.assertEqual([(k.workload, k.design) for k in run.samples],
                         [("try_get_storm", "lockpool-fair"), ("try_get_storm", "pthread"),
                          ("try_get_storm", "spin-ttas"), ("get_hold", "lockpool-fair"),
                          ("get_hold", "pthread"), ("get_hold", "spin-ttas")])

    def test_error_rows_skipped(self):
        doc = synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["get_hold"], threads=[2])
        doc["benchmarks"][0]["error_occurred"] = True
        run = results.Run(doc)
        self.assertEqual(len(run.samples), 0)
        self.assertEqual(len(run.skipped), 1)


class Fairness(unittest.TestCase):
    """Jain's index and the min/max share are the bench's counters: the scripts read them and
    never compute them again from per-thread ops (which would drift from the C++ formula)."""

    def _run(self, jain, minmax, reps=3):
        doc = synth.make_run(seed=3, reps=reps, designs=["spin-ttas"], workloads=["get_hold"], threads=[4])
        for i, row in enumerate(doc["benchmarks"]):
            row["jain"], row["minmax_share"] = jain[i], minmax[i]
        return results.Run(doc)

    def test_counters_are_read_as_written_not_recomputed(self):
        # synth's spin-ttas rows are unfair (Jain from their per-thread ops is far below 1):
        # the values read must be the counters written, not anything derived from the ops.
        run = self._run([0.91, 0.95, 0.93], [0.5, 0.7, 0.6])
        key = run.keys()[0]
        self.assertEqual(run.values(key, "jain"), [0.91, 0.95, 0.93])
        self.assertEqual(run.median(key, "jain"), 0.93)
        self.assertEqual(run.worst(key, "jain"), 0.91)
        self.assertEqual(run.worst(key, "minmax_share"), 0.5)
        self.assertFalse(hasattr(results, "jain_index"))

    def test_median_repetition_carries_its_own_counters(self):
        run = self._run([0.91, 0.95, 0.93], [0.5, 0.7, 0.6])
        key = run.keys()[0]
        rep = run.median_repetition(key)
        ops = sorted(s.get("ops_per_s") for s in run.samples[key])
        self.assertEqual(rep.get("ops_per_s"), ops[1])
        self.assertIn(rep.get("jain"), (0.91, 0.95, 0.93))
        self.assertEqual(run.thread_ops(key), rep.thread_ops)


class Units(unittest.TestCase):
    def test_what_an_op_is_comes_from_the_rows_not_the_workload_name(self):
        doc = synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["get_hold", "brand_new"], threads=[2])
        for r in doc["benchmarks"]:
            r["query_p99_ns"] = 5e5 if r["name"].startswith("brand_new/") else -1
        run = results.Run(doc)
        self.assertEqual(run.op_unit("brand_new"), ("queries", "query"))
        self.assertEqual(run.op_unit("get_hold"), ("get+put pairs", "get"))
        self.assertFalse(run.counts_queries("no_such_workload"))


class Histogram(unittest.TestCase):
    HIST = [(100.0, 90.0), (200.0, 9.0), (400.0, 1.0)]

    def test_ccdf_starts_at_one_and_decreases(self):
        xs, ys = results.ccdf(self.HIST)
        self.assertEqual(xs, [100.0, 200.0, 400.0])
        self.assertEqual(ys, [1.0, 0.1, 0.01])

    def test_quantiles(self):
        self.assertEqual(results.hist_quantile(self.HIST, 0.5), 100.0)
        self.assertEqual(results.hist_quantile(self.HIST, 0.95), 200.0)
        self.assertEqual(results.hist_quantile(self.HIST, 0.999), 400.0)

    def test_detail_file_lookup(self):
        doc = synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["get_hold"], threads=[2])
        run = results.Run(doc, synth.make_detail(doc))
        hist = run.histogram(run.keys()[0])
        self.assertGreater(len(hist), 3)
        self.assertEqual(hist, sorted(hist))

    def test_empty(self):
        self.assertEqual(results.ccdf([]), ([], []))


if __name__ == "__main__":
    unittest.main()
