"""API: the command line (``vitrine``) and, on top of it, the Flask application."""
