"""Two-step autoencoder: a convolutional autoencoder first, then a classifier on its encoder."""

from __future__ import annotations

import keras
import numpy as np

from semisup.encoders import resolve
from semisup.strategies._base import BaseStrategy, FrozenFeatureHeadMixin


def build_autoencoder(encoder: keras.Model, decoder: keras.Model, input_shape) -> keras.Model:
    """Images -> shared encoder -> its fully convolutional decoder -> images."""
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    return keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")


def check_decoder(decoder: keras.Model, encoder: keras.Model, input_shape) -> keras.Model:
    """Raise unless `decoder` maps the encoder's feature map back to `input_shape`."""
    if tuple(decoder.input_shape[1:]) != tuple(encoder.output_shape[1:]):
        raise ValueError(
            f"The decoder takes {decoder.input_shape[1:]} but the encoder gives "
            f"{encoder.output_shape[1:]}; register a decoder built for this encoder."
        )
    if tuple(decoder.output_shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"The decoder reconstructs {decoder.output_shape[1:]}, not the input shape "
            f"{tuple(input_shape)}."
        )
    return decoder


class TwoStepAutoencoder(FrozenFeatureHeadMixin, BaseStrategy):
    """Train a convolutional autoencoder on every image, then a classifier on its encoder.

    Step 1 trains the shared encoder and its mirrored, Dense-free decoder to reconstruct labeled
    and unlabeled images (mean squared error). Step 2 puts a classification head on the encoder
    and trains it on the labeled images, with the encoder frozen unless `fine_tune=True`; or,
    with a scikit-learn head, fits it on the frozen encoder's flattened feature maps.

    Args:
        pretrain_epochs: autoencoder epochs (seed 001: 50).
        pretrain_batch_size: autoencoder batch size (seed 001: 128).
        head: `"mlp"`: seed 001's two-step head (flatten, dense 1024-256-128, logits);
            `"linear"`: the supervised baseline's head (max-pool, flatten, logits);
            `"logistic"` or `"elm"` (`semisup.heads`), or any scikit-learn classifier instance
            with `predict_proba` (cloned): fitted on the frozen encoder's feature maps of the
            labeled images, flattened as the Keras heads flatten them; then `head_` is the
            fitted head and `model_` maps images to those features (see
            `FrozenFeatureHeadMixin`).
        fine_tune: also train the encoder in step 2 (Keras heads only; a ValueError with a
            scikit-learn head).
        Other parameters: see `BaseStrategy`; `epochs` and `batch_size` are step 2's.

    Example:
        >>> from semisup.data import load, seed_split
        >>> from semisup.strategies import TwoStepAutoencoder
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = TwoStepAutoencoder(pretrain_epochs=1, epochs=1, random_state=0)
        >>> round(model.fit(ds.x_train, y).score(ds.x_test, ds.y_test), 2) >= 0
        True
    """

    def __init__(
        self,
        encoder="conv4",
        epochs=100,
        batch_size=128,
        optimizer="adam",
        learning_rate=1e-3,
        early_stopping_patience=None,
        callbacks=None,
        unlabeled_filter=None,
        random_state=None,
        verbose=0,
        steps_per_execution=1,
        precision="float32",
        pretrain_epochs=50,
        pretrain_batch_size=128,
        head="mlp",
        fine_tune=False,
    ):
        super().__init__(
            encoder=encoder,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=optimizer,
            learning_rate=learning_rate,
            early_stopping_patience=early_stopping_patience,
            callbacks=callbacks,
            unlabeled_filter=unlabeled_filter,
            random_state=random_state,
            verbose=verbose,
            steps_per_execution=steps_per_execution,
            precision=precision,
        )
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_batch_size = pretrain_batch_size
        self.head = head
        self.fine_tune = fine_tune

    #: a scikit-learn head sees every position of the map, as seed 001's flattening heads do
    feature_pooling = "flatten"

    def _check_parameters(self):
        super()._check_parameters()
        self._check_positive_integers("pretrain_epochs", "pretrain_batch_size")
        self._check_head()

    def _fit(self, x_labeled, y_labeled, x_unlabeled, validation):
        encoder = self._build_encoder()
        with self._precision_scope():
            decoder = check_decoder(
                resolve(self.encoder).decoder(self.input_shape_), encoder, self.input_shape_
            )
            autoencoder = build_autoencoder(encoder, decoder, self.input_shape_)
        self._compile(autoencoder, loss="mse")  # Keras's losses compute in float32
        x_all = np.concatenate([x_labeled, x_unlabeled])
        self._keras_fit(
            autoencoder,
            x_all,
            x_all,
            epochs=self.pretrain_epochs,
            batch_size=self.pretrain_batch_size,
            phase="autoencoder",
            early_stopping=False,
        )
        self.autoencoder_ = autoencoder

        self._fit_head_on(encoder, x_labeled, y_labeled, validation)
