"""compose.yaml runs the same Pravega for Docker users; checked without a Docker engine."""

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "compose.yaml"


def test_compose_runs_pravega_standalone_reachable_from_the_host() -> None:
    service = yaml.safe_load(COMPOSE.read_text())["services"]["pravega"]
    assert service["image"] == "pravega/pravega:0.13.0"
    assert service["command"] == "standalone"
    assert "HOST_IP" in service["environment"]
    container_ports = {mapping.rsplit(":", 1)[1] for mapping in service["ports"]}
    assert {"9090", "12345"} <= container_ports  # controller, and the segment store it publishes
    for mapping in service["ports"]:
        host_port, container_port = mapping.rsplit(":", 2)[-2:]
        assert host_port == container_port  # the published address must be the real one
