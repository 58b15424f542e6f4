"""PassageIndex: writes, deletes without ghosts, drift hashes, lexical-only mode, sharing."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import chromadb.errors
import pytest

from retrieval import index as index_module
from retrieval.index import KeptRecord, PassageIndex, RecordCache, metadata_filter
from retrieval.passages import Passage
from retrieval.ranking import match_owners

from .fixtures import member_passages


def _passages_found(index: PassageIndex, query: str) -> set[str]:
    """Every passage any search path can still return for ``query``."""
    found: set[str] = set()
    for level in ("passage", "sentence"):
        for hits in index.dense_search(query, n=50, level=level):
            found |= {h.passage_id for h in hits}
    for top_k in (None, 10):
        for match in match_owners(index, query, top_k=top_k):
            found |= {e.passage_id for e in match.evidence}
    return found


def test_upsert_and_hashes(fake_index: PassageIndex) -> None:
    passages = member_passages()
    fake_index.upsert(passages)
    assert fake_index.ids_and_hashes() == {p.id: p.content_hash() for p in passages}
    assert fake_index.owners() == sorted({p.owner for p in passages})


def test_dense_search_returns_similarities(fake_index: PassageIndex) -> None:
    fake_index.upsert(member_passages())
    hits = fake_index.dense_search("parking sensors guidance", n=3)[0]
    assert hits[0].owner == "parkly"
    assert hits[0].similarity >= hits[-1].similarity


def test_delete_leaves_no_ghosts(fake_index: PassageIndex) -> None:
    fake_index.upsert(member_passages())
    fake_index.delete(["arcticmove/2"])
    assert "arcticmove/2" not in fake_index.ids_and_hashes()
    entries = fake_index.entries(owners=["arcticmove"])
    assert all(pid != "arcticmove/2" for pid in entries.passage_ids)  # sentences gone too
    assert "arcticmove/2" not in _passages_found(fake_index, "snow clearing Kirkenes polar night")


def test_delete_owner_and_replace_shrinks_sentences(fake_index: PassageIndex) -> None:
    fake_index.upsert(member_passages())
    fake_index.delete_owner("parkly")
    assert not any(i.startswith("parkly/") for i in fake_index.ids_and_hashes())
    assert not any(p.startswith("parkly/") for p in _passages_found(fake_index, "parking"))
    long = Passage("x/1", "x", "reference", "Pilot", "First sentence here. Second one. Third.")
    fake_index.upsert([long])
    assert len(fake_index.entries(owners=["x"]).ids) == 5  # passage + title + 3 sentences
    fake_index.upsert([Passage("x/1", "x", "reference", "Pilot", "Only one sentence now")])
    assert sorted(fake_index.entries(owners=["x"]).ids) == ["x/1", "x/1::s0", "x/1::s1"]


def test_drift_is_visible_in_hashes(fake_index: PassageIndex) -> None:
    p = Passage("m/1", "m", "capability", "Heat", "District heating")
    fake_index.upsert([p])
    changed = Passage("m/1", "m", "capability", "Heat", "District cooling")
    assert fake_index.ids_and_hashes()["m/1"] != changed.content_hash()


def test_lexical_only_mode_without_embedder(lexical_index: PassageIndex) -> None:
    assert not lexical_index.dense
    lexical_index.upsert(member_passages())
    assert lexical_index.dense_search("parking") == []
    matches = match_owners(lexical_index, "acoustic leak detection for water mains", top_k=3)
    assert matches[0].owner == "aquasense"
    assert {"acoustic", "leak", "detection"} <= set(matches[0].evidence[0].matched_terms)


def test_two_processes_sharing_a_collection_agree(
    chroma_client: Any, fake_index: PassageIndex
) -> None:
    other = PassageIndex(chroma_client, fake_index.embedder, name=fake_index.name.rsplit("-", 2)[0])
    assert other.name == fake_index.name
    fake_index.upsert(member_passages())
    assert match_owners(other, "leak detection", top_k=1)[0].owner == "aquasense"
    fake_index.delete_owner("aquasense")  # the other's BM25 cache must notice
    assert all(m.owner != "aquasense" for m in match_owners(other, "leak detection", top_k=5))


def _records_read(index: PassageIndex) -> list[int]:
    """Counts, per call, of the records a question reads back from Chroma (documents)."""
    counts: list[int] = []
    original = index.collection.get

    def counting_get(*args: Any, **kwargs: Any) -> Any:
        rows = original(*args, **kwargs)
        if "documents" in (kwargs.get("include") or []):
            counts.append(len(rows["ids"]))
        return rows

    index.collection.get = counting_get
    return counts


def test_a_repeated_question_reads_only_ids_and_ranks_the_same(fake_index: PassageIndex) -> None:
    fake_index.upsert(member_passages())
    first = match_owners(fake_index, "leak detection in water mains", top_k=3)
    reads = _records_read(fake_index)
    again = match_owners(fake_index, "leak detection in water mains", top_k=3)
    assert again == first and first[0].owner == "aquasense"
    assert sum(reads) == 0  # every candidate's records were kept from the first question


def test_kept_records_follow_another_processs_writes(
    chroma_client: Any, fake_index: PassageIndex
) -> None:
    # `other` is a second process on the same collection; it keeps what its questions read.
    other = PassageIndex(chroma_client, fake_index.embedder, name=fake_index.name.rsplit("-", 2)[0])
    fake_index.upsert(member_passages())
    before = match_owners(other, "robotic snow clearing", top_k=1)[0]
    assert before.owner == "arcticmove"
    assert "Robotic snow clearing" in before.evidence[0].snippet
    old = next(p for p in member_passages() if p.title == "Kirkenes pilot 2023")
    text = "Robotic snow clearing and gritting of icy pavements in Kirkenes."
    fake_index.upsert([replace(old, text=text)])
    after = match_owners(other, "robotic snow clearing", top_k=1)[0]
    assert "gritting of icy pavements" in after.evidence[0].snippet


def test_a_small_record_cache_ranks_as_a_large_one(fake_index: PassageIndex) -> None:
    fake_index.upsert(member_passages())
    queries = ["heat distribution pipes", "parking sensors", "street lights", "shuttle buses"]
    expected = [match_owners(fake_index, q, top_k=3) for q in queries]
    fake_index.records.clear()
    fake_index.records.limit = 3  # fewer than one question's candidates' records
    assert [match_owners(fake_index, q, top_k=3) for q in queries] == expected
    assert len(fake_index.records) <= 3


def _calls(index: PassageIndex) -> list[dict[str, Any]]:
    """The arguments of every `collection.get` the index makes from now on."""
    calls: list[dict[str, Any]] = []
    original = index.collection.get

    def recording_get(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(*args, **kwargs)

    index.collection.get = recording_get
    return calls


def test_allowed_owners_stops_once_enough_are_found_in_order(fake_index: PassageIndex) -> None:
    fake_index.upsert(member_passages())
    ranked = ["parkly", "heatwise", "aquasense", "brightstreet", "arcticmove"]
    not_parkly = {"member": {"$ne": "parkly"}}
    assert fake_index.allowed_owners(ranked, not_parkly) == set(ranked) - {"parkly"}
    fake_index.records.clear()
    # A first group of two (as many as wanted): parkly is refused, so one more owner is
    # checked; the last two are never looked at.
    assert fake_index.allowed_owners(ranked, not_parkly, enough=2) == {"heatwise", "aquasense"}
    looked_at = fake_index.records.owner_ids(ranked)
    assert set(looked_at) == {"parkly", "heatwise", "aquasense"}


def test_allowed_owners_reads_the_kept_records_not_chroma_s_filter(
    fake_index: PassageIndex,
) -> None:
    # Chroma's filtered listing costs in proportion to the whole collection; the owners'
    # records (kept, or listed by owner and kept) answer the filter as well, and `entries`
    # then scores them without listing or reading them again.
    fake_index.upsert(member_passages())
    ranked = ["parkly", "heatwise", "aquasense", "brightstreet", "arcticmove"]
    solvers = {"member": {"$nin": ["parkly", "arcticmove"]}}
    expected = {"heatwise", "aquasense", "brightstreet"}
    calls = _calls(fake_index)
    assert fake_index.allowed_owners(ranked, solvers) == expected
    # One call: the owners' records read whole by owner, not listed and then read by id.
    assert calls == [
        {
            "where": {"owner": {"$in": ranked}},
            "include": ["documents", "metadatas", "embeddings"],
        }
    ]
    entries = fake_index.entries(where=solvers, owners=expected)
    assert set(entries.owners) == expected
    calls.clear()
    assert fake_index.allowed_owners(ranked, solvers) == expected
    # Only the revision marker is read (from its own collection), nothing from this one.
    assert calls == []


def test_warm_keeps_every_record_so_a_question_reads_none_from_chroma(
    fake_index: PassageIndex,
) -> None:
    fake_index.upsert(member_passages())
    every = fake_index.collection.get(include=[])["ids"]
    assert fake_index.warm() == len(every)
    assert len(fake_index.records) == len(every)
    calls = _calls(fake_index)
    ranked = ["parkly", "heatwise", "aquasense", "brightstreet", "arcticmove"]
    solvers = {"member": {"$nin": ["parkly", "arcticmove"]}}
    assert fake_index.allowed_owners(ranked, solvers) == {"heatwise", "aquasense", "brightstreet"}
    # The owners' ids and records were kept by the warm-up: nothing listed, nothing read.
    assert calls == []


def test_warm_lists_every_owner_s_records_beyond_those_it_keeps(
    fake_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 100,000 members a process keeps a tenth of the records; the rest of a question's
    # candidates are read by id, which costs a fraction of Chroma's listing by owner (a filter
    # over the whole collection).
    fake_index.upsert(member_passages())
    every = fake_index.collection.get(include=["metadatas"])
    listed: dict[str, list[str]] = {}
    for rid, meta in zip(every["ids"], every["metadatas"], strict=True):
        listed.setdefault(str(meta["owner"]), []).append(rid)
    monkeypatch.setattr(index_module, "_PAGE", 4)  # the limit is reached after two pages
    fake_index.records.limit = 5
    fake_index.owner_of = lambda rid: rid.split("/")[0]
    assert fake_index.warm() == 8
    assert len(fake_index.records) == 5
    kept = fake_index.records.owner_ids(listed)
    assert {o: sorted(ids) for o, ids in kept.items()} == {
        o: sorted(ids) for o, ids in listed.items()
    }
    query = "snow clearing robots in Kirkenes"
    expected = match_owners(fake_index, query, top_k=None)[:5]
    calls = _calls(fake_index)
    found = match_owners(fake_index, query, top_k=5)
    assert [m.owner for m in found] == [m.owner for m in expected]
    # (kept records hold float16 vectors: KEPT_VECTOR)
    assert [m.score for m in found] == pytest.approx([m.score for m in expected], abs=1e-3)
    # Every record a question read, it read by id: no listing by owner.
    assert calls and all("ids" in c and not c.get("where") for c in calls)


def test_warm_lists_no_owner_cut_off_at_the_limit_when_ids_do_not_say_the_owner(
    fake_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "_PAGE", 4)
    fake_index.upsert(member_passages())
    fake_index.records.limit = 5
    assert fake_index.warm() == 8
    assert fake_index.records.owner_ids(["parkly", "heatwise", "arcticmove"]) == {}


def test_warm_stops_when_another_process_writes(fake_index: PassageIndex) -> None:
    fake_index.upsert(member_passages())
    original = fake_index._read_revision
    reads = iter([original(), "written meanwhile"])
    fake_index._read_revision = lambda: next(reads, "written meanwhile")  # type: ignore[method-assign]
    assert fake_index.warm() == 0
    assert fake_index.records.owner_ids(["parkly"]) == {}


FILTERS: list[dict[str, Any]] = [
    {"member": "parkly"},
    {"member": {"$ne": "parkly"}},
    {"member": {"$in": ["parkly", "aquasense"]}},
    {"member": {"$nin": ["parkly", "aquasense"]}},
    {"$and": [{"kind": "capability"}, {"member": {"$ne": "heatwise"}}]},
    {"$or": [{"kind": "reference"}, {"member": "brightstreet"}]},
    {"$and": [{"level": "passage"}, {"$or": [{"city": "Oulu"}, {"country": "Norway"}]}]},
    {"city": {"$ne": "Oulu"}},  # most records have no city
    {"city": {"$nin": ["Oulu"]}},
    {"year": {"$gte": 2021}},
    {"year": {"$lt": 2021}},
    {"sentence_level": True},
]


def test_the_filter_applied_in_the_process_agrees_with_chroma(fake_index: PassageIndex) -> None:
    passages = member_passages()
    placed = [
        replace(p, metadata={**p.metadata, "city": "Oulu", "country": "Finland", "year": 2020})
        if p.owner == "aquasense"
        else replace(p, metadata={**p.metadata, "country": "Norway", "year": 2023})
        if p.owner == "arcticmove"
        else p
        for p in passages
    ]
    fake_index.upsert(placed)
    rows = fake_index.collection.get(include=["metadatas"])
    for where in FILTERS:
        test = metadata_filter(where)
        assert test is not None, where
        chroma = set(fake_index.collection.get(where=where, include=[])["ids"])
        here = {rid for rid, meta in zip(rows["ids"], rows["metadatas"], strict=True) if test(meta)}
        assert here == chroma, where
        assert chroma, where  # every filter selects something, so none passes by accident


def test_a_narrow_filter_still_finds_its_few_records(fake_index: PassageIndex) -> None:
    parking = [
        Passage(f"park-{n}/0", f"park-{n}", "capability", "Parking", "Parking sensors for drivers.")
        for n in range(30)
    ]
    fake_index.upsert([*member_passages(), *parking])
    assert metadata_filter({"member": {"$regex": "park"}}) is None  # left to Chroma
    # Heatwise is far from parking: the unfiltered search's hits (thirty parking companies)
    # hold none of its records, so Chroma filters after all.
    hits = fake_index.dense_search("parking sensors for drivers", n=2, where={"member": "heatwise"})
    assert [h.owner for h in hits[0]] == ["heatwise", "heatwise"]


class _NotOnDiskYet:
    """A collection whose server refuses the first ``refusals`` queries the way Chroma does
    while another process writes a new collection's first vectors."""

    def __init__(self, collection: Any, refusals: int) -> None:
        self._collection, self.refusals, self.queries = collection, refusals, 0

    def query(self, **kwargs: Any) -> Any:
        self.queries += 1
        if self.queries <= self.refusals:
            raise chromadb.errors.InternalError(
                "Error executing plan: Internal error: Error creating hnsw segment reader: "
                "Nothing found on disk"
            )
        return self._collection.query(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


def test_a_query_while_another_process_fills_the_collection_is_asked_again(
    fake_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_index.upsert(member_passages())
    monkeypatch.setattr("retrieval.index.NOT_ON_DISK_WAITS", (0.0, 0.0, 0.0))
    refusing = _NotOnDiskYet(fake_index.collection, refusals=2)
    fake_index.collection = refusing
    assert match_owners(fake_index, "parking sensors guidance", top_k=1)[0].owner == "parkly"
    assert refusing.queries >= 3


def test_a_collection_still_not_on_disk_is_searched_lexically(
    fake_index: PassageIndex, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake_index.upsert(member_passages())
    monkeypatch.setattr("retrieval.index.NOT_ON_DISK_WAITS", (0.0,))
    fake_index.collection = _NotOnDiskYet(fake_index.collection, refusals=10**6)
    assert fake_index.dense_search("parking sensors guidance", n=3) == [[]]
    assert "still being written" in caplog.text
    # Any other failure of the server is not hidden.
    fake_index.collection = _Failing(fake_index.collection)
    with pytest.raises(RuntimeError, match="disk full"):
        fake_index.dense_search("parking sensors guidance", n=3)


class _Failing(_NotOnDiskYet):
    def __init__(self, collection: Any) -> None:
        super().__init__(collection, refusals=0)

    def query(self, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")


def test_kept_records_hand_back_chroma_s_metadata_and_share_its_texts(
    fake_index: PassageIndex,
) -> None:
    # A process keeps a 10,000-member collection (~130,000 records): one copy of each
    # repeated text and of each set of keys, the metadata rebuilt as Chroma handed it over.
    fake_index.upsert(member_passages())
    rows = fake_index.collection.get(where={"owner": "arcticmove"}, include=["metadatas"])
    kept = fake_index.read(rows["ids"])
    assert len(kept) == len(rows["ids"]) > 2
    for rid, meta in zip(rows["ids"], rows["metadatas"], strict=True):
        assert kept[rid].metadata == meta
    first, second = (kept[rid] for rid in rows["ids"][:2])
    assert first.metadata["owner"] is second.metadata["owner"]
    # One tuple of keys per set of keys, whatever order Chroma listed them in.
    key_sets = {frozenset(r.metadata) for r in kept.values()}
    assert len({id(r._positions) for r in kept.values()}) == len(key_sets)


def test_a_question_reads_the_revision_marker_once(fake_index: PassageIndex) -> None:
    # Each read of the marker is a Chroma call (~10-50 ms under load at 10,000 members); a
    # question read it before each of its 3-4 reads.
    fake_index.upsert(member_passages())
    expected = match_owners(fake_index, "leak detection", top_k=3, where={"member": {"$ne": "x"}})
    reads: list[Any] = []
    original = fake_index._revisions.get

    def counting_get(*args: Any, **kwargs: Any) -> Any:
        reads.append(kwargs)
        return original(*args, **kwargs)

    fake_index._revisions.get = counting_get
    again = match_owners(fake_index, "leak detection", top_k=3, where={"member": {"$ne": "x"}})
    assert again == expected
    assert len(reads) == 1
    # Outside a question, every read checks the marker again.
    fake_index.read(["aquasense/1"])
    assert len(reads) == 2


def test_warm_gives_the_heap_it_freed_back(
    fake_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_index.upsert(member_passages())
    released: list[int] = []
    monkeypatch.setattr(
        "retrieval.index.release_freed_heap", lambda: released.append(len(fake_index.records))
    )
    read = fake_index.warm()
    assert released == [read] and read > 0


def test_a_write_drops_only_the_written_owners_records_in_another_process(
    chroma_client: Any, fake_index: PassageIndex
) -> None:
    other = PassageIndex(chroma_client, fake_index.embedder, name=fake_index.name.rsplit("-", 2)[0])
    fake_index.upsert(member_passages())
    owners = sorted({p.owner for p in member_passages()})
    other.warm()
    kept = len(other.records)
    assert kept > 0
    old = next(p for p in member_passages() if p.title == "Kirkenes pilot 2023")
    text = "Robotic snow clearing and gritting of icy pavements in Kirkenes."
    fake_index.upsert([replace(old, text=text)])  # "arcticmove" written by the first process
    calls = _calls(other)
    after = match_owners(other, "robotic snow clearing", top_k=1)[0]
    assert "gritting of icy pavements" in after.evidence[0].snippet
    # Only arcticmove's records were read again; the other owners' stayed kept.
    # (The in-memory BM25 of an index without the store's full text lists the passages.)
    read_again = [c for c in calls if "embeddings" in c.get("include", [])]
    assert read_again and all("arcticmove" in str(c) for c in read_again)
    assert set(other.records.owner_ids(owners)) >= set(owners) - {"arcticmove"}


def test_kept_records_are_all_dropped_when_the_log_does_not_reach_back(
    chroma_client: Any, fake_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = PassageIndex(chroma_client, fake_index.embedder, name=fake_index.name.rsplit("-", 2)[0])
    fake_index.upsert(member_passages())
    other.warm()
    assert len(other.records) > 0
    # More writes than the log keeps: the other process cannot tell which owners changed.
    monkeypatch.setattr("retrieval.index.CHANGES_KEPT", 2)
    for n in range(4):
        fake_index.upsert([Passage(f"x/{n}", "x", "capability", "", f"winter cycling {n}")])
    other.read(["parkly/1"])
    assert set(other.records.owner_ids(["parkly", "heatwise"])) == set()
    # A delete by passage id is not logged by owner: everything is dropped too.
    other.warm()
    fake_index.delete(["x/0"])
    other.read(["parkly/1"])
    assert other.records.owner_ids(["heatwise"]) == {}


def test_the_read_ahead_is_lost_only_when_what_it_read_is_dropped_whole(
    chroma_client: Any, fake_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = PassageIndex(chroma_client, fake_index.embedder, name=fake_index.name.rsplit("-", 2)[0])
    fake_index.upsert(member_passages())
    assert not other.read_ahead_lost()  # never asked for
    other.warm()
    assert not other.read_ahead_lost()
    # A write logged by owner drops that owner's records only: the rest stay read ahead.
    fake_index.upsert([Passage("x/0", "x", "capability", "", "winter cycling")])
    assert not other.read_ahead_lost() and len(other.records) > 0
    # One too large to log drops everything, in every process.
    monkeypatch.setattr("retrieval.index.CHANGE_OWNERS", 0)
    fake_index.upsert([Passage("y/0", "y", "capability", "", "winter cycling 1")])
    assert other.read_ahead_lost() and len(other.records) == 0
    other.warm()
    assert not other.read_ahead_lost()
    # A process's first read-ahead, stopped part way by a write, is lost too.
    third = PassageIndex(chroma_client, fake_index.embedder, name=fake_index.name.rsplit("-", 2)[0])
    original = third._read_revision
    reads = iter([original(), "written meanwhile"])
    third._read_revision = lambda: next(reads, original())  # type: ignore[method-assign]
    assert third.warm() == 0
    assert third.read_ahead_lost()


def test_a_read_of_many_records_asks_for_them_in_parts_at_once(
    fake_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 100,000 members a cold question reads ~2,000 records from the `chroma run` server;
    # in one request the server's work and this process's decoding come one after the other.
    fake_index.upsert(member_passages())
    every = fake_index.collection.get(include=[])["ids"]
    monkeypatch.setattr(index_module, "READ_PART", 3)
    monkeypatch.setattr(index_module, "READ_PARTS", 4)
    both_asked = threading.Barrier(2, timeout=10)
    original = fake_index.collection.get
    parts: list[list[str]] = []

    def get_once_another_part_is_asked(*args: Any, **kwargs: Any) -> Any:
        parts.append(list(kwargs["ids"]))
        if len(parts) <= 2:
            both_asked.wait()  # asked one after the other, this would time out
        return original(*args, **kwargs)

    fake_index.collection.get = get_once_another_part_is_asked
    wanted = every[:9]
    found = fake_index.read(wanted)
    assert sorted(found) == sorted(wanted)
    assert len(parts) == 3 and sorted(rid for part in parts for rid in part) == sorted(wanted)
    fake_index.collection.get = original
    fake_index.records.clear()
    assert {rid: r.document for rid, r in fake_index.read(wanted).items()} == {
        rid: r.document for rid, r in found.items()
    }


def test_a_question_overlapping_a_write_keeps_the_records_read_ahead(
    chroma_client: Any, fake_index: PassageIndex
) -> None:
    # `scic serve`'s indexer writes while questions run: a question pinned to the revision
    # before the write read its records after the write had moved the kept ones on, and every
    # kept record was dropped (the log was read from the newer revision back to the older).
    fake_index.upsert(member_passages())
    assert fake_index.warm() > 0
    kept = len(fake_index.records)
    some = next(p.id for p in member_passages() if p.owner == "parkly")
    with fake_index.one_revision():
        fake_index.upsert([Passage("x/0", "x", "capability", "", "winter cycling")])
        assert some in fake_index.read([some])
    assert len(fake_index.records) == kept
    # Another process: a question at the newer revision first, then one pinned before it.
    other = PassageIndex(chroma_client, fake_index.embedder, name=fake_index.name.rsplit("-", 2)[0])
    other.warm()
    kept = len(other.records)
    with other.one_revision():
        fake_index.upsert([Passage("y/0", "y", "capability", "", "winter cycling 1")])
        newer = threading.Thread(target=other.read, args=([some],))
        newer.start()
        newer.join()
        assert some in other.read([some])
    assert len(other.records) == kept
    assert not other.read_ahead_lost()


def test_kept_records_moved_on_by_a_question_stay_when_the_writer_moves_them_too() -> None:
    # The writer records the new revision, then moves its process's records on; a question
    # reading the new revision in between moves them first. The second move dropped them all.
    cache = RecordCache()
    cache.check("r0")
    cache.put_many(
        {f"{o}/0": KeptRecord("text", {"owner": o}, None) for o in ("a", "b", "c")}, "r0"
    )
    cache.forget({"a"}, "r0", "r1")  # the question
    cache.forget({"a"}, "r0", "r1")  # the writer
    assert sorted(cache.get_many(["a/0", "b/0", "c/0"])) == ["b/0", "c/0"]
    assert cache.revision == "r1" and cache.drops == 0


def test_a_write_drops_its_owners_records_whatever_came_and_went_before() -> None:
    # A write finds its owners' kept records by owner (not by scanning all of them): records
    # pushed out by the limit, or kept again under another owner, are found as they are now.
    cache = RecordCache(limit=4)
    cache.check("r0")

    def record(owner: str) -> KeptRecord:
        return KeptRecord("text", {"owner": owner}, None)

    cache.put_many({"a/0": record("a"), "a/1": record("a"), "b/0": record("b")}, "r0")
    cache.put_many({"c/0": record("c"), "c/1": record("c")}, "r0")  # a/0 pushed out
    cache.put_many({"b/0": record("c")}, "r0")  # b/0 now kept as c's
    assert sorted(cache.get_many(["a/0", "a/1", "b/0", "c/0", "c/1"])) == [
        "a/1",
        "b/0",
        "c/0",
        "c/1",
    ]
    cache.forget({"b"}, "r0", "r1")
    assert len(cache) == 4
    cache.forget({"c"}, "r1", "r2")
    assert sorted(cache.get_many(["a/0", "a/1", "b/0", "c/0", "c/1"])) == ["a/1"]
    cache.forget({"a", "nobody"}, "r2", "r3")
    assert len(cache) == 0 and cache.drops == 0


def test_a_record_read_before_a_write_is_not_kept_after_it(fake_index: PassageIndex) -> None:
    fake_index.upsert(member_passages())
    first = next(p for p in member_passages() if p.owner == "parkly")
    stale = fake_index.read([first.id])
    revision = fake_index.records.revision
    assert stale and revision is not None
    fake_index.upsert([replace(first, text="Parking guidance, rewritten.")])
    assert fake_index.records.revision != revision
    # A question that read at the old revision hands its records over late: not kept.
    fake_index.records.put_many(stale, revision)
    assert fake_index.records.get_many([first.id]) == {}
    assert fake_index.read([first.id])[first.id].document.endswith("Parking guidance, rewritten.")
