import re

import pytest

from hw.params import ParamError
from hw.systolic import SystolicParams
from hw.systolic.params import DEFAULT_ACC_DEPTH


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rows": 0}, "`rows` must be an integer in 1..128, not 0"),
    ({"cols": 129}, "`cols` must be an integer in 1..128, not 129"),
    ({"rows": 2.5}, "`rows` must be an integer in 1..128, not 2.5"),
    ({"rows": True}, "`rows` must be an integer in 1..128, not True"),
    ({"input_width": 1}, "`input_width` must be an integer in 2..16, not 1"),
    ({"input_width": 17}, "`input_width` must be an integer in 2..16, not 17"),
    ({"acc_width": 15}, "`acc_width` must be an integer in 16..64, not 15"),
    ({"input_width": 4, "acc_width": 65}, "`acc_width` must be an integer in 8..64, not 65"),
    ({"signed": 1}, "`signed` must be true or false, not 1"),
    ({"dataflow": "rs"}, "`dataflow` must be one of 'os', 'ws', not 'rs'"),
    ({"dataflow": "os", "acc_depth": 8},
     "`acc_depth` applies only to dataflow 'ws'; leave it unset for 'os', not 8"),
    ({"dataflow": "ws", "acc_depth": 0}, "`acc_depth` must be an integer in 1..65536, not 0"),
])
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ParamError, match=f"^{re.escape(message)}$"):
        SystolicParams(**kwargs)


def test_ws_stores_effective_accumulator_depth():
    implicit = SystolicParams(dataflow="ws")
    explicit = SystolicParams(dataflow="ws", acc_depth=DEFAULT_ACC_DEPTH)
    assert implicit.acc_depth == DEFAULT_ACC_DEPTH
    assert implicit == explicit
    assert implicit.content_hash() == explicit.content_hash()


def test_from_strings_converts_types():
    params = SystolicParams.from_strings(["rows=4", "cols=0x3", "signed=false", "dataflow=ws",
                                          "acc_depth=16"])
    assert params == SystolicParams(rows=4, cols=3, signed=False, dataflow="ws", acc_depth=16)


@pytest.mark.parametrize(("items", "message"), [
    (["rows"], "parameter assignment must look like key=value, not 'rows'"),
    (["depth=3"], "unknown parameter `depth` for systolic-v1; known: `rows`, `cols`, "
                  "`input_width`, `acc_width`, `signed`, `dataflow`, `acc_depth`"),
    (["rows=eight"], "`rows` must be an integer, not 'eight'"),
    (["signed=maybe"], "`signed` must be true or false, not 'maybe'"),
])
def test_from_strings_errors(items, message):
    with pytest.raises(ParamError, match=f"^{re.escape(message)}$"):
        SystolicParams.from_strings(items)


def test_params_are_frozen():
    params = SystolicParams()
    with pytest.raises(AttributeError):
        params.rows = 4  # type: ignore[misc]
