"""Speed benchmark: embedding throughput, query latency and memory at cluster scales.

Synthetic members (about five passages each: a description, capabilities, a reference)
are built from a vocabulary of smart-city capability phrases. It reports

* embedding throughput of our batched MiniLM embedder against Chroma's stock
  ``ONNXMiniLM_L6_V2`` on the same texts in the same run;
* index build time and p50/p95 latency of ``match_owners`` (top 10, query embedding
  included) at each size, through a real Chroma collection;
* peak resident memory.

Embedding 100k passages would take most of an hour on two cores, so each passage joins two
phrases and its vector is the normalised sum of the phrases' vectors, each phrase embedded
once with the real model (the printout says so). Queries are embedded for real.

    python -m bench.speed --model-dir DIR [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np

from retrieval.embedding import Embedder, MiniLMEmbedder, Vectors, chroma_stock_embedder
from retrieval.index import PassageIndex
from retrieval.passages import Passage
from retrieval.ranking import match_owners

ACTIONS = [
    "design",
    "optimisation",
    "monitoring",
    "predictive maintenance",
    "digital twins",
    "data analytics",
    "piloting",
    "installation",
    "lifecycle assessment",
    "procurement support",
    "machine learning",
    "remote sensing",
    "simulation",
    "citizen engagement",
    "cybersecurity",
]
OBJECTS = [
    "district heating networks",
    "waste heat recovery",
    "street lighting",
    "parking sensors",
    "autonomous shuttle buses",
    "snow clearing robots",
    "drinking water mains",
    "stormwater management",
    "building energy efficiency",
    "electric vehicle charging",
    "public transport ticketing",
    "air quality sensors",
    "noise mapping",
    "traffic signals",
    "bicycle sharing",
    "waste collection routes",
    "solar power on rooftops",
    "battery storage",
    "5G connectivity",
    "port logistics",
    "indoor air quality",
    "construction site emissions",
    "urban green spaces",
    "flood forecasting",
    "smart grids",
    "hydrogen buses",
]
CONTEXTS = [
    "for Nordic cities",
    "in Arctic conditions",
    "for municipalities",
    "for housing companies",
    "for industrial parks",
    "in new districts like Nueva Norte",
    "for small towns",
    "for hospitals and schools",
    "at city scale",
    "with open data",
]
QUERIES = [
    "Who can cut heat losses in our district heating network?",
    "We need sensors to monitor air quality near schools",
    "Robots that keep pavements free of snow in the polar night",
    "Smart charging for an electric bus depot",
    "Find leaks in old drinking water pipes",
    "Adaptive street lighting that saves energy",
    "Digital twin of a new city district for planning",
    "Flood forecasting and stormwater management for a coastal city",
    "Optimise waste collection routes with data",
    "Kaukolämpöverkon hukkalämmön hyödyntäminen",
]


def phrase_vocabulary() -> list[str]:
    """Every action × object × context phrase (3,900 distinct capability phrases)."""
    return [f"{a.capitalize()} of {o} {c}" for a in ACTIONS for o in OBJECTS for c in CONTEXTS]


def synthetic_passages(n: int, seed: int = 7) -> list[tuple[Passage, tuple[int, int]]]:
    """``n`` passages of ``n // 5`` members, each joining two phrases (returned by index)."""
    rng = random.Random(seed)
    phrases = phrase_vocabulary()
    kinds = ["description", "capability", "capability", "capability", "reference"]
    out: list[tuple[Passage, tuple[int, int]]] = []
    for i in range(n):
        owner = f"member-{i // 5:06d}"
        a, b = rng.randrange(len(phrases)), rng.randrange(len(phrases))
        kind = kinds[i % 5]
        text = f"{phrases[a]}, and {phrases[b].lower()}."
        out.append((Passage(f"{owner}/{i % 5}", owner, kind, "", text), (a, b)))
    return out


