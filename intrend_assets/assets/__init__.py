"""Software-defined assets, one module per stage: raw, parsed, warehouse, network."""
