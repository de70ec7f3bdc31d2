import pytest

from hw import registry
from hw.systolic import SystolicParams


def test_family_name_resolves_to_newest_version():
    assert registry.get("systolic").name == "systolic-v1"
    assert registry.get("systolic-v1").params_class is SystolicParams


def test_unknown_name_lists_valid_ones():
    with pytest.raises(registry.UnknownGeneratorError, match=r"^unknown generator 'systolik'; "
                       r"known: accel, bitserial, pim, qmlp, systolic, accel-v1, "
                       r"bitserial-v1, pim-v1, qmlp-v1, systolic-v1$"):
        registry.get("systolik")


def test_build_rejects_foreign_params():
    class Other:
        pass

    with pytest.raises(TypeError, match="systolic-v1 needs SystolicParams"):
        registry.get("systolic").build(Other())  # type: ignore[arg-type]
