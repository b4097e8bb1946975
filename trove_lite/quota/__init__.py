"""Quotas: each project's limits and what it uses, charged in the same
transaction as the rows that use it."""
