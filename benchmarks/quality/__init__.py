"""Quality harness: semantic trends vs hashtag counts vs BERTopic against ground truth."""
