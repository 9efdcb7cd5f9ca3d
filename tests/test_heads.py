"""Heads on frozen encoder features: the ELM and logistic heads as scikit-learn estimators, their
npz files, feature extraction, the probe, and the two-step strategies with a scikit-learn head."""

import json
import warnings

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from semisup import heads
from semisup.data import load
from semisup.encoders import build_encoder
from semisup.heads import (
    ExtremeLearningMachine,
    LogisticHead,
    extract_features,
    feature_extractor,
    probe,
)
from semisup.strategies import ContrastivePretraining, TwoStepAutoencoder

PROBE_KEYS = {
    "accuracy",
    "macro_f1",
    "nll",
    "ece",
    "n_features",
    "head",
    "pooling",
    "n_train",
    "n_unlabeled_dropped",
    "n_test",
    "n_classes",
    "fit_seconds",
    "extract_seconds",
}


@pytest.fixture(scope="module")
def blobs():
    """Three well separated classes in 5-D, split 150 / 150."""
    x, y = make_blobs(n_samples=300, centers=3, n_features=5, cluster_std=1.5, random_state=0)
    return x[:150], y[:150], x[150:], y[150:]


@pytest.fixture(scope="module")
def digits():
    """80 training images (some unlabeled) and 40 test images of the embedded digits data."""
    ds = load("digits")
    rng = np.random.default_rng(0)
    train = rng.choice(len(ds.y_train), 80, replace=False)
    x_train, y_true = ds.x_train[train], ds.y_train[train]
    y = y_true.copy()
    y[::4] = -1  # 20 unlabeled
    return x_train, y, ds.x_test[:40], ds.y_test[:40]


# ---------------------------------------------------------------------------- scikit-learn contract
@parametrize_with_checks(
    [ExtremeLearningMachine(n_hidden=20, random_state=0), LogisticHead()],
)
def test_heads_pass_scikit_learn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


