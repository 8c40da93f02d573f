"""A local Hugging Face Hub for tests: enough of the Hub HTTP API for the real `huggingface_hub` and `datasets`.

Stdlib only (`ThreadingHTTPServer` in a daemon thread); the real clients talk real HTTP to it::

    from huggingface_hub import HfApi
    from tests.hubserver import hub_environment, local_hub

    def test_push(monkeypatch, tmp_path):
        with local_hub(token="hf_test_token") as hub:
            hub_environment(monkeypatch, hub, tmp_path / "hf")  # env vars + the constants read at import time
            api = HfApi()  # create HfApi objects *after* hub_environment: they copy the endpoint
            api.create_repo("user/model")
            api.upload_folder(folder_path="my_model", repo_id="user/model")

For a subprocess (e.g. the CLI), pass `env={**os.environ, **hub_env(hub, cache_dir)}` instead.

Repositories live in memory: per repo, commits (each a full mapping path -> blob) and branches. LFS objects go
through the LFS batch API, then a PUT to a one-time upload URL (like the Hub's presigned S3 URLs: the client sends no
token with that PUT; the batch call that hands out the URL needs it). Faults for tests: `hub.cut_download(...)`,
`hub.break_lfs_uploads(...)`, `hub.hang(...)` (accept, never answer), `hub.trickle(...)` (answer a byte at a time,
then whole). Routes the server lacks answer 404 and are printed to stderr.
"""
from __future__ import annotations

import base64
import hashlib
import gzip
import itertools
import json
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".parquet", ".arrow", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".npz", ".h5", ".zip")
LFS_MIN_SIZE = 10 * 1024 * 1024  # larger files go to LFS whatever their name
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}
USER = "user"  # whoami's name and the namespace of repos created without an organization
HANG_LIMIT = 300  # seconds a hung request waits at most for clear_faults() (the server's threads end anyway)


