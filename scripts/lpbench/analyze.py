"""Plots + report for an existing run folder (bench.json [, detail.json, fastpath.json, run.json])."""
import json
import os

from . import plots, report, results


def _load_json(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def analyze(run_dir):
    detail = os.path.join(run_dir, "detail.json")
    run = results.Run.load(os.path.join(run_dir, "bench.json"),
                           detail if os.path.exists(detail) else None)
    fastpath = _load_json(os.path.join(run_dir, "fastpath.json"))
    meta = _load_json(os.path.join(run_dir, "run.json")) or {}
    plot_paths = plots.all_plots(run, run_dir)
    return report.write_report(run_dir, run, fastpath, plot_paths, meta)
