"""The network area: ``fetch_log`` (every request), ``ip_log`` (every public IP the modem had)
and what they teach (``fetch_stats``, ``ip_ranges``)."""
