"""Sign-in: the flask-login setup, the deny-by-default guard, and the login and logout routes."""

from auth.setup import init_auth

__all__ = ["init_auth"]
