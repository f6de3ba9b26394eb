# One image for all four Tipline services. Choose the service with the command:
#   python -m services.intake | services.classifier | services.tracker | services.audit
# (docker-compose.yml and deploy/k8s/ do this). Configuration comes from the environment
# only: no secret is baked into the image.

# --- build: install the package and its pinned dependencies into a virtual environment ----
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /src
COPY pyproject.toml constraints.txt ./
COPY services/ ./services/
# The main dependencies only: not the `local` (Tansu, SecantusDB) or `dev` extras.
RUN pip install --no-cache-dir -c constraints.txt .
# The classifier's model is not in the repository: built here from the committed sentences
# (deterministic; a few minutes on one core), checked against
# services/classifier/training/model-record.json (the build stops, saying what differs, when
# it does not match), then the package is installed again, now carrying the model.
RUN python -m services.classifier.training.build \
    && pip install --no-cache-dir --no-deps --force-reinstall .

# --- runtime: the virtual environment and nothing else ------------------------------------
FROM python:3.11-slim

LABEL org.opencontainers.image.title="tipline" \
      org.opencontainers.image.description="Tipline services: intake, classifier, tracker, audit"

RUN groupadd --system --gid 10001 tipline \
    && useradd --system --uid 10001 --gid tipline --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin tipline

COPY --from=build /opt/venv /opt/venv

# HTTP_HOST: the services bind 127.0.0.1 by default, which is unreachable from outside a
# container. APP_DATADIR: faust (the classifier) creates its data directory at start-up, by
# default in the working directory; /tmp is writable by the non-root user (and is an
# emptyDir in Kubernetes, where the root filesystem is read-only).
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0 \
    APP_DATADIR=/tmp/tipline-classifier-data

# An empty, root-owned working directory: the code is imported from the virtual
# environment, and nothing the service user can write is on sys.path.
WORKDIR /app

# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001

# intake 8080, classifier 8081, tracker 8082, audit 8083
EXPOSE 8080 8081 8082 8083

CMD ["python", "-m", "services.intake"]
