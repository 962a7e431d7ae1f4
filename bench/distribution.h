// distribution.h — hold and think time distributions (--hold=SPEC, --think=SPEC) and the seeded
// generator that samples them. No Google Benchmark here: unit-tested on its own
// (tests/test_distribution.cc, moments on a fixed seed).
//
// Spec syntax (all times in ns, decimals allowed):
//   N                       fixed: every sample is N
//   exp:MEAN                exponential with that mean (MEAN > 0)
//   lognormal:MEDIAN,SIGMA  exp(N(ln MEDIAN, SIGMA²)): median MEDIAN > 0, 0 < SIGMA <= 4
//   bimodal:SHORT,LONG,P    LONG with probability P, else SHORT (0 <= SHORT, LONG; 0 <= P <= 1)
// Every sample is capped at kMaxSampleNs (1 s). parse_dist rejects a spec whose chance of a sample
// above the cap exceeds 1e-6 (exp: MEAN <= 72 ms; lognormal: ln(1 s / MEDIAN) >= 4.75 SIGMA; fixed
// and bimodal values <= 1 s), so the cap never moves the moments measurably.
#ifndef LP_BENCH_DISTRIBUTION_H
#define LP_BENCH_DISTRIBUTION_H

#include <cstdint>
#include <string>
#include <vector>

namespace lpb {

struct Dist {
    enum class Kind { Fixed, Exp, LogNormal, Bimodal };
    Kind kind = Kind::Fixed;
    double a = 0, b = 0, p = 0;  // Fixed: a; Exp: a = mean; LogNormal: a = median, b = sigma;
                                 // Bimodal: a = short, b = long, p = P(long)
    std::string spec;            // the text it was parsed from, normalised ("exp:1000")

    /** The distribution's mean in ns (before the cap). */
    double mean() const;
    /** True unless every sample is the same fixed value. */
    bool random() const { return kind != Kind::Fixed; }
};

/** Largest sample, in ns. */
constexpr double kMaxSampleNs = 1e9;

/** Parse a spec (syntax above). On error: false and a one-line reason in *err. */
bool parse_dist(const std::string &text, Dist *out, std::string *err);

/** splitmix64-seeded xoshiro256**: the same sequence for the same seed on every platform and
 *  standard library (std::*_distribution is implementation-defined, so it is not used). */
class Rng {
public:
    explicit Rng(uint64_t seed);
    uint64_t next();
    /** Uniform in [0, 1), 53 bits. */
    double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
    /** Standard normal (Box-Muller; one of the pair is kept so the sequence is simple to follow). */
    double normal();

private:
    uint64_t s_[4];
};

/** One sample of `d` in ns, in [0, kMaxSampleNs]. */
double sample(const Dist &d, Rng &rng);

/** A thread's seed for a given stream (hold or think) and thread index: distinct streams for every
 *  (stream, thread), the same every run. */
uint64_t thread_seed(uint64_t base, int stream, int thread);

/**
 * A thread's hold (or think) lengths as spin-loop iterations, sampled before the run: the timed
 * loop only reads the next entry of a ring of kRing samples (sampling in the loop would add a
 * log() or two to every operation). A fixed length needs no ring.
 */
class WorkSeq {
public:
    static constexpr std::size_t kRing = 1u << 14;  // 128 KiB a thread per random stream
    /** Every next() returns `iters`. */
    void set_fixed(uint64_t iters) {
        ring_.clear();
        fixed_ = iters;
    }
    /** kRing samples of `d` from Rng(seed), each converted at `iters_per_ns` (rounded). */
    void fill(const Dist &d, double iters_per_ns, uint64_t seed);
    uint64_t next() { return ring_.empty() ? fixed_ : ring_[next_++ & (kRing - 1)]; }
    const std::vector<uint64_t> &ring() const { return ring_; }

private:
    std::vector<uint64_t> ring_;
    uint64_t fixed_ = 0;
    std::size_t next_ = 0;
};

}  // namespace lpb
#endif
