"""scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9).

A recording callback checks the task tree the estimator reports (one ``fit``
task, one subtask per epoch or L-BFGS iteration) and that a callback can stop
training; scikit-learn's own ``ScoringMonitor`` and ``ProgressBar`` are driven
for real, alone and inside a ``Pipeline`` and ``GridSearchCV``. A subprocess
with ``sklearn.callback`` hidden proves the estimator still works on a
scikit-learn without the API.
"""

import subprocess
import sys
import textwrap
import warnings

import pytest
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp_scratch import MLPScratchClassifier
from conftest import fit_quietly


class Recorder:
    """A callback that records every hook call, and can ask to stop."""

    def __init__(self, stop_after=None):
        self.events = []
        self.stop_after = stop_after

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.events.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None,
                        fitted_estimator=None):
        self.events.append(("end", context.task_name, context.task_id))
        if context.task_name in ("epoch", "iteration") and fitted_estimator is not None:
            # a ready-to-predict copy with this task's weights
            assert fitted_estimator is not estimator
            assert fitted_estimator.predict(X).shape == (X.shape[0],)
        ends = sum(e[0] == "end" and e[1] == "epoch" for e in self.events)
        return self.stop_after is not None and ends >= self.stop_after


def _data():
    return make_classification(150, 6, n_informative=4, n_classes=3, random_state=0)


@pytest.mark.parametrize("solver", ["adam", "sgd", "adamw"])
def test_each_epoch_is_a_task_of_the_fit(solver):
    X, y = _data()
    recorder = Recorder()
    clf = MLPScratchClassifier((8,), solver=solver, max_iter=4, random_state=0)
    fit_quietly(clf.set_callbacks(recorder), X, y)
    epochs = [e for e in recorder.events if e[1] == "epoch"]
    assert epochs == [(kind, "epoch", i) for i in range(4) for kind in ("begin", "end")]
    assert recorder.events[0] == ("setup", "fit")
    assert recorder.events[1] == ("begin", "fit", 0)
    assert recorder.events[-2:] == [("end", "fit", 0), ("teardown", "fit")]


def test_lbfgs_iterations_are_tasks_of_the_fit():
    X, y = _data()
    recorder = Recorder()
    # tol=0: only max_iter ends the fit, whatever the sums give on this machine
    clf = MLPScratchClassifier((8,), solver="lbfgs", max_iter=6, tol=0.0, random_state=0)
    fit_quietly(clf.set_callbacks(recorder), X, y)
    ends = [e for e in recorder.events if e[:2] == ("end", "iteration")]
    assert len(ends) >= clf.n_iter_ == 6


def test_a_callback_can_stop_training():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a requested stop
        clf = MLPScratchClassifier((8,), max_iter=50, random_state=0).set_callbacks(
            Recorder(stop_after=3)).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3


def test_scoring_monitor_logs_one_score_per_epoch():
    X, y = _data()
    monitor = ScoringMonitor(scoring="accuracy")
    clf = fit_quietly(MLPScratchClassifier((8,), max_iter=5, random_state=0)
                      .set_callbacks(monitor), X, y)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert len(rows) == 5
    # the last epoch's score is the returned model's training accuracy
    assert rows[-1]["accuracy"] == pytest.approx(clf.score(X, y))


def test_progress_bar_runs_alone_in_a_pipeline_and_in_a_grid_search(capsys):
    X, y = _data()
    clf = MLPScratchClassifier((8,), max_iter=3, random_state=0)
    fit_quietly(clf.set_callbacks(ProgressBar()), X, y)
    pipe = make_pipeline(StandardScaler(), MLPScratchClassifier((8,), max_iter=3,
                                                                random_state=0))
    fit_quietly(pipe.set_callbacks(ProgressBar()), X, y)
    search = GridSearchCV(MLPScratchClassifier((8,), max_iter=3, random_state=0),
                          {"alpha": [1e-4, 1e-2]}, cv=2)
    fit_quietly(search.set_callbacks(ProgressBar(max_propagation_depth=None)), X, y)
    out = capsys.readouterr().out
    assert "MLPScratchClassifier" in out and "100%" in out
    assert "GridSearchCV" in out


def test_scoring_monitor_on_the_estimator_inside_grid_search_sees_every_fit():
    X, y = _data()
    monitor = ScoringMonitor(scoring="accuracy")
    inner = MLPScratchClassifier((8,), max_iter=3, random_state=0).set_callbacks(monitor)
    fit_quietly(GridSearchCV(inner, {"alpha": [1e-4, 1e-2]}, cv=2), X, y)
    runs = monitor.get_logs(select="all")
    epochs = [r for run in runs for r in run.data if r["task_name"] == "epoch"]
    assert len(epochs) == (2 * 2 + 1) * 3  # (candidates x folds + refit) x 3 epochs


def test_without_the_callback_api_the_estimator_still_works():
    # take the mixin away, as on scikit-learn < 1.9, in a fresh interpreter,
    # after scikit-learn's own modules (which use it) are imported
    code = textwrap.dedent("""
        import sklearn.callback, sklearn.datasets, sklearn.model_selection
        import sklearn.pipeline, sklearn.preprocessing
        del sklearn.callback.CallbackSupportMixin
        from sklearn.datasets import load_iris
        from skmlp_scratch import MLPScratchClassifier
        X, y = load_iris(return_X_y=True)
        for solver in ("adam", "lbfgs"):
            clf = MLPScratchClassifier((8,), solver=solver, max_iter=300,
                                       learning_rate_init=0.01,
                                       random_state=0).fit(X / 8, y)
            assert not hasattr(clf, "set_callbacks")
            print(solver, clf.score(X / 8, y))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    scores = [float(line.split()[1]) for line in done.stdout.splitlines()]
    assert len(scores) == 2 and min(scores) > 0.9
