"""trendstream.vectorstore: the Milvus tweet collection, owned by one type (``TweetStore``).

Design: docs/vectorstore.md
"""
