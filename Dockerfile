# The intrend code location: a gRPC code server for the Dagster webserver and daemon, and the
# image Kubernetes runs launch (deploy/helm/values.yaml). Dependencies come from uv.lock only.
#
#   docker build -t registry.example.com/intrend:$(git rev-parse --short HEAD) .
#
# The k8s extra (dagster-k8s, pinned with dagster) is what the run pods need to read an
# instance whose run launcher is the K8sRunLauncher; build with INTREND_EXTRAS="celery-k8s"
# for deploy/celery/ (see deploy/README.md).
FROM python:3.11-slim

# The same uv as the Makefile, from PyPI.
RUN pip install --no-cache-dir uv==0.13.8

ARG INTREND_EXTRAS="k8s"
ENV UV_PROJECT_ENVIRONMENT=/opt/intrend/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    DAGSTER_EVENT_BATCH_SIZE=1000 \
    INTREND_DATA_DIR=/data \
    MPLCONFIGDIR=/opt/intrend/.cache/matplotlib

# DAGSTER_EVENT_BATCH_SIZE: a ranged run's per-partition events (planned at creation,
# materializations at the end of a step) reach the event log in batches, not one write each;
# 1000 = intrend_assets.lib.storage.EVENT_BATCH_SIZE (two assets x 500 profiles a run).
# MPLCONFIGDIR: matplotlib's font cache (the trend report's chart), built once below. Without
# a writable folder of its own, every run process rebuilt it in a temporary one and warned.

WORKDIR /opt/intrend

# Dependencies first (a layer that changes only with the lock file), then the project.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-install-project --no-editable \
        $(for extra in $INTREND_EXTRAS; do printf -- '--extra %s ' "$extra"; done)

COPY intrend_assets ./intrend_assets
COPY warehouse ./warehouse
COPY modem_service ./modem_service
COPY sandbox ./sandbox
COPY workspace.yaml dagster.yaml ./
COPY deploy/dagster ./deploy/dagster
RUN uv sync --frozen --no-editable \
        $(for extra in $INTREND_EXTRAS; do printf -- '--extra %s ' "$extra"; done)

RUN useradd --system --uid 10001 --home-dir /opt/intrend intrend \
    && mkdir -p "$DAGSTER_HOME" /data "$MPLCONFIGDIR" \
    && chown intrend "$DAGSTER_HOME" /data "$MPLCONFIGDIR"
USER intrend
ENV PATH=/opt/intrend/.venv/bin:$PATH
RUN python -c "import matplotlib.font_manager"

EXPOSE 4000
# The Helm chart replaces this with `dagster code-server start` plus codeServerArgs.
CMD ["dagster", "code-server", "start", "-m", "intrend_assets.definitions", "-h", "0.0.0.0", "-p", "4000"]
