"""CI checks of the LiteLLM Proxy example as far as they go without docker: the team policy's suite passes
through `llm-router policy test`, the proxy config serves every chain of the policy, and the compose file is
valid YAML that declares what a scaled-out proxy needs. tests/test_litellm_proxy.py runs config.yaml and the
team policy in a real proxy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from llm_router import router
from llm_router.cli import cli
from llm_router.integrations.proxy_models import Served, check_served

HERE = Path(__file__).parent


def load(name: str) -> Any:
    return yaml.safe_load((HERE / name).read_text())


@pytest.fixture
def compose() -> dict[str, Any]:
    return load("compose.yaml")


def test_the_team_policy_suite_passes() -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(HERE / "team-policy" / "tests"), "--coverage"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_the_team_policy_is_lint_clean() -> None:
    result = CliRunner().invoke(
        cli, ["policy", "lint", "--config", str(HERE / "team-policy" / "routing.yaml")]
    )
    assert result.exit_code == 0, result.output


def test_the_proxy_config_names_the_callback() -> None:
    callbacks = load("config.yaml")["litellm_settings"]["callbacks"]
    assert callbacks == "llm_router.integrations.litellm_proxy.proxy_handler"


def test_the_proxy_config_serves_every_chain_of_the_team_policy(tmp_path: Path) -> None:
    cp = router.load(router.Settings(cwd=tmp_path, config=HERE / "team-policy"))
    report = check_served(cp, Served(load("config.yaml")["model_list"]))
    assert (report.errors, report.notes) == ([], [])


def test_compose_runs_two_proxy_replicas_redis_postgres_and_a_load_balancer(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"proxy-1", "proxy-2", "redis", "postgres", "lb"} <= set(services)
    for name in ("proxy-1", "proxy-2", "redis", "postgres", "lb"):
        assert "image" in services[name] or "build" in services[name], name


@pytest.mark.parametrize("replica", ["proxy-1", "proxy-2"])
def test_each_replica_reads_the_policy_and_shares_redis_and_postgres(
    compose: dict[str, Any], replica: str
) -> None:
    service = compose["services"][replica]
    env = service["environment"]
    assert env["LLM_ROUTER_CONFIG"] == "/policy"
    assert "./team-policy:/policy:ro" in service["volumes"]
    assert "./config.yaml:/app/config.yaml" in " ".join(service["volumes"])
    assert env["REDIS_HOST"] == "redis" and "@postgres:5432/" in env["DATABASE_URL"]
    assert service["command"][:2] == ["--config", "/app/config.yaml"]
    assert set(service["depends_on"]) == {"redis", "postgres"}


def test_compose_services_use_only_keys_compose_knows(compose: dict[str, Any]) -> None:
    known = {"build", "image", "command", "environment", "volumes", "depends_on", "healthcheck", "restart"}
    known.add("ports")
    assert set(compose) <= {"name", "services", "volumes", "x-proxy"}
    for name, service in compose["services"].items():
        assert set(service) <= known, name
        for dependency in (service.get("depends_on") or {}).values():
            assert dependency["condition"] in ("service_started", "service_healthy")
    named = {v.split(":", 1)[0] for s in compose["services"].values() for v in s.get("volumes", ())}
    assert {v for v in named if not v.startswith(".")} == set(compose["volumes"])


def test_the_files_compose_mounts_and_builds_from_exist(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        for volume in service.get("volumes", ()):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (HERE / source).exists(), source
        build = service.get("build")
        if build:
            assert (HERE / build["context"] / build["dockerfile"]).is_file()


def test_the_load_balancer_sends_to_both_replicas() -> None:
    conf = (HERE / "nginx.conf").read_text()
    assert re.findall(r"server (proxy-\d):4000", conf) == ["proxy-1", "proxy-2"]
    assert "listen 4000;" in conf and "proxy_buffering off;" in conf
