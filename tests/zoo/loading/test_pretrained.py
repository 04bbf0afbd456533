"""Presets and the catalogue: `zoo.save_preset`, `zoo.load`, `zoo.list_pretrained`.

Tiny models are saved as presets in a temporary catalogue directory
(`$GAN_ZOO_PRETRAINED_DIR`); the shipped entries are checked at the end.
"""

import json

import keras
import numpy as np
import pytest

import zoo
from tests.harness import random_dataset
from zoo import export
from zoo.core.errors import ZooError
from zoo.loading import presets, pretrained, sources

TINY = {
    "dcgan": {"image_shape": (16, 16, 1), "latent_dim": 8, "base_filters": 4, "ema_decay": 0.9},
    "sagan": {"image_shape": (16, 16, 1), "latent_dim": 8, "base_filters": 4, "num_classes": 3},
    "stylegan": {
        "image_shape": (8, 8, 1), "latent_dim": 8, "w_dim": 8, "max_channels": 8,
        "channel_base": 16,
    },
    "vanilla_gan": {"image_shape": (2,), "latent_dim": 4, "hidden_dims": (8,)},
}  # fmt: skip


def _trained(family):
    """A tiny GAN of `family` after two steps (EMA and statistics differ from the start)."""
    gan = zoo.build(family, seed=0, **TINY[family])
    gan.compile()
    gan.fit(random_dataset(gan, steps=2), epochs=1, verbose=0)
    return gan


@pytest.fixture
def catalogue(tmp_path, monkeypatch):
    """An empty catalogue directory that `zoo.load` and `list_pretrained` read."""
    root = tmp_path / "catalogue"
    root.mkdir()
    monkeypatch.setenv(pretrained.PRETRAINED_DIR_ENV, str(root))
    return root


@pytest.fixture
def dcgan_preset(catalogue):
    gan = _trained("dcgan")
    card = {"dataset": "fashion_mnist", "steps": 2, "metrics": {"fid10k": 9.5}}
    return gan, zoo.save_preset(gan, catalogue / "dcgan_tiny", card=card)


@pytest.mark.parametrize("family", sorted(TINY))
def test_save_preset_then_load_gives_identical_samples(family, tmp_path):
    gan = _trained(family)
    folder = zoo.save_preset(gan, tmp_path / family)

    loaded = zoo.load(folder)

    assert type(loaded) is type(gan)
    assert loaded.compiled
    np.testing.assert_array_equal(loaded.generate(5, seed=3), gan.generate(5, seed=3))
    if loaded.capabilities.truncation:
        np.testing.assert_array_equal(
            loaded.generate(5, seed=3, truncation_psi=0.5),
            gan.generate(5, seed=3, truncation_psi=0.5),
        )


def test_preset_holds_keras_layout_and_a_card_of_every_file(dcgan_preset):
    gan, folder = dcgan_preset

    names = sorted(p.name for p in folder.iterdir())
    card = json.loads((folder / presets.CARD_FILE).read_text())
    config = json.loads((folder / presets.CONFIG_FILE).read_text())

    assert names == sorted([
        "config.json", "discriminator.weights.h5", "ema_generator.weights.h5",
        "generator.weights.h5", "model_card.json",
    ])  # fmt: skip
    assert config["registered_name"] == "gan_zoo>DCGAN"
    assert "compile_config" not in config  # no optimizer state in a preset
    assert sorted(card["files"]) == sorted(n for n in names if n != "model_card.json")
    for name, record in card["files"].items():
        assert record == presets.file_record(folder / name)
    assert card["family"] == "dcgan"
    assert card["parameters"]["generator"] == gan.generator.count_params()
    assert card["parameters"]["discriminator"] == gan.discriminator.count_params()
    assert card["image_shape"] == [16, 16, 1] and card["value_range"] == [-1.0, 1.0]
    assert card["dataset"] == "fashion_mnist" and card["metrics"] == {"fid10k": 9.5}


