from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sync.models import MappingChange
from sync.services.console import mapping_approve


class Command(BaseCommand):
    help = (
        "Approve a proposed mapping change as a named person (maker-checker holds: that person must be able "
        "to approve mappings, and must not be the proposer). Default: the shop's newest proposal."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--domain", required=True)
        parser.add_argument("--as", dest="username", required=True, help="the approver's username")
        parser.add_argument("--change", type=int, help="the change id (default: the newest proposed)")
        parser.add_argument("--note", default="")
        parser.add_argument("--if-any", action="store_true", help="no proposal waiting is not an error")

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        user = get_user_model().objects.filter(username=o["username"]).first()
        if user is None:
            raise CommandError(f"No user {o['username']}.")
        changes = MappingChange.objects.filter(shop__domain=o["domain"], state=MappingChange.State.PROPOSED)
        if o["change"] is not None:
            changes = changes.filter(pk=o["change"])
        change = changes.order_by("-pk").first()
        if change is None and o["if_any"]:
            self.stdout.write(f"No proposed mapping change for {o['domain']}.")
            return
        if change is None:
            raise CommandError(f"No proposed mapping change for {o['domain']}.")
        try:
            version = mapping_approve(actor=user, change=change, note=o["note"])
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(f"Not approved: {exc}") from exc
        self.stdout.write(f"Approved change {change.pk} ('{change.summary}') as mapping version {version}.")
