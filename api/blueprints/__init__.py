"""One blueprint per resource, all mounted under /api/v1 by the app factory."""

from api.blueprints.auth import bp as auth_bp
from api.blueprints.docs import bp as docs_bp
from api.blueprints.ops import bp as ops_bp
from api.blueprints.products import bp as products_bp
from api.blueprints.search import bp as search_bp

__all__ = ["auth_bp", "docs_bp", "ops_bp", "products_bp", "search_bp"]
