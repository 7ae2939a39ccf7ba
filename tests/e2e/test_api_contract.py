"""The OpenAPI is the API's contract, and a tool nobody here wrote holds the running pipeline to
it: schemathesis reads `/openapi.json` of a real `ero run` (broker, chdb, worker) and calls every
operation with boundary values and generated data, with each kind of credential in turn. No
answer may be a server error, have a status the operation does not document, or a body (or
content type) other than the one documented for that status.

The pipeline is this module's own: the operator's calls publish rule catalogs, start replays
and change licences, which must not reach the tests sharing the session's pipeline. Examples
are few per operation and derandomized, so a run is bounded and every run sends the same cases.
A failure names the credential, the operation, the check and a curl that reproduces it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.support.pipeline import BIN, Pipeline

pytestmark = pytest.mark.pipeline

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "response_schema_conformance",
        "content_type_conformance",
    )
)
EXAMPLES_PER_OPERATION = 3
"""Generated cases per operation and credential, on top of the boundary (coverage) cases."""
# Boundary cases are negative only: each positive one of a control-plane write is a command
# applied (a third of a second), and there are hundreds; generated cases stay of both kinds.
CONFIG = '[phases.coverage.generation]\nmode = "negative"\n'
CASES = re.compile(r"Test cases:\s*\n\s*(.+)")


@pytest.fixture(scope="module")
def contract_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    running = Pipeline(tmp_path_factory.mktemp("contract")).start()
    try:
        yield running
    finally:
        if running.process is not None and running.process.poll() is None:
            assert running.stop() == 0
        running.ensure_stopped()


def _token(pipeline: Pipeline, kind: str) -> str:
    if kind == "operator":
        return (pipeline.data_dir / "operator.token").read_text().strip()
    demo = pipeline.demo_licence
    return demo.reader_token if kind == "reader" else demo.connector_key


@pytest.mark.parametrize("kind", ["reader", "connector", "operator"])
def test_every_answer_is_documented(contract_pipeline: Pipeline, kind: str) -> None:
    """schemathesis' own runner, as a user would run it: boundary cases, then a few generated
    cases per operation, derandomized (the same cases on every run), no stateful phase (its
    sequences of calls are not bounded in number), one worker (Hypothesis is not thread-safe)."""
    config = contract_pipeline.data_dir / "schemathesis.toml"
    config.write_text(CONFIG)
    done = subprocess.run(
        [
            str(BIN / "st"),
            "--config-file",
            str(config),
            "run",
            f"{contract_pipeline.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {_token(contract_pipeline, kind)}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--generation-deterministic",
            "--no-shrink",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=contract_pipeline.data_dir,
    )
    cases = CASES.search(done.stdout)
    print(f"schemathesis with a {kind} credential: {cases.group(1) if cases else '?'}")
    if done.returncode != 0:
        # The runner's report names each failing operation, the check it failed and a curl.
        pytest.fail(done.stdout[-30000:] + done.stderr[-2000:], pytrace=False)


def test_the_openapi_lists_what_authentication_can_answer(contract_pipeline: Pipeline) -> None:
    """The errors a dependency declares are documented wherever it runs, with the error body."""
    document = httpx.get(f"{contract_pipeline.url}/openapi.json", timeout=30).json()
    operations = {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    reader_only = operations[("GET", "/v1/account")]["responses"]
    assert {"200", "401", "403"} <= set(reader_only)
    error = reader_only["401"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorBody"}
    # An operator route: 401 without an operator's credential, 403 for a person who is none.
    assert {"401", "403"} <= set(operations[("POST", "/v1/admin/licences")]["responses"])
    assert "403" not in operations[("GET", "/v1/auth/me")]["responses"], "only what can happen"
    command = operations[("POST", "/v1/configurations")]["responses"]
    assert {"201", "202", "401", "403", "422", "503"} <= set(command)
    assert "Retry-After" in command["503"]["headers"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "fr", "en"}
