"""An offline stand-in for Twilio Programmable Voice, for tests and demos."""
