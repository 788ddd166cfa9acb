"""Text half of Emo3D: descriptions, emotion distributions, annotators, linguistic analysis.

- ``generator``: offline stand-in for GPT-3.5 (``generate_text_samples(seed, start, count)``)
- ``vocabulary``: its word stock (emotion words per intensity, facial cues, subjects, templates)
- ``lexicon_annotator``: NRC EmoLex annotator and its agreement with the generator
- ``llm``: optional OpenAI-compatible endpoint for generation and annotation
- ``linguistics``: the paper's Tables 3-6 and Figures 8-10 per emotion class
- ``wordnet_data``: offline WordNet 3.0 for NLTK from Debian's files
- ``cli``: ``emo3d annotate`` and ``emo3d analyze``
"""
