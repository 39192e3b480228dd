"""Checks of the suite's own machinery (harness.py); these need no Tollgate binary."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

import harness
from harness import GATEWAY_LISTENING, MOCK_LISTENING, ManagedProcess, StartupError


def python_child(tmp_path: Path, source: str) -> ManagedProcess:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(source))
    return ManagedProcess("child", [sys.executable, "-u", str(script)], env=harness.child_env({}), cwd=tmp_path)


# --- the listening lines --------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, url",
    [
        ("tollgate listening on http://127.0.0.1:4000", "http://127.0.0.1:4000"),
        ("tollgate listening on http://127.0.0.1:38127/", "http://127.0.0.1:38127"),
        ("tollgate listening on http://127.0.0.1:38127  ", "http://127.0.0.1:38127"),
    ],
)
def test_gateway_listening_line(line, url):
    match = GATEWAY_LISTENING.match(line)
    assert match and match["url"] == url


@pytest.mark.parametrize(
    "line",
    [
        "tollgate-mock listening on http://127.0.0.1:4000",
        '{"level":"INFO","message":"tollgate listening on http://127.0.0.1:4000"}',
        "tollgate listening on http://0.0.0.0:4000",
        "tollgate listening on http://127.0.0.1:",
    ],
)
def test_gateway_listening_line_rejects_others(line):
    assert GATEWAY_LISTENING.match(line) is None


def test_mock_listening_line():
    match = MOCK_LISTENING.match("tollgate-mock listening on http://127.0.0.1:41234")
    assert match and match["url"] == "http://127.0.0.1:41234" and match["port"] == "41234"
    assert MOCK_LISTENING.match("tollgate listening on http://127.0.0.1:41234") is None


# --- the fakes' contract --------------------------------------------------------------------


def test_contract_helpers():
    assert harness.echo_reply("hello there") == "echo: hello there"
    assert harness.word_count(harness.echo_reply("hello there")) == 3
    assert harness.word_count("Be  brief.\n", "hello there") == 4
    assert harness.tool_reply("sunny") == "tool said: sunny"
    assert harness.tool_arguments("weather in Oslo") == {"input": "weather in Oslo"}


def test_model_lists_agree():
    assert set(harness.MODELS_WITH_N) <= set(harness.CHAT_MODELS)
    assert len(set(harness.ALL_MODEL_NAMES)) == len(harness.ALL_MODEL_NAMES)
    configured = [entry["name"] for entry in harness.gateway_config("http://127.0.0.1:1", Path("/x.db"))["models"]]
    assert sorted(configured) == sorted(harness.ALL_MODEL_NAMES)


# --- the config -----------------------------------------------------------------------------


def test_config_yaml(tmp_path):
    text = harness.render_config_yaml(harness.gateway_config("http://127.0.0.1:5555/", tmp_path / "tollgate.db"))
    lines = text.splitlines()

    assert 'server: {host: "127.0.0.1", port: 0}' in lines
    assert f'storage: {{url: "sqlite://{tmp_path}/tollgate.db"}}' in lines
    assert "providers:" in lines and "models:" in lines
    expected_providers = [
        '  fake-openai: {kind: "openai", base_url: "http://127.0.0.1:5555/openai/v1", api_key: "mock-key"}',
        '  fake-openrouter: {kind: "openrouter", base_url: "http://127.0.0.1:5555/openrouter/api/v1", api_key: "mock-key"}',
        '  fake-azure: {kind: "azure", base_url: "http://127.0.0.1:5555/azure", api_key: "mock-key", api_version: "2024-10-21"}',
        '  fake-anthropic: {kind: "anthropic", base_url: "http://127.0.0.1:5555/anthropic", api_key: "mock-key"}',
        '  fake-gemini: {kind: "gemini", base_url: "http://127.0.0.1:5555/gemini/v1beta", api_key: "mock-key"}',
        '  builtin: {kind: "mock"}',
    ]
    for line in expected_providers:
        assert line in lines
    assert '  - {name: "gpt-upstream", deployments: [{provider: "fake-openai", model: "gpt-4o-mini"}]}' in lines
    assert (
        '  - {name: "embed-gemini", kind: "embedding", deployments: [{provider: "fake-gemini", model: "text-embedding-004"}]}'
        in lines
    )
    assert '  - {name: "limited-upstream", deployments: [{provider: "fake-anthropic", model: "fail-429"}]}' in lines
    # Only the sections the contract names: the gateway rejects unknown keys.
    top_level = [line.split(":")[0] for line in lines if line and not line.startswith((" ", "#"))]
    assert top_level == ["server", "storage", "providers", "models"]


def test_config_yaml_reads_back_as_the_config(tmp_path):
    config = harness.gateway_config("http://127.0.0.1:5555", tmp_path / "tollgate.db")

    assert yaml.safe_load(harness.render_config_yaml(config)) == config


def test_yaml_scalars_cannot_change_type():
    assert harness._yaml_scalar("0") == '"0"'
    assert harness._yaml_scalar("yes") == '"yes"'
    assert harness._yaml_scalar('a "quoted" \\ value') == '"a \\"quoted\\" \\\\ value"'
    assert harness._yaml_scalar(0) == "0"
    assert harness._yaml_scalar(True) == "true"
    with pytest.raises(TypeError):
        harness._yaml_scalar(1.5)


# --- environment ----------------------------------------------------------------------------


def test_child_env_drops_provider_and_sdk_settings(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://elsewhere")
    monkeypatch.setenv("GEMINI_API_KEY", "g")
    monkeypatch.setenv("PATH_LIKE_KEEP", "kept")

    env = harness.child_env({"TOLLGATE_MASTER_KEY": "tg-master-e2e"})

    assert "OPENAI_API_KEY" not in env and "ANTHROPIC_BASE_URL" not in env and "GEMINI_API_KEY" not in env
    assert env["PATH_LIKE_KEEP"] == "kept"
    assert env["TOLLGATE_MASTER_KEY"] == "tg-master-e2e"


def test_scrub_sdk_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "https://elsewhere/v1")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "t")
    monkeypatch.setenv("NO_PROXY", "example.com")
    monkeypatch.delenv("no_proxy", raising=False)

    harness.scrub_sdk_environment()

    import os

    assert "OPENAI_BASE_URL" not in os.environ and "ANTHROPIC_AUTH_TOKEN" not in os.environ
    assert os.environ["NO_PROXY"].split(",") == ["example.com", "127.0.0.1", "localhost"]
    assert os.environ["no_proxy"].split(",") == ["127.0.0.1", "localhost"]


def test_resolve_binary(tmp_path, monkeypatch):
    monkeypatch.setenv("TOLLGATE_E2E_TEST_BIN", str(tmp_path / "missing"))
    with pytest.raises(StartupError, match="cargo build -p tollgate -p tollgate-mock"):
        harness.resolve_binary("TOLLGATE_E2E_TEST_BIN", tmp_path / "default")

    not_executable = tmp_path / "plain"
    not_executable.write_text("")
    monkeypatch.setenv("TOLLGATE_E2E_TEST_BIN", str(not_executable))
    with pytest.raises(StartupError, match="not executable"):
        harness.resolve_binary("TOLLGATE_E2E_TEST_BIN", tmp_path / "default")

    monkeypatch.delenv("TOLLGATE_E2E_TEST_BIN")
    assert harness.resolve_binary("TOLLGATE_E2E_TEST_BIN", Path(sys.executable)) == Path(sys.executable)


# --- child processes ------------------------------------------------------------------------


def test_process_line_is_found_and_output_kept(tmp_path):
    child = python_child(
        tmp_path,
        """
        import sys, time
        print("\\x1b[2m2026-01-01\\x1b[0m \\x1b[32m INFO\\x1b[0m warming up", file=sys.stderr)
        print('{"level":"INFO","msg":"starting"}')
        print("tollgate listening on http://127.0.0.1:4321")
        time.sleep(60)
        """,
    )
    try:
        match = child.wait_for_line(GATEWAY_LISTENING, timeout=10, expected="the listening line")
        assert match["url"] == "http://127.0.0.1:4321"
        deadline = time.monotonic() + 5
        while "warming up" not in child.output() and time.monotonic() < deadline:
            time.sleep(0.01)
        output = child.output()
        assert "[stderr] 2026-01-01  INFO warming up" in output, "colour codes are stripped"
        assert "[stdout] tollgate listening" in output
        mark = child.mark()
        assert child.output(since=mark) == "(no output)"
    finally:
        child.stop(grace=5)
    assert child.exit_code is not None


def test_process_exiting_early_is_a_startup_error_with_its_output(tmp_path):
    child = python_child(
        tmp_path,
        """
        import sys
        print("error: config line 3: unknown key `provders`", file=sys.stderr)
        sys.exit(2)
        """,
    )
    with pytest.raises(StartupError) as caught:
        child.wait_for_line(GATEWAY_LISTENING, timeout=10, expected="the listening line")
    message = str(caught.value)
    assert "exited (code 2)" in message
    assert "unknown key `provders`" in message
    child.stop()


def test_process_silent_too_long_is_a_startup_error(tmp_path):
    child = python_child(tmp_path, "import time; print('still booting'); time.sleep(60)\n")
    try:
        started = time.monotonic()
        with pytest.raises(StartupError, match="the listening line.* within 1 s") as caught:
            child.wait_for_line(GATEWAY_LISTENING, timeout=1, expected="the listening line")
        assert time.monotonic() - started < 5
        assert "still booting" in str(caught.value)
    finally:
        child.stop()


def test_stop_kills_a_process_that_ignores_sigterm(tmp_path):
    child = python_child(
        tmp_path,
        """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("tollgate listening on http://127.0.0.1:1")
        time.sleep(60)
        """,
    )
    child.wait_for_line(GATEWAY_LISTENING, timeout=10, expected="the listening line")
    started = time.monotonic()
    child.stop(grace=0.5)
    assert child.exit_code == -9
    assert time.monotonic() - started < 5


def test_output_is_bounded(tmp_path):
    child = python_child(tmp_path, "for i in range(500): print(f'line {i}')\n")
    child.proc.wait(timeout=10)
    child.stop()
    text = child.output(max_lines=10)
    assert "(490 earlier lines not shown)" in text
    assert "[stdout] line 499" in text and "line 489" not in text
    assert "exited with code 0" in text


# --- readiness polling ----------------------------------------------------------------------


class _Alive:
    name = "fake"
    exit_code = None

    def output(self) -> str:
        return "(fake output)"


def test_wait_until_ready_polls_until_200():
    statuses = iter([None, None, 503, 200])
    harness.wait_until_ready(lambda: next(statuses), _Alive(), timeout=5, what="ready", interval=0)


def test_wait_until_ready_gives_up_with_the_last_status():
    with pytest.raises(StartupError, match="last status 503"):
        harness.wait_until_ready(lambda: 503, _Alive(), timeout=0.2, what="ready", interval=0.01)


def test_wait_until_ready_notices_a_dead_process():
    class Dead(_Alive):
        exit_code = 101

    with pytest.raises(StartupError, match="exited while waiting"):
        harness.wait_until_ready(lambda: None, Dead(), timeout=5, what="ready")
