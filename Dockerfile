# syntax=docker/dockerfile:1
#
# socktap agent image: ghcr.io/socktap/socktap:<version>, the default image of infra/spec.
#
#   docker build -t ghcr.io/socktap/socktap:0.1.0 .
#   docker push ghcr.io/socktap/socktap:0.1.0
#
# Stage 1 compiles the CO-RE BPF object and its skeleton, the native addon (which embeds the
# skeleton) and the TypeScript; stage 2 is a slim Node runtime with only what the agent loads.
# See infra/README.md for building on hosts without BTF and for multi-arch builds.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm AS build
# clang/llvm/bpftool/libbpf: the BPF object and skeleton; g++/make/python3: node-gyp.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool make g++ python3 pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# No dependency needs an install script to build; skipping them keeps the build hermetic.
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY bpf ./bpf
COPY native ./native
COPY scripts ./scripts
COPY bin ./bin
COPY agent ./agent
COPY bench ./bench
COPY infra ./infra
# vmlinux.h is generated from a BTF file. The default is the build host's kernel BTF (BuildKit
# mounts the host's /sys read-only); CO-RE relocations make the object run on other kernels.
# On a host without BTF, put a vmlinux BTF file at bpf/vmlinux.btf in the context and pass
# --build-arg VMLINUX_BTF=/src/bpf/vmlinux.btf (see infra/README.md).
ARG VMLINUX_BTF=/sys/kernel/btf/vmlinux
RUN make -s -C bpf VMLINUX_BTF="${VMLINUX_BTF}" \
 && bash scripts/build.sh \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# The addon links libbpf, libelf and zlib dynamically.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libbpf1 libelf1 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 socktap \
 && useradd --system --uid 10001 --gid socktap --home-dir /nonexistent --shell /usr/sbin/nologin socktap
WORKDIR /opt/socktap
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/native/build/Release/socktap.node ./native/build/Release/socktap.node
ENV NODE_ENV=production
# Non-root by default: `socktap render`, `parse` and `--help` need no rights. Capture needs uid 0
# even in the capabilities mode (Kubernetes puts added capabilities in a root process's effective
# set only), so the DaemonSet rendered by infra/spec sets runAsUser: 0 in both modes.
USER 10001:10001
ENTRYPOINT ["node", "/opt/socktap/bin/socktap.js"]
CMD ["--help"]
