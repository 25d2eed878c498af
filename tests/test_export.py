"""CTranslate2 export: the exported model translates as the PyTorch network does."""

import json
from pathlib import Path

import pytest
from conftest import run_module

from t5mt.data.synthetic import generate_pairs
from t5mt.export import export_network
from t5mt.inference import Ct2Engine, Translator
from t5mt.run_folder import staged_folder

SOURCES = [english for english, _ in generate_pairs(40, seed=1)]


def exported(translator: Translator, quantization: str, folder: Path) -> Translator:
    export_network(translator.engine.network, translator.tokenizer, quantization, folder)
    return Translator(Ct2Engine.load(folder), translator.tokenizer, max_new_tokens=8)


def test_float32_export_translates_exactly_as_pytorch(talkative: Translator, tmp_path) -> None:
    ct2 = exported(talkative, "float32", tmp_path / "ct2")
    greedy = talkative.translate(SOURCES)
    assert all(greedy) and len(set(greedy)) > 5
    assert ct2.translate(SOURCES) == greedy
    assert ct2.translate(SOURCES, num_beams=3) == talkative.translate(SOURCES, num_beams=3)
    record = json.loads((tmp_path / "ct2" / "t5mt_export.json").read_text())
    assert record["quantization"] == "float32"


def test_int8_export_translates_every_sentence(talkative: Translator, tmp_path) -> None:
    ct2 = exported(talkative, "int8", tmp_path / "ct2")
    translations = ct2.translate(["", *SOURCES[:5], "   "])
    assert translations[0] == translations[-1] == ""
    assert all(translations[1:-1])


def test_a_failed_export_leaves_the_previous_one(tmp_path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.bin").write_text("previous")
    with pytest.raises(RuntimeError), staged_folder(folder) as staging:
        (staging / "model.bin").write_text("half")
        raise RuntimeError("conversion failed")
    assert (folder / "model.bin").read_text() == "previous"
    with staged_folder(folder) as staging:
        (staging / "model.bin").write_text("new")
    assert (folder / "model.bin").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no staging folders left


@pytest.mark.slow
def test_export_then_translate_and_evaluate_with_ct2(debug_run: Path, tmp_path) -> None:
    model = tmp_path / "ct2"
    done = run_module(
        "t5mt.export", f"run={debug_run}", "quantization=float32", f"output={model}", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (model / "model.bin").is_file()
    source = tmp_path / "in.en"
    source.write_text("".join(s + "\n" for s in SOURCES[:10]), encoding="utf-8")
    outputs = {}
    for engine in ("pytorch", "ct2"):
        output = tmp_path / f"{engine}.de"
        done = run_module(
            "t5mt.translate",
            f"run={debug_run}",
            f"input={source}",
            f"output={output}",
            f"engine={engine}",
            f"ct2_model={model}",
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outputs[engine] = output.read_text(encoding="utf-8")
    assert outputs["ct2"] == outputs["pytorch"]
    assert outputs["ct2"].count("\n") == 10
    done = run_module(
        "t5mt.evaluate",
        f"run={debug_run}",
        "engine=ct2",
        f"ct2_model={model}",
        f"eval_dir={tmp_path / 'eval'}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "eval" / "test.json").read_text())
    assert report["decoding"]["engine"] == "ct2" and report["sentences"] == 40


@pytest.mark.slow
def test_ct2_without_an_export_names_the_command(debug_run: Path, tmp_path) -> None:
    done = run_module(
        "t5mt.translate", f"run={debug_run}", "text=Hello.", "engine=ct2", cwd=tmp_path
    )
    assert done.returncode == 2
    assert "python -m t5mt.export" in done.stderr and "Traceback" not in done.stderr
