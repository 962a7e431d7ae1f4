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

from checks import fail, verdict

HERE = os.path.dirname(os.path.abspath(__file__))


def leftovers(tmp):
    return [os.path.join(d, f) for d, _, files in os.walk(tmp) for f in files] + \
           [d for d, _, _ in os.walk(tmp) if d != tmp]


def stop_and_check(bench, env, tmp, delay_s):
    p = subprocess.Popen([bench, "--benchmark_filter=^sqlite_pool/pthread/", "--quick", "--run_ms=20000"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not any(os.path.basename(f).startswith("bench.db") for f in leftovers(tmp)) \
            and p.poll() is None:
        time.sleep(0.001)
    if p.poll() is not None:
        fail("the harness ended before the database appeared (rc %s)" % p.returncode)
        return
    time.sleep(delay_s)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    if p.returncode != -signal.SIGTERM:
        fail("after SIGTERM (%.1f s after the database appeared) the harness exited %s, not by the signal"
             % (delay_s, p.returncode))
    left = leftovers(tmp)
    if left:
        fail("database files left after SIGTERM %.1f s after the database appeared: %s" % (delay_s, left))


def main():
    bench, flags = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TMPDIR=tmp)
        rc = subprocess.call([sys.executable, os.path.join(HERE, "smoke.py"), bench, "--benchmark_filter=^sqlite_pool/",
                              "--lp_sqlite_mix=select:60,update:30,range:10"] + flags, env=env)
        if rc != 0:
            fail("smoke.py on sqlite_pool exited %d" % rc)
        left = leftovers(tmp)
        if left:
            fail("database files left after the run: %s" % left)

        # Stopped from outside: the files go too (SIGTERM handler), whether the signal lands while
        # the database is being seeded (its rollback journal exists for a moment then) or in the run.
        for delay_s in (0.0, 0.0, 0.0, 0.3):
            stop_and_check(bench, env, tmp, delay_s)

    for bad in ("--hold=exp:-1", "--think=lognormal:1000", "--hold=bimodal:1,2,3", "--hold=uniform:5",
                "--lp_sqlite_mix=select:90", "--lp_sqlite_mix=select:90,delete:10"):
        r = subprocess.run([bench, bad, "--benchmark_list_tests"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, universal_newlines=True)
        lines = r.stderr.strip().splitlines()
        if r.returncode != 2 or len(lines) != 1 or bad.split("=")[0] not in lines[0]:
            fail("%s: want exit 2 and one line naming the flag, got %d: %r" % (bad, r.returncode, r.stderr))

    return verdict("smoke_sqlite: ok")


if __name__ == "__main__":
    sys.exit(main())
