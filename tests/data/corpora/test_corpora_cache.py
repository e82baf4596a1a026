"""End to end for two corpora: served archive -> download -> prepare -> `asnet cache` shards."""
from __future__ import annotations

import pytest

from asnet.cli import main as cli
from asnet.data.manifest import read_manifest
from asnet.data.shards import WaveShards
from tests.data.corpora.corpus_fixtures import make_fixture_archive


@pytest.mark.parametrize("corpus", ["asvspoof2019_la", "in_the_wild"])  # three splits; eval only
def test_a_prepared_corpus_caches_into_every_split(corpus, archive_server, tmp_path, corpus_params):
    make_fixture_archive(corpus, archive_server.root)
    raw, out, cache = (tmp_path / "data" / kind / corpus for kind in ("raw", "prepared", "cache"))
    assert cli(["download", corpus, "--out", str(raw), "--url-base", archive_server.url,
                "--checksums", str(archive_server.root / "SHA256SUMS")]) == 0
    assert cli(["prepare", corpus, "--raw", str(raw), "--out", str(out), "--params", str(corpus_params)]) == 0
    assert cli(["cache", "--manifest", str(out / "manifest.csv"), "--out", str(cache), "--params", str(corpus_params),
                "--workers", "2"]) == 0
    rows = read_manifest(out / "manifest.csv")
    for split in ("train", "dev", "eval"):
        expected = sorted(r.utt_id for r in rows if r.split == split)
        shards = WaveShards(cache / split)
        assert [c.utt_id for c in shards.clips] == expected
        assert all(c.length == 4800 for c in shards.clips)  # 0.3 s at 16 kHz, from every native rate
