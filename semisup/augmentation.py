"""Image augmentation that runs inside a compiled training step, on any Keras backend.

Keras's own `RandomTranslation`, `RandomCrop`, `RandomZoom` and friends set `supports_jit = False`,
and a model that contains one is silently trained eagerly (160-190x slower, see DESIGN.md). Every
function here is written with `keras.ops` and `keras.random` only, draws its random numbers per
image from a `keras.random.SeedGenerator`, and keeps every shape static, so it compiles under
`jax.jit` and TensorFlow's XLA alike.

Each function takes a batch of images (N x H x W x C, floats in [0, 1]) and returns a batch of the
same shape and dtype with values still in [0, 1]. `Augmenter` chains them into one Keras layer
with defaults chosen from the image size and channel count.

Example:
    >>> import numpy as np
    >>> from semisup.augmentation import Augmenter
    >>> images = np.random.default_rng(0).random((8, 32, 32, 3)).astype("float32")
    >>> augmenter = Augmenter(seed=0)
    >>> first, second = augmenter(images), augmenter(images)
    >>> tuple(first.shape), bool(np.any(np.asarray(first) != np.asarray(second)))
    ((8, 32, 32, 3), True)
"""

from __future__ import annotations

import inspect
import math

import keras
from keras import ops

from semisup._seed_state import SavesSeedState

PADDING_MODES = ("reflect", "constant", "symmetric")

# ITU-R BT.601 luma weights, the ones torchvision and tf.image use for grayscale.
_LUMA_WEIGHTS = (0.299, 0.587, 0.114)


# ---------------------------------------------------------------------------- helpers
def _batch_size(images):
    return ops.shape(images)[0]


def _dtype(images):
    return keras.backend.standardize_dtype(images.dtype)


def _per_image_uniform(images, minval, maxval, seed):
    """One uniform draw per image, shaped N x 1 x 1 x 1 so it broadcasts over pixels."""
    values = keras.random.uniform(
        (_batch_size(images),), minval=minval, maxval=maxval, dtype=_dtype(images), seed=seed
    )
    return ops.reshape(values, (-1, 1, 1, 1))


def _per_image_mask(images, probability, seed):
    """True for each image (N x 1 x 1 x 1) with the given probability."""
    return _per_image_uniform(images, 0.0, 1.0, seed) < probability


def _gather_rows(images, rows):
    """`out[n, i] = images[n, rows[n, i]]` for integer `rows` of shape N x H_out."""
    rows = ops.cast(rows, "int32")[:, :, None, None]
    return ops.take_along_axis(images, rows, axis=1)


def _gather_columns(images, columns):
    """`out[n, :, j] = images[n, :, columns[n, j]]` for integer `columns` of shape N x W_out."""
    columns = ops.cast(columns, "int32")[:, None, :, None]
    return ops.take_along_axis(images, columns, axis=2)


def _grayscale(images):
    """Luma of RGB images (N x H x W x 1); 1-channel images are returned as they are."""
    if images.shape[-1] == 1:
        return images
    weights = ops.convert_to_tensor(_LUMA_WEIGHTS, dtype=_dtype(images))
    return ops.sum(images * weights, axis=-1, keepdims=True)


