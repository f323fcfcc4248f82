"""trendstream.sources"""
