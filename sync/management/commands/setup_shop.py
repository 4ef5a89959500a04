from django.core.management.base import BaseCommand, CommandError

from sync.models import ShopifyShop
from sync.services.setup import shop_setup


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

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        shop = ShopifyShop.objects.filter(domain=o["domain"]).first()
        if shop is None:
            raise CommandError(f"No shop {o['domain']}: run connect_shopify first.")
        report = shop_setup(
            shop=shop,
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
