"""Augmentation: shapes, ranges and content are kept, views differ, and it all compiles."""

import keras
import numpy as np
import pytest

from semisup import augmentation
from semisup.augmentation import Augmenter

pytestmark = pytest.mark.backend


def random_images(shape, seed=0):
    images = np.random.default_rng(seed).random(shape).astype("float32")
    # exact extremes, so clipping mistakes at 0 and 1 would show
    images[0, 0, 0, :] = 0.0
    images[0, 0, 1, :] = 1.0
    return images


def shifted_with_zeros(image, shift_rows, shift_columns):
    """NumPy reference: `out[i, j] = image[i - shift_rows, j - shift_columns]`, zeros outside."""
    height, width = image.shape[:2]
    out = np.zeros_like(image)
    rows_out = slice(max(shift_rows, 0), height + min(shift_rows, 0))
    rows_in = slice(max(-shift_rows, 0), height + min(-shift_rows, 0))
    columns_out = slice(max(shift_columns, 0), width + min(shift_columns, 0))
    columns_in = slice(max(-shift_columns, 0), width + min(-shift_columns, 0))
    out[rows_out, columns_out] = image[rows_in, columns_in]
    return out


SHAPES = [(6, 32, 32, 3), (3, 48, 40, 1)]

FUNCTIONS = {
    "flip": lambda x: augmentation.random_flip_left_right(x, seed=1),
    "translate": lambda x: augmentation.random_translate(x, seed=1),
    "translate_zero": lambda x: augmentation.random_translate(x, padding="constant", seed=1),
    "crop": lambda x: augmentation.random_resized_crop(x, seed=1),
    "jitter": lambda x: augmentation.random_color_jitter(
        x, brightness=0.9, contrast=0.9, saturation=0.9, probability=1.0, seed=1
    ),
    "grayscale": lambda x: augmentation.random_grayscale(x, probability=1.0, seed=1),
    "augmenter": lambda x: Augmenter(crop_area_range=(0.3, 1.0), seed=1)(x),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_shape_dtype_and_range_are_kept(name, shape):
    images = random_images(shape)
    out = FUNCTIONS[name](images)
    assert tuple(out.shape) == shape
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    out = np.asarray(out)
    assert np.all(np.isfinite(out))
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_flip_mirrors_exactly_the_flipped_images():
    images = random_images((32, 8, 8, 3))
    out = np.asarray(augmentation.random_flip_left_right(images, seed=3))
    flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, images)]
    kept = [np.array_equal(o, i) for o, i in zip(out, images)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 0 < sum(flipped) < len(images)
    always = np.asarray(augmentation.random_flip_left_right(images, probability=1.0, seed=3))
    np.testing.assert_array_equal(always, images[:, :, ::-1])


def test_translate_equals_the_numpy_shift():
    images = random_images((4, 12, 10, 2))
    shift_rows, shift_columns = [0, 3, -2, 1], [2, -3, 0, 3]
    out = np.asarray(
        augmentation.translate(images, shift_rows, shift_columns, max_shift=3, padding="constant")
    )
    for image, result, rows, columns in zip(images, out, shift_rows, shift_columns):
        np.testing.assert_array_equal(result, shifted_with_zeros(image, rows, columns))


def test_reflect_padding_mirrors_the_border():
    image = np.arange(1, 6, dtype="float32").reshape(1, 1, 5, 1)
    out = augmentation.translate(image, [0], [2], max_shift=(0, 2), padding="reflect")
    assert np.asarray(out)[0, 0, :, 0].tolist() == [3.0, 2.0, 1.0, 2.0, 3.0]


def test_reflect_padding_wider_than_the_image_is_refused():
    with pytest.raises(ValueError, match="max_shift"):
        augmentation.translate(np.zeros((1, 3, 3, 1)), [0], [0], max_shift=3, padding="reflect")


def test_random_translation_moves_content_within_the_limit():
    images = random_images((16, 32, 32, 1))
    out = np.asarray(augmentation.random_translate(images, padding="constant", seed=5))
    largest = augmentation.translation_pixels(32, 0.125)
    assert largest == 4
    shifts = []
    for image, result in zip(images, out):
        matches = [
            (rows, columns)
            for rows in range(-largest, largest + 1)
            for columns in range(-largest, largest + 1)
            if np.array_equal(result, shifted_with_zeros(image, rows, columns))
        ]
        assert len(matches) == 1, "each image must be a whole-pixel shift of its original"
        shifts.append(matches[0])
    assert len(set(shifts)) > 1 and any(shift != (0, 0) for shift in shifts)


def test_translation_scales_with_the_image_side():
    assert augmentation.translation_pixels(32, 0.125) == 4
    assert augmentation.translation_pixels(48, 0.125) == 6
    assert augmentation.translation_pixels(8, 0.05) == 1
    assert augmentation.translation_pixels(32, 0) == 0


def test_full_area_crop_is_the_identity():
    images = random_images((3, 20, 16, 3))
    out = augmentation.random_resized_crop(
        images, area_range=(1.0, 1.0), aspect_ratio_range=(1.0, 1.0), seed=0
    )
    np.testing.assert_allclose(np.asarray(out), images, atol=1e-5)


def test_crop_zooms_in():
    # a horizontal ramp: a zoomed-in crop has a smaller spread of values than the whole image
    ramp = np.tile(np.linspace(0, 1, 32, dtype="float32"), (4, 32, 1))[..., None]
    out = np.asarray(augmentation.random_resized_crop(ramp, area_range=(0.25, 0.3), seed=0))
    spread = out.max(axis=(1, 2, 3)) - out.min(axis=(1, 2, 3))
    assert np.all(spread < 0.8)


def test_colour_jitter_keeps_gray_images_gray():
    gray = random_images((8, 16, 16, 1))
    rgb_gray = np.repeat(gray, 3, axis=-1)
    out = np.asarray(
        augmentation.random_color_jitter(rgb_gray, saturation=0.9, probability=1.0, seed=2)
    )
    np.testing.assert_allclose(out[..., 0], out[..., 2], atol=1e-6)
    assert not np.allclose(out, rgb_gray)


def test_grayscale_makes_channels_equal_and_skips_one_channel_images():
    rgb = random_images((4, 8, 8, 3))
    out = np.asarray(augmentation.random_grayscale(rgb, probability=1.0, seed=0))
    np.testing.assert_allclose(out[..., 0], out[..., 1], atol=1e-6)
    np.testing.assert_allclose(out[..., 1], out[..., 2], atol=1e-6)
    gray = random_images((4, 8, 8, 1))
    np.testing.assert_array_equal(np.asarray(augmentation.random_grayscale(gray, 1.0, 0)), gray)


def test_two_calls_give_different_views_and_a_seed_repeats_them():
    images = random_images((8, 32, 32, 3))
    augmenter = Augmenter(seed=7)
    first, second = np.asarray(augmenter(images)), np.asarray(augmenter(images))
    per_image_differs = np.abs(first - second).reshape(len(images), -1).max(axis=1) > 1e-3
    assert per_image_differs.mean() > 0.5
    np.testing.assert_array_equal(np.asarray(Augmenter(seed=7)(images)), first)


def test_inference_mode_returns_the_images():
    images = random_images((2, 28, 28, 1))
    out = Augmenter(seed=0)(images, training=False)
    np.testing.assert_array_equal(np.asarray(out), images)


def test_config_round_trip():
    augmenter = Augmenter(translation=0.1, crop_area_range=(0.2, 1.0), seed=3, name="views")
    twin = Augmenter.from_config(augmenter.get_config())
    assert twin.get_config() == augmenter.get_config()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"translation": -0.1}, "translation"),
        ({"padding": "wrap"}, "padding"),
        ({"crop_area_range": (0.5, 0.2)}, "crop_area_range"),
        ({"brightness": -1}, "brightness"),
        ({"color_jitter_probability": 1.5}, "color_jitter_probability"),
        ({"grayscale_probability": -0.1}, "grayscale_probability"),
    ],
)
def test_bad_parameters_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Augmenter(**kwargs)


