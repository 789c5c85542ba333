"""policyqa's error types. They live in the lowest layer so every layer can raise them; the CLI maps
each kind to its exit code and prints its message as one line."""

from __future__ import annotations


class PolicyqaError(Exception):
    """A problem the user can fix; the message says what was wrong, the limit and the fix."""

    exit_code = 1


class InputError(PolicyqaError):
    """Bad input or usage: a question, an option, a file."""

    exit_code = 2


class CorpusError(InputError):
    """The corpus directory is missing or one of its files is malformed."""


class IndexProblem(PolicyqaError):
    """The index directory is missing, stale or damaged; the message names the file and the fixing command."""

    exit_code = 3
