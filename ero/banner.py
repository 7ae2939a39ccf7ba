"""What `ero run` prints at start: where it listens and, the first time, a demo licence."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from ero.demo import DEMO_EMAIL
from ero.deployment import Deployment
from licences import Credentials


def print_banner(deployment: Deployment, demo: Credentials | None) -> None:
    settings = deployment.settings
    url = settings.resolved_api_url
    public = settings.public_url or url
    lines = [
        "",
        f"ERO is starting: API {url}  (OpenAPI: {url}/docs)",
        f"  broker {deployment.bootstrap}   ClickHouse {settings.resolved_clickhouse_dsn}",
    ]
    if deployment.broker_reattached:
        lines.append(
            "  the embedded broker was left running by a run that did not stop: resuming from "
            "what it holds"
        )
    if demo is not None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        lines += [
            f"  demo licence   {demo.licence_id}",
            f"  connector key  {demo.connector_key}",
            f"  reader token   {demo.reader_token}",
            "",
            "Post an event:",
            f"  curl -sS -X POST {url}/v1/events -H 'Authorization: Bearer {demo.connector_key}' "
            '-H \'Content-Type: application/json\' -d \'[{"connector_id": "shop-1", '
            f'"occurred_at": "{now}", "operation": "order.import", "reference": "000146", '
            '"status": "erreur", "message": "Article TSHIRT-BL-M absent de la gestion '
            "commerciale\"}]'",
            "Read it back:",
            f"  curl -sS {url}/v1/reports -H 'Authorization: Bearer {demo.reader_token}'",
            f"  curl -sS {url}/v1/dashboard -H 'Authorization: Bearer {demo.reader_token}'",
        ]
    if demo is not None:
        lines += [
            "",
            f"Sign in: open {public}/#/inscription (« Créer un compte ») and sign up as "
            f"{DEMO_EMAIL}, the demo licence's owner;",
            "  the link to create its password lands in the outbox: .venv/bin/ero mail list, "
            "then .venv/bin/ero mail show ID",
            "  (your own e-mail gets a licence with .venv/bin/ero licence create NAME --owner "
            "YOUR-EMAIL)",
        ]
    lines += [
        f"Knowledge base: {public}/aide   Vendor console (operators): {public}/console",
        "Create another licence: .venv/bin/ero licence create NAME",
        "Ctrl-C stops.",
        "",
    ]
    print("\n".join(lines), file=sys.stdout, flush=True)
