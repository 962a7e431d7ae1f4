"""The history dashboard (one static HTML file) and the trend PNG.

The page needs no server and no network: the data is a JSON block inside the page and a few
dozen lines of plain JavaScript draw each chart as SVG. One chart per design x workload x
headline metric (one line per benchmark of that pair: thread counts, slots), change points
from E-Divisive means marked, and a table of each series' latest run against its best and its
median. When the script has drawn everything it sets data-status="ok" and data-series=N on
<body>; an error sets data-status="error" (the headless browser test reads both)."""
import datetime
import html
import json
import math
import os
import statistics

from . import history

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22"]


def _label(name):
    """The part of a benchmark name that tells series of one design x workload apart."""
    parts = name.split("/")
    keep = [p for p in parts[2:] if not p.startswith(("real_time", "waiters:")) and p not in ("hold_ns:0", "think_ns:0")]
    return " ".join(keep) or name


def collect(db, metrics, machine=None, tag=None, alpha=0.05, permutations=99, min_size=3, min_magnitude=0.0,
            ratio_to=None):
    """The charts as plain data (also what the tests check). With ratio_to, each headline
    counter is charted twice: as measured, and divided by that design's in the same run."""
    from .history_cli import find_changes
    charts = []
    views = [(m, None) for m in metrics] + ([(m, ratio_to) for m in metrics] if ratio_to else [])
    for metric, ref in views:
        if ref:
            ser = history.ratio_series(db, metric, ref, machine=machine, tag=tag)
        else:
            ser = history.series(db, metric, machine=machine, tag=tag)
        changes = {}
        for key, c in find_changes(ser, alpha, permutations, min_size, min_magnitude, 1, metric,
                                   jobs=os.cpu_count() or 1):
            changes.setdefault(key, []).append(c)
        groups = {}
        for (fp, tg, name), pts in ser.items():
            if name.startswith("fastpath/"):
                continue
            workload, design = name.split("/")[:2]
            groups.setdefault((fp, tg, design, workload), []).append(((fp, tg, name), pts))
        for (fp, tg, design, workload), members in sorted(groups.items()):
            runs = {}
            for _, pts in members:
                for p in pts:
                    runs[p.run_id] = p
            order = sorted(runs.values(), key=lambda p: (p.commit_date, p.run_date, p.run_id))
            pos = {p.run_id: i for i, p in enumerate(order)}
            chart = {"title": f"{workload} / {design}", "metric": metric + (f" \u00f7 {ref}" if ref else ""),
                     "machine": fp, "tag": tg,
                     "higher_is_better": history.higher_is_better(metric),
                     "runs": [{"commit": p.commit[:10], "date": p.commit_date, "run": p.run_date} for p in order],
                     "series": []}
            for key, pts in members:
                vals = [p.value for p in pts]
                best = max(vals) if chart["higher_is_better"] else min(vals)
                med = statistics.median(vals)
                chart["series"].append({
                    "name": key[2], "label": _label(key[2]),
                    "x": [pos[p.run_id] for p in pts], "y": vals,
                    "latest": vals[-1], "best": best, "median": med,
                    "changes": [{"x": pos[pts[c["index"]].run_id], "magnitude": c["magnitude"],
                                 "confidence": c["confidence"], "commit": c["commit"][:10],
                                 "previous": c["previous_commit"][:10], "direction": c["direction"]}
                                for c in changes.get(key, [])]})
            charts.append(chart)
    if len({(c["machine"], c["tag"]) for c in charts}) > 1:
        for c in charts:
            c["title"] += f" [{c['machine'][:8]}/{c['tag']}]"
    return charts


