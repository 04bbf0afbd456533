"""Publishing a finished run as a catalogue entry (`make pretrained`'s library)."""

import json

import numpy as np
import pytest

import zoo
from zoo import catalogue, training
from zoo.catalogue import recipes
from zoo.core.errors import ZooError
from zoo.loading import presets, sources

RECIPE = recipes.Recipe(
    name="vanilla_gan_ring8", model="vanilla_gan", dataset="ring8", steps=4,
    flags={"batch_size": 8, "seed": 0, "checkpoint_every": 2, "sample_every": 2},
    model_kwargs={"latent_dim": 4, "hidden_dims": (8,), "ema_decay": 0.9},
)  # fmt: skip


def _train(workdir, steps=RECIPE.steps):
    config = training.TrainConfig(
        model=RECIPE.model, dataset=RECIPE.dataset, workdir=str(workdir), steps=steps,
        batch_size=8, seed=0, checkpoint_every=2, sample_every=2, log_every=2, num_samples=4,
        model_kwargs=RECIPE.model_kwargs,
    )  # fmt: skip
    training.train(config)


def test_recipe_command_is_train_py_with_its_flags():
    command = RECIPE.command()

    assert command.startswith("python train.py --model=vanilla_gan --dataset=ring8 --steps=4 ")
    assert "'--model_kwargs=latent_dim=4,hidden_dims=(8,),ema_decay=0.9'" in command
    assert command.endswith("--workdir=runs/pretrained/vanilla_gan_ring8")


def test_every_catalogue_recipe_parses_as_train_py_flags():
    from zoo.commands import cli

    for recipe in recipes.RECIPES.values():
        kwargs = next(a for a in recipe.train_args() if a.startswith("--model_kwargs="))
        assert cli.parse_kwargs(kwargs.split("=", 1)[1]) == recipe.model_kwargs, recipe.name
        assert recipe.name.startswith(f"{recipe.model}_{recipe.dataset}")


def test_image_budgets_are_images_of_bench_throughput_rounded_to_the_evaluation_interval():
    for recipe in recipes.RECIPES.values():
        if recipe.images_per_second is None:
            continue
        images = recipe.budget_seconds * recipe.images_per_second
        batch = recipe.flags["batch_size"] * recipe.d_steps
        assert recipe.budget_seconds <= recipes.BUDGET_SECONDS, recipe.name
        assert recipe.steps % recipe.eval_every == 0, recipe.name
        assert abs(recipe.steps * batch - images) <= recipe.eval_every * batch / 2, recipe.name
        if recipe.budget_seconds < recipes.BUDGET_SECONDS:
            assert "not two hours" in recipe.notes, recipe.name


def test_card_limitations_state_each_recipes_own_budget():
    words = {name: catalogue.publishing.budget_words(r) for name, r in recipes.RECIPES.items()}

    assert words["dcgan_fashion_mnist"] == "A two-hour CPU budget"
    assert words["progan_fashion_mnist"] == "A 30-minute CPU budget"
    assert words["wgan_gp_fashion_mnist"] == "A 20-minute CPU budget"
    assert words["vanilla_gan_ring8"] == "A budget of 50,000 steps on a CPU"


def test_publish_writes_a_verified_preset_with_its_card_and_strip(tmp_path):
    workdir = tmp_path / "run"
    _train(workdir)

    folder = catalogue.publish(
        RECIPE, tmp_path / "pretrained", tmp_path / "strips", workdir=workdir
    )

    card = presets.read_card(folder)
    presets.verify_files(folder, card)
    assert card["name"] == "vanilla_gan_ring8" and card["family"] == "vanilla_gan"
    assert card["training_command"] == RECIPE.command()
    assert card["steps"] == 4 and card["images_seen"] == 4 * 8
    assert card["machine"]["cores"] >= 1 and card["machine"]["precision"] == "float32"
    assert card["wall_time_seconds"] > 0
    assert card["limitations"].endswith(
        "A budget of 4 steps on a CPU, far from the papers' schedules."
    )
    assert card["real_floor"]["num_modes_covered"] == 8
    assert card["metrics"]["num_modes"] == 8 and card["evaluation"]["seed"] == 0
    assert (tmp_path / "strips" / "vanilla_gan_ring8.png").stat().st_size > 0
    trained = sources.load_workdir_model(workdir)
    np.testing.assert_array_equal(zoo.load(folder).generate(8, seed=1), trained.generate(8, seed=1))


def test_publish_of_an_unfinished_run_says_how_to_finish_it(tmp_path):
    workdir = tmp_path / "run"
    _train(workdir, steps=2)

    with pytest.raises(ZooError, match="stopped at step 2 of 4; rerun without --skip_training"):
        catalogue.publish(RECIPE, tmp_path / "p", tmp_path / "s", workdir=workdir)


def test_learning_curve_keeps_a_step_last_line_and_counts_images(tmp_path):
    workdir = tmp_path / "run"
    _train(workdir)
    lines = [{"step": 2, "results": {"fid10k": 9.0}}, {"step": 4, "results": {"fid10k": 5.0}},
             {"step": 2, "results": {"fid10k": 8.0}}]  # fmt: skip
    (workdir / training.METRICS_HISTORY_FILE).write_text(
        "".join(json.dumps(line) + "\n" for line in lines)
    )
    gan = sources.load_workdir_model(workdir)

    curve = catalogue.learning_curve(workdir, gan, training.read_config(workdir))

    assert curve == [
        {"step": 2, "images": 16, "results": {"fid10k": 8.0}},
        {"step": 4, "images": 32, "results": {"fid10k": 5.0}},
    ]
