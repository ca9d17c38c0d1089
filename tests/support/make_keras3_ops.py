"""Regenerate tests/support/keras3_ops.txt: the public names of Keras 3's ``keras.ops``.

Reads Keras's generated API files (``keras/api/ops/**/__init__.py``) from a git mirror of
keras-team/keras, without a work tree:

    python tests/support/make_keras3_ops.py /work/.mirror/keras-team+keras/repo [rev]

Top-level names come first; a submodule's name is listed as ``numpy.x`` / ``nn.x`` /
``linalg.x`` / ``image.x`` only when ``keras.ops`` does not also export it.
"""

import os
import re
import subprocess
import sys

SUBMODULES = ("numpy", "nn", "linalg", "image")
# ``from m import x as x`` lines, also wrapped in parentheses over several lines.
_IMPORT = re.compile(r"\b(\w+)\s+as\s+(\w+)\b")


def _show(repo, rev, path):
    return subprocess.run(["git", "-C", repo, "show", f"{rev}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def _names(source):
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    code = code.split('"""', 2)[-1]  # after the generated-file docstring
    return {alias for _, alias in _IMPORT.findall(code) if not alias.startswith("_")}


def main(repo, rev="HEAD"):
    commit = subprocess.run(["git", "-C", repo, "rev-parse", rev], check=True,
                            capture_output=True, text=True).stdout.strip()
    version = re.search(r'__version__\s*=\s*"([^"]+)"',
                        _show(repo, commit, "keras/src/version.py")).group(1)
    top = _names(_show(repo, commit, "keras/api/ops/__init__.py")) - set(SUBMODULES)
    lines = sorted(top)
    for sub in SUBMODULES:
        names = _names(_show(repo, commit, f"keras/api/ops/{sub}/__init__.py"))
        lines += sorted(f"{sub}.{n}" for n in names - top)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3_ops.txt")
    with open(out, "w") as f:
        f.write(f"# keras.ops of Keras {version}, commit {commit} "
                "(tests/support/make_keras3_ops.py)\n")
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} names -> {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
