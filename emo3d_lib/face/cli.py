"""``emo3d render``, ``emo3d extract``, ``emo3d rig-check`` and ``emo3d rig-fit``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from emo3d_lib.cli import int_at_least, positive_float
from emo3d_lib.errors import Emo3DError
from emo3d_lib.face.head import DEFAULT_HEAD, HEAD_NAMES
from emo3d_lib.schema import BLENDSHAPES


def read_blendshapes_json(path: str | Path) -> np.ndarray:
    """A 52-vector from JSON: a list in ``BLENDSHAPES`` order or a {name: weight} object
    (missing names = 0; ``XLeft`` and Face Cap's ``X_L`` spellings both accepted)."""
    p = Path(path)
    try:
        obj = json.loads(p.read_text())
    except FileNotFoundError as err:
        raise Emo3DError(f"blendshapes file not found: {p}") from err
    except json.JSONDecodeError as err:
        raise Emo3DError(f"{p}: not valid JSON ({err})") from err
    if isinstance(obj, dict):
        from emo3d_lib.face.facecap import arkit_name

        vec = np.zeros(len(BLENDSHAPES), np.float32)
        for key, val in obj.items():
            name = arkit_name(key)
            if name not in BLENDSHAPES:
                raise Emo3DError(f"{p}: unknown blendshape name {key!r}")
            try:
                vec[BLENDSHAPES.index(name)] = float(val)
            except (TypeError, ValueError) as err:
                raise Emo3DError(f"{p}: value of {key!r} is not a number: {val!r}") from err
        return vec
    if isinstance(obj, list):
        if len(obj) != len(BLENDSHAPES):
            raise Emo3DError(f"{p}: expected {len(BLENDSHAPES)} values in BLENDSHAPES order, "
                             f"got {len(obj)}")
        try:
            return np.asarray(obj, np.float32)
        except (TypeError, ValueError) as err:
            raise Emo3DError(f"{p}: list holds a non-number ({err})") from err
    raise Emo3DError(f"{p}: expected a list of 52 numbers or a {{name: weight}} object")


def _render(args: argparse.Namespace) -> int:
    from PIL import Image

    from emo3d_lib import atomic
    from emo3d_lib.face.heads import load_head
    from emo3d_lib.face.identity import Identity, sample_identity
    from emo3d_lib.face.render import FaceRenderer

    vec = read_blendshapes_json(args.blendshapes)
    ident = (Identity.default() if args.identity_seed is None
             else sample_identity(args.identity_seed, 0))
    head = load_head(args.head, args.head_path)
    img = FaceRenderer(head, size=args.size, backend=args.backend).render(vec[None], [ident])[0]
    out = Path(args.out)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}.get(out.suffix.lower())
    if fmt is None:
        raise Emo3DError(f"--out must end in .png, .jpg or .jpeg, got {out.name}")
    with atomic.atomic_path(out) as tmp:
        Image.fromarray(img).save(tmp, format=fmt, quality=95)
    print(out)
    return 0


def _extract(args: argparse.Namespace) -> int:
    from emo3d_lib.face.mediapipe_extract import BlendshapeExtractor

    with BlendshapeExtractor() as ex:
        scores = ex.extract_files(args.images)
    result = {str(p): (None if s is None else
                       {n: round(float(v), 4) for n, v in zip(BLENDSHAPES, s, strict=True)})
              for p, s in zip(args.images, scores, strict=True)}
    json.dump(result, sys.stdout, indent=None if args.compact else 1)
    print()
    return 0


def _rig_check(args: argparse.Namespace) -> int:
    from emo3d_lib import atomic
    from emo3d_lib.face.rig_check import format_table, run_rig_check

    res = run_rig_check(head=args.head, samples=args.samples, seed=args.seed, size=args.size,
                        vary_identity=args.vary_identity,
                        facecap=False if args.no_facecap else (args.facecap or True))
    if args.json:
        atomic.write_json(args.json, res.to_json())
    print(format_table(res))
    return 0


def _rig_fit(args: argparse.Namespace) -> int:
    from PIL import Image

    from emo3d_lib import atomic
    from emo3d_lib.face.shape_fit import control_groups, fit_channel, heldout_check, preview

    for channel in args.channels:  # name every bad channel before any rendering
        control_groups(channel)
    bound = None if args.free else args.bound
    fits = [fit_channel(c, bound=bound, budget=args.budget, samples=args.samples, seed=args.seed,
                        penalize_leaks=not args.ignore_leaks) for c in args.channels]
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
        before, after = heldout_check(fits, samples=args.heldout)
        live = before.live
        print(f"held out: rig-check seed 0, {args.heldout} vectors, all fits applied together "
              f"({len(live)} live channels)")
        moved = sorted(live, key=lambda k: -abs(after.r_image[k] - before.r_image[k]))
        for k in moved[:12]:
            tag = " (fitted)" if BLENDSHAPES[k] in args.channels else ""
            print(f"  {BLENDSHAPES[k]:<20}{before.r_image[k]:7.3f} -> {after.r_image[k]:.3f}{tag}")
        print(f"mean r = {before.mean_r:.3f} -> {after.mean_r:.3f}")
        report["heldout"] = {"before": before.to_json(), "after": after.to_json()}
    if args.json:
        atomic.write_json(args.json, report)
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
    p.add_argument("--blendshapes", required=True, help="JSON: 52 numbers or {name: weight}")
    p.add_argument("--out", required=True, help="output .png/.jpg")
    p.add_argument("--head", default=DEFAULT_HEAD, choices=HEAD_NAMES)
    p.add_argument("--head-path", default=None, help="facecap.glb location (else EMO3D_FACECAP)")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--backend", default="auto", choices=("auto", "egl", "numpy"))
    p.add_argument("--identity-seed", type=int, default=None,
                   help="render a sampled identity instead of the default frontal one")
    p.set_defaults(func=_render)

    p = subparsers.add_parser("extract", help="MediaPipe blendshape scores of images (JSON)")
    p.add_argument("images", nargs="+")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=_extract)

    p = subparsers.add_parser("rig-check", help="rig fidelity: render -> MediaPipe, per-channel r")
    p.add_argument("--samples", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--head", default=DEFAULT_HEAD, choices=HEAD_NAMES)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--vary-identity", action="store_true",
                   help="sampled identities instead of the fixed frontal shot")
    p.add_argument("--facecap", default=None,
                   help="facecap.glb for the comparison column (default lookup if omitted)")
    p.add_argument("--no-facecap", action="store_true", help="skip the Face Cap column")
    p.add_argument("--json", default=None, help="also write the results as JSON here")
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
    p.add_argument("--json", default=None, help="write the fit as JSON here")
    p.add_argument("--preview", default=None,
                   help="directory for rig-fit-CHANNEL.png: weights 0/0.5/1, shipped vs fitted")
    p.set_defaults(func=_rig_fit)
