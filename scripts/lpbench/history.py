"""Performance history: every run of the suite in one database (SQLite by default, or
PostgreSQL for CI on several machines), so trends and change points are judged over many
runs instead of one run against one baseline.

One row per benchmark x metric x repetition, keyed by the run, which records its commit,
commit date, machine fingerprint and run date. Both backends get the same schema from the
same migration steps; `meta.schema_version` says how many have been applied."""
import datetime
import hashlib
import json
import math
import os
import re
import statistics
import subprocess

from . import results

DEFAULT_DB = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "results", "history.sqlite")

# Google Benchmark's bookkeeping fields: numbers in every row that are not measurements.
_NOT_METRICS = {"family_index", "per_family_instance_index", "repetitions", "repetition_index",
                "threads", "iterations", "real_time", "cpu_time"}
# Charted by the dashboard; trend/changes default to the first.
HEADLINE_METRICS = ["ops_per_s", "lat_p99_ns"]
FASTPATH_METRIC = "instr_per_pair"


def canonical_name(name):
    """A benchmark's series name: what it measures, whatever time measurement the harness
    reported it under (results.key_name's spelling); other names (fastpath/<design>) as they are."""
    k = results.parse_name(name)
    return name if k is None else results.key_name(k)


class HistoryError(Exception):
    """Bad input (a bad or partial run, an unknown database, a bad query): one line, exit 2."""


