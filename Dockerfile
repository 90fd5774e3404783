# Production image: gunicorn serves the web; the same image runs worker and cron.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production

# libheif comes inside the pillow-heif wheel; curl is for the health check;
# Pango draws the monthly report's PDF (WeasyPrint); ffmpeg checks and cleans video.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl ffmpeg \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 rounds

WORKDIR /app
# Exactly the locked versions and files (hashes checked): `make lock` writes it.
# --no-deps: the lock is complete, and an older pip takes a dependency asked for
# with an extra (WeasyPrint's fonttools[woff]) for one not pinned.
COPY requirements/production.txt requirements.txt
RUN pip install --no-deps --require-hashes -r requirements.txt

COPY . .
# collectstatic reads the production settings, which refuse to start without
# what a live site needs: these stand-ins exist only during this one step and
# are not in the image's environment (tests/test_deploy_files.py imports the
# settings with exactly them).
RUN export SECRET_KEY=$(python -c "import secrets; print(secrets.token_urlsafe(50))") \
        FIELD_ENCRYPTION_KEY=$(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
        ALLOWED_HOSTS=build SITE_URL=https://build.invalid EMAIL_HOST=build.invalid \
        DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
        TRUSTED_PROXIES=127.0.0.1 \
    && for app in FACEBOOK INSTAGRAM LINKEDIN X GOOGLE_BUSINESS; do \
        export ${app}_CLIENT_ID=build ${app}_CLIENT_SECRET=build; done \
    && python manage.py collectstatic --no-input
RUN mkdir -p /app/var/media && chown -R rounds:rounds /app/var

USER rounds
EXPOSE 8000
# The web's health, asked only where the container runs the web server: a
# one-off command (migrate, create_lead, backup) or a worker has no port to ask
# and counts as healthy. /healthz answers whatever the Host (agency/health.py).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
    CMD grep -qa gunicorn /proc/1/cmdline || exit 0; curl -fsS http://localhost:8000/healthz || exit 1
# exec form: gunicorn is PID 1 and gets SIGTERM, so `docker stop` lets requests finish.
CMD ["gunicorn", "-c", "python:agency.gunicorn", "agency.wsgi:application"]
