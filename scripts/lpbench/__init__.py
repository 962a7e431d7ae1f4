"""lpbench: turn lockpool-bench's Google Benchmark JSON (contract: bench/JSON.md) into
plots, a report, a regression-gate verdict and a tuning recommendation.

Run with /usr/bin/python3 (Debian's numpy/scipy/matplotlib live there)."""
