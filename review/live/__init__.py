"""Live observation: after-commit notifications, shared event-log readers, stream messages."""
