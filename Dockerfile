# mlops-audit in a container: the CLI is the entry point, the working directory /work is where
# you mount the files to audit and where reports are written.
#
#   docker build -t mlops-audit .
#   docker run --rm mlops-audit scan --sample
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" mlops-audit scan --snapshot estate.json --output sarif:out.sarif
#
# --user: the image runs as uid 10001, which cannot write into a directory a Linux host
# user owns; running as that user can (no account is needed in the image).
#
# The base image is pinned by digest (a tag alone can move under a rebuild), on one FROM line
# that both stages start from: Dependabot's "docker" ecosystem (.github/dependabot.yml) reads
# literal FROM lines only (not ARG defaults) and proposes the next tag and digest together.
FROM python:3.12.7-slim-bookworm@sha256:032c52613401895aa3d418a4c563d2d05f993bc3ecc065c8f4e2280978acd249 AS base

# Stage 1: build the mlops-audit wheel and the wheels of its dependencies, with the monitor
# extra (azure-monitor-ingestion), so `mlops-audit upload` works in the image too.
FROM base AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY auditor ./auditor
COPY rules ./rules
COPY fixtures/reference-terraform.json fixtures/reference-good.json ./fixtures/
RUN python -m pip wheel --wheel-dir /wheels '.[monitor]'

# Stage 2: the same base with the wheels installed from stage 1 alone (no index, no source
# tree, no build tools), run as an unprivileged user.
FROM base
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m pip install --no-index --find-links /wheels 'mlops-audit[monitor]' \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /work --shell /usr/sbin/nologin audit \
    && mkdir /work && chown audit:audit /work
LABEL org.opencontainers.image.title="mlops-audit" \
      org.opencontainers.image.description="Network-security posture auditor for Azure Machine Learning estates" \
      org.opencontainers.image.licenses="Apache-2.0"
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["mlops-audit"]
CMD ["--help"]
