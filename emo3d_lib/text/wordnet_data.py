"""WordNet 3.0 for NLTK without the internet: copy Debian's files into the project's environment.

``nltk.download('wordnet')`` needs the internet; Debian's ``wordnet-base`` +
``wordnet-sense-index`` ship the same WordNet 3.0 database. NLTK reads it from
``<sys.prefix>/nltk_data/corpora/wordnet/`` (on its default search path) once the files are
*copied* there (NLTK rejects symlinks that leave the corpus root) and a ``lexnames`` table, which
Debian lacks, is added. Run ``python -m emo3d_lib.text.wordnet_data`` (``scripts/setup.sh`` does);
it is idempotent.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from emo3d_lib.atomic import write_text
from emo3d_lib.errors import Emo3DError

DEBIAN_WORDNET = Path("/usr/share/wordnet")
WORDNET_FILES: tuple[str, ...] = (
    "adj.exc", "adv.exc", "noun.exc", "verb.exc", "cntlist.rev", "index.sense",
    "index.adj", "index.adv", "index.noun", "index.verb",
    "data.adj", "data.adv", "data.noun", "data.verb",
)
#: The fixed lexicographer-file table of WordNet 3.0 (``lexnames(5WN)``): number, name, POS.
LEXNAMES: tuple[str, ...] = (
    "adj.all 3", "adj.pert 3", "adv.all 4", "noun.Tops 1", "noun.act 1", "noun.animal 1",
    "noun.artifact 1", "noun.attribute 1", "noun.body 1", "noun.cognition 1",
    "noun.communication 1", "noun.event 1", "noun.feeling 1", "noun.food 1", "noun.group 1",
    "noun.location 1", "noun.motive 1", "noun.object 1", "noun.person 1", "noun.phenomenon 1",
    "noun.plant 1", "noun.possession 1", "noun.process 1", "noun.quantity 1",
    "noun.relation 1", "noun.shape 1", "noun.state 1", "noun.substance 1", "noun.time 1",
    "verb.body 2", "verb.change 2", "verb.cognition 2", "verb.communication 2",
    "verb.competition 2", "verb.consumption 2", "verb.contact 2", "verb.creation 2",
    "verb.emotion 2", "verb.motion 2", "verb.perception 2", "verb.possession 2",
    "verb.social 2", "verb.stative 2", "verb.weather 2", "adj.ppl 3",
)


def lexnames_text() -> str:
    """``lexnames`` file body: ``NN<TAB>name<TAB>pos`` per line, 45 lines."""
    return "".join(
        f"{i:02d}\t{name}\t{pos}\n" for i, (name, pos) in
        enumerate(entry.split() for entry in LEXNAMES)
    )


def wordnet_dir(prefix: str | Path | None = None) -> Path:
    """Where NLTK looks first inside this environment: ``<prefix>/nltk_data/corpora/wordnet``."""
    return Path(prefix or sys.prefix) / "nltk_data" / "corpora" / "wordnet"


def install_wordnet(source: Path = DEBIAN_WORDNET, target: Path | None = None) -> list[str]:
    """Copy missing or changed WordNet files into ``target``; returns the names copied."""
    target = target or wordnet_dir()
    missing = [name for name in WORDNET_FILES if not (source / name).is_file()]
    if missing:
        raise Emo3DError(
            f"WordNet 3.0 files {missing} not found in {source}; install the Debian packages "
            "'wordnet-base' and 'wordnet-sense-index' (scripts/setup.sh does)"
        )
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in WORDNET_FILES:
        src, dst = source / name, target / name
        if dst.is_file() and not dst.is_symlink() and dst.stat().st_size == src.stat().st_size:
            continue
        tmp = dst.with_name(f".{name}.tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(dst)
        copied.append(name)
    lexnames = target / "lexnames"
    if not lexnames.is_file() or lexnames.read_text() != lexnames_text():
        write_text(lexnames, lexnames_text())
        copied.append("lexnames")
    return copied


def main() -> int:
    copied = install_wordnet()
    print(f"wordnet: {wordnet_dir()} ({'copied ' + ', '.join(copied) if copied else 'up to date'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
