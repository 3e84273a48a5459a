"""Capture: mail, calendar and address book accounts a user connects, synced on the task
queue into their (private) network."""
