"""Notifications: who is told of what (rules.py), in the portal and by e-mail, after commit."""
