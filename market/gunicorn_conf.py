"""gunicorn settings: `gunicorn -c python:market.gunicorn_conf 'market:create_app()'`."""
import os

from market import settings

# Read here, in the master, before any worker forks: a bad value ends start-up with one line
# naming the variable, not a traceback per worker.
try:
    SETTINGS = settings.load()
except settings.SettingsError as exc:
    raise SystemExit(str(exc)) from None

bind = SETTINGS.BIND
workers = SETTINGS.WEB_CONCURRENCY
threads = SETTINGS.WEB_THREADS
timeout = SETTINGS.WEB_TIMEOUT
accesslog = None  # the app logs every request as JSON with its request id
errorlog = "-"
forwarded_allow_ips = SETTINGS.FORWARDED_ALLOW_IPS


def require_public_address(binds, environ=None) -> None:
    """Serving beyond loopback needs PUBLIC_BASE_URL: mailed links (password reset, new
    members) are built from it, and the local fallback would send people to 127.0.0.1."""
    public = SETTINGS.PUBLIC_BASE_URL if environ is None else environ.get("PUBLIC_BASE_URL")
    loopback = ("127.0.0.1:", "localhost:", "[::1]:", "unix:")
    exposed = [b for b in binds if not b.startswith(loopback)]
    if exposed and not public:
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
