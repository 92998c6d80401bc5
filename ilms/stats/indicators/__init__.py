"""Indicator definitions, one module per area; each reads the tables of the domains it counts."""
