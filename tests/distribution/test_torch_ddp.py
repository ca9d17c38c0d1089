"""keras_bridge.distribution on torch: two gloo processes under torchrun
(ddp_torch.py) train the MLP as one process does on the same global batches."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from keras_bridge import backends

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

pytestmark = pytest.mark.skipif("torch" not in backends.available(), reason="needs torch")


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = dict(os.environ, KERAS_BACKEND="torch", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(HERE.parents[1]),
                                           os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node=2", str(HERE / "ddp_torch.py"), str(out)],
                          env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    arrays = [dict(np.load(out / f"rank{r}.npz")) for r in (0, 1)]
    return out, done.stdout, ranks, arrays


def _reference():
    from keras_bridge import config
    from mlp import build_mlp, mlp_data
    config.set_backend("torch")
    x, y = mlp_data()
    model = build_mlp()
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0,
                        validation_data=(x[:20], y[:20])).history
    return model, history, model.evaluate(x, y, batch_size=16, verbose=0), x


def test_two_processes_match_one(job):
    _, _, ranks, arrays = job
    model, history, evaluation, x = _reference()
    for rank, values in zip(ranks, arrays):
        assert rank["devices"] == ["cpu:0", "cpu:1"]
        assert rank["history"].keys() == history.keys()
        for key in history:
            np.testing.assert_allclose(rank["history"][key], history[key], rtol=1e-5,
                                       atol=1e-6, err_msg=key)
        for i, w in enumerate(model.get_weights()):
            np.testing.assert_allclose(values[f"arr_{i}"], w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(values["prediction"], model.predict(x[:10], verbose=0),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(rank["evaluate"], evaluation, rtol=1e-5, atol=1e-6)


def test_first_process_writes_and_prints(job):
    out, stdout, ranks, _ = job
    # Both ranks saw the checkpoint and the log once written (the barrier).
    for rank in ranks:
        assert {"ckpt.keras", "log.csv"} <= set(rank["files_seen"])
    rows = (out / "log.csv").read_text().splitlines()
    assert rows[0].split(",")[0] == "epoch" and len(rows) == 3
    assert stdout.count("Epoch 1/2") == 1  # verbose output from rank 0 only


def test_a_batch_that_does_not_split_is_an_error(job):
    for rank in job[2]:
        assert "global batch size must divide by 2; batch_size=15" in \
            rank["odd_batch_error"]
