"""The one error every session reader raises: a one-line message for the operator."""

from __future__ import annotations


class SessionError(Exception):
    """A file that cannot be read as a session; the message is one line for the user."""
