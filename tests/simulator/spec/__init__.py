"""The part of Twilio's OpenAPI spec that the simulator implements, vendored (see README.md)."""
