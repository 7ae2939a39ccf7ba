"""The `ero` command as a user runs it (a subprocess): it finds the pipeline it talks to, says
in one line what went wrong, and validates what it is given before doing anything."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import httpx
import orjson
import pytest

from infra.broker import free_port
from licences import Credentials
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until

NOWHERE = "http://127.0.0.1:9"  # no API answers there


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a command that failed as a user error (exit code 2)."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip()


def offline(tmp_path: Path) -> Pipeline:
    """The settings of a data dir no pipeline runs with, and an API URL nothing answers at."""
    return Pipeline(tmp_path / "var", ERO_API_URL=NOWHERE)


def dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def reports_of(pipeline: Pipeline, reader_token: str) -> list[dict[str, object]]:
    with pipeline.client(reader_token) as reader:
        answer = reader.get("/v1/reports", params={"limit": 500})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def wait_for_reports(pipeline: Pipeline, reader_token: str, count: int) -> None:
    wait_until(lambda: len(reports_of(pipeline, reader_token)) == count)


def operator(pipeline: Pipeline) -> httpx.Client:
    token = (pipeline.data_dir / "operator.token").read_text().strip()
    return pipeline.client(token)


# --- without a pipeline ---------------------------------------------------------------------


def test_the_bench_commands_left_the_ero_cli(tmp_path: Path) -> None:
    error = one_error_line(offline(tmp_path).ero("bench", "post"))
    assert "invalid choice: 'bench'" in error


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_a_blank_licence_name_is_one_line(tmp_path: Path, name: str) -> None:
    done = offline(tmp_path).ero("licence", "create", name)
    assert one_error_line(done) == "ero: error: a licence name must not be blank"
    assert not (tmp_path / "var").exists()


def test_a_licence_written_without_a_pipeline_says_where_it_went(tmp_path: Path) -> None:
    done = offline(tmp_path).ero("licence", "create", "offline shop", "--json")
    assert done.returncode == 0, done.stderr
    Credentials.model_validate_json(done.stdout)
    assert done.stderr.count("\n") == 1, done.stderr
    data_dir = str((tmp_path / "var").resolve())
    assert done.stderr.startswith(
        f"ero: no pipeline runs with data dir {data_dir} (no runtime.json"
    )
    assert "the licence was written there directly" in done.stderr
    assert "the pipeline started with this ERO_DATA_DIR will accept it" in done.stderr


def test_a_stale_runtime_file_is_named_as_such(tmp_path: Path) -> None:
    cli = offline(tmp_path)
    cli.data_dir.mkdir(parents=True)
    pid = dead_pid()
    stale = {"pid": pid, "api_url": NOWHERE, "kafka_bootstrap": "127.0.0.1:9"}
    (cli.data_dir / "runtime.json").write_bytes(orjson.dumps(stale))
    done = cli.ero("licence", "create", "after a crash", "--json")
    assert done.returncode == 0, done.stderr
    assert f"(stale runtime.json: pid {pid} is not running;" in done.stderr


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--licences", "-1"),
        ("--licences", "0"),
        ("--licences", "ten"),
        ("--connectors", "0"),
        ("--runs", "0"),
        ("--min-lines", "0"),
        ("--max-lines", "-5"),
        ("--pause", "-1"),
        ("--pause", "nan"),
        ("--rate", "0"),
    ],
)
def test_simulate_refuses_a_bad_number_in_one_line(tmp_path: Path, option: str, value: str) -> None:
    done = offline(tmp_path).ero("simulate", option, value)
    error = one_error_line(done)
    assert error.startswith(f"ero simulate: error: argument {option}: "), error
    assert done.stdout == ""


def test_simulate_refuses_min_lines_above_max_lines(tmp_path: Path) -> None:
    done = offline(tmp_path).ero("simulate", "--min-lines", "10", "--max-lines", "5")
    assert one_error_line(done) == "ero: error: need --min-lines <= --max-lines <= 10000"


def test_simulate_without_an_api_fails_fast_in_one_line(tmp_path: Path) -> None:
    started = time.monotonic()
    done = offline(tmp_path).ero("simulate", "--licences", "1")
    assert time.monotonic() - started < 10
    error = one_error_line(done)
    assert error.startswith(f"ero: error: no ERO API answers at {NOWHERE}: start `ero run`")
    assert done.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ("dlq", "list", "--licence", "notauuid"),
        ("dlq", "replay", "--all", "--licence", "notauuid"),
    ],
)
def test_a_licence_id_that_is_no_uuid_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    error = one_error_line(offline(tmp_path).ero(*command))
    assert error == (
        "ero: error: 'notauuid' is not a licence id (a UUID, as `ero licence create` prints)"
    )


@pytest.mark.pipeline
def test_a_licence_written_offline_is_accepted_by_the_pipeline_of_that_data_dir(
    tmp_path: Path,
) -> None:
    created = offline(tmp_path).ero("licence", "create", "before the start", "--json")
    assert created.returncode == 0, created.stderr
    licence = Credentials.model_validate_json(created.stdout)
    pipeline = Pipeline(tmp_path / "var").start()
    try:
        assert reports_of(pipeline, licence.reader_token) == []
    finally:
        assert pipeline.stop() == 0


@pytest.mark.pipeline
def test_the_pipeline_log_holds_no_terminal_escape_codes(tmp_path: Path) -> None:
    """`make run > file`: Faust's start-up spinner wrote a cursor code and a backspace."""
    pipeline = Pipeline(tmp_path / "var").start()
    try:
        licence = pipeline.demo_licence
        with pipeline.client(licence.connector_key) as connector:
            assert connector.post("/v1/events", json=[sync_line()]).status_code == 202
    finally:
        assert pipeline.stop() == 0
    log = pipeline.log.read_bytes()
    assert b"Uvicorn running" in log  # the log is the whole run's
    assert b"\x1b[" not in log
    assert b"\x08" not in log


