"""Plots + report for a run (bench.json [, detail.json, fastpath.json, run.json]).

Inputs are checked before anything is drawn: a file that is not JSON, not Google Benchmark
output, or holds no lockpool-bench row is an InputError (lp-report: one line, exit 2), never an
empty report."""
import json
import os
from collections import namedtuple

from . import results


class InputError(Exception):
    """The input is missing or is not a lockpool-bench run."""


# folder: where the run's files are; name: the run's name (its folder's, or the file's stem);
# bench/detail/fastpath/meta: paths, None when absent.
Inputs = namedtuple("Inputs", "folder name bench detail fastpath meta")


def find_inputs(path):
    """Inputs of a run folder (with bench.json) or of one bench JSON file."""
    if os.path.isdir(path):
        folder = os.path.abspath(path)
        bench = os.path.join(folder, "bench.json")
        if not os.path.isfile(bench):
            raise InputError(f"{path}: no bench.json in this folder (is it a run folder of "
                             "scripts/run-suite.sh?)")
        name = os.path.basename(folder.rstrip(os.sep))
    elif os.path.isfile(path):
        bench = os.path.abspath(path)
        folder = os.path.dirname(bench)
        stem = os.path.splitext(os.path.basename(bench))[0]
        name = os.path.basename(folder) if stem == "bench" else stem
    else:
        raise InputError(f"{path}: no such file or folder")
    # Companion files belong to a run folder's bench.json only, not to any JSON lying next to them.
    side = os.path.basename(bench) == "bench.json"

    def companion(n):
        p = os.path.join(folder, n)
        return p if side and os.path.isfile(p) else None

    return Inputs(folder, name, bench, companion("detail.json"), companion("fastpath.json"),
                  companion("run.json"))


def _load(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file ({what} must be JSON)") from None
    except ValueError as e:
        raise InputError(f"{path}: not JSON ({what}): {e}") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None


def load_run(inputs):
    """(Run, fastpath dict or None, run.json dict) after checking every input."""
    doc = _load(inputs.bench, "benchmark results")
    rows = doc.get("benchmarks") if isinstance(doc, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(f"{inputs.bench}: not Google Benchmark JSON (no list of benchmark rows under "
                         "'benchmarks')")
    if not rows:
        raise InputError(f"{inputs.bench}: no benchmark rows (the harness ran nothing?)")
    detail = _load(inputs.detail, "latency histograms") if inputs.detail else None
    if detail is not None and not (isinstance(detail, dict) and isinstance(detail.get("benchmarks"), dict)):
        raise InputError(f"{inputs.detail}: not a lockpool-bench detail file (bench/JSON.md)")
    try:
        run = results.Run(doc, detail, source=inputs.bench)
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise InputError(f"{inputs.bench}: a benchmark row is malformed ({type(e).__name__}: {e})") from None
    named = [r for r in rows if results.parse_name(
        results._AGGREGATE_SUFFIX_RE.sub("", str(r.get("run_name", r.get("name", ""))))) is not None]
    if not named:
        raise InputError(f"{inputs.bench}: none of its {len(rows)} rows is a lockpool-bench benchmark "
                         "(names like get_hold/<design>/slots:N/waiters:N/hold_ns:N/think_ns:N/...)")
    fastpath = _load(inputs.fastpath, "callgrind counts") if inputs.fastpath else None
    if fastpath is not None and not (isinstance(fastpath, dict) and isinstance(fastpath.get("designs", {}), dict)):
        raise InputError(f"{inputs.fastpath}: not a fastpath.json (an object with 'designs')")
    meta = _load(inputs.meta, "run notes") if inputs.meta else {}
    if not isinstance(meta, dict):
        raise InputError(f"{inputs.meta}: not a run.json (an object)")
    return run, fastpath, meta


def analyze_inputs(inputs, out_dir):
    """Check the inputs, draw the plots and write report.md into out_dir; returns its path."""
    from . import plots, report  # matplotlib: only once the inputs are known to be good
    run, fastpath, meta = load_run(inputs)
    os.makedirs(out_dir, exist_ok=True)
    plot_paths = plots.all_plots(run, out_dir)
    source = None if os.path.realpath(out_dir) == os.path.realpath(inputs.folder) else inputs
    return report.write_report(out_dir, run, fastpath, plot_paths, meta, source=source)


def analyze(run_dir):
    """The run folder's own report, written into it (what the suite does after a run)."""
    return analyze_inputs(find_inputs(run_dir), run_dir)
