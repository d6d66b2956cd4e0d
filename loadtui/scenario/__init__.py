"""Scenario files: the frozen model the engine runs, and the loader that builds it."""

from __future__ import annotations

from loadtui.scenario.errors import Problem, ScenarioError
from loadtui.scenario.loader import load_scenario, load_scenario_text

__all__ = ["Problem", "ScenarioError", "load_scenario", "load_scenario_text"]
