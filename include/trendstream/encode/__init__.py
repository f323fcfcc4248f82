"""trendstream.encode: text cleaning/tokenizing (:mod:`.text`, pure) and the offline
embedding model with length-bucketed batched encoding (:mod:`.model`)."""
