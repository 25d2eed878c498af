"""Request and response bodies of `/translate`; the request's limits come from the settings."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr

from t5mt.serve.settings import Limits


def check_text(text: str) -> str:
    """A sentence must hold a visible character and be encodable as UTF-8."""
    if not text.strip():
        raise ValueError("text is empty or only whitespace")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"text is not valid Unicode ({error.reason})") from None
    return text


def translate_request_model(limits: Limits) -> type[BaseModel]:
    """The body of `POST /translate`, with `limits` built into its schema (and the OpenAPI docs)."""
    text = Annotated[StrictStr, Field(max_length=limits.max_characters), AfterValidator(check_text)]

    class TranslateRequest(BaseModel):
        """English sentences, and optionally how to decode them (default: the run's own)."""

        model_config = ConfigDict(extra="forbid")

        texts: list[text] = Field(min_length=1, max_length=limits.max_sentences)
        num_beams: int | None = Field(None, ge=1, le=limits.max_num_beams)
        max_new_tokens: int | None = Field(None, ge=1, le=limits.max_new_tokens)
        length_penalty: float | None = Field(None, ge=0.0, le=2.0, allow_inf_nan=False)
        nbest: int | None = Field(None, ge=1, le=limits.max_nbest)
        no_repeat_ngram_size: int | None = Field(None, ge=0, le=limits.max_new_tokens)
        repetition_penalty: float | None = Field(
            None, gt=0.0, le=limits.max_repetition_penalty, allow_inf_nan=False
        )
        do_sample: bool | None = None
        top_k: int | None = Field(None, ge=0)
        top_p: float | None = Field(None, gt=0.0, le=1.0, allow_inf_nan=False)
        temperature: float | None = Field(
            None, gt=0.0, le=limits.max_temperature, allow_inf_nan=False
        )
        seed: int | None = Field(None, ge=0, lt=2**32)

    return TranslateRequest


class DecodingOut(BaseModel):
    """The decoding settings a response was produced with."""

    num_beams: int
    max_new_tokens: int
    length_penalty: float
    nbest: int
    no_repeat_ngram_size: int
    repetition_penalty: float
    do_sample: bool
    top_k: int
    top_p: float
    temperature: float
    seed: int | None


class HypothesisOut(BaseModel):
    """One of a sentence's n best translations and its score (see t5mt.inference.Hypothesis)."""

    text: str
    score: float


class TranslateResponse(BaseModel):
    """German translations in input order (with nbest > 1 also each sentence's hypotheses, best
    first), and the model that made them."""

    translations: list[str]
    hypotheses: list[list[HypothesisOut]] | None = None
    model: str
    decoding: DecodingOut
    latency_ms: float


class StatusResponse(BaseModel):
    """The answer of `/health` and `/ready`."""

    status: str
    model: str | None = None


class ErrorResponse(BaseModel):
    """What every 4xx and 5xx answer holds; `error_id` appears in the server log (5xx)."""

    error: str
    details: list[str] = []
    error_id: str | None = None
