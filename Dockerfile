FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends fonts-droid-fallback \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY onenumber ./onenumber
COPY idp ./idp
COPY wallet ./wallet
COPY signing ./signing
COPY storage ./storage
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 onenumber
USER onenumber
EXPOSE 8000
CMD ["sh", "-c", "onenumber db upgrade && onenumber serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-2}"]
