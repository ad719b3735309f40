"""The rotation counter's series exist from 0, so Prometheus sees the first rotation.

A labelled counter's series appears on its first increment; Prometheus then takes the
value of its first sample as the start, and increase()/rate() over a window that holds the
first rotation said 0 (the dashboard's "rotations per hour" after a restart).
"""

from modem_service.metrics import ServiceMetrics


def test_every_rotation_result_is_exported_at_zero_before_any_rotation() -> None:
    metrics = ServiceMetrics()
    for result in ("changed", "unchanged", "failed", "coalesced"):
        assert metrics.registry.get_sample_value("modem_rotations_total", {"result": result}) == 0
