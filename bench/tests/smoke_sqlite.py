#!/usr/bin/env python3
"""sqlite_pool smoke test: a short run of every design with a mix of all three query kinds in a
fresh TMPDIR, checked by smoke.py (errors == 0, every counter sane); then the database folder
must be gone. Also: a run stopped by SIGTERM removes its database too, and bad --hold/--think/
--lp_sqlite_mix values exit 2 with one line. No timing thresholds.

usage: smoke_sqlite.py BENCH [bench flags...]
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

from checks import check, check_usage_error, command_line, fail, run, verdict

HERE = os.path.dirname(os.path.abspath(__file__))


def leftovers(tmp):
    return [os.path.join(d, f) for d, _, files in os.walk(tmp) for f in files] + \
           [d for d, _, _ in os.walk(tmp) if d != tmp]


def check_run_leaves_nothing(bench, flags, tmp, env):
    """smoke.py's checks on a mix of all three query kinds; then no database file is left."""
    rc = subprocess.call([sys.executable, os.path.join(HERE, "smoke.py"), bench, "--benchmark_filter=^sqlite_pool/",
                          "--lp_sqlite_mix=select:60,update:30,range:10"] + flags, env=env)
    check(rc == 0, "smoke.py on sqlite_pool exited %d" % rc)
    left = leftovers(tmp)
    check(not left, "database files left after the run: %s" % left)


def check_sigterm_leaves_nothing(bench, tmp, env, delay_s):
    """Stopped from outside delay_s after its database appeared: the files go too (SIGTERM
    handler). At 0 s the signal often lands while the database is seeded, when its rollback
    journal exists for a moment; at 0.3 s the run's connections are open."""
    p = subprocess.Popen([bench, "--benchmark_filter=^sqlite_pool/pthread/", "--quick", "--run_ms=20000"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None and \
            not any(os.path.basename(f).startswith("bench.db") for f in leftovers(tmp)):
        time.sleep(0.001)
    if p.poll() is not None:
        fail("the harness ended before the database appeared (rc %s)" % p.returncode)
        return
    time.sleep(delay_s)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    check(p.returncode == -signal.SIGTERM, "after SIGTERM at %.1f s the harness exited %s, not by the signal"
          % (delay_s, p.returncode))
    left = leftovers(tmp)
    check(not left, "database files left after SIGTERM at %.1f s: %s" % (delay_s, left))


def main():
    args = command_line(__doc__, 1)
    bench, flags = args[0], args[1:]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TMPDIR=tmp)
        check_run_leaves_nothing(bench, flags, tmp, env)
        for delay_s in (0.0, 0.0, 0.0, 0.3):
            check_sigterm_leaves_nothing(bench, tmp, env, delay_s)
    for bad in ("--hold=exp:-1", "--think=lognormal:1000", "--hold=bimodal:1,2,3", "--hold=uniform:5",
                "--lp_sqlite_mix=select:90", "--lp_sqlite_mix=select:90,delete:10"):
        check_usage_error(run([bench, bad, "--benchmark_list_tests"]), bad, bad.split("=")[0])
    return verdict("smoke_sqlite: ok")


if __name__ == "__main__":
    sys.exit(main())
