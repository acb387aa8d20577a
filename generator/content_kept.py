"""The documents of unchanged folders taken whole from the build before (issue 10).

Reading the content of 20,000 passports from the content cache still made 20,000 documents
from 40,000 cached file entries on every rebuild (0.7 s of an added passport's 3.4 s). The
tree scan groups the files by the shard of the document folder they are in
(``TreeScan.groups``) and hashes each group; a group whose hash, context (the state bodies'
codes, the decrees, the calendar package's version, the day) and documents' first-serving
days are as when its documents were read holds the same documents, so they are unpickled as
they were kept (``ContentCache.kept_documents``) and only the other groups' files are read.
A group is kept only when every Markdown file in it belongs to a document whose files are
all in it (a document spread over two groups is read each time), the content had no problem
at all, and no link to a folder is among its files (what such a link holds is not in the
scan). The files above the documents' folders (``LOOSE``) are always read. A uid met in two
kept groups, or in one and a file read now, makes the build read every file (:func:`distinct`),
so that what is wrong is told as it always was.
"""
from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

from generator.content_cache import LOOSE, ContentCache, TreeScan, collector_paused, path_order

if TYPE_CHECKING:
    from generator.content import Document


def kept_shards(scan: TreeScan, cache: ContentCache, context: tuple,
                served: dict) -> dict[int, dict[str, tuple[str, "Document"]]]:
    """The documents kept whole for each shard of ``scan`` that holds them as they were
    read: by shard, each document by uid with what orders it (:func:`first_file`)."""
    kept = {}
    with collector_paused():  # (a collection per thousand new objects: many)
        for shard, digest in scan.digests.items():
            if shard != LOOSE and shard not in scan.linked and scan.groups[shard]:
                found = cache.kept_documents(shard, digest, context, served)
                if found is not None:
                    kept[shard] = {doc.uid: (order, doc) for order, doc in found}
    return kept


def distinct(kept: dict[int, dict[str, tuple]], read: dict[str, object]) -> bool:
    """Whether no uid is in two of the ``kept`` shards, nor in one of them and among the uids
    ``read`` now (each shard was kept without problems, but perhaps by different builds)."""
    uids = set().union(*kept.values())
    return len(uids) == sum(map(len, kept.values())) and uids.isdisjoint(read)


def first_file(doc: "Document") -> str:
    """What orders ``doc`` among the documents as reading the files in path order met them:
    its first file's :func:`path_order`."""
    return min(map(path_order, doc.source_names.values()))


def keep_shards(scan: TreeScan, cache: ContentCache, context: tuple, served: dict,
                documents: dict[str, "Document"], shards: list[int],
                in_shard: dict[str, int]) -> None:
    """Keep whole the ``documents`` read (in reading order) from the ``shards`` read, by
    shard, where every Markdown file of the shard is one of a document all in it."""
    mine: dict[int, list] = {}
    spread: set[int] = set()
    for doc in documents.values():
        found = {in_shard[name] for name in doc.source_names.values()}
        if len(found) == 1:
            mine.setdefault(*found, []).append((first_file(doc), doc))
        else:
            spread |= found
    for shard in shards:
        if shard == LOOSE or not scan.groups.get(shard):
            continue  # (no files: the cache lets its documents go, ``ContentCache.save``)
        docs = mine.get(shard, [])
        files = sum(name.endswith(".md") for name in scan.groups[shard])
        if shard in scan.linked or shard in spread or files != sum(
                len(doc.source_names) for _, doc in docs):
            cache.forget_documents(shard)
        else:
            cache.keep_documents(shard, scan.digests[shard], context, served, docs)


def with_kept(documents: dict[str, "Document"],
              kept: dict[int, dict[str, tuple[str, "Document"]]]) -> dict[str, "Document"]:
    """The ``documents`` read and the ``kept`` ones, in the order reading all the files in
    path order would have met them."""
    every = [(first_file(doc), doc) for doc in documents.values()]
    for docs in kept.values():
        every.extend(docs.values())
    every.sort(key=itemgetter(0))
    return {doc.uid: doc for _, doc in every}
