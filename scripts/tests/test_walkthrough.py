"""baselines/README.md's "Adding a design", done as a user does it: the tree copied to a temporary
folder, the section's design file written to the path its first comment names, its registry line
appended to baselines/src/registry.def, its commands run in order from the top of the copy. Then the
new design must be in the bench's JSON (rows and context), in the report's ranking and design list,
and in the plots' legend with a look (colour, marker, line) no other design of the registry has; and nothing in bench/ or scripts/ may
have changed. It builds lockpool-bench, so it is its own ctest label (walkthrough)."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
README = os.path.join(TOP, "baselines", "README.md")


def walkthrough(text):
    """(design file path, its text, registry line, [commands]) from the README's section."""
    section = text[text.index("## Adding a design"):]
    nxt = section.find("\n## ", 5)
    section = section if nxt < 0 else section[:nxt]
    blocks = re.findall(r"^```(\w+)\n(.*?)^```", section, flags=re.M | re.S)
    kinds = [k for k, _ in blocks]
    if kinds != ["c", "c", "sh"]:
        raise AssertionError(f"the walkthrough wants a C file, a registry line and commands, has {kinds}")
    source, line, commands = (b for _, b in blocks)
    path = re.search(r"^ \* (baselines/designs/\S+\.c) ", source, flags=re.M).group(1)
    return path, source, line.strip(), [c for c in commands.splitlines() if c.strip()]


def copy_tree(dst):
    """The repository's files (as git lists them when it can), without build output or results."""
    try:
        files = subprocess.run(["git", "-C", TOP, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                               capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        files = [os.path.relpath(os.path.join(d, f), TOP) for d, _, fs in os.walk(TOP) for f in fs]
    for rel in files:
        if not rel or rel.split(os.sep)[0] in ("build", "results", ".git"):
            continue
        src = os.path.join(TOP, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dst, rel))


def digest(root, parts=("bench", "scripts")):
    h = hashlib.sha256()
    for part in parts:
        for d, dirs, files in sorted(os.walk(os.path.join(root, part))):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(d, f)
                h.update(os.path.relpath(p, root).encode())
                with open(p, "rb") as fh:
                    h.update(fh.read())
    return h.hexdigest()


class AddADesign(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(README) as f:
            cls.path, source, line, commands = walkthrough(f.read())
        cls.design = re.search(r'LPD_LOCKED_STACK_DESIGN\(\s*"([^"]+)"', source).group(1)
        cls.tmp = tempfile.TemporaryDirectory(prefix="lp-walkthrough-")
        cls.tree = os.path.join(cls.tmp.name, "tree")
        copy_tree(cls.tree)
        before = digest(cls.tree)
        with open(os.path.join(cls.tree, cls.path), "w") as f:
            f.write(source)
        with open(os.path.join(cls.tree, "baselines", "src", "registry.def"), "a") as f:
            f.write(line + "\n")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
        cls.outputs = []
        for cmd in commands:
            p = subprocess.run(["bash", "-c", cmd], cwd=cls.tree, env=env, capture_output=True, text=True)
            cls.outputs.append((cmd, p.returncode, p.stdout[-3000:] + p.stderr[-3000:]))
            if p.returncode != 0:
                break
        cls.unchanged = digest(cls.tree) == before

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def out(self, *parts):
        return os.path.join(self.tree, "build", "example", *parts)

    def test_every_command_of_the_walkthrough_succeeds(self):
        for cmd, rc, text in self.outputs:
            self.assertEqual(rc, 0, f"{cmd}\n{text}")
        self.assertEqual(len(self.outputs), 5, [c for c, _, _ in self.outputs])

    def test_its_conformance_test_ran(self):
        ctest = next(text for cmd, _, text in self.outputs if cmd.startswith("(cd build/example && ctest"))
        self.assertIn(f"conformance.{self.design}", ctest)
        self.assertIn("100% tests passed", ctest)

    def test_nothing_in_bench_or_scripts_changed(self):
        self.assertTrue(self.unchanged)

    def test_the_json_has_its_rows_and_its_facts(self):
        with open(self.out("example.json")) as f:
            doc = json.load(f)
        rows = [r["name"] for r in doc["benchmarks"] if f"/{self.design}/" in r["name"]]
        self.assertTrue(any(n.startswith("get_hold/") for n in rows), rows)
        self.assertIn(self.design, json.loads(doc["context"]["lp_design_flags"]))
        self.assertIn("test-and-set", json.loads(doc["context"]["lp_design_summaries"])[self.design])

    def test_the_report_ranks_and_describes_it(self):
        with open(self.out("report", "report.md")) as f:
            text = f.read()
        ranking = text[text.index("## Which design wins"):text.index("## The designs")]
        self.assertRegex(ranking, rf"\| \d+ \| (\*\*)?{re.escape(self.design)}(\*\*)? \|")
        self.assertIn(f"- **{self.design}** — plain test-and-set spinlock", text)
        self.assertTrue(os.path.exists(self.out("report", "throughput.png")))

    def test_the_plots_give_it_a_colour_of_its_own_and_a_legend_entry(self):
        sys.path.insert(0, os.path.join(self.tree, "scripts"))
        try:
            from lpbench import designs, plots, results  # the copy's scripts, unchanged
            run = results.Run.load(self.out("example.json"))
            figs = []
            with tempfile.TemporaryDirectory() as d, \
                    mock.patch.object(plots, "_save", lambda fig, _d, name: figs.append(fig) or name):
                plots.throughput(run, d)
            (fig,) = figs
            from matplotlib.colors import to_hex
            bars = {p.get_gid(): to_hex(p.get_facecolor()) for ax in fig.axes for p in ax.patches if p.get_gid()}
            legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
            self.assertIn(self.design, legend)
            self.assertEqual(bars[self.design], designs.style(run, self.design)["color"].lower())
            look = lambda d: tuple(designs.style(run, d)[k] for k in ("color", "marker", "linestyle"))  # noqa: E731
            self.assertNotIn(look(self.design), {look(d) for d in run.design_order() if d != self.design},
                             "every design of the registry has a look of its own")
        finally:
            sys.path.remove(os.path.join(self.tree, "scripts"))
            for m in [m for m in sys.modules if m == "lpbench" or m.startswith("lpbench.")]:
                del sys.modules[m]


if __name__ == "__main__":
    unittest.main()
