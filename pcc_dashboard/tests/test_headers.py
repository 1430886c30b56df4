"""Security headers on every response, no caching of signed-in pages, and CSRF (ASVS V3, 7.4)."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

CSP = "Content-Security-Policy"


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _argument_free_url_names():
    """Every named URL that takes no arguments (so a new page is covered without editing this test)."""

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.regex.groups:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


def assert_security_headers(response):
    directives = _csp_directives(response[CSP])
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, response[CSP]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "*" not in script_src and "data:" not in script_src
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in {"same-origin", "strict-origin-when-cross-origin", "no-referrer"}
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
@pytest.mark.parametrize("name", _argument_free_url_names())
def test_every_page_sends_security_headers_to_anonymous_visitors(client, name):
    response = client.get(reverse(name))
    assert_security_headers(response)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/no-such-page/", "/static/vendor/app.css", "/admin/login/"])
def test_not_found_static_and_admin_responses_send_security_headers(client, path):
    response = client.get(path)
    assert_security_headers(response)
    response.close()  # a static file is streamed from an open file: close it, as a server would


@pytest.mark.django_db
def test_csrf_failure_response_sends_security_headers():
    response = Client(enforce_csrf_checks=True).post("/accounts/sign-in/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert_security_headers(response)


@pytest.mark.parametrize("role", ["coordinator", "panel", "pdg", "csp_submitter", "police_submitter"])
def test_signed_in_pages_are_not_stored_by_browsers_or_proxies(plan, client_for, role):
    submitter = {"csp_submitter": "csp-charnwood", "police_submitter": "leicestershire-police"}.get(role)
    client = client_for(role, submitter)
    for path in ["/", "/public/", "/snapshots/", "/returns/", "/no-such-page/"]:
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], (path, response.status_code)
        assert_security_headers(response)


@pytest.mark.django_db
def test_sign_in_page_without_csrf_token_is_refused(make_user):
    user = make_user("panel")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/sign-in/", {"username": user.username, "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 403
    assert "You are viewing published information" in client.get("/").content.decode()


@pytest.mark.django_db
def test_sign_in_with_csrf_token_works(make_user):
    user = make_user("panel")
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/sign-in/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/sign-in/",
        {"username": user.username, "password": "correct-horse-battery-staple", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "path, role, submitter",
    [
        ("/accounts/sign-out/", "pdg", None),
        ("/returns/upload/", "csp_submitter", "csp-charnwood"),
        ("/snapshots/freeze/", "coordinator", None),
    ],
)
def test_signed_in_post_without_csrf_token_is_refused(plan, make_user, path, role, submitter):
    user = make_user(role, submitter)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(path, {})
    assert response.status_code == 403
    assert "Signed in as" in client.get("/").content.decode()


@pytest.mark.django_db  # the sign-in page names the office
def test_csrf_cookie_is_http_only_and_same_site(client):
    response = Client().get("/accounts/sign-in/")
    cookie = response.cookies["csrftoken"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
