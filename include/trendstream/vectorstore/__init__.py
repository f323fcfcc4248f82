"""trendstream.vectorstore: the Milvus tweet collection (:mod:`.milvus`: schema, upserts,
search, paged reads) and its housekeeping (:mod:`.maintenance`)."""
