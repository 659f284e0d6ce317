# syntax=docker/dockerfile:1.7
# InvoiceFlow: one image for the API, the console, job workers and the one-shot migration.
#   docker build -t invoiceflow:$(git rev-parse --short HEAD) .
#   docker run --rm invoiceflow api|console|worker|migrate|seed-demo
#
# Base: Python 3.11 slim on Debian 12, pinned by tag AND by the digest of its multi-architecture
# index. Refresh both together (docs/deploy-ec2.md, "Updating the base image"):
#   docker buildx imagetools inspect python:3.11.14-slim-bookworm
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# ---------------------------------------------------------------------------------------------
# builder: compilers for any dependency without a wheel; builds every wheel, then the venv.
FROM ${PYTHON_IMAGE} AS builder

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

# Build tools stay in this stage only; apt versions float with Debian 12 security updates.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /build
COPY requirements.txt requirements-demo.txt ./
# The demo generator (reportlab) is not a runtime requirement; the image keeps it by default for
# its seed-demo role (local trial). --build-arg WITH_DEMO=false leaves it out.
ARG WITH_DEMO=true

# Every runtime requirement becomes a wheel first (sdists are compiled here, with the tools above),
# then the venv installs from those wheels only: no index, no compiler at install time.
RUN pip wheel --wheel-dir /wheels -r requirements.txt -r requirements-demo.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-index --find-links /wheels -r requirements.txt \
 && if [ "${WITH_DEMO}" = "true" ]; then \
      /opt/venv/bin/pip install --no-index --find-links /wheels -r requirements-demo.txt; fi

# The project itself, installed editable at /app (where the runtime stage puts the source): its
# packages import and `invoiceflow` runs without PYTHONPATH, and the migration runner still finds
# supabase/ beside core/. Only the metadata is built here; the code is the runtime stage's copy.
COPY pyproject.toml /app/
COPY core/ /app/core/
COPY api/ /app/api/
COPY console/ /app/console/
RUN /opt/venv/bin/pip install --no-deps -e /app

# rapidocr depends on opencv-python-headless (no libGL/X11 needed at run time).
RUN /opt/venv/bin/python -m compileall -q /opt/venv/lib

# ---------------------------------------------------------------------------------------------
# runtime: no compilers, no pip caches, no secrets; runs as an unprivileged user under tini.
FROM ${PYTHON_IMAGE} AS runtime

ARG VERSION=0.0.0-dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="InvoiceFlow" \
      org.opencontainers.image.description="AI-assisted invoice processing: API, console and workers" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Proprietary"

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# tini reaps zombies and forwards SIGTERM, so workers and uvicorn shut down gracefully.
# 0.19.0-1 is the only tini Debian 12 ships (no security updates replace it).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 invoiceflow \
 && useradd --system --uid 10001 --gid invoiceflow --home-dir /home/invoiceflow --create-home \
      --shell /usr/sbin/nologin invoiceflow \
 && install -d -o invoiceflow -g invoiceflow -m 0750 /data

COPY --from=builder /opt/venv /opt/venv

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/invoiceflow \
    INVOICEFLOW_ENVIRONMENT=production \
    INVOICEFLOW_DATA_DIR=/data \
    INVOICEFLOW_API_PORT=8000 \
    INVOICEFLOW_CONSOLE_PORT=8501

WORKDIR /app
# Source is root-owned and read-only for the service user; only /data and $HOME are writable.
COPY --chmod=0755 docker/entrypoint.sh docker/healthcheck.py docker/ocr_smoke.py /app/docker/
COPY docker/uvicorn-log.json /app/docker/
COPY supabase/ /app/supabase/
COPY core/ /app/core/
COPY api/ /app/api/
COPY console/ /app/console/
COPY pyproject.toml /app/
RUN python -m compileall -q /app/core /app/api /app/console
# The int8 OCR recogniser is made from the wheel's model and the shipped ranges (no network).
RUN python -m core.extraction.ocr_int8

USER 10001:10001

# The OCR models ship inside the rapidocr wheel; prove they load and read text without any
# download, so an image that builds can OCR offline. Then prove every role's code imports.
RUN python /app/docker/ocr_smoke.py \
 && python -c "import api.main, core.__main__" \
 && invoiceflow --help > /dev/null \
 && test -f /app/console/streamlit_app.py

EXPOSE 8000 8501

# One script per role; it knows which port (or process) to probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "/app/docker/healthcheck.py"]

ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]
CMD ["api"]
