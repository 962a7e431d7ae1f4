# LockPool in a container: the main job (scripts/run-suite.sh) on Debian 12, built in two stages.
# The build stage compiles lockpool-bench and lp-fastpath exactly as run-suite.sh does; the
# runtime stage has only what run-suite.sh needs to run them (Python with matplotlib, numpy and
# scipy, valgrind, the binaries' shared libraries): no compiler, no -dev packages, no tests.
#
#   docker build --build-arg LP_GIT_COMMIT=$(git rev-parse HEAD) -t lockpool .
#   mkdir -p results
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/results:/opt/lockpool/results" lockpool --quick
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/results:/opt/lockpool/results" lockpool   # full suite
#
# --user makes the run folder (results/runs/<date>_<host>/) yours; without it the image runs as
# its own unprivileged user `lockpool` (uid 1000). Podman with rootless storage: --userns=keep-id.
# A container cannot pin the CPU frequency, isolate cores or see the host's cpufreq governor; the
# report records what it could see. Compare container runs with container runs (scripts/README.md).
#
# Built and run in CI without a daemon or a registry by scripts/check-container.sh (podman/buildah),
# which makes the base image below from a debootstrap'd Debian tree of the same release.

# Pinned to a Debian point release; change it here only (check-container.sh reads it).
ARG BASE_IMAGE=debian:12.15

# ---- build stage ------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
WORKDIR /src
# Dependencies first, from the one package list, so this layer is cached across source edits.
COPY scripts/packages.txt scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh --stage build && rm -rf /var/lib/apt/lists/*
# The sources: the context holds only what the stages copy (.dockerignore). One COPY, one RUN:
# every step is a layer to store. run-suite.sh configures and builds as the main job does.
COPY . .
RUN scripts/run-suite.sh --no-deps --build-only \
 && scripts/runtime-packages.sh build/release/bench/lockpool-bench build/release/baselines/lp-fastpath \
      >/runtime-packages.txt \
 && mkdir -p /out/build/release/bench /out/build/release/baselines \
 && cp build/release/bench/lockpool-bench /out/build/release/bench/ \
 && cp build/release/baselines/lp-fastpath /out/build/release/baselines/

# ---- runtime stage ----------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
    MPLCONFIGDIR=/tmp/matplotlib XDG_CACHE_HOME=/tmp/cache
WORKDIR /opt/lockpool
COPY scripts/packages.txt scripts/install-deps.sh scripts/
# Debian 12's python3-scipy depends on python3-pythran, a compiler scipy needs only to be built,
# which pulls g++, Boost and the Python headers (~600 MB). An empty package that provides it
# keeps them out; check-container.sh checks that scipy.stats works in the image without it.
RUN mkdir -p /tmp/stub/DEBIAN \
 && printf '%s\n' 'Package: lockpool-no-pythran' 'Version: 1' 'Architecture: all' \
      'Maintainer: LockPool <lockpool@localhost>' 'Provides: python3-pythran' \
      'Description: stands in for python3-pythran, which scipy needs only at build time' \
      >/tmp/stub/DEBIAN/control \
 && dpkg-deb -b /tmp/stub /tmp/stub.deb >/dev/null && dpkg -i /tmp/stub.deb && rm -rf /tmp/stub /tmp/stub.deb \
 && scripts/install-deps.sh --stage run && rm -rf /var/lib/apt/lists/*
# The shared libraries of what the build stage built (a list that changes only with the build's
# dependencies, so this layer stays cached across source edits too), and an unprivileged user;
# any uid given with --user works as well (results/ and /tmp are world-writable).
COPY --from=build /runtime-packages.txt /tmp/
RUN apt-get update \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --uid 1000 --user-group --create-home lockpool \
 && mkdir -p results && chmod 1777 results

COPY scripts scripts/
COPY --from=build /out/ ./
# The image has no .git: the commit goes into each run's bench.json from here, if given.
ARG LP_GIT_COMMIT=
ENV LP_GIT_COMMIT=${LP_GIT_COMMIT}
USER lockpool
ENTRYPOINT ["scripts/run-suite.sh", "--no-deps", "--no-build"]
CMD []
