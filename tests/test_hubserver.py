"""The local hub (tests/hubserver.py) against the real huggingface_hub and datasets clients, over real HTTP."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

from tests.hubserver import hub_env, hub_environment, local_hub

TOKEN = "hf_test_token"


@pytest.fixture
def hub(monkeypatch, tmp_path):
    with local_hub(token=TOKEN) as server:
        hub_environment(monkeypatch, server, tmp_path / "hf")
        yield server


def make_model(folder: Path, version: int = 1) -> dict[str, bytes]:
    """A small model folder: config.json, README.md and a 1 MB random model.safetensors."""
    files = {"config.json": json.dumps({"hidden_size": 16, "version": version}).encode(),
             "README.md": f"---\nlicense: mit\n---\n# Tiny model v{version}\n".encode(),
             "model.safetensors": os.urandom(1024 * 1024)}
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def read_folder(folder: Path) -> dict[str, bytes]:
    """{relative path: bytes} of a downloaded folder, without huggingface_hub's .cache bookkeeping."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and ".cache" not in p.parts}


def push(api: HfApi, repo_id: str, folder: Path, version: int) -> tuple[str, dict[str, bytes]]:
    """Write version `version` of the model in `folder` and upload it; (commit sha, files)."""
    files = make_model(folder, version)
    return api.upload_folder(folder_path=folder, repo_id=repo_id, commit_message=f"v{version}").oid, files


def test_push_then_pull_gives_identical_bytes(hub, tmp_path):
    api = HfApi()
    assert api.create_repo("user/tiny").repo_id == "user/tiny"
    api.create_repo("user/tiny", exist_ok=True)
    commit, files = push(api, "user/tiny", tmp_path / "model", 1)

    assert commit == hub.head("user/tiny")
    assert hub.storage.repos["model", "user/tiny"].commits[commit].files["model.safetensors"].lfs
    assert any(method == "PUT" and path.startswith("/lfs-upload/") for method, path in hub.requests)
    pulled = snapshot_download("user/tiny", local_dir=tmp_path / "pulled")
    assert read_folder(Path(pulled)) == files
    config = hf_hub_download("user/tiny", "config.json", cache_dir=tmp_path / "cache")
    assert Path(config).read_bytes() == files["config.json"]
    info = api.repo_info("user/tiny", files_metadata=True)
    assert info.sha == commit
    assert sorted(sibling.rfilename for sibling in info.siblings) == sorted(files)
    weights = next(sibling for sibling in info.siblings if sibling.rfilename == "model.safetensors")
    assert weights.lfs.size == weights.size == 1024 * 1024
    assert weights.lfs.sha256 == hashlib.sha256(files["model.safetensors"]).hexdigest()
    assert api.whoami()["name"] == "user"


def test_old_commit_sha_pulls_the_old_files(hub, tmp_path):
    api = HfApi()
    api.create_repo("user/versions")
    first_commit, first = push(api, "user/versions", tmp_path / "v1", 1)
    second_commit, second = push(api, "user/versions", tmp_path / "v2", 2)

    old = snapshot_download("user/versions", revision=first_commit, cache_dir=tmp_path / "cache")
    new = snapshot_download("user/versions", revision="main", cache_dir=tmp_path / "cache")
    assert read_folder(Path(old)) == first
    assert read_folder(Path(new)) == second
    assert [c.commit_id for c in api.list_repo_commits("user/versions")][:2] == [second_commit, first_commit]


def test_branches(hub, tmp_path):
    api = HfApi()
    api.create_repo("user/branched")
    main_commit, main_files = push(api, "user/branched", tmp_path / "v1", 1)
    api.create_branch("user/branched", branch="dev")
    api.create_branch("user/branched", branch="dev", exist_ok=True)
    dev_files = make_model(tmp_path / "v2", 2)
    dev_commit = api.upload_folder(folder_path=tmp_path / "v2", repo_id="user/branched", revision="dev").oid
    assert hub.head("user/branched") == main_commit and hub.head("user/branched", branch="dev") == dev_commit
    assert read_folder(Path(snapshot_download("user/branched", revision="dev", cache_dir=tmp_path / "c"))) == dev_files
    assert read_folder(Path(snapshot_download("user/branched", cache_dir=tmp_path / "c"))) == main_files
    with pytest.raises(RevisionNotFoundError):
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="user/branched", revision="nope")


