"""Entry point of the ``vitrine`` console script: the group with every sub-command registered."""

from __future__ import annotations

# Each module registers its commands on the group when imported.
from cli import (  # noqa: F401
    catalog_commands,
    client_commands,
    doctor,
    queue_commands,
    search_commands,
    server_commands,
    train_command,
)
from cli.group import cli


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="vitrine")


if __name__ == "__main__":
    main()
