"""The recorded corpus says where every file came from, and the docs show exactly that."""

from __future__ import annotations

import collections
from pathlib import Path

from vvv_pipeline_tests.providers.real import replay

ROOT = Path(__file__).resolve().parents[3]
FIELDS = {"file", "provider", "endpoint", "source", "licence", "edits"}


def test_every_recorded_file_has_its_provenance_and_licence_and_no_entry_is_orphaned() -> None:
    entries = replay.corpus()
    on_disk = {
        str(p.relative_to(replay.RECORDED))
        for p in replay.RECORDED.rglob("*")
        if p.is_file() and p.name != "corpus.json"
    }
    listed = [e["file"] for e in entries]
    assert sorted(listed) == sorted(on_disk) and len(set(listed)) == len(listed)
    for entry in entries:
        assert set(entry) == FIELDS
        assert all(entry[k].strip() for k in FIELDS), entry
        # a repository source is pinned to a commit; a vendor example names its page
        assert "@ " in entry["source"] or "https://" in entry["source"], entry


def test_docs_corpus_table_is_the_one_rendered_from_corpus_json() -> None:
    text = (ROOT / "docs" / "providers.md").read_text()
    block = text.split("<!-- corpus:start -->")[1].split("<!-- corpus:end -->")[0].strip()
    assert block == replay.corpus_markdown()


def test_readme_real_providers_table_counts_the_corpus_files() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Real providers")[1].split("\n## ")[0]
    counts = collections.Counter(e["provider"] for e in replay.corpus())
    names = {"binance": "Binance", "bybit": "Bybit", "coinbase": "Coinbase", "fred": "FRED"}
    names |= {"iqfeed": "IQFeed", "unusual_whales": "Unusual Whales", "yahoo": "Yahoo"}
    rows = {
        line.split(" | ")[0][2:]: line for line in section.splitlines() if line.startswith("| ")
    }
    for provider, count in counts.items():
        assert rows[names[provider]].split(" | ")[2] == str(count)
