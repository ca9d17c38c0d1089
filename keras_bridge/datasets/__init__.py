"""Keras's built-in datasets: ``load_data()`` with Keras's arguments, files and shapes.

Files are downloaded once by ``keras_bridge.utils.get_file`` into
``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``) under Keras's names and
checked against Keras's checksums, so files Keras already downloaded are reused. Loading
needs no engine, and pickled data (CIFAR batches, IMDB/Reuters sequences) is read with a
restricted unpickler that cannot run code.
"""

from keras_bridge.datasets import boston_housing
from keras_bridge.datasets import cifar10
from keras_bridge.datasets import cifar100
from keras_bridge.datasets import fashion_mnist
from keras_bridge.datasets import imdb
from keras_bridge.datasets import mnist
from keras_bridge.datasets import reuters

__all__ = ["boston_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist",
           "reuters"]
