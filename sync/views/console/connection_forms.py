"""Forms of the Connections screen. Secret fields are write-only: never rendered back (``render_value`` is
off), and left blank on an edit they keep the stored value."""

from __future__ import annotations

from typing import Any

from django import forms

from sync.models import OdooConnection, ShopifyShop

SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class OdooConnectionForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="default: <url>/<database>")
    url = forms.URLField(label="Odoo URL", assume_scheme="https", help_text="e.g. https://erp.example.com")
    database = forms.CharField(max_length=100)
    login = forms.CharField(max_length=150, help_text="the integration's own Odoo user")
    secret = forms.CharField(label="Password or API key", required=False, strip=False, widget=SECRET)
    protocol = forms.ChoiceField(choices=OdooConnection.Protocol.choices, initial="jsonrpc")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["secret"].help_text = "leave blank to keep the stored one"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.editing and not data.get("secret"):
            self.add_error("secret", "Required for a new connection.")
        return data


class ShopConnectionForm(forms.Form):
    domain = forms.CharField(max_length=255, help_text="the shop's *.myshopify.com domain")
    admin_url = forms.URLField(
        label="Admin URL", assume_scheme="https", required=False, help_text="default: https://<domain>"
    )
    api_version = forms.CharField(max_length=10, label="API version", initial="2026-07")
    token = forms.CharField(label="Admin API access token", required=False, strip=False, widget=SECRET)
    client_secret = forms.CharField(
        label="App client secret", required=False, strip=False, widget=SECRET, help_text="it signs webhooks"
    )
    odoo = forms.ModelChoiceField(queryset=OdooConnection.objects.order_by("name"), label="Odoo connection")

    def __init__(self, *args: Any, shop: ShopifyShop | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shop = shop
        if shop is not None:
            self.fields["domain"].disabled = True
            for name in ("token", "client_secret"):
                self.fields[name].help_text = "leave blank to keep the stored one"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.shop is None:
            for name in ("token", "client_secret"):
                if not data.get(name):
                    self.add_error(name, "Required for a new shop.")
        return data


class ConnectShopForm(forms.Form):
    shop = forms.ModelChoiceField(queryset=ShopifyShop.objects.none(), label="Shopify shop")
    odoo = forms.ModelChoiceField(queryset=OdooConnection.objects.none(), label="Odoo connection")
    callback_url = forms.URLField(
        assume_scheme="https",
        label="Webhook callback URL",
        help_text="where Shopify sends webhooks: this console's /webhooks/shopify",
    )

    def __init__(self, *args: Any, shops: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops  # type: ignore[attr-defined]
        self.fields["odoo"].queryset = OdooConnection.objects.filter(active=True).order_by("name")  # type: ignore[attr-defined]