_JS = r"""
(function () {
  var body = document.body;
  try {
    var data = JSON.parse(document.getElementById('lp-data').textContent);
    var palette = data.palette, root = document.getElementById('charts'), drawn = 0;
    var NS = 'http://www.w3.org/2000/svg';
    function el(tag, attrs, parent) {
      var e = document.createElementNS(NS, tag);
      for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (parent) parent.appendChild(e);
      return e;
    }
    function fmt(v) {
      var a = Math.abs(v);
      if (a >= 1e6) return (v / 1e6).toPrecision(4) + 'M';
      if (a >= 1e3) return (v / 1e3).toPrecision(4) + 'k';
      return v.toPrecision(4);
    }
    data.charts.forEach(function (c, ci) {
      var sec = document.createElement('section');
      sec.className = 'chart';
      sec.id = 'chart-' + ci;
      var h = document.createElement('h3');
      h.textContent = c.title + ' \u2014 ' + c.metric + (c.higher_is_better ? ' (higher is better)' : ' (lower is better)');
      sec.appendChild(h);
      var W = 760, H = 280, L = 64, R = 12, T = 10, B = 46;
      var svg = el('svg', {width: W, height: H, viewBox: '0 0 ' + W + ' ' + H}, sec);
      var ys = [];
      c.series.forEach(function (s) { ys = ys.concat(s.y.filter(function (v) { return v > 0; })); });
      var lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys);
      var logy = lo > 0 && hi / lo > 20;
      function ty(v) { return logy ? Math.log10(v) : v; }
      var y0 = logy ? ty(lo) : Math.min(0, lo), y1 = ty(hi);
      if (y1 === y0) y1 = y0 + 1;
      var n = Math.max(c.runs.length - 1, 1);
      function X(i) { return L + (W - L - R) * i / n; }
      function Y(v) { return T + (H - T - B) * (1 - (ty(v) - y0) / (y1 - y0)); }
      el('line', {x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#444'}, svg);
      el('line', {x1: L, y1: T, x2: L, y2: H - B, stroke: '#444'}, svg);
      for (var k = 0; k <= 4; k++) {
        var yv = y0 + (y1 - y0) * k / 4, v = logy ? Math.pow(10, yv) : yv;
        var t = el('text', {x: L - 4, y: Y(v) + 4, 'text-anchor': 'end', 'font-size': 10}, svg);
        t.textContent = fmt(v);
        el('line', {x1: L, y1: Y(v), x2: W - R, y2: Y(v), stroke: '#eee'}, svg);
      }
      var step = Math.max(1, Math.ceil(c.runs.length / 12));
      c.runs.forEach(function (r, i) {
        if (i % step) return;
        var t = el('text', {x: X(i), y: H - B + 14, 'text-anchor': 'middle', 'font-size': 9}, svg);
        t.textContent = r.commit.slice(0, 7);
      });
      var xl = el('text', {x: (W + L) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 10}, svg);
      xl.textContent = 'commit order (' + c.runs.length + ' runs)' + (logy ? ', log scale' : '');
      c.series.forEach(function (s, si) {
        var col = palette[si % palette.length], d = '';
        s.x.forEach(function (xi, j) { d += (j ? 'L' : 'M') + X(xi).toFixed(1) + ',' + Y(s.y[j]).toFixed(1); });
        var p = el('path', {d: d, fill: 'none', stroke: col, 'stroke-width': 1.5, 'class': 'series',
                            'data-name': s.name}, svg);
        el('title', {}, p).textContent = s.label;
        s.x.forEach(function (xi, j) {
          var dot = el('circle', {cx: X(xi), cy: Y(s.y[j]), r: 2.2, fill: col}, svg);
          el('title', {}, dot).textContent = s.label + ' @ ' + c.runs[xi].commit + ': ' + fmt(s.y[j]);
        });
        s.changes.forEach(function (ch) {
          var xm = (X(ch.x - 1) + X(ch.x)) / 2;
          var ln = el('line', {x1: xm, y1: T, x2: xm, y2: H - B, stroke: col, 'stroke-dasharray': '4,3',
                               'stroke-width': 1.5, 'class': 'change'}, svg);
          el('title', {}, ln).textContent = s.label + ': ' + ch.previous + ' -> ' + ch.commit + ' ' +
            (ch.magnitude * 100).toFixed(1) + '% (' + ch.direction + '), confidence ' + (ch.confidence * 100).toFixed(0) + '%';
        });
        drawn++;
      });
      var tab = document.createElement('table');
      var head = '<tr><th></th><th>series</th><th>latest</th><th>best</th><th>median</th>' +
                 '<th>latest / best</th><th>latest / median</th><th>change points</th></tr>';
      tab.innerHTML = head;
      c.series.forEach(function (s, si) {
        var tr = document.createElement('tr');
        var cells = ['', s.label, fmt(s.latest), fmt(s.best), fmt(s.median),
                     (s.latest / s.best).toFixed(2), (s.latest / s.median).toFixed(2),
                     s.changes.map(function (ch) {
                       return ch.previous + '\u2192' + ch.commit + ' ' + (ch.magnitude >= 0 ? '+' : '') +
                              (ch.magnitude * 100).toFixed(0) + '% (' + (ch.confidence * 100).toFixed(0) + '%)';
                     }).join('; ') || '\u2014'];
        cells.forEach(function (txt, i) {
          var td = document.createElement('td');
          if (i === 0) td.style.background = palette[si % palette.length];
          else td.textContent = txt;
          tr.appendChild(td);
        });
        tab.appendChild(tr);
      });
      sec.appendChild(tab);
      root.appendChild(sec);
    });
    body.setAttribute('data-series', String(drawn));
    body.setAttribute('data-charts', String(data.charts.length));
    body.setAttribute('data-status', 'ok');
  } catch (e) {
    body.setAttribute('data-status', 'error');
    body.setAttribute('data-error', String(e));
    throw e;
  }
})();
"""

