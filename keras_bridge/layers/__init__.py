"""Layers, by family. The public surface is listed here."""

from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers import serialization as _serialization  # registers the layer codec
from keras_bridge.serialization import deserialize_keras_object, serialize_keras_object
from keras_bridge.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer
from keras_bridge.layers.core import Lambda, Permute, RepeatVector, Reshape
from keras_bridge.layers.merging import Add, Average, Concatenate, Dot, Maximum, Minimum
from keras_bridge.layers.merging import Multiply, Subtract
from keras_bridge.layers.merging import add, average, concatenate, dot, maximum, minimum
from keras_bridge.layers.merging import multiply, subtract
from keras_bridge.layers.op_layer import OpLayer
from keras_bridge.layers.gradients import Gradients
from keras_bridge.layers.convolutional import Conv1D, Conv2D, Conv3D, Conv1DTranspose
from keras_bridge.layers.convolutional import Conv2DTranspose, Conv3DTranspose
from keras_bridge.layers.convolutional import DepthwiseConv1D, DepthwiseConv2D
from keras_bridge.layers.convolutional import SeparableConv1D, SeparableConv2D
from keras_bridge.layers.convolutional import Convolution1D, Convolution2D, Convolution3D
from keras_bridge.layers.convolutional import Convolution1DTranspose, Convolution2DTranspose
from keras_bridge.layers.convolutional import Convolution3DTranspose
from keras_bridge.layers.convolutional import SeparableConvolution1D, SeparableConvolution2D
from keras_bridge.layers.pooling import MaxPooling1D, MaxPooling2D, MaxPooling3D
from keras_bridge.layers.pooling import AveragePooling1D, AveragePooling2D, AveragePooling3D
from keras_bridge.layers.pooling import GlobalMaxPooling1D, GlobalMaxPooling2D
from keras_bridge.layers.pooling import GlobalMaxPooling3D, GlobalAveragePooling1D
from keras_bridge.layers.pooling import GlobalAveragePooling2D, GlobalAveragePooling3D
from keras_bridge.layers.pooling import MaxPool1D, MaxPool2D, MaxPool3D
from keras_bridge.layers.pooling import AvgPool1D, AvgPool2D, AvgPool3D
from keras_bridge.layers.pooling import GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D
from keras_bridge.layers.pooling import GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D
from keras_bridge.layers.reshaping import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from keras_bridge.layers.reshaping import Cropping1D, Cropping2D, Cropping3D
from keras_bridge.layers.reshaping import UpSampling1D, UpSampling2D, UpSampling3D
from keras_bridge.layers.reshaping import SpatialDropout1D, SpatialDropout2D
from keras_bridge.layers.reshaping import SpatialDropout3D
from keras_bridge.layers.normalization import BatchNormalization, GroupNormalization
from keras_bridge.layers.normalization import LayerNormalization, UnitNormalization
from keras_bridge.layers.embedding import Embedding
from keras_bridge.layers.reversible_embedding import ReversibleEmbedding
from keras_bridge.layers.sequence import Bidirectional, Masking, TimeDistributed, Wrapper
from keras_bridge.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN
from keras_bridge.layers.recurrent import SimpleRNNCell
from keras_bridge.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from keras_bridge.layers.locally_connected import LocallyConnected1D, LocallyConnected2D
from keras_bridge.layers.cudnn_layers import CuDNNGRU, CuDNNLSTM
from keras_bridge.layers.stacked_cells import StackedRNNCells
from keras_bridge.layers.convolutional import AtrousConv1D, AtrousConv2D
from keras_bridge.layers.convolutional import AtrousConvolution1D, AtrousConvolution2D
from keras_bridge.layers.convolutional import Deconv2D, Deconv3D
from keras_bridge.layers.convolutional import Deconvolution2D, Deconvolution3D
from keras_bridge.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from keras_bridge.layers.activation_layers import ThresholdedReLU
from keras_bridge.layers.regularization import ActivityRegularization, AlphaDropout
from keras_bridge.layers.regularization import GaussianDropout, GaussianNoise
from keras_bridge.layers.native import JaxLayer, TorchModuleWrapper
from keras_bridge.layers.preprocessing import CategoryEncoding, CenterCrop, Discretization
from keras_bridge.layers.preprocessing import Normalization, RandomBrightness, RandomContrast
from keras_bridge.layers.preprocessing import RandomCrop, RandomFlip, RandomRotation
from keras_bridge.layers.preprocessing import RandomTranslation, RandomZoom, Rescaling
from keras_bridge.layers.preprocessing import Resizing
from keras_bridge.layers.preprocessing import IntegerLookup, Pipeline, StringLookup
from keras_bridge.layers.preprocessing import TextVectorization
from keras_bridge.layers.preprocessing import HashedCrossing, Hashing
from keras_bridge.layers.preprocessing import MelSpectrogram, STFTSpectrogram
from keras_bridge.layers.preprocessing import AutoContrast, CutMix, Equalization, MixUp
from keras_bridge.layers.preprocessing import RandomColorDegeneration, RandomColorJitter
from keras_bridge.layers.preprocessing import RandomErasing, RandomGaussianBlur
from keras_bridge.layers.preprocessing import RandomGrayscale, RandomHue, RandomInvert
from keras_bridge.layers.preprocessing import RandomPerspective, RandomPosterization
from keras_bridge.layers.preprocessing import RandomSaturation, RandomSharpness, RandomShear
from keras_bridge.layers.preprocessing import Solarization
from keras_bridge.layers.preprocessing import MaxNumBoundingBoxes, RandomElasticTransform
from keras_bridge.layers.preprocessing import AugMix, RandAugment
from keras_bridge.layers.preprocessing import ContrastLimitedAdaptiveHistogramEqualization
from keras_bridge.layers.preprocessing import PREPROCESSING_LAYERS as _PREPROCESSING
from keras_bridge.layers.einsum_dense import EinsumDense
from keras_bridge.layers.core import Identity
from keras_bridge.layers.normalization import RMSNormalization
from keras_bridge.layers.spectral_normalization import SpectralNormalization
from keras_bridge.layers.pooling import AdaptiveAveragePooling1D, AdaptiveAveragePooling2D
from keras_bridge.layers.pooling import AdaptiveAveragePooling3D, AdaptiveMaxPooling1D
from keras_bridge.layers.pooling import AdaptiveMaxPooling2D, AdaptiveMaxPooling3D
from keras_bridge.layers.attention import AdditiveAttention, Attention, GroupQueryAttention
from keras_bridge.layers.attention import GroupedQueryAttention, MultiHeadAttention