def test_wrong_token_is_refused_without_echoing_it(hub, tmp_path):
    HfApi().create_repo("user/guarded")
    make_model(tmp_path / "model")
    wrong = "hf_wrong_token_0123456789"
    with pytest.raises(HfHubHTTPError) as caught:
        HfApi(token=wrong).upload_folder(folder_path=tmp_path / "model", repo_id="user/guarded")
    assert caught.value.response.status_code == 401
    assert wrong not in str(caught.value) and TOKEN not in str(caught.value)
    with pytest.raises(HfHubHTTPError) as caught:
        HfApi(token=wrong).whoami()
    assert caught.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError) as caught:  # no token at all: writes are refused too
        HfApi(token=False).create_repo("user/anonymous")
    assert caught.value.response.status_code == 401
    assert hub.files("user/guarded") == {} and ("model", "user/anonymous") not in hub.storage.repos


def test_missing_repo_raises_repository_not_found(hub, tmp_path):
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("user/nowhere", "config.json", cache_dir=tmp_path / "cache")


def test_interrupted_download_keeps_the_cached_copy(hub, tmp_path, no_retry_waits):
    api = HfApi()
    api.create_repo("user/flaky")
    push(api, "user/flaky", tmp_path / "v1", 1)
    old_path = Path(hf_hub_download("user/flaky", "model.safetensors", cache_dir=tmp_path / "cache"))
    first = old_path.read_bytes()
    push(api, "user/flaky", tmp_path / "v2", 2)

    hub.cut_download("user/flaky", "model.safetensors")
    with pytest.raises(httpx2.RemoteProtocolError, match="peer closed connection without sending complete message"):
        hf_hub_download("user/flaky", "model.safetensors", cache_dir=tmp_path / "cache")
    assert old_path.read_bytes() == first
    assert not list((tmp_path / "cache").rglob("*.incomplete"))
    hub.clear_faults()
    second = Path(hf_hub_download("user/flaky", "model.safetensors", cache_dir=tmp_path / "cache")).read_bytes()
    assert second == hub.files("user/flaky")["model.safetensors"] != first
    assert old_path.read_bytes() == first


def test_interrupted_download_into_local_dir_loses_the_old_file(hub, tmp_path, no_retry_waits):
    """huggingface_hub 2.4 deletes an outdated local_dir file *before* downloading its new version
    (`paths.file_path.unlink(...)  # delete outdated file first` in `_hf_hub_download_to_local_dir`): a pull that
    must keep the old copy when it fails has to download to the cache (or a temporary dir) and swap afterwards."""
    api = HfApi()
    api.create_repo("user/flaky")
    push(api, "user/flaky", tmp_path / "v1", 1)
    local = tmp_path / "local"
    hf_hub_download("user/flaky", "model.safetensors", local_dir=local)
    push(api, "user/flaky", tmp_path / "v2", 2)

    hub.cut_download("user/flaky", "model.safetensors")
    with pytest.raises(httpx2.RemoteProtocolError):
        hf_hub_download("user/flaky", "model.safetensors", local_dir=local)
    assert not (local / "model.safetensors").exists()
    gets = [path for method, path in hub.requests if method == "GET" and path.endswith("/model.safetensors")]
    assert len(gets) == 1 + 6  # the first download, then the cut one and its 5 retries


def test_one_cut_is_healed_by_the_client_retry(hub, tmp_path, no_retry_waits):
    api = HfApi()
    api.create_repo("user/flaky")
    _, files = push(api, "user/flaky", tmp_path / "v1", 1)
    hub.cut_download("user/flaky", "model.safetensors", times=1)
    path = hf_hub_download("user/flaky", "model.safetensors", cache_dir=tmp_path / "cache")
    assert Path(path).read_bytes() == files["model.safetensors"]


