"""Session fixtures: start tollgate-mock (the fake providers), write a config that points every
provider kind at it, start `tollgate serve` on a free port, and hand tests SDK clients.

The binaries come from $TOLLGATE_BIN and $TOLLGATE_MOCK_BIN, by default <repo>/target/debug/.
A missing binary or a gateway that does not come up fails the tests that need it (never skips),
with everything the processes printed. A failing test's report also shows what the gateway and the
mock printed while it ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import anthropic
import httpx
import openai
import pytest

import harness
from harness import MASTER_KEY, ManagedProcess, StartupError

harness.scrub_sdk_environment()

# Every process this session started, for failure reports. Filled by the fixtures below.
_PROCESSES: list[ManagedProcess] = []
_OUTPUT_MARK = pytest.StashKey[dict]()

# Generous for a local call, short enough that a hung stream fails the test instead of the run.
CLIENT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class FakeProviders:
    url: str  # http://127.0.0.1:PORT, the root under which /openai/v1, /anthropic, ... live
    process: ManagedProcess


@dataclass(frozen=True)
class Gateway:
    url: str  # http://127.0.0.1:PORT
    process: ManagedProcess
    config_path: Path


class _Startup:
    """Starts the binaries once per session. A startup failure is kept rather than raised, so
    that the first test needing the gateway fails with the whole story and the rest fail with one
    line instead of repeating it (pytest would re-raise a failed session fixture's error verbatim
    in every test)."""

    def __init__(self, tmp_path_factory) -> None:
        self._tmp = tmp_path_factory
        self.fake_providers: FakeProviders | None = None
        self.gateway: Gateway | None = None
        self.error: str | None = None
        self._reported = False
        self._clients: dict = {}

    def start(self) -> None:
        try:
            gateway_bin = harness.resolve_binary("TOLLGATE_BIN", harness.REPO_ROOT / "target/debug/tollgate")
            mock_bin = harness.resolve_binary("TOLLGATE_MOCK_BIN", harness.REPO_ROOT / "target/debug/tollgate-mock")
            self.fake_providers = self._start_fake_providers(mock_bin)
            self.gateway = self._start_gateway(gateway_bin, self.fake_providers.url)
        except StartupError as error:
            self.error = str(error)

    def _start_fake_providers(self, mock_bin: Path) -> FakeProviders:
        argv = [str(mock_bin), "--port", "0", "--api-key", harness.MOCK_API_KEY]
        process = _start("tollgate-mock", argv, {"RUST_BACKTRACE": "1"}, self._tmp.mktemp("tollgate-mock"))
        match = process.wait_for_line(harness.MOCK_LISTENING, harness.STARTUP_TIMEOUT_S, harness.MOCK_LISTENING_TEXT)
        return FakeProviders(url=match["url"], process=process)

    def _start_gateway(self, gateway_bin: Path, mock_url: str) -> Gateway:
        workdir = self._tmp.mktemp("tollgate")
        config_path = workdir / "tollgate.yaml"
        config = harness.gateway_config(mock_url, workdir / "tollgate.db")
        config_path.write_text(harness.render_config_yaml(config), encoding="utf-8")
        argv = [str(gateway_bin), "serve", "--config", str(config_path)]
        env = {"TOLLGATE_MASTER_KEY": MASTER_KEY, "RUST_BACKTRACE": "1", "NO_COLOR": "1"}
        # cwd is the temp dir, so anything the gateway writes relative to it stays there.
        process = _start("tollgate", argv, env, workdir)
        try:
            match = process.wait_for_line(
                harness.GATEWAY_LISTENING, harness.STARTUP_TIMEOUT_S, harness.GATEWAY_LISTENING_TEXT
            )
            url = match["url"]
            with httpx.Client(timeout=2.0, trust_env=False) as client:

                def ready_status() -> int | None:
                    try:
                        return client.get(f"{url}/health/ready").status_code
                    except httpx.TransportError:
                        return None

                harness.wait_until_ready(ready_status, process, harness.STARTUP_TIMEOUT_S, f"GET {url}/health/ready")
        except StartupError as error:
            raise StartupError(
                f"{error}\n\nconfig given to tollgate ({config_path}):\n{config_path.read_text()}"
            ) from error
        return Gateway(url=url, process=process, config_path=config_path)

    def require(self) -> Gateway:
        if self.error is not None:
            if self._reported:
                pytest.fail(
                    "tollgate or tollgate-mock did not start; see the first failing test for why", pytrace=False
                )
            self._reported = True
            pytest.fail(self.error, pytrace=False)
        assert self.gateway is not None
        return self.gateway

    def client(self, name: str, make):
        """One client of each kind per session, closed at the end (keeps connections pooled)."""
        if name not in self._clients:
            self._clients[name] = make()
        return self._clients[name]

    def stop(self) -> None:
        for client in self._clients.values():
            client.close()
        for process in reversed(_PROCESSES):
            process.stop()


def _start(name: str, argv: list[str], env: dict[str, str], cwd: Path) -> ManagedProcess:
    process = ManagedProcess(name, argv, env=harness.child_env(env), cwd=cwd)
    _PROCESSES.append(process)
    return process


@pytest.fixture(scope="session")
def _startup(tmp_path_factory) -> Iterator[_Startup]:
    startup = _Startup(tmp_path_factory)
    startup.start()
    yield startup
    startup.stop()


@pytest.fixture
def gateway(_startup) -> Gateway:
    return _startup.require()


@pytest.fixture
def fake_providers(_startup) -> FakeProviders:
    _startup.require()
    assert _startup.fake_providers is not None
    return _startup.fake_providers


@pytest.fixture
def gw(gateway) -> str:
    """The gateway's root URL, http://127.0.0.1:PORT."""
    return gateway.url


