"""gunicorn settings: `gunicorn -c python:market.gunicorn_conf 'market:create_app()'`."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("WEB_THREADS", 2))
timeout = int(os.environ.get("WEB_TIMEOUT", 30))
accesslog = None  # the app logs every request as JSON with its request id
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