def test_rejects_images_with_other_channel_counts():
    with pytest.raises(ValueError, match="1 or 3"):
        Augmenter()(np.zeros((2, 8, 8, 4), dtype="float32"))


def test_a_model_with_the_augmenter_trains_compiled():
    inputs = keras.Input((28, 28, 1))
    x = Augmenter(crop_area_range=(0.5, 1.0), seed=0)(inputs)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=True)  # fmt: skip
    images = random_images((16, 28, 28, 1))
    history = model.fit(images, np.arange(16) % 2, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.jit_compile is True
    assert not model.run_eagerly


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="jax.jit needs the JAX backend")
def test_jax_jit_compiles_the_augmenter_with_its_seed_state():
    import jax

    augmenter = Augmenter(crop_area_range=(0.3, 1.0), seed=0)
    images = random_images((4, 32, 32, 3))
    augmenter.build(images.shape)

    @jax.jit
    def augment(seed_state, batch):
        return augmenter.stateless_call([], seed_state, batch, training=True)

    state = [variable.value for variable in augmenter.non_trainable_variables]
    first, state = augment(state, images)
    second, state = augment(state, images)
    assert first.shape == images.shape
    assert not np.allclose(np.asarray(first), np.asarray(second))
    assert 0.0 <= float(first.min()) and float(first.max()) <= 1.0


