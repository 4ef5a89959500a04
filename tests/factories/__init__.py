"""factory_boy factories shared by the test suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.groups.set([Group.objects.get(name=extracted)])
        if create:
            self.save()


class OdooConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sync.OdooConnection"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"odoo{n}")
    url = "http://127.0.0.1:9"
    database = "sandbox"
    login = "admin"
    secret = "sandbox-api-key"
    protocol = "jsonrpc"


class ShopifyShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sync.ShopifyShop"
        django_get_or_create = ("domain",)

    domain = factory.Sequence(lambda n: f"shop{n}.myshopify.com")
    admin_url = factory.LazyAttribute(lambda s: f"https://{s.domain}")
    api_version = "2026-01"
    access_token = "shpat_test"
    client_secret = "test-client-secret"
    odoo = factory.SubFactory(OdooConnectionFactory)
