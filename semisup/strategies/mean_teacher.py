"""Mean Teacher (Tarvainen & Valpola, 2017, "Mean teachers are better role models:
Weight-averaged consistency targets improve semi-supervised deep learning results", NeurIPS).

The teacher is an exponential moving average of the student's weights. Each image of the step
(labeled and unlabeled, as in the paper) is augmented twice; the student sees one view, the
teacher the other, and the squared difference of their softmaxes, ramped up from 0, pulls the
student towards the teacher. The teacher's weights are non-trainable variables of the training
model, updated inside the compiled step before its forward pass:
`teacher = alpha * teacher + (1 - alpha) * student` with `alpha = min(1 - 1 / (step + 1),
teacher_decay)` (the paper's code), so the teacher at step t averages the student up to step t - 1,
as in the paper's update after each optimizer step. The teacher runs the student's layers with
its own weights (`stateless_call`) in training mode, so BatchNorm normalises with the batch's
statistics, as the student does.
"""

from __future__ import annotations

import keras
from keras import ops

from semisup.strategies._consistency import (
    ConsistencyStrategy,
    ConsistencyTrainer,
    _is_number,
    softmax_mse,
)


def teacher_decay_at(step, decay):
    """The teacher's averaging factor at `step` (0-based): `min(1 - 1 / (step + 1), decay)`.

    Step 0 copies the student; early steps average evenly over the steps so far, as a plain
    mean would, until the factor reaches `decay`.
    """
    step = ops.cast(step, "float32")
    return ops.minimum(1.0 - 1.0 / (step + 1.0), decay)


def ema_update(average, value, decay):
    """`decay * average + (1 - decay) * value`: one step of an exponential moving average."""
    return decay * average + (1.0 - decay) * value


class MeanTeacherTrainer(ConsistencyTrainer):
    """Student and EMA teacher on two views of every image; `softmax_mse` between them."""

    def __init__(self, classifier, *args, teacher_decay=0.999, **kwargs):
        super().__init__(classifier, *args, **kwargs)
        self.teacher_decay = float(teacher_decay)
        self.teacher_weights = [
            keras.Variable(
                ops.convert_to_numpy(variable.value),
                dtype=variable.dtype,
                trainable=False,
                name=f"teacher_{index}",
            )
            for index, variable in enumerate(classifier.trainable_variables)
        ]

    def update_teacher(self, step):
        """Fold the student's current weights into the teacher's; returns the new values."""
        decay = teacher_decay_at(step, self.teacher_decay)
        updated = []
        for teacher, student in zip(self.teacher_weights, self.classifier.trainable_variables):
            value = ema_update(teacher.value, ops.stop_gradient(student.value), decay)
            teacher.assign(value)
            updated.append(value)
        return updated

    def consistency(self, labeled_images, unlabeled_images, step):
        images = ops.concatenate([labeled_images, unlabeled_images], axis=0)
        (student_logits,) = self.forward(self.weak(images))
        teacher_logits, _ = self.classifier.stateless_call(
            self.update_teacher(step),
            [variable.value for variable in self.classifier.non_trainable_variables],
            self.weak(images),
            training=True,
        )
        loss = softmax_mse(student_logits, ops.stop_gradient(teacher_logits))
        return {
            "labeled_logits": student_logits[: self.batch_size],
            "unlabeled_loss": loss,
        }


class MeanTeacher(ConsistencyStrategy):
    """Mean Teacher: the student matches an EMA of its own weights on another view.

    Defaults follow USB's Mean Teacher configuration (Wang et al., 2022): one unlabeled image per
    labeled one, consistency weight 50 ramped up over the first 40% of the steps with the paper's
    `exp(-5 (1 - t)^2)`, teacher decay 0.999, FixMatch's SGD protocol.

    Args:
        teacher_decay: the teacher's EMA decay, in [0, 1) (0.999).
        unlabeled_weight: the consistency weight once ramped up (50).
        rampup_fraction: fraction of the steps the ramp-up takes (0.4).
        Other parameters: see `ConsistencyStrategy` and `BaseStrategy`.

    The model predicted with is the optimizer's EMA of the student (`ema_decay`), which with
    equal decays differs from the teacher only in how each starts: the teacher averages evenly
    over its first steps (`teacher_decay_at`), the EMA is bias-corrected
    (`BiasCorrectedWeightAverage`); neither keeps a share of the initial weights.

    Example:
        >>> from semisup.data import load, seed_split
        >>> from semisup.strategies import MeanTeacher
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = MeanTeacher(steps=4, epochs=2, batch_size=16, horizontal_flip=False,
        ...                     random_state=0).fit(ds.x_train, y)
        >>> model.predict_proba(ds.x_test).shape
        (450, 10)
    """

    def __init__(
        self,
        encoder="conv4",
        steps=None,
        images=None,
        epochs=100,
        batch_size=64,
        mu=1,
        optimizer="sgd",
        learning_rate=0.03,
        learning_rate_schedule="cosine",
        momentum=0.9,
        nesterov=True,
        weight_decay=5e-4,
        ema_decay=0.999,
        unlabeled_weight=50.0,
        rampup_fraction=0.4,
        horizontal_flip=True,
        translation=0.125,
        teacher_decay=0.999,
        select_best_epoch=False,
        callbacks=None,
        unlabeled_filter=None,
        random_state=None,
        verbose=0,
        steps_per_execution=1,
        precision="float32",
    ):
        self._store(locals())

    trainer_class = MeanTeacherTrainer
    rampup_shape = "sigmoid"

    def _trainer_arguments(self):
        return {"teacher_decay": self.teacher_decay}

    def _check_parameters(self):
        super()._check_parameters()
        decay = self.teacher_decay
        if not _is_number(decay) or not 0 <= decay < 1:
            raise ValueError(f"teacher_decay must be in [0, 1), got {decay!r}.")


__all__ = ["MeanTeacher", "MeanTeacherTrainer", "ema_update", "teacher_decay_at"]