# ---------------------------------------------------------------------------- FixMatch's views
def as_codes(images):
    return np.round(np.asarray(images) * 255).astype(int)


def pil_apply(images, operation):
    """A PIL reference, image by image, on the 8-bit codes of float images."""
    from PIL import Image

    out = []
    for image in as_codes(images).astype(np.uint8):
        squeeze = image.shape[-1] == 1
        result = np.asarray(operation(Image.fromarray(image[..., 0] if squeeze else image)))
        out.append(result[..., None] if squeeze else result)
    return np.stack(out).astype(int)


def eight_bit_images(shape, seed=0):
    # skewed 8-bit images, so equalisation and autocontrast have work to do
    codes = (np.random.default_rng(seed).random(shape) ** 2 * 200 + 20).astype(np.uint8)
    return codes.astype("float32") / np.float32(255)


VIEW_FUNCTIONS = {
    "solarize": lambda x: augmentation.solarize(x, 0.5),
    "posterize": lambda x: augmentation.posterize(x, 3),
    "autocontrast": augmentation.autocontrast,
    "equalize": augmentation.equalize,
    "sharpness": lambda x: augmentation.adjust_sharpness(x, 0.2),
    "affine": lambda x: augmentation.affine(x, 20.0, 0.2, -0.1, 0.1, -0.2),
    "cutout": lambda x: augmentation.random_cutout(x, seed=1),
    "rand_augment": lambda x: augmentation.rand_augment(x, seed=1),
    "weak": lambda x: augmentation.weak_augment(x, seed=1),
    "strong": lambda x: augmentation.strong_augment(x, seed=1),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(VIEW_FUNCTIONS))
def test_view_functions_keep_shape_dtype_and_range(name, shape):
    images = random_images(shape)
    out = VIEW_FUNCTIONS[name](images)
    assert tuple(out.shape) == shape
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    out = np.asarray(out)
    assert np.all(np.isfinite(out))
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("name", ["cutout", "rand_augment", "weak", "strong"])
def test_random_views_repeat_with_a_seed_and_change_with_another(name):
    # the shape of the views' test above: under JAX its compiled operations are reused
    images = random_images(SHAPES[0])
    function = {
        "cutout": augmentation.random_cutout,
        "rand_augment": augmentation.rand_augment,
        "weak": augmentation.weak_augment,
        "strong": augmentation.strong_augment,
    }[name]
    first = np.asarray(function(images, seed=4))
    np.testing.assert_array_equal(np.asarray(function(images, seed=4)), first)
    assert not np.array_equal(np.asarray(function(images, seed=5)), first)
    generator = keras.random.SeedGenerator(4)  # a generator moves on: two calls, two views
    assert not np.array_equal(
        np.asarray(function(images, seed=generator)), np.asarray(function(images, seed=generator))
    )


def test_colour_operations_match_pil():
    from PIL import ImageEnhance, ImageOps

    # RGB and grayscale, in the shapes of the views' test above (under JAX: compiled once)
    for shape in SHAPES:
        images = eight_bit_images(shape)
        checks = [
            (augmentation.equalize(images), ImageOps.equalize, 0),
            (augmentation.posterize(images, 3), lambda im: ImageOps.posterize(im, 3), 0),
            (augmentation.solarize(images, 100 / 255), lambda im: ImageOps.solarize(im, 100), 0),
            # PIL rounds in integers: one level apart at most
            (augmentation.autocontrast(images), ImageOps.autocontrast, 1),
            (
                augmentation.adjust_sharpness(images, 0.3),
                lambda im: ImageEnhance.Sharpness(im).enhance(0.3),
                1,
            ),
        ]
        for ours, reference, tolerance in checks:
            difference = np.abs(as_codes(ours) - pil_apply(images, reference))
            assert difference.max() <= tolerance


def test_equalize_leaves_a_constant_image_alone():
    images = np.full((2, 8, 8, 1), 0.4, dtype="float32")
    np.testing.assert_array_equal(np.asarray(augmentation.equalize(images)), images)
    np.testing.assert_array_equal(np.asarray(augmentation.autocontrast(images)), images)