class PrecomputedEmbedder(Embedder):
    """Looks document vectors up in a table; embeds anything else (queries) for real."""

    def __init__(self, real: Embedder, table: dict[str, Vectors]) -> None:
        self.real = real
        self.table = table
        self.key = real.key

    def embed(self, texts: Sequence[str]) -> Vectors:
        if texts and all(t in self.table for t in texts):
            return np.stack([self.table[t] for t in texts]).astype(np.float32)
        return self.real.embed(texts)

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    @staticmethod
    def name() -> str:
        return "scic_bench_precomputed"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> Embedder:
        raise ValueError("benchmark-only embedder")

    def get_config(self) -> dict[str, Any]:
        return {}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _throughput(model_dir: Path, ours: MiniLMEmbedder, n_texts: int) -> dict[str, float]:
    texts = [p.text for p, _ in synthetic_passages(n_texts, seed=11)]
    stock = chroma_stock_embedder(model_dir)
    stock(texts[:4])  # load the model outside the timing
    ours.embed(texts[:4])
    started = time.perf_counter()
    ours_vectors = ours.embed(texts)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    stock_vectors = np.array(stock(texts))
    stock_s = time.perf_counter() - started
    return {
        "texts": float(n_texts),
        "ours_per_s": n_texts / ours_s,
        "stock_per_s": n_texts / stock_s,
        "speedup": stock_s / ours_s,
        "max_abs_diff": float(np.abs(ours_vectors - stock_vectors).max()),
    }


def run_speed_benchmark(
    sizes: Sequence[int] = (1000, 10000, 100000),
    model_dir: Path | None = None,
    queries_per_size: int = 40,
    throughput_texts: int = 256,
) -> dict[str, Any]:
    """Run the benchmark, print a report and return the figures."""
    if model_dir is None:
        raise ValueError("the speed benchmark needs the MiniLM files (model_dir)")
    ours = MiniLMEmbedder(model_dir)
    report: dict[str, Any] = {}
    tp = _throughput(model_dir, ours, throughput_texts)
    report["throughput"] = tp
    print(
        f"embedding {int(tp['texts'])} synthetic passages: ours {tp['ours_per_s']:.0f}/s, "
        f"Chroma stock {tp['stock_per_s']:.0f}/s -> {tp['speedup']:.1f}x faster "
        f"(max |diff| {tp['max_abs_diff']:.1e})"
    )
    phrases = phrase_vocabulary()
    started = time.perf_counter()
    phrase_vectors = ours.embed(phrases)
    print(
        f"embedded {len(phrases)} distinct phrases in {time.perf_counter() - started:.1f} s; "
        "each passage's vector = normalised sum of its two phrases' vectors"
    )
    client = chromadb.EphemeralClient()
    rows = []
    for size in sizes:
        passages = synthetic_passages(size)
        table: dict[str, Vectors] = {}
        for passage, (a, b) in passages:
            v = phrase_vectors[a] + phrase_vectors[b]
            table[passage.document()] = (v / np.linalg.norm(v)).astype(np.float32)
        index = PassageIndex(
            client, PrecomputedEmbedder(ours, table), name=f"speed-{uuid.uuid4().hex[:8]}"
        )
        started = time.perf_counter()
        index.upsert([p for p, _ in passages])
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        index.lexical()
        lexical_s = time.perf_counter() - started
        match_owners(index, QUERIES[0], top_k=10)  # warm-up
        latencies = []
        for q in range(queries_per_size):
            query = QUERIES[q % len(QUERIES)]
            started = time.perf_counter()
            match_owners(index, query, top_k=10)
            latencies.append((time.perf_counter() - started) * 1000)
        cuts = statistics.quantiles(latencies, n=20)
        row = {
            "passages": size,
            "members": size // 5,
            "build_s": build_s,
            "lexical_rebuild_s": lexical_s,
            "p50_ms": statistics.median(latencies),
            "p95_ms": cuts[18],
            "peak_rss_mb": _peak_mb(),
        }
        rows.append(row)
        print(
            f"{size:>7} passages / {size // 5:>6} members: build {build_s:6.1f} s, "
            f"BM25 rebuild {lexical_s:5.2f} s, match p50 {row['p50_ms']:6.1f} ms, "
            f"p95 {row['p95_ms']:6.1f} ms, peak RSS {row['peak_rss_mb']:.0f} MB"
        )
        for name in (index.name, f"{index.name}-revision"):
            client.delete_collection(name)
        del index, table, passages
        gc.collect()
    report["sizes"] = rows
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SCIC retrieval speed benchmark")
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    args: Any = parser.parse_args(argv)
    run_speed_benchmark(args.sizes, args.model_dir)


if __name__ == "__main__":
    main()
