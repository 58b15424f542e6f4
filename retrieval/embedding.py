"""Text embedders: all-MiniLM-L6-v2 from local ONNX files, or an OpenAI-compatible endpoint.

Both are Chroma ``EmbeddingFunction``s and return L2-normalised float32 vectors, so a
collection can use them directly and cosine similarity is a dot product.
"""

from __future__ import annotations

import logging
import re
import threading
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

# The files Chroma's ONNXMiniLM_L6_V2 expects in its cache folder; ours reads the same layout.
MODEL_FILES = (
    "config.json",
    "model.onnx",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.txt",
)
# sentence-transformers truncates all-MiniLM-L6-v2 at 256 word pieces (Chroma does the same).
MINILM_MAX_TOKENS = 256

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def estimate_tokens(text: str) -> int:
    """Rough word-piece count when no tokenizer is at hand.

    Words and punctuation marks each count once, plus a third for long words that a
    word-piece vocabulary splits (Finnish compounds especially); [CLS]/[SEP] add two.
    """
    pieces = _WORD.findall(text)
    return 2 + sum(1 + len(p) // 9 for p in pieces)


def _normalise(vectors: npt.NDArray[Any]) -> Vectors:
    # Same epsilon rule as Chroma's stock function, so zero vectors stay finite.
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1e-12
    return np.asarray(vectors / norms, dtype=np.float32)


class Embedder(EmbeddingFunction[Documents]):
    """What the index needs from an embedding model."""

    #: Short, stable identity of the vector space (model + dimension); vectors from two
    #: embedders with different keys must never share a collection.
    key: str

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` into an ``(len(texts), dim)`` array of unit vectors."""

    def count_tokens(self, text: str) -> int:
        """How many model tokens ``text`` takes (estimated unless overridden)."""
        return estimate_tokens(text)

    def max_tokens(self) -> int:
        return MINILM_MAX_TOKENS

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    def default_space(self) -> Space:
        return "cosine"


# Query vectors kept per process (about 1.5 KB each), and the largest batch looked up there.
CACHE_SIZE = 8192
CACHED_BATCH = 512


@register_embedding_function
class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 on onnxruntime, batched with dynamic padding.

    Chroma's stock ``ONNXMiniLM_L6_V2`` pads every text to 256 tokens, so a five-word
    capability phrase costs as much as a full abstract. Here texts are sorted by length and
    each batch is padded only to its longest member; attention masking makes the padding
    invisible, so the vectors equal the stock function's (mean pooling, L2 norm).
    """

    def __init__(
        self,
        model_dir: str | Path,
        batch_size: int = 32,
        max_length: int = MINILM_MAX_TOKENS,
        threads: int | None = None,
    ) -> None:
        # Imported here so that lexical-only installs never pay for onnxruntime at import.
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads
        tokenizer_file = str(self.model_dir / "tokenizer.json")
        self._tokenizer: Any = Tokenizer.from_file(tokenizer_file)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_length)
        # A second, untruncated tokenizer counts tokens so split_text can see overflow.
        self._counter: Any = Tokenizer.from_file(tokenizer_file)
        self._counter.no_padding()
        self._counter.no_truncation()

        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        self._session: Any = ort.InferenceSession(
            str(self.model_dir / "model.onnx"),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.key = "minilm-l6-v2-384"

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text).ids)

    def max_tokens(self) -> int:
        return self.max_length

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One normalised vector per text. Small batches (queries, a challenge's needs, the
        open challenges a fit or a digest scores) are served from a bounded cache: the same
        texts come back with every question about them; bulk indexing bypasses it."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if len(texts) > CACHED_BATCH:
            return self._embed(texts)
        with self._cache_lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for t in known:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = self._embed(missing)
            with self._cache_lock:
                for t, vector in zip(missing, fresh, strict=True):
                    known[t] = self._cache[t] = vector
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)

    def _embed(self, texts: Sequence[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        # Sorting by length keeps each batch's padding (wasted compute) small.
        order = np.argsort(lengths, kind="stable")
        out: Vectors | None = None
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = lengths[i]
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feed)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            vectors = _normalise(pooled)
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        assert out is not None
        return out

    @staticmethod
    def name() -> str:
        return "scic_minilm_onnx"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedder:
        return MiniLMEmbedder(config["model_dir"], batch_size=int(config.get("batch_size", 32)))

    def get_config(self) -> dict[str, Any]:
        return {"model_dir": str(self.model_dir), "batch_size": self.batch_size}


@register_embedding_function
class OpenAIEmbedder(Embedder):
    """Any OpenAI-compatible ``/embeddings`` endpoint (OpenAI, Azure, vLLM, Ollama, ...)."""

    def __init__(
        self, base_url: str | None, api_key: str, model: str, batch_size: int = 256
    ) -> None:
        from openai import OpenAI

        self.base_url = base_url
        self.model = model
        self.batch_size = batch_size
        self._client = OpenAI(base_url=base_url, api_key=api_key)
        self.key = f"openai-{re.sub(r'[^a-z0-9]+', '-', model.lower())}"

    def max_tokens(self) -> int:
        # Endpoints differ; 512 is within every common embedding model's window.
        return 512

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else " " for t in texts[start : start + self.batch_size]]
            response = self._client.embeddings.create(model=self.model, input=batch)
            ordered = sorted(response.data, key=lambda d: d.index)
            rows.extend(d.embedding for d in ordered)
        if not rows:
            return np.zeros((0, 1), dtype=np.float32)
        return _normalise(np.asarray(rows, dtype=np.float32))

    @staticmethod
    def name() -> str:
        return "scic_openai_compatible"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbedder:
        # The key is deliberately not part of the persisted config; it comes from settings.
        raise ValueError("OpenAIEmbedder must be built from settings, not a stored config")

    def get_config(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model": self.model}


def missing_model_files(model_dir: Path) -> list[str]:
    """Names of the ONNX model files absent from ``model_dir``."""
    return [f for f in MODEL_FILES if not (model_dir / f).is_file()]


def load_embedder(model_dir: Path | None) -> Embedder | None:
    """The MiniLM embedder from ``model_dir``, or None (lexical-only) when it cannot load.

    ``model_dir`` is the folder holding ``model.onnx`` and the tokenizer files, e.g.
    ``EMBEDDING_MODEL_DIR``. Without it we fall back to Chroma's own cache folder, where a
    user with internet access has the same files after Chroma's first download.
    """
    if model_dir is None:
        model_dir = Path.home() / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx"
    missing = missing_model_files(model_dir)
    if missing:
        logger.warning(
            "EMBEDDING MODEL NOT FOUND in %s (missing %s): retrieval is LEXICAL-ONLY (BM25), "
            "paraphrases and synonyms will be missed. Set EMBEDDING_MODEL_DIR to the folder "
            "with model.onnx and tokenizer.json.",
            model_dir,
            ", ".join(missing),
        )
        return None
    try:
        return MiniLMEmbedder(model_dir)
    except Exception as exc:  # a corrupt file must not stop the bot from answering
        logger.warning(
            "EMBEDDING MODEL in %s FAILED TO LOAD (%s): retrieval is LEXICAL-ONLY (BM25).",
            model_dir,
            exc,
        )
        return None


def chroma_stock_embedder(model_dir: Path) -> Any:
    """Chroma's own ``ONNXMiniLM_L6_V2`` reading the files in ``model_dir`` (no download).

    The stock class looks for ``DOWNLOAD_PATH / EXTRACTED_FOLDER_NAME``; overriding both on
    the instance points it at our folder. Used by the equivalence test and speed benchmark.
    """
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    stock = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    stock.DOWNLOAD_PATH = model_dir.parent
    stock.EXTRACTED_FOLDER_NAME = model_dir.name
    return stock
