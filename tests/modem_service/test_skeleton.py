"""The service's core contract: a simulated modem and a throwaway log from two settings."""

from fastapi.testclient import TestClient

from modem_service import Settings, create_app

AUTH = {"Authorization": "Bearer secret-token"}


def _client() -> TestClient:
    settings = Settings(backend="simulated", token="secret-token", sim_rotation_seconds=0.0)
    return TestClient(create_app(settings))


def test_rotate_changes_ip_and_logs_it() -> None:
    with _client() as client:
        before = client.get("/ip", headers=AUTH).json()["ip"]
        result = client.post("/rotate", headers=AUTH).json()
        assert result["old_ip"] == before
        assert result["changed"] == (result["new_ip"] != before)
        logged = [row["ip"] for row in client.get("/ips", headers=AUTH).json()["items"]]
        assert logged[0] == result["new_ip"]


def test_token_required_except_health() -> None:
    with _client() as client:
        assert client.get("/health").status_code == 200
        assert client.get("/ip").status_code == 401
        assert client.get("/ip", headers={"Authorization": "Bearer wrong"}).status_code == 401
