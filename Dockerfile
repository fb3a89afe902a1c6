# The image the Kubernetes Jobs run (deploy/kubernetes): Debian 12 with memsoak built from this tree, its three
# allocator builds in /opt/memsoak/build/tools, the scenarios and the baselines beside them.
#   docker build --build-arg MEMSOAK_COMMIT="$(git rev-parse --short=12 HEAD)" -t REGISTRY/memsoak:nightly .
# The build context has no .git (.dockerignore), so the commit that reports record comes from MEMSOAK_COMMIT.
FROM debian:12

WORKDIR /opt/memsoak
# The same dependency list as CI and developers' machines, installed first so that a source change reuses it.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN MEMSOAK_DEPS=build bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*

COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMSOAK_BUILD_TESTS=OFF \
        -DMEMSOAK_BUILD_BENCHMARKS=OFF \
    && cmake --build build -j"$(nproc)" --target memsoak memsoak-tcmalloc memsoak-glibc memsoak-history \
    && find build -name '*.o' -delete

ARG MEMSOAK_COMMIT=unknown
ENV MEMSOAK_COMMIT=${MEMSOAK_COMMIT}
CMD ["build/tools/memsoak", "--help"]
