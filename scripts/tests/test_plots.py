"""Plots a reader can trust at a glance: each design one look in every plot (known or not), linear
throughput axes from zero with values written, min-max whiskers from repetitions, zeros drawn,
legends outside the data, captions built from what ran. Figures are inspected as matplotlib
objects before they are saved (synthetic runs only)."""
import os
import sys
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import synth  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from lpbench import designs, plots, results  # noqa: E402


class Drawn:
    """Run a plotting function, keeping every figure it would save (name -> Figure)."""

    def __init__(self, fn, *args):
        self.figs = {}
        with tempfile.TemporaryDirectory() as d, mock.patch.object(plots, "_save", self._keep):
            self.result = fn(args[0], d, *args[1:])  # every plot: (run, out_dir, ...)

    def _keep(self, fig, out_dir, name):
        fig.canvas.draw()
        self.figs[name] = fig
        return os.path.join(out_dir, name)

    def only(self):
        (fig,) = self.figs.values()
        return fig


def bar_colors(fig):
    """{design: {colour, ...}} of every bar drawn, from the bars' gid."""
    out = {}
    for ax in fig.axes:
        for p in ax.patches:
            if p.get_gid():
                out.setdefault(p.get_gid(), set()).add(to_hex(p.get_facecolor()))
    return out


def line_colors(fig):
    out = {}
    for ax in fig.axes:
        for ln in ax.get_lines():
            if ln.get_label() and not ln.get_label().startswith("_"):
                out.setdefault(ln.get_label(), set()).add(to_hex(ln.get_color()))
        for c in ax.containers:  # errorbar(): the label is the container's, the colour its data line's
            if isinstance(c, ErrorbarContainer) and not c.get_label().startswith("_"):
                out.setdefault(c.get_label(), set()).add(to_hex(c.lines[0].get_color()))
    return out


def overlaps(a, b):
    return not (a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0)


def run_of(designs_=("lockpool-fair", "pthread"), threads=(2, 8), reps=3, **kw):
    doc = synth.make_run(seed=3, reps=reps, designs=list(designs_), workloads=["get_hold"],
                         threads=list(threads), **kw)
    return doc


class OneLookPerDesign(unittest.TestCase):
    def test_a_design_keeps_its_colour_whatever_else_ran(self):
        a = results.Run(run_of(("lockpool-fair", "pthread")))
        b = results.Run(run_of(("spin-ttas", "lockpool-barging", "pthread", "lockpool-fair")))
        ca = bar_colors(Drawn(plots.throughput, a).only())
        cb = bar_colors(Drawn(plots.throughput, b).only())
        for d in ("lockpool-fair", "pthread"):
            self.assertEqual(ca[d], cb[d], d)
            self.assertEqual(ca[d], {designs.style(a, d)["color"].lower()})
        self.assertEqual(len({c for cs in cb.values() for c in cs}), 4, "four designs, four colours")

    def test_the_same_colour_in_bars_lines_and_ccdf(self):
        doc = run_of(("lockpool-fair", "pthread"))
        run = results.Run(doc, synth.make_detail(doc))
        want = {d: {designs.style(run, d)["color"].lower()} for d in ("lockpool-fair", "pthread")}
        self.assertEqual(bar_colors(Drawn(plots.throughput, run).only()), want)
        self.assertEqual(line_colors(Drawn(plots.scaling, run, "get_hold").only()), want)
        self.assertEqual(line_colors(Drawn(plots.latency_ccdf, run).only()), want)
        self.assertEqual(line_colors(Drawn(plots.fairness, run).only()), want)

    def test_looks_follow_the_registry_order_in_the_context(self):
        # A design the scripts have never heard of gets its look from its place in the
        # registry the run records: no table of names to extend.
        reg = dict(synth.REGISTRY)
        reg["brand-new-pool"] = (["bounded", "blocking"], "a pool these scripts never heard of")
        run = results.Run(synth.make_run(seed=3, reps=2, designs=["brand-new-pool", "pthread"],
                                         workloads=["get_hold"], threads=[2],
                                         context=synth.registry_context(reg)))
        self.assertEqual(run.design_order()[:len(reg)], list(reg))
        self.assertEqual(run.designs(), ["pthread", "brand-new-pool"], "registry order, not row order")
        i = list(reg).index("brand-new-pool")
        self.assertEqual(designs.style(run, "brand-new-pool")["color"], designs.PALETTE[i % len(designs.PALETTE)])
        self.assertEqual(bar_colors(Drawn(plots.throughput, run).only())["brand-new-pool"],
                         {designs.style(run, "brand-new-pool")["color"].lower()})

    def test_registry_designs_have_distinct_looks(self):
        reg = {f"design-{i}": (["bounded"], "") for i in range(3 * len(designs.PALETTE))}
        run = results.Run(synth.make_run(seed=3, reps=1, designs=["pthread"], workloads=["get_hold"],
                                         threads=[2], context=synth.registry_context(reg)))
        looks = {tuple(designs.style(run, d)[k] for k in ("color", "marker", "linestyle")) for d in reg}
        self.assertEqual(len(looks), len(reg))
        first = [designs.style(run, d)["color"] for d in list(reg)[:len(designs.PALETTE)]]
        self.assertEqual(len(set(first)), len(first), "one colour each, as far as the palette goes")

    def test_a_run_without_a_registry_orders_by_its_rows(self):
        run = results.Run(synth.make_run(seed=3, reps=1, designs=["spin-ttas", "pthread"], workloads=["get_hold"],
                                         threads=[2], registry=False))
        self.assertEqual(run.design_order(), ["spin-ttas", "pthread"])
        self.assertEqual(designs.style(run, "pthread"), designs.style(run, "pthread"))
        self.assertNotEqual(designs.style(run, "pthread")["color"], designs.style(run, "spin-ttas")["color"])

    def test_max_latency_is_not_a_pale_colour(self):
        r, g, b = to_rgb(plots._PCT_COLORS["max"])
        self.assertLess(0.2126 * r + 0.7152 * g + 0.0722 * b, 0.35)


