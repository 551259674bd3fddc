"""The ``skmlp-scratch`` command line: train on images or a table, predict with the model.

One module per command, over shared parts:

- :mod:`~skmlp_scratch._cli.parser` puts the commands' parsers together;
- :mod:`~skmlp_scratch._cli.train` is ``train`` on images (MNIST, digits,
  IDX files), :mod:`~skmlp_scratch._cli.table` ``train`` on a CSV or Parquet
  table, and :mod:`~skmlp_scratch._cli.predict` applies a saved model to a
  table;
- :mod:`~skmlp_scratch._cli.options` turns every estimator parameter into an
  option, :mod:`~skmlp_scratch._cli.run` fits and times one run and
  :mod:`~skmlp_scratch._cli.report` prints and writes its results.

Exit codes: 0 success, 1 training diverged, 2 bad arguments, bad parameter
values or unusable data or model, 130 interrupted outside of ``fit``.

Start-up imports only the parser: scikit-learn, pandas and the rest come
with the module of the command that is run (see
:mod:`~skmlp_scratch._cli.parser`), so ``--help`` and argument errors answer
at once.
"""

import os
import sys
import warnings

from .parser import build_parser

__all__ = ["main"]


def main(argv=None, *, prog=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.
    prog : str, default=None
        Program name shown in usage messages; None lets argparse derive it
        from ``sys.argv[0]``.

    Returns
    -------
    exit_code : int
        0 on success, 1 if training diverged, 2 for bad arguments, parameter
        values, data or model files, 130 if interrupted outside of training.
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return exc.code if isinstance(exc.code, int) else 2
    # imported by every command module, so loaded by now: no start-up cost
    from .report import CommandError

    try:
        with warnings.catch_warnings():
            show_warnings_as_lines()
            return args.run(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # the reader of the predictions went away (``| head``): stop quietly,
        # and keep Python from reporting the failed flush of stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        # an interrupt during fit is handled by the estimator; this one came
        # while loading data or writing the report
        print("interrupted", file=sys.stderr)
        return 130


def show_warnings_as_lines():
    """Show each warning once, as ``warning: message`` on stderr.

    A user of the command line has no use for the file and line a warning
    was raised at. Deprecation warnings, addressed to programmers, stay
    hidden. Call it inside ``warnings.catch_warnings()``, which restores
    the filters and the display when it exits.
    """
    warnings.simplefilter("default")
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    warnings.showwarning = print_warning


def print_warning(message, category, filename, lineno, file=None, line=None):
    """A ``warnings.showwarning`` that prints ``warning: message`` on one line."""
    from ..tabular._reading import one_line  # loaded with the command by now

    print(f"warning: {one_line(message)}", file=sys.stderr)
