import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from opsconsole.core.fields import Secret
from sync.models import OdooConnection, ShopifyShop
from sync.services.connections import odoo_connect, shopify_connect

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608 - test constants
        return cursor.fetchone()[0]


def test_credentials_are_encrypted_at_rest_and_never_in_a_repr():
    odoo, _ = odoo_connect(url="http://odoo.test", database="prod", login="bot", secret="odoo-api-key-123")
    shop, _ = shopify_connect(
        domain="Shop.myshopify.com",
        token="shpat_secret_token",
        client_secret="app-secret",
        api_version="2026-07",
        odoo=odoo,
    )

    assert "odoo-api-key-123" not in _raw("sync_odooconnection", "secret", odoo.pk)
    assert "shpat_secret_token" not in _raw("sync_shopifyshop", "access_token", shop.pk)
    reloaded = ShopifyShop.objects.get(pk=shop.pk)
    assert reloaded.domain == "shop.myshopify.com"
    assert reloaded.access_token == "shpat_secret_token" and isinstance(reloaded.access_token, Secret)
    assert "shpat" not in repr(reloaded.access_token)
    assert OdooConnection.objects.get(pk=odoo.pk).secret == "odoo-api-key-123"


def test_a_new_client_secret_keeps_the_previous_one_for_the_rotation_window():
    odoo, _ = odoo_connect(url="http://odoo.test", database="prod", login="bot", secret="k")
    shopify_connect(
        domain="s.myshopify.com", token="t", client_secret="old-secret", api_version="2026-07", odoo=odoo
    )

    shop, created = shopify_connect(
        domain="s.myshopify.com", token="t", client_secret="new-secret", api_version="2026-07", odoo=odoo
    )

    assert created is False
    assert (shop.client_secret, shop.previous_client_secret) == ("new-secret", "old-secret")


def test_rotating_the_encryption_key_re_encrypts_every_credential(settings):
    old_key = settings.ENCRYPTION_KEYS[0]
    odoo, _ = odoo_connect(url="http://odoo.test", database="prod", login="bot", secret="odoo-key")
    shop, _ = shopify_connect(
        domain="r.myshopify.com", token="tok", client_secret="sec", api_version="2026-07", odoo=odoo
    )
    before = _raw("sync_shopifyshop", "access_token", shop.pk)

    new_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)

    assert "Re-encrypted 3 credential(s)" in out.getvalue()  # odoo secret, token, client secret (none empty)
    after = _raw("sync_shopifyshop", "access_token", shop.pk)
    assert after != before
    assert Fernet(new_key.encode()).decrypt(after.encode()) == b"tok"
    settings.ENCRYPTION_KEYS = [new_key]  # the old key is gone: values still decrypt
    assert ShopifyShop.objects.get(pk=shop.pk).access_token == "tok"
    assert OdooConnection.objects.get(pk=odoo.pk).secret == "odoo-key"


@pytest.mark.parametrize("role", ["viewer", "ops", "finance"])
def test_the_connection_services_refuse_anyone_but_an_integration_admin(make_user, role):
    from django.core.exceptions import PermissionDenied

    from sync.services.connections import connection_active_set, connection_remove, odoo_connection_save
    from tests.factories import ShopifyShopFactory

    shop = ShopifyShopFactory()
    user = make_user(role)

    with pytest.raises(PermissionDenied):
        connection_active_set(actor=user, target=shop, active=False)
    with pytest.raises(PermissionDenied):
        connection_remove(actor=user, target=shop)
    with pytest.raises(PermissionDenied):
        odoo_connection_save(actor=user, name="x", url="http://x.test", database="d", login="l", secret="s")

    assert ShopifyShop.objects.get(pk=shop.pk).active is True
    assert OdooConnection.objects.count() == 1


def test_an_admin_limited_to_one_shop_cannot_remove_the_odoo_another_shop_uses(make_user):
    from django.core.exceptions import PermissionDenied

    from sync.models import ShopAccess
    from sync.services.connections import connection_remove
    from tests.factories import ShopifyShopFactory

    mine = ShopifyShopFactory()
    theirs = ShopifyShopFactory(odoo=mine.odoo)
    admin = make_user("integration_admin")
    ShopAccess.objects.create(user=admin, shop=mine)

    with pytest.raises(PermissionDenied):
        connection_remove(actor=admin, target=mine.odoo)

    assert OdooConnection.objects.filter(pk=theirs.odoo_id).exists()