def _openai_client(startup: _Startup, gw: str) -> openai.OpenAI:
    return startup.client(
        "openai",
        lambda: openai.OpenAI(base_url=f"{gw}/v1", api_key=MASTER_KEY, max_retries=0, timeout=CLIENT_TIMEOUT_S),
    )


@pytest.fixture
def openai_client(gw, _startup) -> openai.OpenAI:
    return _openai_client(_startup, gw)


@pytest.fixture
def anthropic_client(gw, _startup) -> anthropic.Anthropic:
    return _startup.client(
        "anthropic",
        lambda: anthropic.Anthropic(base_url=gw, api_key=MASTER_KEY, max_retries=0, timeout=CLIENT_TIMEOUT_S),
    )


@pytest.fixture
def http(gw, _startup) -> httpx.Client:
    """A plain HTTP client on the gateway, authenticated as the master key, for raw wire checks."""
    return _startup.client(
        "http",
        lambda: httpx.Client(
            base_url=gw,
            headers={"Authorization": f"Bearer {MASTER_KEY}"},
            timeout=CLIENT_TIMEOUT_S,
            trust_env=False,
        ),
    )


@pytest.fixture
def mock_http(fake_providers, _startup) -> httpx.Client:
    """A plain HTTP client on the fake providers themselves, to learn what an upstream says."""
    return _startup.client(
        "mock_http",
        lambda: httpx.Client(base_url=fake_providers.url, timeout=CLIENT_TIMEOUT_S, trust_env=False),
    )


@pytest.fixture(scope="session")
def first_broken_upstream_error(_startup) -> openai.APIStatusError | None:
    """The OpenAI SDK's error for the session's FIRST call to broken-upstream. Later calls may
    meet the deployment in cooldown, where the gateway may not reach the upstream at all; tests
    that check the upstream's own message is kept use this one, and every test calling
    broken-upstream requests it so that it is made first."""
    if _startup.error is not None:
        return None
    client = _openai_client(_startup, _startup.require().url)
    try:
        client.chat.completions.create(model="broken-upstream", messages=[{"role": "user", "content": "hello there"}])
    except openai.APIStatusError as error:
        return error
    return None


# --- failure reports: show what the processes printed while the failing test ran -------------


@pytest.fixture(autouse=True)
def _remember_output_position(request) -> None:
    request.node.stash[_OUTPUT_MARK] = {id(process): process.mark() for process in _PROCESSES}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # Startup failures already carry the processes' whole output in their message.
    if report.when != "call" or not report.failed or not _PROCESSES:
        return
    marks = item.stash.get(_OUTPUT_MARK, {})
    for process in _PROCESSES:
        # A process started during this test (the first test's setup) shows all of its output.
        since = marks.get(id(process), 0)
        report.sections.append((f"{process.name} output during this test", process.output(since, max_lines=150)))
