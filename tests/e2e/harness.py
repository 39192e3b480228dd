"""What the end-to-end fixtures are made of: the contract with the binaries and the fake providers,
the gateway's config, and child processes whose output is kept for failure reports.

Nothing here starts anything by itself; conftest.py wires it into pytest fixtures, and
test_harness.py checks it without any binary.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO_ROOT = Path(__file__).resolve().parents[2]

MASTER_KEY = "tg-master-e2e"
MOCK_API_KEY = "mock-key"

# The lines each binary prints on stdout once its socket is bound (design.md §4, the e2e brief).
GATEWAY_LISTENING = re.compile(r"^tollgate listening on (?P<url>http://127\.0\.0\.1:(?P<port>\d+))/?\s*$")
MOCK_LISTENING = re.compile(r"^tollgate-mock listening on (?P<url>http://127\.0\.0\.1:(?P<port>\d+))/?\s*$")
GATEWAY_LISTENING_TEXT = "tollgate listening on http://127.0.0.1:PORT"
MOCK_LISTENING_TEXT = "tollgate-mock listening on http://127.0.0.1:PORT"

STARTUP_TIMEOUT_S = 30.0

# Public model names of the config below. The fake providers answer deterministically; the
# gateway's own built-in `mock` provider does not say the same words, so tests only check that its
# answers are well formed.
FAKE_UPSTREAM_CHAT_MODELS = [
    "gpt-upstream",
    "router-upstream",
    "azure-upstream",
    "claude-upstream",
    "gemini-upstream",
]
BUILTIN_MOCK_MODEL = "mock"
CHAT_MODELS = FAKE_UPSTREAM_CHAT_MODELS + [BUILTIN_MOCK_MODEL]
# Providers whose own API can return several choices (`n`): OpenAI, Azure, Gemini (candidateCount).
MODELS_WITH_N = ["gpt-upstream", "azure-upstream", "gemini-upstream"]
EMBEDDING_MODELS = ["embed-openai", "embed-gemini"]
FAILING_MODELS = ["broken-upstream", "limited-upstream", "badkey-upstream"]
ALL_MODEL_NAMES = CHAT_MODELS + EMBEDDING_MODELS + FAILING_MODELS

# Environment variables that would change what the gateway or the SDKs do behind the suite's
# back: provider keys the gateway may pick up, and the SDKs' own base URL / key / org settings.
_LEAKY_ENV_PREFIXES = ("OPENAI_", "ANTHROPIC_", "GEMINI_", "GOOGLE_API_KEY", "OPENROUTER_", "AZURE_OPENAI_")


def is_fake_upstream(model: str) -> bool:
    return model in FAKE_UPSTREAM_CHAT_MODELS


# ---------------------------------------------------------------------------------------------
# The fake providers' contract (tollgate-mock)


def word_count(*texts: str) -> int:
    """Tokens as the fake providers count them: whitespace-separated words."""
    return sum(len(text.split()) for text in texts)


def echo_reply(last_user_text: str) -> str:
    return "echo: " + last_user_text


def tool_reply(tool_result: str) -> str:
    return "tool said: " + tool_result


def tool_arguments(last_user_text: str) -> dict:
    return {"input": last_user_text}


# ---------------------------------------------------------------------------------------------
# The gateway's config


def _yaml_scalar(value: object) -> str:
    """A YAML scalar for a str/int/bool. Strings are written as JSON strings, which YAML reads
    unchanged, so no value can turn into a number, a bool or a `${VAR}` surprise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"no YAML form for {value!r}")


def _yaml_flow(mapping: dict) -> str:
    return "{" + ", ".join(f"{key}: {_yaml_scalar(value)}" for key, value in mapping.items()) + "}"


