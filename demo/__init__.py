"""scripts/demo: one V-call through a real Home Assistant and the simulator."""
