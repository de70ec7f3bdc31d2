"""Which cocotb testbench simulates each registered generator (keyed like ``hw.registry``)."""

from __future__ import annotations

from hw.registry import UnknownGeneratorError

TESTBENCHES: dict[str, str] = {
    "systolic-v1": "sim.stream_testbench",
}


def testbench_module(generator: str) -> str:
    """Module name of the testbench for a versioned generator name.

    Raises:
        UnknownGeneratorError: if no testbench is registered for it.
    """
    try:
        return TESTBENCHES[generator]
    except KeyError:
        known = ", ".join(sorted(TESTBENCHES))
        raise UnknownGeneratorError(
            f"no testbench for {generator!r}; known: {known}") from None
