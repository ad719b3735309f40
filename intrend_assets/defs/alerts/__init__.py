"""The alerts area: a run-failure sensor and a daily health sensor that post to a webhook."""
