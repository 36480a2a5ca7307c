"""Query understanding: what a shopper's words mean in catalog terms.

Self-contained (standard library only; nothing else of the project) so that any search
front can use it::

    vocabulary = Vocabulary.from_products(product_dicts)   # once per catalog
    understood = understand("white sneekers for women under 50", vocabulary)
    understood.attributes     # colour=White, article_type=Casual Shoes/Sports Shoes, gender=...
    understood.price          # max 50
    understood.corrected_text # "white sneakers for women under 50"
    understood.to_json()      # the search response's ``understood`` block

The lexicon (``lexicon.json`` beside this file; pass another with ``Lexicon.load(path)``)
maps shopper phrases to catalog values. Its sections:

- ``colours``: phrase -> list of ``colour`` values ("navy": ["Navy Blue"]).
- ``types``: phrase -> ``{field: [values]}`` with field one of article_type, sub_category,
  category ("sneakers": {"article_type": ["Casual Shoes", "Sports Shoes"]}).
- ``genders``: phrase -> list of ``gender`` values ("ladies": ["Women", "Unisex"]; kids'
  products carry Boys or Girls).
- ``occasions``: phrase -> list of ``occasion`` (the catalog's usage) values ("gym": ["Sports"]).
- ``seasons``: phrase -> list of ``season`` values ("autumn": ["Fall"]).
- ``materials``: phrase -> material word, matched against titles ("woollen": "wool").
- ``brands``: ``aliases`` (phrase -> brand name), ``known`` (brands whose name holds a gender
  word, e.g. "Mr. Men"), ``separate`` (brands that are not a sub-line of the brand their name
  starts with: a query for "lee" means Lee, not also Lee Cooper, whereas "casio" also means
  "Casio Enticer"), ``title_gender_words`` and ``descriptors`` (for learning brands from
  titles: see ``brands``), ``min_count`` (titles a brand needs to count as one).
- ``stopwords``: words that carry no meaning in a query; never corrected nor left over.
- ``parents`` (optional): ``{"article_type": {value: sub_category}, "sub_category": {value:
  category}}``, where a type belongs when the catalog has none of it to say so ("Earrings":
  "Jewellery", "Jewellery": "Accessories"); the catalog's own products win when it has it.

A phrase's words are matched case-insensitively, plurals folded ("heels" = "heel"). The
catalog's own values need no entry: every value of the vocabulary is a phrase of itself. A
lexicon value absent from the catalog is still recognised, with ``products == 0``, so a
caller can say "no earrings in this catalog". When a phrase could mean two kinds, a product
type wins over a colour, then gender, occasion, season, material, brand; a longer phrase
always wins over a shorter one inside it ("red tape" is a brand, "sports shoes" a type).
"""

from __future__ import annotations

from indexer.understanding.brands import BrandList, brand_from_title, learn_brands
from indexer.understanding.lexicon import Lexicon, LexiconError
from indexer.understanding.price import PriceCondition, parse_price
from indexer.understanding.understand import Attribute, Correction, Understanding, understand
from indexer.understanding.vocabulary import Kind, Meaning, Vocabulary

__all__ = [
    "Attribute",
    "BrandList",
    "Correction",
    "Kind",
    "Lexicon",
    "LexiconError",
    "Meaning",
    "PriceCondition",
    "Understanding",
    "Vocabulary",
    "brand_from_title",
    "learn_brands",
    "parse_price",
    "understand",
]
