import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sync.models import ShopifyShop
from sync.services.setup import SetupCatalogue, shop_setup


class Command(BaseCommand):
    help = (
        "Seed a shop's initial mappings from its Odoo (only when it has none) and register its webhooks "
        "at the callback URL (again, if Shopify deleted them)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--domain", required=True)
        parser.add_argument("--callback-url", required=True, help="https://<console>/webhooks/shopify")
        parser.add_argument("--leave-unmapped", nargs="*", default=[], help="SKUs to leave unmapped (demo)")
        parser.add_argument("--no-mappings", action="store_true", help="only register the webhooks")
        parser.add_argument(
            "--catalogue",
            type=Path,
            help="JSON: SKUs, taxes, carriers, gateways and locations to look for in Odoo "
            "(see sync/services/setup.py; the demo writes one with python -m opsconsole.demo_catalogue)",
        )

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        shop = ShopifyShop.objects.filter(domain=o["domain"]).first()
        if shop is None:
            raise CommandError(f"No shop {o['domain']}: run connect_shopify first.")
        catalogue = None
        if o["catalogue"] is not None:
            try:
                catalogue = SetupCatalogue.from_dict(json.loads(o["catalogue"].read_text()))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"Cannot read the catalogue {o['catalogue']}: {exc}") from exc
        report = shop_setup(
            shop=shop,
            catalogue=catalogue,
            callback_url=o["callback_url"],
            leave_unmapped=o["leave_unmapped"],
            seed_mappings=not o["no_mappings"],
        )
        if report.mapping_version is not None:
            self.stdout.write(
                f"Mappings: version {report.mapping_version}, {report.mapped_skus} SKUs mapped, "
                f"unmapped: {', '.join(report.unmapped_skus) or 'none'}."
            )
        self.stdout.write(
            f"Webhooks: {report.webhooks_created} registered, {report.webhooks_kept} already there."
        )
