"""Run by test_torch_ddp.py under ``python -m torch.distributed.run --standalone
--nproc_per_node=2``: the MLP trained with DataParallel over two gloo processes; rank 0
writes the History and weights to argv[1]/ddp.npz, with a checkpoint and a CSV log."""

import json
import os
import sys

import numpy as np

import keras_bridge as keras
from keras_bridge import distribution

sys.path.insert(0, os.path.dirname(__file__))
from mlp import build_mlp, mlp_data  # noqa: E402

out = sys.argv[1]
distribution.initialize()
distribution.set_distribution(distribution.DataParallel(devices=distribution.list_devices()))
x, y = mlp_data()
model = build_mlp()
callbacks = [keras.callbacks.CSVLogger(os.path.join(out, "log.csv")),
             keras.callbacks.ModelCheckpoint(os.path.join(out, "ckpt.keras"))]
history = model.fit(x, y, batch_size=16, epochs=2, verbose=2, callbacks=callbacks,
                    validation_data=(x[:20], y[:20])).history
prediction = model.predict(x[:10], verbose=0)
evaluation = model.evaluate(x, y, batch_size=16, verbose=0)
rank = int(os.environ["RANK"])
try:
    model.fit(x, y, batch_size=15, verbose=0)
except ValueError as error:
    odd_batch_error = str(error)
np.savez(os.path.join(out, f"rank{rank}.npz"), *model.get_weights(), prediction=prediction)
with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
    json.dump({"history": history, "evaluate": evaluation,
               "devices": distribution.list_devices(),
               "files_seen": sorted(os.listdir(out)), "odd_batch_error": odd_batch_error}, f)

# Under CPU load, a rank left to the interpreter's teardown with the gloo group alive
# sometimes aborts there (SIGABRT, "terminate called without an active exception"),
# after its work is written: end in step, take the group down, and leave without the
# teardown. (The abort is torch's at exit, noted on issue 18; it is not what this job tests.)
import torch.distributed as dist  # noqa: E402

dist.barrier()
dist.destroy_process_group()
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
