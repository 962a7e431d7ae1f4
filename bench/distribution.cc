// distribution.cc — see distribution.h.
#include "distribution.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace lpb {

namespace {

// Strictly a finite decimal number (no sign games beyond a leading '-', no trailing junk).
bool parse_number(const std::string &s, double *out) {
    if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
    char *end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (errno != 0 || *end != '\0' || !std::isfinite(v)) return false;
    *out = v;
    return true;
}

std::vector<std::string> split(const std::string &s, char sep) {
    std::vector<std::string> out;
    std::string::size_type from = 0;
    for (;;) {
        const auto at = s.find(sep, from);
        out.push_back(s.substr(from, at == std::string::npos ? std::string::npos : at - from));
        if (at == std::string::npos) return out;
        from = at + 1;
    }
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

constexpr double kMaxTail = 1e-6;  // allowed P(sample > kMaxSampleNs)
// Standard normal quantile of 1 - kMaxTail.
constexpr double kTailZ = 4.753424;

uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

double Dist::mean() const {
    switch (kind) {
    case Kind::Fixed: return a;
    case Kind::Exp: return a;
    case Kind::LogNormal: return a * std::exp(b * b / 2);
    case Kind::Bimodal: return (1 - p) * a + p * b;
    }
    return a;
}

namespace {

// Each kind's check of its values (already numbers) and its Dist; false with *err's reason.
// `text` is the whole spec, quoted in the message.
bool fixed_dist(const std::string &text, const std::vector<double> &v, Dist *d, std::string *err) {
    if (v[0] < 0 || v[0] > kMaxSampleNs) {
        *err = "'" + text + "': a fixed time must be 0.." + num(kMaxSampleNs) + " ns";
        return false;
    }
    d->kind = Dist::Kind::Fixed;
    d->a = v[0];
    d->spec = num(v[0]);
    return true;
}

bool exp_dist(const std::string &text, const std::vector<double> &v, Dist *d, std::string *err) {
    const double max_mean = kMaxSampleNs / -std::log(kMaxTail);
    if (!(v[0] > 0) || v[0] > max_mean) {
        *err = "'" + text + "': MEAN must be > 0 and <= " + num(std::floor(max_mean)) +
               " ns (more would exceed the 1 s cap on a sample too often)";
        return false;
    }
    d->kind = Dist::Kind::Exp;
    d->a = v[0];
    d->spec = "exp:" + num(v[0]);
    return true;
}

bool lognormal_dist(const std::string &text, const std::vector<double> &v, Dist *d, std::string *err) {
    if (!(v[0] > 0) || !(v[1] > 0) || v[1] > 4) {
        *err = "'" + text + "': MEDIAN must be > 0 and SIGMA in (0, 4]";
        return false;
    }
    if (std::log(kMaxSampleNs / v[0]) < kTailZ * v[1]) {
        *err = "'" + text + "': MEDIAN x exp(4.75 SIGMA) must stay <= 1 s (the cap on a sample)";
        return false;
    }
    d->kind = Dist::Kind::LogNormal;
    d->a = v[0];
    d->b = v[1];
    d->spec = "lognormal:" + num(v[0]) + "," + num(v[1]);
    return true;
}

bool bimodal_dist(const std::string &text, const std::vector<double> &v, Dist *d, std::string *err) {
    if (v[0] < 0 || v[1] < 0 || v[0] > kMaxSampleNs || v[1] > kMaxSampleNs || v[2] < 0 || v[2] > 1) {
        *err = "'" + text + "': SHORT and LONG must be 0..1e9 ns and P (the chance of LONG) in [0, 1]";
        return false;
    }
    d->kind = Dist::Kind::Bimodal;
    d->a = v[0];
    d->b = v[1];
    d->p = v[2];
    d->spec = "bimodal:" + num(v[0]) + "," + num(v[1]) + "," + num(v[2]);
    return true;
}

const struct {
    const char *kind;  // before the ':' ("" for a plain number)
    std::size_t values;
    const char *usage;  // what a wrong number of values is told
    bool (*make)(const std::string &text, const std::vector<double> &v, Dist *d, std::string *err);
} kKinds[] = {
    {"", 1, "", fixed_dist},
    {"exp", 1, "one value: exp:MEAN", exp_dist},
    {"lognormal", 2, "two values: lognormal:MEDIAN,SIGMA", lognormal_dist},
    {"bimodal", 3, "three values: bimodal:SHORT,LONG,P", bimodal_dist},
};

}  // namespace

bool parse_dist(const std::string &text, Dist *out, std::string *err) {
    const auto colon = text.find(':');
    const std::string kind = colon == std::string::npos ? "" : text.substr(0, colon);
    const std::vector<std::string> args = colon == std::string::npos ? std::vector<std::string>{text}
                                                                     : split(text.substr(colon + 1), ',');
    std::vector<double> v;
    for (const std::string &s : args) {
        double x;
        if (!parse_number(s, &x)) {
            *err = "'" + text + "': '" + s + "' is not a number (want N, exp:MEAN, lognormal:MEDIAN,SIGMA "
                   "or bimodal:SHORT,LONG,P; times in ns)";
            return false;
        }
        v.push_back(x);
    }
    for (const auto &k : kKinds) {
        if (kind != k.kind || (colon == std::string::npos) != (*k.kind == '\0')) continue;  // ":5" is no kind
        if (v.size() != k.values) {
            *err = "'" + text + "': " + kind + " wants " + k.usage;
            return false;
        }
        Dist d;
        if (!k.make(text, v, &d, err)) return false;
        *out = d;
        return true;
    }
    *err = "'" + text + "': unknown distribution '" + kind + "' (want exp, lognormal or bimodal)";
    return false;
}

Rng::Rng(uint64_t seed) {
    for (uint64_t &s : s_) s = splitmix64(&seed);
}

uint64_t Rng::next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Rng::normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

double sample(const Dist &d, Rng &rng) {
    double x = d.a;
    switch (d.kind) {
    case Dist::Kind::Fixed: break;
    case Dist::Kind::Exp: x = -d.a * std::log(1.0 - rng.uniform()); break;
    case Dist::Kind::LogNormal: x = d.a * std::exp(d.b * rng.normal()); break;
    case Dist::Kind::Bimodal: x = rng.uniform() < d.p ? d.b : d.a; break;
    }
    return x < kMaxSampleNs ? x : kMaxSampleNs;
}

void WorkSeq::fill(const Dist &d, double iters_per_ns, uint64_t seed) {
    Rng rng(seed);
    ring_.resize(kRing);
    for (uint64_t &it : ring_) it = static_cast<uint64_t>(std::llround(sample(d, rng) * iters_per_ns));
    next_ = 0;
}

uint64_t thread_seed(uint64_t base, int stream, int thread) {
    uint64_t x = base ^ (static_cast<uint64_t>(stream) << 32) ^ static_cast<uint64_t>(thread);
    return splitmix64(&x);
}

}  // namespace lpb
