"""The bot's one configuration object, read once from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Logging level."
    )

    @field_validator("embedding_model_dir", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
