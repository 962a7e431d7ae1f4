"""History for past commits: build each commit of a range in its own git worktree and run a
fixed set of benchmarks with that commit's lockpool-bench, then add the run to the history.

The harness is driven directly (one process per workload, under a watchdog), with the same
filter, repetitions and run length for every commit: old commits' run-suite.sh lack today's
options, and a series is only comparable if every point ran the same thing. Resumable: each
commit's run folder is kept under the work directory, and a commit already in the history
(same tag) is skipped, so an interrupted backfill picks up where it stopped."""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time

from . import history

# Oversubscribed (the retry-wake limit's case), the blocking get_hold case with one slot, and
# the uncontended single thread, for LockPool's default (`lockpool`, where a commit has it), its
# named modes, and pthread, whose code no commit touches: its series is the control for what the
# machine alone does.
_DESIGNS = "(lockpool|lockpool-fair|lockpool-barging|lockpool-bounded|pthread)"
DEFAULT_FILTER = rf"^(oversubscribed|uncontended)/{_DESIGNS}/|^get_hold/{_DESIGNS}/slots:1/"
DEFAULT_REPS = 5
DEFAULT_RUN_MS = 200
DEFAULT_TAG = "backfill"


def log(msg):
    print(f"lp-history backfill: {msg}", flush=True)


def git(repo, *args, check=True):
    out = subprocess.run(["git", "-C", repo] + list(args), capture_output=True, text=True)
    if check and out.returncode != 0:
        raise history.HistoryError(f"git {' '.join(args)}: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else 'failed'}")
    return out.stdout.strip()


def commits_in(repo, spec, paths, first_parent=False):
    if ".." not in spec:
        raise history.HistoryError(f"not a range: {spec!r} (want A..B, e.g. HEAD~20..HEAD)")
    a, _, b = spec.partition("..")
    for end in (a, b or "HEAD"):
        if subprocess.run(["git", "-C", repo, "rev-parse", "--verify", "--quiet", end + "^{commit}"],
                          capture_output=True).returncode != 0:
            raise history.HistoryError(f"unknown commit {end!r} in {spec!r}")
    args = ["rev-list", "--reverse"] + (["--first-parent"] if first_parent else []) + [spec]
    if paths:
        args += ["--"] + paths
    out = git(repo, *args)
    return out.split() if out else []


def _run_harness(bench, args, out_json, timeout_s, nice, logf):
    cmd = (["nice", "-n", str(nice)] if nice else []) + [bench] + args + [
        f"--benchmark_out={out_json}", "--benchmark_out_format=json", "--benchmark_color=false"]
    logf.write("$ " + " ".join(cmd) + "\n")
    logf.flush()
    try:
        proc = subprocess.run(cmd, stdout=logf, stderr=subprocess.STDOUT, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout_s:.0f} s"
    if proc.returncode != 0:
        return f"exit status {proc.returncode}"
    return None


