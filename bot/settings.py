"""The bot's one configuration object, read once from the environment and `.env`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


class Settings(BaseSettings):
    """Every setting the bot reads. The README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    data_dir: Path = Field(
        default=Path("data"), description="Folder for the SQLite file and the embedded index."
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the store; empty means a SQLite file in DATA_DIR.",
    )
    chroma_url: str = Field(
        default="",
        description="URL of a Chroma server (http://host:port); empty means embedded Chroma.",
    )
    index_wait_ms: int = Field(
        default=200,
        ge=0,
        le=60_000,
        description="Milliseconds of queued indexing a question may do before it is answered "
        "from what is indexed; 0: questions never index (the background indexer does).",
    )
    embeddings: Literal["local", "openai"] = Field(
        default="local", description="local: all-MiniLM-L6-v2 in ONNX; openai: an API."
    )
    embedding_model_dir: Path | None = Field(
        default=None, description="Folder with the all-MiniLM-L6-v2 ONNX files (offline use)."
    )
    openai_embedding_model: str = Field(
        default="text-embedding-3-small", description="Model name when EMBEDDINGS=openai."
    )
    openai_api_key: str = Field(default="", description="Key for the OpenAI-compatible API.")
    openai_base_url: str = Field(
        default="", description="Base URL of an OpenAI-compatible API (empty: OpenAI's)."
    )
    # The language model: off unless LLM_MODEL names one; then every answer, intake pre-fill,
    # match reason, summary and digest introduction is written by it, with the template
    # answer as the fallback.
    llm_model: str = Field(
        default="",
        description="Chat model name (gpt-4o-mini, llama3.1...); empty: template answers only.",
    )
    llm_timeout: float = Field(
        default=20,
        gt=0,
        le=600,
        description="Seconds one model call may take before the template answer goes out.",
    )
    llm_max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of a call that failed with 429, 5xx or a timeout.",
    )
    llm_max_concurrent: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Model calls one process makes at once; more wait (a few seconds at most).",
    )
    answer_concurrency: int = Field(
        default=4,
        ge=0,
        le=64,
        description="Questions one process works out at once (understanding, search, the "
        "model's text; at least LLM_MAX_CONCURRENT with a model); more wait their turn, "
        "recorded, so that acknowledgements stay fast under a burst; 0: no bound.",
    )
    llm_question_budget: float = Field(
        default=30,
        gt=0,
        le=600,
        description="Seconds one question may spend in model calls in all (translation, "
        "retries, the streamed answer); then the template answer goes out.",
    )
    llm_breaker_failures: int = Field(
        default=3,
        ge=0,
        le=100,
        description="Failed model calls in a row after which the templates answer at once "
        "for LLM_BREAKER_COOLDOWN seconds; 0: never.",
    )
    llm_breaker_cooldown: float = Field(
        default=60,
        ge=0,
        le=3600,
        description="Seconds the templates answer at once after repeated model failures.",
    )
    llm_daily_tokens_per_user: int = Field(
        default=50_000,
        ge=0,
        description="Tokens one person's questions may use per UTC day; 0: no limit.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Logging level."
    )
    # Slack: read always, checked only by `scic serve` (require_slack_settings), so the rest
    # of the CLI works on a machine without Slack tokens.
    slack_bot_token: str = Field(default="", description="Bot token (xoxb-...).")
    slack_signing_secret: str = Field(
        default="", description="Signing secret that proves HTTP requests come from Slack."
    )
    slack_app_token: str = Field(
        default="", description="App-level token (xapp-...); set it to run in Socket Mode."
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="Base URL of Slack's Web API (enterprise proxies, tests).",
    )
    slack_streaming: bool = Field(
        default=True,
        description="Stream written answers with Slack's chat.startStream/appendStream/"
        "stopStream; false: edit a draft with chat.update (a proxy without those methods).",
    )
    challenges_channel: str = Field(
        default="", description="Channel ID where challenge cards are posted."
    )
    operator_member: str = Field(
        default="scic",
        description="slug of the cluster's own organisation in the records: never suggested "
        "as a solver",
    )
    staff_channel: str = Field(
        default="", description="Channel ID of the cluster's staff (restricted challenges)."
    )
    port: int = Field(default=3000, description="HTTP port of `scic serve` in HTTP mode.")
    host: str = Field(
        default="127.0.0.1",
        description="Address `scic serve` listens on in HTTP mode; 0.0.0.0: every interface.",
    )
    serve_workers: int = Field(
        default=1,
        ge=1,
        le=32,
        description="Processes serving HTTP mode on PORT; more than 1 needs CHROMA_URL.",
    )
    # Digests: when the scheduler sends them, and how late a missed run may still go out.
    digest_cron: str = Field(
        default="0 9 * * mon",
        description="When the weekly digest goes out (crontab: minute hour day month weekday).",
    )
    digest_timezone: str = Field(
        default="Europe/Helsinki", description="Time zone of DIGEST_CRON and of digest periods."
    )
    digest_grace_hours: float = Field(
        default=12,
        ge=0,
        description="How late a digest run missed while the bot was down may still go out.",
    )
    # The daily lifecycle job: challenges past their deadline closed, reminders sent.
    lifecycle_cron: str = Field(
        default="0 7 * * *",
        description="When the daily lifecycle job runs (crontab, in DIGEST_TIMEZONE): it closes "
        "challenges whose deadline has passed and sends the deadline reminders.",
    )
    # Profile nudges: a profile nobody looked at for this long gets one DM to its people.
    profile_nudge_days: int = Field(
        default=180,
        ge=1,
        description="Days a member's profile may go untouched before its people get a nudge "
        "(and between two nudges).",
    )
    profile_nudge_cron: str = Field(
        default="0 10 * * *",
        description="When the profile nudge job looks for untouched profiles (crontab, in "
        "DIGEST_TIMEZONE).",
    )

    @field_validator("embedding_model_dir", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("digest_cron", "lifecycle_cron", "profile_nudge_cron", mode="after")
    @classmethod
    def _crontab(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 5:
            raise ValueError(
                f"{value!r} is not a crontab line: give 5 fields (minute hour day month weekday), "
                "e.g. '0 9 * * mon'"
            )
        return " ".join(fields)

    @field_validator("digest_timezone", mode="after")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as Europe/Helsinki") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("slack_api_url", mode="after")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # The Web API client appends method names to the base URL as they are.
        return value if value.endswith("/") else value + "/"

    @field_validator("llm_model", "openai_base_url", mode="after")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_model)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def store_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'scic.db'}"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"


