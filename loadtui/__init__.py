"""loadtui: a terminal load-testing console."""

__version__ = "0.1.0"
