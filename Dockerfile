# syntax=docker/dockerfile:1
#
# OrderOps API image: distroless Node 24 (the LTS major pinned in package.json), non-root,
# production dependencies only, no shell in the final image.
#
#   docker build \
#     --build-arg VERSION="$(node -p 'require("./package.json").version')" \
#     --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
#     --build-arg SOURCE="https://example.com/your/orderops/repository" \
#     -t orderops:0.1.0 .
#
# The base images are pinned by tag. Pin them by digest as well in your registry mirror
# (`FROM image:tag@sha256:...`) when you build for production; the policy check accepts both.
# No secret is passed to this build: configuration, credentials and keys come at run time
# from the environment and *_FILE mounts (see README, Configuration).

# ---- build: compile TypeScript with the full dev toolchain ---------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/supply-chain/install-scripts.mjs ./scripts/supply-chain/install-scripts.mjs
# Install scripts denied, then run for exactly the packages package.json allowScripts names.
RUN npm ci --ignore-scripts --no-audit --no-fund && node scripts/supply-chain/install-scripts.mjs rebuild
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
# The CycloneDX SBOM of the production dependency tree, shipped in the image (see LABEL).
RUN npm run build && npm run sbom

# ---- deps: production dependencies only, without install scripts --------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------
FROM gcr.io/distroless/nodejs24-debian12:nonroot AS runtime

ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=unknown
ARG LICENSES=UNLICENSED

LABEL org.opencontainers.image.title="OrderOps" \
      org.opencontainers.image.description="Secure order-operations backend: OAuth2, encrypted personal data, tamper-evident audit." \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="${LICENSES}" \
      io.orderops.image.sbom="/app/sbom/orderops.cdx.json"

# Production defaults only; nothing secret. The app writes nothing outside /tmp when
# DATABASE_URL is set, so the root filesystem can be mounted read-only. NODE_OPTIONS caps
# the V8 heap for a 768 MiB container (the Helm chart's nodeHeap defaults, where the
# values say why): left alone, Node sizes old space for the host's memory. The semi-space is
# Node's own 64-bit default; a smaller one costs throughput in scavenges.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=512 --max-semi-space-size=32" \
    HOST=0.0.0.0 \
    PORT=3000 \
    ORDEROPS_DATA_DIR=/tmp/orderops

WORKDIR /app
# Files stay owned by root and read-only to the runtime user.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/sbom/orderops.cdx.json ./sbom/orderops.cdx.json
COPY package.json ./
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs

USER 65532:65532
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/nodejs/bin/node", "/app/scripts/healthcheck.mjs"]

# The distroless entrypoint is the node binary; `migrate` runs as
# `docker run IMAGE dist/apps/cli/src/main.js migrate`.
CMD ["dist/apps/api/src/main.js"]
