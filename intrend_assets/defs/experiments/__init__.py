"""The rate-limit experiments: pacing strategies compared against Instagram's limits."""
