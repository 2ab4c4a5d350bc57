# syntax=docker/dockerfile:1
# Photos Picker Gateway: multi-stage build on Node 24 (Debian slim), runs as a non-root user under tini.

FROM node:24-trixie-slim AS build
WORKDIR /app
ENV npm_config_update_notifier=false
COPY package.json package-lock.json ./
COPY scripts/with-node.sh scripts/with-node.sh
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
# The Google emulator (packages/google-emulator) is a dev-only workspace package: not copied, not built, and its
# node_modules link goes with the other devDependencies at the prune.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-trixie-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node views ./views
COPY --chown=node:node public ./public
# The embedded store (and a file: destination under it) lives here: mount a volume to keep it across containers.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/server.js"]
