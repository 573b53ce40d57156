"""A LoRA adapter for the embedding model: a few megabytes that turn the rebuilt
multilingual-e5-small into wardbot's domain-tuned model.

The adapter holds, for each adapted linear layer ``W`` (out x in), two small matrices ``A`` (r x
in) and ``B`` (out x r); the tuned weight is ``W + scale * B @ A``. It is trained by
``wardbot train`` (``retrieval/_train.py``) and merged once into a copy of the base model folder,
so the tuned model runs on the same code paths (ONNX export, int8 queries, the passage cache) as
any sentence-transformers folder.

The adapter records a hash of the base weights it was trained on; applying it to other weights
is refused, since the low-rank update is meaningless on top of another model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from wardbot_errors import WardbotError

from ._folders import built_in_place

ADAPTER_FORMAT = "wardbot-lora-1"
# The linear layers of each BERT layer that the adapter changes (HF BertModel names).
TARGET_SUFFIXES = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
_WEIGHTS_FILE = "model.safetensors"
_MARKER_FILE = "ADAPTER_OK"


class AdapterError(WardbotError, ValueError):
    """The adapter cannot be applied to this model; the message says why and what to do."""


def bundled_adapter_path() -> Path:
    """The adapter trained from the bundled question corpus (``make train``)."""
    return Path(str(resources.files("retrieval").joinpath("adapter", "e5-small-wardbot.safetensors")))


def target_modules(weight_names: list[str]) -> list[str]:
    """The module names (without ``.weight``) of the layers the adapter changes, in model order."""
    return [
        name.removesuffix(".weight")
        for name in weight_names
        if name.endswith(".weight") and name.startswith("encoder.layer.")
        and any(name.removesuffix(".weight").endswith("." + suffix) for suffix in TARGET_SUFFIXES)
        # "output.dense" also ends "attention.output.dense": both are targets, each once.
    ]  # fmt: skip


def base_fingerprint(weights: Mapping[str, np.ndarray], modules: list[str]) -> str:
    """sha256 of the base weights the adapter changes: names, shapes and values, in name order
    (the same whichever order the modules are listed in)."""
    digest = hashlib.sha256()
    for module in sorted(modules):
        tensor = np.ascontiguousarray(weights[module + ".weight"], dtype=np.float32)
        digest.update(f"{module}:{tensor.shape}\n".encode())
        digest.update(tensor.tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class LoraAdapter:
    """Low-rank updates by module name, with what they were trained on."""

    a: dict[str, np.ndarray]  # module -> (rank, in)
    b: dict[str, np.ndarray]  # module -> (out, rank)
    scale: float
    base: str  # base_fingerprint of the weights trained on
    info: dict  # training settings and figures, for people

    def save(self, path: str | Path) -> None:
        from safetensors.numpy import save_file

        tensors = {f"{m}.lora_a": np.ascontiguousarray(v, dtype=np.float16) for m, v in self.a.items()}
        tensors |= {f"{m}.lora_b": np.ascontiguousarray(v, dtype=np.float16) for m, v in self.b.items()}
        metadata = {"format": ADAPTER_FORMAT, "scale": repr(self.scale), "base": self.base}
        metadata["info"] = json.dumps(self.info, ensure_ascii=False, sort_keys=True)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(path), metadata=metadata)

    @classmethod
    def load(cls, path: str | Path) -> LoraAdapter:
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="np") as handle:
                metadata = handle.metadata() or {}
                # not a mapping: keys() is the only way to list what the file holds
                tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
        except (OSError, SafetensorError) as error:
            raise AdapterError(f"{path}: not a readable adapter file ({error})") from None
        if metadata.get("format") != ADAPTER_FORMAT:
            raise AdapterError(f"{path}: not a wardbot adapter (format {metadata.get('format')!r}, "
                               f"expected {ADAPTER_FORMAT!r})")  # fmt: skip
        a = {k.removesuffix(".lora_a"): v.astype(np.float32) for k, v in tensors.items() if k.endswith(".lora_a")}
        b = {k.removesuffix(".lora_b"): v.astype(np.float32) for k, v in tensors.items() if k.endswith(".lora_b")}
        if a.keys() != b.keys() or not a:
            raise AdapterError(f"{path}: the adapter's A and B matrices do not pair up")
        return cls(a, b, float(metadata["scale"]), metadata["base"], json.loads(metadata.get("info", "{}")))

    @property
    def fingerprint(self) -> str:
        """A short hash of the update itself: names the merged model folder."""
        digest = hashlib.sha256(self.base.encode())
        for module in sorted(self.a):
            digest.update(module.encode())
            digest.update(self.a[module].astype(np.float16).tobytes())
            digest.update(self.b[module].astype(np.float16).tobytes())
        return digest.hexdigest()[:12]

    def merged(self, weights: Mapping[str, np.ndarray], *, source: str = "the model") -> dict[str, np.ndarray]:
        """``weights`` with the update added; raises :class:`AdapterError` on a mismatch."""
        missing = [m for m in self.a if m + ".weight" not in weights]
        if missing:
            raise AdapterError(f"the adapter changes layers that {source} lacks ({', '.join(missing[:3])}): "
                               "it was trained for another architecture")  # fmt: skip
        modules = sorted(self.a)
        for module in modules:
            expected = weights[module + ".weight"].shape
            got = (self.b[module].shape[0], self.a[module].shape[1])
            if expected != got or self.a[module].shape[0] != self.b[module].shape[1]:
                raise AdapterError(f"the adapter's update of {module} is {got[0]}x{got[1]}, "
                                   f"but {source} has {expected[0]}x{expected[1]} there")  # fmt: skip
        found = base_fingerprint(weights, target_modules([m + ".weight" for m in modules]))
        if found != self.base:
            raise AdapterError(
                f"the adapter was trained on other base weights than {source}'s (base {self.base[:12]}, "
                f'found {found[:12]}): retrain it with `make train`, or set `[retrieval] adapter = ""`'
            )
        out = dict(weights)
        for module in modules:
            update = self.scale * (self.b[module] @ self.a[module])
            out[module + ".weight"] = (weights[module + ".weight"] + update).astype(np.float32)
        return out


def apply_adapter(base_dir: str | Path, adapter_path: str | Path, *, progress: bool = True) -> Path:
    """The base model folder with the adapter merged in: ``<base>-<adapter fingerprint>/`` beside
    it, written once (a few seconds, with a progress bar) and reused after.

    Raises :class:`AdapterError` if the adapter does not fit the base model.
    """
    from safetensors.numpy import load_file, save_file

    base_dir, adapter_path = Path(base_dir), Path(adapter_path)
    adapter = LoraAdapter.load(adapter_path)
    out_dir = base_dir.with_name(f"{base_dir.name}-{adapter.fingerprint}")
    marker = {"adapter": adapter.fingerprint, "base": adapter.base}
    try:
        if json.loads((out_dir / _MARKER_FILE).read_text(encoding="utf-8")) == marker:
            return out_dir
    except (OSError, ValueError):
        pass
    weights = load_file(str(base_dir / _WEIGHTS_FILE))
    merged = adapter.merged(weights, source=str(base_dir))
    with built_in_place(out_dir) as staging:
        files = [f for f in base_dir.rglob("*") if f.is_file() and f.name not in (_WEIGHTS_FILE, "BUILD_OK")]
        for file in tqdm(files, desc="Applying the wardbot adapter", unit="file", disable=not progress):
            target = staging / file.relative_to(base_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
        save_file(merged, str(staging / _WEIGHTS_FILE))
        os.chmod(staging / _WEIGHTS_FILE, 0o644)  # safetensors writes it private
        (staging / _MARKER_FILE).write_text(json.dumps(marker) + "\n", encoding="utf-8")
    return out_dir
