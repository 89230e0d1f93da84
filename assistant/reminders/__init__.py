"""Reminder rules and delivery: when each reminder is due, and saying it exactly once."""
