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
    socket_mode: Annotated[
        bool, typer.Option("--socket-mode", help="Over Socket Mode instead of HTTP.")
    ] = False,
) -> None:
    """Slack acknowledgement times of every request type, through a real HTTP port or over
    Socket Mode, and whether repeated deliveries are answered once."""
    from bench import ack

    ack.main(["--requests", str(requests), *(["--socket-mode"] if socket_mode else [])])


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


@app.command("llm")
def bench_llm(
    base_url: Annotated[
        str, typer.Option(help="An OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1.")
    ] = "",
    model: Annotated[str, typer.Option(help="The model name the endpoint serves.")] = "",
    stand_in: Annotated[
        str,
        typer.Option(
            help="Instead of an endpoint, the local stand-in playing a model: grounded, "
            "obedient (obeys planted instructions), keep-alive or hang."
        ),
    ] = "",
    limit: Annotated[int, typer.Option(min=1, help="Ask the first N questions of the set.")] = 40,
    budget: Annotated[
        float, typer.Option(min=0.1, help="Seconds per question for the model.")
    ] = 30.0,
    question_set: Annotated[
        Path, typer.Option("--set", help="A question set (bench/questions/answers_dev.json).")
    ] = Path("bench/questions/answers_dev.json"),
) -> None:
    """What a language model adds: written answers shown, dropped per check or failed, members
    kept, and the added wait (median, p95), with and without the model on the same questions."""
    from bench import llm

    if not stand_in and not (base_url and model):
        fail("give --base-url and --model (an OpenAI-compatible endpoint), or --stand-in")
    if stand_in and stand_in not in llm.STAND_INS:
        fail(f"--stand-in is one of {', '.join(llm.STAND_INS)}")
    if not question_set.is_file():
        fail(f"{question_set} is not a question set (a JSON file with questions)")
    args = ["--set", str(question_set), "--limit", str(limit), "--budget", str(budget)]
    args += ["--stand-in", stand_in] if stand_in else ["--base-url", base_url, "--model", model]
    llm.main([*args, *_model_dir_args()])


@app.command("scale")
def bench_scale(
    sizes: Annotated[
        list[int] | None, typer.Option("--size", min=1, help="Members (repeatable).")
    ] = None,
    store: Annotated[
        str, typer.Option(help="sqlite, or postgresql (TEST_POSTGRES_URL's server).")
    ] = "sqlite",
    later_import: Annotated[
        int, typer.Option(min=0, help="Members imported afterwards, before the first question.")
    ] = 5000,
    chroma: Annotated[
        str,
        typer.Option(
            help="embedded (in the process), or server: a `chroma run` the benchmark starts."
        ),
    ] = "embedded",
    questions: Annotated[
        int,
        typer.Option(
            min=20, max=270, help="Different questions asked (p95 of 40: the 2nd slowest)."
        ),
    ] = 40,
) -> None:
    """Import, indexing, question p50/p95, memory and a second process's start at 1k-100k."""
    from bench import scale

    if store not in ("sqlite", "postgresql"):
        fail(f"--store must be sqlite or postgresql, not {store!r}")
    if chroma not in ("embedded", "server"):
        fail(f"--chroma must be embedded or server, not {chroma!r}")
    model = _model_dir_args()
    if not model:
        fail("the scale benchmark needs the MiniLM files: set EMBEDDING_MODEL_DIR")
    chosen = [str(s) for s in (sizes or [1000, 10000, 100000])]
    scale.main(
        [
            *model,
            *("--sizes", *chosen, "--store", store, "--later-import", str(later_import)),
            *("--chroma", chroma, "--questions", str(questions)),
        ]
    )


@app.command("load")
def bench_load(
    outage_postgres: Annotated[
        str,
        typer.Option(
            help="A PostgreSQL server URL: also run a 30 s store outage on a throwaway "
            "database there (through a proxy the bench cuts)."
        ),
    ] = "",
    pg_bin: Annotated[
        str,
        typer.Option(
            help="The folder of initdb and pg_ctl for the restart scenario's private "
            "PostgreSQL cluster (default: /usr/lib/postgresql/*/bin, else PATH)."
        ),
    ] = "",
    only: Annotated[str, typer.Option(help="load, restart or outage: run one part only.")] = "",
) -> None:
    """Signed questions through the real server under load, a 429 storm, a private PostgreSQL
    killed and restarted, and a store outage: acks, answers, answered twice, lost."""
    from bench import load

    if only not in ("", "load", "restart", "outage"):
        fail(f"--only must be load, restart or outage, not {only!r}")
    if only == "outage" and not outage_postgres:
        fail("--only outage needs --outage-postgres")
    args = ["--outage-postgres", outage_postgres] if outage_postgres else []
    args += ["--pg-bin", pg_bin] if pg_bin else []
    load.main([*args, *(["--only", only] if only else [])])
