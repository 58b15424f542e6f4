"""`scic bench ...`: the benchmarks in `bench/`, which print figures and are run on purpose."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.store import settings
from bot.cli.terminal import fail

app = typer.Typer(
    help="Benchmarks: they print figures and are run on purpose, never as tests.",
    no_args_is_help=True,
)


def _model_dir_args() -> list[str]:
    model_dir = settings().embedding_model_dir
    return ["--model-dir", str(model_dir)] if model_dir else []


@app.command("expertise")
def bench_expertise(
    dataset: Annotated[
        Path, typer.Option(help="The expertise dataset folder (archives/, submissions.json...).")
    ],
    out: Annotated[Path, typer.Option(help="Where to write {expertId: {paperId: score}}.")] = Path(
        "predictions.json"
    ),
    ablation: Annotated[
        bool, typer.Option(help="Print the ablation table instead (no predictions file).")
    ] = False,
) -> None:
    """Who-can-solve matching on real ground truth: loss, easy/hard accuracy, MRR, recall."""
    from bench import expertise

    if not (dataset / "evaluations.tsv").is_file():
        fail(f"{dataset} is not an expertise dataset folder (no evaluations.tsv)")
    args = [str(dataset), "--out", str(out), *_model_dir_args()]
    expertise.main([*args, "--ablation"] if ablation else args)


@app.command("speed")
def bench_speed() -> None:
    """Indexing throughput against Chroma's stock embedder, query latency at 1k-100k, memory."""
    from bench import speed

    speed.main(_model_dir_args())


@app.command("ack")
def bench_ack(
    requests: Annotated[int, typer.Option(min=1, help="Requests per request type.")] = 100,
) -> None:
    """Slack acknowledgement times of every request type, through a real HTTP port."""
    from bench import ack

    ack.main(["--requests", str(requests)])


@app.command("digest")
def bench_digest(
    subscribers: Annotated[int, typer.Option(min=1, help="People plus channels.")] = 1000,
) -> None:
    """Send the digest to many subscribers through the Slack stand-in; time and pacing."""
    from bench import digest

    digest.main(["--subscribers", str(subscribers)])


@app.command("answers")
def bench_answers(
    question_set: Annotated[
        Path,
        typer.Option(
            "--set",
            help="A labelled question set (bench/questions/answers_dev.json by default).",
        ),
    ] = Path("bench/questions/answers_dev.json"),
    worst: Annotated[
        int, typer.Option(min=0, help="How many of the worst questions to show.")
    ] = 15,
    only: Annotated[
        list[str] | None, typer.Option(help="Ask only these question ids (repeatable).")
    ] = None,
) -> None:
    """Questions over the demo data: per intent, understood, nDCG@5, precision/recall, language."""
    from bench import answers

    if not question_set.is_file():
        fail(f"{question_set} is not a question set (a JSON file with questions)")
    args = ["--set", str(question_set), "--worst", str(worst), *_model_dir_args()]
    for question_id in only or ():
        args += ["--only", question_id]
    answers.main(args)


@app.command("load")
def bench_load() -> None:
    """Signed questions through the real server under load and a 429 storm: acks, answers."""
    from bench import load

    load.main([])
