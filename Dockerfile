# LockPool in a container: Debian bookworm, the same packages as CI (.ci/run), a Release
# build, and the main job (scripts/run-suite.sh) as the default command.
#
#   docker build --build-arg LP_GIT_COMMIT=$(git rev-parse HEAD) -t lockpool .
#   docker run --rm -v "$PWD/results:/src/results" lockpool            # full suite (~15 min)
#   docker run --rm -v "$PWD/results:/src/results" lockpool --quick    # about a minute
#   docker run --rm --entrypoint scripts/run-tests.sh lockpool --no-deps   # the test suite
#
# The run folder lands in results/runs/ of the mounted directory. A container cannot pin the
# CPU frequency, isolate cores or see the host's cpufreq governor; the report records what it
# could see. Compare container runs with container runs (scripts/README.md).
FROM debian:bookworm

ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
WORKDIR /src

# Dependencies first, from the one package list, so this layer is cached across source edits.
COPY scripts/packages.txt scripts/install-deps.sh scripts/
RUN apt-get update \
 && bash scripts/install-deps.sh \
 && rm -rf /var/lib/apt/lists/*

# Only what the build and tests read (not build/ or results/ of the host checkout);
# README.md is checked by the pool.readme_in_sync test.
COPY CMakeLists.txt README.md ./
COPY pool pool/
COPY baselines baselines/
COPY bench bench/
COPY scripts scripts/
RUN mkdir -p results \
 && cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DLP_BUILD_VERIFY=OFF \
 && cmake --build build/release -j"$(nproc)" --target lockpool-bench lp-fastpath

# The image has no .git: the commit goes into each run's bench.json from here, if given
# (docker build --build-arg LP_GIT_COMMIT=$(git rev-parse HEAD) -t lockpool .).
ARG LP_GIT_COMMIT=
ENV LP_GIT_COMMIT=${LP_GIT_COMMIT}

# Dependencies are installed and the build is done: run-suite.sh only re-checks both.
ENTRYPOINT ["scripts/run-suite.sh", "--no-deps"]
CMD []
