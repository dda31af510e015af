FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY tingting ./tingting
COPY accounts ./accounts
COPY phonenumbers_app ./phonenumbers_app
COPY campaigns ./campaigns
COPY otp ./otp
COPY tling ./tling
COPY bench ./bench
COPY manage.py ./
RUN pip install . && useradd --create-home --uid 10001 tingting \
    && mkdir -p /app/var /data/media && chown -R tingting /app/var /data/media
USER tingting
ENV TINGTING_VAR_DIR=/app/var MEDIA_ROOT=/data/media
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "tingting.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--forwarded-allow-ips", "*"]
