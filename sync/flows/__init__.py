"""Flows: one business entity each. ``registry`` maps a job kind to the function that runs it."""
