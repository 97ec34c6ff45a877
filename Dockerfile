# OneNumber image: the wheel, installed into a slim Python with the fonts sealing needs, run as a non-root
# user. docker-compose.yml runs it as `migrate` (onenumber db upgrade), `app-a`/`app-b` (this CMD) and
# `ops` (operator commands). What this image does can be reproduced without Docker (docs/DEPLOY.md
# "The image"): build the wheel, install it into a fresh virtualenv outside the checkout, run
# `onenumber db upgrade` there.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# -- build: the project's wheel, then a virtualenv with it and its dependencies -----------------------
FROM ${PYTHON_IMAGE} AS build
# A compiler only for a dependency that has no binary wheel for this platform; this stage is discarded.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY core ./core
COPY identifiers ./identifiers
COPY channels ./channels
COPY onenumber ./onenumber
COPY idp ./idp
COPY wallet ./wallet
COPY signing ./signing
COPY storage ./storage
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/onenumber \
    && /opt/onenumber/bin/pip install --no-cache-dir /wheels/onenumber-*.whl \
    && /opt/onenumber/bin/onenumber --help >/dev/null

# -- runtime ------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="OneNumber" \
      org.opencontainers.image.description="OIDC identity provider and e-license wallet (一号登录、一证通用)"
# CJK and Latin fonts for rendering and sealing documents (signing/fonts.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-droid-fallback fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/onenumber --create-home \
       --shell /usr/sbin/nologin onenumber
COPY --from=build /opt/onenumber /opt/onenumber
COPY deploy/docker-entrypoint.sh /usr/local/bin/onenumber-entrypoint
RUN chmod 0755 /usr/local/bin/onenumber-entrypoint
ENV PATH=/opt/onenumber/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WEB_CONCURRENCY=2
USER onenumber
WORKDIR /var/lib/onenumber
EXPOSE 8000
# ONENUMBER_*_FILE variables become ONENUMBER_* (secrets as files), then the command runs.
ENTRYPOINT ["onenumber-entrypoint"]
# Migrations are a separate one-off (`onenumber db upgrade`, the compose service `migrate`).
CMD ["sh", "-c", "exec onenumber serve --host 0.0.0.0 --port 8000 --workers \"$WEB_CONCURRENCY\""]
