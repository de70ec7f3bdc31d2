"""The RTL re-check of a study's Pareto designs (dse.fidelity.verify_front) reuses a stored
check only when it went as far as the one asked for now: synthesis, and every instance of
a repeated layer."""

from __future__ import annotations

import optuna

from dse.fidelity import verify_front
from dse.records import CheckOptions, DesignCheck, LayerCheck


class _Spec:
    """A spec whose check records how it was asked for (the RTL is not the point here)."""

    directions = ("minimize", "minimize")

    def __init__(self) -> None:
        self.asked: list[CheckOptions] = []

    def check_design(self, trial, options):
        self.asked.append(options)
        layers = tuple(LayerCheck(f"fc#{i + 1}", "4x4x4", 10, 10, True)
                       for i in range(3 if options.instances else 1))
        return DesignCheck(trial.number, {}, layers, None, "", options.instances)


def test_a_stored_check_is_reused_only_if_it_ran_every_instance_asked_for():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=["minimize", "minimize"])
    study.add_trial(optuna.trial.create_trial(values=[1.0, 2.0], params={}, distributions={}))
    spec = _Spec()
    first = verify_front(spec, study, count=1)
    assert [len(c.layers) for c in first] == [1] and len(spec.asked) == 1
    verify_front(spec, study, count=1)                      # the stored check serves
    assert len(spec.asked) == 1
    every = verify_front(spec, study, count=1, options=CheckOptions(instances=True))
    assert len(spec.asked) == 2 and spec.asked[-1].instances
    assert every[0].instances and [c.layer for c in every[0].layers] == [
        "fc#1", "fc#2", "fc#3"]
    again = verify_front(spec, study, count=1, options=CheckOptions(instances=True))
    assert len(spec.asked) == 2 and again[0].to_json() == every[0].to_json()
    # and a check with instances serves one asked without them
    verify_front(spec, study, count=1)
    assert len(spec.asked) == 2
