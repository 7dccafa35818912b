"""The business website: one static page at / that reads only the public API, plus the
security headers every response carries (the page gets no more rights than any API caller)."""

from flask import Blueprint, send_from_directory

bp = Blueprint("website", __name__, static_folder="website", static_url_path="/static")

# Scripts, styles and data from this origin only: no inline code, no CDN, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


@bp.get("/")
def index():
    response = send_from_directory(bp.static_folder, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


def register(app):
    app.register_blueprint(bp)

    @app.after_request
    def add_security_headers(response):
        # Werkzeug's setdefault raises and catches KeyError for each missing header: a set of
        # the present names is much cheaper on the hot path.
        present = {name.lower() for name in response.headers.keys()}
        for name, value in SECURITY_HEADERS.items():
            if name.lower() not in present:
                response.headers.add(name, value)
        return response