__all__ = [
    "Layer", "InputSpec", "Input", "InputLayer",
    "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector",
    "Lambda",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose", "SeparableConvolution1D",
    "SeparableConvolution2D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalAvgPool3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
    "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D",
    "Embedding", "ReversibleEmbedding", "Masking", "TimeDistributed", "Bidirectional",
    "SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
    "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "LocallyConnected1D", "LocallyConnected2D",
    "CuDNNLSTM", "CuDNNGRU", "StackedRNNCells", "Wrapper",
    "Deconvolution2D", "Deconv2D", "Deconvolution3D", "Deconv3D",
    "AtrousConvolution1D", "AtrousConvolution2D", "AtrousConv1D", "AtrousConv2D",
    "serialize", "deserialize",
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
    "TorchModuleWrapper", "JaxLayer",
    *(cls.__name__ for cls in _PREPROCESSING),
    "EinsumDense", "Attention", "AdditiveAttention", "MultiHeadAttention",
    "GroupQueryAttention", "GroupedQueryAttention",
    "Identity", "RMSNormalization", "SpectralNormalization",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]

# Every built-in layer class, for the lowering conformance check.
BUILTIN_LAYERS = (InputLayer, Dense, Activation, Dropout, Flatten, Reshape, Permute,
                  RepeatVector, Lambda, Add, Subtract, Multiply, Average, Maximum, Minimum,
                  Concatenate, Dot, BatchNormalization, LayerNormalization,
                  GroupNormalization, UnitNormalization,
                  Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
                  DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
                  MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D,
                  AveragePooling2D, AveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                  GlobalMaxPooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                  GlobalAveragePooling3D,
                  ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, Cropping1D, Cropping2D,
                  Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D, SpatialDropout1D,
                  SpatialDropout2D, SpatialDropout3D,
                  Embedding, ReversibleEmbedding, Masking, TimeDistributed, Bidirectional,
                  SimpleRNN, LSTM, GRU, RNN, SimpleRNNCell, LSTMCell, GRUCell,
                  ConvLSTM1D, ConvLSTM2D, ConvLSTM3D, LocallyConnected1D, LocallyConnected2D,
                  CuDNNLSTM, CuDNNGRU, StackedRNNCells,
                  ReLU, LeakyReLU, PReLU, ELU, Softmax, ThresholdedReLU,
                  GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization,
                  EinsumDense, Attention, AdditiveAttention, MultiHeadAttention,
                  GroupedQueryAttention, OpLayer, Gradients,
                  Identity, RMSNormalization, SpectralNormalization,
                  AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D,
                  AdaptiveMaxPooling1D, AdaptiveMaxPooling2D,
                  AdaptiveMaxPooling3D) + _PREPROCESSING


def serialize(layer):
    """A layer's saved entry (``class_name``, ``config``, ``module``, ...), as
    ``keras.layers.serialize``."""
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer of a saved entry (Keras 3's, or Keras 2's ``{class_name, config}``)."""
    return deserialize_keras_object(config, custom_objects=custom_objects)
