"""Modem drivers: simulated (sandbox), mmcli (ModemManager), hilink (Huawei web API)."""
