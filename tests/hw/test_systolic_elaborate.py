import pytest
from amaranth.hdl import Fragment, Shape

from flows.verilog import emit, port_name
from hw.systolic import SystolicParams
from hw.systolic.array import SystolicArray, operand_layout, result_layout


@pytest.mark.parametrize("dataflow", ["os", "ws"])
@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (2, 2), (3, 5), (8, 8)])
def test_converts_with_ports_from_layouts(dataflow, rows, cols):
    params = SystolicParams(rows=rows, cols=cols, dataflow=dataflow)
    artifact = emit(params)
    operand_width = Shape.cast(operand_layout(params)).width
    result_width = Shape.cast(result_layout(params)).width
    assert f"input [{operand_width - 1}:0] {port_name('operands', 'payload')};" in artifact.text
    assert f"output [{result_width - 1}:0] {port_name('results', 'payload')};" in artifact.text
    assert result_width == cols * params.acc_width


def test_signature_widths_follow_params():
    params = SystolicParams(rows=4, cols=2, input_width=5, acc_width=20, dataflow="ws")
    array = SystolicArray(params)
    layout = operand_layout(params)
    assert Shape.cast(layout).width == 4 * 5 + 2 * 5 + 1 + 1 + 2 + 1 + 1 + 1
    assert Shape.cast(array.results.payload.shape()).width == 2 * 20
    Fragment.get(array, None)  # elaborates


@pytest.mark.parametrize("dataflow", ["os", "ws"])
def test_activity_taps_are_not_ports(dataflow):
    from dse.models.systolic import ACTIVITY_EVENTS
    from hw.systolic.array import activity_bounds

    params = SystolicParams(rows=3, cols=2, dataflow=dataflow)
    array = SystolicArray(params)
    assert tuple(array.activity) == ACTIVITY_EVENTS == tuple(activity_bounds(params))
    assert set(array.signature.members) == {"operands", "results"}
    Fragment.get(array, None)  # elaborates
    assert "activity" not in emit(params).text.split(");", 1)[0]  # not in the port list
