"""The profiles area: ``raw_profile`` (one dynamic partition per tracked profile), the sensors
that add profiles and request due refreshes, the daily refresh schedule and ``profiles_job``."""
