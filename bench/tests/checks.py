"""What the harness's Python tests share: failures collected without stopping at the first and
the verdict at the end (exit status 1 with the count, or 0 with one line saying what passed); the
script's arguments; runs of lockpool-bench with their JSON; the usage-error convention (exit 2,
one line on stderr).
"""
import json
import os
import subprocess
import sys

failures = []


def command_line(doc, count):
    """The script's arguments (sys.argv[1:]), the first an executable lockpool-bench. --help prints
    `doc` (the script's docstring) and exits 0; fewer than `count` arguments, or a first one that
    is not an executable file, print one line and exit 2."""
    args = sys.argv[1:]
    if args[:1] in (["--help"], ["-h"]):
        print(doc.strip())
        sys.exit(0)
    usage = next((line.strip() for line in doc.splitlines() if line.strip().startswith("usage:")), "usage: see --help")
    if len(args) < count:
        print("%s: %s" % (os.path.basename(sys.argv[0]), usage), file=sys.stderr)
        sys.exit(2)
    if not (os.path.isfile(args[0]) and os.access(args[0], os.X_OK)):
        print("%s: %s is not an executable lockpool-bench (%s)" % (os.path.basename(sys.argv[0]), args[0], usage),
              file=sys.stderr)
        sys.exit(2)
    return args


def fail(what):
    failures.append(what)
    print("FAIL:", what, file=sys.stderr)


def check(cond, what):
    """fail(what) unless cond; returns cond."""
    if not cond:
        fail(what)
    return bool(cond)


def run(cmd, timeout=300, **kw):
    """Run `cmd` (a list) to the end, stdout and stderr captured as text."""
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=timeout, **kw)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def run_json(bench, args, out, **kw):
    """Run the bench with its JSON written to `out`: (process, document or None if it failed)."""
    p = run([bench] + list(args) + ["--benchmark_out=" + out, "--benchmark_out_format=json"], **kw)
    return p, (load_json(out) if p.returncode == 0 else None)


def iteration_rows(doc):
    """The rows of single runs (no mean/median/... aggregates)."""
    return [b for b in doc["benchmarks"] if b.get("run_type", "iteration") == "iteration"]


def check_usage_error(p, what, mentions=""):
    """A rejected input: exit 2, exactly one line on stderr, from lockpool-bench, naming `mentions`."""
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    return check(p.returncode == 2 and len(lines) == 1 and lines[0].startswith("lockpool-bench: ")
                  and mentions in lines[0],
                  "%s: want exit 2 and one line%s on stderr, got %d: %r"
                  % (what, " naming " + mentions if mentions else "", p.returncode, p.stderr[-300:]))


def verdict(ok_line):
    """main's return value: 1 (and the count) if anything failed, else 0 (and ok_line)."""
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print(ok_line)
    return 0
