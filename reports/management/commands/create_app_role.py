"""Create the application's PostgreSQL role with only the rights it needs (run as the owner role)."""

import os

from django.core.management.base import BaseCommand, CommandError

from reports.db_roles import RoleError, app_role_grant


class Command(BaseCommand):
    help = (
        "Create or update the role the service connects as: read and write data, add (never change) "
        "frozen snapshots, own nothing. Run with the owner's DATABASE_URL after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the application role, for example pcc_app")
        parser.add_argument(
            "--password-env", metavar="VAR", help="set the role's password from this environment variable"
        )

    def handle(self, *args, role, password_env=None, **options):
        password = None
        if password_env:
            password = os.environ.get(password_env, "")
            if not password:
                raise CommandError(f"{password_env} is empty: export the password there first.")
        try:
            statements = app_role_grant(role=role, password=password)
        except RoleError as exc:
            raise CommandError(str(exc)) from exc
        for sql in statements:
            self.stdout.write(sql)
        self.stdout.write(self.style.SUCCESS(f"{role} can run the service and owns nothing."))
