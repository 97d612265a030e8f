"""Pure-Python core of twilio_bridge: no Home Assistant imports allowed here."""
