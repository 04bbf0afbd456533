"""generate.py as a user runs it: every mode from a saved model, no dataset."""

import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import models
from tests.helpers import assert_one_line_error, run_command_in_process, run_script
from zoo import data, drawing
from zoo.core import latents
from zoo.core.errors import ZooError
from zoo.drawing import pictures
from zoo.metrics import extractors

SIDE = 16
PAD = 2  # pixels between the tiles of every picture
CLASSES = data.FASHION_MNIST_CLASSES


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("generate")
    keras.utils.set_random_seed(0)  # the same networks whichever test comes first
    sagan = models.SAGAN(image_shape=(SIDE, SIDE, 1), latent_dim=8, base_filters=8, num_classes=3)
    dcgan = models.DCGAN(image_shape=(SIDE, SIDE, 1), latent_dim=8, base_filters=4)
    # The shipped classifier of --mode=attribute takes 28x28 images.
    dcgan28 = models.DCGAN(image_shape=(28, 28, 1), latent_dim=8, base_filters=4)
    # Untrained, it draws one flat grey picture; ten times its kernels, it saturates
    # into pictures the classifier puts in more than one class.
    for weight in dcgan28.generator.weights:
        if "kernel" in weight.path:
            weight.assign(10.0 * weight)
    gans = {"sagan": sagan, "dcgan": dcgan, "dcgan28": dcgan28}
    for name, gan in gans.items():
        gan.compile()
        gan.save(root / f"{name}.keras")
    return root, gans


@pytest.fixture(scope="module")
def styled(tmp_path_factory):
    """A tiny StyleGAN (16x16: 6 styles) saved as .keras."""
    # generate.py loads a .keras file after importing `models`, which must register StyleGAN.
    if not hasattr(models, "StyleGAN"):
        pytest.fail(
            "models/__init__.py does not import StyleGAN yet: generate.py cannot load a StyleGAN "
            ".keras file, so the StyleGAN tests of generate.py cannot run"
        )
    root = tmp_path_factory.mktemp("generate_stylegan")
    gan = models.StyleGAN(
        image_shape=(SIDE, SIDE, 1), latent_dim=8, w_dim=8, max_channels=16, channel_base=64,
        seed=0,
    )  # fmt: skip
    # An untrained w_avg is 0; a nonzero one makes truncation visible.
    gan.w_average(gan.sampling_generator).assign(np.linspace(-1.0, 1.0, 8, dtype=np.float32))
    gan.compile()
    path = root / "stylegan.keras"
    gan.save(path)
    return path, gan


def _generate(model_path, *flags):
    """generate.py on a .keras file, where no Fashion-MNIST is to be found."""
    missing = model_path.parent / "no-fashion-mnist-here"
    return run_command_in_process(
        "generate", f"--model_path={model_path}", *flags,
        env={"GAN_ZOO_FASHION_MNIST_DIR": str(missing)},
    )  # fmt: skip


def _png(path):
    picture = np.asarray(Image.open(path))
    return picture[..., None] if picture.ndim == 2 else picture


def _grid_shape(rows, cols, side=SIDE):
    return (rows * (side + PAD) + PAD, cols * (side + PAD) + PAD, 1)


def _tile(picture, row, col, side=SIDE):
    top, left = PAD + row * (side + PAD), PAD + col * (side + PAD)
    return picture[top : top + side, left : left + side]


def _assert_same_image(picture_tile, samples):
    """A tile of a written PNG shows `samples` (one image in [-1, 1], or a uint8 tile)."""
    expected = samples if np.asarray(samples).dtype == np.uint8 else pictures.to_images(samples)
    np.testing.assert_allclose(
        np.asarray(picture_tile).astype(int), np.asarray(expected).astype(int), atol=1
    )


def _seed_latents(seeds, latent_dim):
    return np.concatenate([latents.seeded_latents(s, 1, latent_dim).numpy() for s in seeds])


# ------------------------------------------------------------------- grid


def test_generate_grid_of_a_conditional_model_has_one_row_per_class(saved, tmp_path):
    root, gans = saved
    output = tmp_path / "grid.png"

    result = _generate(root / "sagan.keras", "--num_samples=6", "--seed=2", f"--output={output}")

    assert result.returncode == 0, result.stderr
    samples = gans["sagan"].generate(6, seed=2)  # classes 0, 1, 2, 0, 1, 2
    expected = pictures.samples_picture(samples, None, num_classes=3)
    picture = _png(output)
    assert picture.shape == _grid_shape(3, 2)
    np.testing.assert_allclose(picture.astype(int), expected.astype(int), atol=1)


