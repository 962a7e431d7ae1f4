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


def parse_callgrind_functions(text):
    """Self cost (Ir) per function name from a callgrind.out file's text.

    A cost line counts for the current `fn=` unless it follows a `calls=` line (that one is the
    callee's inclusive cost). Names are compressed as `(id) name` once, then `(id)`; `fn=` and
    `cfn=` share one table."""
    names, self_ir = {}, {}
    current, after_calls = None, False

    def name_of(spec):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?$", spec.strip())
        if not m:
            return spec.strip()
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), m.group(1))

    for line in text.splitlines():
        if line.startswith("fn="):
            current = name_of(line[3:])
        elif line.startswith("cfn="):
            name_of(line[4:])  # defines the id if new
        elif line.startswith("calls="):
            after_calls = True
        elif line and (line[0].isdigit() or line[0] in "+-*") and current is not None:
            parts = line.split()
            if after_calls:
                after_calls = False
            elif len(parts) >= 2:
                self_ir[current] = self_ir.get(current, 0) + int(parts[1])
    return self_ir


def functions_per_pair(funcs_n, funcs_2n, iters, min_per_pair=0.5):
    """Per-function instructions per pair, (self(2N) - self(N)) / N, the ones >= min_per_pair."""
    out = {}
    for name in set(funcs_n) | set(funcs_2n):
        per = (funcs_2n.get(name, 0) - funcs_n.get(name, 0)) / float(iters)
        if per >= min_per_pair:
            out[name] = round(per, 1)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


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


def callgrind_profile(fastpath_bin, design, iters, valgrind="valgrind"):
    """(total Ir, {function: self Ir}) of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run([valgrind, "--tool=callgrind", f"--callgrind-out-file={out}",
                        fastpath_bin, "--design", design, "--iters", str(iters)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            text = f.read()
        return parse_callgrind_totals(text), parse_callgrind_functions(text)


def callgrind_ir(fastpath_bin, design, iters, valgrind="valgrind"):
    return callgrind_profile(fastpath_bin, design, iters, valgrind)[0]


def measure(fastpath_bin, iters=100000, designs=None, progress=None, valgrind="valgrind"):
    """{"iters": N, "designs": {name: {"instr_per_pair", "ir_n", "ir_2n", "functions"}}}:
    functions = instructions per pair by function (self cost), where one is >= 0.5."""
    designs = designs or list_designs(fastpath_bin)
    doc = {"method": "valgrind --tool=callgrind; (Ir(2N) - Ir(N)) / N", "iters": iters,
           "designs": {}, "errors": {}}
    for i, d in enumerate(designs):
        if progress:
            progress(i, len(designs), d)
        try:
            ir_n, funcs_n = callgrind_profile(fastpath_bin, d, iters, valgrind)
            ir_2n, funcs_2n = callgrind_profile(fastpath_bin, d, 2 * iters, valgrind)
        except (subprocess.CalledProcessError, ValueError, OSError) as e:
            doc["errors"][d] = str(e)
            continue
        doc["designs"][d] = {"instr_per_pair": round(instr_per_pair(ir_n, ir_2n, iters), 3),
                             "ir_n": ir_n, "ir_2n": ir_2n,
                             "functions": functions_per_pair(funcs_n, funcs_2n, iters)}
    return doc


def write(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