def gateway_config(mock_url: str, db_path: Path) -> dict:
    """The gateway's config as data: every provider points at one flavour of tollgate-mock, with
    the base URL that provider's own SDK would take (design.md §4.1)."""
    mock_url = mock_url.rstrip("/")

    def fake(kind: str, path: str, **extra: str) -> dict:
        return {"kind": kind, "base_url": f"{mock_url}{path}", "api_key": MOCK_API_KEY, **extra}

    def model(name: str, provider: str, upstream: str, kind: str | None = None) -> dict:
        entry: dict = {"name": name}
        if kind:
            entry["kind"] = kind
        entry["deployments"] = [{"provider": provider, "model": upstream}]
        return entry

    return {
        "server": {"host": "127.0.0.1", "port": 0},
        "storage": {"url": f"sqlite://{db_path}"},
        "providers": {
            "fake-openai": fake("openai", "/openai/v1"),
            "fake-openrouter": fake("openrouter", "/openrouter/api/v1"),
            "fake-azure": fake("azure", "/azure", api_version="2024-10-21"),
            "fake-anthropic": fake("anthropic", "/anthropic"),
            "fake-gemini": fake("gemini", "/gemini/v1beta"),
            "builtin": {"kind": "mock"},
        },
        "models": [
            model("gpt-upstream", "fake-openai", "gpt-4o-mini"),
            model("router-upstream", "fake-openrouter", "openai/gpt-4o-mini"),
            model("azure-upstream", "fake-azure", "my-gpt-deployment"),
            model("claude-upstream", "fake-anthropic", "claude-sonnet-4-5"),
            model("gemini-upstream", "fake-gemini", "gemini-2.5-flash"),
            model("mock", "builtin", "mock-1"),
            model("embed-openai", "fake-openai", "text-embedding-3-small", kind="embedding"),
            model("embed-gemini", "fake-gemini", "text-embedding-004", kind="embedding"),
            model("broken-upstream", "fake-openai", "fail-500"),
            model("limited-upstream", "fake-anthropic", "fail-429"),
            model("badkey-upstream", "fake-openai", "fail-401"),
        ],
    }


def render_config_yaml(config: dict) -> str:
    """Block YAML for gateway_config(): top-level sections, one line per provider and per model."""
    lines = ["# Written by tests/e2e/conftest.py for one test session."]
    lines.append(f"server: {_yaml_flow(config['server'])}")
    lines.append(f"storage: {_yaml_flow(config['storage'])}")
    lines.append("providers:")
    for name, provider in config["providers"].items():
        lines.append(f"  {name}: {_yaml_flow(provider)}")
    lines.append("models:")
    for entry in config["models"]:
        head = {key: value for key, value in entry.items() if key != "deployments"}
        deployments = ", ".join(_yaml_flow(d) for d in entry["deployments"])
        inner = ", ".join(f"{key}: {_yaml_scalar(value)}" for key, value in head.items())
        lines.append(f"  - {{{inner}, deployments: [{deployments}]}}")
    return "\n".join(lines) + "\n"


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment for a child process: ours without provider keys and SDK settings, plus extra."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_LEAKY_ENV_PREFIXES)}
    env.update(extra)
    return env


def scrub_sdk_environment() -> None:
    """Keep a developer's OPENAI_BASE_URL / ANTHROPIC_AUTH_TOKEN etc. away from the SDK clients,
    and keep loopback traffic off any HTTP proxy."""
    for key in list(os.environ):
        if key.startswith(_LEAKY_ENV_PREFIXES):
            del os.environ[key]
    for key in ("NO_PROXY", "no_proxy"):
        current = [part for part in os.environ.get(key, "").split(",") if part]
        for host in ("127.0.0.1", "localhost"):
            if host not in current:
                current.append(host)
        os.environ[key] = ",".join(current)


# ---------------------------------------------------------------------------------------------
# Child processes


class StartupError(Exception):
    """A binary did not come up; the message carries everything it printed."""


def _load_prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Looked up here, in the parent: the pre-exec hook below runs between fork and exec, where loading
# a library could deadlock on a lock another thread held at fork time.
_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: ask Linux to SIGTERM it if pytest itself dies, so a killed
    test run leaves no gateway behind. Best effort."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


# Colour codes, in case a logger colours its output even when it is not a terminal.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class OutputLine:
    stream: str  # "stdout" | "stderr"
    text: str


