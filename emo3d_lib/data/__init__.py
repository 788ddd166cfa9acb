"""The dataset stage: sharded generation (`emo3d generate`), splits, primitive emotion faces."""
