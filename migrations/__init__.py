"""Alembic migrations of the control-plane schema (installed as
``trove_lite.migrations`` so ``trove-lite-manage db-sync`` finds them)."""
