"""Single-thread fast-path cost: instructions per get+put pair, counted by callgrind.

lp-fastpath --design NAME --iters N runs N try_get+put pairs. Running it at N and 2N and
subtracting cancels start-up and teardown exactly: instr/pair = (Ir(2N) - Ir(N)) / N."""
import json
import os
import re
import subprocess
import tempfile

_TOTALS_RE = re.compile(r"^(?:totals|summary):\s+(\d+)", re.M)


def parse_callgrind_totals(text):
    """Total instructions (Ir, the first event) from a callgrind.out file's text."""
    m = _TOTALS_RE.search(text)
    if not m:
        raise ValueError("no 'totals:' or 'summary:' line in callgrind output")
    return int(m.group(1))


def instr_per_pair(ir_n, ir_2n, iters):
    return (ir_2n - ir_n) / float(iters)


def list_designs(fastpath_bin):
    out = subprocess.run([fastpath_bin, "--list"], check=True, capture_output=True, text=True).stdout
    # "name  blocking  summary" lines; skip notes such as "jemalloc: 5.3.0" (names have no colon).
    names = []
    for line in out.splitlines():
        words = line.split()
        if words and re.fullmatch(r"[a-z0-9][a-z0-9_-]*", words[0]):
            names.append(words[0])
    return names


def callgrind_ir(fastpath_bin, design, iters, valgrind="valgrind"):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run([valgrind, "--tool=callgrind", f"--callgrind-out-file={out}",
                        fastpath_bin, "--design", design, "--iters", str(iters)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            return parse_callgrind_totals(f.read())


def measure(fastpath_bin, iters=100000, designs=None, progress=None):
    """{"iters": N, "designs": {name: {"instr_per_pair", "ir_n", "ir_2n"}}}"""
    designs = designs or list_designs(fastpath_bin)
    doc = {"method": "valgrind --tool=callgrind; (Ir(2N) - Ir(N)) / N", "iters": iters,
           "designs": {}, "errors": {}}
    for i, d in enumerate(designs):
        if progress:
            progress(i, len(designs), d)
        try:
            ir_n = callgrind_ir(fastpath_bin, d, iters)
            ir_2n = callgrind_ir(fastpath_bin, d, 2 * iters)
        except (subprocess.CalledProcessError, ValueError, OSError) as e:
            doc["errors"][d] = str(e)
            continue
        doc["designs"][d] = {"instr_per_pair": round(instr_per_pair(ir_n, ir_2n, iters), 3),
                             "ir_n": ir_n, "ir_2n": ir_2n}
    return doc


def write(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
