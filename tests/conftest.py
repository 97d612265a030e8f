"""Shared test setup.

Importing the integration here, before pytest-homeassistant-custom-component mounts its own
testing `custom_components` package, keeps our package the one Home Assistant finds.
"""

from custom_components.twilio_bridge.const import DOMAIN

assert DOMAIN == "twilio_bridge"
