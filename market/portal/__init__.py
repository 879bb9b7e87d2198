"""The portal's composed pages: the landing page and each organization's dashboard, which read
several domains, so they live above all of them. The blueprint keeps the name "web" (templates
and redirects use url_for("web.…")); the web infrastructure itself (forms, security headers,
CSRF, rate limits, readiness probes) is the kernel's market/web/."""
