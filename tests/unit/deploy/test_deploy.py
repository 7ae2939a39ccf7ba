"""The production compose files, validated by Debian's docker-compose 1.29 (no Docker engine
runs here: `config` parses, interpolates and checks every key against the Compose schema)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from ero.settings import Settings

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
BASE = DEPLOY / "docker-compose.yml"
CLUSTER = DEPLOY / "docker-compose.cluster.yml"
SECRETS = {
    "ERO_OPERATOR_TOKEN": "op-token",
    "ERO_RECORD_KEY": "record-key-of-the-tests",
    "ERO_CLICKHOUSE_PASSWORD": "ch-password",
}


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def docker_compose() -> str:
    """Debian's docker-compose, installed with apt-get when missing."""
    if shutil.which("docker-compose") is None:
        installed = _apt("install", "-y", "docker-compose")
        if installed.returncode != 0:  # the package lists may be missing or stale
            _apt("update")
            installed = _apt("install", "-y", "docker-compose")
        found = shutil.which("docker-compose")
        if found is None:
            pytest.fail(
                "docker-compose is needed to validate deploy/*.yml and `apt-get install -y "
                f"docker-compose` failed (run it as root): {installed.stderr.strip()[-500:]}"
            )
    path = shutil.which("docker-compose")
    assert path is not None
    return path


def config(
    compose: str, files: Sequence[Path], env: dict[str, str] | None = None, quiet: bool = True
) -> subprocess.CompletedProcess[str]:
    command = [compose, *(arg for f in files for arg in ("-f", str(f))), "config"]
    return subprocess.run(
        [*command, "-q"] if quiet else command,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], **(SECRETS if env is None else env)},
        timeout=120,
        check=False,
    )


def test_it_is_the_1_29_that_rejects_unknown_keys(docker_compose: str, tmp_path: Path) -> None:
    version = subprocess.run(
        [docker_compose, "version", "--short"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("1.29"), version.stdout
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(BASE.read_text().replace("    restart: unless-stopped\n", "    restrt: x\n"))
    refused = config(docker_compose, [broken])
    assert refused.returncode != 0
    assert "restrt" in refused.stderr


@pytest.mark.parametrize("files", [[BASE], [BASE, CLUSTER]], ids=["single", "cluster"])
def test_the_compose_files_are_valid(docker_compose: str, files: list[Path]) -> None:
    checked = config(docker_compose, files)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("secret", ["ERO_OPERATOR_TOKEN", "ERO_RECORD_KEY"])
def test_secrets_must_be_given(docker_compose: str, secret: str) -> None:
    given = {name: value for name, value in SECRETS.items() if name != secret}
    missing = config(docker_compose, [BASE], env=given)
    assert missing.returncode != 0
    assert f"set {secret}" in missing.stderr


def _ero_variables(text: str) -> set[str]:
    return set(re.findall(r"^\s+(ERO_[A-Z_]+)[:=]", text, re.MULTILINE))


def test_every_ero_variable_is_a_setting(docker_compose: str) -> None:
    merged = config(docker_compose, [BASE, CLUSTER], quiet=False)
    assert merged.returncode == 0, merged.stderr
    variables = _ero_variables(merged.stdout) | _ero_variables(
        (DEPLOY / "ero.env.example").read_text()
    )
    settings = {f"ERO_{name.upper()}" for name in Settings.model_fields}
    assert variables - settings == set()
    assert {"ERO_KAFKA_BOOTSTRAP", "ERO_CLICKHOUSE_DSN", "ERO_CLICKHOUSE_CLUSTER"} <= variables


def test_workers_and_apis_scale_and_the_cluster_migrates_on_cluster(docker_compose: str) -> None:
    merged = config(docker_compose, [BASE, CLUSTER], quiet=False).stdout
    for service in ("worker", "api"):
        section = re.search(rf"^  {service}:\n((?:    .*\n|      .*\n)+)", merged, re.MULTILINE)
        assert section, service
        assert "replicas: 2" in section[1]
        assert "ERO_CLICKHOUSE_CLUSTER: ero" in section[1]
    assert "apache/kafka:" in merged
    assert "clickhouse/clickhouse-keeper:" in merged
    assert "clickhouse-2:" in merged
