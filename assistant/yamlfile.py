"""Read a YAML data file with libyaml's parser when PyYAML was built with it.

The pure-Python parser was most of the start-up time. Both build the same safe Python
objects; only the parser differs, so the result does not depend on which one ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# PyYAML defines CSafeLoader only when it was built against libyaml.
_FAST_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """The document in `path`, as `yaml.safe_load` would return it.

    Raises OSError or UnicodeDecodeError when the file cannot be read as UTF-8 text, and
    yaml.YAMLError, with the pure-Python parser's wording, when it is not valid YAML.
    """
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        if _FAST_LOADER is yaml.SafeLoader:
            raise
    # libyaml words its errors differently and leaves out the line excerpt; parse again
    # with the pure-Python parser so the message a user sees is the same on every install.
    return yaml.load(text, Loader=yaml.SafeLoader)
