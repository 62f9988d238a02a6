"""Pictures of convolutions: ``plot_filters`` and ``plot_feature_maps``."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import scratchnn as snn
from scratchnn import plotting


def visible_images(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible() and ax.images]


@pytest.fixture(scope="module")
def cnn():
    rng = np.random.default_rng(0)
    return snn.Sequential([
        snn.Conv2D(1, 6, 3, padding=1, rng=rng), snn.ReLU(), snn.MaxPool2D(2),  # (n, 6, 4, 4)
        snn.Conv2D(6, 4, 3, padding=1, rng=rng), snn.ReLU(),                    # (n, 4, 4, 4)
        snn.Flatten(), snn.Dense(64, 10, rng=rng)])


def test_plot_filters_draws_one_image_per_filter_and_saves(cnn, tmp_path):
    fig = plotting.plot_filters(cnn.layers[0])
    assert isinstance(fig, Figure)
    images = visible_images(fig)
    assert len(images) == 6
    for f, ax in enumerate(images):  # each panel is its filter, on one scale centred at 0
        np.testing.assert_array_equal(ax.images[0].get_array(), cnn.layers[0].W[f, 0])
    norm = images[0].images[0].norm
    assert norm.vmin == -norm.vmax == -np.abs(cnn.layers[0].W).max()
    assert "6 filters" in fig._suptitle.get_text()
    path = tmp_path / "filters.png"
    plotting.save_figure(fig, path)
    with Image.open(path) as picture:
        assert picture.size[0] > 100 and picture.size[1] > 100


def test_plot_filters_with_several_inputs_has_a_row_per_filter_and_a_column_per_input(cnn):
    fig = plotting.plot_filters(cnn.layers[3])
    images = visible_images(fig)
    assert len(images) == 4 * 6
    np.testing.assert_array_equal(images[6 + 2].images[0].get_array(), cnn.layers[3].W[1, 2])


def test_plot_filters_draws_at_most_max_filters_and_says_so():
    layer = snn.Conv2D(2, 10, 3, rng=0)
    fig = plotting.plot_filters(layer, max_filters=3)
    assert len(visible_images(fig)) == 3 * 2
    assert "the first 3 of 10" in fig._suptitle.get_text()


def test_plot_filters_draws_conv1d_kernels_as_strips():
    layer = snn.Conv1D(1, 4, 5, rng=0)
    images = visible_images(plotting.plot_filters(layer))
    assert len(images) == 4 and images[0].images[0].get_array().shape == (1, 5)


@pytest.mark.parametrize("bad, error, message", [
    (snn.Dense(3, 2, rng=0), TypeError, "Conv2D or Conv1D"),
    (snn.Sequential([snn.Conv2D(1, 2, 3, rng=0)]), TypeError, "model.layers"),
])
def test_plot_filters_refuses_what_is_not_a_convolution(bad, error, message):
    with pytest.raises(error, match=message):
        plotting.plot_filters(bad)


def test_plot_filters_refuses_bad_max_filters_and_broken_weights():
    layer = snn.Conv2D(1, 2, 3, rng=0)
    with pytest.raises(ValueError, match="max_filters"):
        plotting.plot_filters(layer, max_filters=0)
    layer.W[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        plotting.plot_filters(layer)


def test_plot_feature_maps_has_a_row_per_layer_up_to_the_first_flatten(cnn, tmp_path):
    image = np.random.default_rng(1).random((1, 8, 8))
    fig = plotting.plot_feature_maps(cnn, image)
    images = visible_images(fig)
    # the input (1 channel), then 6 + 6 + 6 channels, then 4 + 4: Flatten and Dense are not drawn
    assert len(images) == 1 + 6 * 3 + 4 * 2
    outputs = cnn.activations(image[None])
    np.testing.assert_allclose(images[1 + 6 + 6 + 1].images[0].get_array(), outputs[2][0, 1])
    titles = [text.get_text() for ax in fig.axes for text in ax.texts]
    assert titles[0].startswith("input") and titles[-1].startswith("5: ReLU()")
    plotting.save_figure(fig, tmp_path / "maps.png")
    assert (tmp_path / "maps.png").stat().st_size > 0
    # a batch of one is the same picture
    assert len(visible_images(plotting.plot_feature_maps(cnn, image[None]))) == len(images)


def test_plot_feature_maps_shows_at_most_max_channels(cnn):
    fig = plotting.plot_feature_maps(cnn, np.zeros((1, 8, 8)), max_channels=2)
    assert len(visible_images(fig)) == 1 + 2 * 5


def test_plot_feature_maps_of_a_signal_has_one_strip_per_layer():
    rng = np.random.default_rng(0)
    model = snn.Sequential([snn.Conv1D(1, 3, 5, rng=rng), snn.ReLU(), snn.Flatten(),
                            snn.Dense(3 * 16, 2, rng=rng)])
    fig = plotting.plot_feature_maps(model, rng.standard_normal((1, 20)))
    assert len(fig.axes) == 3  # the input curve, the convolution, the ReLU
    assert fig.axes[1].images[0].get_array().shape == (3, 16)


def test_plot_feature_maps_refuses_bad_input(cnn):
    with pytest.raises(ValueError, match=r"one sample, \(C, H, W\).*X\[i\]"):
        plotting.plot_feature_maps(cnn, np.zeros((5, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"expects input of shape \(n, 1, H, W\)"):
        plotting.plot_feature_maps(cnn, np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match="NaN"):
        plotting.plot_feature_maps(cnn, np.full((1, 8, 8), np.nan))
    with pytest.raises(TypeError, match="Sequential"):
        plotting.plot_feature_maps(cnn.layers[0], np.zeros((1, 8, 8)))
    with pytest.raises(ValueError, match="max_channels"):
        plotting.plot_feature_maps(cnn, np.zeros((1, 8, 8)), max_channels=0)
    dense = snn.Sequential([snn.Dense(4, 2, rng=0)])
    with pytest.raises(ValueError, match="no feature maps before its first Flatten or Dense"):
        plotting.plot_feature_maps(dense, np.zeros((2, 2)))
