"""The wardbot command line as an admin uses it: validate, import, evaluate."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

from bot._config import ConfigError
from bot.cli import main
from bot.ops import BackupError
from tickets import OverridesError

SAMPLE = Path(__file__).parent / "data" / "portal_sample.jsonl"


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    """No bot.toml of the repository: tests choose every path."""
    path = tmp_path / "bot.toml"
    path.write_text("", encoding="utf-8")
    monkeypatch.setenv("WARDBOT_CONFIG", str(path))
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path / "data"))
    return path


def test_validate_passes_a_good_kb_and_lists_every_problem_of_a_bad_one(config, tiny_kb, capsys):
    assert main(["kb", "validate", str(tiny_kb)]) == 0
    assert "OK: 3 entries" in capsys.readouterr().err

    broken = tiny_kb / "procedures" / "1.001193.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("methods:", "method:"), encoding="utf-8")
    (tiny_kb / "faq" / "vneid.md").write_text("no front matter\n", encoding="utf-8")
    assert main(["kb", "validate", str(tiny_kb)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) >= 2
    assert any(line.startswith(f"{broken}:") and "method" in line for line in out)
    assert any(line.startswith(str(tiny_kb / "faq" / "vneid.md") + ":1:") for line in out)


def test_import_portal_writes_valid_entries_for_the_chosen_level(config, tmp_path, capsys):
    out = tmp_path / "kb"
    assert main(["kb", "import-portal", str(SAMPLE), "--level", "Cấp xã", "--out", str(out)]) == 0
    written = sorted(p.stem for p in (out / "procedures").glob("*.md"))
    assert "1.001193" in written and "1.004194" in written
    assert "6.006574" not in written  # Cấp tỉnh only
    assert "Parsed cleanly" in capsys.readouterr().err
    assert main(["kb", "validate", str(out)]) == 0


def test_import_portal_reports_a_broken_line(config, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n", encoding="utf-8")
    assert main(["kb", "import-portal", str(bad), "--out", str(tmp_path / "kb")]) == 1
    assert f"{bad}:2:" in capsys.readouterr().err


def test_import_portal_national_replaces_the_layer_the_bot_reads(config, tmp_path, capsys):
    from bot._config import load_config
    from bot._search import load_configured_kb, national_layer_path

    assert main(["kb", "import-portal", str(SAMPLE), "--national"]) == 0
    layer = tmp_path / "data" / "national" / "procedures.jsonl.xz"
    assert national_layer_path(load_config()) == layer and "reload the bot" in capsys.readouterr().err
    kb = load_configured_kb(load_config())
    assert set(kb.procedures) >= {"1.001193", "1.004194", "6.006574"}  # the new layer, under the sample
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    before = layer.read_bytes()
    assert main(["kb", "import-portal", str(bad), "--national"]) == 1
    assert "the national layer was not changed" in capsys.readouterr().err and layer.read_bytes() == before


def test_import_portal_needs_a_target(config, capsys):
    assert main(["kb", "import-portal", str(SAMPLE)]) == 2
    assert "--out FOLDER" in capsys.readouterr().err


def test_a_mismatched_adapter_stops_the_command_with_one_clear_line(config, tmp_path, capsys):
    import numpy as np
    from test_adapter import QUERY, adapter_for, tiny_model

    model = tiny_model(tmp_path / "model")
    adapter_for({f"{QUERY}.weight": np.ones((4, 4), np.float32)}).save(tmp_path / "adapter.safetensors")  # other weights
    config.write_text(f'[retrieval]\nmodel = "{model}"\nadapter = "{tmp_path / "adapter.safetensors"}"\n', encoding="utf-8")
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "1", "query": "khai sinh", "gold": ["1.001193"]}\n', encoding="utf-8")
    assert main(["eval", "--kb", str(SAMPLE), "--questions", str(questions)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wardbot: the adapter was trained on other base weights") and "make train" in err


def test_a_config_error_names_the_key(tmp_path, monkeypatch, capsys):
    path = tmp_path / "bot.toml"
    path.write_text("[retrieval]\nthreads = 'two'\n", encoding="utf-8")
    monkeypatch.setenv("WARDBOT_CONFIG", str(path))
    assert main(["kb", "validate", str(SAMPLE)]) == 2
    assert "retrieval.threads" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_prints_the_metrics_as_one_json_line(config, tmp_path, e5_model_dir, capsys):
    config.write_text(f'[retrieval]\nmodel = "{e5_model_dir}"\n', encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    rows = [
        {"id": "q1", "query": "làm giấy khai sinh cho con", "gold": ["1.001193"], "style": "diacritics"},
        {"id": "q2", "query": "dang ky tam tru o dau", "gold": ["1.004194"], "style": "no_diacritics"},
        {"id": "q3", "query": "sao y bằng đại học ở phường", "gold": ["2.000815"], "style": "paraphrase"},
        {"id": "q4", "query": "đường trước nhà bị ngập nước mấy hôm nay", "gold": [], "style": "complaint"},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert main(["eval", "--kb", str(SAMPLE), "--questions", str(questions), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(out[-1])
    for key in ("n", "n_oos", "recall@1", "recall@5", "mrr@10", "abstain_oos", "answered_wrong", "by_style"):
        assert key in summary
    assert summary["n"] == 3 and summary["n_oos"] == 1
    assert summary["recall@5"] == 1.0
    assert summary["abstain_oos"] == 1.0  # a complaint is escalated, never answered with a procedure
    assert set(summary["by_style"]) == {"diacritics", "no_diacritics", "paraphrase", "complaint"}
    assert any("Recall@1" in line for line in out)


@pytest.mark.slow
def test_prepare_builds_what_a_start_needs_outside_the_data_directory(
    config, tmp_path, tiny_kb, e5_model_dir, monkeypatch, capsys
):
    from bot._config import load_config
    from bot._search import open_search_engine

    build = tmp_path / "build"
    monkeypatch.setenv("WARDBOT_BUILD_DIR", str(build))
    text = f'[knowledge]\npaths = ["{tiny_kb}"]\nnational = false\n[retrieval]\nmodel = "{e5_model_dir}"\n'
    config.write_text(text, encoding="utf-8")
    assert main(["prepare"]) == 0
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    assert summary.startswith(f"Prepared {build}: 3 entries, ") and "passage(s) embedded now" in summary
    assert int(summary.split(", ")[1].split()[0]) > 0
    # The ONNX export and its int8 copy beside the model, every passage's vector in the build
    # folder's cache; nothing in the data directory (a container's volume), not even a key.
    exported = e5_model_dir.with_name(e5_model_dir.name + "-onnx")
    assert (exported / "model.onnx").is_file() and (exported / "model.int8.onnx").is_file()
    assert (build / "cache" / "embeddings.sqlite3").is_file()
    assert not (tmp_path / "data").exists()

    # What the start then does finds everything built: nothing exported again, nothing embedded.
    built = {path: path.stat().st_mtime_ns for path in exported.iterdir()}
    engine = open_search_engine(load_config(), progress=False)
    assert engine.retriever.newly_embedded == 0
    assert {path: path.stat().st_mtime_ns for path in exported.iterdir()} == built


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (BackupError("the folder is not empty"), 1),
        (OverridesError("overrides.csv:3: expected off or work"), 1),
        (ConfigError("http.port", "expected a port number, got 'x'", "bot.toml"), 2),
    ],
    ids=["backup", "overrides", "config"],
)
def test_a_wardbot_error_is_one_line_and_its_exit_status(config, monkeypatch, capsys, error, status):
    def fails(args):
        raise error

    monkeypatch.setattr("bot.cli._devtools._cmd_bench", fails)
    assert main(["bench", "--kb", str(SAMPLE)]) == status
    assert capsys.readouterr().err == f"wardbot: {error}\n"


def test_any_other_exception_is_a_bug_and_keeps_its_traceback(config, monkeypatch):
    def fails(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr("bot.cli._devtools._cmd_bench", fails)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["bench", "--kb", str(SAMPLE)])


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"wardbot {importlib.metadata.version('wardbot')}\n"
