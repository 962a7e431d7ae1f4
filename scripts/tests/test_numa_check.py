"""scripts/numa-vm/check_placement.py on the outputs of a real two-node guest (data/numa-vm: the
files a scripts/check-numa-vm.sh run left on its results disk): they pass as recorded, and each
seeded misplacement, missing fact or wrong exit status makes the check fail; so does a bench that
would report pin_ok = 1 after its CPUs were taken away, or claim a node it cannot see."""
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "numa-vm"))
import check_placement  # noqa: E402

DATA = os.path.join(HERE, "data", "numa-vm")
SPEC = "node0:pu0-1 node1:pu2-3"


class RecordedGuest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        for f in os.listdir(DATA):
            shutil.copy(os.path.join(DATA, f), self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def check(self, spec=SPEC):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            rc = check_placement.main(["check", "--out", self.dir, "--nodes", spec])
        return rc, out.getvalue()

    def edit(self, case, fn):
        path = os.path.join(self.dir, case + ".json")
        with open(path) as f:
            doc = json.load(f)
        fn(doc)
        with open(path, "w") as f:
            json.dump(doc, f)

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def assertFails(self, what):
        rc, text = self.check()
        self.assertEqual(rc, 1, text)
        fails = [line for line in text.splitlines() if line.startswith("FAIL: ")]
        self.assertTrue(any(what in line for line in fails), f"no FAIL line with '{what}' in {fails}")

    def test_recorded_run_passes(self):
        rc, text = self.check()
        self.assertEqual(rc, 0, text)
        self.assertIn("PASS: ", text)
        self.assertNotIn("FAIL", text)

    def test_a_thread_off_its_pu_fails(self):
        self.edit("scatter", lambda d: d["benchmarks"][0].update(pin_ok=0))
        self.assertFails("pin_ok = 1")

    def test_storage_on_the_wrong_node_fails(self):
        self.edit("numa1", lambda d: d["benchmarks"][1].update(mem_node=0))
        self.assertFails("mem_node = 1")

    def test_remote_storage_that_is_local_fails(self):
        def local(doc):
            for r in doc["benchmarks"]:
                r["mem_node"] = 0
        self.edit("remote_from0", local)
        self.assertFails("get_hold_remote")

    def test_interleave_on_one_node_fails(self):
        self.edit("numa1_interleave", lambda d: d["context"].update(
            lp_mem_policy="interleave:0-1 (first page on node 1; pages on nodes 1)"))
        self.assertFails("pages are on every node")

    def test_unbound_storage_fails(self):
        self.edit("numa0_node1", lambda d: d["context"].update(
            lp_mem_policy="node:1(unbound:Operation not permitted,first-touch) (first page on node 0; pages on nodes 0)"))
        self.assertFails("bound 'node:1")

    def test_threads_planned_on_the_wrong_node_fail(self):
        self.edit("numa1", lambda d: d["context"].update(lp_placement="t0:pu2 t1:pu1 t2:pu2 t3:pu3"))
        self.assertFails("every planned PU is on node(s) [1]")

    def test_scatter_that_does_not_alternate_fails(self):
        self.edit("scatter", lambda d: d["context"].update(lp_placement="t0:pu0 t1:pu1 t2:pu2 t3:pu3"))
        self.assertFails("consecutive threads on different nodes")

    def test_topology_missing_from_the_context_fails(self):
        self.edit("numa1", lambda d: d["context"].pop("lp_numa_nodes"))
        self.assertFails("lp_numa_nodes")

    def test_hwloc_showing_one_node_fails(self):
        with open(os.path.join(self.dir, "hwloc-ls.txt")) as f:
            text = f.read()
        self.write("hwloc-ls.txt", text.replace("NUMANode L#1 (P#1", "Group0 L#1 (P#1"))
        self.assertFails("hwloc-ls shows NUMA nodes")

    def test_a_missing_node_accepted_fails(self):
        self.write("bad_numa2.rc", "0\n")
        self.assertFails("--pin=numa:2: exit status 2")

    def test_a_missing_node_with_a_long_message_fails(self):
        self.write("bad_node2.err", "lockpool-bench: --mem=node:2: no such node\nand more\n")
        self.assertFails("one line on stderr")

    def test_a_failed_run_fails(self):
        self.write("remote_from1.rc", "134\n")
        self.assertFails("remote_from1: lockpool-bench exit status 0")

    def test_a_missing_case_fails(self):
        os.remove(os.path.join(self.dir, "numa0_node1.json"))
        self.assertFails("numa0_node1")

    def test_an_error_row_fails(self):
        self.edit("remote_from1", lambda d: d["benchmarks"][3].update(
            error_occurred=True, error_message="design storage is not on node 0"))
        self.assertFails("ran without errors")

    def test_an_offline_cpu_still_in_the_topology_fails(self):
        self.edit("numa1_pu3_offline", lambda d: d["context"].update(lp_numa_nodes=SPEC))
        self.assertFails("context lp_numa_nodes is the machine's topology 'node0:pu0-1 node1:pu2'")

    def test_a_plan_outside_the_cpuset_fails(self):
        self.edit("scatter_cpuset0", lambda d: d["context"].update(lp_placement="t0:pu0 t1:pu2 t2:pu1 t3:pu3"))
        self.assertFails("every planned PU is on node(s) [0]")

    def test_pin_ok_that_stays_1_after_the_cpus_are_gone_fails(self):
        def all_ok(doc):
            for r in doc["benchmarks"]:
                r["pin_ok"] = 1
        self.edit("numa1_cpuset_shrinks", all_ok)
        self.assertFails("pin_ok falls to 0")

    def test_failed_bindings_not_named_on_stderr_fail(self):
        with open(os.path.join(self.dir, "numa1_cpuset_shrinks.err")) as f:
            lines = [line for line in f if "not on PU" not in line]
        self.write("numa1_cpuset_shrinks.err", "".join(lines))
        self.assertFails("each failed binding is named on stderr")

    def test_remote_claimed_without_sys_nice_fails(self):
        self.edit("docker_default", lambda d: d["context"].update(
            lp_remote="threads on node 0 (--pin=numa:0: t0:pu0 t1:pu1); storage on node 0 (get_hold_local) and "
                      "node 1 (get_hold_remote)"))
        self.assertFails("lp_remote says why nothing remote is measured")

    def test_a_node_claimed_where_pages_cannot_be_located_fails(self):
        self.edit("docker_sys_nice", lambda d: d["benchmarks"][2].update(mem_node=1))
        self.assertFails("mem_node = -1")

    def test_bad_usage_is_status_2(self):
        for spec in ("node0:pu0-3", "0:0-1 1:2-3", ""):
            rc, text = self.check(spec)
            self.assertEqual(rc, 2, (spec, text))
            self.assertEqual(len(text.strip().splitlines()), 1, text)
        out = io.StringIO()
        with contextlib.redirect_stderr(out):
            rc = check_placement.main(["check", "--out", os.path.join(self.dir, "nope"), "--nodes", SPEC])
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    unittest.main()
