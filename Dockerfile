# The production server, `adlaan serve` (docs/serving.md): langgraph-api on langgraph-runtime-pg,
# PostgreSQL and Redis from the environment (DATABASE_URL, REDIS_URL). Build from the repository:
#   docker build -t adlaan-serve .
# (The LangGraph Platform image is the other route: `make dockerfile`, docs/packaging.md.)
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANGGRAPH_CLI_NO_ANALYTICS=1

RUN useradd --create-home --uid 10001 adlaan
WORKDIR /app

# As `make setup`: the project and its serve extra with the lock as constraints, then the runtime
# without its declared pins, from a hash-pinned wheel (docs/serving.md, "Installing").
COPY . .
RUN pip install -c requirements.lock '.[serve]' \
    && pip install --no-deps --require-hashes -r requirements-serve.txt

USER adlaan
EXPOSE 2024
# Liveness: the process answers (readiness, with the database: /adlaan/health).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:2024/ok', timeout=2)"
# SIGTERM drains running runs for SERVE_SHUTDOWN_GRACE_SECONDS: give `docker stop` more than that.
STOPSIGNAL SIGTERM
CMD ["adlaan", "serve", "--host", "0.0.0.0", "--port", "2024"]