# ---------------------------------------------------------------------------- ELM
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("readout", ["ridge", "lasso", "elasticnet"])
def test_elm_learns_an_easy_problem_with_every_readout(blobs, readout):
    x_train, y_train, x_test, y_test = blobs
    elm = ExtremeLearningMachine(n_hidden=100, readout=readout, random_state=0)
    assert elm.fit(x_train, y_train) is elm
    assert elm.score(x_test, y_test) > 0.9
    proba = elm.predict_proba(x_test)
    assert proba.shape == (len(x_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert elm.coef_.shape == (3, 100) and elm.intercept_.shape == (3,)
    assert elm.decision_function(x_test).shape == (len(x_test), 3)


def test_elm_on_a_harder_problem_beats_chance_by_far():
    x, y = make_classification(
        n_samples=400, n_features=20, n_informative=8, n_classes=2, class_sep=2.0, random_state=0
    )
    elm = ExtremeLearningMachine(n_hidden=200, random_state=0).fit(x[:300], y[:300])
    assert elm.score(x[300:], y[300:]) > 0.9
    # two classes: one score per sample, positive for classes_[1], as in scikit-learn
    scores = elm.decision_function(x[300:])
    assert scores.shape == (100,)
    np.testing.assert_array_equal(elm.predict(x[300:]), elm.classes_[(scores > 0).astype(int)])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_elm_binary_weights_are_plus_minus_one_and_still_learn(blobs, activation):
    x_train, y_train, x_test, y_test = blobs
    elm = ExtremeLearningMachine(
        n_hidden=100, binary_weights=True, activation=activation, random_state=0
    ).fit(x_train, y_train)
    assert set(np.unique(elm.hidden_weights_)) == {-1.0, 1.0}
    assert set(np.unique(elm.hidden_biases_)) <= {-1.0, 1.0}
    assert elm.score(x_test, y_test) > 0.9


def test_elm_random_state_makes_a_fit_repeatable(blobs):
    x_train, y_train, x_test, _ = blobs
    first = ExtremeLearningMachine(n_hidden=50, random_state=3).fit(x_train, y_train)
    second = ExtremeLearningMachine(n_hidden=50, random_state=3).fit(x_train, y_train)
    other = ExtremeLearningMachine(n_hidden=50, random_state=4).fit(x_train, y_train)
    np.testing.assert_array_equal(first.hidden_weights_, second.hidden_weights_)
    np.testing.assert_array_equal(first.predict_proba(x_test), second.predict_proba(x_test))
    assert not np.array_equal(first.hidden_weights_, other.hidden_weights_)


def test_elm_temperature_changes_confidence_not_the_class(blobs):
    x_train, y_train, x_test, _ = blobs
    fixed = ExtremeLearningMachine(n_hidden=50, temperature=1.0, random_state=0)
    auto = clone(fixed).set_params(temperature="auto")
    fixed.fit(x_train, y_train)
    auto.fit(x_train, y_train)
    assert fixed.temperature_ == 1.0
    # regression scores are about 0..1 apart, so the fitted temperature sharpens them
    assert 0 < auto.temperature_ < 1
    np.testing.assert_array_equal(fixed.predict(x_test), auto.predict(x_test))
    np.testing.assert_array_equal(fixed.hidden_weights_, auto.hidden_weights_)
    assert (
        auto.predict_proba(x_test).max(axis=1).mean()
        > fixed.predict_proba(x_test).max(axis=1).mean()
    )
    scores = fixed.decision_function(x_test)
    expected = np.exp(scores / 0.5) / np.exp(scores / 0.5).sum(axis=1, keepdims=True)
    fixed.temperature_ = 0.5
    np.testing.assert_allclose(fixed.predict_proba(x_test), expected)


def test_elm_few_samples_fall_back_to_temperature_one():
    elm = ExtremeLearningMachine(n_hidden=5, random_state=0).fit([[0.0], [1.0], [5.0]], [0, 0, 1])
    assert elm.temperature_ == 1.0


def test_elm_standardises_its_inputs(blobs):
    x_train, y_train, x_test, _ = blobs
    elm = ExtremeLearningMachine(n_hidden=50, random_state=0).fit(x_train, y_train)
    shifted = ExtremeLearningMachine(n_hidden=50, random_state=0)
    shifted.fit(x_train * 1000 + 7, y_train)
    np.testing.assert_allclose(elm.input_mean_, x_train.mean(axis=0))
    np.testing.assert_allclose(
        elm.predict_proba(x_test), shifted.predict_proba(x_test * 1000 + 7), atol=1e-6
    )


def test_constant_features_stay_zero_after_standardisation(blobs):
    x_train, y_train, x_test, _ = blobs
    constant = np.full((len(x_train), 1), 0.1)  # 0.1 has no exact binary form: mean != value
    head = LogisticHead().fit(np.hstack([x_train, constant]), y_train)
    assert head.input_scale_[-1] == 1.0
    assert head._standardize(np.hstack([x_train, constant]))[:, -1].max() < 1e-12


def test_elm_takes_any_labels(blobs):
    x_train, y_train, x_test, y_test = blobs
    names = np.array(["cat", "dog", "emu"])
    elm = ExtremeLearningMachine(n_hidden=50, random_state=0).fit(x_train, names[y_train])
    np.testing.assert_array_equal(elm.classes_, names)
    assert elm.score(x_test, names[y_test]) > 0.9


@pytest.mark.parametrize(
    "params, match",
    [
        ({"readout": "lars"}, "readout"),
        ({"activation": "softplus"}, "activation"),
        ({"n_hidden": 0}, "n_hidden"),
        ({"n_hidden": 2.5}, "n_hidden"),
        ({"alpha": 0}, "alpha"),
        ({"alpha": -1.0}, "alpha"),
        ({"l1_ratio": 1.5}, "l1_ratio"),
        ({"l1_ratio": -0.1}, "l1_ratio"),
        ({"temperature": 0}, "temperature"),
        ({"temperature": "calibrated"}, "temperature"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_elm_bad_parameters_are_named(blobs, params, match):
    x_train, y_train, _, _ = blobs
    with pytest.raises(ValueError, match=match):
        ExtremeLearningMachine(**params).fit(x_train, y_train)


# ---------------------------------------------------------------------------- logistic head
def test_logistic_head_is_a_standardised_logistic_regression(blobs):
    x_train, y_train, x_test, y_test = blobs
    head = LogisticHead(C=0.5).fit(x_train, y_train)
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000))
    reference.fit(x_train, y_train)
    np.testing.assert_allclose(
        head.predict_proba(x_test), reference.predict_proba(x_test), atol=1e-6
    )
    assert head.score(x_test, y_test) > 0.9
    np.testing.assert_array_equal(head.predict(x_test), reference.predict(x_test))


def test_logistic_head_binary_probabilities_match_scikit_learn():
    x, y = make_classification(n_samples=200, n_features=6, random_state=0)
    head = LogisticHead().fit(x, y)
    reference = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)
    assert head.decision_function(x).shape == (200,)
    np.testing.assert_allclose(head.predict_proba(x), reference.predict_proba(x), atol=1e-6)


@pytest.mark.parametrize("params", [{"C": 0}, {"C": -1}, {"max_iter": 0}])
def test_logistic_head_bad_parameters_are_named(blobs, params):
    x_train, y_train, _, _ = blobs
    with pytest.raises(ValueError, match=next(iter(params))):
        LogisticHead(**params).fit(x_train, y_train)


# ---------------------------------------------------------------------------- both heads
def _fitted_heads(blobs):
    x_train, y_train, _, _ = blobs
    return [
        ExtremeLearningMachine(n_hidden=40, random_state=0).fit(x_train, y_train),
        ExtremeLearningMachine(
            n_hidden=40, readout="elasticnet", alpha=0.01, binary_weights=True, activation="relu"
        ).fit(x_train, y_train),
        LogisticHead(C=0.3).fit(x_train, y_train),
    ]


def test_save_load_round_trip_gives_identical_predictions(blobs, tmp_path):
    _, _, x_test, _ = blobs
    for index, head in enumerate(_fitted_heads(blobs)):
        path = tmp_path / f"head{index}"  # no .npz suffix: written exactly where asked
        assert head.save(path) == str(path)
        loaded = type(head).load(path)
        assert loaded.get_params() == head.get_params()
        np.testing.assert_array_equal(loaded.classes_, head.classes_)
        np.testing.assert_array_equal(loaded.predict_proba(x_test), head.predict_proba(x_test))
        np.testing.assert_array_equal(loaded.predict(x_test), head.predict(x_test))
        np.testing.assert_array_equal(
            loaded.decision_function(x_test), head.decision_function(x_test)
        )
        with np.load(path, allow_pickle=False) as saved:  # no pickle anywhere in the file
            params = json.loads(str(saved["params"]))
            assert params == head.get_params()
            assert str(saved["format"]) == f"semisup.heads.{type(head).__name__}"


def test_save_load_with_string_classes_and_a_random_state_object(blobs, tmp_path):
    x_train, y_train, x_test, _ = blobs
    names = np.array(["cat", "dog", "emu"], dtype=object)
    elm = ExtremeLearningMachine(n_hidden=20, random_state=np.random.RandomState(1))
    elm.fit(x_train, names[y_train])
    loaded = ExtremeLearningMachine.load(elm.save(tmp_path / "elm.npz"))
    assert loaded.random_state is None  # the drawn weights are in the file
    np.testing.assert_array_equal(loaded.predict(x_test), elm.predict(x_test))


def test_load_refuses_files_that_are_not_its_own(blobs, tmp_path):
    logistic = _fitted_heads(blobs)[2]
    logistic_file = logistic.save(tmp_path / "logistic.npz")
    with pytest.raises(ValueError, match="not a ExtremeLearningMachine file"):
        ExtremeLearningMachine.load(logistic_file)
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(ValueError, match="no 'format' entry"):
        ExtremeLearningMachine.load(other)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        ExtremeLearningMachine.load(single)
    text = tmp_path / "notes.txt"
    text.write_text("not an npz file")
    with pytest.raises(ValueError, match="ExtremeLearningMachine"):
        ExtremeLearningMachine.load(text)
    with pytest.raises(FileNotFoundError):
        ExtremeLearningMachine.load(tmp_path / "missing.npz")


@pytest.mark.parametrize("make", [ExtremeLearningMachine, LogisticHead])
def test_bad_input_is_named(make, blobs):
    x_train, y_train, x_test, _ = blobs
    with pytest.raises(NotFittedError):
        make().predict(x_test)
    with pytest.raises(NotFittedError):
        make().save("never-written.npz")
    with pytest.raises(ValueError, match="2-D.*extract_features"):
        make().fit(x_train.reshape(len(x_train), 5, 1, 1), y_train)
    with pytest.raises(ValueError, match="2-D"):
        make().fit(x_train[:, 0], y_train)
    with pytest.raises(ValueError, match="only one class"):
        make().fit(x_train, np.zeros(len(x_train)))
    with pytest.raises(ValueError, match="1-D array of 150 labels"):
        make().fit(x_train, y_train[:-1])
    fitted = make().fit(x_train, y_train)
    with pytest.raises(ValueError, match="X has 4 features"):
        fitted.predict(x_test[:, :4])
    with pytest.raises(ValueError, match="2-D"):
        fitted.predict_proba(x_test[None])


def test_registry():
    assert heads.HEADS == {"logistic": LogisticHead, "elm": ExtremeLearningMachine}
    assert heads.get("elm") is ExtremeLearningMachine
    with pytest.raises(ValueError, match=r"Unknown head 'svm'.*\['elm', 'logistic'\]"):
        heads.get("svm")
    knn = KNeighborsClassifier(3)
    made = heads.make_head(knn)
    assert made is not knn and made.get_params() == knn.get_params()
    assert heads.make_head("elm", random_state=5).random_state == 5
    assert heads.make_head(ExtremeLearningMachine(random_state=1), random_state=5).random_state == 1
    with pytest.raises(ValueError, match="predict_proba"):
        heads.make_head(RidgeClassifier())
    with pytest.raises(TypeError, match="head must be"):
        heads.make_head(LogisticHead)  # the class, not an instance


# ---------------------------------------------------------------------------- features and probe
@pytest.fixture(scope="module")
def encoder(digits):
    keras.utils.set_random_seed(0)
    return build_encoder("conv4", digits[0].shape[1:])


@pytest.mark.backend
def test_extract_features_pools_the_feature_map(digits, encoder):
    x = digits[0][:10]
    feature_map = np.asarray(encoder.predict(x.astype("float32") / 255, verbose=0))
    assert feature_map.shape == (10, 4, 4, 128)
    average = extract_features(encoder, x, batch_size=3)
    assert average.dtype == np.float32 and average.shape == (10, 128)
    np.testing.assert_allclose(average, feature_map.mean(axis=(1, 2)), rtol=1e-4, atol=1e-6)
    maximum = extract_features(encoder, x, pooling="max")
    np.testing.assert_allclose(maximum, feature_map.max(axis=(1, 2)), rtol=1e-4, atol=1e-6)
    flat = extract_features(encoder, x, pooling="flatten")
    np.testing.assert_allclose(flat, feature_map.reshape(10, -1), rtol=1e-4, atol=1e-6)
    assert extract_features(encoder, x[:0]).shape == (0, 128)


@pytest.mark.backend
def test_extract_features_bad_input(digits, encoder):
    x = digits[0][:4]
    with pytest.raises(ValueError, match="pooling"):
        extract_features(encoder, x, pooling="mean")
    with pytest.raises(ValueError, match="batch_size"):
        extract_features(encoder, x, batch_size=0)
    with pytest.raises(ValueError, match="4-D"):
        extract_features(encoder, x[..., 0])
    with pytest.raises(TypeError, match="keras.Model"):
        extract_features("conv4", x)
    with pytest.raises(NotFittedError):
        extract_features(TwoStepAutoencoder(), x)
    with pytest.raises(ValueError, match="shape"):
        feature_extractor(encoder, (16, 16, 1))


@pytest.mark.backend
def test_probe_reports_the_documented_metrics(digits, encoder):
    x_train, y_train, x_test, y_test = digits
    result = probe(encoder, x_train, y_train, x_test, y_test, random_state=0)
    assert set(result) == PROBE_KEYS
    assert result["head"] == "logistic" and result["pooling"] == "avg"
    assert result["n_features"] == 128
    assert result["n_train"] == 60 and result["n_unlabeled_dropped"] == 20
    assert result["n_test"] == 40
    for name in ("accuracy", "macro_f1", "ece"):
        assert 0.0 <= result[name] <= 1.0
    assert result["accuracy"] > 0.3  # random conv4 features of digits are far above chance
    assert result["nll"] > 0 and result["fit_seconds"] >= 0
    json.dumps(result)  # ready for a result row

    elm = probe(encoder, x_train, y_train, x_test, y_test, head="elm", pooling="flatten")
    assert elm["head"] == "elm" and elm["n_features"] == 2048
    knn = KNeighborsClassifier(3)
    other = probe(encoder, x_train, y_train, x_test, y_test, head=knn, batch_size=16)
    assert other["head"] == "KNeighborsClassifier"
    assert not hasattr(knn, "classes_")  # cloned, not fitted in place


@pytest.mark.backend
def test_probe_scores_test_classes_the_head_never_saw(digits, encoder):
    x_train, y_train, x_test, y_test = digits
    seen = np.isin(y_train, [0, 1, 2])
    result = probe(encoder, x_train[seen], y_train[seen], x_test, y_test)
    assert result["n_classes"] == 3
    assert result["accuracy"] <= np.isin(y_test, [0, 1, 2]).mean()
    assert np.isfinite(result["nll"])


@pytest.mark.backend
def test_probe_bad_input(digits, encoder):
    x_train, y_train, x_test, y_test = digits
    with pytest.raises(ValueError, match="no labeled sample"):
        probe(encoder, x_train, np.full(len(x_train), -1), x_test, y_test)
    with pytest.raises(ValueError, match="y_test holds -1"):
        probe(encoder, x_train, y_train, x_test, np.full(len(x_test), -1))
    with pytest.raises(ValueError, match="y_train has 79 labels"):
        probe(encoder, x_train, y_train[:-1], x_test, y_test)
    with pytest.raises(ValueError, match="Unknown head"):
        probe(encoder, x_train, y_train, x_test, y_test, head="svm")


# ---------------------------------------------------------------------------- strategies
TINY = {"epochs": 1, "batch_size": 16, "random_state": 0}
STRATEGIES = {
    "two_step_autoencoder": (
        TwoStepAutoencoder,
        {"pretrain_epochs": 1, "pretrain_batch_size": 16},
        2048,  # conv4's 4 x 4 x 128 map, flattened
    ),
    "contrastive": (
        ContrastivePretraining,
        {"pretrain_epochs": 1, "pretrain_batch_size": 20, "projector_units": (16, 16)},
        128,  # globally average-pooled, as the projector saw it
    ),
}


@pytest.mark.backend
@pytest.mark.parametrize("name", sorted(STRATEGIES))
@pytest.mark.parametrize("head", ["elm", "logistic"])
def test_strategy_with_a_scikit_learn_head(name, head, digits):
    x_train, y_train, x_test, y_test = digits
    strategy_class, extra, n_features = STRATEGIES[name]
    model = strategy_class(head=head, **TINY, **extra)
    assert model.fit(x_train, y_train, validation_data=(x_test, y_test)) is model
    assert isinstance(model.head_, heads.get(head))
    assert model.model_.output_shape == (None, n_features)
    assert model.encoder_.trainable is False
    proba = model.predict_proba(x_test)
    assert proba.shape == (len(x_test), len(model.classes_))
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(model.predict(x_test)) <= set(model.classes_)
    assert 0.0 <= model.score(x_test, y_test) <= 1.0
    # what the benchmark runner reads
    record = model.history_["classifier"]
    assert set(record) == {"accuracy", "val_accuracy"} and len(record["accuracy"]) == 1
    assert "classifier" not in model.jit_compiled_ and len(model.jit_compiled_) == 1
    assert model.images_seen_ > model.n_labeled_ == 60
    assert model.unlabeled_filter_ is None and model.resumed_from_epoch_ == {}
    json.dumps([model.history_, model.jit_compiled_, model.resumed_from_epoch_])
    # the features are the encoder's: the head alone reproduces predict_proba
    features = extract_features(model, x_test, pooling=model.feature_pooling)
    np.testing.assert_allclose(model.head_.predict_proba(features), proba, rtol=1e-5, atol=1e-6)


@pytest.mark.backend
def test_strategy_head_instance_is_cloned_and_seeded(digits):
    x_train, y_train, x_test, _ = digits
    elm = ExtremeLearningMachine(n_hidden=30)
    model = TwoStepAutoencoder(head=elm, pretrain_epochs=1, **TINY)
    params = model.get_params()
    assert params["head__n_hidden"] == 30
    twin = clone(model)
    assert twin.head is not elm and twin.head.get_params() == elm.get_params()
    model.fit(x_train, y_train)
    assert not hasattr(elm, "classes_")  # the given instance stays unfitted
    assert model.head_ is not elm and model.head_.random_state == 0
    assert model.predict_proba(x_test).shape == (len(x_test), 10)
    knn = ContrastivePretraining(
        head=KNeighborsClassifier(3), **TINY, **STRATEGIES["contrastive"][1]
    ).fit(x_train, y_train)
    assert knn.predict_proba(x_test).shape == (len(x_test), 10)


@pytest.mark.backend
def test_strategy_switching_back_to_a_keras_head(digits):
    x_train, y_train, x_test, _ = digits
    model = TwoStepAutoencoder(head="logistic", pretrain_epochs=1, **TINY).fit(x_train, y_train)
    model.set_params(head="linear").fit(x_train, y_train)
    assert model.head_ is None
    assert model.model_.output_shape == (None, 10)
    assert "loss" in model.history_["classifier"]
    np.testing.assert_allclose(model.predict_proba(x_test).sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.backend
def test_strategy_with_a_scikit_learn_head_resumes_from_checkpoints(digits, tmp_path):
    x_train, y_train, x_test, _ = digits
    runs = [
        TwoStepAutoencoder(head="elm", pretrain_epochs=1, **TINY)
        .enable_checkpoints(tmp_path)
        .fit(x_train, y_train)
        for _ in range(2)
    ]
    assert runs[0].resumed_from_epoch_ == {"autoencoder": 0}
    assert runs[1].resumed_from_epoch_ == {"autoencoder": 1}  # restored, not retrained
    np.testing.assert_allclose(
        runs[0].predict_proba(x_test), runs[1].predict_proba(x_test), atol=1e-6
    )


@pytest.mark.parametrize("strategy_class", [TwoStepAutoencoder, ContrastivePretraining])
def test_strategy_head_errors_are_named(strategy_class, digits):
    x_train, y_train, _, _ = digits
    with pytest.raises(ValueError, match=r"fine_tune=True.*head='linear'"):
        strategy_class(head="elm", fine_tune=True, **TINY).fit(x_train, y_train)
    with pytest.raises(ValueError, match=r"head must be one of.*'elm', 'logistic'"):
        strategy_class(head="svm", **TINY).fit(x_train, y_train)
    with pytest.raises(ValueError, match="predict_proba"):
        strategy_class(head=RidgeClassifier(), **TINY).fit(x_train, y_train)
    with pytest.raises(NotFittedError):
        strategy_class(head="elm").predict_proba(x_train)
