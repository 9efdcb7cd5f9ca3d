"""One-step autoencoder: reconstruction and classification trained together on one encoder."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from semisup.encoders import resolve
from semisup.strategies._base import UNLABELED, BaseStrategy, classification_head
from semisup.strategies.two_step_autoencoder import check_decoder


class JointAutoencoder(keras.Model):
    """Images -> encoder -> (class logits, reconstruction), with a loss for mixed batches.

    `y` holds class indices for labeled images and -1 for unlabeled ones. The loss is the
    cross-entropy averaged over the labeled images of the batch plus `reconstruction_weight` times
    the mean squared reconstruction error over every image.
    """

    def __init__(self, *args, reconstruction_weight=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.reconstruction_weight = float(reconstruction_weight)
        self.classification_tracker = keras.metrics.Mean(name="classification_loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        logits, reconstruction = y_pred
        # float32 losses, also when the networks compute in bfloat16 (precision=)
        logits = ops.cast(logits, "float32")
        reconstruction = ops.cast(reconstruction, "float32")
        y = ops.reshape(ops.cast(y, "int32"), (-1,))
        labeled = ops.cast(ops.not_equal(y, UNLABELED), logits.dtype)
        per_image = keras.losses.sparse_categorical_crossentropy(
            ops.maximum(y, 0), logits, from_logits=True
        )
        classification = ops.sum(per_image * labeled) / ops.maximum(ops.sum(labeled), 1.0)
        reconstruction_error = ops.mean(ops.square(reconstruction - ops.cast(x, logits.dtype)))
        self.classification_tracker.update_state(classification)
        self.reconstruction_tracker.update_state(reconstruction_error)
        return classification + self.reconstruction_weight * reconstruction_error

    @property
    def metrics(self):
        return [*super().metrics, self.classification_tracker, self.reconstruction_tracker]


class OneStepAutoencoder(BaseStrategy):
    """One model: the shared encoder with a reconstruction head and a classification head.

    Every image (labeled or not) trains the encoder and its Dense-free decoder to reconstruct it;
    labeled images also train the classification head. Encoder + classification head is exactly
    the supervised baseline's network (seed 001's CNN with `encoder="conv4"`), and it is what
    `predict` uses.

    Args:
        reconstruction_weight: weight of the reconstruction loss against the cross-entropy.
        Other parameters: see `BaseStrategy`.

    Example:
        >>> from semisup.data import load, seed_split
        >>> from semisup.strategies import OneStepAutoencoder
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = OneStepAutoencoder(epochs=2, random_state=0).fit(ds.x_train, y)
        >>> sorted(model.history_["joint"])[:2]
        ['classification_loss', 'loss']
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
        reconstruction_weight=1.0,
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
        self.reconstruction_weight = reconstruction_weight

    def _check_parameters(self):
        super()._check_parameters()
        weight = self.reconstruction_weight
        if not isinstance(weight, (int, float)) or not weight >= 0:
            raise ValueError(f"reconstruction_weight must be a number >= 0, got {weight!r}.")

    def _fit(self, x_labeled, y_labeled, x_unlabeled, validation):
        encoder = self._build_encoder()
        with self._precision_scope():
            decoder = check_decoder(
                resolve(self.encoder).decoder(self.input_shape_), encoder, self.input_shape_
            )
            inputs = keras.Input(shape=self.input_shape_, name="images")
            features = encoder(inputs)
            logits = classification_head(features, self.n_classes_, pooling=self._head_pooling())
            reconstruction = decoder(features)
            classifier = keras.Model(inputs, logits, name="onestepautoencoder_classifier")
        joint = JointAutoencoder(
            inputs,
            [logits, reconstruction],
            reconstruction_weight=self.reconstruction_weight,
            name="joint_autoencoder",
        )
        self._compile(joint)
        x_all = np.concatenate([x_labeled, x_unlabeled])
        y_all = np.concatenate([y_labeled, np.full(len(x_unlabeled), UNLABELED, np.int64)])
        self._keras_fit(joint, x_all, y_all, validation=validation, phase="joint")
        self.joint_model_ = joint
        self._set_model(classifier, encoder)
