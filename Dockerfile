# echochamber daemon image: docker build -t echochamber . && docker run -v ...
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ECHOCHAMBER_CONFIG=/config/echochamber.toml \
    ECHOCHAMBER_STORE_URL=sqlite:////data/echochamber.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY echochamber ./echochamber
RUN pip install ".[twitter,bluesky]" \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin echochamber \
    && mkdir -p /data /config \
    && chown echochamber /data

COPY config/echochamber.example.toml /config/echochamber.toml

USER echochamber
VOLUME ["/data", "/config"]
ENTRYPOINT ["echochamber"]
CMD ["run"]
