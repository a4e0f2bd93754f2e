# syntax=docker/dockerfile:1
#
# The `palisade` binary in a minimal image (docs/deploy.md):
#
#   docker build -t ghcr.io/YOUR-ORG/palisade:0.1.0 .
#
# Stage `build` compiles the binary with the exact versions of Cargo.lock;
# the runtime stage is distroless (glibc, CA certificates, no shell, no
# package manager) and runs as the unprivileged user 65532. The binary writes
# nothing to its own filesystem, so it runs with a read-only root filesystem;
# policies, inventory and certificates are mounted (deploy/webhook).

ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# The whole workspace: cargo needs every member's manifest. .dockerignore
# keeps target/, .git/ and local files out of the context.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p palisade-cli \
    && install -D -m 0755 target/release/palisade /out/palisade

# distroless/cc: glibc and libgcc for the Rust binary (and mimalloc), nothing else.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
# The path the manifests in deploy/ run.
COPY --from=build /out/palisade /usr/local/bin/palisade
# The distroless `nonroot` user; deploy/ sets the same runAsUser.
USER 65532:65532
# The webhook's port (`palisade admission serve --listen=0.0.0.0:8443`).
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/palisade"]
CMD ["--help"]
