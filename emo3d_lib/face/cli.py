"""``emo3d render``, ``emo3d extract``, ``emo3d rig-check`` and ``emo3d rig-fit``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from emo3d_lib.cli import add_quiet, hidden_alias, int_at_least, positive_float
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import DEFAULT_HEAD, HEAD_NAMES
from emo3d_lib.schema import BLENDSHAPES


def read_blendshapes_json(path: str | Path, index: int = 0) -> np.ndarray:
    """A 52-vector from JSON (``-``: stdin): a list in ``BLENDSHAPES`` order, a {name: weight}
    object (missing names = 0; ``XLeft`` and Face Cap's ``X_L`` spellings both accepted), or
    ``emo3d predict``'s output (record ``index`` of its list), so the two commands pipe; every
    value a JSON number in [0, 1] (see :mod:`emo3d_lib.validate`)."""
    from emo3d_lib.files import read_json
    from emo3d_lib.validate import blendshapes_from_json

    if str(path) == "-":
        where = "blendshapes on stdin"
        try:
            obj = json.loads(sys.stdin.read())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise Emo3DError(f"{where}: not valid JSON ({err})") from None
    else:
        where = f"blendshapes file {path}"
        obj = read_json(path, "blendshapes file")
    if isinstance(obj, list) and obj and all(isinstance(r, dict) and "blendshapes" in r
                                             for r in obj):  # emo3d predict's records
        if not 0 <= index < len(obj):
            raise Emo3DError(f"{where}: --index {index} but {len(obj)} prediction(s)")
        obj = obj[index]
    if isinstance(obj, dict) and isinstance(obj.get("blendshapes"), dict | list):
        obj = obj["blendshapes"]
    return blendshapes_from_json(obj, where)


def _render(args: argparse.Namespace) -> int:
    from PIL import Image

    from emo3d_lib import atomic
    from emo3d_lib.face.heads import load_head
    from emo3d_lib.face.identity import Identity, sample_identity
    from emo3d_lib.face.render import FaceRenderer
    from emo3d_lib.outputs import check_output_file

    out = check_output_file(args.out, "--out", (".png", ".jpg", ".jpeg"))
    vec = read_blendshapes_json(args.blendshapes, args.index)
    ident = (Identity.default() if args.identity_seed is None
             else sample_identity(args.identity_seed, 0))
    head = load_head(args.head, args.head_path)
    img = FaceRenderer(head, size=args.size, backend=args.backend).render(vec[None], [ident])[0]
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}[out.suffix.lower()]
    with atomic.atomic_path(out) as tmp:
        Image.fromarray(img).save(tmp, format=fmt, quality=95)
    print(out)
    return 0


def _extract(args: argparse.Namespace) -> int:
    from emo3d_lib import atomic
    from emo3d_lib.face.mediapipe_extract import BlendshapeExtractor

    with BlendshapeExtractor() as ex:
        scores = ex.extract_files(args.images)
    result = {str(p): (None if s is None else
                       {n: round(float(v), 4) for n, v in zip(BLENDSHAPES, s, strict=True)})
              for p, s in zip(args.images, scores, strict=True)}
    if args.out:
        atomic.write_json(args.out, result)
        print(args.out)
    else:
        json.dump(result, sys.stdout, indent=None if args.compact else 1)
        print()
    return 0


def _rig_check(args: argparse.Namespace) -> int:
    from emo3d_lib import atomic
    from emo3d_lib.face.heads import load_head
    from emo3d_lib.face.rig_check import format_table, run_rig_check
    from emo3d_lib.outputs import check_output_file

    if args.out:
        check_output_file(args.out, "--out")
    if args.regions and args.vary_identity:
        raise Emo3DError("--regions works on the fixed frontal shot: drop --vary-identity")
    if args.regions and load_head(args.head, args.head_path).landmark_refs is None:
        raise Emo3DError(f"--regions needs true landmarks: head {args.head!r} has no landmark "
                         "correspondence (ict and builtin have one)")
    res = run_rig_check(head=args.head, samples=args.samples, seed=args.seed, size=args.size,
                        vary_identity=args.vary_identity,
                        facecap=False if args.no_facecap else (args.head_path or True),
                        progress=not args.quiet)
    out = res.to_json()
    print(format_table(res))
    if args.regions:
        from emo3d_lib.face.rig_regions import region_attribution

        ra = region_attribution(args.head, args.samples, args.seed, args.size, live=res.live,
                                progress=not args.quiet)
        print("\nwhere the gap to the ceiling is lost: each region's true landmark motion "
              "swapped into the detected landmarks")
        print(ra.regions.round(3).to_string(index=False))
        table = ra.regions.astype(object)
        out["regions"] = table.where(table.notna(), None).to_dict(orient="records")
    if args.out:
        atomic.write_json(args.out, out)
    return 0


def _rig_fit(args: argparse.Namespace) -> int:
    from PIL import Image

    from emo3d_lib import atomic
    from emo3d_lib.face.shape_fit import control_groups, fit_channel, heldout_check, preview
    from emo3d_lib.outputs import check_output_file

    if args.out:
        check_output_file(args.out, "--out")
    for channel in args.channels:  # name every bad channel before any rendering
        control_groups(channel)
    bound = None if args.free else args.bound
    fits = [fit_channel(c, bound=bound, budget=args.budget, samples=args.samples, seed=args.seed,
                        penalize_leaks=not args.ignore_leaks, progress=not args.quiet)
            for c in args.channels]
    print(f"rig-fit bound={'none' if bound is None else f'{bound} cm'} "
          f"leaks={'free' if args.ignore_leaks else 'penalized'} budget={args.budget} "
          f"probe: {args.samples} vectors, seed {fits[0].seed}")
    for fit in fits:
        print(f"{fit.channel}: probe r {fit.r_probe_before:.3f} -> {fit.r_probe_after:.3f} "
              f"(largest leak {fit.leak_after:.2f}, {fit.evals} renders of the probe set)")
        for when, reads in fit.top_reads.items():
            print(f"  MediaPipe reads at weight 1, {when}: "
                  + ", ".join(f"{n} {v:.2f}" for n, v in reads))
    report: dict = {"fits": [f.to_json() for f in fits]}
    if args.heldout:
        before, after = heldout_check(fits, samples=args.heldout, progress=not args.quiet)
        live = before.live
        print(f"held out: rig-check seed 0, {args.heldout} vectors, all fits applied together "
              f"({len(live)} live channels)")
        moved = sorted(live, key=lambda k: -abs(after.r_image[k] - before.r_image[k]))
        for k in moved[:12]:
            tag = " (fitted)" if BLENDSHAPES[k] in args.channels else ""
            print(f"  {BLENDSHAPES[k]:<20}{before.r_image[k]:7.3f} -> {after.r_image[k]:.3f}{tag}")
        print(f"mean r = {before.mean_r:.3f} -> {after.mean_r:.3f}")
        report["heldout"] = {"before": before.to_json(), "after": after.to_json()}
    if args.out:
        atomic.write_json(args.out, report)
    if args.preview:
        for fit in fits:
            out = Path(args.preview) / f"rig-fit-{fit.channel}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            with atomic.atomic_path(out) as tmp:
                Image.fromarray(preview(fit)).save(tmp, format="PNG")
            print(out)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("render", help="render one blendshape vector (JSON) to an image")
    p.add_argument("--blendshapes", required=True,
                   help="JSON file, or - for stdin: 52 numbers, {name: weight}, or the output "
                        "of `emo3d predict`")
    p.add_argument("--index", type=int_at_least(0), default=0,
                   help="which prediction, when the JSON holds several")
    p.add_argument("--out", required=True, help="output .png/.jpg")
    p.add_argument("--head", default=DEFAULT_HEAD, choices=HEAD_NAMES, help="head model")
    p.add_argument("--head-path", default=None, help="facecap.glb location (else EMO3D_FACECAP)")
    p.add_argument("--size", type=int_at_least(16), default=256, help="image side, px")
    p.add_argument("--backend", default="auto", choices=("auto", "egl", "numpy"),
                   help="auto: EGL (GPU/Mesa) when it works, else the numpy rasteriser")
    p.add_argument("--identity-seed", type=int, default=None,
                   help="render a sampled identity instead of the default frontal one")
    p.set_defaults(func=_render)

    p = subparsers.add_parser("extract", help="MediaPipe blendshape scores of images (JSON)")
    p.add_argument("images", nargs="+", help="image files (.png/.jpg)")
    p.add_argument("--out", default=None, help="JSON file to write (else JSON on stdout)")
    p.add_argument("--compact", action="store_true", help="one-line JSON on stdout")
    p.set_defaults(func=_extract)

    p = subparsers.add_parser("rig-check", help="rig fidelity: render -> MediaPipe, per-channel r")
    p.add_argument("--samples", type=int, default=300, help="random blendshape vectors")
    p.add_argument("--seed", type=int, default=0, help="the vectors and identities")
    p.add_argument("--head", default=DEFAULT_HEAD, choices=HEAD_NAMES,
                   help="head measured")
    p.add_argument("--size", type=int_at_least(16), default=256, help="image side, px")
    p.add_argument("--vary-identity", action="store_true",
                   help="sampled identities instead of the fixed frontal shot")
    p.add_argument("--head-path", default=None,
                   help="facecap.glb for the Face Cap column (omitted: $EMO3D_FACECAP, cache)")
    hidden_alias(p, "--facecap", "head_path")
    p.add_argument("--no-facecap", action="store_true", help="skip the Face Cap column")
    p.add_argument("--regions", action="store_true",
                   help="also place the gap to the ceiling: swap each face region's true "
                        "landmark motion into the detected landmarks and re-score")
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    hidden_alias(p, "--json", "out")
    add_quiet(p)
    p.set_defaults(func=_rig_check)

    p = subparsers.add_parser(
        "rig-fit", help="study: fit one channel's shape to what MediaPipe reads (not shipped)")
    p.add_argument("channels", nargs="+", metavar="CHANNEL",
                   help="channels with control groups, e.g. eyeWideRight mouthFrownLeft")
    p.add_argument("--bound", type=positive_float, default=0.4,
                   help="largest offset of a control group, cm (default 0.4: a plausible face)")
    p.add_argument("--free", action="store_true", help="no bound on the offsets")
    p.add_argument("--ignore-leaks", action="store_true",
                   help="do not charge a shape that MediaPipe also reads as other channels")
    p.add_argument("--budget", type=int_at_least(1), default=90, help="renders of the probe set")
    p.add_argument("--samples", type=int_at_least(8), default=64, help="vectors in the probe set")
    p.add_argument("--seed", type=int, default=None, help="fitting vectors (default 4242)")
    p.add_argument("--heldout", type=int_at_least(0), default=300,
                   help="rig-check vectors (seed 0) scored before/after, all fits applied; 0 skips")
    p.add_argument("--out", default=None, help="write the fit as JSON here")
    hidden_alias(p, "--json", "out")
    p.add_argument("--preview", default=None,
                   help="directory for rig-fit-CHANNEL.png: weights 0/0.5/1, shipped vs fitted")
    p.set_defaults(func=_rig_fit)