def run_commit(repo, sha, work, filt, reps, run_ms, nice, jobs, tag, run_name=None):
    """Build `sha` and run the benchmarks into work/runs/<run_name>; returns (run folder, None)
    or (None, reason)."""
    run_dir = os.path.join(work, "runs", run_name or sha[:12])
    src = os.path.join(work, "src")
    build = os.path.join(work, "build")
    # A leftover of an interrupted attempt is rebuilt from scratch.
    if os.path.exists(src):
        git(repo, "worktree", "remove", "--force", src, check=False)
        shutil.rmtree(src, ignore_errors=True)
    git(repo, "worktree", "prune")
    shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    logf = open(os.path.join(run_dir, "backfill.log"), "w")
    try:
        git(repo, "worktree", "add", "--detach", src, sha)
        t0 = time.time()
        nice_cmd = ["nice", "-n", str(nice)] if nice else []
        for cmd in (["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DLP_BUILD_VERIFY=OFF"],
                    nice_cmd + ["cmake", "--build", build, "-j", str(jobs), "--target", "lockpool-bench"]):
            logf.write("$ " + " ".join(cmd) + "\n")
            logf.flush()
            if subprocess.run(cmd, stdout=logf, stderr=subprocess.STDOUT).returncode != 0:
                return None, f"build failed ({' '.join(cmd[-3:])}); see {run_dir}/backfill.log"
        build_s = time.time() - t0
        bench = os.path.join(build, "bench", "lockpool-bench")
        listing = subprocess.run([bench, "--benchmark_list_tests=true"], capture_output=True, text=True)
        names = [n for n in listing.stdout.split() if re.search(filt, n)]
        if not names:
            return None, f"its harness lists no benchmark matching {filt!r}"
        workloads = []
        for n in names:
            w = n.split("/")[0]
            if w not in workloads:
                workloads.append(w)
        docs, failures = [], {}
        t1 = time.time()
        for w in workloads:
            wnames = [n for n in names if n.startswith(w + "/")]
            part = os.path.join(run_dir, f".part-{w}.json")
            expected = len(wnames) * reps * (run_ms / 1000.0 + 0.25) + 2
            # Google Benchmark's regex is POSIX: names are plain [a-z0-9_:/-], no escaping.
            args = [f"--benchmark_filter=^({'|'.join(wnames)})$",
                    f"--run_ms={run_ms}", f"--benchmark_repetitions={reps}"]
            if reps > 1:
                args.append("--benchmark_enable_random_interleaving=true")
            err = _run_harness(bench, args, part, 4 * expected + 60, nice, logf)
            if err is None:
                try:
                    with open(part) as f:
                        docs.append(json.load(f))
                except (OSError, ValueError):
                    err = "unreadable JSON"
            if err:
                failures[w] = err
            if os.path.exists(part):
                os.remove(part)
        if not docs:
            return None, "no workload produced results: " + "; ".join(f"{k}: {v}" for k, v in failures.items())
        doc = {"context": dict(docs[0].get("context", {})), "benchmarks": [r for d in docs for r in d["benchmarks"]]}
        got = doc["context"].get("lp_git_commit", "")
        note = None
        if not got.startswith(sha[:len(got)] if got else "x") or len(got) < 7:
            # Harnesses older than the lp_git_commit context key: the commit is the one built here.
            note = f"lp_git_commit was {got!r}; set to the built commit by backfill"
            doc["context"]["lp_git_commit"] = sha
        meta = {"command": "lp-history backfill", "history_tag": tag, "commit": sha,
                "commit_date": git(repo, "show", "-s", "--format=%cI", sha),
                "filter": filt, "repetitions": reps, "run_ms": run_ms, "benchmarks": len(names),
                "build_s": round(build_s, 1), "bench_s": round(time.time() - t1, 1),
                "load_avg_1min": round(os.getloadavg()[0], 2), "failures": failures,
                "finished": f"{datetime.datetime.now():%Y-%m-%d %H:%M:%S}"}
        if note:
            meta["note"] = note
        with open(os.path.join(run_dir, "bench.json"), "w") as f:
            json.dump(doc, f, indent=1)
        with open(os.path.join(run_dir, "run.json"), "w") as f:
            json.dump(meta, f, indent=1)
        if failures:
            return None, "partial: " + "; ".join(f"{k}: {v}" for k, v in failures.items())
        return run_dir, None
    finally:
        logf.close()
        git(repo, "worktree", "remove", "--force", src, check=False)
        shutil.rmtree(src, ignore_errors=True)
        git(repo, "worktree", "prune", check=False)
        shutil.rmtree(build, ignore_errors=True)


def backfill(db, repo, spec, work, paths=None, filt=DEFAULT_FILTER, reps=DEFAULT_REPS, run_ms=DEFAULT_RUN_MS,
             nice=10, jobs=2, tag=DEFAULT_TAG, limit=None, runs_per_commit=1, newest_first=False,
             runner=run_commit, first_parent=False):
    """Returns (added, skipped, failed) lists of short commit ids. A commit that already has
    `runs_per_commit` runs with this tag is skipped; a second pass newest-first spreads the
    machine's slow drift over the commits instead of along their order."""
    shas = commits_in(repo, spec, paths, first_parent)
    if not shas:
        raise history.HistoryError(f"no commits in {spec}" + (f" touching {' '.join(paths)}" if paths else ""))
    if limit:
        shas = shas[-limit:]
    if newest_first:
        shas = shas[::-1]
    work = os.path.abspath(work)   # git and cmake run from other directories
    os.makedirs(os.path.join(work, "runs"), exist_ok=True)
    have = {}
    for (sha,) in db.query("SELECT commit_sha FROM runs WHERE tag = ?", (tag,)):
        have[sha] = have.get(sha, 0) + 1
    added, skipped, failed = [], [], []
    log(f"{len(shas)} commits in {spec}{' touching ' + ' '.join(paths) if paths else ''}; work dir {work}")
    for i, sha in enumerate(shas):
        short = sha[:12]
        if have.get(sha, 0) >= runs_per_commit:
            skipped.append(short)
            log(f"[{i + 1}/{len(shas)}] {short}: already {have[sha]} run(s) in the history (tag {tag}), skipped")
            continue
        k = have.get(sha, 0) + 1
        run_name = short if k == 1 else f"{short}-{k}"
        run_dir = os.path.join(work, "runs", run_name)
        t0 = time.time()
        done = os.path.exists(os.path.join(run_dir, "bench.json")) and os.path.exists(os.path.join(run_dir, "run.json"))
        if done:
            try:
                with open(os.path.join(run_dir, "run.json")) as f:
                    done = not json.load(f).get("failures")
            except ValueError:
                done = False
        if not done:
            log(f"[{i + 1}/{len(shas)}] {short}: build + run ...")
            run_dir, err = runner(repo, sha, work, filt, reps, run_ms, nice, jobs, tag, run_name)
            if err:
                failed.append(short)
                log(f"[{i + 1}/{len(shas)}] {short}: FAILED: {err}")
                continue
        run = history.LoadedRun(run_dir, tag=tag)
        history.add_run(db, run)
        added.append(short)
        log(f"[{i + 1}/{len(shas)}] {short}: added ({len(run.rows)} rows, {time.time() - t0:.0f} s)")
    return added, skipped, failed


def default_work(repo):
    return os.path.join(repo, "build", "history-backfill")


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use scripts/lp-history backfill")