# ---- schema -------------------------------------------------------------------------------
# Each step is applied once, in order, in one transaction; {pk} is the backend's
# auto-increment key column and {wr} its clause for tables keyed only by their primary key.
MIGRATIONS = [
    # 1: runs, what they measured, and every repetition's value.
    [
        "CREATE TABLE machines (id {pk}, fingerprint TEXT NOT NULL UNIQUE, host TEXT, cpu_model TEXT,"
        " num_cpus INTEGER, topology TEXT)",
        "CREATE TABLE runs (id {pk}, run_hash TEXT NOT NULL UNIQUE, commit_sha TEXT NOT NULL,"
        " commit_date TEXT NOT NULL, commit_ts BIGINT NOT NULL, run_date TEXT NOT NULL,"
        " run_ts BIGINT NOT NULL, machine_id INTEGER NOT NULL REFERENCES machines(id),"
        " tag TEXT NOT NULL, source TEXT, context TEXT, meta TEXT)",
        "CREATE INDEX runs_order ON runs (machine_id, tag, commit_ts, run_ts)",
        "CREATE TABLE benchmarks (id {pk}, name TEXT NOT NULL UNIQUE, workload TEXT NOT NULL,"
        " design TEXT NOT NULL, slots INTEGER, waiters INTEGER, hold_ns INTEGER, think_ns INTEGER,"
        " threads INTEGER)",
        "CREATE TABLE metrics (id {pk}, name TEXT NOT NULL UNIQUE, higher_is_better INTEGER NOT NULL)",
        # Keyed series-first: a trend or a change search reads one contiguous range.
        "CREATE TABLE samples (benchmark_id INTEGER NOT NULL, metric_id INTEGER NOT NULL,"
        " run_id INTEGER NOT NULL, repetition INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL,"
        " PRIMARY KEY (benchmark_id, metric_id, run_id, repetition)){wr}",
    ],
    # 2: the median of each run's repetitions, kept at load time, so a change search over every
    # series reads one number per run instead of sorting repetitions.
    [
        "CREATE TABLE run_medians (benchmark_id INTEGER NOT NULL, metric_id INTEGER NOT NULL,"
        " run_id INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL, reps INTEGER NOT NULL,"
        " PRIMARY KEY (metric_id, benchmark_id, run_id)){wr}",
        "@fill_medians",
    ],
    # 3: one series per benchmark across the harness's choice of time measurement (its names
    # said real_time, later manual_time): existing rows move to the canonical name.
    [
        "@canonical_names",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


class DB:
    """A thin layer over sqlite3 or psycopg2: SQL is written with '?' placeholders."""

    def __init__(self, url=None, create=True):
        url = url or DEFAULT_DB
        self.url = url
        if url.startswith(("postgresql://", "postgres://")):
            try:
                import psycopg2  # Debian: python3-psycopg2
            except ImportError:
                raise HistoryError("a PostgreSQL history needs psycopg2 (Debian: python3-psycopg2)")
            try:
                self.conn = psycopg2.connect(url)
            except psycopg2.Error as e:
                raise HistoryError(f"cannot connect to {url}: {str(e).strip().splitlines()[0]}")
            self.kind = "postgresql"
        else:
            import sqlite3
            if url.startswith("sqlite:///"):
                url = url[len("sqlite:///") - 1:]
            if not create and not os.path.exists(url):
                raise HistoryError(f"no history database at {url} (create one with lp-history add)")
            parent = os.path.dirname(os.path.abspath(url))
            if not os.path.isdir(parent):
                raise HistoryError(f"no such directory for the database: {parent}")
            try:
                self.conn = sqlite3.connect(url)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as e:
                raise HistoryError(f"{url}: not a history database ({e})")
            self.kind = "sqlite"
        self.migrate()

    # -- plumbing
    def _sql(self, sql):
        return sql.replace("?", "%s") if self.kind == "postgresql" else sql

    def execute(self, sql, params=()):
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), params)
        return cur

    def query(self, sql, params=()):
        return self.execute(sql, params).fetchall()

    def executemany(self, sql, rows):
        if not rows:
            return
        if self.kind == "postgresql":
            from psycopg2.extras import execute_values
            head, _, _ = sql.partition(" VALUES ")
            execute_values(self.conn.cursor(), head + " VALUES %s", rows, page_size=5000)
        else:
            self.conn.executemany(sql, rows)

    def commit(self):
        self.conn.commit()

    def close(self):
        self.conn.close()

    def tables(self):
        if self.kind == "postgresql":
            rows = self.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        else:
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return {r[0] for r in rows}

    def version(self):
        if "meta" not in self.tables():
            return 0
        rows = self.query("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(rows[0][0]) if rows else 0

    def migrate(self, upto=SCHEMA_VERSION):
        """Apply the missing migration steps (each in its own transaction)."""
        tables = self.tables()
        if tables and "meta" not in tables:
            raise HistoryError(f"{self.url}: has tables but no lp-history schema version (not a history database)")
        have = self.version()
        if have > SCHEMA_VERSION:
            raise HistoryError(f"{self.url}: schema version {have} is newer than this lp-history knows "
                               f"({SCHEMA_VERSION}); update the scripts")
        if have == 0:
            self.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '0')")
        pk = "BIGSERIAL PRIMARY KEY" if self.kind == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
        wr = "" if self.kind == "postgresql" else " WITHOUT ROWID"
        for step in range(have, min(upto, SCHEMA_VERSION)):
            for stmt in MIGRATIONS[step]:
                if stmt == "@fill_medians":
                    self._fill_medians()
                elif stmt == "@canonical_names":
                    self._canonical_names()
                else:
                    self.execute(stmt.format(pk=pk, wr=wr))
            self.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(step + 1),))
            self.commit()
        self.commit()

    def _fill_medians(self, run_id=None):
        where = "" if run_id is None else " WHERE run_id = ?"
        rows = self.query("SELECT benchmark_id, metric_id, run_id, value FROM samples" + where
                          + " ORDER BY benchmark_id, metric_id, run_id",
                          () if run_id is None else (run_id,))
        out, cur, vals = [], None, []
        for b, m, r, v in rows + [(None, None, None, None)]:
            if (b, m, r) != cur:
                if vals:
                    out.append((cur[0], cur[1], cur[2], statistics.median(vals), len(vals)))
                cur, vals = (b, m, r), []
            vals.append(v)
        self.executemany("INSERT INTO run_medians (benchmark_id, metric_id, run_id, value, reps)"
                         " VALUES (?, ?, ?, ?, ?)", out)

    def _canonical_names(self):
        for bid, name in self.query("SELECT id, name FROM benchmarks ORDER BY id"):
            canon = canonical_name(name)
            if canon == name:
                continue
            have = self.query("SELECT id FROM benchmarks WHERE name = ?", (canon,))
            if not have:
                self.execute("UPDATE benchmarks SET name = ? WHERE id = ?", (canon, bid))
                continue
            # A run holds a benchmark under one name only, so the moved rows cannot collide.
            for table in ("samples", "run_medians"):
                self.execute(f"UPDATE {table} SET benchmark_id = ? WHERE benchmark_id = ?", (have[0][0], bid))
            self.execute("DELETE FROM benchmarks WHERE id = ?", (bid,))

    # -- dimension tables
    def _id(self, table, key_col, key, extra=None):
        rows = self.query(f"SELECT id FROM {table} WHERE {key_col} = ?", (key,))
        if rows:
            return rows[0][0]
        cols = [key_col] + list((extra or {}).keys())
        vals = [key] + list((extra or {}).values())
        self.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals)
        return self.query(f"SELECT id FROM {table} WHERE {key_col} = ?", (key,))[0][0]

    def benchmark_id(self, name, cache):
        if name not in cache:
            k = results.parse_name(name)
            if k is None:   # fastpath/<design>
                workload, _, design = name.partition("/")
                extra = dict(workload=workload, design=design)
            else:
                extra = dict(workload=k.workload, design=k.design, slots=k.slots, waiters=k.waiters,
                             hold_ns=k.hold_ns, think_ns=k.think_ns, threads=k.threads)
            cache[name] = self._id("benchmarks", "name", canonical_name(name), extra)
        return cache[name]

    def metric_id(self, name, cache):
        if name not in cache:
            cache[name] = self._id("metrics", "name", name,
                                   {"higher_is_better": int(name in results.HIGHER_IS_BETTER)})
        return cache[name]


