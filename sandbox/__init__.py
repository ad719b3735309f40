"""The offline world: a fake Instagram, a proxy host egressing via a simulated modem, and the
modem service. Start it with ``sandbox.world.start_sandbox`` or ``python -m sandbox``; nothing
runs at import. Production code never imports this package."""
