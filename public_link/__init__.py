"""Public read-only links: `/public/<token>` serves one dashboard's widgets to anyone."""

from public_link.routes import blueprint

__all__ = ["blueprint"]
