"""Command-line conventions shared by the lp-* tools: --help exits 0; a bad command line or bad
input is one line on stderr and exit status 2, never a usage dump or a traceback."""
import argparse
import sys

USAGE_ERROR = 2


class Parser(argparse.ArgumentParser):
    def __init__(self, **kw):
        kw.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(**kw)

    def error(self, message):
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see {self.prog} --help)\n")


def fail(prog, message, status=USAGE_ERROR):
    """One line on stderr, then exit."""
    print(f"{prog}: {message}", file=sys.stderr)
    sys.exit(status)
