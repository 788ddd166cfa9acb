"""Text half of Emo3D: descriptions, emotion distributions, annotators, linguistic analysis."""
