# syntax=docker/dockerfile:1
#
# Sentinelle's container image: one static binary (the catalog, the
# migrations, the page templates and the time-zone database are embedded
# in it) on distroless's static base, which brings CA certificates and a
# non-root user and nothing else: no shell, no package manager.
#
#   docker build -t sentinelle --build-arg VERSION=$(git describe --tags --always) .
#   docker run -p 127.0.0.1:8080:8080 -v sentinelle-data:/data sentinelle
#
# docs/deploy.md ("Two places") runs two of them against PostgreSQL with
# deploy/compose.yaml.

# Build stage. The Go line of go.mod (1.26); Debian 12 has the gcc and
# the static glibc that the SQLite driver (cgo) links against.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# Static despite cgo: netgo and osusergo keep glibc's NSS (which cannot be
# linked statically) out of name and user lookups, and SQLite's extension
# loading (dlopen) is left out. docs/deploy.md gives the same command.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -tags 'osusergo,netgo,sqlite_omit_load_extension' \
      -ldflags "-s -w -X main.version=${VERSION} -linkmode=external -extldflags=-static" \
      -o sentinelle ./cmd/sentinelle
# The SQLite default's directory, private; the final stage gives it to the
# user that runs the service, so that a named volume mounted there starts
# writable.
RUN mkdir -m 0700 -p /out/data

# Final stage: the binary, CA certificates (HTTPS probes, Telegram) and
# /etc/passwd's nonroot user (65532), from distroless.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/sentinelle /usr/local/bin/sentinelle
COPY --from=build --chown=65532:65532 /out/data /data
# SQLite by default (one instance); DATABASE_URL selects PostgreSQL instead.
ENV DATABASE_PATH=/data/sentinelle.db \
    HTTP_ADDR=:8080
VOLUME /data
EXPOSE 8080
USER 65532:65532
# Docker's health: with no shell and no curl here, the binary asks its own
# /healthz at HTTP_ADDR (`sentinelle healthcheck`, 2 s at most; exit 0 or
# 1). The start period covers a start that waits for Telegram (a minute at
# most). /readyz (database writable, recent rounds judged) is for the
# monitoring, not a proxy (it fails on every instance at once when no
# instance judges): `sentinelle healthcheck -readyz`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["/usr/local/bin/sentinelle", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/sentinelle"]
CMD ["run"]
