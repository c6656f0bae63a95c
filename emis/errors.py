"""Errors that are the user's to fix: reported as one line, never as a traceback."""


class UserError(Exception):
    """A mistake in the command line, the input files or the settings."""
