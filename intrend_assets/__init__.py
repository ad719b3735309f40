"""intrend_assets."""
