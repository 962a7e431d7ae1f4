"""What the harness's Python tests share: failures collected without stopping at the first, and
the verdict at the end (exit status 1 with the count, or 0 with one line saying what passed)."""
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def check(cond, what):
    """fail(what) unless cond."""
    if not cond:
        fail(what)


def verdict(ok_line):
    """main's return value: 1 (and the count) if anything failed, else 0 (and ok_line)."""
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print(ok_line)
    return 0
