"""trendstream.vectorstore: the Milvus tweet collection, owned by one type.

:mod:`.store` (``TweetStore``: connect, upsert, search, time range, count), :mod:`.collection`
(schema and vector index), :mod:`.rows` (tweets → rows), :mod:`.retry` (which failures to
retry, and how), and the DAG's housekeeping (:mod:`.maintenance`)."""
