"""The HTTP service: FastAPI over the service layer (see app.create_app)."""

from transactional.api.app import create_app

__all__ = ["create_app"]
