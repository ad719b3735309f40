"""A step in an instance without the project's pools says so instead of running unlimited."""

import dagster as dg

from intrend_assets.lib.pools import unlimited_pool_warning


def test_an_instance_without_pools_is_named_in_a_warning() -> None:
    with dg.instance_for_test() as instance:
        warning = unlimited_pool_warning(instance, "instagram")
    assert warning is not None and "'instagram'" in warning


def test_a_default_limit_or_a_pool_limit_is_enough() -> None:
    overrides = {"concurrency": {"pools": {"default_limit": 1}}}
    with dg.instance_for_test(overrides=overrides) as instance:
        assert unlimited_pool_warning(instance, "instagram") is None
    with dg.instance_for_test() as instance:
        instance.event_log_storage.set_concurrency_slots("warehouse", 1)
        assert unlimited_pool_warning(instance, "warehouse") is None
