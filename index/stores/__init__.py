"""Vector stores: one interface, each backend in its own file."""
