"""What an error means for its job: the taxonomy in opsconsole/core/errors.py decides, from the class alone.

- BusinessRuleError and AuthError: parked for a person at once (needs_attention), never retried. Odoo's
  refusals that no retry can change (validation and user errors, a missing record, a 4xx over JSON-2) are
  BusinessRuleErrors (sync/connectors/odoo/transport.py); only transient failures are retried (Saleor's
  rule).
- TransientError (RateLimited included), ContractError and anything unexpected: retried with capped
  exponential backoff and full jitter (never sooner than a Retry-After), then dead once the budget is spent.

And how a failure is grouped: its fingerprint names one cause, scoped by shop through the Problem it
belongs to, of even grain — never one per order or per record.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsconsole.core.errors import (
    AuthError,
    BusinessRuleError,
    ContractError,
    IntegrationError,
    RateLimited,
    TransientError,
)
from sync.engine.config import retry_base_seconds, retry_cap_seconds
from sync.models import JobAttempt, JobState, SyncJob

#: Error codes that make a problem a finance problem (money does not match).
#: ``booked_total_mismatch``: written, read back, and Odoo's totals are not Shopify's (sync/flows/verify.py);
#: ``tax_treatment_mismatch``: the mapped Odoo tax does not include/exclude the price as Shopify's order does.
FINANCE_CODES = frozenset(
    {
        "total_mismatch",
        "tax_mismatch",
        "currency_mismatch",
        "booked_total_mismatch",
        "tax_treatment_mismatch",
        "refund_mismatch",
        "refund_refused",
        "order_edit_after_fulfilment",
        "payment_mismatch",
        "gift_card_product_invalid",
        "tip_product_invalid",
        "duties_product_invalid",
    }
)


@dataclass
class Outcome:
    state: str
    attempt_outcome: str
    next_attempt_at: datetime | None = None


def backoff_seconds(attempt: int, *, retry_after: float | None = None) -> float:
    """Capped exponential backoff with full jitter; never sooner than the server's Retry-After."""
    ceiling = min(retry_cap_seconds(), retry_base_seconds() * (2 ** max(0, attempt - 1)))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def classify(job: SyncJob, exc: BaseException, now: datetime) -> Outcome:
    if isinstance(exc, BusinessRuleError | AuthError):
        return Outcome(JobState.NEEDS_ATTENTION, JobAttempt.Outcome.PARKED)
    retryable = isinstance(exc, TransientError | ContractError) or not isinstance(exc, IntegrationError)
    if retryable and job.attempts < job.max_attempts:
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        when = now + timedelta(seconds=backoff_seconds(job.attempts, retry_after=retry_after))
        return Outcome(JobState.RETRYING, JobAttempt.Outcome.RETRY, when)
    return Outcome(JobState.DEAD, JobAttempt.Outcome.DEAD)


# ------------------------------------------------------------------------------------------ grouping

#: Quoted values: '...', "...", and typographic quotes (written as escapes).
_QUOTED = re.compile(
    "'[^'\n]*'|\"[^\"\n]*\"|\u201c[^\u201d\n]*\u201d|\u2018[^\u2019\n]*\u2019|\u00ab[^\u00bb\n]*\u00bb"
)
_RECORDS = re.compile(
    r"\b([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)\([^)]*\)"
)  # sale.order(42,) → sale.order()
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"[-+]?\d+(?:[-.,:/]\d+)*")
_SPACE = re.compile(r"\s+")


def message_family(message: str) -> str:
    """Odoo's message with what varies per record taken out (quoted values, record ids, e-mails, numbers),
    so that one refusal groups every order it hits and two different refusals stay apart."""
    text = _QUOTED.sub("…", message)
    text = _RECORDS.sub(r"\1()", text)
    text = _EMAIL.sub("…", text)
    text = _NUMBER.sub("#", text)
    return _SPACE.sub(" ", text).strip().lower()[:160]


def auth_fingerprint(system: str) -> str:
    """A system refusing our credentials: one cause per system (and, through its Problem, per shop)."""
    return f"auth:{system or 'unknown'}"


def fingerprint_for(job: SyncJob, exc: BaseException) -> str:
    """The cause, for grouping: the shop is not in it (a Problem belongs to one shop)."""
    if isinstance(exc, AuthError):
        return auth_fingerprint(exc.system)
    if isinstance(exc, BusinessRuleError):
        base = f"{exc.code}:{exc.key}" if exc.key else f"{exc.code}:{job.kind}"
        odoo_message = exc.details.get("odoo_message")
        if isinstance(odoo_message, str):
            # An Odoo refusal: one problem per call and message family, not one per call or per order.
            return f"{base}:{message_family(odoo_message)}"[:300]
        return base[:300]
    return f"{type(exc).__name__}:{job.kind}"[:300]
