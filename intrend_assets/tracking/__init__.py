"""Which profiles are tracked and when each is due, plain Python: the tracked-profiles file
(``tracked_file``), username validation (``usernames``) and the refresh cadence
(``refresh``)."""
