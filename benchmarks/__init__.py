"""Load and cost runs for twilio_bridge and the simulator (not part of the test suite).

Run them all with `.venv/bin/python -m benchmarks`; results are described in BENCHMARKS.md.
"""
