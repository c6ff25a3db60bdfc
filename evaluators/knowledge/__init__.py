"""The MLOps practice knowledge base behind the Novelty stage (issue 6).

``corpus`` holds the curated, labelled examples shipped in ``corpus/*.yaml`` and their schema;
``store`` keeps their embeddings in Milvus (Lite by default) and answers nearest-neighbour
queries. See docs/novelty.md for how Novelty uses them.
"""
