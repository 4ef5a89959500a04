"""The models the stand-in plays, per Odoo version: fields from the real lists, behaviour from here.

:func:`build_registry` makes one :class:`~sandbox.odoo.orm.Model` per model of
:func:`sandbox.odoo.schema.fields_for` (the measured 19 lists, the extra models, the 17/18 overlays), marks
the fields a delegating model (``_inherits``) reads from its parent, applies the multi-company record rule
to every model with a stored ``company_id``, and lets each behaviour module attach defaults, computations,
constraints and methods.
"""

from __future__ import annotations

from typing import Any

from .. import schema
from ..orm import Field, Model
from . import account, base, methods, product, sale, stock

MAGIC = ("id", "display_name", "create_date", "create_uid", "write_date", "write_uid")

# description (Odoo's _description), _order, _rec_name, _parent_name, _inherits, transient
META: dict[str, dict[str, Any]] = {
    "res.partner": {"description": "Contact", "order": "complete_name ASC, id DESC", "parent": "parent_id"},
    "res.company": {"description": "Companies", "order": "sequence, name", "parent": "parent_id"},
    "res.users": {"description": "User", "order": "name, login", "inherits": ("res.partner", "partner_id")},
    "res.users.apikeys": {"description": "Users API Keys"},
    "res.currency": {"description": "Currency", "order": "active desc, name"},
    "res.country": {"description": "Country", "order": "name"},
    "res.country.state": {"description": "Country state", "order": "code"},
    "res.lang": {"description": "Languages", "order": "active desc, name"},
    "res.groups": {"description": "Access Groups", "order": "name"},
    "res.partner.category": {"description": "Partner Tags", "order": "name", "parent": "parent_id"},
    "ir.model.data": {"description": "Model Data", "order": "module, model, name"},
    "ir.config_parameter": {"description": "System Parameter", "order": "key", "rec_name": "key"},
    "mail.message": {"description": "Message", "order": "id desc", "rec_name": "record_name"},
    "uom.uom": {"description": "Product Unit of Measure", "order": "sequence, id"},
    "product.category": {"description": "Product Category", "order": "complete_name", "parent": "parent_id"},
    "product.template": {"description": "Product", "order": "is_favorite desc, name, id"},
    "product.product": {
        "description": "Product Variant",
        "order": "is_favorite desc, default_code, name, id",
        "inherits": ("product.template", "product_tmpl_id"),
    },
    "product.pricelist": {"description": "Pricelist", "order": "sequence, id"},
    "product.pricelist.item": {"description": "Pricelist Rule", "order": "applied_on, min_quantity desc, id"},
    "product.attribute": {"description": "Product Attribute", "order": "sequence, id"},
    "product.attribute.value": {"description": "Attribute Value", "order": "attribute_id, sequence, id"},
    "product.template.attribute.line": {
        "description": "Product Template Attribute Line",
        "order": "sequence, attribute_id, id",
        "rec_name": "attribute_id",
    },
    "product.template.attribute.value": {
        "description": "Product Template Attribute Value",
        "order": "attribute_line_id, id",
    },
    "account.account": {"description": "Account", "order": "code, id"},
    "account.tax": {"description": "Tax", "order": "sequence, id"},
    "account.tax.group": {"description": "Tax Group", "order": "sequence, id"},
    "account.fiscal.position": {"description": "Fiscal Position", "order": "sequence, id"},
    "account.journal": {"description": "Journal", "order": "sequence, type, code"},
    "account.move": {
        "description": "Journal Entry",
        "order": "date desc, name desc, invoice_date desc, id desc",
    },
    "account.move.line": {"description": "Journal Item", "order": "date desc, move_name desc, id"},
    "account.payment": {"description": "Payments", "order": "date desc, name desc"},
    "account.payment.method.line": {"description": "Payment Methods", "order": "sequence, id"},
    "account.payment.register": {"description": "Pay", "transient": True, "rec_name": None},
    "account.move.reversal": {"description": "Account move reversal", "transient": True, "rec_name": None},
    "account.partial.reconcile": {"description": "Partial Reconcile", "rec_name": None},
    "account.full.reconcile": {"description": "Full Reconcile"},
    "account.bank.statement": {"description": "Bank Statement", "order": "date desc, id desc"},
    "account.bank.statement.line": {
        "description": "Bank Statement Line",
        "order": "date desc, id desc",
        "inherits": ("account.move", "move_id"),
        "rec_name": "payment_ref",
    },
    "delivery.carrier": {"description": "Shipping Methods", "order": "sequence, id"},
    "stock.location": {
        "description": "Inventory Locations",
        "order": "complete_name, id",
        "parent": "location_id",
    },
    "stock.warehouse": {"description": "Warehouse", "order": "sequence, id"},
    "stock.picking.type": {"description": "Picking Type", "order": "is_favorite desc, sequence, id"},
    "stock.picking": {"description": "Transfer", "order": "priority desc, scheduled_date asc, id desc"},
    "stock.move": {"description": "Stock Move", "order": "sequence, id"},
    "stock.move.line": {"description": "Product Moves (Stock Move Line)", "order": "id", "rec_name": None},
    "stock.quant": {"description": "Quants", "order": "id", "rec_name": None},
    "stock.lot": {"description": "Lot/Serial", "order": "name, id"},
    "stock.backorder.confirmation": {
        "description": "Backorder Confirmation",
        "transient": True,
        "rec_name": None,
    },
    "stock.backorder.confirmation.line": {
        "description": "Backorder Confirmation Line",
        "transient": True,
        "rec_name": None,
    },
    "stock.return.picking": {"description": "Return Picking", "transient": True, "rec_name": None},
    "stock.return.picking.line": {"description": "Return Picking Line", "transient": True, "rec_name": None},
    "sale.order": {"description": "Sales Order", "order": "date_order desc, id desc"},
    "sale.order.line": {"description": "Sales Order Line", "order": "order_id, sequence, id"},
    "sale.order.cancel": {"description": "Sales Order Cancel", "transient": True, "rec_name": None},
    "sale.advance.payment.inv": {
        "description": "Sales Advance Payment Invoice",
        "transient": True,
        "rec_name": None,
    },
}