def test_affine_matches_keras_affine_transform_and_keeps_the_identity():
    images = random_images((5, 20, 16, 3))
    angles = np.array([0.0, 25.0, -30.0, 10.0, 0.0], "float32")
    shear_x = np.array([0.0, 0.0, 0.2, -0.3, 0.0], "float32")
    shift_y = np.array([0.0, 0.1, 0.0, -0.2, 0.3], "float32")
    out = augmentation.affine(images, angles, shear_x, 0.0, 0.05, shift_y, fill_value=0.5)
    transforms = augmentation.affine_transforms(20, 16, angles, shear_x, 0.0, 0.05, shift_y)
    reference = keras.ops.image.affine_transform(
        images, transforms, interpolation="bilinear", fill_mode="constant", fill_value=0.5
    )
    np.testing.assert_allclose(np.asarray(out), np.asarray(reference), atol=1e-4)
    np.testing.assert_array_equal(np.asarray(augmentation.affine(images)), images)


def test_affine_translation_by_whole_pixels_is_a_shift_with_fill():
    images = random_images((2, 8, 10, 1))
    out = np.asarray(augmentation.affine(images, translate_x=0.2, translate_y=-0.25, fill_value=0))
    for image, result in zip(images, out):
        np.testing.assert_allclose(result, shifted_with_zeros(image, -2, 2), atol=1e-6)


def test_cutout_fills_one_rectangle_no_larger_than_allowed():
    images = np.zeros((64, 32, 32, 1), dtype="float32")
    out = np.asarray(augmentation.random_cutout(images, max_fraction=0.5, fill_value=1.0, seed=0))
    areas = []
    for result in out[..., 0]:
        rows, columns = np.nonzero(result)
        areas.append(len(rows))
        if len(rows):
            height, width = np.ptp(rows) + 1, np.ptp(columns) + 1
            assert len(rows) == height * width  # one filled rectangle
            assert height <= 17 and width <= 17
    assert 0 < np.mean(areas) < 16 * 16 and len(set(areas)) > 5
    np.testing.assert_array_equal(
        np.asarray(augmentation.random_cutout(images, 0.0, seed=0)), images
    )


def test_rand_augment_chooses_per_image_without_a_loop():
    # one image repeated: every copy gets its own operations and magnitudes
    images = np.repeat(random_images((1, 16, 16, 3)), 32, axis=0)
    out = np.asarray(augmentation.rand_augment(images, seed=2)).reshape(32, -1)
    assert len({row.tobytes() for row in out}) > 16
    identity = augmentation.rand_augment(images, operations=("identity",), seed=2)
    np.testing.assert_array_equal(np.asarray(identity), images)
    solarized = np.asarray(
        augmentation.rand_augment(images, num_operations=1, operations=("solarize",), seed=2)
    )
    assert np.all(np.isclose(solarized, images) | np.isclose(solarized, 1.0 - images))
    assert len({row.tobytes() for row in solarized.reshape(32, -1)}) > 8


def test_rand_augment_ranges_are_fixmatchs():
    assert set(augmentation.RAND_AUGMENT_OPERATIONS) == {
        "identity", "autocontrast", "equalize", "brightness", "color", "contrast", "sharpness",
        "posterize", "solarize", "rotate", "shear_x", "shear_y", "translate_x", "translate_y",
    }  # fmt: skip
    assert augmentation.RAND_AUGMENT_RANGES["rotate"] == (-30.0, 30.0)
    assert augmentation.RAND_AUGMENT_RANGES["posterize"] == (4.0, 8.0)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda x: augmentation.rand_augment(x, operations=("blur",)), "operations"),
        (lambda x: augmentation.rand_augment(x, operations=()), "operations"),
        (lambda x: augmentation.rand_augment(x, num_operations=-1), "num_operations"),
        (lambda x: augmentation.random_cutout(x, max_fraction=2), "max_fraction"),
        (lambda x: augmentation.weak_augment(x, translation=-1), "translation"),
    ],
)
def test_bad_view_parameters_are_named(call, name):
    with pytest.raises(ValueError, match=name):
        call(random_images((2, 16, 16, 3)))


class StrongViews(keras.layers.Layer):
    """FixMatch's strong augmentation as a layer, with its own seed generator."""

    def __init__(self):
        super().__init__()
        self.seed_generator = keras.random.SeedGenerator(0)

    def call(self, images, training=True):
        return augmentation.strong_augment(images, seed=self.seed_generator)


def test_a_model_with_the_strong_views_trains_compiled():
    inputs = keras.Input((32, 32, 3), batch_size=8)
    x = keras.layers.Flatten()(StrongViews()(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    model.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=True
    )
    images = random_images((16, 32, 32, 3))
    history = model.fit(images, np.arange(16) % 2, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.jit_compile is True
    assert not model.run_eagerly