def load_settings() -> Settings:
    """Read the settings, turning pydantic's report into one message per bad setting."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from exc


# What people leave in .env from a template. Anchored at the start (after the token's prefix)
# so a real, random token can never match by chance.
_PLACEHOLDER = re.compile(
    r"^(?:xox[a-z]-|xapp-)?(?:your|change|replace|placeholder|example|dummy|todo|fake|\.\.\.|<)"
    r"|^(?:xox[a-z]-|xapp-)?x+$|^0+$",
    re.IGNORECASE,
)
_TOKEN_BODY = r"[0-9A-Za-z-]{20,}"
_CHANNEL_ID = re.compile(r"[CG][0-9A-Z]{6,}")
_SIGNING_SECRET = re.compile(r"[0-9a-f]{32}")


def _token_problem(name: str, value: str, prefix: str, what: str) -> str | None:
    if not value:
        return f"{name} is required ({what}, starting with {prefix})"
    if _PLACEHOLDER.search(value):
        return f"{name} still holds a placeholder; paste {what} from the app's settings"
    if not re.fullmatch(re.escape(prefix) + _TOKEN_BODY, value):
        return f"{name} must be {what}: it starts with {prefix!r} followed by letters and digits"
    return None


def slack_settings_problems(settings: Settings) -> list[str]:
    """Every problem with the Slack settings, one message per setting, naming it."""
    problems: list[str] = []
    bot = _token_problem(
        "SLACK_BOT_TOKEN", settings.slack_bot_token, "xoxb-", "the Bot User OAuth Token"
    )
    if bot:
        problems.append(bot)
    if settings.slack_app_token:
        app = _token_problem(
            "SLACK_APP_TOKEN", settings.slack_app_token, "xapp-", "an app-level token"
        )
        if app:
            problems.append(app)
    secret = settings.slack_signing_secret
    if not secret and not settings.socket_mode:
        # Socket Mode connections are authenticated by the app token; HTTP requests only by this.
        problems.append(
            "SLACK_SIGNING_SECRET is required in HTTP mode (Basic Information > Signing Secret)"
        )
    elif secret and _PLACEHOLDER.search(secret):
        problems.append("SLACK_SIGNING_SECRET still holds a placeholder; paste the real secret")
    elif secret and not _SIGNING_SECRET.fullmatch(secret):
        problems.append("SLACK_SIGNING_SECRET must be the 32 hexadecimal characters Slack shows")
    url = urlparse(settings.slack_api_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        problems.append(
            f"SLACK_API_URL must be an http(s) URL such as https://slack.com/api/, "
            f"not {settings.slack_api_url!r}"
        )
    if not settings.challenges_channel:
        problems.append("CHALLENGES_CHANNEL is required: the ID of the channel for challenge cards")
    elif not _CHANNEL_ID.fullmatch(settings.challenges_channel):
        problems.append(
            "CHALLENGES_CHANNEL must be a channel ID such as C0123456789 (not a #name); "
            "find it under the channel's details"
        )
    if settings.staff_channel and not _CHANNEL_ID.fullmatch(settings.staff_channel):
        problems.append("STAFF_CHANNEL must be a channel ID such as C0123456789 (not a #name)")
    if settings.serve_workers > 1 and not settings.chroma_url and not settings.socket_mode:
        problems.append(
            "SERVE_WORKERS above 1 needs CHROMA_URL: worker processes cannot share an embedded "
            "index folder"
        )
    if not 1 <= settings.port <= 65535:
        problems.append(f"PORT must be between 1 and 65535, not {settings.port}")
    return problems


def llm_settings_problems(settings: Settings) -> list[str]:
    """Why the configured language model cannot be used; empty when it can (or is off)."""
    if not settings.llm_enabled:
        return []
    problems: list[str] = []
    base = settings.openai_base_url
    if base:
        url = urlparse(base)
        if url.scheme not in ("http", "https") or not url.netloc:
            problems.append(
                f"OPENAI_BASE_URL must be an http(s) URL such as http://localhost:11434/v1, "
                f"not {base!r}"
            )
    elif not settings.openai_api_key:
        problems.append(
            "OPENAI_API_KEY is required for OpenAI's API (or set OPENAI_BASE_URL to a local server)"
        )
    if settings.openai_api_key and _PLACEHOLDER.search(settings.openai_api_key):
        problems.append("OPENAI_API_KEY still holds a placeholder; paste the real key")
    return problems


def require_slack_settings(settings: Settings) -> Settings:
    """Stop `scic serve` before it starts when a Slack setting is missing or malformed."""
    problems = slack_settings_problems(settings)
    if problems:
        raise SettingsError("cannot start the Slack bot: " + "; ".join(problems))
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