def test_load_takes_a_catalogue_name_and_lists_it(dcgan_preset):
    gan, _ = dcgan_preset

    assert zoo.list_pretrained() == ["dcgan_tiny"]
    np.testing.assert_array_equal(
        zoo.load("dcgan_tiny").generate(4, seed=0), gan.generate(4, seed=0)
    )


def test_loaded_preset_fine_tunes_from_step_zero(dcgan_preset):
    _, folder = dcgan_preset
    gan = zoo.load(folder)
    before = [w.numpy().copy() for w in gan.generator.trainable_weights]

    history = gan.fit(random_dataset(gan, steps=1), epochs=1, verbose=0)

    assert np.isfinite(history.history["d_loss"]).all()
    assert int(gan.g_optimizer.iterations) == 1
    after = gan.generator.trainable_weights
    assert any(not np.array_equal(a, b.numpy()) for a, b in zip(before, after, strict=True))


def test_load_of_unknown_name_lists_the_catalogue(dcgan_preset):
    with pytest.raises(ZooError, match="unknown pretrained model 'nope'; valid names: dcgan_tiny"):
        zoo.load("nope")


def test_load_of_a_recipe_not_yet_trained_says_how_to_train_it(catalogue):
    with pytest.raises(
        ZooError,
        match=r"'dcgan_fashion_mnist' has a recipe but is not trained"
        r" yet; train it with `make pretrained ENTRIES=dcgan_fashion_mnist`",
    ):
        zoo.load("dcgan_fashion_mnist")


def test_load_of_a_folder_that_is_not_a_preset_says_so(tmp_path):
    with pytest.raises(ZooError, match="is a folder but not a preset"):
        zoo.load(tmp_path)
    with pytest.raises(ZooError, match="no preset folder"):
        zoo.load(str(tmp_path / "missing" / "preset"))


@pytest.mark.parametrize(
    "damage, message",
    [
        ("missing", "generator.weights.h5 is missing"),
        ("truncated", r"generator.weights.h5 has \d+ bytes, the card says \d+"),
        ("altered", "generator.weights.h5 does not match its sha256"),
    ],
)
def test_damaged_file_fails_in_one_line_naming_it(dcgan_preset, damage, message):
    _, folder = dcgan_preset
    path = folder / "generator.weights.h5"
    data = path.read_bytes()
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))

    with pytest.raises(ZooError, match=message) as error:
        zoo.load(folder)
    assert "\n" not in str(error.value)


def test_card_whose_parameter_count_differs_fails_naming_the_network(dcgan_preset):
    _, folder = dcgan_preset
    card = presets.read_card(folder)
    card["parameters"]["generator"] += 1
    (folder / presets.CARD_FILE).write_text(json.dumps(card))

    with pytest.raises(ZooError, match=r"the generator has \d+ parameters, the card says"):
        zoo.load(folder)


def test_save_preset_replaces_a_preset_and_refuses_other_folders(dcgan_preset, tmp_path):
    _, folder = dcgan_preset
    other = _trained("vanilla_gan")

    zoo.save_preset(other, folder)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")

    assert presets.read_card(folder)["family"] == "vanilla_gan"
    assert not (folder / "ema_generator.weights.h5").exists()
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".")] == []
    with pytest.raises(ZooError, match="not a preset"):
        zoo.save_preset(other, tmp_path / "notes")
    assert (tmp_path / "notes" / "todo.txt").read_text() == "mine"


def test_a_failed_save_keeps_the_previous_preset(dcgan_preset, monkeypatch):
    gan, folder = dcgan_preset
    before = presets.read_card(folder)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save_weights", fail)
    with pytest.raises(OSError, match="disk full"):
        zoo.save_preset(gan, folder)

    assert presets.read_card(folder) == before
    presets.verify_files(folder, before)
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".")] == []


def test_keras_load_model_needs_only_import_zoo(tmp_path):
    gan = _trained("vanilla_gan")
    gan.save(tmp_path / "m.keras")

    loaded = keras.saving.load_model(tmp_path / "m.keras")

    np.testing.assert_array_equal(loaded.generate(3, seed=1), gan.generate(3, seed=1))


