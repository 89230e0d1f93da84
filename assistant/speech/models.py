"""The speech-model store: the manifest, resumable downloads, safe unpacking, and finding a vosk model.

Layout under the data folder::

    <data dir>/models/<name>/                  an installed model (appears atomically, only when complete)
    <data dir>/models/<name>/.reconnect-model.json   what was installed: archive sha256, url, engine
    <data dir>/models/.partial/<name>.zip.part  a download in progress; the next download resumes it

Standard library only, so `reconnect models ...` works before any speech engine is installed.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

ENV_VAR = "VOSK_MODEL_PATH"
MARKER = ".reconnect-model.json"
PARTIAL_DIR = ".partial"
KNOWN_ENGINES = frozenset({"vosk"})
USER_AGENT = "reconnect-model-fetch/1"
_CHUNK = 64 * 1024
# A vosk model unpacks to about twice its zip; anything far beyond is a zip bomb or the wrong file.
_MAX_EXPANSION = 20
_FIELDS = ("name", "engine", "language", "url", "size", "sha256", "description")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")

Progress = Callable[[int, int], None]


class ModelError(RuntimeError):
    """A model cannot be found, fetched, checked or unpacked; the message says what to do."""


class ManifestError(ModelError):
    """The model manifest is unreadable or an entry is invalid; the message names the entry."""


@dataclass(frozen=True)
class ModelEntry:
    """One downloadable model from the manifest."""

    name: str
    """Directory name once unpacked, also the archive's top-level folder."""
    engine: str
    """Recogniser that loads it (`vosk`)."""
    language: str
    """BCP 47 language tag, e.g. `en-US`."""
    url: str
    """Where the archive is downloaded from."""
    size: int
    """Exact archive size in bytes."""
    sha256: str
    """Lowercase hex SHA-256 of the archive; empty when nobody has pinned it."""
    description: str
    """One line for listings."""


@dataclass(frozen=True)
class ModelStatus:
    """Whether a manifest entry is installed in a given store."""

    entry: ModelEntry
    """The manifest entry."""
    installed: bool
    """True only when the model folder is complete."""
    path: Path
    """Where the model lives (or would live once installed)."""


class ModelCheck(NamedTuple):
    """The result of verifying one installed model."""

    name: str
    """Model folder name."""
    ok: bool
    """True when the model is complete and matches what the manifest pins."""
    message: str
    """What was found, and what to do when not ok."""


# ---------------------------------------------------------------- manifest