# Many2one fields declared ondelete="cascade" in Odoo: the record goes with the one it points to. Every other
# many2one follows Odoo's default: "restrict" when required, "set null" otherwise.
CASCADE = (
    ("sale.order.line", "order_id"),
    ("account.move.line", "move_id"),
    ("account.partial.reconcile", "debit_move_id"),
    ("account.partial.reconcile", "credit_move_id"),
    ("account.bank.statement.line", "move_id"),
    ("account.payment.method.line", "journal_id"),
    ("product.product", "product_tmpl_id"),
    ("product.attribute.value", "attribute_id"),
    ("product.template.attribute.line", "product_tmpl_id"),
    ("product.template.attribute.value", "attribute_line_id"),
    ("res.country.state", "country_id"),
    ("stock.move.line", "move_id"),
    ("stock.return.picking.line", "wizard_id"),
    ("stock.backorder.confirmation.line", "backorder_confirmation_id"),
    ("sale.order.cancel", "order_id"),
)

# Models that carry a company_id without Odoo applying the multi-company rule to them.
NO_COMPANY_RULE = {"res.company", "res.users", "res.users.apikeys", "mail.message", "ir.model.data"}


def build_registry(version: int) -> dict[str, Model]:
    fields_by_model = schema.fields_for(version)
    registry: dict[str, Model] = {}
    for name, descs in fields_by_model.items():
        meta = META.get(name, {})
        fields = {fname: Field(fname, desc) for fname, desc in descs.items()}
        order = meta.get("order", "id")
        order = (
            ", ".join(
                part for part in order.split(",") if part.strip().split()[0] in fields or part.strip() == "id"
            )
            or "id"
        )
        rec_name = meta.get("rec_name", "name")
        registry[name] = Model(
            name=name,
            description=meta.get("description", name),
            fields=fields,
            order=order,
            rec_name=rec_name if rec_name in fields else None,
            parent_name=meta.get("parent"),
            inherits=meta.get("inherits"),
            transient=bool(meta.get("transient")),
        )
    for m in registry.values():
        if m.inherits:
            parent = registry[m.inherits[0]]
            for fname, f in m.fields.items():
                if fname not in MAGIC and not f.stored and fname in parent.fields:
                    f.delegate = m.inherits[1]
        company = m.fields.get("company_id")
        m.company_rule = bool(
            company is not None
            and company.stored
            and company.type == "many2one"
            and company.relation == "res.company"
            and m.name not in NO_COMPANY_RULE
            and not m.transient
        )
        for f in m.fields.values():
            if f.type == "one2many" and f.relation == "mail.message" and f.relation_field == "res_id":
                f.compute = methods.thread_messages(m.name)
        if "message_ids" in m.fields and "mail.message" in registry:
            m.after_unlink.append(methods.drop_thread_messages(m.name))
    for model, fname in CASCADE:
        if model in registry and fname in registry[model].fields:
            registry[model].fields[fname].ondelete = "cascade"
    for module in (base, product, account, stock, sale):
        module.setup(registry, version)
    for m in registry.values():
        for mname, meth in methods.orm_methods(m, version).items():
            m.methods.setdefault(mname, meth)
    return registry
