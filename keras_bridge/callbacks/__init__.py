"""Callbacks: hooks the training loop calls at the start and end of training, epochs
and batches (``base``), and Keras's callbacks that act on training: stopping
(EarlyStopping, TerminateOnNaN), the learning rate (ReduceLROnPlateau,
LearningRateScheduler), files (ModelCheckpoint, CSVLogger) and TensorBoard's logs."""

from keras_bridge.callbacks.base import Callback, CallbackList, History, LambdaCallback
from keras_bridge.callbacks.files import CSVLogger, ModelCheckpoint
from keras_bridge.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from keras_bridge.callbacks.stopping import EarlyStopping, TerminateOnNaN
from keras_bridge.callbacks.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "History", "LambdaCallback", "EarlyStopping",
           "TerminateOnNaN", "ReduceLROnPlateau", "LearningRateScheduler", "ModelCheckpoint",
           "CSVLogger", "TensorBoard"]
