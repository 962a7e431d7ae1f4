"""The issue-7 target table: each verdict computed from the run, on hand-made cases."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import synth  # noqa: E402
from lpbench import results, targets  # noqa: E402


def run_of(rows):
    return results.Run({"context": {}, "benchmarks": rows})


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


if __name__ == "__main__":
    unittest.main()
