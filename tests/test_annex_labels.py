"""Annex 1/2 labels (R17): which come from the order (Kazakh) and which are ours (the Russian
translation, and the portal's own lines), said in the data file and on the report page."""
from __future__ import annotations

import re
from pathlib import Path

from ashyq import annex

SEED = Path("/work/shared/seed")


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_r17_every_header_label_of_the_form_is_the_orders_kazakh():
    sources = annex.sources()
    assert all(v == "order" for k, v in sources.items() if k.startswith(("field.", "column.", "annex.")))
    assert sources["provenance"] == "portal"
    seeds = sorted(SEED.glob("*.txt"))
    if not seeds:   # the seed lives beside the project in this workspace only
        return
    order = squash(seeds[0].read_text(encoding="utf-8"))
    for doc_type in annex.ANNEX_TYPES:
        form = annex.annex(doc_type)
        for key, label in form.field_labels("kk"):
            assert squash(label) + ":" in order, (doc_type, key, label)


def test_r17_the_data_file_and_the_page_say_the_russian_is_ours():
    text = squash(annex.DATA_FILE.read_text(encoding="utf-8").replace("#", " "))
    assert "official Russian text of the order was not found" in text
    assert "перевод портала" in annex.provenance("ru")
    assert "порталдың аудармасы" in annex.provenance("kk")
