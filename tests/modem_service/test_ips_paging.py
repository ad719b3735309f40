"""Paging of the IP log refuses what the database cannot take (found by Schemathesis)."""

from fastapi.testclient import TestClient

from modem_service import Settings, create_app

AUTH = {"Authorization": "Bearer t"}


def test_huge_offset_is_a_client_error_not_a_server_error() -> None:
    app = create_app(Settings(backend="simulated", token="t", sim_rotation_seconds=0))
    with TestClient(app) as client:
        answer = client.get("/ips", params={"limit": 1, "offset": 2**63}, headers=AUTH)
        assert answer.status_code == 422
        assert client.get("/ips", params={"offset": 2**62}, headers=AUTH).status_code == 200
