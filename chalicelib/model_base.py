"""What the API's models share: the base of every body a caller sends, and the limits the domain checks too.

Each capability keeps its request and response models beside it (shops/models.py, reviews/models.py...);
the service's own answers are chalicelib/endpoints/answers.py.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Characters of a customer search: the console's model (console/customers_models.py) refuses longer ones, and so
# does the search index (customer_index.py), which lower floors use too and so cannot import a console module.
MAX_SEARCH_LENGTH = 200


# A body a caller sends: unknown fields are refused, text is stripped.
class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
