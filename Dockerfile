# The worker image: one DBOSExecutionWorker per container (ECS Fargate task).
# Build: docker build -t fireflow-worker .   Run: docker run -e DATABASE_URL=... fireflow-worker

FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json esbuild.config.cjs ./
COPY lib ./lib
COPY scripts ./scripts
COPY devtools ./devtools
COPY migrations ./migrations
# One bundle for the worker entry point and one for the threads that evaluate JSONata (found
# beside it); runtime dependencies stay external and come from a production-only install below.
RUN npx esbuild scripts/worker.ts --bundle --platform=node --target=node22 --format=esm \
      --packages=external --outfile=dist/worker.mjs \
 && npx esbuild lib/expressions/expressionThread.ts --bundle --platform=node --target=node22 --format=esm \
      --packages=external --outfile=dist/expressionThread.mjs \
 && npx esbuild scripts/migrate.ts --bundle --platform=node --target=node22 --format=esm \
      --packages=external --outfile=dist/migrate.mjs

FROM node:22-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s CMD node -e "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# SIGTERM (ECS stop) stops dequeuing, lets running executions finish, hands back the rest.
STOPSIGNAL SIGTERM
CMD ["node", "dist/worker.mjs"]
