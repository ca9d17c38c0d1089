"""The README's commands and the examples work as written."""

import pathlib
import runpy

import backends

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in (ROOT / "README.md").read_text()


def test_quickstart_runs_and_compares_engines(backend, capsys):
    runpy.run_path(str(ROOT / "examples" / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert 'Model: "quickstart"' in out and "Total params:" in out
    if len(backends.available()) > 1:
        assert "torch and JAX agree" in out


def _example(name):
    return runpy.run_path(str(ROOT / "examples" / f"{name}.py"))


def test_regression_example_recovers_the_line(backend, capsys):
    weight, bias = _example("regression")["main"](steps=600)
    assert abs(weight - 0.5) < 0.05 and abs(bias - 2) < 0.05
    assert "test cost" in capsys.readouterr().out


def test_mlp_classifier_example_learns(backend, capsys):
    history, (loss, accuracy) = _example("mlp_classifier")["main"](epochs=2, samples=1200,
                                                                   verbose=2)
    assert accuracy > 0.8
    assert history.history["loss"][1] < history.history["loss"][0]
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "val_accuracy" in out
