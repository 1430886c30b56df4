"""Shared pytest fixtures: the reference data and plan loaded, and a signed-in user per role."""

from pathlib import Path

import pytest

PLAN_FILE = Path(__file__).parent / "fixtures" / "plan_leicestershire_2014.yaml"
SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "data"


_PLAN_ROWS: list | None = None


def _plan_models():
    from priorities import models as p
    from returns import models as r

    return [
        p.Area,
        p.Population,
        p.PeerGroup,
        p.PeerGroupMember,
        p.OutcomeType,
        p.Plan,
        p.Theme,
        p.Priority,
        p.Measure,
        p.Measure.priorities.through,
        r.Submitter,
        r.DataSetItem,
    ]


@pytest.fixture
def plan(db):
    """Reference data, the Leicestershire plan, and the submitters with their agreed data sets.

    Loaded through the real set-up commands once per session, then restored in bulk from memory for each
    later test (the services issue over a thousand queries, which is slow on PostgreSQL).
    """
    global _PLAN_ROWS
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    models = _plan_models()
    if _PLAN_ROWS is None or models[0].objects.exists():
        if not models[0].objects.exists():
            # The same commands, in the same order, as `make setup` (Makefile).
            call_command("import_reference", verbosity=0)
            call_command("import_plan", str(PLAN_FILE), verbosity=0)
        _PLAN_ROWS = [(model, list(model.objects.all())) for model in models]
        return
    for model, rows in _PLAN_ROWS:
        model.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


@pytest.fixture
def make_user(db):
    """make_user(role, submitter_code=None) → a user in that role group (tied to a submitter)."""
    from django.contrib.auth.models import Group, User

    from returns.models import Submitter, SubmitterMembership

    def make(role: str | None, submitter_code: str | None = None, **extra):
        username = extra.pop("username", f"{role or 'nobody'}-{submitter_code or 'x'}-{User.objects.count()}")
        user = User.objects.create_user(username=username, password="correct-horse-battery-staple", **extra)
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        if submitter_code:
            SubmitterMembership.objects.create(user=user, submitter=Submitter.objects.get(code=submitter_code))
        return user

    return make


@pytest.fixture
def client_for(client, make_user):
    """client_for(role, submitter_code=None) → a test client signed in as a new user in that role."""

    def signed_in(role: str | None, submitter_code: str | None = None, **extra):
        user = make_user(role, submitter_code, **extra)
        client.force_login(user)
        client.user = user
        return client

    return signed_in


@pytest.fixture
def shared_data():
    """Path to ../shared/data; tests that need it skip cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


try:
    from hypothesis import settings as hypothesis_settings

    # No per-example deadline: CI machines are shared and noisy; properties, not timings, are tested.
    hypothesis_settings.register_profile("pcc", deadline=None, print_blob=True)
    hypothesis_settings.load_profile("pcc")
except ImportError:  # hypothesis is a dev dependency
    pass


def pytest_collection_modifyitems(items):
    """Hypothesis property tests are slow: hundreds of generated examples each."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.slow)
