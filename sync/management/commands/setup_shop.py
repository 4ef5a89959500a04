import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sync.models import ShopifyShop
from sync.services.setup import SetupCatalogue, shop_setup


class Command(BaseCommand):
    help = (
        "Read the shop and its Odoo, propose the mappings that match as ONE mapping change for approval "
        "(only when the shop has none), print what matched and what did not, and register the webhooks at "
        "the callback URL (again, if Shopify deleted them). Nothing is written to Odoo."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--domain", required=True)
        parser.add_argument("--callback-url", required=True, help="https://<console>/webhooks/shopify")
        parser.add_argument("--leave-unmapped", nargs="*", default=[], help="SKUs to leave unmapped (demo)")
        parser.add_argument("--no-mappings", action="store_true", help="only register the webhooks")
        parser.add_argument(
            "--catalogue",
            type=Path,
            help="JSON hints where names differ: shipping code -> carrier, gateway -> journal code, Shopify "
            "location -> Odoo location (see sync/services/setup.py; python -m opsconsole.demo_catalogue)",
        )
        parser.add_argument("--report", type=Path, help="write the onboarding report (JSON) here")

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
        if report.change_id is not None:
            self.stdout.write(
                f"Proposed mapping change {report.change_id}: {report.mapped_skus} SKUs matched, not in "
                f"Odoo: {', '.join(report.unmapped_skus) or 'none'}. Approve it in the console (Mappings → "
                "Changes) or with approve_mapping_change; nothing was written to Odoo."
            )
            for section, counts in report.report["summary"].items():
                text = ", ".join(f"{table} {n}" for table, n in counts.items()) or "none"
                self.stdout.write(f"  {section.replace('_', ' ')}: {text}")
            for entry in report.report.get("create_in_odoo", []):
                self.stdout.write(f"  to create in Odoo yourself: {entry}")
            if o["report"] is not None:
                o["report"].write_text(json.dumps(report.report, indent=2, default=str))
        self.stdout.write(
            f"Webhooks: {report.webhooks_created} registered, {report.webhooks_kept} already there."
        )
