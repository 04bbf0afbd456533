#!/usr/bin/env bash
# Makes sure the embedded default dataset (Fashion-MNIST IDX files) is present.
# Installs Debian's dataset-fashion-mnist when run as root; otherwise says how.
set -euo pipefail
dir="${GAN_ZOO_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
if [ -f "$dir/train-images-idx3-ubyte.gz" ] || [ -f "$dir/train-images-idx3-ubyte" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Fashion-MNIST not found in $dir: installing Debian's dataset-fashion-mnist"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
  exit 0
fi
echo "Fashion-MNIST not found in $dir: run 'sudo apt-get install dataset-fashion-mnist', or set GAN_ZOO_FASHION_MNIST_DIR to a folder with the four IDX files" >&2
exit 1
