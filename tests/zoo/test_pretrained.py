"""The pretrained catalogue: `zoo.load`, `zoo.list_pretrained` and the test entry.

The test entry `vanilla_gan_ring8_test` has no shipped weights: the module
fixture trains it for two steps in a temporary directory and writes its weights
file there, so the loading path runs before real weights exist.
"""

import dataclasses
import itertools
import json
import math

import numpy as np
import pytest

import zoo
from zoo import export, pretrained, sources, training
from zoo.errors import ZooError

TEST_ENTRY = "vanilla_gan_ring8_test"


@pytest.fixture(scope="module")
def trained_entry(tmp_path_factory):
    """(trained model, weights root) of the test entry."""
    entry = pretrained.get_entry(TEST_ENTRY)
    workdir = tmp_path_factory.mktemp("runs") / TEST_ENTRY
    training.train(
        training.TrainConfig(
            model=entry.model,
            dataset=entry.dataset,
            workdir=str(workdir),
            steps=entry.steps,
            batch_size=8,
            model_kwargs=entry.config,
            num_samples=4,
        )
    )
    model = sources.load_workdir_model(workdir)
    root = tmp_path_factory.mktemp("pretrained")
    pretrained.save_weights(model, TEST_ENTRY, root)
    return model, root


def test_list_pretrained_leaves_out_test_entries():
    assert TEST_ENTRY not in zoo.list_pretrained()
    assert TEST_ENTRY in zoo.list_pretrained(include_test=True)
    assert zoo.list_pretrained() == sorted(zoo.list_pretrained())


def test_load_of_unknown_name_raises_zoo_error_listing_valid_names(monkeypatch):
    monkeypatch.setitem(
        pretrained.CATALOGUE,
        "dcgan_fashion_mnist",
        dataclasses.replace(pretrained.get_entry(TEST_ENTRY), test_only=False),
    )

    with pytest.raises(ZooError, match="unknown pretrained model 'nope'; valid names: dcgan_fa"):
        zoo.load("nope")


def test_catalogue_entries_build_their_declared_architecture():
    for name in zoo.list_pretrained(include_test=True):
        entry = pretrained.get_entry(name)
        model = pretrained.build(name)
        assert model.image_shape == tuple(entry.image_shape), name
        assert entry.weights.endswith(".weights.h5"), name


def test_load_restores_the_trained_weights_from_env_dir(trained_entry, monkeypatch):
    trained, root = trained_entry
    monkeypatch.setenv(pretrained.PRETRAINED_DIR_ENV, str(root))

    model = zoo.load(TEST_ENTRY)

    assert type(model) is type(trained)
    assert model.compiled
    assert int(model.g_optimizer.iterations) == pretrained.get_entry(TEST_ENTRY).steps
    for a, b in zip(trained.weights, model.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    np.testing.assert_array_equal(model.generate(5, seed=2), trained.generate(5, seed=2))


def test_load_without_weights_gives_the_architecture_untrained(trained_entry):
    trained, root = trained_entry

    model = pretrained.load(TEST_ENTRY, load_weights=False, root=root)

    unnamed = lambda config: {k: v for k, v in config.items() if k != "name"}  # noqa: E731
    assert unnamed(model.get_config()) == unnamed(trained.get_config())
    assert not np.allclose(model.generate(5, seed=2), trained.generate(5, seed=2))


def test_loaded_model_fine_tunes(trained_entry):
    from tests.harness import random_dataset

    _, root = trained_entry
    model = pretrained.load(TEST_ENTRY, root=root)

    history = model.fit(random_dataset(model, steps=1), epochs=1, verbose=0)

    assert np.isfinite(history.history["d_loss"]).all()
    assert int(model.g_optimizer.iterations) == pretrained.get_entry(TEST_ENTRY).steps + 1


def test_load_with_missing_weights_raises_zoo_error_naming_the_env_variable(tmp_path):
    with pytest.raises(ZooError, match=r"no weights file .*GAN_ZOO_PRETRAINED_DIR"):
        pretrained.load(TEST_ENTRY, root=tmp_path)


def test_load_with_corrupt_weights_raises_zoo_error(tmp_path):
    (tmp_path / pretrained.get_entry(TEST_ENTRY).weights).write_bytes(b"not hdf5")

    with pytest.raises(ZooError, match="cannot load"):
        pretrained.load(TEST_ENTRY, root=tmp_path)


def _mlp_generator_parameters(entry):
    """Weights and biases of the entry's MLP generator: (fan_in + 1) * fan_out per layer."""
    config = entry.config
    widths = [config["latent_dim"], *config["hidden_dims"], math.prod(entry.image_shape)]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(widths))


def test_entry_whose_parameter_count_drifted_raises_zoo_error(monkeypatch):
    entry = pretrained.get_entry(TEST_ENTRY)
    params = _mlp_generator_parameters(entry)
    assert entry.params == params
    drifted = dataclasses.replace(entry, params=params + 1)
    monkeypatch.setitem(pretrained.CATALOGUE, TEST_ENTRY, drifted)

    with pytest.raises(
        ZooError, match=f"the generator has {params} parameters, the catalogue says {params + 1}"
    ):
        pretrained.build(TEST_ENTRY)


def test_save_weights_of_another_family_raises_zoo_error(tmp_path):
    other = zoo.build("wgan_gp", image_shape=(2,), latent_dim=4, hidden_dims=(8,))

    with pytest.raises(ZooError, match="is a vanilla_gan, got a WGANGP"):
        pretrained.save_weights(other, TEST_ENTRY, tmp_path)


def test_export_of_pretrained_entry_writes_its_card_and_no_uint8(
    trained_entry, tmp_path, monkeypatch
):
    monkeypatch.setenv(pretrained.PRETRAINED_DIR_ENV, str(trained_entry[1]))

    model, card, name = export.load_for_export(pretrained=TEST_ENTRY)
    path = export.export(model, tmp_path, name, card=card)

    assert path == tmp_path / TEST_ENTRY / "1"
    written = json.loads((path / "assets" / export.MODEL_CARD_FILE).read_text())
    assert written["source"] == f"pretrained:{TEST_ENTRY}"
    assert written["dataset"] == "ring8"
    assert written["training_steps"] == 2
    assert written["image_shape"] == [2]
