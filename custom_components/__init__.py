"""Custom components package (lets tests import custom_components.twilio_bridge)."""
