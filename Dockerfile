# Multi-stage build: compile TypeScript, then a runtime image with production dependencies only.
#   docker build -t open311-server .
#   docker run -p 3000:3000 -v open311-data:/data open311-server          # embedded database in /data
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://... open311-server  # PostgreSQL + PostGIS
#   docker run --rm -e DATABASE_URL=... open311-server npm run cli -- api-keys list   # operator commands
#   docker run -e DATABASE_URL=... open311-server npm run worker                      # a background worker
# scripts/container-check.sh replays this runtime stage without Docker (CI step "container runtime check").
# Install scripts are skipped (--ignore-scripts): nothing here needs them (esbuild and @swc/core work
# without their postinstall checks, and tsc is plain JavaScript), and no package phones home.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json knexfile.ts ./
COPY scripts/build.sh ./scripts/build.sh
COPY src ./src
COPY migrations ./migrations
# dist/src (the server, CLI, worker) and dist/migrations (found by dist/src/db/migrate.js).
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production DATA_DIR=/data PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read at run time from the project root (src/paths.ts): the demo city, the OpenAPI document, the dashboard page.
COPY seeds ./seeds
COPY spec ./spec
COPY src/dashboard/public ./src/dashboard/public
# `npm start`, `npm run worker` and `npm run cli -- …` exec node on dist/ here (NODE_ENV=production).
COPY scripts/launch.sh ./scripts/launch.sh
RUN mkdir -p /data && chown node:node /data
USER node
# The embedded database (when DATABASE_URL is unset) and other local state.
VOLUME ["/data"]
EXPOSE 3000
# No curl in the slim image: Node's fetch asks /readyz (the database answers). The first start loads the
# demo city, hence the long start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))"]
# V8's young generation at 8 MB a semi-space (16 MB by default): a bulk export of 1M rows peaked at
# 193–199 MB with the default and ~125 MB with this; at 4 MB a 1,000-row page spent twice as long in
# scavenges (docs/decisions/0002-performance.md). scripts/launch.sh (V8_MEMORY) and the benchmarks run the
# server the same way; test/config-docs.test.ts holds them equal.
CMD ["node", "--max-semi-space-size=8", "dist/src/server.js"]
