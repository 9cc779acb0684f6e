# syntax=docker/dockerfile:1
# Lucro: one image for web (gunicorn), worker, housekeeping and beat (see docker-compose.yml).

# --- builder: compile wheels into a virtualenv -------------------------------------------
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# The lock first: the dependency layer is rebuilt only when the lock changes.
COPY requirements.lock pyproject.toml ./
RUN pip install uv==0.13.8 \
 && uv pip sync --compile-bytecode --python /opt/venv/bin/python requirements.lock
COPY config ./config
COPY lucro ./lucro
COPY manage.py gunicorn.conf.py ./
RUN uv pip install --compile-bytecode --python /opt/venv/bin/python --no-deps . \
 && pip uninstall -y uv

# --- final: no compilers, non-root ---------------------------------------------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    LUCRO_ENV=production LOG_JSON=True \
    LUCRO_VAR_DIR=/var/lib/lucro STATIC_ROOT=/app/static \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus PORT=8000 \
    GUNICORN_PROBE_BIND=0.0.0.0:8001
RUN groupadd --system lucro && useradd --system --gid lucro --home /app lucro \
 && mkdir -p /var/lib/lucro /tmp/prometheus /app/static \
 && chown -R lucro:lucro /var/lib/lucro /tmp/prometheus /app/static
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --chown=lucro:lucro config ./config
COPY --chown=lucro:lucro lucro ./lucro
COPY --chown=lucro:lucro manage.py gunicorn.conf.py ./
# Bytecode now (PYTHONDONTWRITEBYTECODE): each process would otherwise compile the app anew.
RUN python -m compileall -q config lucro
# collectstatic (hashed names for whitenoise's manifest storage) needs settings that pass
# the production checks, not real secrets: it never connects to the database.
RUN SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-build-only \
    JWT_SIGNING_KEY=build-only-jwt-not-a-secret-build-only-jwt-not-a-secret-build \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3QtYS1zZWNyZXQtYnVpbGQtb24= \
    DATABASE_URL=postgres://build@localhost/build ALLOWED_HOSTS=build \
    LUCRO_VAR_DIR=/tmp/build-var python manage.py collectstatic --noinput -v0 \
 && rm -rf /tmp/build-var
USER lucro
# 8000: the API. 8001: the probes only (lucro/ops/probes.py), on threads of their own, so a
# busy node still answers them on time; keep it off the public load balancer.
EXPOSE 8000 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/api/live/', timeout=4)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi:application"]