# ---- reading a run folder -------------------------------------------------------------------
def fingerprint(context):
    """A machine's identity from what the harness recorded about it (not its load or date)."""
    ident = {k: context.get(k) for k in ("host_name", "lp_cpu_model", "num_cpus", "mhz_per_cpu",
                                         "caches", "lp_topology")}
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


def _utc(text):
    """ISO-8601 (any offset) -> (canonical UTC text, epoch seconds)."""
    try:
        d = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise HistoryError(f"not an ISO date: {text!r}")
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    d = d.astimezone(datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%SZ"), int(d.timestamp())


def git_commit_date(sha, repo=None):
    repo = repo or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        out = subprocess.run(["git", "-C", repo, "show", "-s", "--format=%cI", sha + "^{commit}"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


class LoadedRun:
    """A run folder checked and flattened into rows; HistoryError says why it is refused."""

    def __init__(self, path, commit_date=None, metrics=None, tag=None):
        self.path = path
        if not os.path.isdir(path):
            raise HistoryError(f"{path}: not a run folder")
        bench = os.path.join(path, "bench.json")
        if not os.path.exists(bench):
            if os.path.isdir(os.path.join(path, ".parts")):
                raise HistoryError(f"{path}: partial run: no bench.json yet (interrupted or still running)")
            raise HistoryError(f"{path}: not a run folder (no bench.json)")
        with open(bench, "rb") as f:
            raw = f.read()
        try:
            doc = json.loads(raw)
        except ValueError as e:
            raise HistoryError(f"{path}/bench.json: not JSON ({e})")
        if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
            raise HistoryError(f"{path}/bench.json: not a Google Benchmark result (no benchmarks list)")
        meta = {}
        mpath = os.path.join(path, "run.json")
        if os.path.exists(mpath):
            try:
                with open(mpath) as f:
                    meta = json.load(f)
            except ValueError as e:
                raise HistoryError(f"{path}/run.json: not JSON ({e})")
        if meta.get("failures"):
            raise HistoryError(f"{path}: partial run: {len(meta['failures'])} families failed "
                               f"({', '.join(sorted(meta['failures']))[:120]})")
        if os.path.isdir(os.path.join(path, ".parts")):
            raise HistoryError(f"{path}: partial run: .parts/ left (interrupted or still running)")
        ctx = doc.get("context") or {}
        errors = [r.get("name", "?") for r in doc["benchmarks"] if r.get("error_occurred")]
        if errors:
            raise HistoryError(f"{path}: partial run: {len(errors)} benchmarks reported an error "
                               f"(first: {errors[0]})")
        sha = ctx.get("lp_git_commit", "")
        if not re.fullmatch(r"[0-9a-f]{7,40}", sha or ""):
            raise HistoryError(f"{path}: bench.json names no clean commit (lp_git_commit={sha or 'missing'!r})")
        if not ctx.get("date"):
            raise HistoryError(f"{path}: bench.json has no run date (context.date)")
        self.commit = sha
        cdate = commit_date or meta.get("commit_date") or git_commit_date(sha)
        if not cdate:
            raise HistoryError(f"{path}: cannot find the date of commit {sha[:12]} in this repository "
                               f"(pass --commit-date)")
        self.commit_date, self.commit_ts = _utc(cdate)
        self.run_date, self.run_ts = _utc(ctx["date"])
        self.context, self.meta = ctx, meta
        self.tag = tag or meta.get("history_tag") or ("quick" if meta.get("quick") or ctx.get("lp_quick") == "1"
                                                      else "full")
        self.fingerprint = fingerprint(ctx)
        self.rows = []        # (benchmark name, metric, repetition, value)
        reps = {}
        for r in doc["benchmarks"]:
            if r.get("run_type") == "aggregate":
                continue
            name = r.get("run_name", r.get("name", ""))
            if results.parse_name(name) is None:
                raise HistoryError(f"{path}: not a lockpool-bench benchmark name: {name[:80]}")
            rep = int(r.get("repetition_index", 0))
            if (name, rep) in reps:
                raise HistoryError(f"{path}: repetition {rep} of {name} appears twice")
            reps[(name, rep)] = True
            for k, v in r.items():
                if (not isinstance(v, (int, float)) or isinstance(v, bool) or k in _NOT_METRICS
                        or re.fullmatch(r"t\d+_ops", k) or (metrics and k not in metrics)):
                    continue
                if not math.isfinite(float(v)):
                    continue
                self.rows.append((name, k, rep, float(v)))
        if not self.rows:
            raise HistoryError(f"{path}: bench.json holds no measurements")
        fp = os.path.join(path, "fastpath.json")
        if os.path.exists(fp) and (not metrics or FASTPATH_METRIC in metrics):
            try:
                with open(fp) as f:
                    fdoc = json.load(f)
                for design, d in fdoc.get("designs", {}).items():
                    self.rows.append((f"fastpath/{design}", FASTPATH_METRIC, 0, float(d["instr_per_pair"])))
            except (ValueError, KeyError, TypeError) as e:
                raise HistoryError(f"{path}/fastpath.json: unreadable ({e})")
        # The same result file is the same run, whatever folder it was copied to.
        self.run_hash = hashlib.sha256(raw).hexdigest()


class ImportedRun:
    """A run read back from an export: the same fields as LoadedRun, without the folder."""

    def __init__(self, run_hash, sha, commit_date, run_date, fp, host, tag, rows):
        if not re.fullmatch(r"[0-9a-f]{7,40}", sha):
            raise HistoryError(f"run {run_hash[:12]}: bad commit {sha!r}")
        self.path, self.run_hash, self.commit, self.tag = None, run_hash, sha, tag
        self.commit_date, self.commit_ts = _utc(commit_date)
        self.run_date, self.run_ts = _utc(run_date)
        self.fingerprint, self.context, self.meta = fp, {"host_name": host}, {}
        self.rows = rows


def add_run(db, run, source=None):
    """Insert one LoadedRun; returns False (and changes nothing) if it is already there."""
    if db.query("SELECT id FROM runs WHERE run_hash = ?", (run.run_hash,)):
        return False
    ctx = run.context
    machine = db._id("machines", "fingerprint", run.fingerprint,
                     dict(host=ctx.get("host_name"), cpu_model=ctx.get("lp_cpu_model"),
                          num_cpus=ctx.get("num_cpus"), topology=ctx.get("lp_topology")))
    db.execute("INSERT INTO runs (run_hash, commit_sha, commit_date, commit_ts, run_date, run_ts, machine_id,"
               " tag, source, context, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (run.run_hash, run.commit, run.commit_date, run.commit_ts, run.run_date, run.run_ts, machine,
                run.tag, source or run.path, json.dumps(ctx, sort_keys=True), json.dumps(run.meta, sort_keys=True)))
    run_id = db.query("SELECT id FROM runs WHERE run_hash = ?", (run.run_hash,))[0][0]
    bcache, mcache = db.__dict__.setdefault("_bcache", {}), db.__dict__.setdefault("_mcache", {})
    rows, groups = [], {}
    for name, metric, rep, value in run.rows:
        b, m = db.benchmark_id(name, bcache), db.metric_id(metric, mcache)
        rows.append((b, m, run_id, rep, value))
        groups.setdefault((b, m), []).append(value)
    db.executemany("INSERT INTO samples (benchmark_id, metric_id, run_id, repetition, value)"
                   " VALUES (?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO run_medians (benchmark_id, metric_id, run_id, value, reps)"
                   " VALUES (?, ?, ?, ?, ?)",
                   [(b, m, run_id, statistics.median(v), len(v)) for (b, m), v in groups.items()])
    db.commit()
    return True


# ---- queries ------------------------------------------------------------------------------
class Point:
    __slots__ = ("run_id", "commit", "commit_date", "run_date", "value", "reps", "values")

    def __init__(self, run_id, commit, commit_date, run_date, value, reps):
        self.run_id, self.commit, self.commit_date = run_id, commit, commit_date
        self.run_date, self.value, self.reps, self.values = run_date, value, reps, None


def machines(db):
    return db.query("SELECT id, fingerprint, host, cpu_model FROM machines ORDER BY id")


def _run_filter(machine=None, tag=None):
    where, params = [], []
    if machine:
        where.append("r.machine_id IN (SELECT id FROM machines WHERE fingerprint LIKE ? OR host = ?)")
        params += [machine + "%", machine]
    if tag:
        where.append("r.tag = ?")
        params.append(tag)
    return where, params


def series(db, metric, design=None, workload=None, name_re=None, machine=None, tag=None,
           with_values=False):
    """{(machine fingerprint, tag, benchmark name): [Point in commit order]} for one metric.
    Runs are ordered by commit date, then run date (several runs of one commit stay together)."""
    mrow = db.query("SELECT id FROM metrics WHERE name = ?", (metric,))
    if not mrow:
        return {}
    where, params = ["1 = 1"], []
    if design:
        where.append("design = ?")
        params.append(design)
    if workload:
        where.append("workload = ?")
        params.append(workload)
    rx = re.compile(name_re) if name_re else None
    bench = {bid: name for bid, name in db.query("SELECT id, name FROM benchmarks WHERE " + " AND ".join(where), params)
             if not rx or rx.search(name)}
    w2, p2 = _run_filter(machine, tag)
    runs = {}
    for rid, fp, tag_, sha, cdate, rdate, cts, rts in db.query(
            "SELECT r.id, mc.fingerprint, r.tag, r.commit_sha, r.commit_date, r.run_date, r.commit_ts, r.run_ts"
            " FROM runs r JOIN machines mc ON mc.id = r.machine_id" + (" WHERE " + " AND ".join(w2) if w2 else ""), p2):
        runs[rid] = (fp, tag_, sha, cdate, rdate, (cts, rts, rid))
    if not bench or not runs:
        return {}
    # Only the medians are read here (one number per run and series); the run facts come from
    # the small runs table, so a history of thousands of runs stays a few seconds to read.
    out = {}
    total = db.query("SELECT COUNT(*) FROM benchmarks")[0][0]
    if len(bench) * 4 < total:
        # A few series (a trend): read their ranges of the (metric, benchmark, run) key only.
        ids = sorted(bench)
        rows = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            rows += db.query("SELECT benchmark_id, run_id, value, reps FROM run_medians WHERE metric_id = ?"
                             " AND benchmark_id IN (" + ", ".join("?" * len(part)) + ")", [mrow[0][0]] + part)
    else:
        rows = db.query("SELECT benchmark_id, run_id, value, reps FROM run_medians WHERE metric_id = ?",
                        (mrow[0][0],))
    for bid, rid, value, reps in rows:
        name = bench.get(bid)
        r = runs.get(rid)
        if name is None or r is None:
            continue
        out.setdefault((r[0], r[1], name), []).append(Point(rid, r[2], r[3], r[4], value, reps))
    for pts in out.values():
        pts.sort(key=lambda p: runs[p.run_id][5])
    out = dict(sorted(out.items()))
    if with_values and out:
        run_ids = {p.run_id for pts in out.values() for p in pts}
        byname = {}
        for (fp, tag_, name), pts in out.items():
            for p in pts:
                byname[(name, p.run_id)] = p
                p.values = []
        names = {name for (_, _, name) in out}
        ids = sorted(bid for bid, name in bench.items() if name in names)
        raw = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            raw += db.query("SELECT b.name, s.run_id, s.value FROM samples s JOIN benchmarks b ON b.id = s.benchmark_id"
                            " WHERE s.metric_id = ? AND s.benchmark_id IN (" + ", ".join("?" * len(part)) + ")"
                            " ORDER BY s.repetition", [mrow[0][0]] + part)
        for name, rid, v in raw:
            p = byname.get((name, rid))
            if p is not None and rid in run_ids:
                p.values.append(v)
    return out


def ratio_series(db, metric, reference, design=None, workload=None, name_re=None, machine=None, tag=None):
    """Like series(), but each run's median divided by the `reference` design's median for the
    same case in the same run: what the machine did to both cancels (the gate's ratio check)."""
    every = series(db, metric, workload=workload, machine=machine, tag=tag)
    rx = re.compile(name_re) if name_re else None
    out = {}
    for (fp, tg, name), pts in every.items():
        parts = name.split("/")
        if parts[0] == "fastpath" or parts[1] == reference or (design and parts[1] != design):
            continue
        if rx and not rx.search(name):
            continue
        ref = {p.run_id: p.value for p in every.get((fp, tg, "/".join([parts[0], reference] + parts[2:])), [])}
        ratio = [Point(p.run_id, p.commit, p.commit_date, p.run_date, p.value / ref[p.run_id], p.reps)
                 for p in pts if ref.get(p.run_id)]
        if ratio:
            out[(fp, tg, name)] = ratio
    return out


def higher_is_better(metric):
    return metric in results.HIGHER_IS_BETTER


def counts(db):
    return {t: db.query(f"SELECT COUNT(*) FROM {t}")[0][0]
            for t in ("runs", "machines", "benchmarks", "metrics", "samples")}
