"""Record types of the exchange format, one module per domain; each calls that domain's services."""
