// wl_sqlite_pool.cc — a connection pool: SLOTS SQLite connections to one database file in WAL
// mode, T threads each looping get a connection, run one query, put it back, think. The hold is
// real work with a long tail (a commit, a checkpoint, a writer waiting for the write lock), not a
// calibrated spin.
//
// Set-up (untimed): the first sqlite_pool instance of the process creates a database in a new
// folder under $TMPDIR (default /tmp): the schema below and kRows rows whose values depend only on
// their key, so every run reads the same data. Each instance then checkpoints the WAL back to
// empty, so none inherits another's log. The files are removed at exit (and on SIGINT, SIGTERM,
// SIGHUP, SIGPIPE; a SIGKILL leaves them, in a folder named lockpool-sqlite-*).
//
// Connections are opened lazily, the first time a slot is handed out: through the design's own
// create path where it has one (slot_ensure: LockPool's lp_slot_ensure, i.e. lp_get_or_create),
// else by the workload keeping a per-slot handle as a hand-written pool does. Opening counts in
// that query's latency, as it would in an application.
//
// Busy handling is bounded: SQLITE_BUSY (another connection holds the write lock) is retried by a
// busy handler that counts each retry (`busy_retries`), yields, then sleeps 10 µs doubling up to
// 1 ms, and gives up after 2 s; a query that still fails is counted in `errors`, never retried.
#include <sched.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"

