"""The emitted Verilog of every family is pinned by its SHA-256: a refactor of the
generators, registries or emission must leave every design byte-identical. A deliberate
change to a generator updates these hashes in the same commit, saying why."""

from __future__ import annotations

import pytest

from flows.verilog import emit
from hw.registry import get, names
from sim.activity import NoActivityTapsError, emit_instrumented

#: (generator, params, plain Verilog SHA-256, instrumented Verilog SHA-256 or None)
PINNED = [
    ('systolic-v1', {},
     '6ac85087850165abdcf40b8ea3c045db6e3e778efce3b3422946b4ad9d701294',
     '245693d242a7efd247618064d8744ff72d8e84516190722ef8520d1b6a7f16e6'),
    ('systolic-v1', {'rows': 3, 'cols': 5, 'input_width': 5, 'acc_width': 17, 'signed': False},
     '6bf6a3c3207bfd5723cb0e7e6b121cd659b3a1eb9edf51c0eb437e5e099f5378',
     'b69c524e72cca6e456bc4a0bdade48ab6311111a9c4badd68c14b045c14dcb43'),
    ('systolic-v1', {'rows': 4, 'cols': 2, 'dataflow': 'ws', 'acc_depth': 16},
     '45e152a3bdbdd22373ed9e0c39b0201db0fb16016339e6e02e19b348a0e8dd98',
     'a8a2f151e963fa41cef05f29ab88aae243752eec3cf2a46ae1987dd4e875ff45'),
    ('bitserial-v1', {},
     '0daf39b93a7d877dc6d6a5fee47cddbb41f7a61c26cab0a33a1f14a52eb2894a',
     'a086a79648ce453071f8dfa2826d4a943ce72b8bb7fa06a90f549e0d1e6152e7'),
    ('bitserial-v1', {'rows': 2, 'cols': 3, 'lanes': 5, 'max_bits': 3,
      'parallel_width': 7, 'serial': 'activations', 'signed': False, 'acc_width': 20,
      'scale_width': 4},
     '87161c68d68a7ea132d685393ccfe44914699e0aabc60dbd5cb44cebb29a43f7',
     'eab94061ea4afee2af74b850c01940b0c64e71f43a2829608b30b5a24174cfb2'),
    ('pim-v1', {},
     '42aefadb7ed68467cec86b4c34b71ca6e451286d58ecaa9b0f591a08d84d2a7d',
     None),
    ('pim-v1', {'channels': 1, 'banks': 2, 'pim_mode': 'per-bank', 'page_policy': 'open'},
     '603e2d1838dc00d3f49de6f93a643c07281d4eba096c11140cf7fd27d83ae0b4',
     None),
    ('pim-v1', {'channels': 2, 'banks': 4, 'pim_mode': 'none', 'interleave': 'block',
      'scheduler': 'fcfs', 'queue_depth': 3},
     'af5d8fe8c418725f86839ddc058c17e932a963ce5005c05449000cd62ef1199b',
     None),
    ('qmlp-v1', {},
     '583457c0bece9ffcce3edcbef7b47a596bc63239a265a1186d4659d8a3557f6a',
     '4301a6294c9f739709df70ffd9009a6c098ac013a55b3f0d5ceeb6aca0bf10e0'),
    ('qmlp-v1', {'layers': '12,6,3', 'weight_bits': 3,
      'act_bits': 2, 'input_bits': 2, 'folding': '3x4,3x2'},
     '1af4e47697e13e4ac16d52868ef21eae5f5857afce8613f70559715f4c5ae7e1',
     'd8571fd9d5e44df22b02e22c4629dc3e15fde73ff603effd1fc090ce2c635840'),
    ('accel-v1', {},
     'b5a19905820f059cfb1c20fadcae47db8a4c8271dbfc7c55437617669cec7594',
     None),
    ('accel-v1', {'rows': 4, 'cols': 2, 'dataflow': 'ws', 'acc_depth': 16, 'spad_kib': 4,
      'acc_kib': 2, 'bus_bytes': 16, 'input_width': 16, 'acc_width': 64},
     'ec65bb0c3e065fed0cacdf5534f9e5c937ae2916404a29b2d81cd08f4984745a',
     None),
    ('accel-v1', {'core': 'bitserial', 'rows': 2, 'cols': 4, 'lanes': 4, 'spad_kib': 4,
      'acc_kib': 4},
     '980c8d54bee5e22d00e4f6b0af177ebc6bd7cbabc198b5c3a4772d0e4b3bf6af',
     None),
    # unsigned: the core's lane sums are kept wires (its negate input is the constant 0)
    ('accel-v1', {'core': 'bitserial', 'rows': 2, 'cols': 4, 'lanes': 4, 'spad_kib': 4,
      'acc_kib': 4, 'signed': False},
     'e7a7bef4808e25842468aaa1e39a74ab1aff775450a99e0ba80b4de2710b0147',
     None),
]


@pytest.mark.parametrize(("generator", "values", "plain", "instrumented"), PINNED,
                         ids=[f"{g}-{i}" for i, (g, *_) in enumerate(PINNED)])
def test_verilog_is_byte_identical(generator, values, plain, instrumented):
    params = get(generator).params_class.from_mapping(values)
    assert emit(params).verilog_sha256 == plain
    if instrumented is None:
        with pytest.raises(NoActivityTapsError):
            emit_instrumented(params)
    else:
        assert emit_instrumented(params).verilog_sha256 == instrumented


def test_every_family_is_pinned():
    assert {generator for generator, *_ in PINNED} == set(names())
