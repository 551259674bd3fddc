"""The one error every command reports: :class:`CommandError`, one line on stderr."""

from ..tabular._reading import one_line


class CommandError(Exception):
    """A failure to report as one line on stderr, with the exit code to return.

    Parameters
    ----------
    message : str
        What went wrong and what to do; cut to one line, whatever it quotes
        (a multi-line message of scikit-learn's, a huge cell).
    exit_code : int, default=2
        2 for bad arguments, data or model files; 1 for a training that
        diverged.
    """

    def __init__(self, message, exit_code=2):
        super().__init__(one_line(message))
        self.exit_code = exit_code
