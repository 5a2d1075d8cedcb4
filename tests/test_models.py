import pytest
import torch

from toolkit.models import CNN, MLP, count_parameters


def test_mlp_shapes_and_log_probs():
    m = MLP(hidden=37)
    for x in (torch.randn(5, 1, 28, 28), torch.randn(5, 784), torch.randn(5, 28, 28)):
        out = m(x)
        assert out.shape == (5, 10)
        assert torch.allclose(out.exp().sum(1), torch.ones(5), atol=1e-5)
    assert m.fc1.weight.shape == (37, 784) and m.fc2.weight.shape == (10, 37)
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        m(torch.randn(5, 3, 32, 32))
    with pytest.raises(ValueError):
        MLP(hidden=0)


def test_cnn_is_the_papers_architecture():
    m = CNN()  # M(64, 32, 64)
    assert m.conv1.weight.shape == (64, 1, 3, 3) and m.conv1.padding == (1, 1)
    assert m.conv2.weight.shape == (32, 64, 3, 3)
    assert m.fc1.weight.shape == (64, 7 * 7 * 32) and m.fc2.weight.shape == (10, 64)
    # conv3x3 + bias: 64*9+64 ; 32*64*9+32 ; 1568*64+64 ; 64*10+10
    assert count_parameters(m) == 640 + 18464 + 100416 + 650
    out = m(torch.randn(2, 1, 28, 28))
    assert out.shape == (2, 10)
    c = CNN(8, 4, 8, in_channels=3, input_size=32, dropout=0.5)
    assert c(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert c.fc1.in_features == 8 * 8 * 4
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        m(torch.randn(2, 3, 28, 28))
    with pytest.raises(ValueError, match="divisible by 4"):
        CNN(input_size=30)


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: MLP(hidden=2.5), ValueError, "hidden must be a whole number"),
        (lambda: MLP(hidden="100"), TypeError, "hidden"),
        (lambda: MLP(hidden=-3), ValueError, "hidden must be a whole number >= 1; got -3"),
        (lambda: MLP(dropout=1.0), ValueError, "dropout"),
        (lambda: MLP(num_classes=0), ValueError, "num_classes"),
        (lambda: CNN(64, 32.5, 64), ValueError, "b must be a whole number"),
        (lambda: CNN(0, 32, 64), ValueError, "a must be a whole number >= 1; got 0"),
        (lambda: CNN(in_channels=True), TypeError, "in_channels"),
        (lambda: CNN(dropout=-0.1), ValueError, "dropout"),
    ],
)
def test_bad_sizes_are_named(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_numpy_integers_are_sizes():
    import numpy as np

    assert MLP(np.int64(7)).hidden == 7 and CNN(*np.array([4, 2, 4])).b == 2


def test_layer_weight_is_the_one_reader():
    import numpy as np
    import pytest
    from toolkit.models import CNN, MLP, layer_weight

    cnn = CNN(8, 4, 8)
    W = layer_weight(cnn, "conv1")
    assert W.shape == (8, 1, 3, 3) and W.dtype == np.float64
    assert np.array_equal(layer_weight(cnn.state_dict(), "conv1", flatten=True), W.reshape(8, 9))
    W[:] = 0
    assert cnn.conv1.weight.abs().sum() > 0, "a copy, not a view of the net"
    Wf, b = layer_weight(MLP(10), "fc1", bias=True)
    assert Wf.shape == (10, 784) and b.shape == (10,)
    with pytest.raises(ValueError, match="no layer 'zz'.*conv1"):
        layer_weight(cnn, "zz")
    with torch.no_grad():
        cnn.conv1.weight[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="diverged"):
        layer_weight(cnn, "conv1")