class ManagedProcess:
    """A child process whose stdout and stderr are drained by threads (so it never blocks on a
    full pipe) and kept, for failure messages. Stdout lines are also queued for wait_for_line."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.argv = argv
        self._lines: list[OutputLine] = []
        self._lock = threading.Lock()
        self._stdout_queue: queue.Queue[str | None] = queue.Queue()
        self._queue_stdout = True  # until wait_for_line has found its line
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=cwd,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                preexec_fn=_die_with_parent if _PRCTL is not None else None,
            )
        except OSError as error:
            raise StartupError(f"{name}: could not run {argv[0]}: {error}") from error
        self._readers = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, "stderr"), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _drain(self, stream, label: str) -> None:
        for raw in stream:
            line = _ANSI_ESCAPE.sub("", raw.rstrip("\r\n"))
            with self._lock:
                self._lines.append(OutputLine(label, line))
            if label == "stdout" and self._queue_stdout:
                self._stdout_queue.put(line)
        if label == "stdout":
            self._stdout_queue.put(None)  # end of output: the process closed stdout or exited

    @property
    def exit_code(self) -> int | None:
        return self.proc.poll()

    def mark(self) -> int:
        """A position in the output, to show later only what came after it."""
        with self._lock:
            return len(self._lines)

    def output(self, since: int = 0, max_lines: int = 200) -> str:
        with self._lock:
            lines = self._lines[since:]
        skipped = max(0, len(lines) - max_lines)
        shown = lines[skipped:]
        text = "\n".join(f"[{line.stream}] {line.text}" for line in shown)
        if skipped:
            text = f"... ({skipped} earlier lines not shown)\n" + text
        status = self.exit_code
        if status is not None:
            text += f"\n[{self.name} exited with code {status}]"
        return text or "(no output)"

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float, expected: str) -> re.Match[str]:
        """Read stdout lines until one matches; fail with the whole output on exit or timeout.
        `expected` says in words what line is awaited, for the failure message."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StartupError(
                    f"{self.name} did not print its line {expected!r} on stdout within {timeout:.0f} s.\n"
                    f"command: {' '.join(self.argv)}\noutput so far:\n{self.output()}"
                )
            try:
                line = self._stdout_queue.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise StartupError(
                    f"{self.name} exited (code {self.exit_code}) before printing its line {expected!r}.\n"
                    f"command: {' '.join(self.argv)}\noutput:\n{self.output()}"
                )
            match = pattern.match(line)
            if match:
                self._queue_stdout = False
                return match

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it is still running after `grace` seconds."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=grace)
        for reader in self._readers:
            reader.join(timeout=2)


def wait_until_ready(
    get_status: Callable[[], int | None],
    process: ManagedProcess,
    timeout: float,
    what: str,
    interval: float = 0.05,
) -> None:
    """Poll get_status() (an HTTP status, or None when the connection failed) until it is 200."""
    deadline = time.monotonic() + timeout
    last: int | None = None
    while True:
        if process.exit_code is not None:
            raise StartupError(f"{process.name} exited while waiting for {what}.\noutput:\n{process.output()}")
        last = get_status()
        if last == 200:
            return
        if time.monotonic() >= deadline:
            seen = "no connection" if last is None else f"last status {last}"
            raise StartupError(
                f"{what} did not answer 200 within {timeout:.0f} s ({seen}).\noutput:\n{process.output()}"
            )
        time.sleep(interval)


def resolve_binary(env_var: str, default: Path) -> Path:
    """The binary named by env_var (or the default build path); StartupError if it is not there."""
    path = Path(os.environ.get(env_var) or default)
    if not path.is_file() or not os.access(path, os.X_OK):
        origin = f"from ${env_var}" if os.environ.get(env_var) else f"the default; set ${env_var} to use another"
        raise StartupError(
            f"{path} is missing or not executable ({origin}).\n"
            "Build the binaries first: cargo build -p tollgate -p tollgate-mock"
        )
    return path