_CSS = """
body { font: 13px sans-serif; margin: 16px; color: #222; }
section.chart { margin: 18px 0 28px; }
h3 { margin: 4px 0; font-size: 14px; }
table { border-collapse: collapse; margin-top: 4px; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
td:nth-child(2), th:nth-child(2), td:last-child { text-align: left; }
td:first-child { width: 10px; }
"""


def render(charts, title, note=""):
    data = {"palette": PALETTE, "charts": charts}
    # '</' cannot end the script element early inside JSON text.
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    n_series = sum(len(c["series"]) for c in charts)
    n_changes = sum(len(s["changes"]) for c in charts for s in c["series"])
    made = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style></head>\n"
        f"<body data-status=\"loading\" data-expected-series=\"{n_series}\">\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f"<p>{len(charts)} charts, {n_series} series, {n_changes} change points (E-Divisive means, dashed lines; "
        f"hover for commit, magnitude and confidence). Each point is one run's median over its repetitions, "
        f"in commit order. Made {made}. {html.escape(note)}</p>\n"
        "<noscript>The charts are drawn by the inline script: enable JavaScript.</noscript>\n"
        "<div id=\"charts\"></div>\n"
        f"<script type=\"application/json\" id=\"lp-data\">{blob}</script>\n"
        f"<script>{_JS}</script>\n</body></html>\n")


def write(db, out, metrics, machine=None, tag=None, ratio_to=None, alpha=0.05, permutations=99, min_size=3,
          min_magnitude=0.0, title="LockPool performance history"):
    charts = collect(db, metrics, machine, tag, alpha, permutations, min_size, min_magnitude, ratio_to)
    if not charts:
        raise history.HistoryError(f"no series of {', '.join(metrics)} in the history (see lp-history info)")
    note = (f"Change points: permutation test at alpha {alpha} with {permutations} permutations, "
            f"at least {min_size} runs a side" + (f", |change| >= {min_magnitude:.0%}" if min_magnitude else "") + ".")
    with open(out, "w") as f:
        f.write(render(charts, title, note))
    return {"charts": len(charts), "series": sum(len(c["series"]) for c in charts),
            "changes": sum(len(s["changes"]) for c in charts for s in c["series"])}


def trend_png(path, ser, metric, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    runs = {}
    for pts in ser.values():
        for p in pts:
            runs[p.run_id] = p
    order = sorted(runs.values(), key=lambda p: (p.commit_date, p.run_date, p.run_id))
    pos = {p.run_id: i for i, p in enumerate(order)}
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for i, ((fp, tag, name), pts) in enumerate(ser.items()):
        xs = [pos[p.run_id] for p in pts]
        ys = [p.value for p in pts]
        lo = [p.value - min(p.values or [p.value]) for p in pts]
        hi = [max(p.values or [p.value]) - p.value for p in pts]
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", ms=3, capsize=2, lw=1.2,
                    color=PALETTE[i % len(PALETTE)], label=_label(name))
    vals = [p.value for pts in ser.values() for p in pts if p.value > 0]
    if vals and max(vals) / min(vals) > 20:
        ax.set_yscale("log")
    step = max(1, math.ceil(len(order) / 16))
    ax.set_xticks(range(0, len(order), step))
    ax.set_xticklabels([order[i].commit[:7] for i in range(0, len(order), step)], rotation=45, fontsize=7)
    ax.set_xlabel("commit order (median of each run; bars: min..max repetition)")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
