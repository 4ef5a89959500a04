"""Reconciliation runs and differences (built by the reconciliation work)."""
