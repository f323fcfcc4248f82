"""trendstream.stream"""
