from django.core.management.base import BaseCommand, CommandError

from sync.models import ShopifyShop
from sync.services.stock import odoo_wake_path, stock_resync


class Command(BaseCommand):
    help = (
        "Push Odoo's available to sell to Shopify for every mapped SKU of a shop (or the SKUs given), "
        "reading Shopify's values first. With --wake-url, print the URL an Odoo automation rule calls."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--domain", required=True)
        parser.add_argument("--sku", action="append", default=[], help="one SKU (repeatable); default: all")
        parser.add_argument("--wake-url", metavar="BASE", help="print BASE + the shop's signed wake path")

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        shop = ShopifyShop.objects.filter(domain=o["domain"]).first()
        if shop is None:
            raise CommandError(f"No shop {o['domain']}.")
        if o["wake_url"]:
            self.stdout.write(o["wake_url"].rstrip("/") + odoo_wake_path(shop=shop))
            return
        job = stock_resync(shop=shop, skus=o["sku"])
        self.stdout.write(f"Stock re-sync queued as job {job.pk} ({job.subject_label}).")
