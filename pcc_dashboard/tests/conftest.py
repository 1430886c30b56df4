"""Helpers for the project-wide hardening tests: run Django in a subprocess with a chosen environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DUMMY_KEY = "ci-dummy-secret-key-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"  # 64 characters
assert len(DUMMY_KEY) == 64

# Variables that change how settings load: each subprocess sets them explicitly, so neither the
# caller's environment nor a developer's .env file (read with setdefault) decides the outcome.
_CONTROLLED = {
    "DEBUG": "0",
    "PCC_PROFILE": "development",
    "PCC_ALLOW_INSECURE_KEY": "0",
    "PCC_REQUIRE_2FA": "",
    "SECRET_KEY": DUMMY_KEY,
    "DJANGO_SETTINGS_MODULE": "pcc_dashboard.settings",
}


def django_env(**overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(_CONTROLLED)
    env.pop("PCC_REQUIRE_2FA")
    env.update(overrides)
    return env


def run_manage(*args: str, timeout: int = 180, **env: str) -> subprocess.CompletedProcess:
    """`python manage.py ARGS` in a subprocess with a controlled environment."""
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=django_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_python(code: str, timeout: int = 180, **env: str) -> subprocess.CompletedProcess:
    """Run Python `code` after django.setup() in a subprocess (no pytest, so no test-only defaults)."""
    prelude = "import django, json\ndjango.setup()\nfrom django.conf import settings\n"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        env=django_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def settings_in_subprocess(names: list[str], **env: str) -> dict:
    """The values of settings `names` as loaded with environment `env`."""
    code = f"print('SETTINGS=' + json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}, default=str))"
    result = run_python(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.split("SETTINGS=", 1)[1])


@pytest.fixture
def signed_in_client(client, make_user):
    """signed_in_client(role) → (client, user), signed in through the real sign-in form."""

    def sign_in(role: str | None, submitter_code: str | None = None, **extra):
        user = make_user(role, submitter_code, **extra)
        response = client.post(
            "/accounts/sign-in/", {"username": user.username, "password": "correct-horse-battery-staple"}
        )
        assert response.status_code == 302, response.content[:500]
        return client, user

    return sign_in
