"""Realistic, deterministic demo data for Qingpu district (青浦区): see docs/demo.md."""

from __future__ import annotations

from etl.demo.build import DemoSummary, build_demo
from etl.demo.generate import KINDS, DemoFiles, default_now, generate
from etl.demo.scales import SCALES, get_scale

__all__ = ["KINDS", "SCALES", "DemoFiles", "DemoSummary", "build_demo", "default_now", "generate", "get_scale"]
