"""Errors that t5mt reports to users as one clear message instead of a traceback."""


class T5mtError(Exception):
    """Base class: the entrypoints print the message and exit with status 2."""


class DataError(T5mtError):
    """A corpus is missing, unreadable or malformed; the message names the file and line."""


class HubUnreachableError(T5mtError):
    """A model or dataset had to come from the Hugging Face Hub, which could not be reached."""


class RunFolderError(T5mtError):
    """A folder is not a t5mt run, or lacks what a command needs from it."""


class ConfigError(T5mtError):
    """A config value is invalid or a combination of values cannot work; the message names it."""
