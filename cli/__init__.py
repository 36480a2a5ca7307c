"""The ``vitrine`` command line. ``cli.group`` holds the click group; each ``*_commands`` module
registers its sub-commands on it and ``cli.main`` imports them all (the sub-command modules import
only ``cli.group``, never one another)."""
