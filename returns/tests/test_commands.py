"""import_return: stores a valid file, names file/row/column for a bad one, writes nothing then."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from returns.models import Observation, Return, ReturnStatus

UPLOADS = Path(__file__).parent / "fixtures" / "uploads"
ARGS = ["--submitter", "leicestershire-police", "--period-start", "2014-04-01", "--period-end", "2014-06-30"]

pytestmark = pytest.mark.django_db


def test_import_return_stores_submitted_version(plan, capsys):
    call_command("import_return", str(UPLOADS / "valid.csv"), *ARGS)
    ret = Return.objects.get()
    assert (ret.version, ret.status, ret.source) == (1, ReturnStatus.SUBMITTED, "import_return")
    assert "version 1 (5 rows)" in capsys.readouterr().out


def test_import_return_accept(plan):
    call_command("import_return", str(UPLOADS / "valid.csv"), *ARGS, "--accept")
    call_command("import_return", str(UPLOADS / "bom.csv"), *ARGS, "--accept")
    assert list(Return.objects.order_by("version").values_list("version", "status", "is_current")) == [
        (1, "superseded", False),
        (2, "accepted", True),
    ]


def test_import_return_bad_file_names_row_and_column(plan, capsys):
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_return", str(UPLOADS / "non_numeric.csv"), *ARGS)
    err = capsys.readouterr().err
    assert "non_numeric.csv, row 2, column value: not a number" in err
    assert Return.objects.count() == 0 and Observation.objects.count() == 0


def test_import_return_unknown_submitter(plan):
    with pytest.raises(CommandError, match="unknown submitter 'nobody'"):
        call_command("import_return", str(UPLOADS / "valid.csv"), "--submitter", "nobody", *ARGS[2:])


def test_import_return_bad_period(plan):
    args = ["--submitter", "leicestershire-police", "--period-start", "2014-04-01", "--period-end", "2014-05-31"]
    with pytest.raises(CommandError, match="neither a calendar month nor a financial quarter"):
        call_command("import_return", str(UPLOADS / "valid.csv"), *args)
    with pytest.raises(CommandError, match="--period-end '2014-02-31'"):
        call_command("import_return", str(UPLOADS / "valid.csv"), *args[:4], "--period-end", "2014-02-31")


def test_import_return_missing_file(plan, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_return", str(tmp_path / "nope.csv"), *ARGS)
