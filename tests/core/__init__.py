"""Tests for the pure-Python core (no Home Assistant)."""