class Axes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = results.Run(run_of(("lockpool-fair", "lockpool-barging", "pthread"), reps=5))

    def test_throughput_is_linear_from_zero_with_values_written(self):
        fig = Drawn(plots.throughput, self.r).only()
        ax = fig.axes[0]
        self.assertEqual(ax.get_yscale(), "linear")
        self.assertEqual(ax.get_ylim()[0], 0)
        texts = [t.get_text().strip() for t in ax.texts]
        key = self.r.keys(workload="get_hold", design="pthread", threads=8)[0]
        self.assertIn(plots.fmt_ops(self.r.median(key, "ops_per_s")), texts)
        self.assertEqual(len(texts), 3 * 2, "one value per bar")

    def test_whiskers_span_the_repetitions(self):
        fig = Drawn(plots.throughput, self.r).only()
        bars = [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]
        self.assertEqual(len(bars), 3 * 2)
        key = self.r.keys(workload="get_hold", design="pthread", threads=8)[0]
        vals = self.r.values(key, "ops_per_s")
        segs = [seg for c in bars for coll in c.lines[2] for seg in coll.get_segments()]
        spans = [(min(s[0][1], s[1][1]), max(s[0][1], s[1][1])) for s in segs]
        self.assertTrue(any(abs(lo - min(vals)) < 1e-6 * max(vals) and abs(hi - max(vals)) < 1e-6 * max(vals)
                            for lo, hi in spans), "pthread's 8-thread whisker runs from its min to its max")

    def test_scaling_has_whiskers_on_throughput_and_p99(self):
        fig = Drawn(plots.scaling, self.r, "get_hold").only()
        tp, lat = fig.axes[0], fig.axes[1]
        self.assertEqual(tp.get_yscale(), "linear")
        self.assertEqual(tp.get_ylim()[0], 0)
        for ax in (tp, lat):
            self.assertEqual(len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]), 3)

    def test_no_scaling_figure_without_two_thread_counts(self):
        run = results.Run(run_of(threads=(4,)))
        self.assertIsNone(Drawn(plots.scaling, run, "get_hold").result)

    def test_legends_sit_outside_every_panel(self):
        doc = run_of(("lockpool-fair", "lockpool-barging", "pthread"))
        run = results.Run(doc, synth.make_detail(doc))
        for fn, args in ((plots.throughput, ()), (plots.scaling, ("get_hold",)), (plots.latency_ccdf, ()),
                         (plots.fairness, ()), (plots.latency, ("get_hold",))):
            fig = Drawn(fn, run, *args).only()
            legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
            self.assertTrue(legends, fn.__name__)
            for leg in legends:
                box = leg.get_window_extent()
                for ax in fig.axes:
                    if ax.get_visible() and ax.axison:
                        self.assertFalse(overlaps(box, ax.get_window_extent()), fn.__name__)


