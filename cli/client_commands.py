"""``vitrine clients``: storefront credentials (and each client's own rate limit) in Redis."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from cli.group import cli
from settings.api import ApiSettings
from settings.redact import masked_url

if TYPE_CHECKING:
    import redis

RATE_LIMIT_HELP = ("This client's own limit, e.g. 6000/minute for a storefront backend; "
                   "'default' (or none) uses VITRINE_RATE_LIMIT.")


def _api_settings() -> ApiSettings:
    try:
        return ApiSettings.from_env()
    except ValueError as e:
        raise click.ClickException(str(e)) from e


def _redis(api: ApiSettings) -> redis.Redis:
    import redis  # here: `vitrine --help` does not need it

    client = redis.Redis.from_url(api.redis_url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as e:
        raise click.ClickException(f"cannot reach Redis at {masked_url(api.redis_url)}: {e}") from e
    return client


def _rate_limit(text: str | None) -> str:
    from api.clients import parse_rate_limit

    if text is None or text.strip().lower() == "default":
        return ""
    try:
        return parse_rate_limit(text)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--rate-limit") from e


@cli.group()
def clients() -> None:
    """Storefront API clients (credentials for POST /api/v1/auth/token)."""


@clients.command("create")
@click.option("--scopes", default="search", show_default=True,
              help="Comma-separated: search, ingest, admin.")
@click.option("--name", default="", help="A note saying whose client this is.")
@click.option("--rate-limit", "rate_limit", metavar="N/UNIT", help=RATE_LIMIT_HELP)
@click.option("--json", "as_json", is_flag=True, help='Print {"client_id", "client_secret"} as JSON.')
def create(scopes: str, name: str, rate_limit: str | None, as_json: bool) -> None:
    """Create a client and print its id and secret (the secret is shown only this once)."""
    from api.clients import create_client, parse_scopes

    try:
        parsed = parse_scopes(scopes)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--scopes") from e
    limit = _rate_limit(rate_limit)
    client_id, secret = create_client(_redis(_api_settings()), parsed, name, limit)
    if as_json:
        # Exactly the two fields POST /api/v1/auth/token takes, so the output can be sent as it is.
        click.echo(json.dumps({"client_id": client_id, "client_secret": secret}))
        return
    click.echo(f"client_id:     {client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo(f"scopes:        {', '.join(parsed)}")
    click.echo(f"rate limit:    {limit or 'default (VITRINE_RATE_LIMIT)'}")
    click.echo("Store the secret now: it is kept only as a hash and cannot be shown again.")


@clients.command("update")
@click.argument("client_id")
@click.option("--rate-limit", "rate_limit", required=True, metavar="N/UNIT", help=RATE_LIMIT_HELP)
def update(client_id: str, rate_limit: str) -> None:
    """Change a client's rate limit (running servers apply it within 30 seconds)."""
    from api.clients import set_rate_limit

    limit = _rate_limit(rate_limit)
    if not set_rate_limit(_redis(_api_settings()), client_id, limit):
        raise click.ClickException(f"no client {client_id!r}")
    click.echo(f"{client_id}: rate limit {limit or 'default (VITRINE_RATE_LIMIT)'}")


@clients.command("delete")
@click.argument("client_id")
def delete(client_id: str) -> None:
    """Delete a client: it can get no new tokens (issued access tokens run out on their own)."""
    from api.clients import delete_client

    if not delete_client(_redis(_api_settings()), client_id):
        raise click.ClickException(f"no client {client_id!r}")
    click.echo(f"deleted {client_id}")


@clients.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(as_json: bool) -> None:
    """List clients (ids, scopes, names, rate limits; secrets are never shown)."""
    from api.clients import list_clients

    found = list_clients(_redis(_api_settings()))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for c in found:
        click.echo(f"{c['client_id']}  {c['scopes']:<22} {c['rate_limit'] or 'default':<14} {c['name']}")
