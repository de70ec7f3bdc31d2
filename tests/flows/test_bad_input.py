"""Every class of bad input gets one line on stderr that names the input, a documented exit
code, and no traceback; nothing is half-written. Each case runs the real `hwdse` command
in its own process, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "systolic_dnn.toml"
SPEC = EXAMPLE.read_text()


def hwdse(args: list[str], cwd: Path, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100",
                               **(env or {})})


def spec_with(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def a_file(folder: Path) -> str:
    path = folder / "a-file"
    path.write_text("not a folder\n")
    return str(path)


#: (case, arguments made from a scratch folder, exit code, regex of the one stderr line)
CASES = [
    ("operands too large to simulate",
     lambda d: ["simulate", "systolic", "--gemm", "100000x100000x100000"], 2,
     r"^error: `gemm` 100000x100000x100000 holds 30,000,000,000 operand and result elements; "
     r"a simulation takes at most 16,777,216$"),
    ("a space value the generator refuses",
     lambda d: ["explore", spec_with(d, "s.toml", SPEC.replace(
         "rows = [1, 2, 4, 8, 12, 16]", "rows = [0, 200]")), "--run-dir", str(d / "r")], 2,
     r"^error: .*s\.toml: `space\.rows` = 0 is refused by systolic-v1 in every design of the "
     r"space: `rows` must be an integer in 1\.\.128, not 0$"),
    ("no feasible design",
     lambda d: ["explore", spec_with(d, "s.toml", SPEC.replace(
         "lut = { max = 40000 }", "lut = { max = 1 }")), "--trials", "8", "--verify", "0",
         "--run-dir", str(d / "r")], 6,
     r"^error: no feasible design in 8 evaluated designs; the closest is trial \d+ \(rows=.*"
     r"\), which misses: lut = [\d.]+, budget lut <= 1$"),
    ("energy table that does not exist",
     lambda d: ["explore", spec_with(d, "s.toml", 'energy_table = "none.toml"\n' + SPEC)], 2,
     r"^error: .*s\.toml: `energy_table` 'none\.toml': no such file in '.*'$"),
    ("energy table that is a folder",
     lambda d: (d / "tables").mkdir() or ["explore", spec_with(
         d, "s.toml", 'energy_table = "tables"\n' + SPEC)], 2,
     r"^error: .*s\.toml: `energy_table` 'tables': no such file in '.*'$"),
    ("energy table outside the spec's folder",
     lambda d: ["explore", spec_with(d, "s.toml", 'energy_table = "../../../etc/passwd"\n'
                                     + SPEC)], 2,
     r"^error: .*s\.toml: `energy_table` must name a file inside the spec's folder '.*' "
     r"\(relative, no way out through `\.\.` or links\), not '\.\./\.\./\.\./etc/passwd'$"),
    ("generate --out names a file",
     lambda d: ["generate", "systolic", "--out", a_file(d)], 2,
     r"^error: `--out` .*a-file exists and is not a folder$"),
    ("generate --out cannot be created",
     lambda d: ["generate", "systolic", "--out", a_file(d) + "/sub"], 2,
     r"^error: `--out` .*a-file/sub: cannot create the folder \(Not a directory\)$"),
    ("explore --run-dir names a file",
     lambda d: ["explore", str(EXAMPLE), "--run-dir", a_file(d)], 2,
     r"^error: `--run-dir` .*a-file exists and is not a folder$"),
    ("explore --report checked before the search",
     lambda d: ["explore", str(EXAMPLE), "--run-dir", str(d / "r"), "--report", a_file(d)], 2,
     r"^error: `--report` .*a-file exists and is not a folder$"),
    ("report --out names a file",
     lambda d: ["report", str(EXAMPLE), "--storage", f"sqlite:///{d}/s.db", "--out",
                a_file(d)], 2,
     r"^error: `--out` .*a-file exists and is not a folder$"),
    ("report on a storage without the study",
     lambda d: ["report", str(EXAMPLE), "--storage", f"sqlite:///{d}/s.db"], 2,
     r"^error: no study named 'systolic-dnn' in sqlite:///.*s\.db \(run `hwdse explore "
     r".*systolic_dnn\.toml` first\)$"),
    ("a missing tool override",
     lambda d: ["synth", "systolic", "-p", "rows=1", "-p", "cols=1", "--target", "generic",
                "--no-cache"], 3, r"^error: .*HWDSE_YOSYS.*/nonexistent/yosys.*$"),
    ("--verify -1", lambda d: ["explore", str(EXAMPLE), "--verify", "-1"], 2,
     r"^error: hwdse explore: Invalid value for '--verify': .*greater than or equal to 0$"),
    ("--timeout nan", lambda d: ["simulate", "systolic", "--timeout", "nan"], 2,
     r"^error: `--timeout` must be a positive number of seconds, not nan$"),
    ("--build-timeout 0", lambda d: ["simulate", "systolic", "--build-timeout", "0"], 2,
     r"^error: `--build-timeout` must be a positive number of seconds, not 0\.0$"),
    ("report --top -3", lambda d: ["report", str(EXAMPLE), "--top", "-3"], 2,
     r"^error: hwdse report: Invalid value for '--top': .*greater than or equal to 0$"),
    ("a parameter given twice",
     lambda d: ["simulate", "systolic", "-p", "rows=2", "-p", "rows=3"], 2,
     r"^error: `rows` is given twice \(rows=2 and rows=3\); give it once$"),
    ("--trials abc", lambda d: ["explore", str(EXAMPLE), "--trials", "abc"], 2,
     r"^error: hwdse explore: Invalid value for '--trials': .*integer$"),
    ("--trials 0 (no progress bar after the error)",
     lambda d: ["explore", str(EXAMPLE), "--trials", "0"], 2,
     r"^error: hwdse explore: Invalid value for '--trials': .*greater than or equal to 1$"),
    ("an unknown option", lambda d: ["simulate", "systolic", "--bogus"], 2,
     r"^error: hwdse simulate: No such option: --bogus"),
    ("an unknown command", lambda d: ["simulat"], 2,
     r"^error: hwdse: No such command 'simulat'\. Did you mean 'simulate'\?$"),
]


@pytest.mark.parametrize(("case", "make_args", "code", "line"), CASES,
                         ids=[case for case, *_ in CASES])
def test_bad_input_is_one_line(tmp_path, case, make_args, code, line):
    args = make_args(tmp_path)
    env = {"HWDSE_YOSYS": "/nonexistent/yosys", "HWDSE_CACHE": str(tmp_path / "cache")}
    result = hwdse(args, cwd=tmp_path, env=env)
    assert "Traceback" not in result.stderr + result.stdout
    # a search that ran shows its progress line, and may add notes (such as the hint that
    # a small space can be swept exhaustively), before the verdict: one error line
    lines = [x for x in result.stderr.splitlines()
             if x.strip() and "━" not in x and not x.startswith("note: ")]
    assert len(lines) == 1, result.stderr
    assert result.returncode == code, result.stderr
    import re

    assert re.match(line, lines[0]), lines[0]


def test_a_refused_spec_writes_nothing(tmp_path):
    spec = spec_with(tmp_path, "s.toml", SPEC.replace("rows = [1, 2, 4, 8, 12, 16]",
                                                       "rows = [0, 200]"))
    result = hwdse(["explore", spec, "--run-dir", str(tmp_path / "run")], cwd=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "run").exists()


def test_a_legal_value_is_not_refused_for_its_combinations(tmp_path):
    """acc_width=16 is illegal with 16-bit inputs but legal with 4- and 8-bit ones: the
    space is accepted, since some of its designs take it; acc_width=4 is legal with none."""
    from dse.spec import SpecError, parse_spec

    assert "acc_width = 32\n" in SPEC
    spec = parse_spec(SPEC.replace("acc_width = 32\n", "acc_width = [16, 40]\n"))
    assert {d.name for d in spec.space.dimensions} >= {"input_width", "acc_width"}
    with pytest.raises(SpecError, match=r"^`space\.acc_width` = 4 is refused by systolic-v1 "
                                        r"in every design of the space: `acc_width`"):
        parse_spec(SPEC.replace("acc_width = 32\n", "acc_width = [4, 40]\n"))