def test_generate_script_draws_a_grid_and_fails_in_one_line(saved, tmp_path):
    """The script itself, in its own process; the other tests run the command in-process."""
    root, gans = saved
    output = tmp_path / "grid.png"
    env = {"GAN_ZOO_FASHION_MNIST_DIR": str(tmp_path / "none")}

    drawn = run_script("generate.py", f"--model_path={root / 'dcgan.keras'}", "--num_samples=4",
                       f"--output={output}", env=env)  # fmt: skip
    refused = run_script(
        "generate.py", f"--model_path={root / 'dcgan.keras'}", "--label=1", env=env
    )

    assert drawn.returncode == 0, drawn.stderr
    expected = pictures.samples_picture(gans["dcgan"].generate(4, seed=0), None)
    np.testing.assert_allclose(_png(output).astype(int), expected.astype(int), atol=1)
    assert_one_line_error(refused, "unconditional")


def test_generate_grid_of_one_label(saved, tmp_path):
    root, gans = saved
    output = tmp_path / "shirts.png"

    result = _generate(root / "sagan.keras", "--num_samples=4", "--label=2", f"--output={output}")

    assert result.returncode == 0, result.stderr
    samples = gans["sagan"].generate(4, labels=[2, 2, 2, 2], seed=0)
    np.testing.assert_allclose(
        _png(output).astype(int), pictures.samples_picture(samples).astype(int), atol=1
    )


def test_generate_grid_of_seeds_shows_the_first_sample_of_each_seed(saved):
    root, gans = saved

    result = _generate(root / "dcgan.keras", "--seeds=3,1,4,15")

    assert result.returncode == 0, result.stderr
    # The default output: under the model's folder, named by the seeds.
    output = root / "samples" / "grid_seed3-1-4-15.png"
    picture = _png(output)
    assert picture.shape == _grid_shape(2, 2)
    for index, seed in enumerate((3, 1, 4, 15)):
        first_sample = gans["dcgan"].generate(1, seed=seed)[0]
        _assert_same_image(_tile(picture, *divmod(index, 2)), first_sample)


def test_generate_grid_with_truncation(styled, tmp_path):
    path, gan = styled
    output = tmp_path / "truncated.png"

    result = _generate(path, "--num_samples=4", "--truncation_psi=0.5", f"--output={output}")

    assert result.returncode == 0, result.stderr
    samples = gan.generate(4, seed=0, truncation_psi=0.5)
    np.testing.assert_allclose(
        _png(output).astype(int), pictures.samples_picture(samples).astype(int), atol=1
    )


# -------------------------------------------------------------- attention


