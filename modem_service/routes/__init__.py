"""HTTP routes, one module per resource; each is a thin layer over the service objects."""
