# Coalition CRM image: one image for web (gunicorn), worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 1000 coalition \
    && mkdir -p /app/var /app/staticfiles \
    && chown -R coalition:coalition /app/var /app/staticfiles
USER coalition

EXPOSE 8000
# Static files are collected when the web container starts, with the settings it runs under
# (hashed, compressed names in production), and served by whitenoise.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py collectstatic --noinput && exec gunicorn coalition.wsgi --bind 0.0.0.0:8000 --workers 3 --timeout 60 --access-logfile -"]
