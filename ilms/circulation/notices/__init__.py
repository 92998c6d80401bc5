"""Notices to readers: due soon, overdue, hold ready, by e-mail, SMS or printed letter."""
