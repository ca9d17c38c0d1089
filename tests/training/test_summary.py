"""Model.summary(): Keras 2's table, line for line.

The expected lines below are written out by hand from Keras 2's documented layout
(tf.keras ``layer_utils.print_summary``): 65 columns ending at 29/55/65 for
sequential-like models, 98 columns ending at 32/53/65/98 with ``Connected to``
otherwise; every row is padded to the full width.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from keras_bridge.layers import Activation, Concatenate, Dense, Input
from keras_bridge.models import Model, Sequential

RULE65 = "_" * 65
DOUBLE65 = "=" * 65
RULE98 = "_" * 98
DOUBLE98 = "=" * 98

ISSUE_SUMMARY = [
    'Model: "sequential"',
    RULE65,
    "Layer (type)                 Output Shape              Param #   ",
    DOUBLE65,
    "dense (Dense)                (None, 32)                25120     ",
    RULE65,
    "activation (Activation)      (None, 32)                0         ",
    RULE65,
    "dense_1 (Dense)              (None, 10)                330       ",
    RULE65,
    "activation_1 (Activation)    (None, 10)                0         ",
    DOUBLE65,
    "Total params: 25,450",
    "Trainable params: 25,450",
    "Non-trainable params: 0",
    RULE65,
]


def issue_model():
    return Sequential([Dense(32, input_shape=(784,)), Activation("relu"), Dense(10),
                       Activation("softmax")])


def summary_lines(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def test_sequential_summary_matches_keras():
    assert summary_lines(issue_model()) == ISSUE_SUMMARY


def test_summary_prints_to_stdout_by_default(capsys):
    issue_model().summary()
    assert capsys.readouterr().out == "\n".join(ISSUE_SUMMARY) + "\n"


def test_print_fn_receives_one_line_per_call():
    calls = []
    issue_model().summary(print_fn=lambda *args, **kwargs: calls.append((args, kwargs)))
    assert all(len(args) == 1 and not kwargs and "\n" not in args[0]
               for args, kwargs in calls)
    assert len(calls) == len(ISSUE_SUMMARY)


def test_functional_chain_is_sequential_like_with_input_row():
    inputs = Input(shape=(784,))
    hidden = Dense(32)(inputs)
    outputs = Dense(10)(hidden)
    assert summary_lines(Model(inputs, outputs)) == [
        'Model: "model"',
        RULE65,
        "Layer (type)                 Output Shape              Param #   ",
        DOUBLE65,
        "input_1 (InputLayer)         [(None, 784)]             0         ",
        RULE65,
        "dense (Dense)                (None, 32)                25120     ",
        RULE65,
        "dense_1 (Dense)              (None, 10)                330       ",
        DOUBLE65,
        "Total params: 25,450",
        "Trainable params: 25,450",
        "Non-trainable params: 0",
        RULE65,
    ]


def test_two_inputs_shared_layer_and_concatenate_show_connections():
    a = Input(shape=(16,))
    b = Input(shape=(16,))
    shared = Dense(8)
    merged = Concatenate()([shared(a), shared(b)])
    model = Model([a, b], Dense(1)(merged))
    assert summary_lines(model) == [
        'Model: "model"',
        RULE98,
        "Layer (type)                    Output Shape         Param #     Connected to"
        "                     ",
        DOUBLE98,
        "input_1 (InputLayer)            [(None, 16)]         0                       "
        "                     ",
        RULE98,
        "input_2 (InputLayer)            [(None, 16)]         0                       "
        "                     ",
        RULE98,
        "dense (Dense)                   (None, 8)            136         input_1[0][0]"
        "                    ",
        "                                                                 input_2[0][0]"
        "                    ",
        RULE98,
        "concatenate (Concatenate)       (None, 16)           0           dense[0][0]"
        "                      ",
        "                                                                 dense[1][0]"
        "                      ",
        RULE98,
        "dense_1 (Dense)                 (None, 1)            17          concatenate[0][0]"
        "                ",
        DOUBLE98,
        # the shared Dense's kernel and bias are counted once: 136 + 17
        "Total params: 153",
        "Trainable params: 153",
        "Non-trainable params: 0",
        RULE98,
    ]


def test_shared_layer_with_different_output_shapes_shows_multiple():
    x1 = Input(shape=(4,))
    x2 = Input(shape=(6,))
    act = Activation("relu")
    model = Model([x1, x2], Concatenate()([act(x1), act(x2)]))
    lines = summary_lines(model)
    assert lines[4:14] == [
        "input_1 (InputLayer)            [(None, 4)]          0                       "
        "                     ",
        RULE98,
        "input_2 (InputLayer)            [(None, 6)]          0                       "
        "                     ",
        RULE98,
        "activation (Activation)         multiple             0           input_1[0][0]"
        "                    ",
        "                                                                 input_2[0][0]"
        "                    ",
        RULE98,
        "concatenate (Concatenate)       (None, 10)           0           activation[0][0]"
        "                 ",
        "                                                                 activation[1][0]"
        "                 ",
        DOUBLE98,
    ]


def test_branching_single_input_model_shows_connections():
    x = Input(shape=(3,))
    model = Model(x, [Dense(2)(x), Dense(5)(x)])
    lines = summary_lines(model)
    assert len(lines[1]) == 98
    assert lines[2].rstrip().endswith("Connected to")


def test_frozen_layer_counts_as_non_trainable():
    model = Sequential([Dense(32, input_shape=(784,)), Dense(10)])
    model.layers[0].trainable = False
    assert summary_lines(model)[4:] == [
        "dense (Dense)                (None, 32)                25120     ",
        RULE65,
        "dense_1 (Dense)              (None, 10)                330       ",
        DOUBLE65,
        "Total params: 25,450",
        "Trainable params: 330",
        "Non-trainable params: 25,120",
        RULE65,
    ]


def _nested_model():
    inner_in = Input(shape=(3,))
    inner = Model(inner_in, Dense(4)(inner_in))
    inner_seq = Sequential([Dense(4, input_shape=(4,))])
    x = Input(shape=(3,))
    outer = Model(x, Dense(2)(inner_seq(inner(x))))
    return inner, inner_seq, outer


def test_nested_models_are_one_row_each():
    _, _, outer = _nested_model()
    assert summary_lines(outer) == [
        'Model: "model_1"',
        RULE65,
        "Layer (type)                 Output Shape              Param #   ",
        DOUBLE65,
        "input_3 (InputLayer)         [(None, 3)]               0         ",
        RULE65,
        "model (Functional)           (None, 4)                 16        ",
        RULE65,
        "sequential (Sequential)      (None, 4)                 20        ",
        RULE65,
        "dense_2 (Dense)              (None, 2)                 10        ",
        DOUBLE65,
        "Total params: 46",
        "Trainable params: 46",
        "Non-trainable params: 0",
        RULE65,
    ]


def test_frozen_nested_model_weights_are_non_trainable():
    inner, _, outer = _nested_model()
    inner.trainable = False
    assert summary_lines(outer)[-4:-1] == [
        "Total params: 46",
        "Trainable params: 30",
        "Non-trainable params: 16",
    ]


def test_thousands_separators():
    model = Sequential([Dense(1000, input_shape=(1000,))])
    assert summary_lines(model)[4:] == [
        "dense (Dense)                (None, 1000)              1001000   ",
        DOUBLE65,
        "Total params: 1,001,000",
        "Trainable params: 1,001,000",
        "Non-trainable params: 0",
        RULE65,
    ]


@pytest.mark.parametrize("positions", [[.5, .8, 1.], [20, 32, 40]])
def test_line_length_and_positions_truncate_fields(positions):
    lines = summary_lines(issue_model(), line_length=40, positions=positions)
    assert lines[1:5] == [
        "_" * 40,
        # "Output Shape" fills its column, so its last letter gives way to the space
        "Layer (type)        Output Shap Param # ",
        "=" * 40,
        "dense (Dense)       (None, 32)  25120   ",
    ]
    assert lines[10] == "activation_1 (Activ (None, 10)  0       "


@pytest.mark.parametrize("make", [
    lambda: Sequential([Dense(2)]),
    lambda: Sequential(),
    lambda: TwoLayerNet(),
], ids=["sequential-without-input-shape", "empty-sequential", "subclassed"])
def test_unbuilt_model_raises(make):
    model = make()
    with pytest.raises(ValueError, match="This model has not yet been built"):
        model.summary(print_fn=lambda line: None)


class TwoLayerNet(Model):
    def __init__(self):
        super().__init__()
        self.hidden = Dense(4)
        self.head = Dense(2)
        self.spare = Dense(5)  # never called: Keras 2 shows "0 (unused)"

    def call(self, inputs, training=None):
        return self.head(self.hidden(inputs))


def test_subclassed_model_rows(backend):
    model = TwoLayerNet()
    model.predict(np.zeros((2, 3), "float32"))
    assert summary_lines(model) == [
        'Model: "two_layer_net"',
        RULE65,
        "Layer (type)                 Output Shape              Param #   ",
        DOUBLE65,
        "dense (Dense)                multiple                  16        ",
        RULE65,
        "dense_1 (Dense)              multiple                  10        ",
        RULE65,
        "dense_2 (Dense)              multiple                  0 (unused)",
        DOUBLE65,
        "Total params: 26",
        "Trainable params: 26",
        "Non-trainable params: 0",
        RULE65,
    ]


def test_summary_then_predict(backend):
    model = issue_model()
    assert summary_lines(model) == ISSUE_SUMMARY
    out = model.predict(np.random.default_rng(0).random((3, 784), dtype=np.float32))
    assert out.shape == (3, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    # binding the model to its engine changes nothing in the table
    assert summary_lines(model) == ISSUE_SUMMARY


def test_summary_imports_no_engine():
    code = (
        "import sys\n"
        "from keras_bridge.layers import Activation, Dense, Input, Concatenate\n"
        "from keras_bridge.models import Model, Sequential\n"
        "m = Sequential([Dense(32, input_shape=(784,)), Activation('relu'), Dense(10)])\n"
        "m.summary(print_fn=lambda line: None)\n"
        "a, b = Input(shape=(4,)), Input(shape=(4,))\n"
        "Model([a, b], Dense(1)(Concatenate()([a, b]))).summary()\n"
        "loaded = sorted(m for m in ('torch', 'jax') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "error"})
    assert result.returncode == 0, result.stderr
    assert "Total params: 9" in result.stdout


RULE76 = "_" * 76
RULE109 = "_" * 109


def test_show_trainable_adds_a_trainable_column():
    model = Sequential([Dense(32, input_shape=(784,)), Dense(10)])
    model.layers[0].trainable = False
    lines = summary_lines(model, show_trainable=True)
    assert lines[:7] == [
        'Model: "sequential"',
        RULE76,
        "Layer (type)                 Output Shape              Param #   Trainable  ",
        "=" * 76,
        "dense (Dense)                (None, 32)                25120     N          ",
        RULE76,
        "dense_1 (Dense)              (None, 10)                330       Y          ",
    ]
    assert lines[-1] == RULE76 and lines[-3] == "Trainable params: 330"


def test_show_trainable_with_connections_leaves_continuation_rows_blank():
    a = Input(shape=(2,))
    b = Input(shape=(2,))
    merged = Concatenate()([a, b])
    model = Model([a, b], Dense(1)(merged))
    lines = summary_lines(model, show_trainable=True)
    assert lines[1] == RULE109
    assert lines[2].endswith("Connected to                     Trainable  ")
    concat = lines.index(next(line for line in lines if line.startswith("concatenate")))
    assert lines[concat] == (
        "concatenate (Concatenate)       (None, 4)            0           input_1[0][0]"
        "                    Y          ")
    assert lines[concat + 1] == " " * 65 + "input_2[0][0]" + " " * 31
    assert all(len(line) == 109 for line in lines[1:-4])
