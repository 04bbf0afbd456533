# The two commands a user needs: `make train` and `make test`. Both create the
# virtual environment and fetch the default dataset when they are missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

STEPS ?= 3000
WORKDIR ?= runs/dcgan
MIXED_PRECISION ?=

.PHONY: venv data train test test-slow bench bench-quality bench-modes bench-small-data bench-variants pretrained classifier lint clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED)

venv: $(INSTALLED)

data:
	./scripts/ensure_fashion_mnist.sh

# DCGAN on Fashion-MNIST 32x32, about 10 minutes on 2 CPU cores; rerun to resume.
# The same run as `python train.py` with no flags.
# train.py picks bfloat16 where it measured no worse and the CPU has it (docs/training.md);
# MIXED_PRECISION=float32 or bfloat16 overrides the choice.
train: venv data
	$(PY) train.py --steps=$(STEPS) --workdir=$(WORKDIR) $(if $(MIXED_PRECISION),--mixed_precision=$(MIXED_PRECISION))

# The fast suite (CI runs this), one worker per core; slow tests (25k-step 2-D training)
# run in test-slow. The 20 slowest tests are listed, to keep the suite under 15 minutes.
test: venv data
	$(PY) -m pytest -m "not slow" -n auto --durations=20

test-slow: venv data
	$(PY) -m pytest -m slow

# Every family's train.py images/s beside a bare tf.function step, bfloat16 vs float32, the
# time to score 10k samples and peak memory: about 20 minutes on 2 cores.
bench: venv data
	$(PY) bench/train_speed.py

# Image quality at equal time: each image family trains 20 minutes on Fashion-MNIST 32x32 and
# evaluate.py scores it (about 2 h on 2 cores); one family: make bench-quality FAMILIES=progan.
FAMILIES ?= vanilla_gan,dcgan,wgan_gp,progan,sagan,stylegan
bench-quality: venv data
	$(PY) bench/quality.py --families=$(FAMILIES)

# Retrains the pretrained catalogue with each entry's recorded command (zoo/catalogue/recipes.py), one
# entry at a time, then scores and publishes it to pretrained/<name>/: about 10 h on 2 cores in
# all; rerun to resume. One entry: make pretrained ENTRIES=dcgan_fashion_mnist.
ENTRIES ?=
pretrained: venv data
	$(PY) scripts/train_pretrained.py $(if $(ENTRIES),--entries=$(ENTRIES))

# Retrains the shipped evaluation classifier (zoo/metrics/classifier/), about 6-8 minutes.
classifier: venv data
	$(PY) scripts/train_classifier.py

# Mode collapse on ring8/grid25, 7 configurations x 5 seeds x 25k (or 50k) steps: about 4 h on 2 cores;
# resumes from bench/results/modes.json when interrupted.
bench-modes: venv
	$(PY) bench/modes.py --output=bench/results/modes.md

# Small data: DCGAN, SAGAN and StyleGAN2 on 1,000 training images (10 and 30 minutes) and 5,000
# (10 minutes) with no augmentation, DiffAugment and ADA, each at its setting's measured rate (about
# 6 h on 2 cores with native bfloat16, over twice that without; resumes from
# bench/results/small_data.json). One family: make bench-small-data SMALL_FAMILIES=dcgan.
SMALL_FAMILIES ?= dcgan,sagan,stylegan
bench-small-data: venv data
	$(PY) bench/small_data.py --families=$(SMALL_FAMILIES) --sizes=1000 --minutes=10,30
	$(PY) bench/small_data.py --families=$(SMALL_FAMILIES) --sizes=5000 --minutes=10

# Equal-time A/Bs of StyleGAN2's or ProGAN's candidate changes (bench/variants.py), 20 minutes each
# at each variant's measured rate: make bench-variants VARIANT_FAMILY=progan.
VARIANT_FAMILY ?= stylegan
bench-variants: venv data
	$(PY) bench/variants.py --family=$(VARIANT_FAMILY)

lint: venv
	$(PY) -m ruff format --check . && $(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