namespace lpb {
namespace {

constexpr int64_t kRows = 100000;
constexpr int64_t kRangeRows = 100;  // rows summed by a range query
constexpr uint64_t kBusyGiveUpNs = 2000000000ull;
constexpr uint64_t kThinkNs = 5000;  // the application's own work between two queries (calibrated spin)

const char kSchema[] =
    "CREATE TABLE accounts ("
    "  id      INTEGER PRIMARY KEY,"
    "  balance INTEGER NOT NULL,"
    "  owner   TEXT    NOT NULL,"
    "  updates INTEGER NOT NULL DEFAULT 0"
    ");";

// ---- the database file (process-wide) ----------------------------------------------------

// Fixed-size buffers: the signal handler removes the files with unlink/rmdir only.
char g_dir[PATH_MAX];
// SQLite's files for one database: the rollback journal exists for a moment while the new file
// is switched to WAL, so a signal in the seed can find it.
constexpr const char *kFileSuffixes[] = {"", "-journal", "-wal", "-shm"};
constexpr int kFiles = sizeof kFileSuffixes / sizeof kFileSuffixes[0];
char g_files[kFiles][PATH_MAX];
volatile std::sig_atomic_t g_made = 0;
std::string g_db_path;

void remove_files() {
    if (!g_made) return;
    g_made = 0;
    for (const char *f : g_files) unlink(f);  // absent ones: ENOENT, fine
    rmdir(g_dir);
}

extern "C" void remove_on_signal(int sig) {
    remove_files();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

uint64_t mix64(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

bool exec(sqlite3 *db, const char *sql, std::string *err) {
    char *msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
    *err = std::string(sql).substr(0, 40) + ": " + (msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return false;
}

// Schema and kRows deterministic rows, in one transaction.
bool seed(sqlite3 *db, std::string *err) {
    if (!exec(db, "PRAGMA journal_mode=WAL", err) || !exec(db, kSchema, err) || !exec(db, "BEGIN", err)) return false;
    sqlite3_stmt *ins = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT INTO accounts(id, balance, owner) VALUES (?1, ?2, ?3)", -1, &ins, nullptr) != SQLITE_OK) {
        *err = std::string("prepare insert: ") + sqlite3_errmsg(db);
        return false;
    }
    bool ok = true;
    char owner[32];
    for (int64_t id = 1; id <= kRows && ok; ++id) {
        std::snprintf(owner, sizeof owner, "customer-%06lld", static_cast<long long>(id));
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_int64(ins, 2, static_cast<int64_t>(mix64(static_cast<uint64_t>(id)) % 1000000));
        sqlite3_bind_text(ins, 3, owner, -1, SQLITE_TRANSIENT);
        ok = sqlite3_step(ins) == SQLITE_DONE;
        sqlite3_reset(ins);
    }
    if (!ok) *err = std::string("insert: ") + sqlite3_errmsg(db);
    sqlite3_finalize(ins);
    return ok && exec(db, "COMMIT", err) && exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", err);
}

// Create the database once per process; later instances reuse it.
bool ensure_database(std::string *err) {
    if (g_made) return true;
    const char *tmp = std::getenv("TMPDIR");
    const std::string base = std::string(tmp && *tmp ? tmp : "/tmp") + "/lockpool-sqlite-XXXXXX";
    if (base.size() + sizeof "/bench.db-journal" > sizeof g_dir) {  // the longest file name
        *err = "TMPDIR is too long";
        return false;
    }
    std::snprintf(g_dir, sizeof g_dir, "%s", base.c_str());
    if (!mkdtemp(g_dir)) {
        *err = "cannot create a folder " + base + ": " + std::strerror(errno);
        return false;
    }
    for (int i = 0; i < kFiles; ++i) {
        const std::string f = std::string(g_dir) + "/bench.db" + kFileSuffixes[i];  // fits: checked above
        std::memcpy(g_files[i], f.c_str(), f.size() + 1);
    }
    g_db_path = g_files[0];
    g_made = 1;
    static bool hooked = false;
    if (!hooked) {
        hooked = true;
        std::atexit(remove_files);
        // SIGPIPE: the reader of our output went away (e.g. lp-sweep was stopped) mid-run.
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) std::signal(sig, remove_on_signal);
    }
    sqlite3 *db = nullptr;
    bool ok = sqlite3_open_v2(g_db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK;
    if (!ok) *err = std::string("open ") + g_db_path + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    ok = ok && seed(db, err);
    sqlite3_close(db);
    if (!ok) remove_files();
    return ok;
}

// ---- connections --------------------------------------------------------------------------

// One per slot; padded: connections of different slots are used by different threads at once.
struct alignas(128) Conn {
    sqlite3 *db = nullptr;
    sqlite3_stmt *select = nullptr, *update = nullptr, *range = nullptr;
    sqlite3_stmt *begin = nullptr, *commit = nullptr, *rollback = nullptr;
    ThreadStats *user = nullptr;  // the holder, for the busy handler's count
    uint64_t busy_since = 0;
};

// The running instance's connections (one instance runs at a time, as g_run in harness.cc).
std::vector<Conn> g_conns;
uint64_t g_opened = 0;         // connections the last instance opened (counted at teardown)
bool g_by_design = false;      // ... through the design's create path
std::atomic<int> g_messages{0};  // first few failures are printed, the rest only counted
double g_cpu_at_setup = 0;       // the process's CPU seconds when the instance was set up

double process_cpu_s() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void say(const Run &r, const std::string &what) {
    if (g_messages.fetch_add(1, std::memory_order_relaxed) < 3)  // relaxed: a message budget
        std::fprintf(stderr, "[lockpool-bench] %s: %s\n", r.c->name(r.threads).c_str(), what.c_str());
}

int on_busy(void *ctx, int n) {
    Conn *c = static_cast<Conn *>(ctx);
    const uint64_t now = now_ns();
    if (n == 0) c->busy_since = now;
    if (now - c->busy_since > kBusyGiveUpNs) return 0;  // SQLITE_BUSY to the caller: an error
    if (c->user) ++c->user->retries;
    if (n < 4) {
        sched_yield();
    } else {
        const uint64_t ns = std::min<uint64_t>(1000000, 10000ull << std::min(n - 4, 7));
        timespec ts{0, static_cast<long>(ns)};
        nanosleep(&ts, nullptr);
    }
    return 1;
}

void close_conn(Conn &c) {
    for (sqlite3_stmt *st : {c.select, c.update, c.range, c.begin, c.commit, c.rollback}) sqlite3_finalize(st);
    sqlite3_close(c.db);  // statements finalized first, so this closes for good
    c = Conn{};
}

bool open_conn(Conn &c, std::string *err) {
    // NOMUTEX: a connection is used by one thread at a time (the pool's holder), so SQLite's own
    // per-connection mutex would only add cost.
    if (sqlite3_open_v2(g_db_path.c_str(), &c.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        *err = std::string("open: ") + (c.db ? sqlite3_errmsg(c.db) : "out of memory");
        close_conn(c);
        return false;
    }
    sqlite3_busy_handler(c.db, on_busy, &c);
    // synchronous=NORMAL: the usual WAL setting (a commit is durable at the next checkpoint).
    if (!exec(c.db, "PRAGMA synchronous=NORMAL", err)) {
        close_conn(c);
        return false;
    }
    const std::pair<sqlite3_stmt **, const char *> stmts[] = {
        {&c.select, "SELECT balance, owner FROM accounts WHERE id = ?1"},
        {&c.update, "UPDATE accounts SET balance = balance + ?2, updates = updates + 1 WHERE id = ?1"},
        {&c.range, "SELECT sum(balance), count(*) FROM accounts WHERE id >= ?1 AND id < ?1 + ?2"},
        {&c.begin, "BEGIN IMMEDIATE"},
        {&c.commit, "COMMIT"},
        {&c.rollback, "ROLLBACK"},
    };
    for (const auto &st : stmts)
        if (sqlite3_prepare_v3(c.db, st.second, -1, SQLITE_PREPARE_PERSISTENT, st.first, nullptr) != SQLITE_OK) {
            *err = std::string("prepare '") + st.second + "': " + sqlite3_errmsg(c.db);
            close_conn(c);
            return false;
        }
    return true;
}

// The create callback of the design's slot_ensure (lp_create_fn): open the slot's connection.
struct CreateCtx {
    const Run *run;
};
int create_conn(void *ctx, uint32_t slot) {
    std::string err;
    if (open_conn(g_conns[slot], &err)) return 0;
    say(*static_cast<CreateCtx *>(ctx)->run, "cannot open a connection: " + err);
    return -1;
}

// A statement stepped once more must be DONE; reset either way (a reset keeps no read
// transaction open).
bool done(sqlite3_stmt *st) {
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE;
}

enum class Kind { Select, Update, Range };

// One query on `c`; false on any failure (reported once, counted by the caller).
bool query(const Run &r, Conn &c, Kind kind, int64_t key, int64_t delta) {
    switch (kind) {
    case Kind::Select: {
        sqlite3_bind_int64(c.select, 1, key);
        bool ok = sqlite3_step(c.select) == SQLITE_ROW && sqlite3_column_bytes(c.select, 1) > 0;
        if (ok) benchmark::DoNotOptimize(sqlite3_column_int64(c.select, 0));
        ok = ok && done(c.select);  // exactly one row
        if (!ok) {
            say(r, std::string("select failed: ") + sqlite3_errmsg(c.db));
            sqlite3_reset(c.select);
        }
        return ok;
    }
    case Kind::Range: {
        sqlite3_bind_int64(c.range, 1, key);
        sqlite3_bind_int64(c.range, 2, kRangeRows);
        bool ok = sqlite3_step(c.range) == SQLITE_ROW && sqlite3_column_int64(c.range, 1) == kRangeRows;
        ok = ok && done(c.range);
        if (!ok) {
            say(r, std::string("range select failed: ") + sqlite3_errmsg(c.db));
            sqlite3_reset(c.range);
        }
        return ok;
    }
    case Kind::Update: {
        if (!done(c.begin)) {  // the busy handler has already retried, within its bound
            say(r, std::string("BEGIN IMMEDIATE failed: ") + sqlite3_errmsg(c.db));
            return false;
        }
        sqlite3_bind_int64(c.update, 1, key);
        sqlite3_bind_int64(c.update, 2, delta);
        bool ok = done(c.update) && sqlite3_changes(c.db) == 1;
        ok = ok && done(c.commit);
        if (!ok) {
            say(r, std::string("update failed: ") + sqlite3_errmsg(c.db));
            if (!sqlite3_get_autocommit(c.db)) done(c.rollback);
        }
        return ok;
    }
    }
    return false;
}

// ---- the workload ---------------------------------------------------------------------------

bool setup_sqlite(Run &r) {
    std::string err;
    if (!ensure_database(&err)) {
        r.error = "sqlite_pool: " + err;
        return false;
    }
    // Every instance starts from an empty WAL, whatever the previous one wrote.
    sqlite3 *db = nullptr;
    bool ok = sqlite3_open_v2(g_db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
              exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", &err);
    if (!ok && err.empty()) err = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    if (!ok) {
        r.error = "sqlite_pool: checkpoint: " + err;
        return false;
    }
    g_conns.assign(r.c->slots, Conn{});
    g_opened = 0;
    g_by_design = r.d->slot_ensure != nullptr;
    g_messages.store(0, std::memory_order_relaxed);  // relaxed: no thread runs yet
    g_cpu_at_setup = process_cpu_s();
    return default_setup(r);
}

void teardown_sqlite(Run &r) {
    for (Conn &c : g_conns)
        if (c.db) {
            ++g_opened;
            close_conn(c);
        }
    g_conns.clear();
    default_teardown(r);
}

void loop_sqlite(Run &r, int thread, ThreadStats &s) {
    const uint64_t deadline = r.deadline();
    const SqliteMix mix = options().sqlite_mix;
    Rng rng(thread_seed(kWorkSeed, 2, thread));
    CreateCtx ctx{&r};
    for (;;) {
        // The query and its key, drawn before the clock starts.
        const unsigned pick = static_cast<unsigned>(rng.next() % 100);
        const Kind kind = pick < mix.select ? Kind::Select : pick < mix.select + mix.update ? Kind::Update : Kind::Range;
        const int64_t key = 1 + static_cast<int64_t>(rng.next() % static_cast<uint64_t>(kind == Kind::Range ? kRows - kRangeRows + 1 : kRows));
        const int64_t delta = static_cast<int64_t>(rng.next() % 201) - 100;

        uintptr_t h = 0;
        uint64_t t0;
        if (timed_get(r, thread, s, deadline, &h, &t0) != LP_OK) return;
        const uint64_t q0 = now_ns();
        bool held = true, ok = h < g_conns.size();
        if (!ok) say(r, "the design handed out a handle that is no slot");
        if (ok && r.d->slot_ensure) {
            const int st = r.d->slot_ensure(r.self, h, create_conn, &ctx);
            held = st != LP_ECREATE;  // a failed create released (discarded) the slot
            ok = st == LP_OK;
        } else if (ok && !g_conns[h].db) {
            std::string err;
            ok = open_conn(g_conns[h], &err);
            if (!ok) say(r, "cannot open a connection: " + err);
        }
        if (ok) {
            Conn &c = g_conns[h];
            c.user = &s;
            ok = query(r, c, kind, key, delta);
            c.user = nullptr;
        }
        const uint64_t q1 = now_ns();
        if (held) stamped_put(r, s, h);
        const uint64_t t1 = now_ns();
        s.inner_ns += q1 - q0;
        s.op_ns += t1 - t0;
        s.op_hist.record(t1 - t0);
        if (ok) ++s.ops;
        else ++s.errors;
        spin_iters(s.think.next());
    }
}

void sqlite_counters(const Run &r, benchmark::UserCounters &out) {
    Hist merged;
    uint64_t retries = 0, inner = 0, whole = 0;
    for (const auto &s : r.stats) {
        merged.merge(s->op_hist);
        retries += s->retries;
        inner += s->inner_ns;
        whole += s->op_ns;
    }
    out["query_p50_ns"] = static_cast<double>(merged.quantile(0.50));
    out["query_p90_ns"] = static_cast<double>(merged.quantile(0.90));
    out["query_p99_ns"] = static_cast<double>(merged.quantile(0.99));
    out["query_p999_ns"] = static_cast<double>(merged.quantile(0.999));
    out["query_max_ns"] = static_cast<double>(merged.max());
    out["busy_retries"] = static_cast<double>(retries);
    out["sqlite_share"] = whole ? static_cast<double>(inner) / static_cast<double>(whole) : 0;
    out["conns_opened"] = static_cast<double>(g_opened);
    out["conns_by_design"] = g_by_design ? 1 : 0;
    // CPU time the whole process used for this instance (its threads, SQLite, the pool): queries per
    // CPU-second stay comparable when other processes take CPU time away, queries per second do not.
    out["cpu_s"] = process_cpu_s() - g_cpu_at_setup;
}

const char *const kSqliteCounterNames[] = {"query_p50_ns", "query_p90_ns", "query_p99_ns",  "query_p999_ns",
                                           "query_max_ns", "busy_retries", "sqlite_share", "conns_opened",
                                           "conns_by_design", "cpu_s", nullptr};

const Family kSqlitePool{"sqlite_pool", loop_sqlite, /*measures_fifo=*/true, setup_sqlite, teardown_sqlite,
                         sqlite_counters, /*hold_is_spin=*/false, kSqliteCounterNames};

void register_sqlite_pool() {
    // threads >= 2 x SLOTS: there are always waiters, as in a busy service; --quick keeps one case.
    // Not 8 x SLOTS: with 32 threads on 2 CPUs the spinning FIFO locks (spin-ticket, ck-mcs) convoy
    // behind holders that sleep in SQLite's busy handler, and a get could wait past the harness's
    // 10 s hang bound (measured: 3 such gets in 9 repetitions of spin-ticket; none at 16 threads).
    const uint32_t slots = options().quick ? 2 : 4;
    const std::vector<int> threads = options().quick ? std::vector<int>{4} : std::vector<int>{8, 16};
    for (const lpd_design *d : all_designs()) {
        // A connection pool must bound its connections and let callers wait for one.
        if (!(d->flags & LPD_BLOCKING) || !(d->flags & LPD_BOUNDED)) continue;
        Case c;
        c.family = &kSqlitePool;
        c.design = d;
        c.slots = slots;
        c.waiters = 64;
        c.hold_ns = 0;  // the hold is the query
        c.think_ns = kThinkNs;
        register_case(c, threads);
    }
    benchmark::AddCustomContext("lp_sqlite", std::string("SQLite ") + sqlite3_libversion() + ", " +
                                                 std::to_string(kRows) + " rows, WAL, synchronous=NORMAL");
}

const bool registered = add_workload("sqlite_pool", register_sqlite_pool);

}  // namespace
}  // namespace lpb
