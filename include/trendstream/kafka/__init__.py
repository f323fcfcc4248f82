"""trendstream.kafka"""
