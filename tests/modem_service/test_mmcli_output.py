"""mmcli -K parsing against recorded outputs: lists, `--`, no modem, bearer paths."""

import pytest

from modem_service.backends.mmcli_output import (
    modem_indexes,
    object_index,
    parse_bearer,
    parse_keyvalue,
    parse_modem,
)
from tests.modem_service.conftest import sample


def test_modem_list_two_modems_keeps_real_indexes() -> None:
    assert modem_indexes(sample("mmcli_list_two.txt")) == [0, 3]


def test_modem_list_one() -> None:
    assert modem_indexes(sample("mmcli_list_one.txt")) == [0]


def test_no_modem_prints_truncated_key() -> None:
    assert parse_keyvalue(sample("mmcli_list_none.txt"))["modem-list"] == []
    assert modem_indexes(sample("mmcli_list_none.txt")) == []


def test_connected_modem() -> None:
    status = parse_modem(sample("mmcli_modem_connected.txt"))
    assert status.index == 0
    assert status.connected and status.enabled
    assert status.failed_reason is None  # printed as "--"
    assert status.model == "L850-GL"
    # Bearer numbers grow with reconnects; never assume 0.
    assert status.bearer_paths == (
        "/org/freedesktop/ModemManager1/Bearer/2",
        "/org/freedesktop/ModemManager1/Bearer/1",
    )


def test_trimmed_list_keeps_present_values_in_order() -> None:
    kv = parse_keyvalue(sample("mmcli_modem_connected.txt"))
    assert kv["modem.generic.ports"] == ["cdc-wdm0 (mbim)", "wwan0 (net)"]
    assert kv["modem.generic.drivers"] == ["cdc_acm", "cdc_mbim"]
    assert kv["modem.generic.carrier-configuration"] is None


def test_disabled_modem_has_no_bearers() -> None:
    status = parse_modem(sample("mmcli_modem_disabled.txt"))
    assert status.state == "disabled"
    assert not status.connected and not status.enabled
    assert status.bearer_paths == ()


def test_registered_modem_without_bearer() -> None:
    status = parse_modem(sample("mmcli_modem_no_bearer.txt"))
    assert status.enabled and not status.connected
    assert status.bearer_paths == ()


def test_header_only_output_with_escaped_newline() -> None:
    status = parse_modem(sample("mmcli_modem_header_dw5821e.txt"))
    assert status.model == "DW5821e Snapdragon X20 LTE"
    assert status.state is None and status.bearer_paths == ()


def test_connected_bearer() -> None:
    bearer = parse_bearer(sample("mmcli_bearer_connected.txt"))
    assert (bearer.index, bearer.connected, bearer.interface) == (3, True, "wwan0")
    assert bearer.ipv4_address == "10.133.54.34"
    assert bearer.ipv6_address is None


def test_cgnat_bearer_address_is_not_the_public_ip() -> None:
    import ipaddress

    bearer = parse_bearer(sample("mmcli_bearer_cgnat.txt"))
    assert bearer.ipv4_address == "100.112.107.46"
    address = ipaddress.ip_address(bearer.ipv4_address)
    assert not address.is_private and not address.is_global  # why the check is is_global


def test_disconnected_bearer_dashes() -> None:
    bearer = parse_bearer(sample("mmcli_bearer_disconnected.txt"))
    assert not bearer.connected
    assert bearer.interface is None and bearer.ipv4_address is None
    assert parse_keyvalue(sample("mmcli_bearer_disconnected.txt"))["bearer.ipv4-config.dns"] == []


def test_garbage_is_rejected_not_guessed() -> None:
    with pytest.raises(ValueError):
        parse_modem("error: couldn't find modem\n")
    with pytest.raises(ValueError):
        object_index("/org/freedesktop/ModemManager1/Modem/")
