"""``emo3d export``: one face (from a description or a blendshape file) as a glTF 2.0 head.

Lives in ``book`` because it joins two stages: a trained checkpoint (``models``) turns the text
into 52 weights, and ``face.gltf_export`` writes the head with them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from emo3d_lib.errors import Emo3DError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export", help="write a face as a glTF 2.0 binary (.glb) with 52 ARKit morph targets",
        description="Write the head with 52 ARKit-named morph targets (mesh.extras.targetNames) "
                    "and the face's weights set, for Blender, three.js and other 3D tools. "
                    "The weights come from --text (through a trained --checkpoint) or from "
                    "--blendshapes (JSON: a list of 52 or a {name: weight} object).")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="a description of the face (needs --checkpoint)")
    src.add_argument("--blendshapes", metavar="FILE", help="JSON blendshape weights")
    p.add_argument("--checkpoint", metavar="RUN", help="checkpoint directory of `emo3d train`")
    p.add_argument("--out", required=True, help="output .glb path")
    p.add_argument("--head", default=None,
                   help="head name (emo3d_lib.face.head.HEAD_NAMES; default: the default head)")
    p.add_argument("--head-path", default=None, help="asset path for heads that need one")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from emo3d_lib.face.cli import read_blendshapes_json
    from emo3d_lib.face.gltf_export import export_glb
    from emo3d_lib.face.heads import load_head

    if args.text is not None:
        if not args.checkpoint:
            raise Emo3DError("--text needs --checkpoint RUN (a directory written by emo3d train)")
        from emo3d_lib.models.predict import load_predictor

        weights = load_predictor(args.checkpoint, "cpu").predict([args.text])[0]
    else:
        weights = read_blendshapes_json(args.blendshapes)
    head = load_head(args.head, args.head_path) if args.head else load_head()
    out = export_glb(head, weights, args.out)
    size = Path(out).stat().st_size
    print(f"wrote {out} ({size / 1e3:.0f} kB): {head.name} head, 52 morph targets; "
          f"head: {head.credit}")
    return 0