def test_generate_attention_draws_each_sample_beside_its_map(saved, tmp_path):
    root, _ = saved
    output = tmp_path / "attention.png"

    result = _generate(
        root / "sagan.keras", "--mode=attention", "--num_samples=2", "--query=1,2",
        f"--output={output}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    tile = 4 * SIDE + 2  # each image drawn 4x, plus padding
    assert _png(output).shape == (2 * tile + 2, 2 * tile + 2, 3)


# ------------------------------------------------------------ interpolate


def test_generate_interpolate_writes_a_strip_and_a_gif(saved, tmp_path):
    root, gans = saved
    output = tmp_path / "walk.png"

    result = _generate(
        root / "sagan.keras", "--mode=interpolate", "--seeds=5,9", "--steps=5", "--label=1",
        "--frame_ms=50", f"--output={output}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    z = _seed_latents((5, 9), 8)
    walk = drawing.interpolate(gans["sagan"], z[0], z[1], 5, label=1)  # slerp in z
    np.testing.assert_allclose(
        _png(output).astype(int),
        pictures.image_strip(pictures.to_images(walk)).astype(int),
        atol=1,
    )
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 5
        assert gif.info["loop"] == 0 and gif.info["duration"] == 50
        # Enlarged to at least 128 pixels, with a progress bar below.
        assert gif.size == (128, 130)


def test_generate_interpolate_of_a_style_model_runs_straight_in_w(styled, tmp_path):
    path, gan = styled
    output = tmp_path / "walk.png"

    result = _generate(path, "--mode=interpolate", "--seeds=2,7", "--steps=4", f"--output={output}")

    assert result.returncode == 0, result.stderr
    picture = _png(output)
    assert picture.shape == _grid_shape(1, 4)
    # The ends are the two seeds' samples.
    _assert_same_image(_tile(picture, 0, 0), gan.generate(1, seed=2)[0])
    _assert_same_image(_tile(picture, 0, 3), gan.generate(1, seed=7)[0])
    # Between them, the straight line in w, not the slerp in z.
    ws = gan.mapping(_seed_latents((2, 7), 8), generator=gan.sampling_generator)
    middle = gan.synthesize((2 / 3) * ws[0:1] + (1 / 3) * ws[1:2], gan.sampling_generator)
    _assert_same_image(_tile(picture, 0, 1), np.asarray(middle)[0])
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 4


# -------------------------------------------------------------- style_mix


def test_generate_style_mix_cells_take_coarse_styles_from_rows(styled, tmp_path):
    path, gan = styled
    output = tmp_path / "mix.png"

    result = _generate(
        path, "--mode=style_mix", "--row_seeds=1,2", "--col_seeds=3,4,5", "--crossover=2",
        f"--output={output}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    picture = _png(output)
    assert picture.shape == _grid_shape(3, 4)
    assert not _tile(picture, 0, 0).any()  # the blank corner
    _assert_same_image(_tile(picture, 0, 3), gan.generate(1, seed=5)[0])  # column head 5
    _assert_same_image(_tile(picture, 2, 0), gan.generate(1, seed=2)[0])  # row head 2
    # Cell (row seed 2, column seed 5): layers 0-1 from seed 2, the rest from seed 5.
    ws = gan.mapping(_seed_latents((2, 5), 8), generator=gan.sampling_generator)
    mixed = np.concatenate([ws[0:1, :2], ws[1:2, 2:]], axis=1)
    cell = gan.synthesize(mixed, generator=gan.sampling_generator)
    _assert_same_image(_tile(picture, 2, 3), np.asarray(cell)[0])


def test_crossed_styles_is_row_major():
    row_ws = np.zeros((2, 4, 3), np.float32) + np.arange(2)[:, None, None]
    col_ws = np.zeros((3, 4, 3), np.float32) + 10 + np.arange(3)[:, None, None]

    mixed = latents.crossed_styles(row_ws, col_ws, 1).numpy()

    assert mixed.shape == (6, 4, 3)
    for row in range(2):
        for col in range(3):
            np.testing.assert_array_equal(mixed[row * 3 + col, 0], row)
            np.testing.assert_array_equal(mixed[row * 3 + col, 1:], 10 + col)
    with pytest.raises(ZooError, match="crossover"):
        latents.crossed_styles(row_ws, col_ws, 4)


@pytest.mark.parametrize("crossover", [0, 6], ids=["zero", "num_ws"])
def test_generate_style_mix_crossover_out_of_range_fails_in_one_line(styled, tmp_path, crossover):
    path, gan = styled
    assert gan.num_ws == 6

    result = _generate(
        path, "--mode=style_mix", f"--crossover={crossover}", f"--output={tmp_path / 'x.png'}"
    )

    assert_one_line_error(result, "--crossover must be in [1, 6)")
    assert not (tmp_path / "x.png").exists()


# ------------------------------------------------------------- truncation


def test_generate_truncation_sweep_at_psi_one_is_the_plain_grid(styled, tmp_path):
    path, gan = styled
    sweep, plain = tmp_path / "sweep.png", tmp_path / "plain.png"

    result = _generate(
        path, "--mode=truncation", "--seeds=0,1", "--psis=1,0.5,0", f"--output={sweep}"
    )
    plain_result = _generate(path, "--seeds=0,1", f"--output={plain}")

    assert result.returncode == 0, result.stderr
    assert plain_result.returncode == 0, plain_result.stderr
    picture, plain_picture = _png(sweep), _png(plain)
    assert picture.shape == _grid_shape(2, 3)
    assert plain_picture.shape == _grid_shape(1, 2)
    z = _seed_latents((0, 1), 8)
    for row in range(2):
        np.testing.assert_array_equal(_tile(picture, row, 0), _tile(plain_picture, 0, row))
        _assert_same_image(_tile(picture, row, 1), gan.generate(latents=z, truncation_psi=0.5)[row])
    # psi = 0: every seed is the average w's image.
    np.testing.assert_array_equal(_tile(picture, 0, 2), _tile(picture, 1, 2))


# -------------------------------------------------------------- attribute


def test_attribute_direction_is_the_difference_of_the_class_means():
    rng = np.random.default_rng(0)
    predicted = np.array([0] * 6 + [1] * 7 + [2] * 3)
    means = {0: np.array([1.0, 0.0, 2.0]), 1: np.array([0.0, 1.0, -2.0]), 2: np.zeros(3)}
    noise = rng.normal(size=(len(predicted), 3)) * 0.1
    noise -= np.stack(
        [noise[predicted == c].mean(axis=0) for c in predicted]
    )  # zero-mean per class
    codes = np.stack([means[c] for c in predicted]) + noise

    direction = latents.attribute_direction(codes, predicted, from_class=0, to_class=1)

    np.testing.assert_allclose(direction, [-1.0, 1.0, -4.0], atol=1e-5)
    assert direction.dtype == np.float32


def test_attribute_direction_refuses_a_class_with_too_few_samples():
    predicted = np.array([0] * 6 + [1] * 7 + [2] * 3)
    codes = np.zeros((len(predicted), 3))

    with pytest.raises(ZooError, match="only 3 of the 16 samples were classified as Pullover"):
        latents.attribute_direction(
            codes, predicted, 0, 2, class_names=("T-shirt/top", "Trouser", "Pullover")
        )


def test_generate_attribute_walks_or_fails_in_one_line(saved, tmp_path):
    root, gans = saved
    gan, pool = gans["dcgan28"], 64
    # What generate.py will see: the pool of --seed=0, classified by the shipped classifier.
    images = np.clip(gan.generate(latents=latents.seeded_latents(0, pool, 8)), -1, 1)
    counts = np.bincount(np.argmax(extractors.get_extractor()(images)[1], -1), minlength=10)
    ranked = np.argsort(counts, kind="stable")
    common, second, rare = int(ranked[-1]), int(ranked[-2]), int(ranked[0])
    output = tmp_path / "walk.png"
    flags = (f"--pool={pool}", "--seeds=0,1", "--steps=3", f"--output={output}")
    checked = False

    # Margins of 2-3 samples: a sample at a class boundary may go either way
    # when the subprocess batches the pool differently.
    if counts[rare] <= 2:  # too rare for a mean: one line
        result = _generate(
            root / "dcgan28.keras", "--mode=attribute", f"--from_class={common}",
            f"--to_class={rare}", *flags,
        )  # fmt: skip
        assert_one_line_error(
            result, f"of the {pool} samples were classified as {CLASSES[rare]}", "fewer than 5"
        )
        assert not output.exists()
        checked = True
    if counts[second] >= 8:  # two classes with a mean each: a walk
        result = _generate(
            root / "dcgan28.keras", "--mode=attribute", f"--from_class={common}",
            f"--to_class={CLASSES[second]}", *flags,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        picture = _png(output)
        assert picture.shape == _grid_shape(2, 3, side=28)
        # Each walk starts at its seed's sample.
        _assert_same_image(_tile(picture, 1, 0, side=28), gan.generate(1, seed=1)[0])
        checked = True
    if not checked:
        pytest.skip(f"class counts {counts.tolist()} are too close to the threshold of 5")


# ------------------------------------------------------------ bad requests


@pytest.mark.parametrize(
    "model, flags, fragment",
    [
        ("dcgan", ["--label=1"], "unconditional"),
        ("sagan", ["--label=3"], "--class must be in [0, 3)"),
        ("dcgan", ["--mode=attention"], "no attention layer"),
        ("sagan", ["--mode=attention", "--query=8,0"], "--query must be row,col"),
        ("sagan", ["--mode=attention", "--query=a"], "--query must be row,col"),
        ("dcgan", ["--mode=pictures"], "--mode"),
        ("dcgan", ["--seeds=1,x"], "--seeds must be seeds and ranges like 0-35"),
        ("dcgan", ["--seeds=2,-1"], "--seeds must be seeds and ranges like 0-35"),
        ("dcgan", ["--seeds=1,2", "--num_samples=4"], "drop --seed and --num_samples"),
        ("dcgan", ["--truncation_psi=0.5"], "DCGAN has no truncation trick"),
        ("dcgan", ["--truncation_psi=abc"], "--truncation_psi"),
        ("dcgan", ["--mode=attention", "--seeds=1,2"], "--mode=attention takes no --seeds"),
        ("dcgan", ["--mode=interpolate", "--seeds=1,2,3"], "takes two seeds"),
        ("dcgan", ["--mode=interpolate", "--steps=1"], "--frames"),
        ("dcgan", ["--mode=style_mix"], "DCGAN has no style space"),
        ("dcgan", ["--mode=truncation"], "DCGAN has no truncation trick"),
        ("sagan", ["--mode=attribute", "--from_class=0", "--to_class=1"],
         "their class is a label, not a direction"),
        ("dcgan", ["--mode=attribute", "--from_class=Shirt"], "needs --from_class and --to_class"),
        ("dcgan", ["--mode=attribute", "--from_class=Shirt", "--to_class=hat"],
         "--to_class='hat' is no Fashion-MNIST class"),
        ("dcgan", ["--mode=attribute", "--from_class=Shirt", "--to_class=coat"],
         "28x28 or 32x32"),
        ("dcgan", ["--seeds=5-2"], "--seeds must be seeds and ranges like 0-35"),
        ("dcgan", ["--seed=-1"], "flag --seed=-1"),
        ("sagan", ["--class=hat"], "--class='hat' is no Fashion-MNIST class"),
        ("dcgan", ["--truncation_psi=nan"], "--truncation_psi must be a finite number"),
        ("dcgan", ["--outdir=o"], "--outdir writes one PNG per seed of --seeds"),
        ("dcgan", ["--seeds=0-3", "--grid"], "--grid writes the seeds' grid beside --outdir"),
        ("dcgan", ["--mode=interpolate", "--outdir=o"], "takes no --outdir"),
    ],
    ids=[
        "label_unconditional", "label_range", "attention_dcgan", "query_range", "query_form",
        "bad_mode", "seeds_not_integers", "seeds_negative", "seeds_with_num_samples",
        "psi_dcgan", "psi_not_a_number", "flag_of_another_mode", "interpolate_three_seeds",
        "interpolate_one_step", "style_mix_dcgan", "truncation_dcgan", "attribute_conditional",
        "attribute_one_class", "attribute_unknown_class", "attribute_image_size",
        "seed_range_backwards", "seed_negative", "class_unknown_name", "psi_nan",
        "outdir_without_seeds",
        "grid_without_outdir", "outdir_of_another_mode",
    ],
)  # fmt: skip
def test_generate_bad_request_fails_in_one_line(saved, tmp_path, model, flags, fragment):
    root, _ = saved

    result = _generate(root / f"{model}.keras", *flags, f"--output={tmp_path / 'x.png'}")

    assert_one_line_error(result, fragment)
    assert not (tmp_path / "x.png").exists()


def test_generate_bad_psis_of_a_sweep_fail_in_one_line(styled, tmp_path):
    path, _ = styled

    result = _generate(path, "--mode=truncation", "--psis=1,half", f"--output={tmp_path / 'x.png'}")

    assert_one_line_error(result, "--psis must be a comma-separated list of numbers")


# ------------------------------------------------------------ stylegan2-ada's habits


def test_generate_outdir_writes_one_png_per_seed_of_a_range(saved, tmp_path):
    root, gans = saved
    outdir = tmp_path / "out"

    result = _generate(root / "dcgan.keras", "--seeds=3-5,9", f"--outdir={outdir}", "--grid")

    assert result.returncode == 0, result.stderr
    assert "loaded DCGAN from the model file" in result.stdout
    names = sorted(p.name for p in outdir.iterdir())
    assert names == ["grid.png", "seed0003.png", "seed0004.png", "seed0005.png", "seed0009.png"]
    for seed in (3, 9):  # the sample of seed s is the first of --seed=s
        _assert_same_image(
            _png(outdir / f"seed{seed:04d}.png"), gans["dcgan"].generate(1, seed=seed)[0]
        )
    assert _png(outdir / "grid.png").shape == _grid_shape(2, 2)


def test_generate_outdir_names_the_class_of_a_conditional_model(saved, tmp_path):
    root, gans = saved
    outdir = tmp_path / "out"

    by_index = _generate(root / "sagan.keras", "--seeds=0-1", "--class=2", f"--outdir={outdir}")
    in_turn = _generate(root / "sagan.keras", "--seeds=7-9", f"--outdir={outdir}")

    assert by_index.returncode == 0 and in_turn.returncode == 0, by_index.stderr + in_turn.stderr
    assert sorted(p.name for p in outdir.iterdir()) == [
        "seed0000_class2.png", "seed0001_class2.png",
        "seed0007_class0.png", "seed0008_class1.png", "seed0009_class2.png",
    ]  # fmt: skip
    z = _seed_latents([1], 8)
    expected = gans["sagan"].generate(latents=z, labels=np.array([2], np.int32))
    _assert_same_image(_png(outdir / "seed0001_class2.png"), expected[0])


def test_generate_class_by_name_and_trunc_alias(saved, styled, tmp_path):
    root, gans = saved
    path, gan = styled
    named = tmp_path / "named.png"
    truncated = tmp_path / "trunc.png"

    by_name = _generate(root / "dcgan28.keras", "--class=Shirt", f"--output={named}")
    trunc = _generate(path, "--seeds=4", "--trunc=0.5", f"--output={truncated}")

    assert_one_line_error(by_name, "unconditional")  # a name is parsed, then refused here
    assert trunc.returncode == 0, trunc.stderr
    z = _seed_latents([4], gan.latent_dim)
    _assert_same_image(_tile(_png(truncated), 0, 0), gan.generate(latents=z, truncation_psi=0.5)[0])


def test_generate_refuses_outputs_that_are_not_what_they_name(saved, tmp_path):
    root, _ = saved
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "keep.png").write_bytes(b"x")
    a_file = tmp_path / "file.png"
    a_file.write_bytes(b"y")

    output_folder = _generate(root / "dcgan.keras", f"--output={folder}")
    outdir_file = _generate(root / "dcgan.keras", "--seeds=0-1", f"--outdir={a_file}")

    assert_one_line_error(output_folder, f"--output={folder} is a folder")
    assert_one_line_error(outdir_file, f"--outdir={a_file} is a file")
    assert (folder / "keep.png").read_bytes() == b"x" and a_file.read_bytes() == b"y"


def test_generate_network_takes_every_kind_of_source(saved, tmp_path):
    root, _ = saved

    from_file = _generate_network(root / "dcgan.keras", "--num_samples=1", tmp_path / "a.png")
    missing = _generate_network(tmp_path / "absent.keras", "--num_samples=1", tmp_path / "b.png")
    not_a_model = _generate_network(tmp_path, "--num_samples=1", tmp_path / "c.png")

    assert from_file.returncode == 0, from_file.stderr
    assert "loaded DCGAN from the model file" in from_file.stdout
    assert_one_line_error(missing, "no such file or folder")
    assert_one_line_error(not_a_model, "neither a training run", "nor a preset")


def _generate_network(network, *flags):
    *flags, output = flags
    return run_command_in_process(
        "generate", f"--network={network}", *flags, f"--output={output}",
        env={"GAN_ZOO_FASHION_MNIST_DIR": str(pathlib.Path(output).parent / "none")},
    )  # fmt: skip


def test_generate_out_of_memory_or_an_unwritable_folder_is_one_line(saved, tmp_path, monkeypatch):
    root, _ = saved
    a_file = tmp_path / "file"
    a_file.write_text("x")

    def exhausted(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(
            None, None, "OOM when allocating tensor with shape[9,9]"
        )

    unwritable = _generate(root / "dcgan.keras", "--seeds=0-1", f"--outdir={a_file / 'sub'}")
    monkeypatch.setattr(drawing, "grid", exhausted)
    oom = _generate(root / "dcgan.keras", f"--output={tmp_path / 'x.png'}")

    assert_one_line_error(unwritable, f"cannot write {a_file / 'sub'}", "Not a directory")
    assert_one_line_error(oom, "out of memory allocating a tensor with shape[9,9]", "--num_samples")
    assert a_file.read_text() == "x"
