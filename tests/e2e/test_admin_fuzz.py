"""Property-based fuzzing of the admin API against its own OpenAPI document (issue 4: "schemathesis
run against /admin/v1/openapi.json finds no 5xx").

schemathesis reads `GET /admin/v1/openapi.json` from the running gateway and, for every operation
in it, generates requests from the schema: valid ones (positive mode) and ones that break it
(negative mode: wrong types, missing or unknown fields, out-of-range numbers, odd strings in
paths and queries). Each is sent with the master key, and the only property asserted is
`not_a_server_error`: whatever comes in, the admin API answers 2xx/4xx, never 5xx. (Schema
conformance of the answers is a separate question, deliberately not asked here.)

Generated path ids are random strings and would almost always be unknown (404), leaving the
handlers past the lookup unexercised; so about half of them are swapped for the id of a real
object of the right kind (an org with a team, a user and a key, made afresh for each
operation), and so are owner ids in queries and bodies (`org_id`, `team_id`, `user_id`,
`key_id`). The swap is a function of the generated value, so a failing example replays the same.

Everything it creates lives in organizations of its own; `POST /admin/v1/config/reload` re-reads
the session's own config file. So the other tests of the session see no difference.

Bounded: EXAMPLES_PER_MODE per operation and mode (about 20 s for the whole file).
"""

from __future__ import annotations

import os
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from harness import MASTER_KEY

# Per operation: this many valid requests and this many invalid ones. TOLLGATE_FUZZ_EXAMPLES
# raises it for a longer hunt by hand.
EXAMPLES_PER_MODE = int(os.environ.get("TOLLGATE_FUZZ_EXAMPLES", "25"))
AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}


@dataclass(frozen=True)
class Seeded:
    """Real objects for generated ids to hit: an org with a team, a user and a key in it."""

    org: str
    team: str
    user: str
    key: str

    def id_for(self, path: str) -> str | None:
        """The real id of the kind `path`'s `{id}` names."""
        for prefix, value in (
            ("/admin/v1/organizations/", self.org),
            ("/admin/v1/teams/", self.team),
            ("/admin/v1/users/", self.user),
            ("/admin/v1/keys/", self.key),
        ):
            if path.startswith(prefix):
                return value
        return None


@pytest.fixture(scope="session")
def admin_http(_startup) -> Iterator[httpx.Client]:
    """The master key's plain client, for seeding."""
    url = _startup.require().url
    with httpx.Client(base_url=url, headers=AUTH, timeout=10.0, trust_env=False) as client:
        yield client


def seed(client: httpx.Client, name: str) -> Seeded:
    """Fresh real objects, one set per operation, so that one operation's deletes and revokes do
    not leave the next with nothing real to hit."""

    def create(path: str, body: dict) -> str:
        reply = client.post(path, json=body)
        assert reply.status_code == 201, f"seeding: POST {path} {body}: {reply.status_code} {reply.text}"
        return reply.json()["id"]

    org = create("/admin/v1/organizations", {"name": f"fuzz {name}"})
    team = create("/admin/v1/teams", {"org_id": org, "name": "seed team"})
    user = create("/admin/v1/users", {"team_id": team, "email": "seed@fuzz.example", "role": "team_admin"})
    key = create("/admin/v1/keys", {"name": "seed key", "team_id": team, "user_id": user})
    return Seeded(org=org, team=team, user=user, key=key)


def _heads(value: object) -> bool:
    """A stable coin flip on a generated value (Python's own hash() is salted per process)."""
    return zlib.crc32(repr(value).encode()) % 2 == 0


def aim_at_real_objects(case, seeded: Seeded) -> None:
    """Swap about half of the generated ids for real ones (see the module docstring)."""
    path_parameters = case.path_parameters or {}
    if "id" in path_parameters and _heads(path_parameters["id"]):
        real = seeded.id_for(case.operation.path)
        if real is not None:
            path_parameters["id"] = real
    # Owner ids in queries (list filters, usage, budgets/explain) and in bodies (creates, a
    # user's team).
    real = {"org_id": seeded.org, "team_id": seeded.team, "user_id": seeded.user, "key_id": seeded.key}
    for fields in (case.query, case.body):
        if not isinstance(fields, dict):
            continue
        for name, value in real.items():
            if name in fields and _heads(fields[name]):
                fields[name] = value


def fuzz(operation, mode: GenerationMode, gw: str, seeded: Seeded, statuses: Counter) -> None:
    """Sends up to EXAMPLES_PER_MODE generated requests of `mode` to `operation`, counting their
    statuses; raises on the first (shrunk) 5xx."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        database=None,  # no .hypothesis/ directory left in the repo
        # Slow or heavily filtered generation is not a finding here.
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        aim_at_real_objects(case, seeded)
        response = case.call(base_url=gw, headers=AUTH, timeout=10)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    run()


def test_admin_api_never_answers_5xx(gw, admin_http):
    # The document is fetched from the running gateway, so the operations fuzzed are exactly
    # the ones it serves. (schemathesis's own pytest loader, `from_fixture`, trips over pytest 9
    # internals; driving Hypothesis directly needs no plugin.)
    schema = schemathesis.openapi.from_url(f"{gw}/admin/v1/openapi.json", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 29, [op.label for op in operations]
    failures: list[str] = []
    tallies: dict[str, Counter] = {}
    for operation in operations:
        statuses = tallies.setdefault(operation.label, Counter())
        seeded = seed(admin_http, operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, gw, seeded, statuses)
            except Unsatisfiable:
                # Nothing to break (no parameters and no body): the positive run covered it.
                continue
            except Exception as error:  # a 5xx (schemathesis's failure), or a transport error
                failures.append(f"{operation.label} [{mode.value}]:\n{error}")
    sent = sum(sum(statuses.values()) for statuses in tallies.values())
    print(f"\nadmin API fuzz: {len(operations)} operations, {sent} requests, {len(failures)} failing")
    for label, statuses in tallies.items():
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    assert not failures, f"{len(failures)} operations answered 5xx:\n\n" + "\n\n".join(failures)
