"""The Odoo operations the flows use, over either transport, in as few round trips as Odoo allows.

No Django, no mapping logic: ids and values in, dataclasses out, errors from
:mod:`opsconsole.core.errors`. Round trips per operation (hot path) are noted on each method; the
transport counts them in :attr:`OdooClient.calls`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from opsconsole.core.errors import BusinessRuleError, ContractError

from .transport import SYSTEM, OdooConfig, Transport, make_transport
from .types import (
    Address,
    CatalogueProduct,
    CatalogueVariant,
    ChangedRecord,
    CompanyTaxSettings,
    CreditNoteInput,
    InvoiceInfo,
    JournalEntryInput,
    JournalEntryRef,
    JournalLine,
    LocationInfo,
    MoveInfo,
    MoveLineEdit,
    MoveLineInfo,
    OrderInfo,
    OrderInput,
    OrderLineInfo,
    OrderRef,
    OrderTotals,
    OrderUpdate,
    PartnerInput,
    PartnerRef,
    PaymentInfo,
    PaymentInput,
    PayoutInput,
    PickingInfo,
    PickingValidation,
    ProductFacts,
    ProductInfo,
    QuantInfo,
    RecordChoice,
    ReturnInput,
    ReturnResult,
    ReversalInput,
    SaleOrderSummary,
    StatementLine,
    StockCursor,
    StockLevel,
    StockPage,
    TaxInfo,
    Whoami,
)

log = logging.getLogger(__name__)

DEFAULT_MODULE = "opsconsole"


def _dec(value: Any) -> Decimal:
    if value is None or value is False:
        return Decimal("0")
    return Decimal(str(value))


def _m2o_id(value: Any) -> int | None:
    if isinstance(value, (list, tuple)) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _m2o_name(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) > 1:
        return str(value[1])
    return ""


def _str(value: Any) -> str:
    return "" if value in (None, False) else str(value)


def _sku_from_display(name: str) -> str:
    if name.startswith("[") and "]" in name:
        return name[1 : name.index("]")]
    return ""


def _num(value: Decimal | int | float) -> float:
    return float(value)


class OdooClient:
    """One connection to one Odoo database. Not thread-safe: use one per worker."""

    def __init__(
        self, config: OdooConfig, transport: Transport | None = None, *, module: str = DEFAULT_MODULE
    ):
        self.config = config
        self.transport = transport or make_transport(config)
        self.module = module
        self._countries: dict[str, int] = {}
        self._states: dict[tuple[str, str], int | None] = {}
        self._currencies: dict[str, int | None] = {}
        self.company_id: int | None = None  # set: every call runs with allowed_company_ids = [company_id]

    def for_company(self, company_id: int | None) -> OdooClient:
        """The same connection, each call in the context of one company (``allowed_company_ids``), as the
        Odoo UI does when the user works in that company: defaults, record rules and sequences follow it."""
        if company_id == self.company_id:
            return self
        scoped = OdooClient.__new__(OdooClient)
        scoped.__dict__.update(self.__dict__)
        scoped.company_id = company_id
        return scoped

    def __repr__(self) -> str:
        return (
            f"OdooClient(url={self.config.url!r}, db={self.config.db!r}, protocol={self.config.protocol!r})"
        )

    # -- basics ----------------------------------------------------------------------------------

    @property
    def calls(self) -> int:
        """HTTP round trips made so far (connection set-up included)."""
        return self.transport.calls

    @property
    def version(self) -> tuple[int, int]:
        """(major, minor) of the server, detected once."""
        return self.transport.version

    def close(self) -> None:
        self.transport.close()

    def execute(self, model: str, method: str, ids: list[int] | None = None, **params: Any) -> Any:
        """Escape hatch: call any public method with named parameters."""
        self.version  # noqa: B018 - detect the version first so that errors about it come first
        if self.company_id is not None:
            context = dict(params.get("context") or {})
            context.setdefault("allowed_company_ids", [self.company_id])
            params = {**params, "context": context}
        return self.transport.call(model, method, ids, **params)

    def _sol_tax_field(self) -> str:
        return "tax_ids" if self.version[0] >= 19 else "tax_id"

    def _payment_ref_field(self) -> str:
        return "memo" if self.version[0] >= 18 else "ref"

    def _move_qty_field(self) -> str:
        return "quantity" if self.version[0] >= 17 else "quantity_done"

    # -- health ----------------------------------------------------------------------------------

    def whoami(self) -> Whoami:
        """1 call (plus connection set-up): ``res.users.context_get``."""
        ctx = self.execute("res.users", "context_get")
        if not isinstance(ctx, dict) or "uid" not in ctx:
            raise ContractError(f"context_get answered {type(ctx).__name__}", system=SYSTEM)
        major, minor = self.version
        return Whoami(
            uid=int(ctx["uid"]),
            lang=_str(ctx.get("lang")),
            tz=_str(ctx.get("tz")),
            version=f"{major}.{minor}",
            db=self.config.db,
            login=self.config.login,
        )

    def has_access(self, model: str, operation: str) -> bool:
        """1 call: may the API user perform ``operation`` (read / create / write / unlink) on ``model`` at all
        (its access rights, ``ir.model.access``)? Asks without trying: Odoo 18 and 19 answer ``has_access`` on
        an empty recordset; 17 has only ``check_access_rights`` (deprecated since 18, gone after 19)."""
        if operation not in ("read", "create", "write", "unlink"):
            raise ValueError(f"unknown access operation {operation!r}")
        if self.version[0] >= 18:
            answer = self.execute(model, "has_access", [], operation=operation)
        else:
            answer = self.execute(model, "check_access_rights", operation=operation, raise_exception=False)
        if not isinstance(answer, bool):
            raise ContractError(f"{model} access check answered {type(answer).__name__}", system=SYSTEM)
        return answer

    # -- partners --------------------------------------------------------------------------------

    def _country_id(self, code: str) -> int | None:
        if not code:
            return None
        if not self._countries:  # filled in place: shared with this client's for_company() copies
            rows = self.execute("res.country", "search_read", domain=[], fields=["code"])
            self._countries.update({str(r["code"]).upper(): int(r["id"]) for r in rows if r.get("code")})
        cid = self._countries.get(code.upper())
        if cid is None:
            raise BusinessRuleError(
                f"Odoo has no country with ISO code {code!r}",
                code="unknown_country",
                key=code.upper(),
                system=SYSTEM,
            )
        return cid

    def _state_id(self, country_code: str, state_code: str) -> int | None:
        if not country_code or not state_code:
            return None
        key = (country_code.upper(), state_code.upper())
        if key not in self._states:
            rows = self.execute(
                "res.country.state",
                "search_read",
                domain=[("country_id.code", "=", key[0]), ("code", "=", state_code)],
                fields=["id"],
                limit=1,
            )
            self._states[key] = int(rows[0]["id"]) if rows else None
        return self._states[key]

    def _address_vals(self, addr: Address) -> dict[str, Any]:
        vals: dict[str, Any] = {}
        for fname in ("name", "email", "phone", "street", "street2", "zip", "city"):
            value = getattr(addr, fname)
            if value:
                vals[fname] = value
        if addr.country_code:
            vals["country_id"] = self._country_id(addr.country_code)
            state = self._state_id(addr.country_code, addr.state_code)
            if state:
                vals["state_id"] = state
        return vals

    def find_or_create_partner(self, partner: PartnerInput) -> PartnerRef:
        """Hot path 1 call (ir.model.data lookup); a new partner costs 4 (plus the country cache once).

        Identity is the external id ``<module>.<external_id>`` (unique in Odoo), with ``_invoice`` and
        ``_delivery`` ids for the child contacts. ``ref`` carries the same key so that a retry after a lost
        answer adopts the partner the first attempt created instead of making a second one.
        """
        name = partner.external_id
        names = [name, f"{name}_invoice", f"{name}_delivery"]
        found = self._xmlids(names)
        if name in found:
            return PartnerRef(
                partner_id=found[name],
                invoice_id=found.get(names[1], found[name]),
                delivery_id=found.get(names[2], found[name]),
                created=False,
            )
        ref = f"{self.module}:{name}"
        rows = self.execute(
            "res.partner",
            "search_read",
            domain=["|", ("ref", "=", ref), ("parent_id.ref", "=", ref)],
            fields=["id", "type", "parent_id"],
            context={"active_test": False},
        )
        created = False
        if not any(not r.get("parent_id") for r in rows) and partner.address.email:
            # Not ours yet: a partner Odoo already has with this e-mail is adopted rather than duplicated,
            # if it is of the partner's company (or shared, for a shared partner): a partner of another
            # company would be refused on an order of this one ("no company crossover is allowed").
            existing = self.find_partner_by_email(
                partner.address.email, company_id=partner.company_id or False
            )
            if existing is not None:
                rows = self.execute(
                    "res.partner",
                    "search_read",
                    domain=[("id", "child_of", [existing])],
                    fields=["id", "type", "parent_id"],
                    context={"active_test": False},
                )
        if not any(not r.get("parent_id") for r in rows):
            vals = self._address_vals(partner.address)
            vals.update({"ref": ref, "type": "contact"})
            owner = {"company_id": partner.company_id} if partner.company_id else {}
            vals.update(owner)
            if partner.is_company:
                vals["is_company"] = True
            if partner.lang:
                vals["lang"] = partner.lang
            children = []
            for ctype, addr in (("invoice", partner.invoice_address), ("delivery", partner.delivery_address)):
                if addr is not None:
                    children.append((0, 0, {**self._address_vals(addr), "type": ctype, **owner}))
            if children:
                vals["child_ids"] = children
            self.execute("res.partner", "create", vals_list=[vals])
            created = True
            rows = self.execute(
                "res.partner",
                "search_read",
                domain=["|", ("ref", "=", ref), ("parent_id.ref", "=", ref)],
                fields=["id", "type", "parent_id"],
                context={"active_test": False},
            )
        parents = sorted(int(r["id"]) for r in rows if not r.get("parent_id"))
        if not parents:
            raise ContractError("the partner just created cannot be found again", system=SYSTEM)
        pid = parents[0]
        inv = next(
            (int(r["id"]) for r in rows if _m2o_id(r.get("parent_id")) == pid and r.get("type") == "invoice"),
            pid,
        )
        dlv = next(
            (
                int(r["id"])
                for r in rows
                if _m2o_id(r.get("parent_id")) == pid and r.get("type") == "delivery"
            ),
            pid,
        )
        records = [(name, pid)]
        if inv != pid:
            records.append((names[1], inv))
        if dlv != pid:
            records.append((names[2], dlv))
        try:
            self.execute(
                "ir.model.data",
                "create",
                vals_list=[
                    {
                        "module": self.module,
                        "name": n,
                        "model": "res.partner",
                        "res_id": rid,
                        "noupdate": True,
                    }
                    for n, rid in records
                ],
            )
        except BusinessRuleError as exc:
            if exc.code != "odoo_validation":
                raise
            # Someone else bound this external id meanwhile: theirs wins.
            found = self._xmlids(names)
            if name not in found:
                raise
            return PartnerRef(
                partner_id=found[name],
                invoice_id=found.get(names[1], found[name]),
                delivery_id=found.get(names[2], found[name]),
                created=False,
            )
        return PartnerRef(partner_id=pid, invoice_id=inv, delivery_id=dlv, created=created)

    def _xmlids(self, names: Sequence[str]) -> dict[str, int]:
        rows = self.execute(
            "ir.model.data",
            "search_read",
            domain=[("module", "=", self.module), ("name", "in", list(names))],
            fields=["name", "model", "res_id"],
        )
        return {str(r["name"]): int(r["res_id"]) for r in rows if r.get("res_id")}

    # -- products --------------------------------------------------------------------------------

    def find_products_by_sku(self, skus: Iterable[str]) -> dict[str, ProductInfo]:
        """1 call for any number of SKUs. Unknown SKUs are simply absent from the answer."""
        wanted = sorted({s for s in skus if s})
        if not wanted:
            return {}
        fields = [
            "default_code",
            "display_name",
            "barcode",
            "lst_price",
            "type",
            "active",
            "product_tmpl_id",
            "uom_id",
        ]
        if self.version[0] >= 18:
            fields.append("is_storable")
        rows = self.execute(
            "product.product", "search_read", domain=[("default_code", "in", wanted)], fields=fields
        )
        out: dict[str, ProductInfo] = {}
        for r in rows:
            sku = _str(r.get("default_code"))
            if sku in out:
                continue  # Odoo does not make default_code unique; the first (by Odoo's order) wins
            storable = bool(r.get("is_storable")) if self.version[0] >= 18 else r.get("type") == "product"
            out[sku] = ProductInfo(
                id=int(r["id"]),
                sku=sku,
                name=_str(r.get("display_name")),
                barcode=_str(r.get("barcode")),
                list_price=_dec(r.get("lst_price")),
                type=_str(r.get("type")),
                storable=storable,
                active=bool(r.get("active", True)),
                template_id=_m2o_id(r.get("product_tmpl_id")),
                uom_id=_m2o_id(r.get("uom_id")),
            )
        return out

    def product_facts(self, product_ids: Iterable[int]) -> dict[int, ProductFacts]:
        """At most 3 calls for any number of products (archived ones too): type, list price, invoicing
        policy and income account (the product's, else its category's) with the account's type. Unknown
        ids are absent from the answer."""
        wanted = sorted({int(i) for i in product_ids})
        if not wanted:
            return {}
        rows = self.execute(
            "product.product",
            "search_read",
            domain=[("id", "in", wanted)],
            fields=[
                "display_name",
                "type",
                "lst_price",
                "invoice_policy",
                "active",
                "property_account_income_id",
                "categ_id",
            ],
            context={"active_test": False},
        )
        categories = sorted(
            {c for r in rows if not r.get("property_account_income_id") and (c := _m2o_id(r.get("categ_id")))}
        )
        by_category: dict[int, int | None] = {}
        if categories:
            for c in self.execute(
                "product.category",
                "read",
                categories,
                fields=["property_account_income_categ_id"],
            ):
                by_category[int(c["id"])] = _m2o_id(c.get("property_account_income_categ_id"))
        income = {
            int(r["id"]): _m2o_id(r.get("property_account_income_id"))
            or by_category.get(_m2o_id(r.get("categ_id")) or 0)
            for r in rows
        }
        account_ids = sorted({a for a in income.values() if a})
        accounts = {
            int(a["id"]): a
            for a in (
                self.execute("account.account", "read", account_ids, fields=["code", "account_type"])
                if account_ids
                else []
            )
        }
        out: dict[int, ProductFacts] = {}
        for r in rows:
            account = income[int(r["id"])]
            facts = accounts.get(account or 0, {})
            out[int(r["id"])] = ProductFacts(
                id=int(r["id"]),
                name=_str(r.get("display_name")),
                type=_str(r.get("type")),
                list_price=_dec(r.get("lst_price")),
                invoice_policy=_str(r.get("invoice_policy")),
                active=bool(r.get("active", True)),
                income_account_id=account,
                income_account_code=_str(facts.get("code")),
                income_account_type=_str(facts.get("account_type")),
            )
        return out

    # -- sale orders -----------------------------------------------------------------------------

    def find_order(self, client_order_ref: str) -> OrderRef | None:
        """1 call."""
        return self._find_order_where("client_order_ref", client_order_ref)

    def find_order_by_name(self, name: str) -> OrderRef | None:
        """1 call: the sale order named ``name`` (an invoice's or credit note's ``invoice_origin``)."""
        return self._find_order_where("name", name)

    def _find_order_where(self, field: str, value: str) -> OrderRef | None:
        """1 call: the first sale order whose ``field`` is ``value``."""
        rows = self.execute(
            "sale.order",
            "search_read",
            domain=[(field, "=", value)],
            fields=["name", "state"],
            order="id asc",
            limit=1,
        )
        if not rows:
            return None
        return OrderRef(
            id=int(rows[0]["id"]),
            name=_str(rows[0].get("name")),
            state=_str(rows[0].get("state")),
            created=False,
        )

    def sale_orders_by_refs(self, refs: Sequence[str]) -> list[SaleOrderSummary]:
        """1 call per 500 references: the sale orders whose ``client_order_ref`` is one of ``refs``."""
        out: list[SaleOrderSummary] = []
        wanted = [str(r) for r in refs]
        for start in range(0, len(wanted), 500):
            rows = self.execute(
                "sale.order",
                "search_read",
                domain=[("client_order_ref", "in", wanted[start : start + 500])],
                fields=_SUMMARY_FIELDS,
                order="id asc",
            )
            out.extend(_sale_order_summary(r) for r in rows)
        return out

    def sale_orders_created(
        self,
        *,
        since: str,
        until: str,
        company_id: int | None = None,
        after_id: int = 0,
        limit: int = 500,
    ) -> list[SaleOrderSummary]:
        """1 call: sale orders carrying a ``client_order_ref`` created in [since, until) (Odoo's UTC text),
        by id above ``after_id`` (a page; call again with the last id until fewer than ``limit`` come)."""
        domain: list[Any] = [
            ("client_order_ref", "!=", False),
            ("create_date", ">=", since),
            ("create_date", "<", until),
            ("id", ">", after_id),
        ]
        if company_id:
            domain.append(("company_id", "=", company_id))
        rows = self.execute(
            "sale.order", "search_read", domain=domain, fields=_SUMMARY_FIELDS, order="id asc", limit=limit
        )
        return [_sale_order_summary(r) for r in rows]

    def _line_vals(self, line: Any) -> dict[str, Any]:
        vals: dict[str, Any] = {}
        if line.display_type:
            return {"display_type": line.display_type, "name": line.name or "", "product_uom_qty": 0}
        vals["product_id"] = line.product_id
        vals["product_uom_qty"] = _num(line.quantity)
        if line.price_unit is not None:
            vals["price_unit"] = _num(line.price_unit)
        if line.discount:
            vals["discount"] = _num(line.discount)
        if line.name:
            vals["name"] = line.name
        if line.tax_ids is not None:
            vals[self._sol_tax_field()] = [(6, 0, list(line.tax_ids))]
        return vals

    def _order_vals(self, order: OrderInput) -> dict[str, Any]:
        vals: dict[str, Any] = {
            "partner_id": order.partner_id,
            "client_order_ref": order.client_order_ref,
            "order_line": [(0, 0, self._line_vals(line)) for line in order.lines],
        }
        optional = {
            "partner_invoice_id": order.partner_invoice_id,
            "partner_shipping_id": order.partner_shipping_id,
            "origin": order.origin,
            "note": order.note,
            "pricelist_id": order.pricelist_id,
            "warehouse_id": order.warehouse_id,
            "carrier_id": order.carrier_id,
            "company_id": order.company_id,
            "date_order": order.date_order,
        }
        vals.update({k: v for k, v in optional.items() if v not in (None, "")})
        if order.name:
            vals["name"] = order.name
        return vals

    def create_sale_order_with_totals(self, order: OrderInput, *, look_up: bool = True) -> OrderTotals:
        """1 call (``web_save``), totals included; 2 with ``look_up``: first a look-up by ``client_order_ref``
        reading the amounts, and ``web_save`` only if nothing is found.

        ``web_save`` (Odoo 17+, every model) creates the order and answers it read with the given
        specification in the same call, so the amounts Odoo computed come back with the id. The caller
        asks for the look-up only when an earlier attempt may have written the order (its answer lost,
        its worker killed): in steady state an order costs one call to create.
        """
        if look_up:
            rows = self.execute(
                "sale.order",
                "search_read",
                domain=[("client_order_ref", "=", order.client_order_ref)],
                fields=["name", "state", *_TOTALS, "currency_id"],
                order="id asc",
                limit=1,
            )
            if rows:
                currency_name = _m2o_name(rows[0].get("currency_id"))
                return _order_totals(rows[0], created=False, currency=currency_name)
        spec: dict[str, Any] = {
            "name": {},
            "state": {},
            **{f: {} for f in _TOTALS},
            "currency_id": {"fields": {"display_name": {}}},
        }
        answer = self.execute("sale.order", "web_save", [], vals=self._order_vals(order), specification=spec)
        if not isinstance(answer, list) or len(answer) != 1 or not isinstance(answer[0], dict):
            raise ContractError(f"sale.order.web_save answered {answer!r}", system=SYSTEM)
        row = answer[0]
        currency = row.get("currency_id")
        return _order_totals(
            row,
            created=True,
            currency=_str(currency.get("display_name")) if isinstance(currency, dict) else "",
        )

    def confirm_order(self, order_id: int) -> None:
        """1 call (``action_confirm``); confirming an order that is already confirmed is not an error."""
        try:
            self.execute("sale.order", "action_confirm", [order_id])
        except BusinessRuleError as exc:
            if exc.code == "odoo_user_error":
                state = self._order_state(order_id)
                if state == "sale":
                    return
                raise _refused(exc, "order_confirm_refused", order_id, state=state) from None
            raise

    def _order_state(self, order_id: int) -> str | None:
        rows = self.execute("sale.order", "read", [order_id], fields=["state"])
        return _str(rows[0]["state"]) if rows else None

    def cancel_order(self, order_id: int) -> None:
        """1 call on 19 and on 18 (context ``disable_cancel_warning``); 3 if a server still insists on its wizard."""  # noqa: E501
        try:
            result = self.execute(
                "sale.order", "action_cancel", [order_id], context={"disable_cancel_warning": True}
            )
            if isinstance(result, dict) and result.get("res_model") == "sale.order.cancel":
                ctx = dict(result.get("context") or {})
                ctx.setdefault("default_order_id", order_id)
                wizard = self.execute(
                    "sale.order.cancel", "create", vals_list=[{"order_id": order_id}], context=ctx
                )
                wid = wizard[0] if isinstance(wizard, list) else wizard
                self.execute("sale.order.cancel", "action_cancel", [wid], context=ctx)
        except BusinessRuleError as exc:
            if exc.code in ("odoo_user_error", "odoo_validation"):
                raise _refused(exc, "order_cancel_refused", order_id) from None
            raise

    def update_order(self, order_id: int, update: OrderUpdate) -> None:
        """1 call: one ``write`` with the header fields and line commands."""
        vals: dict[str, Any] = {}
        for fname in (
            "partner_invoice_id",
            "partner_shipping_id",
            "note",
            "client_order_ref",
            "origin",
            "carrier_id",
            "date_order",
        ):
            value = getattr(update, fname)
            if value is not None:
                vals[fname] = value
        commands: list[Any] = []
        for line in update.add_lines:
            commands.append((0, 0, self._line_vals(line)))
        for line_id in sorted({*update.set_quantities, *update.set_prices}):
            line_vals: dict[str, Any] = {}
            if line_id in update.set_quantities:
                line_vals["product_uom_qty"] = _num(update.set_quantities[line_id])
            if line_id in update.set_prices:
                line_vals["price_unit"] = _num(update.set_prices[line_id])
            commands.append((1, line_id, line_vals))
        for line_id in update.remove_line_ids:
            commands.append((2, line_id, 0))
        if commands:
            vals["order_line"] = commands
        if not vals:
            return
        try:
            self.execute("sale.order", "write", [order_id], vals=vals)
        except BusinessRuleError as exc:
            if exc.code == "odoo_user_error":
                raise _refused(exc, "order_update_refused", order_id) from None
            raise

    def read_order(self, order_id: int, *, with_lines: bool = True) -> OrderInfo | None:
        """1 call, 2 with lines."""
        rows = self.execute(
            "sale.order",
            "read",
            [order_id],
            fields=[
                "name",
                "state",
                "locked",
                "client_order_ref",
                "origin",
                "partner_id",
                "partner_invoice_id",
                "partner_shipping_id",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "currency_id",
                "picking_ids",
                "invoice_ids",
                "note",
                "date_order",
            ],
        )
        if not rows:
            return None
        r = rows[0]
        lines: list[OrderLineInfo] = []
        if with_lines:
            tax_f = self._sol_tax_field()
            lrows = self.execute(
                "sale.order.line",
                "search_read",
                domain=[("order_id", "=", order_id)],
                fields=[
                    "product_id",
                    "name",
                    "product_uom_qty",
                    "price_unit",
                    "discount",
                    tax_f,
                    "qty_delivered",
                    "price_subtotal",
                    "price_total",
                    "display_type",
                ],
            )
            lines = [
                OrderLineInfo(
                    id=int(lr["id"]),
                    product_id=_m2o_id(lr.get("product_id")),
                    sku=_sku_from_display(_m2o_name(lr.get("product_id"))),
                    name=_str(lr.get("name")),
                    quantity=_dec(lr.get("product_uom_qty")),
                    price_unit=_dec(lr.get("price_unit")),
                    discount=_dec(lr.get("discount")),
                    tax_ids=list(lr.get(tax_f) or []),
                    qty_delivered=_dec(lr.get("qty_delivered")),
                    price_subtotal=_dec(lr.get("price_subtotal")),
                    price_total=_dec(lr.get("price_total")),
                    display_type=_str(lr.get("display_type")),
                )
                for lr in lrows
            ]
        return OrderInfo(
            id=int(r["id"]),
            name=_str(r.get("name")),
            state=_str(r.get("state")),
            locked=bool(r.get("locked")),
            client_order_ref=_str(r.get("client_order_ref")),
            origin=_str(r.get("origin")),
            partner_id=_m2o_id(r.get("partner_id")),
            partner_invoice_id=_m2o_id(r.get("partner_invoice_id")),
            partner_shipping_id=_m2o_id(r.get("partner_shipping_id")),
            amount_untaxed=_dec(r.get("amount_untaxed")),
            amount_tax=_dec(r.get("amount_tax")),
            amount_total=_dec(r.get("amount_total")),
            currency=_m2o_name(r.get("currency_id")),
            picking_ids=list(r.get("picking_ids") or []),
            note=_str(r.get("note")),
            date_order=_str(r.get("date_order")),
            lines=lines,
            invoice_ids=list(r.get("invoice_ids") or []),
        )

    # -- pickings --------------------------------------------------------------------------------

    def order_pickings(self, order_id: int) -> list[PickingInfo]:
        """2 calls: the pickings of the order, then all their moves."""
        picks = self.execute(
            "stock.picking",
            "search_read",
            domain=[("sale_id", "=", order_id)],
            fields=[
                "name",
                "origin",
                "state",
                "carrier_id",
                "carrier_tracking_ref",
                "date_done",
                "backorder_id",
                "location_id",
                "location_dest_id",
                "return_id",
                "picking_type_id",
            ],
            order="id asc",
        )
        if not picks:
            return []
        by_pick = self.picking_moves([int(p["id"]) for p in picks])
        return [
            PickingInfo(
                id=int(p["id"]),
                name=_str(p.get("name")),
                origin=_str(p.get("origin")),
                state=_str(p.get("state")),
                carrier=_m2o_name(p.get("carrier_id")),
                tracking_ref=_str(p.get("carrier_tracking_ref")),
                date_done=_str(p.get("date_done")),
                backorder_of=_m2o_id(p.get("backorder_id")),
                location_id=_m2o_id(p.get("location_id")),
                moves=by_pick.get(int(p["id"]), []),
                return_of=_m2o_id(p.get("return_id")),
                location_dest_id=_m2o_id(p.get("location_dest_id")),
            )
            for p in picks
        ]

    def picking_moves(self, picking_ids: Sequence[int]) -> dict[int, list[MoveInfo]]:
        """1 call: the moves of these pickings (done or not), by picking id, oldest first."""
        if not picking_ids:
            return {}
        qty_f = self._move_qty_field()
        moves = self.execute(
            "stock.move",
            "search_read",
            domain=[("picking_id", "in", list(picking_ids))],
            fields=["picking_id", "product_id", "product_uom_qty", qty_f, "state", "sale_line_id"],
            order="id asc",
        )
        by_pick: dict[int, list[MoveInfo]] = {int(p): [] for p in picking_ids}
        for m in moves:
            pname = _m2o_name(m.get("product_id"))
            by_pick.setdefault(_m2o_id(m.get("picking_id")) or 0, []).append(
                MoveInfo(
                    id=int(m["id"]),
                    product_id=_m2o_id(m.get("product_id")),
                    sku=_sku_from_display(pname),
                    product_name=pname,
                    demand=_dec(m.get("product_uom_qty")),
                    quantity=_dec(m.get(qty_f)),
                    state=_str(m.get("state")),
                    sale_line_id=_m2o_id(m.get("sale_line_id")),
                )
            )
        return by_pick

    def set_picking_tracking(self, picking_id: int, tracking_ref: str) -> None:
        """1 call: the carrier's tracking reference of a transfer (done or not)."""
        self.execute("stock.picking", "write", [picking_id], vals={"carrier_tracking_ref": tracking_ref})

    # -- stock -----------------------------------------------------------------------------------

    def products_matching(
        self, *, codes: Iterable[str], barcodes: Iterable[str], batch: int = 200
    ) -> list[dict[str, Any]]:
        """Every product (not only the first) whose internal reference or barcode is one of these: one call
        per ``batch`` of each. Rows: id, default_code, barcode, name."""
        found: dict[int, dict[str, Any]] = {}
        for field_name, values in (
            ("default_code", sorted(set(codes) - {""})),
            ("barcode", sorted(set(barcodes) - {""})),
        ):
            for start in range(0, len(values), batch):
                rows = self.execute(
                    "product.product",
                    "search_read",
                    domain=[(field_name, "in", values[start : start + batch])],
                    fields=["default_code", "barcode", "display_name"],
                    order="id asc",
                )
                for r in rows:
                    found[int(r["id"])] = {
                        "id": int(r["id"]),
                        "default_code": _str(r.get("default_code")),
                        "barcode": _str(r.get("barcode")),
                        "name": _str(r.get("display_name")),
                    }
        return [found[k] for k in sorted(found)]

    def sellable_product_codes(self, *, page: int = 1000) -> list[dict[str, Any]]:
        """The internal references of every product that can be sold, a page per call."""
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            rows = self.execute(
                "product.product",
                "search_read",
                domain=[("sale_ok", "=", True), ("default_code", "!=", False)],
                fields=["default_code", "display_name"],
                order="id asc",
                limit=page,
                offset=offset,
            )
            out += [
                {
                    "id": int(r["id"]),
                    "default_code": _str(r.get("default_code")),
                    "barcode": "",
                    "name": _str(r.get("display_name")),
                }
                for r in rows
            ]
            if len(rows) < page:
                return out
            offset += page

    def stock_locations(self) -> list[LocationInfo]:
        """1 call: internal locations with their full names (``WH/Stock``)."""
        rows = self.execute(
            "stock.location",
            "search_read",
            domain=[("usage", "=", "internal")],
            fields=["complete_name", "name", "location_id"],
            order="id asc",
        )
        return [
            LocationInfo(
                id=int(r["id"]),
                complete_name=_str(r.get("complete_name")),
                name=_str(r.get("name")),
                parent_id=_m2o_id(r.get("location_id")),
            )
            for r in rows
        ]

    def read_catalogue_product(self, template_id: int) -> CatalogueProduct | None:
        """3 calls: a template (archived too), its variants and their attribute values."""
        both = ("active", "in", [True, False])
        rows = self.execute(
            "product.template",
            "search_read",
            domain=[("id", "=", template_id), both],
            fields=["name", "description_sale", "active"],
        )
        if not rows:
            return None
        t = rows[0]
        variants = self.execute(
            "product.product",
            "search_read",
            domain=[("product_tmpl_id", "=", template_id), both],
            fields=["default_code", "barcode", "lst_price", "active", "product_template_attribute_value_ids"],
            order="id asc",
        )
        ptav_ids = sorted({i for v in variants for i in v.get("product_template_attribute_value_ids") or []})
        values: dict[int, tuple[str, str]] = {}
        if ptav_ids:
            for r in self.execute(
                "product.template.attribute.value",
                "read",
                ptav_ids,
                fields=["attribute_id", "name"],
            ):
                values[int(r["id"])] = (_m2o_name(r.get("attribute_id")), _str(r.get("name")))
        return CatalogueProduct(
            id=int(t["id"]),
            name=_str(t.get("name")),
            description=_str(t.get("description_sale")),
            active=bool(t.get("active", True)),
            variants=tuple(
                CatalogueVariant(
                    id=int(v["id"]),
                    sku=_str(v.get("default_code")),
                    barcode=_str(v.get("barcode")),
                    price=_dec(v.get("lst_price")),
                    active=bool(v.get("active", True)),
                    options=tuple(
                        values[i]
                        for i in sorted(v.get("product_template_attribute_value_ids") or [])
                        if i in values
                    ),
                )
                for v in variants
            ),
        )

    def pricelist_currency(self, pricelist_id: int) -> str | None:
        """1 call: the ISO code of a pricelist's currency (archived pricelists too); None when Odoo has no
        such pricelist."""
        rows = self.execute(
            "product.pricelist",
            "search_read",
            domain=[("id", "=", pricelist_id)],
            fields=["currency_id"],
            context={"active_test": False},
        )
        return (_m2o_name(rows[0].get("currency_id")) or None) if rows else None

    def currency_id(self, code: str) -> int | None:
        """``res.currency`` id of an ISO code (1 call, then cached per client); None when Odoo has none."""
        key = code.upper()
        if key not in self._currencies:
            ids = self.execute("res.currency", "search", domain=[("name", "=", key)], limit=1)
            self._currencies[key] = int(ids[0]) if ids else None
        return self._currencies[key]

    def pricelist_fixed_prices(
        self, pricelist_id: int, template_id: int, variant_ids: Sequence[int]
    ) -> dict[int, Decimal]:
        """1 call: fixed prices of a pricelist for a template's variants (a variant rule wins over the
        template's). Variants without one are absent (they sell at their list price)."""
        rows = self.execute(
            "product.pricelist.item",
            "search_read",
            domain=[
                ("pricelist_id", "=", pricelist_id),
                ("compute_price", "=", "fixed"),
                "|",
                ("product_tmpl_id", "=", template_id),
                ("product_id", "in", list(variant_ids)),
            ],
            fields=["applied_on", "product_id", "product_tmpl_id", "fixed_price"],
        )
        template_price = next(
            (_dec(r["fixed_price"]) for r in rows if r.get("applied_on") == "1_product"), None
        )
        out = {vid: template_price for vid in variant_ids} if template_price is not None else {}
        for r in rows:
            if r.get("applied_on") == "0_product_variant" and _m2o_id(r.get("product_id")) in variant_ids:
                out[int(_m2o_id(r.get("product_id")) or 0)] = _dec(r["fixed_price"])
        return out

    def stock_location_parents(self, location_ids: Sequence[int]) -> dict[int, int | None]:
        """1 call: every location at or under ``location_ids`` with its parent's id (to find which mapped
        location a quant's location belongs to: its nearest mapped ancestor)."""
        if not location_ids:
            return {}
        rows = self.execute(
            "stock.location",
            "search_read",
            domain=[("id", "child_of", list(location_ids))],
            fields=["location_id"],
        )
        return {int(r["id"]): _m2o_id(r.get("location_id")) for r in rows}

    def stock_quants(self, product_ids: Sequence[int], location_ids: Sequence[int]) -> list[QuantInfo]:
        """1 call: the quants of ``product_ids`` at ``location_ids`` and their children."""
        if not product_ids or not location_ids:
            return []
        rows = self.execute(
            "stock.quant",
            "search_read",
            domain=[("product_id", "in", list(product_ids)), ("location_id", "child_of", list(location_ids))],
            fields=["product_id", "location_id", "quantity", "reserved_quantity"],
        )
        return [
            QuantInfo(
                id=int(r["id"]),
                product_id=_m2o_id(r.get("product_id")) or 0,
                location_id=_m2o_id(r.get("location_id")) or 0,
                quantity=_dec(r.get("quantity")),
                reserved=_dec(r.get("reserved_quantity")),
            )
            for r in rows
        ]

    def stock_changes(
        self, since: StockCursor | None = None, *, location_ids: Sequence[int] | None = None, limit: int = 500
    ) -> StockPage:
        """1 call: quants in internal locations written since the cursor, oldest first.

        Odoo 19 compares ``write_date`` to the whole second and 18 keeps microseconds (API-NOTES I), so we
        ask for ``write_date >= cursor`` and drop what the cursor already delivered (same second, same id,
        same quantities). A quant changed twice within one second is delivered again only if its
        quantities differ, which is harmless for an "available to sell" sync.
        """
        cursor = since or StockCursor()
        domain: list[Any] = [("location_id.usage", "=", "internal")]
        if location_ids:
            domain.append(("location_id", "child_of", list(location_ids)))
        if cursor.write_date:
            domain.append(("write_date", ">=", cursor.write_date))
        seen_at_cursor = dict(cursor.seen)
        offset = 0
        rows = self.execute(
            "stock.quant",
            "search_read",
            domain=domain,
            fields=[
                "product_id",
                "location_id",
                "quantity",
                "reserved_quantity",
                "available_quantity",
                "write_date",
            ],
            order="write_date asc, id asc",
            limit=limit,
            offset=offset,
        )
        levels: list[StockLevel] = []
        new_write_date = cursor.write_date
        boundary: dict[int, str] = dict(seen_at_cursor)
        for r in rows:
            wd = _str(r.get("write_date"))
            fp = f"{r.get('quantity')}:{r.get('reserved_quantity')}"
            qid = int(r["id"])
            if wd == cursor.write_date and seen_at_cursor.get(qid) == fp:
                continue
            pname = _m2o_name(r.get("product_id"))
            levels.append(
                StockLevel(
                    quant_id=qid,
                    product_id=_m2o_id(r.get("product_id")) or 0,
                    sku=_sku_from_display(pname),
                    location_id=_m2o_id(r.get("location_id")) or 0,
                    location=_m2o_name(r.get("location_id")),
                    quantity=_dec(r.get("quantity")),
                    reserved=_dec(r.get("reserved_quantity")),
                    available=_dec(r.get("available_quantity")),
                    write_date=wd,
                )
            )
            if wd > new_write_date:
                new_write_date = wd
                boundary = {}
            if wd == new_write_date:
                boundary[qid] = fp
        next_cursor = StockCursor(write_date=new_write_date, seen=tuple(sorted(boundary.items())))
        return StockPage(levels=levels, cursor=next_cursor, has_more=len(rows) >= limit)

    # -- change polling (outbound flows follow Odoo's changes; sync/engine/changes.py) ----------------

    def read_changes(
        self,
        model: str,
        *,
        fields: Sequence[str],
        domain: Sequence[Any] = (),
        since: str = "",
        after_id: int = 0,
        limit: int = 500,
        context: dict[str, Any] | None = None,
    ) -> list[ChangedRecord]:
        """1 call: records of ``model`` matching ``domain`` written at or after ``since`` (Odoo's UTC text,
        ``YYYY-MM-DD HH:MM:SS``), oldest first by (write_date, id); with ``after_id`` only ids above it.

        Only ``>=`` is used on ``write_date``: Odoo 19 stores whole seconds, 18 keeps microseconds but answers
        to the second (API-NOTES I), so ``=`` and ``>`` do not mean the same on both. The caller de-duplicates
        what the inclusive bound reads twice."""
        dom: list[Any] = list(domain)
        if since:
            dom.append(("write_date", ">=", since))
        if after_id:
            dom.append(("id", ">", after_id))
        params: dict[str, Any] = {}
        if context:
            params["context"] = context
        rows = self.execute(
            model,
            "search_read",
            domain=dom,
            fields=[*fields, "write_date"],
            order="write_date asc, id asc",
            limit=limit,
            **params,
        )
        return [
            ChangedRecord(
                id=int(r["id"]),
                write_date=_str(r.get("write_date"))[:19],
                values={f: r.get(f) for f in fields},
            )
            for r in rows
        ]

    def newest_write_date(
        self, model: str, *, domain: Sequence[Any] = (), context: dict[str, Any] | None = None
    ) -> str:
        """1 call: the newest ``write_date`` of ``model``'s records matching ``domain`` ("" if none): where
        a stream that starts "from now" begins."""
        params: dict[str, Any] = {"context": context} if context else {}
        rows = self.execute(
            model,
            "search_read",
            domain=list(domain),
            fields=["write_date"],
            order="write_date desc, id desc",
            limit=1,
            **params,
        )
        return _str(rows[0].get("write_date"))[:19] if rows else ""

    # -- accounting ------------------------------------------------------------------------------

    def bank_statement_lines(self, *, amount: Decimal, date_from: str, date_to: str) -> list[StatementLine]:
        """1 call: bank statement lines of exactly ``amount`` dated in [date_from, date_to] (YYYY-MM-DD)."""
        rows = self.execute(
            "account.bank.statement.line",
            "search_read",
            domain=[("amount", "=", _num(amount)), ("date", ">=", date_from), ("date", "<=", date_to)],
            fields=["date", "amount", "payment_ref", "journal_id", "is_reconciled"],
            order="date asc, id asc",
            limit=50,
        )
        return [
            StatementLine(
                id=int(r["id"]),
                date=_str(r.get("date")),
                amount=_dec(r.get("amount")),
                payment_ref=_str(r.get("payment_ref")),
                journal=_m2o_name(r.get("journal_id")),
                is_reconciled=bool(r.get("is_reconciled")),
            )
            for r in rows
        ]

    def find_journal_entry(self, ref: str) -> JournalEntryRef | None:
        """1 call: the entry (``move_type`` "entry") whose ``ref`` is ``ref``, if any."""
        rows = self.execute(
            "account.move",
            "search_read",
            domain=[("move_type", "=", "entry"), ("ref", "=", ref)],
            fields=["name", "state", "amount_total"],
            order="id asc",
            limit=1,
        )
        if not rows:
            return None
        r = rows[0]
        return JournalEntryRef(
            int(r["id"]), _str(r.get("name")), _str(r.get("state")), False, _dec(r.get("amount_total"))
        )

    def journal_entry_lines(self, move_id: int) -> list[JournalLine]:
        """1 call: what Odoo booked on a journal entry, each line's account, label, debit and credit."""
        rows = self.execute(
            "account.move.line",
            "search_read",
            domain=[("move_id", "=", move_id)],
            fields=["account_id", "name", "debit", "credit"],
            order="id asc",
        )
        return [
            JournalLine(
                _m2o_id(r.get("account_id")) or 0,
                _str(r.get("name")),
                debit=_dec(r.get("debit")),
                credit=_dec(r.get("credit")),
            )
            for r in rows
        ]

    def post_journal_entry(self, entry: JournalEntryInput) -> JournalEntryRef:
        """3 calls: look up by ``ref`` (the idempotency key), create the entry with its lines, post it. A
        retry after a lost answer finds the entry (and posts it if it is still a draft); Odoo refuses an
        entry whose debits and credits differ (a business error: nothing is posted)."""
        found = self.find_journal_entry(entry.ref)
        if found is not None:
            if found.state == "draft":
                self.execute("account.move", "action_post", [found.id])
                return dataclasses.replace(found, state="posted")
            return found
        vals: dict[str, Any] = {
            "move_type": "entry",
            "ref": entry.ref,
            "journal_id": entry.journal_id,
            "date": entry.date,
            "line_ids": [
                (
                    0,
                    0,
                    {
                        "account_id": line.account_id,
                        "name": line.name,
                        "debit": _num(line.debit),
                        "credit": _num(line.credit),
                    },
                )
                for line in entry.lines
            ],
        }
        if entry.currency_id:
            vals["currency_id"] = entry.currency_id
        result = self.execute("account.move", "create", vals_list=[vals])
        move_id = int(result[0] if isinstance(result, list) else result)
        self.execute("account.move", "action_post", [move_id])
        total = sum((line.debit for line in entry.lines), Decimal("0"))
        return JournalEntryRef(move_id, "", "posted", True, total)

    def create_credit_note(self, note: CreditNoteInput, *, post: bool = True) -> InvoiceInfo:
        """3 calls: look up by ``ref`` (the idempotency key), create ``out_refund``, ``action_post``.

        A retry after a lost answer finds the credit note (and posts it if it is still a draft).
        """
        rows = self._moves([("move_type", "=", "out_refund"), ("ref", "=", note.ref)], limit=1)
        if rows:
            move = rows[0]
        else:
            lines = []
            for line in note.lines:
                vals: dict[str, Any] = {"quantity": _num(line.quantity), "price_unit": _num(line.price_unit)}
                if line.product_id:
                    vals["product_id"] = line.product_id
                if line.name:
                    vals["name"] = line.name
                if line.tax_ids is not None:
                    vals["tax_ids"] = [(6, 0, list(line.tax_ids))]
                lines.append((0, 0, vals))
            vals = {
                "move_type": "out_refund",
                "partner_id": note.partner_id,
                "ref": note.ref,
                "invoice_line_ids": lines,
            }
            if note.invoice_origin:
                vals["invoice_origin"] = note.invoice_origin
            if note.invoice_date:
                vals["invoice_date"] = note.invoice_date
            if note.journal_id:
                vals["journal_id"] = note.journal_id
            result = self.execute("account.move", "create", vals_list=[vals])
            mid = result[0] if isinstance(result, list) else result
            move = InvoiceInfo(
                id=int(mid),
                name="",
                move_type="out_refund",
                state="draft",
                payment_state="not_paid",
                amount_total=Decimal("0"),
                amount_residual=Decimal("0"),
                currency="",
                invoice_origin=note.invoice_origin or "",
                ref=note.ref,
                partner_id=note.partner_id,
            )
        if post and move.state == "draft":
            self.execute("account.move", "action_post", [move.id])  # returns False on success (API-NOTES I)
            again = self._moves([("id", "=", move.id)], limit=1)
            if again:
                move = again[0]
        return move

    def _moves(self, domain: list[Any], limit: int | None = None) -> list[InvoiceInfo]:
        rows = self.execute(
            "account.move",
            "search_read",
            domain=domain,
            fields=[
                "name",
                "move_type",
                "state",
                "payment_state",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "amount_residual",
                "currency_id",
                "invoice_origin",
                "ref",
                "partner_id",
                "reversed_entry_id",
                *(["matched_payment_ids"] if self.version[0] >= 18 else []),
            ],
            order="id asc",
            limit=limit,
        )
        return [
            InvoiceInfo(
                id=int(r["id"]),
                name=_str(r.get("name")),
                move_type=_str(r.get("move_type")),
                state=_str(r.get("state")),
                payment_state=_str(r.get("payment_state")),
                amount_total=_dec(r.get("amount_total")),
                amount_residual=_dec(r.get("amount_residual")),
                currency=_m2o_name(r.get("currency_id")),
                invoice_origin=_str(r.get("invoice_origin")),
                ref=_str(r.get("ref")),
                partner_id=_m2o_id(r.get("partner_id")),
                amount_untaxed=_dec(r.get("amount_untaxed")),
                amount_tax=_dec(r.get("amount_tax")),
                reversed_entry_id=_m2o_id(r.get("reversed_entry_id")),
                matched_payment_ids=tuple(r.get("matched_payment_ids") or ()),
            )
            for r in rows
        ]

    def invoices_for_order(self, order_name: str) -> list[InvoiceInfo]:
        """1 call: customer invoices and credit notes whose origin is the order."""
        return self._moves(
            [("invoice_origin", "=", order_name), ("move_type", "in", ["out_invoice", "out_refund"])]
        )

    def credit_note_by_ref(self, ref: str) -> InvoiceInfo | None:
        rows = self._moves([("move_type", "=", "out_refund"), ("ref", "=", ref)], limit=1)
        return rows[0] if rows else None

    def payments_for_reference(self, reference: str) -> list[PaymentInfo]:
        """1 call: payments whose memo (18+) / ref (17) mentions the reference (e.g. the order name)."""
        return self._payments([(self._payment_ref_field(), "ilike", reference)])

    def _payments(self, domain: list[Any]) -> list[PaymentInfo]:
        ref_f = self._payment_ref_field()
        rows = self.execute(
            "account.payment",
            "search_read",
            domain=domain,
            fields=[
                "name",
                "amount",
                "state",
                "date",
                "journal_id",
                "partner_id",
                "payment_type",
                "currency_id",
                ref_f,
                "is_reconciled",
                "is_matched",
                "reconciled_invoice_ids",
            ],
            order="id asc",
        )
        return [
            PaymentInfo(
                id=int(r["id"]),
                name=_str(r.get("name")),
                amount=_dec(r.get("amount")),
                state=_str(r.get("state")),
                date=_str(r.get("date")),
                journal=_m2o_name(r.get("journal_id")),
                partner_id=_m2o_id(r.get("partner_id")),
                payment_type=_str(r.get("payment_type")),
                currency=_m2o_name(r.get("currency_id")),
                memo=_str(r.get(ref_f)),
                is_reconciled=bool(r.get("is_reconciled")),
                is_matched=bool(r.get("is_matched")),
                invoice_ids=tuple(r.get("reconciled_invoice_ids") or ()),
            )
            for r in rows
        ]

    # -- order to cash: invoices, payments, credit notes, returns, deliveries -----------------------

    def read_invoice(self, invoice_id: int) -> InvoiceInfo | None:
        """1 call: an invoice or credit note with its totals, ``payment_state`` and residual."""
        rows = self._moves([("id", "=", invoice_id)], limit=1)
        return rows[0] if rows else None

    def invoice_order(self, order_id: int, *, post: bool = True) -> InvoiceInfo:
        """4 calls: ``sale.advance.payment.inv`` (a regular invoice: what the products' invoicing policy says
        is to invoice, ordered or delivered quantities), ``create_invoices``, ``action_post`` on the draft it
        made, read back (3 with ``post=False``).

        An order with nothing left to invoice answers its latest customer invoice instead (so a retry after a
        lost answer does not fail); with no invoice at all it is a BusinessRuleError(order_invoice_refused).
        """
        ctx = {"active_model": "sale.order", "active_ids": [order_id], "active_id": order_id}
        try:
            created = self.execute(
                "sale.advance.payment.inv",
                "create",
                vals_list=[{"advance_payment_method": "delivered"}],
                context=ctx,
            )
            wizard = _first_id(created, "sale.advance.payment.inv.create")
            action = self.execute("sale.advance.payment.inv", "create_invoices", [wizard], context=ctx)
        except BusinessRuleError as exc:
            if exc.code != "odoo_user_error":
                raise
            existing = self._order_invoices(order_id)
            if not existing:
                raise _refused(exc, "order_invoice_refused", order_id) from None
            move = existing[-1]
        else:
            ids = _ids_from_action(action)
            if len(ids) != 1:
                raise ContractError(f"create_invoices answered {action!r}", system=SYSTEM)
            if post:
                # The wizard's invoice is a draft: posted straight away and read back once, posted.
                self.execute("account.move", "action_post", [ids[0]])  # answers False (API-NOTES I)
            found = self.read_invoice(ids[0])
            if found is None:
                raise ContractError(f"the invoice {ids[0]} Odoo made cannot be read", system=SYSTEM)
            return found
        if post and move.state == "draft":
            self.execute("account.move", "action_post", [move.id])  # answers False (API-NOTES I)
            again = self.read_invoice(move.id)
            if again is not None:
                move = again
        return move

    def _order_invoices(self, order_id: int) -> list[InvoiceInfo]:
        rows = self.execute("sale.order", "read", [order_id], fields=["invoice_ids"])
        ids = list(rows[0].get("invoice_ids") or []) if rows else []
        if not ids:
            return []
        return [
            m
            for m in self._moves([("id", "in", ids), ("move_type", "=", "out_invoice")])
            if m.state != "cancel"
        ]

    def register_payment(self, payment: PaymentInput, *, look_up: bool = True) -> PaymentInfo:
        """4 calls (5 with a currency, the first time): look up by memo (the idempotency key),
        ``account.payment.register`` on the invoice,
        ``action_create_payments``, read the payment back. The memo lands in ``memo`` (18+) / ``ref`` (17).

        ``look_up=False`` skips the look-up (3 calls): for a caller that knows no earlier attempt can have
        registered this memo (it records its intent before every registration, sync/flows/cash.py).

        Refusals (a draft invoice, nothing left to pay) are a BusinessRuleError(payment_refused).
        """
        if look_up:
            existing = self._payments([(self._payment_ref_field(), "=", payment.memo)])
            if existing:
                return existing[0]
        ctx = {"active_model": "account.move", "active_ids": [payment.invoice_id]}
        vals: dict[str, Any] = {"communication": payment.memo}
        if payment.currency:
            # The wizard's default currency is the journal's own when it has one, else the invoice's: an
            # amount in the invoice's currency is registered in that currency, whatever the journal.
            currency_id = self.currency_id(payment.currency)
            if currency_id is None:
                raise BusinessRuleError(
                    f"Odoo has no currency {payment.currency} to register a payment in",
                    code="unknown_currency",
                    key=payment.currency,
                    system=SYSTEM,
                    details={"invoice_id": payment.invoice_id, "currency": payment.currency},
                )
            vals["currency_id"] = currency_id
        optional = {
            "amount": _num(payment.amount) if payment.amount is not None else None,
            "journal_id": payment.journal_id,
            "payment_date": payment.payment_date,
            "payment_method_line_id": payment.payment_method_line_id,
        }
        vals.update({k: v for k, v in optional.items() if v is not None})
        try:
            created = self.execute("account.payment.register", "create", vals_list=[vals], context=ctx)
            wizard = _first_id(created, "account.payment.register.create")
            action = self.execute("account.payment.register", "action_create_payments", [wizard], context=ctx)
        except BusinessRuleError as exc:
            if exc.code in ("odoo_user_error", "odoo_validation"):
                raise _refused(exc, "payment_refused", payment.invoice_id, record="account.move") from None
            raise
        ids = _ids_from_action(action)
        rows = self._payments([("id", "in", ids)]) if ids else []
        if len(rows) != 1:
            raise ContractError(f"action_create_payments answered {action!r}", system=SYSTEM)
        return rows[0]

    def pay_out(self, payout: PayoutInput) -> PaymentInfo:
        """7 calls: look up by memo (the idempotency key), create an outbound customer ``account.payment``,
        ``action_post``, read it, find the open receivable lines of it and of the payments in ``against``
        (lines, then their accounts' types), reconcile them (``account.move.line.reconcile``), read back.

        For money a customer got back without a credit note (Shopify refunded before Odoo invoiced, and the
        order was reduced instead): the sales overpaid the smaller invoice and left a credit on the
        customer's receivable, which this payment settles. A retry finds the payment by its memo and only
        reconciles what is still open. Refusals are a BusinessRuleError(payment_refused). With
        ``payment_type="inbound"``: money the customer paid that no invoice has left to take (a sale after
        the smaller invoice was paid), booked as the customer's credit for a payout to settle.
        """
        ref_f = self._payment_ref_field()
        existing = self._payments([(ref_f, "=", payout.memo)])
        try:
            if existing:
                payment = existing[0]
            else:
                vals: dict[str, Any] = {
                    "payment_type": payout.payment_type,
                    "partner_type": "customer",
                    "partner_id": payout.partner_id,
                    "amount": _num(payout.amount),
                    "journal_id": payout.journal_id,
                    ref_f: payout.memo,
                }
                if payout.payment_date:
                    vals["date"] = payout.payment_date
                if payout.currency:
                    currency_id = self.currency_id(payout.currency)
                    if currency_id is None:
                        raise BusinessRuleError(
                            f"Odoo has no currency {payout.currency} to pay out in",
                            code="unknown_currency",
                            key=payout.currency,
                            system=SYSTEM,
                            details={"memo": payout.memo, "currency": payout.currency},
                        )
                    vals["currency_id"] = currency_id
                created = self.execute("account.payment", "create", vals_list=[vals])
                pid = _first_id(created, "account.payment.create")
                self.execute("account.payment", "action_post", [pid])
                found = self._payments([("id", "=", pid)])
                if not found:
                    raise ContractError(f"the payment {pid} Odoo made cannot be read", system=SYSTEM)
                payment = found[0]
            if not payment.is_reconciled and payout.against:
                lines = self.execute(
                    "account.move.line",
                    "search_read",
                    domain=[
                        ("payment_id", "in", [payment.id, *payout.against]),
                        ("reconciled", "=", False),
                        ("parent_state", "=", "posted"),
                    ],
                    fields=["account_id"],
                )
                accounts = sorted({a for r in lines if (a := _m2o_id(r.get("account_id")))})
                receivable = {
                    int(r["id"])
                    for r in self.execute("account.account", "read", accounts, fields=["account_type"])
                    if r.get("account_type") == "asset_receivable"
                }
                ids = [int(r["id"]) for r in lines if _m2o_id(r.get("account_id")) in receivable]
                if len(ids) > 1:
                    self.execute("account.move.line", "reconcile", ids)
                again = self._payments([("id", "=", payment.id)])
                payment = again[0] if again else payment
        except BusinessRuleError as exc:
            if exc.code in ("odoo_user_error", "odoo_validation"):
                raise _refused(exc, "payment_refused", payout.partner_id, record="res.partner") from None
            raise
        return payment

    def credit_notes_of(self, invoice_id: int) -> list[InvoiceInfo]:
        """1 call: the credit notes reversing the invoice (``reversed_entry_id``), in any state."""
        return self._moves([("reversed_entry_id", "=", invoice_id), ("move_type", "=", "out_refund")])

    def reverse_invoice(self, reversal: ReversalInput) -> InvoiceInfo:
        """5 calls: look up the credit note by its reason, ``account.move.reversal`` on the invoice,
        ``refund_moves`` (a draft credit note), ``action_post``, read back.

        Odoo writes the reason into the credit note's ref (``Reversal of: INV/2026/00001, <reason>``), which
        is how a retry finds it. Refusals are a BusinessRuleError(reversal_refused).
        """
        found = [
            m
            for m in self._moves([("reversed_entry_id", "=", reversal.invoice_id)])
            if m.ref.endswith(f", {reversal.reason}") and m.state != "cancel"
        ]
        if found:
            move = found[0]
        else:
            ctx = {"active_model": "account.move", "active_ids": [reversal.invoice_id]}
            vals: dict[str, Any] = {"reason": reversal.reason}
            if reversal.date:
                vals["date"] = reversal.date
            if reversal.journal_id:
                vals["journal_id"] = reversal.journal_id
            try:
                created = self.execute("account.move.reversal", "create", vals_list=[vals], context=ctx)
                wizard = _first_id(created, "account.move.reversal.create")
                action = self.execute("account.move.reversal", "refund_moves", [wizard], context=ctx)
            except BusinessRuleError as exc:
                if exc.code in ("odoo_user_error", "odoo_validation"):
                    raise _refused(
                        exc, "reversal_refused", reversal.invoice_id, record="account.move"
                    ) from None
                raise
            ids = _ids_from_action(action)
            credit = self.read_invoice(ids[0]) if len(ids) == 1 else None
            if credit is None:
                raise ContractError(f"refund_moves answered {action!r}", system=SYSTEM)
            move = credit
        if reversal.post and move.state == "draft":
            self.execute("account.move", "action_post", [move.id])
            again = self.read_invoice(move.id)
            if again is not None:
                move = again
        return move

    def move_lines(self, move_id: int) -> list[MoveLineInfo]:
        """1 call: the invoice lines of an invoice or credit note (products, sections and notes)."""
        rows = self.execute(
            "account.move.line",
            "search_read",
            domain=[
                ("move_id", "=", move_id),
                ("display_type", "in", ["product", "line_section", "line_note"]),
            ],
            fields=[
                "product_id",
                "name",
                "quantity",
                "price_unit",
                "tax_ids",
                "display_type",
                "price_subtotal",
                "price_total",
                "sale_line_ids",
            ],
            order="id asc",
        )
        return [
            MoveLineInfo(
                id=int(r["id"]),
                product_id=_m2o_id(r.get("product_id")),
                name=_str(r.get("name")),
                quantity=_dec(r.get("quantity")),
                price_unit=_dec(r.get("price_unit")),
                tax_ids=tuple(r.get("tax_ids") or ()),
                display_type=_str(r.get("display_type")),
                price_subtotal=_dec(r.get("price_subtotal")),
                price_total=_dec(r.get("price_total")),
                sale_line_ids=tuple(r.get("sale_line_ids") or ()),
            )
            for r in rows
        ]

    def edit_draft_move(self, move_id: int, edit: MoveLineEdit) -> InvoiceInfo:
        """2 calls: one ``write`` of ``invoice_line_ids`` commands on a draft invoice or credit note (Odoo
        recomputes its taxes and totals), then the totals read back. A posted move is refused by Odoo
        (BusinessRuleError(move_edit_refused))."""
        commands: list[Any] = []
        for line_id, (quantity, price_unit) in sorted(edit.keep.items()):
            commands.append((1, line_id, {"quantity": _num(quantity), "price_unit": _num(price_unit)}))
        commands.extend((2, line_id) for line_id in edit.remove)
        for line in edit.add:
            vals: dict[str, Any] = {"quantity": _num(line.quantity), "price_unit": _num(line.price_unit)}
            if line.product_id:
                vals["product_id"] = line.product_id
            if line.name:
                vals["name"] = line.name
            vals["tax_ids"] = [(6, 0, list(line.tax_ids or ()))]
            commands.append((0, 0, vals))
        if commands:
            try:
                self.execute("account.move", "write", [move_id], vals={"invoice_line_ids": commands})
            except BusinessRuleError as exc:
                if exc.code in ("odoo_user_error", "odoo_validation"):
                    raise _refused(exc, "move_edit_refused", move_id, record="account.move") from None
                raise
        found = self.read_invoice(move_id)
        if found is None:
            raise ContractError(f"account.move {move_id} cannot be read after its edit", system=SYSTEM)
        return found

    def post_move(self, move_id: int) -> InvoiceInfo:
        """2 calls: ``action_post`` (answers False, API-NOTES I), then the move read back. A move already
        posted is read only."""
        found = self.read_invoice(move_id)
        if found is None:
            raise ContractError(f"account.move {move_id} cannot be read", system=SYSTEM)
        if found.state != "draft":
            return found
        try:
            self.execute("account.move", "action_post", [move_id])
        except BusinessRuleError as exc:
            if exc.code in ("odoo_user_error", "odoo_validation"):
                raise _refused(exc, "move_post_refused", move_id, record="account.move") from None
            raise
        again = self.read_invoice(move_id)
        if again is None:
            raise ContractError(f"account.move {move_id} cannot be read after posting", system=SYSTEM)
        return again

    def return_picking(self, ret: ReturnInput) -> ReturnResult:
        """7 calls: read the delivery, look up the return by key, ``stock.return.picking`` with the quantities
        per product, create the return (``action_create_returns``; ``create_returns`` on 17), keep the key
        on its origin, read it back. Odoo proposes nothing to return on 18+ and everything on 17: every line
        gets the quantity asked for, zero when not named.
        """
        picks = self.execute("stock.picking", "read", [ret.picking_id], fields=["name", "state"])
        if not picks:
            raise BusinessRuleError(
                f"Odoo has no transfer {ret.picking_id}",
                code="return_refused",
                system=SYSTEM,
                details={"odoo_record": "stock.picking", "odoo_id": ret.picking_id},
            )
        origin = f"Return of {_str(picks[0].get('name'))} [{ret.key}]"
        existing = self.execute(
            "stock.picking",
            "search_read",
            domain=[("origin", "=", origin)],
            fields=["name", "state"],
            limit=1,
        )
        if existing:
            r = existing[0]
            return ReturnResult(
                picking_id=int(r["id"]), name=_str(r.get("name")), state=_str(r.get("state")), created=False
            )
        ctx = {"active_model": "stock.picking", "active_id": ret.picking_id, "active_ids": [ret.picking_id]}
        method = "action_create_returns" if self.version[0] >= 18 else "create_returns"
        try:
            created = self.execute(
                "stock.return.picking", "create", vals_list=[{"picking_id": ret.picking_id}], context=ctx
            )
            wizard = _first_id(created, "stock.return.picking.create")
            lines = self.execute(
                "stock.return.picking.line",
                "search_read",
                domain=[("wizard_id", "=", wizard)],
                fields=["product_id"],
            )
            left = dict(ret.quantities)
            commands = []
            for line in lines:
                product = _m2o_id(line.get("product_id"))
                qty = left.pop(product, Decimal("0")) if product is not None else Decimal("0")
                commands.append((1, int(line["id"]), {"quantity": _num(qty)}))
            if left:
                raise BusinessRuleError(
                    f"Transfer {ret.picking_id} delivered none of product(s) {sorted(left)}",
                    code="return_refused",
                    system=SYSTEM,
                    details={"odoo_record": "stock.picking", "odoo_id": ret.picking_id},
                )
            self.execute("stock.return.picking", "write", [wizard], vals={"product_return_moves": commands})
            action = self.execute("stock.return.picking", method, [wizard], context=ctx)
        except BusinessRuleError as exc:
            if exc.code in ("odoo_user_error", "odoo_validation"):
                raise _refused(exc, "return_refused", ret.picking_id, record="stock.picking") from None
            raise
        ids = _ids_from_action(action)
        if len(ids) != 1:
            raise ContractError(f"{method} answered {action!r}", system=SYSTEM)
        self.execute("stock.picking", "write", ids, vals={"origin": origin})
        rows = self.execute("stock.picking", "read", ids, fields=["name", "state"])
        return ReturnResult(
            picking_id=ids[0], name=_str(rows[0].get("name")), state=_str(rows[0].get("state")), created=True
        )

    def validate_picking(
        self,
        picking_id: int,
        *,
        quantities: dict[int, Decimal] | None = None,
        backorder: bool = True,
        tracking_ref: str | None = None,
    ) -> PickingValidation:
        """3 calls (5 when Odoo asks about a backorder): read, write the done quantities per move id (and the
        tracking reference), ``button_validate``, then the backorder wizard with the answer ``backorder``
        (``process`` / ``process_cancel_backorder``), and read the result.

        Moves not named in ``quantities`` keep what Odoo reserved; a named move is marked picked, so moves
        left unpicked go to the backorder. A transfer already done answers ``already_done`` (Odoo answers
        True and does nothing, README).
        """
        rows = self.execute("stock.picking", "read", [picking_id], fields=["state"])
        if not rows:
            raise BusinessRuleError(
                f"Odoo has no transfer {picking_id}",
                code="picking_validate_refused",
                system=SYSTEM,
                details={"odoo_record": "stock.picking", "odoo_id": picking_id},
            )
        if rows[0].get("state") == "done":
            return PickingValidation(picking_id=picking_id, state="done", backorder_ids=(), already_done=True)
        vals: dict[str, Any] = {}
        qty_f = self._move_qty_field()
        if quantities:
            vals["move_ids"] = [(1, mid, {qty_f: _num(q), "picked": True}) for mid, q in quantities.items()]
        if tracking_ref:
            vals["carrier_tracking_ref"] = tracking_ref
        try:
            if vals:
                self.execute("stock.picking", "write", [picking_id], vals=vals)
            answer = self.execute("stock.picking", "button_validate", [picking_id])
            if isinstance(answer, dict) and answer.get("res_model") == "stock.backorder.confirmation":
                ctx = dict(answer.get("context") or {})
                created = self.execute("stock.backorder.confirmation", "create", vals_list=[{}], context=ctx)
                wizard = _first_id(created, "stock.backorder.confirmation.create")
                choice = "process" if backorder else "process_cancel_backorder"
                self.execute("stock.backorder.confirmation", choice, [wizard], context=ctx)
            elif answer is not True:
                raise ContractError(f"button_validate answered {answer!r}", system=SYSTEM)
        except BusinessRuleError as exc:
            if exc.code in ("odoo_user_error", "odoo_validation"):
                raise _refused(exc, "picking_validate_refused", picking_id, record="stock.picking") from None
            raise
        after = self.execute(
            "stock.picking",
            "search_read",
            domain=["|", ("id", "=", picking_id), ("backorder_id", "=", picking_id)],
            fields=["state", "backorder_id"],
            order="id asc",
        )
        state = next((_str(r.get("state")) for r in after if r["id"] == picking_id), "")
        backorders = tuple(int(r["id"]) for r in after if _m2o_id(r.get("backorder_id")) == picking_id)
        return PickingValidation(
            picking_id=picking_id, state=state, backorder_ids=backorders, already_done=False
        )

    def company_tax_settings(self, company_id: int) -> CompanyTaxSettings:
        """1 call: how the company rounds taxes and (18+) whether its prices include them by default."""
        fields = ["name", "currency_id", "tax_calculation_rounding_method"]
        if self.version[0] >= 18:
            fields.append("account_price_include")
        rows = self.execute("res.company", "read", [company_id], fields=fields)
        if not rows:
            raise BusinessRuleError(
                f"Odoo has no company {company_id}",
                code="unknown_company",
                key=str(company_id),
                system=SYSTEM,
            )
        r = rows[0]
        return CompanyTaxSettings(
            company_id=company_id,
            name=_str(r.get("name")),
            currency=_m2o_name(r.get("currency_id")),
            rounding_method=_str(r.get("tax_calculation_rounding_method")) or "round_per_line",
            price_include_default=_str(r.get("account_price_include")),
        )

    def taxes(self, *, company_id: int | None = None, type_tax_use: str = "sale") -> list[TaxInfo]:
        """1 call: the active taxes of a kind (of one company), with ``price_include`` as Odoo computes it
        and (18+) the ``price_include_override`` it comes from: writing ``price_include`` does nothing on 18+.
        """
        domain: list[Any] = [("type_tax_use", "=", type_tax_use)]
        if company_id is not None:
            domain.append(("company_id", "=", company_id))
        fields = ["name", "amount", "amount_type", "type_tax_use", "price_include", "company_id", "active"]
        if self.version[0] >= 18:
            fields.append("price_include_override")
        rows = self.execute(
            "account.tax", "search_read", domain=domain, fields=fields, order="sequence asc, id asc"
        )
        return [
            TaxInfo(
                id=int(r["id"]),
                name=_str(r.get("name")),
                amount=_dec(r.get("amount")),
                amount_type=_str(r.get("amount_type")),
                type_tax_use=_str(r.get("type_tax_use")),
                price_include=bool(r.get("price_include")),
                price_include_override=_str(r.get("price_include_override")),
                company_id=_m2o_id(r.get("company_id")),
                active=bool(r.get("active", True)),
            )
            for r in rows
        ]

    # -- picking records for mappings ------------------------------------------------------------

    PICK_LIMIT = 20

    def _pick_spec(self, kind: str) -> tuple[str, list[Any], list[str], list[str]]:
        """(model, base domain, fields searched by text, fields read) of one kind of pickable record, in the
        client's company: a record of another company is not offered (nor is it visible to Odoo's rules)."""
        company = self.company_id
        shared: list[Any] = [("company_id", "in", [False, company])] if company is not None else []
        own: list[Any] = [("company_id", "=", company)] if company is not None else []
        if kind == "product":
            return (
                "product.product",
                shared,
                ["default_code", "name", "barcode"],
                ["default_code", "display_name", "barcode", "company_id", "active"],
            )
        if kind == "tax":
            fields = ["name", "amount", "amount_type", "price_include", "company_id", "active"]
            if self.version[0] >= 18:
                fields.append("price_include_override")
            return "account.tax", [("type_tax_use", "=", "sale"), *own], ["name"], fields
        if kind == "carrier":
            return "delivery.carrier", shared, ["name"], ["name", "product_id", "company_id", "active"]
        if kind == "journal":
            return (
                "account.journal",
                [("type", "in", ["bank", "cash", "sale"]), *own],
                ["name", "code"],
                ["name", "code", "type", "company_id", "active"],
            )
        raise ValueError(f"no pickable Odoo record of kind {kind!r}")

    def _choice(self, kind: str, r: dict[str, Any]) -> RecordChoice:
        amount = r.get("amount")
        return RecordChoice(
            kind=kind,
            id=int(r["id"]),
            name=_str(r.get("name")) or _str(r.get("display_name")),
            code=_str(r.get("default_code")) or _str(r.get("code")),
            barcode=_str(r.get("barcode")),
            company_id=_m2o_id(r.get("company_id")),
            company=_m2o_name(r.get("company_id")),
            amount=_dec(amount) if kind == "tax" else None,
            amount_type=_str(r.get("amount_type")),
            price_include=bool(r.get("price_include")) if kind == "tax" else None,
            price_include_override=_str(r.get("price_include_override")),
            price_include_from_company=kind == "tax"
            and self.version[0] >= 18
            and not r.get("price_include_override"),
            journal_type=_str(r.get("type")) if kind == "journal" else "",
            product_id=_m2o_id(r.get("product_id")),
            active=bool(r.get("active", True)),
        )

    def pick_search(self, kind: str, text: str, *, limit: int = PICK_LIMIT) -> list[RecordChoice]:
        """1 call: at most ``limit`` (capped at 20) active records of ``kind`` (product, tax, carrier,
        journal) of the client's company whose searched fields contain ``text`` (products: internal
        reference, name or barcode; taxes: name, or the rate when ``text`` is a number; journals: name or
        code). Products and carriers shared by every company count; taxes and journals are the company's."""
        model, base, searched, fields = self._pick_spec(kind)
        text = text.strip()
        terms: list[Any] = [(f, "ilike", text) for f in searched]
        if kind == "tax":
            with contextlib.suppress(ArithmeticError):  # not a number: searched by name only
                terms.append(("amount", "=", float(Decimal(text.rstrip("%").strip()))))
        domain: list[Any] = [*base, *(["|"] * (len(terms) - 1)), *terms]
        rows = self.execute(
            model,
            "search_read",
            domain=domain,
            fields=fields,
            order="id asc",
            limit=max(1, min(limit, self.PICK_LIMIT)),
        )
        return [self._choice(kind, r) for r in rows]

    def pick_read(self, kind: str, ids: Sequence[int]) -> dict[int, RecordChoice]:
        """1 call: those of ``ids`` that are records of ``kind`` in the client's company (archived ones too,
        with ``active`` False). An id absent from the answer does not exist, is of another kind (a purchase
        tax, a general journal) or belongs to another company."""
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return {}
        model, base, _, fields = self._pick_spec(kind)
        rows = self.execute(
            model,
            "search_read",
            domain=[*base, ("id", "in", wanted)],
            fields=fields,
            context={"active_test": False},
        )
        return {int(r["id"]): self._choice(kind, r) for r in rows}

    def post_order_message(self, order_id: int, body: str, *, subject: str = "") -> int:
        """1 call: a note in the order's chatter (``message_post``); answers the message id.

        Odoo answers a list of ids on 19 and an int on 18 (API-NOTES I); plain text is escaped by Odoo.
        """
        params: dict[str, Any] = {"body": body, "message_type": "comment", "subtype_xmlid": "mail.mt_note"}
        if subject:
            params["subject"] = subject
        answer = self.execute("sale.order", "message_post", [order_id], **params)
        ids = answer if isinstance(answer, list) else [answer]
        if len(ids) != 1 or not isinstance(ids[0], int):
            raise ContractError(f"message_post answered {answer!r}", system=SYSTEM)
        return int(ids[0])

    # -- contacts, customer changes and privacy ---------------------------------------------------

    def find_partner_by_email(self, email: str, *, company_id: int | bool | None = None) -> int | None:
        """1 call: the oldest top-level partner with this e-mail (case-insensitive), if any; with
        ``company_id``, only a partner of that company (False: only a shared one)."""
        if not email:
            return None
        domain: list[Any] = [("email", "=ilike", email), ("parent_id", "=", False)]
        if company_id is not None:
            domain.append(("company_id", "=", company_id))
        rows = self.execute(
            "res.partner",
            "search_read",
            domain=domain,
            fields=["id"],
            order="id asc",
            limit=1,
        )
        return int(rows[0]["id"]) if rows else None

    def create_contact(
        self, parent_id: int, contact_type: str, address: Address, *, company_id: int | None = None
    ) -> int:
        """1 call: a child contact (``invoice`` / ``delivery``) of the partner (of ``company_id``, as the
        partner is; None: shared)."""
        vals = {**self._address_vals(address), "type": contact_type, "parent_id": parent_id}
        if company_id:
            vals["company_id"] = company_id
        result = self.execute("res.partner", "create", vals_list=[vals])
        ids = result if isinstance(result, list) else [result]
        return int(ids[0])

    def update_partner(self, partner_id: int, address: Address) -> None:
        """1 call: name, e-mail, phone and address of the partner."""
        vals = self._address_vals(address)
        if vals:
            self.execute("res.partner", "write", [partner_id], vals=vals)

    def read_partner(self, partner_id: int) -> dict[str, Any] | None:
        """1 call: the personal fields Odoo holds for the partner (for a data request)."""
        rows = self.execute(
            "res.partner",
            "read",
            [partner_id],
            fields=[
                "name",
                "email",
                "phone",
                "street",
                "street2",
                "zip",
                "city",
                "country_id",
                "state_id",
                "vat",
                "ref",
                "child_ids",
            ],
        )
        return rows[0] if rows else None

    def redact_partner(self, partner_id: int, values: dict[str, Any]) -> dict[str, list[int]]:
        """Replace the personal fields of the partner and its contacts with ``values`` (3 calls), except
        the records that posted invoices or credit notes point at: accounting law keeps those as they are."""
        family = self.execute(
            "res.partner",
            "search_read",
            domain=[("id", "child_of", [partner_id])],
            fields=["id"],
            context={"active_test": False},
        )
        ids = sorted(int(r["id"]) for r in family)
        if not ids:
            return {"redacted": [], "held": []}
        moves = self.execute(
            "account.move",
            "search_read",
            domain=[
                ("state", "=", "posted"),
                ("partner_id", "in", ids),
                ("move_type", "in", ["out_invoice", "out_refund"]),
            ],
            fields=["partner_id"],
        )
        held = sorted({pid for pid in (_m2o_id(m.get("partner_id")) for m in moves) if pid})
        redact = [pid for pid in ids if pid not in held]
        if redact:
            self.execute("res.partner", "write", redact, vals=values)
        return {"redacted": redact, "held": held}


_TOTALS = ("amount_untaxed", "amount_tax", "amount_total")
_SUMMARY_FIELDS = ["name", "client_order_ref", "state", "amount_total", "currency_id", "create_date"]


def _sale_order_summary(row: dict[str, Any]) -> SaleOrderSummary:
    return SaleOrderSummary(
        id=int(row["id"]),
        name=_str(row.get("name")),
        client_order_ref=_str(row.get("client_order_ref")),
        state=_str(row.get("state")),
        amount_total=_dec(row.get("amount_total")),
        currency=_m2o_name(row.get("currency_id")),
        create_date=_str(row.get("create_date"))[:19],
    )


def _order_totals(row: dict[str, Any], *, created: bool, currency: str) -> OrderTotals:
    return OrderTotals(
        id=int(row["id"]),
        name=_str(row.get("name")),
        state=_str(row.get("state")),
        created=created,
        amount_untaxed=_dec(row.get("amount_untaxed")),
        amount_tax=_dec(row.get("amount_tax")),
        amount_total=_dec(row.get("amount_total")),
        currency=currency,
    )


def _first_id(result: Any, what: str) -> int:
    """``create`` answers an id over JSON-RPC for one dict and a list of ids over JSON-2 (API-NOTES F)."""
    ids = result if isinstance(result, list) else [result]
    if len(ids) != 1 or isinstance(ids[0], bool) or not isinstance(ids[0], int):
        raise ContractError(f"{what} answered {result!r}", system=SYSTEM)
    return int(ids[0])


def _ids_from_action(action: Any) -> list[int]:
    """The records a window action opens: ``res_id``, or the ids of an ``('id', 'in', ids)`` domain."""
    if not isinstance(action, dict):
        return []
    if isinstance(action.get("res_id"), int) and action["res_id"]:
        return [int(action["res_id"])]
    domain = action.get("domain")
    if isinstance(domain, list):
        for leaf in domain:
            if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and leaf[0] == "id" and leaf[1] == "in":
                return [int(i) for i in leaf[2]]
    return []


def _refused(
    exc: BusinessRuleError, code: str, record_id: int, *, record: str = "sale.order", **context: Any
) -> BusinessRuleError:
    """Odoo's UserError / ValidationError on a record, as the business error the flows park on. The key
    stays Odoo's call (``sale.order.action_confirm``) and the record goes in the details: one cause groups
    every record it refuses."""
    return BusinessRuleError(
        exc.message,
        code=code,
        key=exc.key,
        system=SYSTEM,
        details={**exc.details, "odoo_record": record, "odoo_id": record_id, **context},
    )


def connect(config: OdooConfig) -> OdooClient:
    """A client for ``config``; the connection is opened (and the version detected) on first use."""
    return OdooClient(config)
