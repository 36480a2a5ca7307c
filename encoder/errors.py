"""Errors raised by the encoder.

    EncoderError
     +-- ModelNotFoundError   weights or config missing on disk (never downloaded)
     +-- ModelSpecError       the model spec string cannot be understood
     +-- ImageDecodeError     an image could not be read or decoded
"""

from __future__ import annotations

from errors import VitrineError


class EncoderError(VitrineError):
    """Base class of every error the encoder raises."""


class ModelNotFoundError(EncoderError):
    """The model's weights are not on this machine; the message says how to provide them."""


class ModelSpecError(EncoderError):
    """The model spec is malformed or names an unknown architecture."""


class ImageDecodeError(EncoderError):
    """An image could not be opened or decoded."""