def test_interrupted_lfs_upload_leaves_the_previous_commit(hub, tmp_path, no_retry_waits):
    api = HfApi()
    api.create_repo("user/halfway")
    first_commit, first = push(api, "user/halfway", tmp_path / "v1", 1)
    make_model(tmp_path / "v2", 2)

    hub.break_lfs_uploads()
    seen = len(hub.requests)
    with pytest.raises(RuntimeError, match="Error while uploading 'model.safetensors' to the Hub") as caught:
        api.upload_folder(folder_path=tmp_path / "v2", repo_id="user/halfway")
    assert isinstance(caught.value.__cause__, httpx2.TransportError)
    methods = [method for method, _ in hub.requests[seen:]]
    assert methods.count("PUT") == 6 and "/commit/" not in str(hub.requests[seen:])
    assert api.repo_info("user/halfway").sha == first_commit
    assert hub.files("user/halfway") == first
    assert read_folder(Path(snapshot_download("user/halfway", local_dir=tmp_path / "pulled"))) == first


def test_truncated_lfs_put_stores_nothing(hub):
    """A PUT whose body stops short of its Content-Length must not create the object (raw socket client)."""
    data = os.urandom(4096)
    oid = hashlib.sha256(data).hexdigest()
    HfApi().create_repo("user/raw")
    batch = {"operation": "upload", "objects": [{"oid": oid, "size": len(data)}]}
    request = urllib.request.Request(f"{hub.endpoint}/user/raw.git/info/lfs/objects/batch", json.dumps(batch).encode(),
                                     {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    href = json.load(urllib.request.urlopen(request))["objects"][0]["actions"]["upload"]["href"]
    with socket.create_connection(hub.server.server_address) as sock:
        head = f"PUT {href.removeprefix(hub.endpoint)} HTTP/1.1\r\nHost: hub\r\nContent-Length: {len(data)}\r\n\r\n"
        sock.sendall(head.encode() + data[:1000])
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(100) == b""  # no answer, connection closed
    assert oid not in hub.storage.lfs_objects
    wrong = urllib.request.Request(href, data[:-1] + b"x", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as caught:  # right size, wrong sha256
        urllib.request.urlopen(wrong)
    assert caught.value.code == 400 and oid not in hub.storage.lfs_objects


def test_resolve_headers_and_ranges(hub, tmp_path):
    api = HfApi()
    api.create_repo("user/ranges")
    commit, files = push(api, "user/ranges", tmp_path / "model", 1)
    url = f"{hub.endpoint}/user/ranges/resolve/main/"
    with urllib.request.urlopen(urllib.request.Request(url + "model.safetensors", method="HEAD")) as response:
        sha256 = hashlib.sha256(files["model.safetensors"]).hexdigest()
        assert response.headers["ETag"] == response.headers["X-Linked-Etag"] == f'"{sha256}"'
        assert response.headers["X-Repo-Commit"] == commit
        assert response.headers["Content-Length"] == response.headers["X-Linked-Size"] == str(1024 * 1024)
    with urllib.request.urlopen(url + "config.json") as response:
        blob = files["config.json"]
        git_blob_id = hashlib.sha1(b"blob %d\0" % len(blob) + blob).hexdigest()  # what `git hash-object` prints
        assert response.headers["ETag"] == f'"{git_blob_id}"'
        assert response.read() == blob
    ranged = urllib.request.Request(url + "model.safetensors", headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(ranged) as response:
        assert response.status == 206 and response.read() == files["model.safetensors"][10:20]
        assert response.headers["Content-Range"] == f"bytes 10-19/{1024 * 1024}"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(url + "config.json", headers={"Range": "bytes=9999-"}))
    assert caught.value.code == 416
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{hub.endpoint}/api/not-a-route")
    assert caught.value.code == 404 and "error" in json.load(caught.value)


def test_datasets_push_to_hub_then_load_dataset(hub, tmp_path):
    from datasets import Dataset, DatasetDict, load_dataset

    train = {"text": ["a cat", "a dog", "a bird"], "label": [0, 1, 0]}
    test = {"text": ["a fish"], "label": [1]}
    splits = DatasetDict({"train": Dataset.from_dict(train), "test": Dataset.from_dict(test)})
    splits.push_to_hub("user/ds", token=TOKEN)
    assert sorted(hub.files("user/ds", repo_type="dataset")) == [
        "README.md", "data/test-00000-of-00001.parquet", "data/train-00000-of-00001.parquet"]
    loaded = load_dataset("user/ds", cache_dir=str(tmp_path / "datasets_cache"))
    assert loaded["train"].to_dict() == train
    assert loaded["test"].to_dict() == test


def test_private_repo_needs_the_token(hub, tmp_path):
    api = HfApi()
    api.create_repo("user/secret", private=True)
    _, files = push(api, "user/secret", tmp_path / "model", 1)
    assert api.repo_info("user/secret").private
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("user/secret", "config.json", cache_dir=tmp_path / "anonymous", token=False)
    with pytest.raises(RepositoryNotFoundError):
        HfApi(token=False).repo_info("user/secret")
    assert Path(hf_hub_download("user/secret", "config.json", cache_dir=tmp_path / "cache")).read_bytes() == \
        files["config.json"]


def test_subprocess_client_uses_hub_env(tmp_path):
    """Without monkeypatching: a fresh interpreter configured by `hub_env` alone (how a CLI test would run)."""
    with local_hub(token=TOKEN) as hub:
        hub.storage.create_repo("model", "user/cli", private=False, url="")
        script = ("from huggingface_hub import HfApi, hf_hub_download; import pathlib;"
                  "HfApi().upload_file(path_or_fileobj=b'hi', path_in_repo='a.txt', repo_id='user/cli');"
                  "print(pathlib.Path(hf_hub_download('user/cli', 'a.txt')).read_text())")
        result = subprocess.run([sys.executable, "-c", script], env={**os.environ, **hub_env(hub, tmp_path)},
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "hi" and hub.files("user/cli") == {"a.txt": b"hi"}
        assert list((tmp_path / "hub").iterdir())  # the subprocess cached under the given dir


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_a_hung_request_gets_no_answer_and_the_next_one_does(hub, tmp_path):
    api = HfApi()
    api.create_repo("user/slow")
    url = f"{hub.endpoint}/api/models/user/slow"
    hub.hang(times=1, path="/api/models/user/slow")
    with pytest.raises(httpx2.ReadTimeout):  # accepted, read, never answered
        httpx2.get(url, timeout=httpx2.Timeout(5, read=1))
    assert httpx2.get(url, timeout=5).json()["id"] == "user/slow"
    hub.hang(path="/api/models/user/slow")  # until cleared: the hung handler then lets go of its connection
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.get(url, timeout=httpx2.Timeout(5, read=1))
    hub.clear_faults()
    assert httpx2.get(url, timeout=5).json()["id"] == "user/slow"


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
@pytest.mark.parametrize("body_only", [False, True])
def test_a_trickled_answer_defeats_read_timeouts_then_arrives_whole(hub, tmp_path, body_only):
    api = HfApi()
    api.create_repo("user/trickle")
    data = os.urandom(5000)
    api.upload_file(path_or_fileobj=data, path_in_repo="blob.bin", repo_id="user/trickle")
    hub.trickle(1.5, every=0.1, path="/resolve/main/blob.bin", times=1, body_only=body_only)
    url = f"{hub.endpoint}/user/trickle/resolve/main/blob.bin"
    started = time.monotonic()
    response = httpx2.get(url, timeout=httpx2.Timeout(5, read=1), follow_redirects=True)  # no read waits 1 s
    assert response.content == data and time.monotonic() - started >= 1.5
    assert httpx2.get(url, follow_redirects=True).content == data  # times=1: the next answer comes at once
