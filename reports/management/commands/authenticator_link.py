"""Issue a one-time authenticator set-up link for a user (what a staff administrator does in the admin)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from pcc_dashboard.authenticator import SETUP_LINK_SECONDS, setup_link_issue


class Command(BaseCommand):
    help = "Print a one-time link with which USERNAME sets up their authenticator app (earlier links stop working)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--base-url", default="", help="for example https://performance.example.police.uk")

    def handle(self, *args, username, base_url, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}: create the user first (the admin's user list).")
        link = base_url.rstrip("/") + setup_link_issue(user=user)
        self.stdout.write(link)
        self.stdout.write(
            f"Give it to {username} by a channel other than their password's. It works once, after they sign in, "
            f"for {SETUP_LINK_SECONDS // 86400} days."
        )
