# Pulseboard's image: the app, its Python packages and Debian's Chromium (Kaleido draws every
# chart image with it), run as an unprivileged user. docker-compose.yml runs each process of the
# Procfile from it (`deploy/procfile web|worker|beat`) and the migrations (`python -m data.migrate`).
# See docs/deploy.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Chromium for chart images, and fonts for the text in them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-liberation fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The same install as `make install`: requirements.txt within the tested constraints.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY . .
# The code stays owned by root and read-only to the app; compile it now, since it cannot later.
RUN python -m compileall -q /app

# The instance folder (PULSEBOARD_INSTANCE) is the only place the app writes: a volume in
# docker-compose.yml. HOME is separate and stays inside the container: Chromium keeps its crash
# reports there and gunicorn its control socket.
RUN useradd --system --user-group --uid 10001 --create-home --home-dir /home/pulseboard \
        --shell /usr/sbin/nologin pulseboard \
    && mkdir -p /var/lib/pulseboard \
    && chown pulseboard:pulseboard /var/lib/pulseboard
ENV PULSEBOARD_INSTANCE=/var/lib/pulseboard
USER pulseboard

EXPOSE 8050
CMD ["deploy/procfile", "web"]