def _check_probability(name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a probability between 0 and 1, got {value!r}.")


def _check_strength(name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative number (0 turns it off), got {value!r}.")


# ---------------------------------------------------------------------------- geometric
def flip_left_right(images, flip):
    """Mirror the images for which `flip` (bool, N x 1 x 1 x 1 or broadcastable) is True.

    Args:
        images: N x H x W x C tensor.
        flip: boolean tensor, one value per image.

    Returns:
        The batch with the selected images mirrored left to right.
    """
    return ops.where(flip, ops.flip(images, axis=2), images)


def random_flip_left_right(images, probability=0.5, seed=None):
    """Mirror each image left to right with the given probability.

    Args:
        images: N x H x W x C floats.
        probability: chance that an image is mirrored.
        seed: a `keras.random.SeedGenerator` (needed inside compiled functions), an int, or None.

    Returns:
        A batch of the same shape and dtype.

    Example:
        >>> import numpy as np
        >>> images = np.arange(8, dtype="float32").reshape(2, 1, 4, 1) / 8
        >>> out = random_flip_left_right(images, probability=1.0, seed=0)
        >>> np.asarray(out)[0, 0, :, 0].tolist()
        [0.375, 0.25, 0.125, 0.0]
    """
    _check_probability("probability", probability)
    images = ops.convert_to_tensor(images)
    return flip_left_right(images, _per_image_mask(images, probability, seed))


def translate(images, shift_rows, shift_columns, max_shift, padding="reflect"):
    """Move each image by whole pixels; the uncovered border is filled by `padding`.

    `out[n, i, j] = images[n, i - shift_rows[n], j - shift_columns[n]]` where that pixel exists;
    elsewhere the value comes from the padded border. The image is padded by `max_shift` pixels
    and then cropped back at a per-image offset with a gather, so every shape is static and the
    function compiles with per-image shifts.

    Args:
        images: N x H x W x C floats.
        shift_rows: N integers in [-max_shift[0], max_shift[0]]; positive moves content down.
        shift_columns: N integers in [-max_shift[1], max_shift[1]]; positive moves content right.
        max_shift: (rows, columns) pixels of padding, a Python int or pair; must be smaller than
            the side for `"reflect"` padding.
        padding: `"reflect"` (mirror without repeating the edge), `"symmetric"` (mirror
            repeating the edge) or `"constant"` (zeros).

    Returns:
        A batch of the same shape and dtype.

    Example:
        >>> import numpy as np
        >>> images = np.arange(1, 5, dtype="float32").reshape(1, 1, 4, 1)
        >>> out = translate(images, [0], [1], max_shift=2, padding="constant")
        >>> np.asarray(out)[0, 0, :, 0].tolist()
        [0.0, 1.0, 2.0, 3.0]
    """
    if padding not in PADDING_MODES:
        raise ValueError(f"padding must be one of {PADDING_MODES}, got {padding!r}.")
    pad_rows, pad_columns = (max_shift, max_shift) if isinstance(max_shift, int) else max_shift
    images = ops.convert_to_tensor(images)
    height, width = images.shape[1], images.shape[2]
    if padding != "constant" and (pad_rows >= height or pad_columns >= width):
        raise ValueError(
            f"max_shift {max_shift} must be smaller than the image ({height} x {width}) for "
            f"{padding!r} padding; use a smaller shift or padding='constant'."
        )
    padded = ops.pad(
        images, ((0, 0), (pad_rows, pad_rows), (pad_columns, pad_columns), (0, 0)), mode=padding
    )
    # Output row i reads padded row i + pad - shift.
    start_rows = pad_rows - ops.cast(ops.convert_to_tensor(shift_rows), "int32")
    start_columns = pad_columns - ops.cast(ops.convert_to_tensor(shift_columns), "int32")
    rows = start_rows[:, None] + ops.arange(height, dtype="int32")[None, :]
    columns = start_columns[:, None] + ops.arange(width, dtype="int32")[None, :]
    return _gather_columns(_gather_rows(padded, rows), columns)


def translation_pixels(side, fraction):
    """The largest shift for an image side: `round(fraction * side)`, at least 1 if fraction > 0.

    With the default fraction 1/8 that is 4 px for 32 px images and 6 px for 48 px.
    """
    if fraction <= 0:
        return 0
    return max(1, min(int(round(fraction * side)), side - 1))


def random_translate(images, fraction=0.125, padding="reflect", seed=None):
    """Move each image by a random whole number of pixels, up to `fraction` of each side.

    Shifts are drawn independently per image and per axis, uniformly from
    `-max_shift .. max_shift` with `max_shift = translation_pixels(side, fraction)`.

    Args:
        images: N x H x W x C floats.
        fraction: largest shift as a fraction of the side (1/8: 4 px on 32 px, 6 px on 48 px).
        padding: how the uncovered border is filled; see `translate`.
        seed: a `keras.random.SeedGenerator`, an int, or None.

    Returns:
        A batch of the same shape and dtype.

    Example:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).random((4, 32, 32, 3)).astype("float32")
        >>> tuple(random_translate(images, seed=0).shape)
        (4, 32, 32, 3)
    """
    _check_strength("fraction", fraction)
    images = ops.convert_to_tensor(images)
    pad_rows = translation_pixels(images.shape[1], fraction)
    pad_columns = translation_pixels(images.shape[2], fraction)
    if pad_rows == 0 and pad_columns == 0:
        return images

    def draw_shifts(largest):
        # floor(uniform * (2k + 1)) - k is uniform over the 2k + 1 integers -k .. k.
        uniform = keras.random.uniform((_batch_size(images),), seed=seed)
        shifts = ops.floor(uniform * (2 * largest + 1)) - largest
        return ops.clip(ops.cast(shifts, "int32"), -largest, largest)

    return translate(
        images, draw_shifts(pad_rows), draw_shifts(pad_columns), (pad_rows, pad_columns), padding
    )


def _bilinear_axis(images, starts, lengths, axis):
    """Resample along `axis` (1 rows, 2 columns): output pixel k samples the input at
    `start + (k + 0.5) * length / side - 0.5`, linearly interpolated between its two neighbours."""
    side = images.shape[axis]
    positions = (ops.arange(side, dtype=_dtype(images))[None, :] + 0.5) / side
    positions = starts[:, None] + positions * lengths[:, None] - 0.5
    positions = ops.clip(positions, 0.0, side - 1.0)
    lower = ops.floor(positions)
    upper = ops.minimum(lower + 1.0, side - 1.0)
    weight = positions - lower
    gather = _gather_rows if axis == 1 else _gather_columns
    if axis == 1:
        weight = weight[:, :, None, None]
    else:
        weight = weight[:, None, :, None]
    return gather(images, lower) * (1.0 - weight) + gather(images, upper) * weight


def random_resized_crop(
    images, area_range=(0.25, 1.0), aspect_ratio_range=(0.75, 4 / 3), seed=None
):
    """Crop a random rectangle of each image and resize it back to the full size (bilinear).

    The crop's area is a uniform fraction of the image in `area_range`, its aspect ratio (relative
    to the image's own, so 1 keeps the image's shape) log-uniform in `aspect_ratio_range`, its
    position uniform (SimCLR's "random resized crop",
    clipped to the image instead of retried). It is SimCLR's most important augmentation for
    contrastive learning (Chen et al., 2020, Fig. 5). Output pixels are convex combinations of
    input pixels, so values stay in [0, 1].

    Args:
        images: N x H x W x C floats.
        area_range: (smallest, largest) crop area as a fraction of the image, within (0, 1].
        aspect_ratio_range: (smallest, largest) width / height of the crop, relative to the
            image's width / height.
        seed: a `keras.random.SeedGenerator`, an int, or None.

    Returns:
        A batch of the same shape and dtype.

    Example:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).random((4, 32, 32, 1)).astype("float32")
        >>> tuple(random_resized_crop(images, area_range=(0.5, 1.0), seed=0).shape)
        (4, 32, 32, 1)
    """
    smallest, largest = area_range
    if not 0 < smallest <= largest <= 1:
        raise ValueError(f"area_range must be (smallest, largest) in (0, 1], got {area_range!r}.")
    if not 0 < aspect_ratio_range[0] <= aspect_ratio_range[1]:
        raise ValueError(
            f"aspect_ratio_range must be (smallest, largest) > 0, got {aspect_ratio_range!r}."
        )
    images = ops.convert_to_tensor(images)
    height, width = images.shape[1], images.shape[2]
    batch = (_batch_size(images),)
    area = keras.random.uniform(batch, smallest, largest, dtype=_dtype(images), seed=seed)
    log_ratio = keras.random.uniform(
        batch,
        math.log(aspect_ratio_range[0]),
        math.log(aspect_ratio_range[1]),
        dtype=_dtype(images),
        seed=seed,
    )
    ratio = ops.exp(log_ratio)
    crop_height = ops.clip(height * ops.sqrt(area / ratio), 1.0, float(height))
    crop_width = ops.clip(width * ops.sqrt(area * ratio), 1.0, float(width))
    top = keras.random.uniform(batch, dtype=_dtype(images), seed=seed) * (height - crop_height)
    left = keras.random.uniform(batch, dtype=_dtype(images), seed=seed) * (width - crop_width)
    images = _bilinear_axis(images, top, crop_height, axis=1)
    return _bilinear_axis(images, left, crop_width, axis=2)


# ---------------------------------------------------------------------------- colour
def adjust_brightness(images, factor):
    """Multiply by `factor` (per image, broadcastable) and clip to [0, 1]."""
    return ops.clip(images * factor, 0.0, 1.0)


def adjust_contrast(images, factor):
    """Scale each image's deviation from its mean gray level by `factor`; clip to [0, 1]."""
    mean = ops.mean(_grayscale(images), axis=(1, 2, 3), keepdims=True)
    return ops.clip((images - mean) * factor + mean, 0.0, 1.0)


def adjust_saturation(images, factor):
    """Scale each pixel's deviation from its gray value by `factor` (RGB only); clip to [0, 1]."""
    gray = _grayscale(images)
    return ops.clip((images - gray) * factor + gray, 0.0, 1.0)


def random_color_jitter(
    images, brightness=0.4, contrast=0.4, saturation=0.4, probability=0.8, seed=None
):
    """Random brightness, contrast and (for RGB) saturation, as in SimCLR's colour distortion.

    Each strength `s` draws a factor uniformly from `[max(0, 1 - s), 1 + s]` per image (the
    torchvision convention); the three adjustments are applied in this fixed order, each clipped
    to [0, 1]. Saturation is skipped for 1-channel images. With probability `1 - probability` an
    image is left as it is.

    Args:
        images: N x H x W x C floats in [0, 1], C = 1 or 3.
        brightness: strength of the multiplicative brightness change (0 turns it off).
        contrast: strength of the contrast change (0 turns it off).
        saturation: strength of the saturation change (0 or 1 channel turns it off).
        probability: chance that an image is jittered at all.
        seed: a `keras.random.SeedGenerator`, an int, or None.

    Returns:
        A batch of the same shape and dtype, values in [0, 1].

    Example:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).random((4, 32, 32, 3)).astype("float32")
        >>> out = np.asarray(random_color_jitter(images, seed=0))
        >>> bool(out.min() >= 0 and out.max() <= 1)
        True
    """
    for name, value in (("brightness", brightness), ("contrast", contrast)):
        _check_strength(name, value)
    _check_strength("saturation", saturation)
    _check_probability("probability", probability)
    images = ops.convert_to_tensor(images)
    jittered = images
    adjustments = [(brightness, adjust_brightness), (contrast, adjust_contrast)]
    if images.shape[-1] == 3:
        adjustments.append((saturation, adjust_saturation))
    for strength, adjust in adjustments:
        if strength > 0:
            factor = _per_image_uniform(images, max(0.0, 1.0 - strength), 1.0 + strength, seed)
            jittered = adjust(jittered, factor)
    return ops.where(_per_image_mask(images, probability, seed), jittered, images)


def random_grayscale(images, probability=0.2, seed=None):
    """Turn each RGB image to gray (kept 3 channels) with the given probability.

    1-channel images are returned unchanged.

    Args:
        images: N x H x W x C floats, C = 1 or 3.
        probability: chance that an image becomes gray.
        seed: a `keras.random.SeedGenerator`, an int, or None.

    Returns:
        A batch of the same shape and dtype.
    """
    _check_probability("probability", probability)
    images = ops.convert_to_tensor(images)
    if images.shape[-1] != 3 or probability == 0:
        return images
    gray = ops.broadcast_to(_grayscale(images), ops.shape(images))
    return ops.where(_per_image_mask(images, probability, seed), gray, images)


# ---------------------------------------------------------------------------- the layer
@keras.saving.register_keras_serializable(package="semisup")
class Augmenter(SavesSeedState, keras.layers.Layer):
    """A random view of each image: resized crop, flip, translation, colour jitter, grayscale.

    Applied in that order, each step per image with its own random draw from the layer's
    `SeedGenerator`, so two calls on one batch give two different views. It compiles inside a
    Keras train step on TensorFlow (XLA) and JAX. With `training=False` it returns the images
    unchanged, like Keras's own random layers.

    Defaults follow the image: the translation scales with the side (4 px on 32 px, 6 px on 48 px),
    and saturation and grayscale are applied to RGB images only. The resized crop is off unless
    `crop_area_range` is given.

    Args:
        horizontal_flip: mirror half the images left to right.
        translation: largest shift as a fraction of the side (1/8); 0 turns it off.
        padding: how the border uncovered by a shift is filled: `"reflect"`, `"symmetric"` or
            `"constant"` (zeros).
        crop_area_range: None, or (smallest, largest) area fraction of a random resized crop.
        brightness: colour-jitter strength for brightness (0 turns it off).
        contrast: colour-jitter strength for contrast (0 turns it off).
        saturation: colour-jitter strength for saturation, RGB only (0 turns it off).
        color_jitter_probability: chance that an image is colour-jittered at all.
        grayscale_probability: chance that an RGB image is turned gray.
        seed: int or None, seeds the layer's `keras.random.SeedGenerator`.
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Returns (when called):
        The augmented batch, same shape and dtype, values in [0, 1].

    Example:
        >>> import numpy as np
        >>> augmenter = Augmenter(crop_area_range=(0.3, 1.0), seed=1)
        >>> images = np.random.default_rng(0).random((2, 48, 48, 1)).astype("float32")
        >>> tuple(augmenter(images).shape)
        (2, 48, 48, 1)
    """

    def __init__(
        self,
        horizontal_flip=True,
        translation=0.125,
        padding="reflect",
        crop_area_range=None,
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        color_jitter_probability=0.8,
        grayscale_probability=0.2,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_strength("translation", translation)
        if padding not in PADDING_MODES:
            raise ValueError(f"padding must be one of {PADDING_MODES}, got {padding!r}.")
        if crop_area_range is not None:
            crop_area_range = tuple(crop_area_range)
            if len(crop_area_range) != 2 or not 0 < crop_area_range[0] <= crop_area_range[1] <= 1:
                raise ValueError(
                    "crop_area_range must be None or (smallest, largest) area fractions in "
                    f"(0, 1], got {crop_area_range!r}."
                )
        for name, value in (("brightness", brightness), ("contrast", contrast)):
            _check_strength(name, value)
        _check_strength("saturation", saturation)
        _check_probability("color_jitter_probability", color_jitter_probability)
        _check_probability("grayscale_probability", grayscale_probability)
        self.horizontal_flip = bool(horizontal_flip)
        self.translation = translation
        self.padding = padding
        self.crop_area_range = crop_area_range
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.color_jitter_probability = color_jitter_probability
        self.grayscale_probability = grayscale_probability
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Random layers are not differentiable w.r.t. their randomness; nothing to train here.
        self.trainable = False

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] not in (1, 3):
            raise ValueError(
                f"Augmenter expects images of shape (batch, height, width, 1 or 3), got "
                f"{tuple(input_shape)}."
            )

    def call(self, images, training=True):
        if not training:
            return images
        images = ops.convert_to_tensor(images)
        if self.crop_area_range is not None:
            images = random_resized_crop(images, self.crop_area_range, seed=self.seed_generator)
        if self.horizontal_flip:
            images = random_flip_left_right(images, seed=self.seed_generator)
        if self.translation > 0:
            images = random_translate(
                images, self.translation, self.padding, seed=self.seed_generator
            )
        if self.color_jitter_probability > 0:
            images = random_color_jitter(
                images,
                self.brightness,
                self.contrast,
                self.saturation,
                self.color_jitter_probability,
                seed=self.seed_generator,
            )
        if self.grayscale_probability > 0:
            images = random_grayscale(images, self.grayscale_probability, seed=self.seed_generator)
        return images

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            horizontal_flip=self.horizontal_flip,
            translation=self.translation,
            padding=self.padding,
            crop_area_range=self.crop_area_range,
            brightness=self.brightness,
            contrast=self.contrast,
            saturation=self.saturation,
            color_jitter_probability=self.color_jitter_probability,
            grayscale_probability=self.grayscale_probability,
            seed=self.seed,
        )
        return config


# ---------------------------------------------------------------------------- FixMatch's views
#: The operations of `rand_augment` and the range each one's magnitude is drawn from, uniformly,
#: per image: FixMatch's RandAugment (Sohn et al., 2020, Table 12). Factors of 1 would leave an
#: image as it is, so brightness, colour, contrast and sharpness only ever weaken it; posterize
#: keeps 4 to 8 bits, solarize's threshold is a value in [0, 1], rotate is in degrees, shears are
#: slopes and translations fractions of the side.
RAND_AUGMENT_RANGES = {
    "identity": (0.0, 0.0),
    "autocontrast": (0.0, 0.0),
    "equalize": (0.0, 0.0),
    "brightness": (0.05, 0.95),
    "color": (0.05, 0.95),
    "contrast": (0.05, 0.95),
    "sharpness": (0.05, 0.95),
    "posterize": (4.0, 8.0),
    "solarize": (0.0, 1.0),
    "rotate": (-30.0, 30.0),
    "shear_x": (-0.3, 0.3),
    "shear_y": (-0.3, 0.3),
    "translate_x": (-0.3, 0.3),
    "translate_y": (-0.3, 0.3),
}
RAND_AUGMENT_OPERATIONS = tuple(RAND_AUGMENT_RANGES)
_GEOMETRIC_OPERATIONS = ("rotate", "shear_x", "shear_y", "translate_x", "translate_y")
#: PIL's SMOOTH filter, the "degenerate" image that PIL's sharpness enhancer blends with.
_SMOOTH_KERNEL = ((1.0, 1.0, 1.0), (1.0, 5.0, 1.0), (1.0, 1.0, 1.0))


def _as_seed_generator(seed):
    """A function that draws several times needs a generator: an int seed repeats its draws.

    Inside a compiled function pass a `keras.random.SeedGenerator` (creating one makes a variable).
    """
    if isinstance(seed, keras.random.SeedGenerator):
        return seed
    return keras.random.SeedGenerator(seed)


def _per_image(values):
    """Scalars stay scalars; one value per image (N,) becomes N x 1 x 1 x 1."""
    values = ops.convert_to_tensor(values)
    return values if len(values.shape) == 0 else ops.reshape(values, (-1, 1, 1, 1))


def solarize(images, threshold):
    """Invert every value at or above `threshold`: `v -> 1 - v` (PIL's solarize on [0, 1]).

    Args:
        images: N x H x W x C floats in [0, 1].
        threshold: a scalar or one value per image (N,), in [0, 1]; 1 inverts only white.

    Returns:
        A batch of the same shape and dtype, values in [0, 1].
    """
    images = ops.convert_to_tensor(images)
    return ops.where(images >= _per_image(threshold), 1.0 - images, images)


def posterize(images, bits):
    """Keep the `bits` most significant bits of each value's 8-bit code (PIL's posterize).

    Args:
        images: N x H x W x C floats in [0, 1].
        bits: a scalar or one value per image (N,), whole numbers in 1..8; 8 only rounds each
            value to the nearest of the 256 8-bit levels.

    Returns:
        A batch of the same shape and dtype, values in [0, 1].

    Example:
        >>> import numpy as np
        >>> out = posterize(np.array([[[[200 / 255]]]], "float32"), 4)
        >>> round(float(np.asarray(out).squeeze()) * 255)  # 200 = 0b11001000 -> 0b11000000
        192
    """
    images = ops.convert_to_tensor(images)
    step = ops.power(2.0, 8.0 - ops.cast(_per_image(bits), _dtype(images)))
    codes = ops.round(ops.clip(images, 0.0, 1.0) * 255.0)
    return ops.floor(codes / step) * step / 255.0


def autocontrast(images):
    """Stretch each channel of each image to span [0, 1] (PIL's autocontrast, no cut-off).

    A channel that holds one value only is left as it is.

    Args:
        images: N x H x W x C floats in [0, 1].

    Returns:
        A batch of the same shape and dtype, values in [0, 1].
    """
    images = ops.convert_to_tensor(images)
    low = ops.min(images, axis=(1, 2), keepdims=True)
    spread = ops.max(images, axis=(1, 2), keepdims=True) - low
    stretched = (images - low) / ops.where(spread > 0, spread, 1.0)
    return ops.clip(ops.where(spread > 0, stretched, images), 0.0, 1.0)


def equalize(images):
    """Equalise the histogram of each channel of each image over its 256 8-bit levels.

    The rule of PIL's and torchvision's `equalize`: with `step = (pixels - count of the highest
    level present) // 255`, level `l` maps to `(pixels below l + step // 2) // step`, and an
    image with `step == 0` (nearly constant) is left as it is. The histograms come from one
    `segment_sum` over the batch (O(pixels), no per-image loop), so the batch size must be
    static (it is inside a training step).

    Args:
        images: N x H x W x C floats in [0, 1].

    Returns:
        A batch of the same shape and dtype, values in [0, 1] (multiples of 1/255 where changed).
    """
    images = ops.convert_to_tensor(images)
    count, height, width, channels = images.shape
    if count is None:
        raise ValueError("equalize needs a batch of static size; got a batch of unknown size.")
    pixels, rows = height * width, count * channels
    dtype = _dtype(images)
    # one row per (image, channel), holding its pixels' 8-bit codes
    flat = ops.reshape(ops.transpose(images, (0, 3, 1, 2)), (rows, pixels))
    codes = ops.cast(ops.round(ops.clip(flat, 0.0, 1.0) * 255.0), "int32")
    segments = codes + ops.arange(rows, dtype="int32")[:, None] * 256
    histogram = ops.segment_sum(
        ops.ones((rows * pixels,), dtype=dtype),
        ops.reshape(segments, (-1,)),
        num_segments=rows * 256,
    )
    histogram = ops.reshape(histogram, (rows, 256))
    top_count = ops.take_along_axis(histogram, ops.max(codes, axis=1, keepdims=True), axis=1)
    step = ops.floor((pixels - top_count) / 255.0)
    below = ops.cumsum(histogram, axis=1) - histogram
    lookup = ops.floor((below + ops.floor(step / 2.0)) / ops.maximum(step, 1.0))
    equalized = ops.take_along_axis(ops.clip(lookup, 0.0, 255.0), codes, axis=1) / 255.0
    flat = ops.where(step > 0, equalized, flat)
    return ops.transpose(ops.reshape(flat, (count, channels, height, width)), (0, 2, 3, 1))


def adjust_sharpness(images, factor):
    """Blend each image with its smoothed copy (PIL's sharpness enhancer).

    `out = smooth + factor * (image - smooth)`, where `smooth` is the image under PIL's 3 x 3
    SMOOTH filter with the border pixels kept: 0 blurs, 1 keeps the image, above 1 sharpens.

    Args:
        images: N x H x W x C floats in [0, 1].
        factor: a scalar, or one value per image broadcastable to N x 1 x 1 x 1.

    Returns:
        A batch of the same shape and dtype, values in [0, 1].
    """
    images = ops.convert_to_tensor(images)
    height, width = images.shape[1], images.shape[2]
    padded = ops.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
    smooth = 0.0
    for row, weights in enumerate(_SMOOTH_KERNEL):
        for column, weight in enumerate(weights):
            smooth = smooth + weight * padded[:, row : row + height, column : column + width, :]
    smooth = smooth / sum(map(sum, _SMOOTH_KERNEL))
    rows = ops.arange(height)[None, :, None, None]
    columns = ops.arange(width)[None, None, :, None]
    interior = (rows > 0) & (rows < height - 1) & (columns > 0) & (columns < width - 1)
    smooth = ops.where(interior, smooth, images)
    return ops.clip(smooth + factor * (images - smooth), 0.0, 1.0)


def _bilinear_sample(images, columns, rows, fill_value):
    """`out[n, i, j]` = the input of image n at (rows[n, i, j], columns[n, i, j]), interpolated
    bilinearly between its four neighbours; neighbours outside the image count as `fill_value`.

    The same rule as `keras.ops.image.affine_transform` (bilinear, constant fill), written with
    four gathers: that op measured 8x slower for a batch of 448 32 x 32 images on a CPU under JAX
    (0.18 s against 0.02 s), and TensorFlow runs it through a kernel XLA may not compile.
    """
    count, height, width, channels = images.shape
    count = _batch_size(images) if count is None else count
    pixels = height * width
    flat = ops.reshape(images, (count, pixels, channels))
    left, top = ops.floor(columns), ops.floor(rows)
    weight_x = ops.reshape(columns - left, (count, pixels, 1))
    weight_y = ops.reshape(rows - top, (count, pixels, 1))

    def tap(row, column):
        inside = (column >= 0) & (column <= width - 1) & (row >= 0) & (row <= height - 1)
        index = ops.clip(row, 0, height - 1) * width + ops.clip(column, 0, width - 1)
        index = ops.reshape(ops.cast(index, "int32"), (count, pixels, 1))
        values = ops.take_along_axis(flat, index, axis=1)
        return ops.where(ops.reshape(inside, (count, pixels, 1)), values, fill_value)

    out = (
        tap(top, left) * (1.0 - weight_x) * (1.0 - weight_y)
        + tap(top, left + 1.0) * weight_x * (1.0 - weight_y)
        + tap(top + 1.0, left) * (1.0 - weight_x) * weight_y
        + tap(top + 1.0, left + 1.0) * weight_x * weight_y
    )
    return ops.reshape(out, (count, height, width, channels))


def affine_transforms(
    height, width, rotation=0.0, shear_x=0.0, shear_y=0.0, translate_x=0.0, translate_y=0.0
):
    """The N x 8 transforms (`keras.ops.image.affine_transform`'s convention) of `affine`.

    Row n `[a0, a1, a2, b0, b1, b2, 0, 0]` maps the output pixel (x, y) to the input point
    `(a0 x + a1 y + a2, b0 x + b1 y + b2)`. Each argument after the sides is a scalar or one value
    per image, all of one length N (scalars give N = 1).
    """
    values = [
        ops.cast(ops.convert_to_tensor(value), "float32")
        for value in (rotation, shear_x, shear_y, translate_x, translate_y)
    ]
    count = max([1] + [value.shape[0] for value in values if len(value.shape)])
    rotation, shear_x, shear_y, translate_x, translate_y = [
        ops.broadcast_to(value, (count,)) for value in values
    ]
    angle = rotation * (math.pi / 180.0)
    cos, sin = ops.cos(angle), ops.sin(angle)
    # A = S R with R = [[cos, sin], [-sin, cos]] and S = [[1, shear_x], [shear_y, 1]]
    a00, a01 = cos - shear_x * sin, sin + shear_x * cos
    a10, a11 = shear_y * cos - sin, shear_y * sin + cos
    centre_x, centre_y = (width - 1) / 2.0, (height - 1) / 2.0
    offset_x = centre_x - a00 * centre_x - a01 * centre_y - translate_x * width
    offset_y = centre_y - a10 * centre_x - a11 * centre_y - translate_y * height
    zeros = ops.zeros_like(a00)
    return ops.stack([a00, a01, offset_x, a10, a11, offset_y, zeros, zeros], axis=1)


def affine(
    images,
    rotation=0.0,
    shear_x=0.0,
    shear_y=0.0,
    translate_x=0.0,
    translate_y=0.0,
    fill_value=0.5,
):
    """Rotate, shear and translate each image about its centre (bilinear, constant fill).

    Each argument is a scalar or one value per image (N,). The output pixel at offset `(u, v)`
    from the centre reads the input at `S R (u, v) + centre - (translate_x W, translate_y H)`,
    with `R` the rotation by `rotation` degrees and `S = [[1, shear_x], [shear_y, 1]]`: the
    transforms of `affine_transforms`, applied as `keras.ops.image.affine_transform` would
    (bilinear, constant fill) but with gathers, which are faster and compile on every backend.

    Args:
        images: N x H x W x C floats in [0, 1].
        rotation: degrees.
        shear_x: horizontal shear (x moves by `shear_x` pixels per row from the centre).
        shear_y: vertical shear.
        translate_x: shift to the right, as a fraction of the width.
        translate_y: shift down, as a fraction of the height.
        fill_value: the value of pixels that come from outside the image (0.5: gray, as
            FixMatch's implementations fill).

    Returns:
        A batch of the same shape and dtype, values in [0, 1].

    Example:
        >>> import numpy as np
        >>> images = np.arange(4, dtype="float32").reshape(1, 1, 4, 1) / 4
        >>> np.asarray(affine(images, translate_x=0.25, fill_value=0.0))[0, 0, :, 0].tolist()
        [0.0, 0.0, 0.25, 0.5]
    """
    images = ops.convert_to_tensor(images)
    height, width = images.shape[1], images.shape[2]
    transforms = affine_transforms(
        height, width, rotation, shear_x, shear_y, translate_x, translate_y
    )
    columns = ops.arange(width, dtype="float32")[None, None, :]
    rows = ops.arange(height, dtype="float32")[None, :, None]

    def coefficient(index):
        return transforms[:, index][:, None, None]

    grid = (_batch_size(images), height, width)  # scalar arguments hold for every image
    source_columns = ops.broadcast_to(
        coefficient(0) * columns + coefficient(1) * rows + coefficient(2), grid
    )
    source_rows = ops.broadcast_to(
        coefficient(3) * columns + coefficient(4) * rows + coefficient(5), grid
    )
    warped = _bilinear_sample(
        ops.cast(images, "float32"), source_columns, source_rows, float(fill_value)
    )
    return ops.clip(ops.cast(warped, _dtype(images)), 0.0, 1.0)


def random_cutout(images, max_fraction=0.5, fill_value=0.5, seed=None):
    """Fill a random rectangle of each image with `fill_value` (Cutout, DeVries & Taylor, 2017).

    Its sides are one fraction, uniform in `[0, max_fraction]` per image, of the image's height
    and width (a square on square images); its centre is uniform over the image, and it is clipped
    at the border, as in FixMatch's strong augmentation.

    Args:
        images: N x H x W x C floats in [0, 1].
        max_fraction: largest side as a fraction of the image's, in [0, 1]; 0 turns it off.
        fill_value: the value of the cut-out pixels (0.5: gray).
        seed: a `keras.random.SeedGenerator`, an int, or None.

    Returns:
        A batch of the same shape and dtype.
    """
    _check_probability("max_fraction", max_fraction)
    images = ops.convert_to_tensor(images)
    if max_fraction == 0:
        return images
    seed = _as_seed_generator(seed)
    height, width = images.shape[1], images.shape[2]
    batch = (_batch_size(images),)
    fraction = keras.random.uniform(batch, 0.0, max_fraction, seed=seed)
    centre_y = keras.random.uniform(batch, 0.0, float(height), seed=seed)
    centre_x = keras.random.uniform(batch, 0.0, float(width), seed=seed)
    # pixel i covers [i, i + 1); it is cut out when its centre falls inside the rectangle
    rows = ops.arange(height, dtype="float32")[None, :] + 0.5
    columns = ops.arange(width, dtype="float32")[None, :] + 0.5
    inside_rows = ops.abs(rows - centre_y[:, None]) < (fraction * height / 2.0)[:, None]
    inside_columns = ops.abs(columns - centre_x[:, None]) < (fraction * width / 2.0)[:, None]
    inside = inside_rows[:, :, None, None] & inside_columns[:, None, :, None]
    return ops.where(inside, ops.cast(fill_value, _dtype(images)), images)


def _rand_augment_round(images, operations, fill_value, seed):
    """Apply one operation per image, chosen uniformly from `operations`, at a random magnitude.

    Every operation is computed for the whole batch and each image keeps its chosen one (ops.where),
    so nothing loops over images; the geometric ones share one `affine` call.
    """
    batch = (_batch_size(images),)
    choice = keras.random.randint(batch, 0, len(operations), seed=seed)
    level = keras.random.uniform(batch, dtype=_dtype(images), seed=seed)

    def chosen(name):
        return ops.equal(choice, operations.index(name))

    def magnitude(name):
        low, high = RAND_AUGMENT_RANGES[name]
        if name == "posterize":  # whole bits, low..high
            return ops.minimum(ops.floor(low + level * (high - low + 1.0)), high)
        return low + level * (high - low)

    colour_operations = {
        "autocontrast": lambda x, _: autocontrast(x),
        "equalize": lambda x, _: equalize(x),
        "brightness": adjust_brightness,
        "color": adjust_saturation if images.shape[-1] == 3 else (lambda x, _: x),
        "contrast": adjust_contrast,
        "sharpness": adjust_sharpness,
        "posterize": lambda x, bits: posterize(x, ops.reshape(bits, (-1,))),
        "solarize": lambda x, threshold: solarize(x, ops.reshape(threshold, (-1,))),
    }
    out = images
    geometric = [name for name in operations if name in _GEOMETRIC_OPERATIONS]
    if geometric:
        parameters = {
            name: ops.where(chosen(name), magnitude(name), 0.0) if name in geometric else 0.0
            for name in _GEOMETRIC_OPERATIONS
        }
        warped = affine(images, *(parameters[name] for name in _GEOMETRIC_OPERATIONS), fill_value)
        any_geometric = ops.any(ops.stack([chosen(name) for name in geometric]), axis=0)
        out = ops.where(_per_image(any_geometric), warped, out)
    for name in operations:
        if name in colour_operations:
            candidate = colour_operations[name](images, _per_image(magnitude(name)))
            out = ops.where(_per_image(chosen(name)), candidate, out)
    return out


def _check_operations(operations):
    operations = tuple(operations)
    unknown = [name for name in operations if name not in RAND_AUGMENT_RANGES]
    if not operations or unknown or len(set(operations)) != len(operations):
        raise ValueError(
            "operations must be a non-empty sequence of distinct names from "
            f"{RAND_AUGMENT_OPERATIONS}, got {operations!r}."
        )
    return operations


def rand_augment(
    images, num_operations=2, operations=RAND_AUGMENT_OPERATIONS, fill_value=0.5, seed=None
):
    """FixMatch's RandAugment: `num_operations` random operations per image, random magnitudes.

    Each round chooses, for every image independently, one operation uniformly from `operations`
    and a magnitude uniformly from its range in `RAND_AUGMENT_RANGES` (FixMatch's variant of
    RandAugment, Sohn et al., 2020: no global magnitude). The choice is vectorised: every
    operation runs on the whole batch and each image keeps its own, so it compiles with static
    shapes and no per-image loop. "color" leaves 1-channel images as they are.

    Args:
        images: N x H x W x C floats in [0, 1], N static (see `equalize`).
        num_operations: operations applied in turn to each image (FixMatch: 2).
        operations: the names to choose from, a subset of `RAND_AUGMENT_OPERATIONS`.
        fill_value: fill of the pixels the geometric operations bring in from outside.
        seed: a `keras.random.SeedGenerator` (inside compiled code), an int, or None.

    Returns:
        A batch of the same shape and dtype, values in [0, 1].

    Example:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).random((4, 32, 32, 3)).astype("float32")
        >>> tuple(rand_augment(images, seed=0).shape)
        (4, 32, 32, 3)
    """
    operations = _check_operations(operations)
    if (
        not isinstance(num_operations, int)
        or isinstance(num_operations, bool)
        or num_operations < 0
    ):
        raise ValueError(f"num_operations must be an integer >= 0, got {num_operations!r}.")
    images = ops.convert_to_tensor(images)
    seed = _as_seed_generator(seed)
    for _ in range(num_operations):
        images = _rand_augment_round(images, operations, fill_value, seed)
    return images


def weak_augment(images, horizontal_flip=True, translation=0.125, padding="reflect", seed=None):
    """FixMatch's weak augmentation: a random horizontal flip, then a random translation.

    Args:
        images: N x H x W x C floats in [0, 1].
        horizontal_flip: mirror half the images; turn it off where mirroring changes the class
            (digits, text).
        translation: largest shift as a fraction of the side (FixMatch: 12.5%); 0 turns it off.
        padding: fill of the uncovered border (see `translate`; FixMatch: `"reflect"`).
        seed: a `keras.random.SeedGenerator` (inside compiled code), an int, or None.

    Returns:
        A batch of the same shape and dtype, values in [0, 1].
    """
    _check_strength("translation", translation)
    images = ops.convert_to_tensor(images)
    seed = _as_seed_generator(seed)
    if horizontal_flip:
        images = random_flip_left_right(images, seed=seed)
    if translation > 0:
        images = random_translate(images, translation, padding, seed=seed)
    return images


def strong_augment(
    images,
    horizontal_flip=True,
    translation=0.125,
    padding="reflect",
    num_operations=2,
    operations=RAND_AUGMENT_OPERATIONS,
    cutout=0.5,
    fill_value=0.5,
    seed=None,
):
    """FixMatch's strong augmentation: the weak one, then `rand_augment`, then Cutout.

    Args:
        images: N x H x W x C floats in [0, 1], N static.
        horizontal_flip, translation, padding: the weak augmentation (see `weak_augment`).
        num_operations, operations: RandAugment's (see `rand_augment`; FixMatch: 2 of all 14).
        cutout: largest Cutout side as a fraction of the image's (FixMatch: 0.5); 0 turns it off.
        fill_value: fill of Cutout and of the pixels the geometric operations bring in.
        seed: a `keras.random.SeedGenerator` (inside compiled code), an int, or None.

    Returns:
        A batch of the same shape and dtype, values in [0, 1].

    Example:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).random((4, 32, 32, 1)).astype("float32")
        >>> out = np.asarray(strong_augment(images, horizontal_flip=False, seed=0))
        >>> out.shape, bool(out.min() >= 0 and out.max() <= 1)
        ((4, 32, 32, 1), True)
    """
    seed = _as_seed_generator(seed)
    images = weak_augment(images, horizontal_flip, translation, padding, seed=seed)
    images = rand_augment(images, num_operations, operations, fill_value, seed=seed)
    return random_cutout(images, cutout, fill_value, seed=seed)


# ----------------------------------------------------------------------------- strategies' option
def _augmenter_arguments() -> tuple[str, ...]:
    return tuple(
        name
        for name, parameter in inspect.signature(Augmenter.__init__).parameters.items()
        if name != "self" and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
    )


#: The keys a strategy's `augmentation=` dict accepts: `Augmenter`'s arguments.
AUGMENTER_ARGUMENTS = _augmenter_arguments()


def check_augmentation_option(augmentation) -> None:
    """A strategy's `augmentation=` option: None or a dict of `Augmenter` arguments, else an
    error that names the option and lists the accepted keys."""
    if augmentation is not None and not isinstance(augmentation, dict):
        raise TypeError(
            "augmentation must be None or a dict of semisup.augmentation.Augmenter arguments, "
            f"got {type(augmentation).__name__} {augmentation!r}."
        )
    unknown = [key for key in augmentation or {} if key not in AUGMENTER_ARGUMENTS]
    if unknown:
        raise ValueError(
            f"augmentation has unknown key(s) {unknown}; the accepted keys (arguments of "
            f"semisup.augmentation.Augmenter) are {list(AUGMENTER_ARGUMENTS)}."
        )


def augmenter_from_option(augmentation, defaults, seed, name) -> Augmenter:
    """The `Augmenter` of a strategy's `augmentation=` dict over its `defaults` (seeded with
    `seed` unless the dict gives one); a bad value's error is prefixed with "augmentation: "."""
    arguments = {**defaults, **(augmentation or {})}
    arguments.setdefault("seed", seed)
    try:
        return Augmenter(**arguments, name=name)
    except (TypeError, ValueError) as error:
        raise type(error)(f"augmentation: {error}") from error


__all__ = [
    "AUGMENTER_ARGUMENTS",
    "PADDING_MODES",
    "RAND_AUGMENT_OPERATIONS",
    "RAND_AUGMENT_RANGES",
    "Augmenter",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_sharpness",
    "affine",
    "affine_transforms",
    "augmenter_from_option",
    "autocontrast",
    "check_augmentation_option",
    "equalize",
    "flip_left_right",
    "posterize",
    "rand_augment",
    "random_color_jitter",
    "random_cutout",
    "random_flip_left_right",
    "random_grayscale",
    "random_resized_crop",
    "random_translate",
    "solarize",
    "strong_augment",
    "translate",
    "translation_pixels",
    "weak_augment",
]
