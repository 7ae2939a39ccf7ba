"""What signing in costs: the password hash against argon2-cffi's default profile, the password
policy's estimate, and sign-ins through the running pipeline, with the throttle's figures.

The account is made as a merchant's is: an operator attaches a new licence to a new e-mail, and
the create-password link is read from the outbox (the pipeline must send no SMTP mail).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
from argon2 import PasswordHasher, profiles

from accounts.password_policy import Owner, failed_rules
from accounts.passwords import HASHER
from infra.mail import Outbox

PASSWORD = "les cerises de juillet sont mûres"
_LINK = re.compile(r"#/mot-de-passe\?jeton=([A-Za-z0-9_-]+)")


def _millis(call: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True)
class SignInFigures:
    ours_ms: list[float]
    rfc_ms: list[float]
    policy_ms: dict[int, list[float]]
    login_ms: list[float]
    concurrent_ms: list[float]
    concurrency: int
    wrong_ms: list[float]
    throttled_after: int
    retry_after: int

    def table(self) -> str:
        def row(name: str, times: list[float]) -> str:
            return (
                f"{name:<44} p50 {statistics.median(times):7.1f} ms   p99 {_p(times, 0.99):7.1f} ms"
            )

        lines = [
            row("argon2id m=19 MiB t=2 p=1 (ours), verify", self.ours_ms),
            row("argon2id m=64 MiB t=3 p=4 (argon2-cffi default)", self.rfc_ms),
            *(row(f"password policy, {n} characters", t) for n, t in self.policy_ms.items()),
            row("POST /v1/auth/login, one at a time", self.login_ms),
            row(f"POST /v1/auth/login, {self.concurrency} at once", self.concurrent_ms),
            row("POST /v1/auth/login, wrong password", self.wrong_ms),
            f"throttle: 429 after {self.throttled_after} failures of one account, "
            f"Retry-After {self.retry_after} s",
        ]
        return "\n".join(lines)


def hash_costs(repeat: int) -> tuple[list[float], list[float]]:
    ours_hash = HASHER.hash(PASSWORD)
    rfc = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
    rfc_hash = rfc.hash(PASSWORD)
    return (
        _millis(lambda: HASHER.verify(ours_hash, PASSWORD), repeat),
        _millis(lambda: rfc.verify(rfc_hash, PASSWORD), repeat),
    )


def policy_costs(repeat: int) -> dict[int, list[float]]:
    owner = Owner("jean.dupont@boutique.example", "Boutique Dupont")
    costs = {}
    for password in ("azertyuiop12", "a1" * 32, (PASSWORD * 4)[:128]):
        costs[len(password)] = _millis(partial(failed_rules, password, owner), repeat)
    return costs


def _account(url: str, operator_token: str, outbox: Path) -> tuple[str, str]:
    """A new licence and its owner's account with a password: (e-mail, licence id)."""
    auth = {"Authorization": f"Bearer {operator_token}"}
    email = f"bench-{uuid.uuid4().hex[:10]}@boutique.example"
    with httpx.Client(base_url=url, headers=auth, timeout=30) as client:
        licence = client.post("/v1/admin/licences", json={"name": f"bench {email}"})
        licence.raise_for_status()
        licence_id = licence.json()["licence_id"]
        added = client.post(
            f"/v1/admin/licences/{licence_id}/members", json={"email": email, "role": "owner"}
        )
        added.raise_for_status()
    box = Outbox(outbox)
    token = None
    deadline = time.monotonic() + 30
    while token is None and time.monotonic() < deadline:
        for entry in box.list():
            match = _LINK.search(entry.text) if entry.to == email else None
            token = token or (match.group(1) if match else None)
        time.sleep(0.1)
    if token is None:
        raise RuntimeError(f"no password link for {email} in {outbox}: does the API send SMTP?")
    httpx.post(
        f"{url}/v1/auth/password", json={"token": token, "password": PASSWORD}, timeout=30
    ).raise_for_status()
    return email, licence_id


async def _logins(url: str, email: str, count: int, concurrency: int) -> list[float]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> float:
            async with gate:
                started = time.perf_counter()
                answer = await client.post(
                    "/v1/auth/login", json={"email": email, "password": PASSWORD}
                )
                answer.raise_for_status()
                return (time.perf_counter() - started) * 1000

        return list(await asyncio.gather(*(one() for _ in range(count))))


def bench_signin(url: str, operator_token: str, outbox: Path, repeat: int) -> SignInFigures:
    sys.stderr.write("hash and policy costs...\n")
    ours, rfc = hash_costs(repeat)
    policy = policy_costs(repeat)
    sys.stderr.write("sign-ins through the pipeline...\n")
    email, _ = _account(url, operator_token, outbox)
    login = asyncio.run(_logins(url, email, repeat, 1))
    concurrent = asyncio.run(_logins(url, email, repeat, 8))
    # Wrong passwords from an address that never signed in: the account's limit applies.
    stranger = {"X-Forwarded-For": "198.51.100.200"}
    wrong: list[float] = []
    retry_after = 0
    with httpx.Client(base_url=url, headers=stranger, timeout=30) as client:
        while True:
            started = time.perf_counter()
            answer = client.post("/v1/auth/login", json={"email": email, "password": "faux"})
            if answer.status_code == 429:
                retry_after = int(answer.headers["Retry-After"])
                break
            wrong.append((time.perf_counter() - started) * 1000)
            if len(wrong) > 1000:
                raise RuntimeError("no 429 after 1000 failures: is ERO_SIGNIN_LIMIT_ACCOUNT set?")
    return SignInFigures(ours, rfc, policy, login, concurrent, 8, wrong, len(wrong), retry_after)
