"""Personal data in stored Shopify payloads: redact (GDPR erasure) or mask (screens and logs).

Both walk any payload shape (order, customer, refund, transaction, fulfilment, the privacy webhooks)
recursively and treat the same fields as personal; ids, amounts, SKUs, product names, statuses and
timestamps are kept. A field is personal by its key (``email``, ``phone``, ``first_name``...), ``name``
only inside an address-like object (an order's or a line item's ``name`` is not personal), free text
(``note``, customer ``tags``) always, and ``name``/``value`` pairs (note attributes, line item properties)
when the name or the value looks personal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

REDACTED = "[redacted]"

# Always personal, whatever the object.
PERSONAL_KEYS = frozenset(
    {
        "email",
        "contact_email",
        "customer_email",
        "phone",
        "phone_number",
        "first_name",
        "last_name",
        "company",
        "address1",
        "address2",
        "city",
        "zip",
        "latitude",
        "longitude",
        "browser_ip",
        "client_ip",
        "source_ip",
        "user_agent",
        "accept_language",
        "session_hash",
        "credit_card_name",
        "note",
        "multipass_identifier",
        "landing_site",
        "referring_site",
        "order_status_url",
        # session tokens: not personal data by themselves, but they open the order status page
        "token",
        "cart_token",
        "checkout_token",
    }
)
# Personal inside an object that looks like an address or a person.
ADDRESS_MARKERS = frozenset(
    {"address1", "address2", "zip", "first_name", "last_name", "latitude", "province_code"}
)
ADDRESS_ONLY_KEYS = frozenset({"name"})
# Personal inside a customer object (free-form labels that often hold names).
CUSTOMER_KEYS = frozenset({"tags"})
CUSTOMER_MARKERS = frozenset({"default_address", "addresses", "email_marketing_consent", "orders_count"})

_PERSONAL_ATTRIBUTE = re.compile(
    r"mail|phone|tel|mobile|name|address|street|birth|recipient|contact|instagram|twitter|whatsapp|"
    r"vat|tax.?id|passport|id.?number|ssn|message|dedica|gift",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")


def _looks_personal_value(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    return bool(_EMAIL.search(value) or _PHONE.match(value.strip()))


def _is_name_value_pair(obj: Mapping[str, Any]) -> bool:
    return set(obj) <= {"name", "value"} and "name" in obj and "value" in obj


Replacer = Callable[[str, Any], Any]

#: Deeper than this, a payload is not walked: what lies below is replaced by TOO_DEEP (no Shopify payload
#: comes near it; a signed body nested 800 deep made the job page fail with a RecursionError).
MAX_DEPTH = 64
TOO_DEEP = "[nested too deep]"


def limit_depth(value: Any, max_depth: int = MAX_DEPTH, _depth: int = 0) -> Any:
    """A copy of ``value`` whose objects and lists below ``max_depth`` levels are replaced by TOO_DEEP, so
    that rendering it (json.dumps with an indent recurses in Python) cannot overflow the stack."""
    if isinstance(value, Mapping | list) and _depth >= max_depth:
        return TOO_DEEP
    if isinstance(value, Mapping):
        return {k: limit_depth(v, max_depth, _depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [limit_depth(v, max_depth, _depth + 1) for v in value]
    return value


def _walk(value: Any, replace: Replacer, *, in_customer: bool = False, depth: int = 0) -> Any:
    if isinstance(value, Mapping | list) and depth >= MAX_DEPTH:
        return TOO_DEEP  # masked or redacted wholesale: nothing below is shown or kept
    if isinstance(value, list):
        return [_walk(v, replace, in_customer=in_customer, depth=depth + 1) for v in value]
    if not isinstance(value, Mapping):
        return value
    if _is_name_value_pair(value):
        name = str(value.get("name") or "")
        personal = bool(_PERSONAL_ATTRIBUTE.search(name)) or _looks_personal_value(value.get("value"))
        return {
            "name": value["name"],
            "value": replace("value", value["value"]) if personal else value["value"],
        }
    address_like = bool(ADDRESS_MARKERS & set(value))
    in_customer = in_customer or bool(CUSTOMER_MARKERS & set(value))
    out: dict[str, Any] = {}
    for key, item in value.items():
        personal = (
            key in PERSONAL_KEYS
            or (address_like and key in ADDRESS_ONLY_KEYS)
            or (in_customer and key in CUSTOMER_KEYS)
        )
        if personal and not isinstance(item, Mapping | list):
            out[key] = replace(key, item)
        else:
            out[key] = _walk(item, replace, in_customer=key == "customer" or in_customer, depth=depth + 1)
    return out


def _redact(key: str, value: Any) -> Any:
    if value is None or value == "":
        return value
    if isinstance(value, str):
        return REDACTED
    return None  # numbers (latitude, longitude): no marker string in a numeric field


def redact_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a stored payload with every personal value replaced by ``REDACTED``."""
    result = _walk(payload, _redact)
    assert isinstance(result, dict)
    return result


def redacted_partner_values() -> dict[str, Any]:
    """``res.partner`` values that erase a customer in Odoo (valid on Odoo 18 and 19).

    ``mobile`` is left out: it does not exist on 19 and writing it raises there (API-NOTES I).
    The external link (``ref``) is kept so that accounting documents stay attached to the partner.
    """
    return {
        "name": REDACTED,
        "email": False,
        "phone": False,
        "street": False,
        "street2": False,
        "city": False,
        "zip": False,
        "state_id": False,
        "country_id": False,
        "company_name": False,
        "vat": False,
        "website": False,
        "comment": False,
    }


# --- masking ---------------------------------------------------------------------------------------


def mask_email(value: str) -> str:
    """``bob.norman@mail.example.com`` -> ``b***@m***.com``."""
    local, _, domain = value.partition("@")
    if not domain:
        return mask_words(value)
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    return f"{local[:1]}***@{host[:1]}***{'.' + tld if tld else ''}"


def mask_phone(value: str) -> str:
    """Keep a leading ``+`` with two digits, and the last two digits.

    ``+33 6 12 34 56 12`` -> ``+33 * ** ** ** 12``.
    """
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    keep = set(digits[-2:])
    stripped = value.lstrip()
    if stripped.startswith("+"):
        lead = re.match(r"\+(\d+)", stripped)
        run = len(lead.group(1)) if lead else 0
        # the country code as written ("+1 (502)...", "+33 6..."), else the first two digits
        keep |= set(digits[: run if 0 < run <= 3 and run < len(digits) - 2 else 2])
    return "".join(c if (not c.isdigit() or i in keep) else "*" for i, c in enumerate(value))


def mask_words(value: str) -> str:
    """``Bob Norman`` -> ``B*** N***``."""
    return " ".join(f"{word[:1]}***" for word in value.split()) or "***"


def _mask(key: str, value: Any) -> Any:
    if value is None or value == "":
        return value
    if not isinstance(value, str):
        return None
    if "email" in key or _EMAIL.fullmatch(value.strip()):
        return mask_email(value.strip())
    if "phone" in key or (key == "value" and _PHONE.match(value.strip())):
        return mask_phone(value)
    if key in {"first_name", "last_name", "name", "company", "address1", "address2", "city", "value"}:
        return mask_words(value)
    return "***"


def mask_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a payload for screens and logs: the same personal fields, masked."""
    result = _walk(payload, _mask)
    assert isinstance(result, dict)
    return result