def test_export_of_a_preset_carries_its_card(dcgan_preset, tmp_path):
    _, folder = dcgan_preset

    model, card, name = export.load_for_export(pretrained="dcgan_tiny")
    path = export.export(model, tmp_path / "exports", name, card=card)

    assert path == tmp_path / "exports" / "dcgan_tiny" / "1"
    written = json.loads((path / "assets" / export.MODEL_CARD_FILE).read_text())
    assert written["source"] == "pretrained:dcgan_tiny"
    assert written["dataset"] == "fashion_mnist"
    assert written["metrics"] == {"fid10k": 9.5}
    assert written["preset_card"]["files"] == presets.read_card(folder)["files"]


def test_sources_load_a_preset_folder_with_its_card(dcgan_preset):
    _, folder = dcgan_preset

    loaded = sources.load_from_source(pretrained=str(folder))

    assert loaded.name == "dcgan_tiny" and loaded.dataset == "fashion_mnist"
    assert str(loaded.home) == "runs/dcgan_tiny"


# ------------------------------------------------------------ the shipped catalogue


def _shipped():
    return pretrained.list_pretrained() if pretrained._CHECKOUT_DIR.is_dir() else []


@pytest.mark.parametrize("name", _shipped())
def test_shipped_entry_loads_verified_with_its_card_and_samples_deterministically(
    name, monkeypatch
):
    monkeypatch.delenv(pretrained.PRETRAINED_DIR_ENV, raising=False)
    card = pretrained.card(name)

    gan = zoo.load(name)

    assert presets.describe(gan)["parameters"] == card["parameters"]
    images = gan.generate(4, seed=0)
    assert images.shape == (4, *card["image_shape"])
    np.testing.assert_array_equal(images, gan.generate(4, seed=0))


# ------------------------------------------------------------ fine-tuning: --init_from


def _points_preset(folder):
    gan = _trained("vanilla_gan")
    return gan, zoo.save_preset(gan, folder, card={"dataset": "ring8"})


def _points_config(workdir, **overrides):
    from zoo import training

    settings = dict(
        model="vanilla_gan", dataset="ring8", workdir=str(workdir), steps=1, batch_size=8,
        seed=5, sample_every=1, checkpoint_every=1, log_every=1, num_samples=4,
    )  # fmt: skip
    return training.TrainConfig(**{**settings, **overrides})


def test_init_from_builds_the_preset_architecture_and_starts_from_its_samples(tmp_path):
    from zoo import data, training

    preset, folder = _points_preset(tmp_path / "preset")
    config = _points_config(tmp_path / "run", init_from=str(folder))
    _, info = data.load_dataset("ring8", batch_size=8)

    model = training.build_model(config, info)
    training.initialize_from_preset(model, str(folder))

    assert model.get_config()["hidden_dims"] == preset.get_config()["hidden_dims"]
    assert model.ema_decay == preset.ema_decay
    np.testing.assert_array_equal(model.generate(6, seed=2), zoo.load(folder).generate(6, seed=2))


def test_train_with_init_from_continues_from_the_preset_weights(tmp_path):
    from zoo import training

    _, folder = _points_preset(tmp_path / "preset")
    # Learning rates so small that one step leaves the weights where they started.
    config = _points_config(
        tmp_path / "run", init_from=str(folder), d_learning_rate=1e-12, g_learning_rate=1e-12
    )

    model, _ = training.run_training(config)

    start = zoo.load(folder)
    for a, b in zip(start.generator.weights, model.generator.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["init_from"] == str(folder)


def test_init_from_a_preset_of_another_family_says_which_model_to_pass(tmp_path):
    from zoo import training

    _, folder = _points_preset(tmp_path / "preset")
    config = _points_config(tmp_path / "run", model="wgan_gp", init_from=str(folder))

    with pytest.raises(ZooError, match="is a vanilla_gan, not a wgan_gp; pass --model=vanilla_gan"):
        training.train(config)
