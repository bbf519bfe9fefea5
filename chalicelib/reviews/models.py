"""What the API takes and answers about reviews: submission, the owner's list and actions, the public
listing with its aggregates and votes, and an import's result."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from chalicelib.model_base import Strict
from chalicelib.photos.models import PhotoState, PublicPhoto
from chalicelib.sharing.models import ShareOffer
from chalicelib.web.languages import Language


class ReviewSubmission(Strict):
    token: str = Field(min_length=10, max_length=4000, description="the signed review link's token")
    product_id: str = Field(min_length=1, max_length=64)
    rating: int = Field(ge=1, le=5)
    title: str = Field("", max_length=150)
    body: str = Field(min_length=1, max_length=5000)
    anonymous: bool = Field(False, description="publish it as Anonymous, without the buyer's name")
    photo_ids: list[Annotated[str, Field(pattern=r"^ph_[0-9a-f]{20}$")]] = Field(
        default_factory=list, max_length=5, description="photos uploaded with POST /r/{token}/photos"
    )


class ReviewCreated(BaseModel):
    """The review was stored; a happy review comes with the reviewer's share offer."""

    review_id: str
    status: Literal["published", "pending"]
    share: ShareOffer | None
    photos: list[PhotoState] = []


class Reply(BaseModel):
    body: str
    at: str


class ReviewView(BaseModel):
    review_id: str
    product_id: str
    product_title: str | None = None
    author: str
    rating: int
    title: str
    body: str
    status: str
    verified: bool
    source: str
    created_at: str
    published_at: str | None = None
    reply: Reply | None = None
    moderation: list[str] | None = None
    order_id: str | None = None
    photos: list[PhotoState] = []


class ReviewList(BaseModel):
    reviews: list[ReviewView]
    cursor: str | None


class ReplyBody(Strict):
    body: str = Field(min_length=1, max_length=2000)


class PublicReply(BaseModel):
    body: str
    at: str


class PublicReview(BaseModel):
    review_id: str
    product_id: str
    author: str
    rating: int = Field(ge=1, le=5)
    title: str
    body: str
    verified: bool
    source: str
    published_at: str | None
    helpful: int
    not_helpful: int
    reply: PublicReply | None
    photos: list[PublicPhoto] = []


class RatingAggregate(BaseModel):
    count: int
    average: float | None
    distribution: dict[str, int]


class ShopAnswers(BaseModel):
    """How the shop answers its reviews in public, over its last 90 days (shown when the owner turns it on)."""

    rate: float = Field(ge=0, le=1, description="reviews of the last 90 days with a public reply, over those reviews")
    median_hours: int | None = Field(
        description="hours to the first reply, median (the upper edge of its bucket: 1, 2, 4, 8, 12, 24, 36, 48, 72, "
        "96, 168, 336, 720, 2160); null when none was answered"
    )
    days: Literal[90] = 90


class WidgetTexts(BaseModel):
    """The review widget's words in one language. Numbers the server knows are in them, formatted for the
    language and in its plural form; `{author}`, `{index}`, `{count}` and `{rating}` are the widget's to fill."""

    language: Language = Field(description="the page's language (`lang`) when it is one of ours, else the shop's")
    region: str = Field(description='the reviews\' label ("Customer reviews")')
    average: str | None = Field(None, description='"4.5 out of 5", with the language\'s decimal separator')
    count: str | None = Field(None, description='"12 reviews", "1 review"')
    none: str | None = Field(None, description='"No reviews yet.", instead of average and count')
    stars: str = Field(description='"{rating} out of 5 stars" (a review\'s rating, for screen readers)')
    verified: str
    reply: str
    photos: str = Field(description='"Photos from {author}"')
    view_photo: str = Field(description='"View photo {index} of {count} from {author}"')
    photo: str = Field(description='"Photo {index} of {count} from {author}"')
    previous: str
    next: str
    close: str
    more: str = Field(description='"More reviews"')
    answers: str | None = Field(None, description="the shop_answers line, only with shop_answers")


class ProductReviews(BaseModel):
    """Published reviews with the product's aggregate and a schema.org Product JSON-LD block."""

    shop_id: str
    product_id: str
    aggregate: RatingAggregate
    reviews: list[PublicReview]
    cursor: str | None
    json_ld: dict[str, object]
    shop_answers: ShopAnswers | None = Field(
        None,
        description="only with the shop's show_answer_rate on and a review in its last 90 days; never in json_ld",
    )
    texts: WidgetTexts = Field(description="the widget's words in the page's language (`lang`) or the shop's")


class RatingsSummary(BaseModel):
    shop_id: str
    products: dict[str, RatingAggregate]


class VoteIn(Strict):
    helpful: bool


class ImportRejection(BaseModel):
    row: int
    reason: str


class ImportResult(BaseModel):
    """What an import did (or, with dry_run, would do), and every row it refused with the reason."""

    format: str
    dry_run: bool
    rows: int
    imported: int
    duplicates: int
    rejected: list[ImportRejection]
