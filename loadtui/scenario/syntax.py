"""Spellings shared by several tables: header names and JSON pointers.

Kept apart so requests, checks, extractions and WebSocket streams check them alike.
"""

from __future__ import annotations

import re

HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)
POINTER = re.compile(r"(/([^~/]|~[01])*)*")  # RFC 6901
