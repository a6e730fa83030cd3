"""Output dtypes that are not the compute dtype, compared with Keras: lookups, hashing, reshapes."""

import keras
import pytest

import graphspec

CASES = [
    ('input s: (3,) string', 'StringLookup(vocabulary=["a", "b"])'),
    ('input s: (1,) string', 'StringLookup(vocabulary=["a", "b"], output_mode="one_hot")'),
    ('input s: (3,) int32', 'IntegerLookup(vocabulary=[1, 2])'),
    ('input s: (3,) string', 'Hashing(num_bins=4)'),
    ('input s: (3,) string', 'Hashing(num_bins=4, output_mode="multi_hot")'),
    ('input s: (3,)', 'Discretization(bin_boundaries=[0.0, 1.0])'),
    ('input s: (3,) int32', 'CategoryEncoding(num_tokens=4)'),
    ('input s: (1,) string', 'TextVectorization(vocabulary=["a"], output_sequence_length=4)'),
    ('input s: (2, 3) int32', 'Flatten()'),
    ('input s: (2, 3) int32', 'Reshape((3, 2))'),
    ('input s: (2, 3) int32', 'Permute((2, 1))'),
    ('input s: (2, 3) float16', 'Flatten()'),
]


@pytest.mark.parametrize("inp, step", CASES)
def test_static_output_dtype_matches_keras(inp, step):
    spec = graphspec.loads(f"model m {{\n    {inp}\n    out = s -> {step}\n    output y = out\n}}")
    ir = spec.model
    node = ir.nodes[0]
    static = ir.tensors[node.outputs[0]].dtype
    model = spec.to_keras()
    layer = model.get_layer(ir.layers[node.layer].name)
    assert static == keras.backend.standardize_dtype(layer.output.dtype)
