"""The production nginx configuration, written from the code's own header set and policies
(``deploy/nginx/ashyq.conf.in``), so nginx sends what ``ashyq serve`` sends: one source
(ashyq/headers.py and portal/web.py).

    ashyq deploy nginx --server-name budget.gov.kz --out /srv/ashyq/output \\
        --tls-cert /etc/ssl/ashyq.pem --tls-key /etc/ssl/ashyq.key > /etc/nginx/conf.d/ashyq.conf
"""
from __future__ import annotations

import getpass
import grp
import os
from dataclasses import dataclass
from pathlib import Path

from ashyq.theme import HASHED, IMMUTABLE
from portal.language import nginx_maps

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "ashyq.conf.in"

#: Browsers remember for two years that the portal is reached over HTTPS only.
HSTS = "max-age=63072000; includeSubDomains"
#: Pages change when decisions are published: browsers revalidate them (ETag) every time.
PAGE_CACHE = "no-cache"
#: Downloads (open data, reports, attachments, the search index) as `ashyq serve` sends them.
FILE_CACHE = "public, max-age=3600"
#: Theme files under their plain names: a day; after that the ETag revalidates them.
THEME_CACHE = "public, max-age=86400"
#: Theme files under content-hashed names (the only ones pages name): a year, never revalidated.
HASHED_THEME_CACHE = IMMUTABLE


@dataclass(frozen=True)
class NginxSite:
    output: Path                      # the site link that builds swap
    upstream: str = "127.0.0.1:8001"  # gunicorn
    listen: str = "443 ssl"
    server_name: str = "_"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    api_rate: str = "50r/s"           # per address, for /api/ and /office/ (shared addresses)
    api_burst: int = 200


def _headers(headers: dict[str, str], indent: str = "        ") -> str:
    return "\n".join(f'{indent}add_header {name} "{value}" always;' for name, value in headers.items())


def header_sets() -> dict[str, dict[str, str]]:
    """The headers of each kind of response: the one header set (ashyq.headers) and the
    policies ``ashyq serve`` sends (portal.web.StaticSite), plus HSTS."""
    from ashyq.headers import SECURITY_HEADERS
    from portal.web import DEFAULT_CSP, StaticSite

    site = StaticSite(Path("."), DEFAULT_CSP)
    base = dict(SECURITY_HEADERS, **{"Strict-Transport-Security": HSTS})
    page = dict(base, **{"Content-Security-Policy": site.csp})
    search = dict(base, **{"Content-Security-Policy": site.search_csp})
    return {"base": base, "page": page, "search": search}


def render_nginx(site: NginxSite) -> str:
    sets = header_sets()
    cache_map = ('\nmap $uri $ashyq_cache {\n'
                 f'    default "{FILE_CACHE}";\n'
                 f'    "~(?:\\.html|/)$" "{PAGE_CACHE}";\n'
                 '}\n')
    page = _headers(dict(sets["page"], **{"Cache-Control": "$ashyq_cache"}))
    proxy = "\n".join([
        "        proxy_pass http://ashyq_api;",
        "        proxy_http_version 1.1;",
        '        proxy_set_header Connection "";',
        "        proxy_set_header Host $host;",
        # the service trusts exactly one proxy (ASHYQ_TRUSTED_PROXIES=1): the entry nginx
        # appends here is the client's address; whatever the client sent stays before it
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        proxy_read_timeout 60s;",
        _headers({"Strict-Transport-Security": HSTS}),
    ])
    if site.tls_cert:
        listen = (f"    listen {site.listen};\n"
                  f"    ssl_certificate {site.tls_cert};\n"
                  f"    ssl_certificate_key {site.tls_key};\n"
                  "    ssl_protocols TLSv1.2 TLSv1.3;")
        http_redirect = ("server {\n    listen 80;\n"
                         f"    server_name {site.server_name};\n"
                         "    return 301 https://$host$request_uri;\n}\n")
    else:
        listen, http_redirect = f"    listen {site.listen};", ""
    text = TEMPLATE.read_text(encoding="utf-8")
    values = {
        "UPSTREAM": site.upstream, "API_RATE": site.api_rate, "API_BURST": str(site.api_burst),
        "HTTP_REDIRECT": cache_map + http_redirect, "LISTEN": listen,
        "SERVER_NAME": site.server_name, "OUTPUT": str(site.output),
        "REDIRECT_HEADERS": _headers(sets["base"]), "PROXY": proxy,
        "THEME_HEADERS": _headers(dict(sets["page"], **{"Cache-Control": THEME_CACHE})),
        "HASHED_THEME": HASHED.pattern,
        "HASHED_THEME_HEADERS": _headers(dict(sets["page"],
                                              **{"Cache-Control": HASHED_THEME_CACHE})),
        "LANGUAGE_MAPS": nginx_maps(),
        "SEARCH_HEADERS": _headers(dict(sets["search"], **{"Cache-Control": "$ashyq_cache"})),
        "PAGE_HEADERS": page,
    }
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def nginx_main(site_conf: Path, prefix: Path) -> str:
    """A whole nginx.conf for running nginx as the current user under ``prefix`` (its own pid,
    logs and temporary folders): for tests and trials, not for the system's nginx."""
    prefix = Path(prefix)
    user = ""
    if os.geteuid() == 0:  # workers would otherwise switch to nobody
        user = f"user {getpass.getuser()} {grp.getgrgid(os.getegid()).gr_name};\n"
    temp = "\n".join(f"    {kind}_temp_path {prefix / 'tmp' / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'error.log'} warn;\n"
            "events { worker_connections 512; }\n"
            "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            f"    access_log {prefix / 'access.log'};\n{temp}\n"
            f"    include {site_conf};\n}}\n")