class Zeros(unittest.TestCase):
    def test_a_zero_fairness_draws_a_mark(self):
        doc = run_of(("lockpool-fair", "spin-ttas"), threads=(8,), reps=2)
        for row in doc["benchmarks"]:
            if "/spin-ttas/" in row["name"]:
                row["jain"] = 0.0
                row["minmax_share"] = 0.0
                row["ops_per_s"] = 0.0
        fig = Drawn(plots.fairness, results.Run(doc)).only()
        marks = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() == "zero:spin-ttas"]
        self.assertEqual(len(marks), 2, "Jain and min/max panels each mark the zero")
        self.assertEqual(to_hex(marks[0].get_color()), designs.style(results.Run(doc), "spin-ttas")["color"].lower())
        self.assertIn("0.00", [t.get_text().strip() for ax in fig.axes for t in ax.texts])
        fig = Drawn(plots.throughput, results.Run(doc)).only()
        self.assertTrue([ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() == "zero:spin-ttas"])

    def test_a_starved_thread_is_marked(self):
        doc = run_of(("pthread",), threads=(4,), reps=1)
        row = doc["benchmarks"][0]
        row["t01_ops"] = 0.0
        fig = Drawn(plots.thread_ops, results.Run(doc)).only()
        xs = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_marker() == "x"]
        self.assertEqual(list(xs[0].get_xdata()), [1])


class Captions(unittest.TestCase):
    def test_quick_run_captions_describe_the_quick_run(self):
        doc = run_of(("lockpool-fair", "pthread"), threads=(1,), reps=1, context={"lp_quick": "1"})
        run = results.Run(doc)
        text = plots.throughput_caption(run) + plots.fairness_caption(run)
        self.assertIn("at 1 thread", text)
        self.assertNotIn("1 threads", text)
        self.assertIn("one repetition", text)
        self.assertNotIn("repetitions;", text)
        fig = Drawn(plots.throughput, run).only()
        footer = " ".join(t.get_text() for t in fig.texts)
        self.assertIn("QUICK run", footer)
        self.assertIn("1 repetition", footer)
        self.assertNotIn("1 repetitions", footer)
        self.assertEqual([t.get_text() for t in fig.axes[0].get_xticklabels()], ["1 thread"])

    def test_full_run_captions_name_what_ran(self):
        doc = run_of(("lockpool-fair", "pthread"), threads=(2, 8), reps=5, context={"num_cpus": 2})
        run = results.Run(doc)
        text = plots.throughput_caption(run)
        self.assertIn("median of 5 repetitions", text)
        self.assertIn("at 2 and 8 threads", text)
        self.assertIn("2 logical CPUs", text)
        self.assertIn("2 and 8 threads", plots.scaling_caption(run, "get_hold"))
        self.assertEqual(plots.plural(1, "thread"), "1 thread")
        self.assertEqual(plots.threads_list([1]), "1 thread")
        self.assertEqual(plots.threads_list([1, 2, 4]), "1, 2 and 4 threads")

    def test_every_plot_has_a_caption_and_configurations_are_named(self):
        doc = synth.make_run(seed=2, reps=2, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                             threads=[2, 8])
        more = synth.make_run(seed=4, reps=2, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                              threads=[8])
        for row in more["benchmarks"]:
            row["name"] = row["run_name"] = row["name"].replace("slots:2/", "slots:4/")
        doc["benchmarks"] += more["benchmarks"]
        with tempfile.TemporaryDirectory() as d:
            out = plots.all_plots(results.Run(doc), d)
        titles = list(out)
        self.assertIn("Get latency percentiles: get_hold slots=2 waiters=16 hold=200ns think=0ns", titles)
        self.assertIn("Get latency percentiles: get_hold slots=4 waiters=16 hold=200ns think=0ns", titles)
        self.assertFalse([t for t in titles if t.endswith(")") and "(" in t], "no '(2)' titles")
        for t, fig in out.items():
            self.assertTrue(fig.caption.strip(), t)


if __name__ == "__main__":
    unittest.main()