def now_iso() -> str:
    """The current UTC time in the Hub's format ('2024-01-31T12:00:00.000Z')."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def git_sha1(data: bytes) -> str:
    """The git blob id of `data` (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


PIPELINE_TAGS = {"text-generation", "text-classification", "time-series-forecasting", "tabular-regression"}
SIZE_CATEGORIES = {"n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "n>10M"}
LISTS = {"model": ("language", "tags", "datasets"), "dataset": ("language", "task_categories", "size_categories")}


def card_errors(content: str, repo_type: str) -> list[str]:
    """What the Hub's card validation would refuse, in a minimal schema: the front matter is a YAML mapping; its
    list fields are lists of strings; a model's pipeline_tag is a known task and its model-index names a task, a
    dataset and metrics with a type and a value; a dataset's task categories and size categories are known ones."""
    import yaml

    match = re.match(r"---\n(.*?)\n---\n", content, re.S)
    data = yaml.safe_load(match[1]) if match else {}
    if not isinstance(data, dict):
        return ["the metadata is not a YAML mapping"]
    errors = [f"{key} must be a list of strings" for key in LISTS.get(repo_type, ())
              if key in data and not (isinstance(data[key], list) and all(isinstance(v, str) for v in data[key]))]
    if repo_type == "model" and data.get("pipeline_tag", "text-generation") not in PIPELINE_TAGS:
        errors.append(f"pipeline_tag {data['pipeline_tag']!r} is not a task")
    for entry in data.get("model-index", []) if repo_type == "model" else []:
        for result in entry.get("results", []):
            if not (result.get("task", {}).get("type") and result.get("dataset", {}).get("name")
                    and result.get("dataset", {}).get("type")):
                errors.append("a model-index result needs task.type, dataset.name and dataset.type")
            if not all("type" in metric and "value" in metric for metric in result.get("metrics", [])):
                errors.append("a model-index metric needs a type and a value")
    if repo_type == "dataset":
        errors += [f"task_categories: {value!r} is not a task" for value in data.get("task_categories") or []
                   if value not in PIPELINE_TAGS]
        errors += [f"size_categories: {value!r} is not a size category" for value in data.get("size_categories") or []
                   if value not in SIZE_CATEGORIES]
    return errors


def is_true(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


class HubError(Exception):
    """An error answer: status, message, the Hub's X-Error-Code (RepoNotFound, EntryNotFound...), extra JSON."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None, **extra):
        super().__init__(message)
        self.status, self.message, self.code, self.headers, self.extra = status, message, code, headers or {}, extra


@dataclass
class Blob:
    """A file's content. An LFS blob's git id is that of its pointer file; its ETag is its sha256."""

    data: bytes
    lfs: bool

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @cached_property
    def pointer(self) -> bytes:
        return f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\nsize {len(self.data)}\n".encode()

    @cached_property
    def oid(self) -> str:
        return git_sha1(self.pointer if self.lfs else self.data)

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.oid


@dataclass
class Commit:
    sha: str
    files: dict[str, Blob]
    title: str
    parent: str | None
    date: str = field(default_factory=now_iso)

    def entry(self, path: str, expand: bool = False) -> dict | None:
        """The tree / paths-info entry of a file or folder (None if neither); `expand` adds lastCommit."""
        if path in self.files:
            blob = self.files[path]
            entry = {"type": "file", "path": path, "oid": blob.oid, "size": len(blob.data)}
            if blob.lfs:
                entry["lfs"] = {"oid": blob.sha256, "size": len(blob.data), "pointerSize": len(blob.pointer)}
        elif any(name.startswith(path + "/") for name in self.files):
            entry = {"type": "directory", "path": path, "oid": git_sha1(f"{self.sha}:{path}".encode()), "size": 0}
        else:
            return None
        if expand:  # the head commit stands in for the last commit touching the path
            entry["lastCommit"] = {"id": self.sha, "title": self.title, "date": self.date}
        return entry


@dataclass
class Repo:
    type: str
    id: str
    private: bool
    created: str = field(default_factory=now_iso)
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    variables: dict[str, dict] = field(default_factory=dict)  # a Space's: key -> {"value", "description", "updatedAt"}

    def resolve(self, revision: str) -> Commit:
        """The commit a branch name or a full commit sha points to, or RevisionNotFound."""
        sha = self.branches.get(revision.removeprefix("refs/heads/"), revision)
        if sha not in self.commits:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return self.commits[sha]


class HubStorage:
    """All repositories, uploaded LFS objects, pending LFS upload URLs and armed faults, behind one lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}  # sha256 -> content
        self.upload_tickets: dict[str, tuple[str, int]] = {}  # ticket in the upload URL -> (sha256, size)
        self.faults: dict[tuple, int | None] = {}  # key -> remaining count, None = until cleared
        self._counter = itertools.count()

    def create_repo(self, repo_type: str, repo_id: str, private: bool, url: str) -> Repo:
        with self.lock:
            if (repo_type, repo_id) in self.repos:
                raise HubError(409, f"You already created this {repo_type} repo", url=url)
            repo = self.repos[repo_type, repo_id] = Repo(repo_type, repo_id, private)
            self.add_commit(repo, "main", {}, "initial commit")
            return repo

    def add_commit(self, repo: Repo, branch: str, files: dict[str, Blob], title: str) -> Commit:
        """Record a commit holding exactly `files` on top of `branch` (created if new); move the branch to it."""
        with self.lock:
            parent = repo.branches.get(branch)
            tree = sorted((path, blob.oid) for path, blob in files.items())
            seed = [repo.type, repo.id, parent, title, tree, next(self._counter)]
            sha = hashlib.sha1(json.dumps(seed).encode()).hexdigest()
            repo.commits[sha] = Commit(sha, dict(files), title, parent)
            repo.branches[branch] = sha
            return repo.commits[sha]

    def apply_commit(self, repo: Repo, branch: str, lines: list[dict]) -> Commit:
        """Apply an NDJSON commit payload (header, file, lfsFile, deletedFile, deletedFolder) to `branch`."""
        with self.lock:
            head = repo.resolve(branch)
            header = next((line["value"] for line in lines if line["key"] == "header"), {})
            if header.get("parentCommit") not in (None, head.sha):
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            files = dict(head.files)
            for line in lines:
                self._apply_operation(files, line["key"], line["value"])
            return self.add_commit(repo, branch, files, header.get("summary") or "Commit")

    def _apply_operation(self, files: dict[str, Blob], key: str, value: dict) -> None:
        path = value.get("path", "")
        if key == "file":
            files[path] = Blob(base64.b64decode(value["content"]), lfs=False)
        elif key == "lfsFile":
            data = self.lfs_objects.get(value["oid"])
            if data is None or value.get("size", len(data)) != len(data):
                raise HubError(422, f"LFS object {value['oid']} of '{path}' was never uploaded")
            files[path] = Blob(data, lfs=True)
        elif key == "deletedFile":
            if files.pop(path, None) is None:
                raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
        elif key == "deletedFolder":
            for name in [name for name in files if name.startswith(path.rstrip("/") + "/")]:
                del files[name]
        elif key != "header":
            raise HubError(400, f"Unsupported commit operation: {key}")

    def upload_url_ticket(self, oid: str, size: int) -> str:
        with self.lock:
            ticket = secrets.token_hex(16)
            self.upload_tickets[ticket] = (oid, size)
            return ticket

    def take_matching_fault(self, kind: str, path: str) -> tuple | None:
        """The first armed fault of `kind` whose path fragment (its key's second item) is in `path`, consuming one of
        its remaining times; None when there is none."""
        with self.lock:
            key = next((key for key in self.faults if key[0] == kind and key[1] in path), None)
            return key if key is not None and self.take_fault(key) else None

    def take_fault(self, key: tuple) -> bool:
        """Whether a fault is armed for `key`; consumes one of its remaining times."""
        with self.lock:
            if key not in self.faults:
                return False
            if self.faults[key] is not None:
                self.faults[key] -= 1
                if self.faults[key] <= 0:
                    del self.faults[key]
            return True


class HubHandler(BaseHTTPRequestHandler):
    """One request: route it, check the token, answer JSON or file bytes; errors are JSON {"error": ...}."""

    protocol_version = "HTTP/1.1"
    API = r"/api/(?P<type>models|datasets|spaces)/(?P<id>[^/]+/[^/]+)"
    GIT = r"/(?:(?P<type>datasets|spaces)/)?(?P<id>[^/]+/[^/]+)"
    REV = r"/(?P<rev>[^/]+)"
    ROUTES = [("GET", r"/api/whoami-v2", "whoami"), ("POST", r"/api/repos/create", "create_repo"),
              ("POST", r"/api/validate-yaml", "validate_yaml"), ("GET", API + f"(?:/revision{REV})?", "repo_info"),
              ("GET", API + f"/tree{REV}(?:/(?P<path>.+))?", "tree"), ("GET", API + f"/commits{REV}", "commits"),
              ("POST", API + f"/paths-info{REV}", "paths_info"),
              ("POST", API + f"/preupload{REV}", "preupload"), ("POST", API + f"/commit{REV}", "commit"),
              ("POST", API + r"/branch/(?P<branch>[^/]+)", "create_branch"),
              ("POST", GIT + r"\.git/info/lfs/objects/batch", "lfs_batch"),
              ("PUT", r"/lfs-upload/(?P<ticket>[0-9a-f]+)", "lfs_put"),
              ("GET", GIT + f"/resolve{REV}/(?P<path>.+)", "resolve"),
              ("GET", r"/api/spaces/(?P<id>[^/]+/[^/]+)/variables", "space_variables"),
              ("POST", r"/api/spaces/(?P<id>[^/]+/[^/]+)/variables", "add_space_variable")]

    def do_GET(self):
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def _dispatch(self) -> None:
        """Find the route (HEAD goes where GET goes), check the token, answer HubErrors as JSON."""
        self.hub: LocalHub = self.server.hub  # type: ignore[attr-defined]
        self.storage, url = self.hub.storage, urlsplit(self.path)
        self.query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        self.body_read = self.command in ("GET", "HEAD")
        self.hub.requests.append((self.command, url.path))
        if self.storage.take_matching_fault("hang", url.path):
            self.hub.release.wait(HANG_LIMIT)
            return self._drop_connection()
        if trickle := self.storage.take_matching_fault("trickle", url.path):
            self.wfile = Trickle(self.wfile, *trickle[2:])
        method = "GET" if self.command == "HEAD" else self.command
        route = next(((name, m) for verb, pattern, name in self.ROUTES
                      if verb == method and (m := re.fullmatch(pattern, url.path))), None)
        try:
            if route is None:
                print(f"hubserver: no route for {self.command} {self.path}", file=sys.stderr)
                raise HubError(404, f"No route for {self.command} {url.path}")
            name, match = route
            self.authorized = name == "lfs_put" or self._check_token()
            getattr(self, "route_" + name)(**{k: unquote(v) for k, v in match.groupdict().items() if v is not None})
        except HubError as error:
            self._send_error(error)
        except (KeyError, ValueError, TypeError) as error:  # 400, not 500: the client retries 5xx with backoff
            traceback.print_exc()
            self._send_error(HubError(400, f"Malformed request: {error!r}"))

    # -- helpers --------------------------------------------------------------------------------------------------
    def _check_token(self) -> bool:
        """True with the server's token, False without a token; any other token is refused (401)."""
        header = self.headers.get("Authorization")
        if header is not None and header != f"Bearer {self.hub.token}":
            raise HubError(401, "Invalid credentials in Authorization header")
        return header is not None

    def _require_write(self) -> None:
        if not self.authorized:
            raise HubError(401, "You must be authenticated (Authorization: Bearer <token>) to write")

    def _repo(self, type: str | None, id: str) -> Repo:
        """The repository, or RepoNotFound (also for a private repo asked for without the token)."""
        repo = self.storage.repos.get(((type or "models").removesuffix("s"), id))
        if repo is None or (repo.private and not self.authorized):
            raise HubError(404 if repo is None else 401, "Repository not found", "RepoNotFound")
        return repo

    def _read_body(self) -> bytes:
        """The request body (Content-Length); ConnectionError if the client sent less."""
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            raise HubError(411, "Send a Content-Length, not a chunked body")
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        if len(data) < length:
            raise ConnectionError(f"body truncated: {len(data)} of {length} bytes")
        self.body_read = True
        return data

    def _json_body(self) -> dict:
        """A JSON body, or a form-encoded one (paths-info) as {key: value, "paths": [values]}."""
        body = self._read_body()
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return {key: values if key == "paths" else values[-1] for key, values in parse_qs(body.decode()).items()}
        return json.loads(body or b"{}")

    def _send(self, status: int, body: bytes, headers: dict | None = None, content_type="application/json") -> None:
        self.send_response(status)
        headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}
        if not self.body_read:  # an unread body would be taken for the next request
            headers["Connection"], self.close_connection = "close", True
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, payload, status: int = 200, headers: dict | None = None) -> None:
        """JSON, gzipped as the hub's `gzip_json` says: "asked" where the request accepts gzip, "always" even where
        it asked for identity (a proxy that compresses whatever it is asked), "br" labelled brotli, "never" by
        default."""
        body, mode = json.dumps(payload).encode(), self.hub.gzip_json
        if mode == "always" or (mode == "asked" and "gzip" in self.headers.get("Accept-Encoding", "")):
            body, headers = gzip.compress(body), {**(headers or {}), "Content-Encoding": "gzip"}
        elif mode == "br":  # said to be brotli whatever was asked (the body as it is: a client must refuse first)
            headers = {**(headers or {}), "Content-Encoding": "br"}
        self._send(status, body, headers)

    def _send_error(self, error: HubError) -> None:
        message = error.message.encode("ascii", "backslashreplace").decode()  # headers are latin-1
        headers = {"X-Error-Message": message, **({"X-Error-Code": error.code} if error.code else {})}
        self._send_json({"error": error.message, **error.extra}, error.status, {**headers, **error.headers})

    def _drop_connection(self) -> None:
        """Close the socket abruptly, whatever is still in flight (fault injection)."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - quiet: requests are recorded in hub.requests
        pass

    # -- API routes ---------------------------------------------------------------------------------------------
    def route_whoami(self) -> None:
        if not self.authorized:
            raise HubError(401, "You must be authenticated to call whoami")
        token = {"displayName": "local-hub", "role": "write"}
        self._send_json({"type": "user", "id": "1", "name": USER, "fullname": "Local Hub User", "orgs": [],
                         "auth": {"type": "access_token", "accessToken": token}})

    def route_create_repo(self) -> None:
        self._require_write()
        body = self._json_body()
        repo_type, repo_id = body.get("type") or "model", f"{body.get('organization') or USER}/{body['name']}"
        private = body.get("private", body.get("visibility") == "private")  # huggingface_hub 2.x sends visibility
        url = f"{self.hub.endpoint}/{URL_PREFIXES[repo_type]}{repo_id}"
        self.storage.create_repo(repo_type, repo_id, bool(private), url)
        self._send_json({"url": url, "name": repo_id})

    def route_space_variables(self, id: str) -> None:
        self._require_write()
        self._send_json(self._repo("spaces", id).variables)

    def route_add_space_variable(self, id: str) -> None:
        """Set one variable of a Space (`{"key", "value", "description"?}`); answers them all, as the Hub does."""
        self._require_write()
        repo, body = self._repo("spaces", id), self._json_body()
        with self.storage.lock:
            repo.variables[body["key"]] = {"value": body["value"], "description": body.get("description"),
                                           "updatedAt": now_iso()}
        self._send_json(repo.variables)

    def route_validate_yaml(self) -> None:
        """A card's YAML metadata checked against a minimal schema (`card_errors`): 400 with the errors, as the Hub."""
        body = self._json_body()
        errors = card_errors(body.get("content", ""), body.get("repoType") or "model")
        if errors:
            raise HubError(400, "; ".join(errors))
        self._send_json({"errors": [], "warnings": []})

    def route_repo_info(self, type: str, id: str, rev: str = "main") -> None:
        repo = self._repo(type, id)
        commit = repo.resolve(rev)
        siblings = []
        for path in sorted(commit.files):
            sibling, entry = {"rfilename": path}, commit.entry(path)
            if is_true(self.query.get("blobs")):
                sibling.update(size=entry["size"], blobId=entry["oid"])
                if "lfs" in entry:
                    sibling["lfs"] = {"sha256": entry["lfs"]["oid"], **entry["lfs"]}
            siblings.append(sibling)
        self._send_json({"_id": repo.id, "id": repo.id, "author": repo.id.split("/")[0], "sha": commit.sha,
                         "lastModified": commit.date, "createdAt": repo.created, "private": repo.private,
                         "gated": False, "disabled": False, "downloads": 0, "likes": 0, "tags": [],
                         "siblings": siblings})

    def route_tree(self, type: str, id: str, rev: str, path: str = "") -> None:
        """The entries under `path` (one page): its children, or everything below with `recursive`."""
        commit = self._repo(type, id).resolve(rev)
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        names = set()
        for name in commit.files:
            if name.startswith(prefix):
                parts = name[len(prefix):].split("/")
                stop = len(parts) if is_true(self.query.get("recursive")) else 1
                names.update(prefix + "/".join(parts[:i]) for i in range(1, stop + 1))
        if prefix and not names:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        self._send_json([commit.entry(name, is_true(self.query.get("expand"))) for name in sorted(names)])

    def route_paths_info(self, type: str, id: str, rev: str) -> None:
        commit = self._repo(type, id).resolve(rev)
        body = self._json_body()
        paths = [body["paths"]] if isinstance(body.get("paths"), str) else body.get("paths", [])
        entries = [commit.entry(path.strip("/"), is_true(str(body.get("expand")))) for path in paths]
        self._send_json([entry for entry in entries if entry is not None])

    def route_commits(self, type: str, id: str, rev: str) -> None:
        repo = self._repo(type, id)
        commit, history = repo.resolve(rev), []
        while commit is not None:
            history.append({"id": commit.sha, "title": commit.title, "message": "", "date": commit.date,
                            "authors": [{"user": USER}]})
            commit = repo.commits.get(commit.parent)
        self._send_json(history)

    def route_create_branch(self, type: str, id: str, branch: str) -> None:
        self._require_write()
        repo = self._repo(type, id)
        start = repo.resolve(self._json_body().get("startingPoint") or "main")
        with self.storage.lock:
            if branch in repo.branches:
                raise HubError(409, f"Branch {branch} already exists")
            repo.branches[branch] = start.sha
        self._send_json({})

    # -- uploads ------------------------------------------------------------------------------------------------
    def route_preupload(self, type: str, id: str, rev: str) -> None:
        """Upload mode per file (LFS by extension or size) and the oid of the file already there, if any."""
        self._require_write()
        commit = self._repo(type, id).resolve(rev)
        answers = []
        for file in self._json_body().get("files", []):
            lfs = file["path"].endswith(LFS_SUFFIXES) or file.get("size", 0) >= LFS_MIN_SIZE
            existing = commit.files.get(file["path"])
            answers.append({"path": file["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                            "oid": existing.etag if existing else None})  # the client skips files with its oid
        self._send_json({"files": answers, "commitOid": commit.sha})

    def route_commit(self, type: str, id: str, rev: str) -> None:
        self._require_write()
        repo = self._repo(type, id)
        lines = [json.loads(line) for line in self._read_body().splitlines() if line.strip()]
        if rev not in repo.branches:
            raise HubError(404, f"Invalid rev id: {rev} (commits go to an existing branch)", "RevisionNotFound")
        if self.query.get("create_pr"):
            raise HubError(400, "The local hub has no pull requests (create_pr)")
        commit = self.storage.apply_commit(repo, rev, lines)
        self._send_json({"success": True, "commitOid": commit.sha, "commitMessage": commit.title, "hookOutput": "",
                         "commitUrl": f"{self.hub.endpoint}/{URL_PREFIXES[repo.type]}{repo.id}/commit/{commit.sha}"})

    def route_lfs_batch(self, id: str, type: str | None = None) -> None:
        """Git LFS batch API: an upload URL for each object the server lacks, no action for the others."""
        self._require_write()
        self._repo(type, id)
        objects = []
        for item in self._json_body().get("objects", []):
            answer = {"oid": item["oid"], "size": item["size"], "authenticated": True}
            stored = self.storage.lfs_objects.get(item["oid"])
            if stored is None or len(stored) != item["size"]:
                ticket = self.storage.upload_url_ticket(item["oid"], item["size"])
                answer["actions"] = {"upload": {"href": f"{self.hub.endpoint}/lfs-upload/{ticket}", "expires_in": 3600}}
            objects.append(answer)
        self._send(200, json.dumps({"transfer": "basic", "objects": objects}).encode(),
                   content_type="application/vnd.git-lfs+json")

    def route_lfs_put(self, ticket: str) -> None:
        """Store an object sent to its upload URL if its size and sha256 match; a truncated body stores nothing."""
        oid, size = self.storage.upload_tickets.get(ticket) or (None, None)
        if oid is None:
            raise HubError(403, "Unknown or already used upload URL")
        if self.storage.take_fault(("lfs-put",)):
            self.rfile.read(int(self.headers.get("Content-Length") or 0) // 2)
            return self._drop_connection()
        try:
            data = self._read_body()
        except ConnectionError:
            self.close_connection = True
            return
        if len(data) != size or hashlib.sha256(data).hexdigest() != oid:
            raise HubError(400, f"Uploaded content does not match oid {oid} and size {size}")
        with self.storage.lock:
            self.storage.lfs_objects[oid] = data
            self.storage.upload_tickets.pop(ticket, None)
        self._send_json({}, headers={"ETag": f'"{oid}"'})

    # -- downloads ----------------------------------------------------------------------------------------------
    def route_resolve(self, id: str, rev: str, path: str, type: str | None = None) -> None:
        """A file's bytes (or a Range of them) with the Hub's metadata headers; may be cut by a fault."""
        repo = self._repo(type, id)
        commit = repo.resolve(rev)
        if path not in commit.files:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound", {"X-Repo-Commit": commit.sha})
        blob, size = commit.files[path], len(commit.files[path].data)
        headers = {"ETag": f'"{blob.etag}"', "X-Repo-Commit": commit.sha, "Accept-Ranges": "bytes"}
        if blob.lfs:
            headers.update({"X-Linked-Etag": f'"{blob.sha256}"', "X-Linked-Size": str(size)})
        start, end = self._byte_range(size)
        if "Range" in self.headers and size:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        status, body = 206 if "Content-Range" in headers else 200, blob.data[start:end]
        if self.command == "GET" and self.storage.take_fault(("download", repo.type, repo.id, path)):
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body[:max(0, size // 2 - start)])  # always breaks at the file's middle
            return self._drop_connection()
        self._send(status, body, headers, content_type="application/octet-stream")

    def _byte_range(self, size: int) -> tuple[int, int]:
        """(start, end) of `Range: bytes=a-b` (the whole file without one); 416 if unsatisfiable."""
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if match is None or match.groups() == ("", "") or size == 0:
            return 0, size
        first, last = match.groups()
        start, end = (max(0, size - int(last)), size) if first == "" else (int(first), min(size, int(last or size) + 1))
        if start >= end:
            raise HubError(416, "Requested range not satisfiable", headers={"Content-Range": f"bytes */{size}"})
        return start, end


class Trickle:
    """A handler's output sent one byte every `every` seconds for `seconds` from now, then the rest at once (no single
    read of the client waits long, so read timeouts never fire); `body_only`: the first write (the status line and
    headers) goes out whole."""

    def __init__(self, wfile, seconds: float, every: float, body_only: bool):
        self.wfile, self.until, self.every, self.whole_writes = wfile, time.monotonic() + seconds, every, int(body_only)

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        if self.whole_writes:
            self.whole_writes -= 1
        else:
            while len(view) and time.monotonic() < self.until:
                self.wfile.write(view[:1])
                view = view[1:]
                time.sleep(self.every)
        self.wfile.write(view)
        return len(data)

    def __getattr__(self, name):
        return getattr(self.wfile, name)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # dropped connections are expected in fault tests
            super().handle_error(request, client_address)


class LocalHub:
    """The server: `endpoint`, `token`, `storage`, every request seen as (method, path), and fault switches."""

    def __init__(self, token: str = "hf_test_token"):
        self.token, self.storage, self.requests = token, HubStorage(), []
        self.gzip_json = "never"  # or "asked", "always", "br": see HubHandler._send_json
        self.release = threading.Event()  # set by clear_faults(): hung requests let go of their connections
        self.server = _Server(("127.0.0.1", 0), HubHandler)
        self.server.hub = self  # type: ignore[attr-defined]
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name="local-hub", daemon=True)

    def cut_download(self, repo_id: str, path: str, *, repo_type: str = "model", times: int | None = None) -> None:
        """Make GETs of `path` send full headers, the bytes up to the file's middle, then drop the connection.

        `times=None`: until `clear_faults()` (every retry of the client breaks too, so it gives up); `times=1`: the
        next GET only (huggingface_hub's retry then succeeds).
        """
        with self.storage.lock:
            self.storage.faults["download", repo_type, repo_id, path] = times

    def break_lfs_uploads(self, times: int | None = None) -> None:
        """Make LFS PUTs read half their body and drop the connection (`None`: until `clear_faults()`)."""
        with self.storage.lock:
            self.storage.faults["lfs-put",] = times

    def hang(self, *, path: str = "", times: int | None = None) -> None:
        """Make requests whose URL path contains `path` (any request: "") be read and never answered, until
        `clear_faults()` (or the server stops) drops their connections: a Hub that accepts and then hangs."""
        with self.storage.lock:
            self.storage.faults["hang", path] = times

    def trickle(self, seconds: float, *, every: float = 0.1, path: str = "", times: int | None = None,
                body_only: bool = False) -> None:
        """Make answers to requests whose URL path contains `path` come one byte every `every` seconds for `seconds`,
        then the rest at once, complete and correct: a slow Hub that read timeouts do not catch. `body_only`: the
        status line and headers come at once."""
        with self.storage.lock:
            self.storage.faults["trickle", path, seconds, every, body_only] = times

    def clear_faults(self) -> None:
        with self.storage.lock:
            self.storage.faults.clear()
            self.release.set()
            self.release = threading.Event()

    def head(self, repo_id: str, *, repo_type: str = "model", branch: str = "main") -> str:
        """The commit sha `branch` points to."""
        return self.storage.repos[repo_type, repo_id].branches[branch]

    def files(self, repo_id: str, *, repo_type: str = "model", revision: str = "main") -> dict[str, bytes]:
        """{path: content} of the repo at `revision`."""
        commit = self.storage.repos[repo_type, repo_id].resolve(revision)
        return {path: blob.data for path, blob in commit.files.items()}


@contextmanager
def local_hub(token: str = "hf_test_token") -> Iterator[LocalHub]:
    """Serve a fresh, empty hub on a free port of 127.0.0.1 (daemon thread) for the duration of the block."""
    hub = LocalHub(token)
    hub.thread.start()
    try:
        yield hub
    finally:
        hub.release.set()
        hub.server.shutdown()
        hub.server.server_close()


def hub_env(hub: LocalHub, cache_dir: str | Path) -> dict[str, str]:
    """Environment variables pointing huggingface_hub and datasets at `hub`, with every cache under `cache_dir`."""
    cache_dir = Path(cache_dir)
    return {"HF_ENDPOINT": hub.endpoint, "HF_HUB_DISABLE_XET": "1", "HF_TOKEN": hub.token,
            "HF_HOME": str(cache_dir / "home"), "HF_HUB_CACHE": str(cache_dir / "hub"),
            "HF_DATASETS_CACHE": str(cache_dir / "datasets"), "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0"}


def hub_environment(monkeypatch, hub: LocalHub, cache_dir: str | Path) -> dict[str, str]:
    """Point this process at `hub`: set `hub_env` with `monkeypatch` and patch what was read at import time.

    huggingface_hub copies HF_ENDPOINT & co into `huggingface_hub.constants` (and the module-level `HfApi` behind
    `create_repo`, `upload_folder`, ...) when imported, datasets into `datasets.config`: both are patched, and the
    monkeypatch undoes it all. Create `HfApi()` objects after this call. Returns the environment variables.
    """
    from huggingface_hub import constants, hf_api  # imported before setenv: they must read the real environment
    from huggingface_hub.hf_file_system import HfFileSystem
    try:
        from datasets import config
    except ImportError:
        config = None

    env = hub_env(hub, cache_dir)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    home = env["HF_HOME"]
    for name, value in {"ENDPOINT": hub.endpoint, "HF_URL_HOSTS": constants.HF_URL_HOSTS | {"127.0.0.1"},
                        "HUGGINGFACE_CO_URL_TEMPLATE": hub.endpoint + "/{repo_id}/resolve/{revision}/{filename}",
                        "HF_HUB_DISABLE_XET": True, "HF_HUB_OFFLINE": False, "HF_HUB_DISABLE_TELEMETRY": True,
                        "HF_HOME": home, "HF_HUB_CACHE": env["HF_HUB_CACHE"], "HF_ASSETS_CACHE": f"{home}/assets",
                        "HF_XET_CACHE": f"{home}/xet", "HF_TOKEN_PATH": f"{home}/token",
                        "HF_STORED_TOKENS_PATH": f"{home}/stored_tokens"}.items():
        monkeypatch.setattr(constants, name, value)
    monkeypatch.setattr(hf_api.api, "endpoint", hub.endpoint)
    if config is not None:
        datasets_cache = Path(env["HF_DATASETS_CACHE"])
        for name, value in {"HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": False, "HF_DATASETS_OFFLINE": False,
                            "HUB_DATASETS_URL": hub.endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}",
                            "HF_CACHE_HOME": home, "HF_MODULES_CACHE": Path(home) / "modules",
                            "HF_DATASETS_CACHE": datasets_cache,
                            "DOWNLOADED_DATASETS_PATH": datasets_cache / "downloads",
                            "EXTRACTED_DATASETS_PATH": datasets_cache / "downloads" / "extracted"}.items():
            monkeypatch.setattr(config, name, value)
    HfFileSystem.clear_instance_cache()  # instances cache listings per endpoint/token
    return env
