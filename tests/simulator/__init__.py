"""Tests of the offline Twilio simulator, on its own (no Home Assistant)."""
