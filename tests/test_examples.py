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