# --- against the running pipeline -----------------------------------------------------------


@pytest.mark.pipeline
def test_licence_create_finds_the_pipeline_through_its_runtime_file(pipeline: Pipeline) -> None:
    # The configured port is wrong: the data dir's runtime file says where the API listens.
    done = pipeline.ero(
        "licence", "create", "found by runtime.json", "--json", ERO_API_PORT=str(free_port())
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    licence = Credentials.model_validate_json(done.stdout)
    assert reports_of(pipeline, licence.reader_token) == []


@pytest.mark.pipeline
@pytest.mark.parametrize("name", ["", "   "])
def test_the_operator_api_refuses_a_blank_licence_name(pipeline: Pipeline, name: str) -> None:
    with operator(pipeline) as client:
        answer = client.post("/v1/admin/licences", json={"name": name})
    assert answer.status_code == 422, answer.text


@pytest.mark.pipeline
def test_a_licence_name_is_stored_stripped(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("  padded shop  ")
    with operator(pipeline) as client:
        answer = client.post(
            f"/v1/admin/licences/{licence.licence_id}/status", json={"status": "active"}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "padded shop"


@pytest.mark.pipeline
@pytest.mark.parametrize("licence_id", ["123", "85382b0a-b5c0-4898-bf27-43207788cf88"])
def test_set_status_of_an_unknown_licence_says_what_to_check(
    pipeline: Pipeline, licence_id: str
) -> None:
    error = one_error_line(pipeline.ero("licence", "set-status", licence_id, "active"))
    assert error == (
        f"ero: error: the API at {pipeline.url} refused (404): no licence {licence_id!r}: "
        "check the licence id (ero licence create prints it)"
    )


@pytest.mark.pipeline
def test_other_routes_keep_their_not_found_message(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("not found elsewhere")
    unknown = str(uuid.uuid4())
    with pipeline.client(licence.reader_token) as reader:
        answer = reader.get(f"/v1/configurations/{unknown}")
    assert answer.status_code == 404
    assert answer.json()["detail"]["en"] == f"no configuration {unknown!r} in this licence"


SMALL_FLEET = ("--connectors", "1", "--runs", "1", "--min-lines", "3", "--max-lines", "3")


@pytest.mark.pipeline
def test_simulate_prints_the_licences_it_creates(pipeline: Pipeline) -> None:
    done = pipeline.ero("simulate", "--licences", "2", *SMALL_FLEET, "--pause", "0")
    assert done.returncode == 0, done.stderr
    created = [line.split() for line in done.stdout.splitlines() if line.startswith("created")]
    assert len(created) == 2, done.stdout
    for words in created:
        assert words[0:2] == ["created", "licence"]
        assert words[3] == "connector_key"
        assert words[5] == "reader_token"
        uuid.UUID(words[2])
        wait_for_reports(pipeline, words[6], 3)
    assert "lines sent     6 in" in done.stdout


@pytest.mark.pipeline
def test_simulate_json_gives_the_keys_and_the_figures(pipeline: Pipeline) -> None:
    done = pipeline.ero("simulate", "--licences", "1", *SMALL_FLEET, "--pause", "0", "--json")
    assert done.returncode == 0, done.stderr
    answer = orjson.loads(done.stdout)
    (licence,) = [Credentials.model_validate(item) for item in answer["licences"]]
    assert (answer["lines"], answer["accepted"], answer["rejected"]) == (3, 3, 0)
    wait_for_reports(pipeline, licence.reader_token, 3)


@pytest.mark.pipeline
def test_simulate_posts_into_existing_licences(pipeline: Pipeline) -> None:
    first = pipeline.create_licence("existing one")
    second = pipeline.create_licence("existing two")
    done = pipeline.ero(
        "simulate",
        "--connector-key",
        first.connector_key,
        "--connector-key",
        second.connector_key,
        *SMALL_FLEET,
        "--pause",
        "0",
    )
    assert done.returncode == 0, done.stderr
    assert "created licence" not in done.stdout
    assert "connectors     2 (2 existing licences)" in done.stdout
    for licence in (first, second):
        wait_for_reports(pipeline, licence.reader_token, 3)


@pytest.mark.pipeline
def test_simulate_with_an_unknown_connector_key_is_one_line(pipeline: Pipeline) -> None:
    done = pipeline.ero("simulate", "--connector-key", "not-a-key", *SMALL_FLEET, "--pause", "0")
    assert done.returncode == 2, done.stderr
    *progress, error = done.stderr.strip().splitlines()
    assert all(line.startswith("simulating: ") for line in progress if line), progress
    assert error == (
        f"ero: error: the API at {pipeline.url} refused a run (401): unknown key: check the key, "
        "or create a licence with `ero licence create NAME`"
    )


@pytest.mark.pipeline
def test_simulate_creates_or_reuses_licences_not_both(pipeline: Pipeline) -> None:
    done = pipeline.ero("simulate", "--licences", "2", "--connector-key", "k")
    assert one_error_line(done) == (
        "ero: error: --licences creates licences, --connector-key uses existing ones: not both"
    )


@pytest.mark.pipeline
def test_dlq_list_sizes_its_columns_to_their_content(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("wide connector")
    wide = "shop-" + "w" * 95
    with pipeline.client(licence.connector_key) as connector:
        answer = connector.post("/v1/events", json=[sync_line(connector_id=wide, message=None)])
    assert answer.status_code == 202, answer.text

    def listed() -> list[str] | None:
        done = pipeline.ero("dlq", "list", "--licence", licence.licence_id)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        return lines if len(lines) == 3 else None

    header, row, total = wait_until(listed)
    assert total.startswith("(1 shown;")
    cut = wide[:31] + "\u2026"
    assert f"  {cut}  " in row
    # Every column starts where its header does.
    for title, cell in (("CONNECTOR", cut), ("STATUS", "pending"), ("REASON", "message")):
        assert header.index(title) == row.index(cell), (header, row)
    # No column is padded wider than its widest cell.
    assert header.index("RECEIVED") == 36 + 2
    assert header.index("STATUS") - header.index("CONNECTOR") == len(cut) + 2


@pytest.mark.pipeline
def test_rebuild_needs_no_flag(pipeline: Pipeline) -> None:
    done = pipeline.ero("rebuild")
    assert done.returncode == 0, done.stderr
    assert "events from archive; kept" in done.stdout
