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


def require_public_address(binds, environ=os.environ) -> None:
    """Serving beyond loopback needs PUBLIC_BASE_URL: mailed links (password reset, new
    members) are built from it, and the local fallback would send people to 127.0.0.1."""
    loopback = ("127.0.0.1:", "localhost:", "[::1]:", "unix:")
    exposed = [b for b in binds if not b.startswith(loopback)]
    if exposed and not environ.get("PUBLIC_BASE_URL"):
        raise SystemExit(f"refusing to serve on {', '.join(exposed)} without PUBLIC_BASE_URL "
                         "(the https:// address users reach, e.g. https://market.example.com)")


def on_starting(server):
    require_public_address(server.cfg.bind)
    # Prometheus multiprocess mode: the workers' counts live in files here; start empty.
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.remove(os.path.join(path, name))


def post_worker_init(worker):
    # periodic tasks without a broker: every worker starts a scheduler, one holds the lock
    from market.ops import scheduler

    scheduler.start(worker.wsgi)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
