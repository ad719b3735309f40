"""Alerts: what a person running intrend must be told, and the webhook that tells them."""
