FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
# The whole tree (.dockerignore keeps .git, .venv, var/ and .env out); the
# runtime install leaves the dev extras (pytest, ruff, ...) out.
COPY . .
RUN pip install . && useradd --create-home --uid 10001 tingting \
    && mkdir -p /app/var /data/media && chown -R tingting /app/var /data/media
USER tingting
ENV TINGTING_VAR_DIR=/app/var MEDIA_ROOT=/data/media
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "tingting.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--forwarded-allow-ips", "*"]