def default_manifest_path() -> Path:
    """The packaged manifest when installed, else the checkout's `models/manifest.toml`."""
    here = Path(__file__).resolve().parent
    candidates = (
        here / "model_manifest.toml",
        # where a setuptools package-dir mapping of `models/` would put it
        here.parent / "model_manifest" / "manifest.toml",
        here.parent.parent / "models" / "manifest.toml",
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ManifestError("no model manifest found; looked for " + ", ".join(str(c) for c in candidates))


def load_manifest(path: Path | None = None) -> list[ModelEntry]:
    """Read and validate the manifest (the default one when `path` is None)."""
    path = path if path is not None else default_manifest_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the model manifest: {exc.strerror or exc}") from None
    return parse_manifest(text, path.name)


def parse_manifest(text: str, source: str = "manifest.toml") -> list[ModelEntry]:
    """Validate manifest TOML text; `source` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{source}: not valid TOML: {exc}") from None
    extra = sorted(set(data) - {"model"})
    if extra:
        raise ManifestError(f"{source}: unknown top-level key(s) {', '.join(extra)}; expected [[model]] tables")
    raw_models = data.get("model")
    if not isinstance(raw_models, list) or not raw_models:
        raise ManifestError(f"{source}: expected at least one [[model]] table")
    entries: list[ModelEntry] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_models, 1):
        entry = _parse_entry(raw, f"{source}: model #{index}")
        if entry.name in seen:
            raise ManifestError(f"{source}: model '{entry.name}' is listed twice")
        seen.add(entry.name)
        entries.append(entry)
    return entries


def _parse_entry(raw: Any, where: str) -> ModelEntry:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected a table")
    if isinstance(raw.get("name"), str) and raw["name"]:
        where = f"{where.rsplit(': ', 1)[0]}: model '{raw['name']}'"
    missing = [key for key in _FIELDS if key not in raw]
    if missing:
        raise ManifestError(f"{where}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise ManifestError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for key in ("name", "engine", "language", "url", "sha256", "description"):
        if not isinstance(raw[key], str):
            raise ManifestError(f"{where}: {key} must be a string")
    name, engine, url = raw["name"], raw["engine"], raw["url"]
    sha256 = raw["sha256"].strip().lower()
    size = raw["size"]
    if not _NAME.fullmatch(name):
        raise ManifestError(f"{where}: name must be letters, digits, '.', '_' or '-' (it becomes a folder name)")
    if engine not in KNOWN_ENGINES:
        raise ManifestError(f"{where}: unknown engine {engine!r}; expected one of {', '.join(sorted(KNOWN_ENGINES))}")
    if not raw["language"].strip():
        raise ManifestError(f"{where}: language must not be empty")
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ManifestError(f"{where}: url must be an http(s) address, got {url!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ManifestError(f"{where}: size must be a positive whole number of bytes")
    if sha256 and not _SHA256.fullmatch(sha256):
        raise ManifestError(f"{where}: sha256 must be 64 hex digits, or empty when unknown")
    if not raw["description"].strip():
        raise ManifestError(f"{where}: description must not be empty")
    return ModelEntry(name=name, engine=engine, language=raw["language"].strip(), url=url, size=size,
                      sha256=sha256, description=raw["description"].strip())


def find_entry(entries: Sequence[ModelEntry], name: str) -> ModelEntry:
    """The entry called `name`, or a ModelError listing the known names."""
    for entry in entries:
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in entries) or "none"
    raise ModelError(f"unknown model {name!r}; the manifest lists: {known}")


# ---------------------------------------------------------------- the store


def models_dir(data_dir: Path) -> Path:
    """Where models are installed: `<data dir>/models`."""
    return data_dir / "models"


def model_path(entry: ModelEntry, data_dir: Path) -> Path:
    """Where `entry` is (or would be) installed."""
    return models_dir(data_dir) / entry.name


def missing_files(engine: str, path: Path) -> list[str]:
    """Files `engine` needs that the folder lacks; empty when the model is complete."""
    if engine != "vosk":
        raise ModelError(f"unknown engine {engine!r}")
    # The layout every current vosk model ships (small, lgraph and big models alike).
    missing = [name for name in ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf") if not (path / name).is_file()]
    graph = path / "graph"
    if not (graph / "HCLG.fst").is_file() and not ((graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst with graph/Gr.fst)")
    return missing


def is_installed(entry: ModelEntry, data_dir: Path) -> bool:
    """True when the entry's folder exists and is complete (whether installed by us or by hand)."""
    path = model_path(entry, data_dir)
    return path.is_dir() and not missing_files(entry.engine, path)


def list_models(data_dir: Path, entries: Sequence[ModelEntry] | None = None) -> list[ModelStatus]:
    """Every manifest entry with whether it is installed in this store."""
    entries = load_manifest() if entries is None else entries
    return [ModelStatus(entry, is_installed(entry, data_dir), model_path(entry, data_dir)) for entry in entries]


def verify(data_dir: Path, entries: Sequence[ModelEntry] | None = None) -> list[ModelCheck]:
    """Check every model folder in the store: complete, and installed from the archive the manifest pins."""
    entries = load_manifest() if entries is None else entries
    known = {entry.name: entry for entry in entries}
    checks: list[ModelCheck] = []
    for entry in entries:
        if model_path(entry, data_dir).exists():
            checks.append(_check_one(entry.name, entry.engine, entry.sha256, model_path(entry, data_dir)))
    for path in _store_folders(data_dir):
        if path.name not in known:
            engine = (_read_marker(path) or {}).get("engine")
            checks.append(_check_one(path.name, engine if engine in KNOWN_ENGINES else "vosk", "", path))
    return checks


def _check_one(name: str, engine: str, pinned: str, path: Path) -> ModelCheck:
    if not path.is_dir():
        return ModelCheck(name, False, f"{path} is not a folder; delete it and install the model again")
    missing = missing_files(engine, path)
    if missing:
        return ModelCheck(name, False, f"incomplete, missing {', '.join(missing)}; delete {path} and install "
                                       "the model again")
    marker = _read_marker(path)
    if marker is None:
        return ModelCheck(name, True, "complete; unpacked by hand, so there is no checksum record")
    recorded = marker.get("sha256")
    if not isinstance(recorded, str) or not recorded:
        return ModelCheck(name, False, f"the install record {path / MARKER} is damaged; install the model again")
    if pinned and recorded != pinned:
        return ModelCheck(name, False, f"installed from an archive with sha256 {recorded[:12]}…, but the manifest "
                                       f"pins {pinned[:12]}…; install the model again")
    if not pinned:
        return ModelCheck(name, True, f"complete; no checksum pinned in the manifest (archive sha256 {recorded[:12]}…)")
    return ModelCheck(name, True, f"complete; archive sha256 {recorded[:12]}… matches the manifest")


def _read_marker(path: Path) -> dict[str, Any] | None:
    """The install record; None when there is none, empty when it is unreadable."""
    try:
        record = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _store_folders(data_dir: Path) -> list[Path]:
    root = models_dir(data_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def resolve_vosk_model(explicit: Path | None, data_dir: Path,
                       entries: Sequence[ModelEntry] | None = None) -> Path | None:
    """The vosk model to load: `--model PATH`, else $VOSK_MODEL_PATH, else the first installed one in the store.

    A path given explicitly or through the environment must be a complete model (ModelError otherwise), so a
    typo is reported instead of silently falling back to another model. None when nothing is installed.
    """
    if explicit is not None:
        return _checked_model_dir(Path(explicit).expanduser(), "--model")
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return _checked_model_dir(Path(from_env).expanduser(), ENV_VAR)
    if entries is None:
        try:
            entries = load_manifest()
        except ManifestError:
            entries = []  # a broken manifest must not hide a model that is already unpacked
    for entry in entries:
        if entry.engine == "vosk" and is_installed(entry, data_dir):
            return model_path(entry, data_dir)
    for path in _store_folders(data_dir):
        if not missing_files("vosk", path):
            return path
    return None


def _checked_model_dir(path: Path, source: str) -> Path:
    if not path.is_dir():
        raise ModelError(f"{source} {path}: no such folder")
    missing = missing_files("vosk", path)
    if not missing:
        return path
    hint = ""
    children = [p for p in path.iterdir() if p.is_dir()]
    if len(children) == 1 and not missing_files("vosk", children[0]):
        hint = f" (did you mean {children[0]}?)"
    raise ModelError(f"{source} {path} is not a vosk model folder: missing {', '.join(missing)}{hint}")


# ---------------------------------------------------------------- download


def download(entry: ModelEntry, data_dir: Path, *, progress: Progress | None = None,
             opener: urllib.request.OpenerDirector | None = None, allow_unverified: bool = False,
             timeout: float = 30.0) -> Path:
    """Fetch, check and install `entry`; return its folder. Does nothing when it is already installed.

    An interrupted download is kept in `<models>/.partial/` and resumed with an HTTP Range request the next
    time. `progress(done, total)` is called as bytes arrive. An entry without a pinned sha256 is refused
    unless `allow_unverified` is True.
    """
    _require_checksum(entry, allow_unverified)
    if is_installed(entry, data_dir):
        return model_path(entry, data_dir)
    partial = models_dir(data_dir) / PARTIAL_DIR / f"{entry.name}.zip.part"
    partial.parent.mkdir(parents=True, exist_ok=True)
    _fetch(entry, partial, data_dir, progress, opener or urllib.request.build_opener(), timeout)
    digest = _sha256_of(partial)
    if entry.sha256 and digest != entry.sha256:
        partial.unlink()
        raise ModelError(f"The download of {entry.name} is corrupt: its sha256 is {digest}, expected "
                         f"{entry.sha256}. The file was deleted; run the same command again to start over.")
    try:
        path = _install(entry, partial, data_dir, digest)
    except ModelError:
        partial.unlink(missing_ok=True)  # a verified but unusable archive will not get better by resuming
        raise
    partial.unlink(missing_ok=True)
    return path


def install_archive(entry: ModelEntry, archive_path: Path, data_dir: Path, *,
                    allow_unverified: bool = False) -> Path:
    """Install a zip or tar archive downloaded by hand, with the same checks as `download`."""
    _require_checksum(entry, allow_unverified)
    if not archive_path.is_file():
        raise ModelError(f"{archive_path}: no such file")
    size = archive_path.stat().st_size
    if size != entry.size:
        raise ModelError(f"{archive_path} is {size} bytes but {entry.name} is {entry.size} bytes; "
                         "it is a different file or an unfinished download")
    digest = _sha256_of(archive_path)
    if entry.sha256 and digest != entry.sha256:
        raise ModelError(f"{archive_path} has sha256 {digest}, but {entry.name} should have {entry.sha256}; "
                         "download it again")
    return _install(entry, archive_path, data_dir, digest)


def manual_install_hint(entry: ModelEntry, data_dir: Path) -> str:
    """How to install `entry` without network access on this machine (exact paths included)."""
    target = model_path(entry, data_dir)
    archive = posixpath.basename(urllib.parse.urlsplit(entry.url).path) or f"{entry.name}.zip"
    check = (f"  2. check that its SHA-256 is {entry.sha256} (for example `sha256sum {archive}`)"
             if entry.sha256 else
             f"  2. no checksum is pinned for this model; make sure the file came from "
             f"{urllib.parse.urlsplit(entry.url).netloc}")
    return "\n".join([
        "To install it by hand:",
        f"  1. on a machine with internet access, download {entry.url}",
        check,
        "  3. unpack it on this machine so that this folder holds am/, conf/ and graph/:",
        f"       {target}",
        f"     (for example `unzip {archive} -d {models_dir(data_dir)}`)",
        f"Or use a model unpacked anywhere else with --model PATH or the {ENV_VAR} environment variable.",
    ])


def format_progress(done: int, total: int, width: int = 30) -> str:
    """A one-line text progress bar; the CLI rewrites it in place with a carriage return."""
    if total <= 0:
        return f"{_mib(done)} downloaded"
    fraction = min(max(done / total, 0.0), 1.0)
    filled = int(fraction * width)
    return f"[{'#' * filled}{'-' * (width - filled)}] {fraction * 100:5.1f}%  {_mib(done)} / {_mib(total)}"


def _mib(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MiB"


def _require_checksum(entry: ModelEntry, allow_unverified: bool) -> None:
    if not entry.sha256 and not allow_unverified:
        raise ModelError(f"{entry.name} has no pinned sha256 in the manifest, so its download cannot be checked. "
                         "Install it only if you trust the source, with allow_unverified=True "
                         "(the --insecure option).")


def _fetch(entry: ModelEntry, partial: Path, data_dir: Path, progress: Progress | None,
           opener: urllib.request.OpenerDirector, timeout: float) -> None:
    # Two rounds: the second one starts from zero when the server rejects or mangles the resume.
    for _ in range(2):
        start = partial.stat().st_size if partial.exists() else 0
        if start > entry.size:
            partial.unlink()
            start = 0
        if start == entry.size:
            return  # everything arrived last time; the checksum decides whether it is right
        request = urllib.request.Request(entry.url, headers={"User-Agent": USER_AGENT})
        if start:
            request.add_header("Range", f"bytes={start}-")
        try:
            response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and start:
                partial.unlink()  # the server's file no longer extends our partial one
                continue
            raise ModelError(f"Could not download {entry.name}: {entry.url} answered {exc.code} {exc.reason}.\n"
                             + manual_install_hint(entry, data_dir)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            why = getattr(reason, "strerror", None) or str(reason)
            host = urllib.parse.urlsplit(entry.url).netloc
            raise ModelError(f"Could not download {entry.name}: cannot reach {host} ({why}). This machine seems "
                             "to be offline.\n" + manual_install_hint(entry, data_dir)) from None
        with response:
            if start and response.status == 206:
                if _range_start(response.headers.get("Content-Range", "")) != start:
                    partial.unlink()
                    continue
                _stream(entry, response, partial, "ab", start, progress)
            else:
                # a plain 200 means the server ignored the Range header and sends the whole file
                _stream(entry, response, partial, "wb", 0, progress)
        return
    raise ModelError(f"Could not resume the download of {entry.name}; the partial file was deleted, "
                     "run the same command again to start over.")


def _range_start(content_range: str) -> int | None:
    match = re.fullmatch(r"\s*bytes\s+(\d+)-\d+/(?:\d+|\*)\s*", content_range)
    return int(match.group(1)) if match else None


def _stream(entry: ModelEntry, response: IO[bytes], partial: Path, mode: str, done: int,
            progress: Progress | None) -> None:
    if progress:
        progress(done, entry.size)
    failure = ""
    too_long = False
    with partial.open(mode) as out:
        while True:
            try:
                chunk = response.read(_CHUNK)
            except (http.client.HTTPException, OSError) as exc:
                failure = f" ({type(exc).__name__}: {exc})" if str(exc) else f" ({type(exc).__name__})"
                break
            if not chunk:
                break
            if done + len(chunk) > entry.size:
                too_long = True
                break
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, entry.size)
    if too_long:
        partial.unlink()
        raise ModelError(f"The server sent more than the expected {entry.size} bytes for {entry.name}; the "
                         "manifest or the server is wrong. The file was deleted.")
    if done < entry.size:
        raise ModelError(f"The download of {entry.name} stopped after {done} of {entry.size} bytes{failure}. "
                         "Run the same command again to resume where it stopped.")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- unpacking


def _install(entry: ModelEntry, archive: Path, data_dir: Path, digest: str) -> Path:
    root = models_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    # Unpack next to the target so the final rename stays on one filesystem and is atomic.
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{entry.name}-", dir=root))
    try:
        _extract(archive, staging, limit=max(archive.stat().st_size, 1024 * 1024) * _MAX_EXPANSION)
        contents = [p for p in staging.iterdir() if p.name != "__MACOSX"]
        single = len(contents) == 1 and contents[0].is_dir() and not contents[0].is_symlink()
        unpacked = contents[0] if single else staging
        missing = missing_files(entry.engine, unpacked)
        if missing:
            raise ModelError(f"{archive.name} does not hold a {entry.engine} model: missing {', '.join(missing)}")
        record = {"format": 1, "name": entry.name, "engine": entry.engine, "url": entry.url,
                  "size": archive.stat().st_size, "sha256": digest, "pinned": bool(entry.sha256)}
        (unpacked / MARKER).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        target = model_path(entry, data_dir)
        _replace_dir(unpacked, target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replace_dir(new: Path, target: Path) -> None:
    if not (target.exists() or target.is_symlink()):
        os.replace(new, target)
        return
    # A directory cannot be renamed over a non-empty one: move the old one aside first.
    trash = Path(tempfile.mkdtemp(prefix=f".old-{target.name}-", dir=target.parent))
    try:
        os.replace(target, trash / "old")
        os.replace(new, target)
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def _unsafe(archive: Path, what: str) -> ModelError:
    return ModelError(f"Refusing to unpack {archive.name}: {what}. Nothing was installed.")


def _member_parts(archive: Path, name: str) -> list[str]:
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or re.match(r"[A-Za-z]:", normalized):
        raise _unsafe(archive, f"member {name!r} has an absolute path")
    parts = [part for part in normalized.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _unsafe(archive, f"member {name!r} climbs out of the model folder with '..'")
    if "\x00" in name:
        raise _unsafe(archive, f"member {name!r} has a NUL byte in its name")
    return parts


def _inside(archive: Path, dest: Path, parts: list[str], name: str) -> Path:
    path = dest.joinpath(*parts)
    if not path.resolve().is_relative_to(dest.resolve()):
        raise _unsafe(archive, f"member {name!r} would be written outside the model folder")
    return path


def _extract(archive: Path, dest: Path, limit: int) -> None:
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, dest, limit)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, dest, limit)
        else:
            raise ModelError(f"{archive.name} is neither a zip nor a tar archive")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise ModelError(f"{archive.name} is damaged and cannot be unpacked ({exc}). Nothing was installed.") from None


def _extract_zip(archive: Path, dest: Path, limit: int) -> None:
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        for info in members:  # check everything before writing anything
            _member_parts(archive, info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _unsafe(archive, f"member {info.filename!r} is a symbolic link; model archives hold none")
        if sum(info.file_size for info in members) > limit:
            raise _unsafe(archive, "it would unpack to far more data than a model holds")
        written = 0
        for info in members:
            path = _inside(archive, dest, _member_parts(archive, info.filename), info.filename)
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as source, path.open("wb") as out:
                while block := source.read(_CHUNK):
                    written += len(block)
                    if written > limit:
                        raise _unsafe(archive, "it unpacks to far more data than it declares")
                    out.write(block)


def _extract_tar(archive: Path, dest: Path, limit: int) -> None:
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        total = 0
        for member in members:  # check everything before writing anything
            parts = _member_parts(archive, member.name)
            if member.issym():
                link = member.linkname.replace("\\", "/")
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname("/".join(parts)), link))
                if link.startswith("/") or resolved == ".." or resolved.startswith("../"):
                    raise _unsafe(archive, f"symbolic link {member.name!r} points outside the model folder "
                                           f"(to {member.linkname!r})")
            elif member.islnk():
                try:
                    _member_parts(archive, member.linkname)
                except ModelError:
                    raise _unsafe(archive, f"hard link {member.name!r} points outside the model folder "
                                           f"(to {member.linkname!r})") from None
            elif not (member.isfile() or member.isdir()):
                raise _unsafe(archive, f"member {member.name!r} is a device or pipe, not a file")
            total += member.size
        if total > limit:
            raise _unsafe(archive, "it would unpack to far more data than a model holds")
        for member in members:
            _inside(archive, dest, _member_parts(archive, member.name), member.name)
            try:
                # the stdlib "data" filter re-checks each member against links unpacked before it
                tf.extract(member, dest, filter="data")
            except tarfile.FilterError as exc:
                raise _unsafe(archive, str(exc)) from None
